"""People and integrations: users, roles, authorities, API keys, sessions."""
