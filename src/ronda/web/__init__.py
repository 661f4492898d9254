"""The web side: app factory, authentication, error mapping, templates."""
