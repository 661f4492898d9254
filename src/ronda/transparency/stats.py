"""Figures on authority orders, appeals and reversals for the page and the reports.

The page's figures (``OrderFigures``, ``appeals_tables``) come from the daily
aggregates kept as orders, items and appeals change
(``ronda.transparency.aggregates``), so their cost follows the number of days
shown, not the number of items. The report's extra figures (median time to
acknowledge, to decide an appeal) are read from the records: orders by
``takedowns.received_at``, appeals by their table, reversals by
``actions.reverses_id`` (only restore actions carry one).

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

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ronda.accounts.models import Authority
from ronda.actions.models import Action, ActionKind, ActionStatus
from ronda.reports.models import Appeal
from ronda.takedowns.models import ItemStatus, OrderStatus, Takedown, TakedownItem
from ronda.transparency.aggregates import median_seconds
from ronda.transparency.models import (
    ITEM_STATUS_COLUMNS,
    DailyActionTimes,
    DailyAppeals,
    DailyOrders,
)

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


def month_spans(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """[start, end] as the first days of the whole months in it and the
    ranges of days left over at either end."""
    months: list[date] = []
    first = start.replace(day=1)
    if first < start:
        first = (first + timedelta(days=32)).replace(day=1)
    while True:
        after = (first + timedelta(days=32)).replace(day=1)
        if after - timedelta(days=1) > end:
            break
        months.append(first)
        first = after
    if not months:
        return [], [(start, end)]
    ranges = []
    if start < months[0]:
        ranges.append((start, months[0] - timedelta(days=1)))
    if first <= end:
        ranges.append((first, end))
    return months, ranges


def _medians(session: Session, *, start: date, end: date) -> dict[str, float | None]:
    """Per authority, the median time to action of the items of the orders
    received in [start, end], from the histogram: the month rows of whole
    months, the day rows of the other days."""
    months, ranges = month_spans(start, end)
    times = DailyActionTimes
    wanted = [and_(times.span == "day", times.day >= a, times.day <= b) for a, b in ranges]
    if months:
        wanted.append(and_(times.span == "month", times.day.in_(months)))
    names = dict(session.execute(select(Authority.id, Authority.name)).all())
    histograms: dict[str, Counter[int]] = defaultdict(Counter)
    sums: dict[str, Counter[int]] = defaultdict(Counter)
    for authority_id, bucket, n, micros in session.execute(
        select(times.authority_id, times.bucket, func.sum(times.items), func.sum(times.micros))
        .where(or_(*wanted))
        .group_by(times.authority_id, times.bucket)
    ):
        histograms[names[authority_id]][int(bucket)] += int(n)
        sums[names[authority_id]][int(bucket)] += int(micros)
    return {
        name: median_seconds({b: (n, sums[name][b]) for b, n in histogram.items()})
        for name, histogram in histograms.items()
    }


@dataclass
class _Cell:
    orders: int = 0
    status: Counter[str] = field(default_factory=Counter)


class OrderFigures:
    """Orders received in a period, per authority and local day of receipt, with
    their items by status, the items given an outcome by their deadline, and
    per authority the median time to action.

    Read from the daily aggregates (``ronda.transparency.aggregates``): one row
    per day and authority, and the non-empty buckets of the time-to-action
    histogram, however many items there are. The only live query counts the
    pending items whose deadline has not come yet (an index range over the
    deadlines still ahead), which the aggregates cannot know in advance."""

    def __init__(
        self,
        session: Session,
        *,
        start: date,
        end: date,
        tz: str,
        now: datetime,
        medians: bool = True,
    ):
        self.tz = tz
        self.cells: dict[tuple[str, date], _Cell] = defaultdict(_Cell)
        self.on_time: Counter[str] = Counter()
        self.due: Counter[str] = Counter()
        columns = [DailyOrders.__table__.c[c] for c in ITEM_STATUS_COLUMNS]
        for name, day, orders, on_time, *items in session.execute(
            select(
                Authority.name,
                DailyOrders.day,
                DailyOrders.orders,
                DailyOrders.on_time,
                *columns,
            )
            .join(Authority, Authority.id == DailyOrders.authority_id)
            .where(DailyOrders.day >= start, DailyOrders.day <= end)
        ):
            cell = self.cells[(name, self._day(day))]
            cell.orders += int(orders)
            for column, n in zip(ITEM_STATUS_COLUMNS, items, strict=True):
                if n:
                    cell.status[column] += int(n)
            self.on_time[name] += int(on_time)
            self.due[name] += sum(int(n) for n in items)
        # every item with an outcome is due; a pending item once its deadline passed
        lo, hi = utc_bounds(start, end, tz)
        not_yet_due = dict(
            session.execute(
                select(Authority.name, func.count(TakedownItem.id))
                .join(Takedown, Takedown.id == TakedownItem.takedown_id)
                .join(Authority, Authority.id == Takedown.authority_id)
                .where(
                    TakedownItem.deadline >= now,
                    TakedownItem.status == ItemStatus.PENDING.value,
                    Takedown.received_at >= lo,
                    Takedown.received_at < hi,
                    Takedown.status.in_(COUNTED_ORDERS),
                )
                .group_by(Authority.name)
            ).all()
        )
        for name, n in not_yet_due.items():
            self.due[name] -= int(n)
        self.medians: dict[str, float | None] = {}
        if medians:
            self.medians = _medians(session, start=start, end=end)

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
    and the reversals that took effect (from ``daily_appeals``)."""

    def day_of(value: Any) -> date:
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])

    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    for day, pending, granted, rejected, reversals in session.execute(
        select(
            DailyAppeals.day,
            DailyAppeals.pending,
            DailyAppeals.granted,
            DailyAppeals.rejected,
            DailyAppeals.reversals,
        ).where(DailyAppeals.day >= start, DailyAppeals.day <= end)
    ):
        if not (pending or granted or rejected or reversals):
            continue
        cell = per_day[day_of(day)]
        cell.update(
            appeals=int(pending + granted + rejected),
            pending=int(pending),
            granted=int(granted),
            rejected=int(rejected),
            reversals=int(reversals),
        )
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
