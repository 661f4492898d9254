"""HMAC-SHA256 signatures on calls to the platform (and how the platform checks them).

The signed message is ``"{timestamp}.{body}"``: the timestamp header stops
replays outside the tolerance window, the body is the exact bytes sent.
Header values: ``X-Ronda-Timestamp: 1764000000`` and
``X-Ronda-Signature: sha256=<hex digest>``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx

TIMESTAMP_HEADER = "X-Ronda-Timestamp"
SIGNATURE_HEADER = "X-Ronda-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance: int = 300,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is ours for this body and the timestamp is fresh."""
    if not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def signed_post(
    url: str, body: bytes, *, secret: str, idempotency_key: str, timeout: float
) -> httpx.Response:
    """POST JSON ``body`` signed as above, with its idempotency key.

    Every call Ronda makes to the platform (actions, notices, bulletins) goes
    through here; callers decide what an answer means. Network errors raise
    ``httpx.HTTPError``.
    """
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "User-Agent": "ronda-outbox",
    }
    return httpx.post(url, content=body, headers=headers, timeout=timeout)
