"""Poll the configured IMAP mailboxes for orders.

A message is marked ``\\Seen`` and ``$RondaRecorded`` only after its order is
committed, so a crash re-reads it next time and Message-ID idempotency makes
the second read harmless.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from ronda.config import ImapMailbox, Settings
from ronda.errors import RondaError
from ronda.takedowns.receive import receive_email

log = logging.getLogger(__name__)
KEYWORD = "$RondaRecorded"


@dataclass
class PollResult:
    fetched: int = 0
    recorded: int = 0
    failed: int = 0
    too_large: int = 0


def _connect(box: ImapMailbox) -> imaplib.IMAP4:
    if box.ssl:
        return imaplib.IMAP4_SSL(
            box.host, box.port, ssl_context=ssl.create_default_context(), timeout=30
        )
    client = imaplib.IMAP4(box.host, box.port, timeout=30)
    if box.starttls:
        client.starttls(ssl_context=ssl.create_default_context())
    return client


def poll_mailbox(
    factory: sessionmaker[Session], *, settings: Settings, box: ImapMailbox
) -> PollResult:
    result = PollResult()
    client = _connect(box)
    try:
        client.login(box.username, box.password)
        typ, _ = client.select(box.folder)
        if typ != "OK":
            raise RondaError(f"IMAP folder {box.folder!r} cannot be opened on {box.host}")
        typ, data = client.uid("SEARCH", None, "UNKEYWORD", KEYWORD)  # type: ignore[arg-type]
        uids = data[0].split() if typ == "OK" and data and data[0] else []
        for uid in uids:
            typ, meta = client.uid("FETCH", uid, "(RFC822.SIZE)")
            size = _size(meta)
            if size is not None and size > settings.limits.max_raw_bytes:
                result.too_large += 1
                log.error(
                    "IMAP %s uid %s is %d bytes, over limits.max_raw_bytes; left unread on the server",
                    box.host,
                    uid.decode(),
                    size,
                )
                continue
            typ, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _body(parts)
            if raw is None:
                result.failed += 1
                continue
            result.fetched += 1
            try:
                receive_email(
                    factory,
                    settings=settings,
                    data=raw,
                    source=f"imap://{box.username}@{box.host}/{box.folder};uid={uid.decode()}",
                )
            except RondaError as exc:
                result.failed += 1
                log.error(
                    "IMAP %s uid %s: %s (raw input kept)", box.host, uid.decode(), exc.message
                )
            else:
                result.recorded += 1
            client.uid("STORE", uid, "+FLAGS", f"(\\Seen {KEYWORD})")
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result


def _size(meta: list[object]) -> int | None:
    for part in meta:
        if isinstance(part, bytes) and b"RFC822.SIZE" in part:
            tail = part.split(b"RFC822.SIZE", 1)[1].strip(b" ()")
            digits = tail.split(b")")[0].split()[0] if tail else b""
            return int(digits) if digits.isdigit() else None
    return None


def _body(parts: list[object]) -> bytes | None:
    for part in parts:
        if isinstance(part, tuple) and len(part) >= 2 and isinstance(part[1], bytes):
            return part[1]
    return None
