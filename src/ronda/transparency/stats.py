"""Figures on authority orders, appeals and reversals for the page and the reports.

Orders are few next to actions, so these are cheap indexed queries: orders by
``takedowns.received_at``, their items by ``takedown_items.takedown_id``,
appeals by their table (small), reversals by ``actions.reverses_id`` (only
restore actions carry one). Counts are grouped in SQL, by local day on
PostgreSQL; medians are ``percentile_cont`` there and computed in Python on
SQLite.

How Ronda's statuses map to the published columns is written down in
docs/transparency.md. Nothing here returns a person, a link or a text: the
authority's name is public, the rest are counts.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
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


def _local_day(session: Session, column: Any, tz: str) -> Any | None:
    """The local calendar day of a timestamp column, in SQL; None where the
    database cannot convert time zones (SQLite: done in Python there)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(tz, column))
    return None


@dataclass
class _Cell:
    orders: int = 0
    status: Counter[str] = field(default_factory=Counter)


class OrderFigures:
    """Orders received in a period, counted once per request: per authority and
    local day, with their items by status, and per authority the durations
    behind the medians. On PostgreSQL the grouping by local day and the
    medians happen in SQL, so the rows read stay few however many items there
    are; on SQLite (small installations) per order, in Python."""

    def __init__(self, session: Session, *, start: date, end: date, tz: str, now: datetime):
        self.tz = tz
        lo, hi = utc_bounds(start, end, tz)
        where = (
            Takedown.received_at >= lo,
            Takedown.received_at < hi,
            Takedown.status.in_(COUNTED_ORDERS),
        )
        self.cells: dict[tuple[str, date], _Cell] = defaultdict(_Cell)
        day = _local_day(session, Takedown.received_at, tz)
        key = day if day is not None else Takedown.received_at
        for name, when, n in session.execute(
            select(Authority.name, key, func.count(Takedown.id))
            .join(Authority, Authority.id == Takedown.authority_id)
            .where(*where)
            .group_by(Authority.name, key)
        ):
            self.cells[(name, self._day(when))].orders += int(n)
        self.on_time: Counter[str] = Counter()
        self.due: Counter[str] = Counter()
        on_time = TakedownItem.outcome_at <= TakedownItem.deadline
        due = TakedownItem.outcome_at.is_not(None) | (TakedownItem.deadline < now)
        for name, when, status, n, ok, owed in session.execute(
            select(
                Authority.name,
                key,
                TakedownItem.status,
                func.count(TakedownItem.id),
                func.sum(case((on_time, 1), else_=0)),
                func.sum(case((due, 1), else_=0)),
            )
            .join(Takedown, Takedown.id == TakedownItem.takedown_id)
            .join(Authority, Authority.id == Takedown.authority_id)
            .where(*where)
            .group_by(Authority.name, key, TakedownItem.status)
        ):
            self.cells[(name, self._day(when))].status[status] += int(n)
            self.on_time[name] += int(ok or 0)
            self.due[name] += int(owed or 0)
        self.medians: dict[str, float | None] = {}
        joined = (
            select(Authority.name)
            .join(Takedown, Takedown.id == TakedownItem.takedown_id)
            .join(Authority, Authority.id == Takedown.authority_id)
            .where(*where)
        )
        actioned = joined.where(TakedownItem.status == ItemStatus.ACTIONED.value)
        if session.get_bind().dialect.name == "postgresql":
            seconds = func.extract("epoch", TakedownItem.outcome_at - Takedown.received_at)
            for name, middle in session.execute(
                actioned.add_columns(func.percentile_cont(0.5).within_group(seconds)).group_by(
                    Authority.name
                )
            ):
                self.medians[name] = None if middle is None else float(middle)
        else:
            spans: dict[str, list[float]] = defaultdict(list)
            for name, outcome_at, received_at in session.execute(
                actioned.add_columns(TakedownItem.outcome_at, Takedown.received_at)
            ):
                if outcome_at is not None:
                    spans[name].append((_aware(outcome_at) - _aware(received_at)).total_seconds())
            self.medians = {name: median(values) for name, values in spans.items()}

    def _day(self, value: Any) -> date:
        if isinstance(value, datetime):
            return _aware(value).astimezone(ZoneInfo(self.tz)).date()
        if isinstance(value, str):
            return date.fromisoformat(value[:10])
        assert isinstance(value, date)
        return value

    def by_authority(self) -> list[dict[str, Any]]:
        groups: dict[str, _Cell] = defaultdict(_Cell)
        for (name, _), cell in self.cells.items():
            groups[name].orders += cell.orders
            groups[name].status.update(cell.status)
        rows = []
        for name in sorted(groups):
            status = groups[name].status
            items = sum(status.values())
            rows.append(
                {
                    "authority": name,
                    "orders": groups[name].orders,
                    "items": items,
                    **{column: status[column] for column in ITEM_COLUMNS},
                    "share_actioned_pct": share(status[ItemStatus.ACTIONED], items),
                    "median_hours_to_action": hours(self.medians.get(name)),
                    "within_deadline_pct": share(self.on_time[name], self.due[name]),
                }
            )
        return rows

    def over_time(self, by: str) -> list[dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for (_, day), cell in self.cells.items():
            key = day.isoformat() if by == "day" else f"{day:%Y-%m}"
            row = rows.setdefault(
                key, {by: key, "orders": 0, "items": 0, **{c: 0 for c in ITEM_COLUMNS}}
            )
            row["orders"] += cell.orders
            for column, n in cell.status.items():
                row["items"] += n
                if column in row:
                    row[column] += n
        return [rows[k] for k in sorted(rows)]


def orders_by_authority(
    session: Session, *, start: date, end: date, tz: str, now: datetime
) -> list[dict[str, Any]]:
    """Per authority: orders received in the period and what became of their items."""
    return OrderFigures(session, start=start, end=end, tz=tz, now=now).by_authority()


def orders_over_time(
    session: Session, *, start: date, end: date, tz: str, by: str, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Orders received and their items' outcomes, per local day or month of receipt."""
    figures = OrderFigures(session, start=start, end=end, tz=tz, now=now or datetime.now(UTC))
    return figures.over_time(by)


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


def appeals_tables(
    session: Session, *, start: date, end: date, tz: str
) -> dict[str, list[dict[str, Any]]]:
    """Per local day and per month: appeals received with their outcome so far,
    and the reversals that took effect. Grouped by day in SQL on PostgreSQL."""
    lo, hi = utc_bounds(start, end, tz)
    zone = ZoneInfo(tz)

    def day_of(value: Any) -> date:
        if isinstance(value, datetime):
            return _aware(value).astimezone(zone).date()
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    received = _local_day(session, Appeal.received_at, tz)
    key = received if received is not None else Appeal.received_at
    for when, status, n in session.execute(
        select(key, Appeal.status, func.count(Appeal.id))
        .where(Appeal.received_at >= lo, Appeal.received_at < hi)
        .group_by(key, Appeal.status)
    ):
        cell = per_day[day_of(when)]
        cell["appeals"] += int(n)
        if status in ("granted", "rejected", "pending"):
            cell[status] += int(n)
    for at in _reversal_times(session, lo=lo, hi=hi):
        per_day[at.astimezone(zone).date()]["reversals"] += 1
    out: dict[str, list[dict[str, Any]]] = {}
    columns = ("appeals", "granted", "rejected", "pending", "reversals")
    for by in ("day", "month"):
        rows: dict[str, dict[str, Any]] = {}
        for day, cell in per_day.items():
            name = day.isoformat() if by == "day" else f"{day:%Y-%m}"
            row = rows.setdefault(name, {by: name, **{c: 0 for c in columns}})
            for column in columns:
                row[column] += cell[column]
        out[by] = [rows[k] for k in sorted(rows)]
    return out


def appeals_over_time(
    session: Session, *, start: date, end: date, tz: str, by: str
) -> list[dict[str, Any]]:
    """Appeals received per day or month with their outcome so far, and the
    reversals that took effect in each day or month."""
    return appeals_tables(session, start=start, end=end, tz=tz)[by]


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
