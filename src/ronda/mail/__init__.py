"""Outgoing mail (through the configured SMTP server) and IMAP polling."""
