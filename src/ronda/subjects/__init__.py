"""Subjects: what a decision is about, named by a canonical Telegram reference."""
