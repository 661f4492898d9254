"""Durable work: a row first, then a worker that reloads it by id.

Acknowledgments, escalations, final reports and (later) enforcement calls are
jobs. A crash between writing the row and running it loses nothing: the
worker picks the row up again. Each job has an idempotency key.
"""
