"""The case status machine: the allowed transitions, in one table.

Nothing else sets ``Case.status``: ``transition`` checks the table and writes
the audit event, so the history of every case is a query over the audit log.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from ronda.audit import service as audit
from ronda.db.base import utcnow
from ronda.detection.models import Case
from ronda.errors import InvalidTransition


class Status(StrEnum):
    NEW = "new"
    IN_REVIEW = "in_review"
    DECIDED = "decided"
    APPEALED = "appealed"
    CLOSED = "closed"


#: (from, to) -> the name of the event that moves a case along that edge
TRANSITIONS: dict[tuple[Status, Status], str] = {
    (Status.NEW, Status.IN_REVIEW): "claimed",
    (Status.IN_REVIEW, Status.IN_REVIEW): "lease_renewed",
    (Status.IN_REVIEW, Status.NEW): "released",  # given back, escalated, or the lease ran out
    (Status.IN_REVIEW, Status.DECIDED): "decided",
    (Status.DECIDED, Status.APPEALED): "appealed",
    (Status.APPEALED, Status.DECIDED): "appeal_decided",
    (Status.DECIDED, Status.CLOSED): "closed",
    (Status.APPEALED, Status.CLOSED): "closed",
    (Status.NEW, Status.CLOSED): "closed",  # e.g. the content is already gone
}


def allowed(current: str, target: str) -> bool:
    try:
        return (Status(current), Status(target)) in TRANSITIONS
    except ValueError:
        return False


def transition(
    session: Session, *, case: Case, to: Status, actor: str, data: dict[str, Any] | None = None
) -> str:
    """Move ``case`` to ``to`` or raise InvalidTransition; returns the event name."""
    try:
        edge = (Status(case.status), to)
    except ValueError:
        raise InvalidTransition(f"case {case.id} has an unknown status {case.status!r}") from None
    event = TRANSITIONS.get(edge)
    if event is None:
        raise InvalidTransition(f"case {case.id} cannot go from {case.status} to {to.value}")
    now = utcnow()
    case.status = to.value
    case.updated_at = now
    if to is Status.CLOSED:
        case.closed_at = now
    audit.record(
        session,
        actor=actor,
        action=f"case.{event}",
        object_type="case",
        object_id=case.id,
        at=now,
        data={"from": edge[0].value, "to": to.value, **(data or {})},
    )
    return event
