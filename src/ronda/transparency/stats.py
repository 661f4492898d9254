"""Figures on authority orders, appeals and reversals for the page and the reports.

Orders are few next to actions, so these are cheap indexed queries: orders by
``takedowns.received_at``, their items by ``takedown_items.takedown_id``,
appeals by their table (small), reversals by ``actions.reverses_id`` (only
restore actions carry one). Counts are grouped in SQL; only the durations that
feed a median are read row by row.

How Ronda's statuses map to the published columns is written down in
docs/transparency.md. Nothing here returns a person, a link or a text: the
authority's name is public, the rest are counts.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ronda.accounts.models import Authority
from ronda.actions.models import Action, ActionKind, ActionStatus
from ronda.reports.models import Appeal
from ronda.takedowns.models import ItemStatus, OrderStatus, Takedown, TakedownItem

#: item outcome columns, in the order they are published
ITEM_COLUMNS = (
    "actioned",
    "no_violation",
    "not_found",
    "already_removed",
    "rejected",
    "pending",
)
#: orders that were acted on as orders (quarantined or rejected ones never were)
COUNTED_ORDERS = (OrderStatus.OPEN.value, OrderStatus.CLOSED.value)


def utc_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in ``tz``, as UTC datetimes."""
    zone = ZoneInfo(tz)
    lo = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return lo, hi


def bucket(moment: datetime, tz: str, by: str) -> str:
    local = moment.astimezone(ZoneInfo(tz)).date()
    return local.isoformat() if by == "day" else f"{local:%Y-%m}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def median(values: Iterable[float]) -> float | None:
    data = list(values)
    return statistics.median(data) if data else None


def hours(value: float | None) -> float | None:
    return None if value is None else round(value / 3600, 2)


def share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class _Order:
    id: int
    authority: str
    received_at: datetime
    acknowledged_at: datetime | None


def _orders(session: Session, *, lo: datetime, hi: datetime) -> list[_Order]:
    rows = session.execute(
        select(Takedown.id, Authority.name, Takedown.received_at, Takedown.acknowledged_at)
        .join(Authority, Authority.id == Takedown.authority_id)
        .where(
            Takedown.received_at >= lo,
            Takedown.received_at < hi,
            Takedown.status.in_(COUNTED_ORDERS),
        )
        .order_by(Takedown.id)
    ).all()
    return [
        _Order(
            id=i,
            authority=name,
            received_at=_aware(at),
            acknowledged_at=_aware(ack) if ack else None,
        )
        for i, name, at, ack in rows
    ]


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _item_counts(session: Session, order_ids: list[int]) -> dict[int, Counter[str]]:
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for chunk in _chunks(order_ids):
        for order_id, status, n in session.execute(
            select(TakedownItem.takedown_id, TakedownItem.status, func.count())
            .where(TakedownItem.takedown_id.in_(chunk))
            .group_by(TakedownItem.takedown_id, TakedownItem.status)
        ):
            out[order_id][status] += int(n)
    return out


@dataclass
class _Timing:
    to_action: list[float]  # seconds from the order's receipt to each actioned item
    on_time: int  # items given their outcome by their deadline
    due: int  # items with an outcome, or pending past their deadline


def _timings(
    session: Session, order_ids: list[int], received: dict[int, datetime], now: datetime
) -> dict[int, _Timing]:
    out: dict[int, _Timing] = {}
    for chunk in _chunks(order_ids):
        for order_id, status, outcome_at, deadline in session.execute(
            select(
                TakedownItem.takedown_id,
                TakedownItem.status,
                TakedownItem.outcome_at,
                TakedownItem.deadline,
            ).where(TakedownItem.takedown_id.in_(chunk))
        ):
            timing = out.setdefault(order_id, _Timing([], 0, 0))
            deadline = _aware(deadline)
            if outcome_at is None:
                if deadline < now:
                    timing.due += 1
                continue
            outcome_at = _aware(outcome_at)
            timing.due += 1
            if outcome_at <= deadline:
                timing.on_time += 1
            if status == ItemStatus.ACTIONED:
                timing.to_action.append((outcome_at - received[order_id]).total_seconds())
    return out


def orders_by_authority(
    session: Session, *, start: date, end: date, tz: str, now: datetime
) -> list[dict[str, Any]]:
    """Per authority: orders received in the period and what became of their items."""
    lo, hi = utc_bounds(start, end, tz)
    orders = _orders(session, lo=lo, hi=hi)
    ids = [o.id for o in orders]
    counts = _item_counts(session, ids)
    timings = _timings(session, ids, {o.id: o.received_at for o in orders}, now)
    groups: dict[str, list[_Order]] = defaultdict(list)
    for order in orders:
        groups[order.authority].append(order)
    rows = []
    for name in sorted(groups):
        status: Counter[str] = Counter()
        to_action: list[float] = []
        on_time = due = 0
        for order in groups[name]:
            status.update(counts.get(order.id, Counter()))
            timing = timings.get(order.id)
            if timing:
                to_action += timing.to_action
                on_time += timing.on_time
                due += timing.due
        items = sum(status.values())
        rows.append(
            {
                "authority": name,
                "orders": len(groups[name]),
                "items": items,
                **{column: status[column] for column in ITEM_COLUMNS},
                "share_actioned_pct": share(status[ItemStatus.ACTIONED], items),
                "median_hours_to_action": hours(median(to_action)),
                "within_deadline_pct": share(on_time, due),
            }
        )
    return rows


