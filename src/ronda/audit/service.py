"""Append to and verify the hash-chained audit log.

Each event's hash covers its content and the previous event's hash, so an
edited or deleted row breaks the chain at that point. Appends lock the single
``audit_head`` row, which orders concurrent writers on PostgreSQL; SQLite's
write lock does the same there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.audit.models import AuditEvent, AuditHead
from ronda.db.base import utcnow

GENESIS = "0" * 64


def _digest(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        [
            seq,
            at.isoformat(timespec="microseconds"),
            actor,
            action,
            object_type,
            object_id,
            data,
            prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event; the caller's transaction commits it."""
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    when = at or utcnow()
    payload = json.loads(json.dumps(data or {}, default=str))
    seq = head.seq + 1
    digest = _digest(
        seq=seq,
        at=when,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=payload,
        prev_hash=head.hash,
    )
    event = AuditEvent(
        seq=seq,
        at=when,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        data=payload,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq = seq
    head.hash = digest
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def verify(session: Session, *, batch: int = 5000) -> Iterator[ChainProblem]:
    """Yield every break in the chain: edited rows, deleted rows, a moved head."""
    expected_prev = GENESIS
    expected_seq = 1
    last_id = 0
    while True:
        rows = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for ev in rows:
            last_id = ev.id
            if ev.seq != expected_seq:
                yield ChainProblem(
                    expected_seq, f"entries {expected_seq}..{ev.seq - 1} are missing"
                )
            if ev.prev_hash != expected_prev:
                yield ChainProblem(
                    ev.seq, "previous-hash link does not match (entry before deleted or edited)"
                )
            actual = _digest(
                seq=ev.seq,
                at=ev.at,
                actor=ev.actor,
                action=ev.action,
                object_type=ev.object_type,
                object_id=ev.object_id,
                data=ev.data,
                prev_hash=ev.prev_hash,
            )
            if actual != ev.hash:
                yield ChainProblem(ev.seq, "content does not match its hash (entry edited)")
            expected_prev = ev.hash
            expected_seq = ev.seq + 1
        session.expunge_all()
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != expected_prev):
        yield ChainProblem(head.seq, "the newest entries were deleted (head does not match)")


def history(session: Session, *, object_type: str, object_id: str) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.seq)
        ).scalars()
    )
