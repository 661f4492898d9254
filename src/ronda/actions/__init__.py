"""Enforcement: decisions carried out on the platform through a durable, signed outbox.

An action is a row written in the same transaction as the decision that
needs it; the worker delivers it as an HTTP POST of JSON to the platform's
endpoint, signed with HMAC-SHA256 and carrying an idempotency key, retrying
with exponential backoff. The platform applies each key once, so a worker
killed mid-delivery and retried makes the action take effect exactly once.
"""