def orders_over_time(
    session: Session, *, start: date, end: date, tz: str, by: str
) -> list[dict[str, Any]]:
    """Orders received and their items' outcomes, per local day or month of receipt."""
    lo, hi = utc_bounds(start, end, tz)
    orders = _orders(session, lo=lo, hi=hi)
    counts = _item_counts(session, [o.id for o in orders])
    rows: dict[str, dict[str, Any]] = {}
    for order in orders:
        key = bucket(order.received_at, tz, by)
        row = rows.setdefault(
            key, {by: key, "orders": 0, "items": 0, **{c: 0 for c in ITEM_COLUMNS}}
        )
        row["orders"] += 1
        for column, n in counts.get(order.id, Counter()).items():
            row["items"] += n
            if column in row:
                row[column] += n
    return [rows[k] for k in sorted(rows)]


def _reversal_times(session: Session, *, lo: datetime, hi: datetime) -> list[datetime]:
    """When each reversal (a restore action) took effect in [lo, hi)."""
    return [
        _aware(at)
        for at in session.scalars(
            select(Action.succeeded_at).where(
                Action.reverses_id.is_not(None),
                Action.kind == ActionKind.RESTORE.value,
                Action.status == ActionStatus.SUCCEEDED.value,
                Action.succeeded_at >= lo,
                Action.succeeded_at < hi,
            )
        )
        if at is not None
    ]


def appeals_over_time(
    session: Session, *, start: date, end: date, tz: str, by: str
) -> list[dict[str, Any]]:
    """Appeals received per day or month with their outcome so far, and the
    reversals that took effect in each day or month."""
    lo, hi = utc_bounds(start, end, tz)
    rows: dict[str, dict[str, Any]] = {}

    def row(key: str) -> dict[str, Any]:
        return rows.setdefault(
            key, {by: key, "appeals": 0, "granted": 0, "rejected": 0, "pending": 0, "reversals": 0}
        )

    for received_at, status in session.execute(
        select(Appeal.received_at, Appeal.status).where(
            Appeal.received_at >= lo, Appeal.received_at < hi
        )
    ):
        r = row(bucket(_aware(received_at), tz, by))
        r["appeals"] += 1
        if status in ("granted", "rejected", "pending"):
            r[status] += 1
    for at in _reversal_times(session, lo=lo, hi=hi):
        row(bucket(at, tz, by))["reversals"] += 1
    return [rows[k] for k in sorted(rows)]


def appeal_summary(session: Session, *, start: date, end: date, tz: str) -> dict[str, Any]:
    """Appeals received in the period, their outcomes, the median time to decide,
    and the reversals that took effect in the period."""
    lo, hi = utc_bounds(start, end, tz)
    status: Counter[str] = Counter()
    waits: list[float] = []
    for received_at, reviewed_at, st in session.execute(
        select(Appeal.received_at, Appeal.reviewed_at, Appeal.status).where(
            Appeal.received_at >= lo, Appeal.received_at < hi
        )
    ):
        status[st] += 1
        if reviewed_at is not None and st != "pending":
            waits.append((_aware(reviewed_at) - _aware(received_at)).total_seconds())
    return {
        "appeals": sum(status.values()),
        "granted": status["granted"],
        "rejected": status["rejected"],
        "pending": status["pending"],
        "median_hours_to_decide": hours(median(waits)),
        "reversals": len(_reversal_times(session, lo=lo, hi=hi)),
    }


def order_summary(
    session: Session, *, start: date, end: date, tz: str, now: datetime
) -> list[dict[str, Any]]:
    """Per authority, for DSA Art. 15(1)(a): orders, items, the median time to
    acknowledge and to give effect."""
    lo, hi = utc_bounds(start, end, tz)
    orders = _orders(session, lo=lo, hi=hi)
    by_authority = {
        r["authority"]: r
        for r in orders_by_authority(session, start=start, end=end, tz=tz, now=now)
    }
    acks: dict[str, list[float]] = defaultdict(list)
    for order in orders:
        if order.acknowledged_at is not None:
            acks[order.authority].append(
                (order.acknowledged_at - order.received_at).total_seconds()
            )
    return [
        {
            "authority": name,
            "orders": row["orders"],
            "items": row["items"],
            "median_hours_to_acknowledge": hours(median(acks.get(name, []))),
            "median_hours_to_action": row["median_hours_to_action"],
        }
        for name, row in by_authority.items()
    ]
