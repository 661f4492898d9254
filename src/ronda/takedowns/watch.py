"""Deadline watch, run by the worker: escalate at 75% of the time, record breaches.

Each item is escalated once and breached once (``escalated_at`` and
``breached_at`` are the guards), so running the watch twice, or on two
workers, sends nothing twice: the mail job keys are derived from the items.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.audit import service as audit
from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.takedowns.deadlines import escalation_time
from ronda.takedowns.models import ItemStatus, OrderStatus, Takedown, TakedownItem
from ronda.takedowns.notices import queue_escalation

log = logging.getLogger(__name__)


@dataclass
class WatchResult:
    escalated: int = 0
    breached: int = 0


def check_deadlines(
    session: Session, *, settings: Settings, now: datetime | None = None
) -> WatchResult:
    now = now or utcnow()
    result = WatchResult()
    rows = session.execute(
        select(TakedownItem, Takedown)
        .join(Takedown, Takedown.id == TakedownItem.takedown_id)
        .where(
            TakedownItem.status == ItemStatus.PENDING,
            Takedown.status == OrderStatus.OPEN,
            (TakedownItem.escalated_at.is_(None)) | (TakedownItem.breached_at.is_(None)),
        )
        .order_by(TakedownItem.deadline)
    ).all()
    to_escalate: dict[int, list[TakedownItem]] = defaultdict(list)
    to_breach: dict[int, list[TakedownItem]] = defaultdict(list)
    orders: dict[int, Takedown] = {}
    for item, order in rows:
        orders[order.id] = order
        # an item's clock runs as long as its order's, ending at its own deadline
        # (items added by a follow-up start at that follow-up's receipt)
        start = item.deadline - (order.deadline - order.received_at)
        if item.breached_at is None and now >= item.deadline:
            item.breached_at = now
            if item.escalated_at is None:
                item.escalated_at = now
            to_breach[order.id].append(item)
        elif item.escalated_at is None and now >= escalation_time(
            start, item.deadline, settings.escalate_at
        ):
            item.escalated_at = now
            to_escalate[order.id].append(item)
    for order_id, items in to_escalate.items():
        order = orders[order_id]
        result.escalated += len(items)
        log.warning(
            "takedown %s: %d item(s) past %.0f%% of their time",
            order.tracking_number,
            len(items),
            settings.escalate_at * 100,
        )
        audit.record(
            session,
            actor="worker",
            action="takedown.escalated",
            object_type="takedown",
            object_id=order.tracking_number,
            at=now,
            data={"items": [i.canonical for i in items[:500]], "count": len(items)},
        )
        queue_escalation(session, order=order, items=items, breach=False)
    for order_id, items in to_breach.items():
        order = orders[order_id]
        result.breached += len(items)
        log.error("takedown %s: %d item(s) past their deadline", order.tracking_number, len(items))
        audit.record(
            session,
            actor="worker",
            action="takedown.breached",
            object_type="takedown",
            object_id=order.tracking_number,
            at=now,
            data={"items": [i.canonical for i in items[:500]], "count": len(items)},
        )
        queue_escalation(session, order=order, items=items, breach=True)
    session.flush()
    return result


def due_items(
    session: Session, *, limit: int = 500, authority_id: int | None = None
) -> list[tuple[TakedownItem, Takedown]]:
    """Open items by time left (soonest deadline first)."""
    query = (
        select(TakedownItem, Takedown)
        .join(Takedown, Takedown.id == TakedownItem.takedown_id)
        .where(
            TakedownItem.status == ItemStatus.PENDING,
            Takedown.status == OrderStatus.OPEN,
        )
        .order_by(TakedownItem.deadline, Takedown.warning_level.desc(), TakedownItem.id)
        .limit(limit)
    )
    if authority_id is not None:
        query = query.where(Takedown.authority_id == authority_id)
    return [(i, o) for i, o in session.execute(query).all()]
