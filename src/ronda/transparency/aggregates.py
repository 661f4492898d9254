"""Daily aggregates of authority orders and appeals, kept as each event happens.

The transparency page reads these instead of grouping every order item and
appeal of the period at request time (docs/transparency.md, "Speed"):

- ``daily_orders``: per local day of receipt and authority, the orders and
  their items by current status, and the items given an outcome by their
  deadline;
- ``daily_action_times``: per local day of receipt and authority, a histogram
  of the time from the order's receipt to each item's action, from which
  ``median_seconds`` gives the median;
- ``daily_appeals``: per local day, appeals received by current status, and
  the reversals that took effect that day.

Every change is an increment in the transaction of the event (an order
opened or assigned out of quarantine, items added, an item's outcome, an
appeal received or decided, a restore carried out). ``rebuild`` recomputes
the same rows from the records, for a changed time zone or a repair.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, delete, select, update
from sqlalchemy.orm import Session

from ronda.db.upsert import insert_ignore, insert_many
from ronda.transparency.models import (
    ITEM_STATUS_COLUMNS,
    DailyActions,
    DailyActionTimes,
    DailyAppeals,
    DailyOrders,
)

#: orders acted on as orders (the values of OrderStatus.OPEN and CLOSED)
COUNTED_ORDERS = ("open", "closed")
SECOND = 1_000_000  # microseconds
#: buckets per doubling of the duration (above 128 seconds; one per second below)
SUB_BUCKETS = 64


def _tz(tz: str | None) -> str:
    if tz:
        return tz
    from ronda.config import get_settings

    return get_settings().timezone


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(moment: datetime, tz: str) -> date:
    return _aware(moment).astimezone(ZoneInfo(tz)).date()


def micros_between(start: datetime, end: datetime) -> int:
    """Whole microseconds from ``start`` to ``end``; a negative span (an outcome
    recorded before the order's receipt) counts as 0."""
    return max(0, (_aware(end) - _aware(start)) // timedelta(microseconds=1))


def bucket_of(micros: int) -> int:
    """The histogram bucket of a duration: whole seconds below 128 s; above,
    64 buckets per doubling, so a bucket is less than 1/64 (1.6 %) as wide as
    the durations in it (a log-linear histogram, with integers only)."""
    seconds = micros // SECOND
    shift = max(0, seconds.bit_length() - 7)
    return SUB_BUCKETS * shift + (seconds >> shift)


def bucket_bounds(bucket: int) -> tuple[int, int]:
    """[low, high) of a bucket, in microseconds."""
    shift = max(0, bucket // SUB_BUCKETS - 1)
    mantissa = bucket - SUB_BUCKETS * shift
    return (mantissa << shift) * SECOND, ((mantissa + 1) << shift) * SECOND


def median_seconds(histogram: Mapping[int, tuple[int, int]]) -> float | None:
    """The median duration, in seconds, from ``{bucket: (items, micros)}``.

    Exact when the middle item is alone in its bucket (or the two middle items
    are the whole of theirs): the bucket's sum is then its duration. Otherwise
    the middle item is placed by linear interpolation within its bucket, so
    the result is off by less than the bucket's width: a second below two
    minutes, less than 1/64 of the median (1.6 %) above.
    """
    buckets = sorted((b, n, m) for b, (n, m) in histogram.items() if n > 0)
    total = sum(n for _, n, _ in buckets)
    if not total:
        return None

    def locate(rank: int) -> tuple[int, int, int, int]:
        seen = 0
        for b, n, m in buckets:
            if rank < seen + n:
                return b, n, m, rank - seen
            seen += n
        raise AssertionError("rank beyond the histogram")  # pragma: no cover

    def value(rank: int) -> float:
        b, n, m, j = locate(rank)
        if n == 1:
            return float(m)
        low, high = bucket_bounds(b)
        return low + (high - low) * (j + 0.5) / n

    if total % 2:
        return value(total // 2) / 1e6
    first, second = locate(total // 2 - 1), locate(total // 2)
    if first[0] == second[0] and first[1] == 2:
        return first[2] / 2 / 1e6
    return (value(total // 2 - 1) + value(total // 2)) / 2 / 1e6


# --- increments -------------------------------------------------------------------------


def _bump(session: Session, table: Table, key: dict[str, Any], deltas: Mapping[str, int]) -> None:
    """Add ``deltas`` to the row of ``key`` (created with zeros if missing)."""
    deltas = {c: n for c, n in deltas.items() if n}
    if not deltas:
        return
    zeros = {c.name: 0 for c in table.columns if c.name not in key and c.name != "id"}
    insert_ignore(session, table, [{**key, **zeros}])
    session.execute(
        update(table)
        .where(and_(*(table.c[k] == v for k, v in key.items())))
        .values({c: table.c[c] + n for c, n in deltas.items()})
    )


def _orders_table() -> Table:
    return DailyOrders.__table__  # type: ignore[return-value]


def _times_table() -> Table:
    return DailyActionTimes.__table__  # type: ignore[return-value]


def _appeals_table() -> Table:
    return DailyAppeals.__table__  # type: ignore[return-value]


def item_deltas(
    *,
    status: str,
    outcome_at: datetime | None,
    deadline: datetime,
    sign: int = 1,
) -> dict[str, int]:
    """What one item in this state adds to its ``daily_orders`` row."""
    column = status if status in ITEM_STATUS_COLUMNS else "pending"
    on_time = outcome_at is not None and _aware(outcome_at) <= _aware(deadline)
    return {column: sign, "on_time": sign if on_time else 0}


def _item(
    session: Session,
    *,
    day: date,
    authority_id: int,
    received_at: datetime,
    status: str,
    outcome_at: datetime | None,
    deadline: datetime,
    sign: int,
) -> None:
    key = {"day": day, "authority_id": authority_id}
    _bump(
        session,
        _orders_table(),
        key,
        item_deltas(status=status, outcome_at=outcome_at, deadline=deadline, sign=sign),
    )
    if status == "actioned" and outcome_at is not None:
        micros = micros_between(received_at, outcome_at)
        for span, first in (("day", day), ("month", day.replace(day=1))):
            _bump(
                session,
                _times_table(),
                {
                    "span": span,
                    "day": first,
                    "authority_id": authority_id,
                    "bucket": bucket_of(micros),
                },
                {"items": sign, "micros": sign * micros},
            )


def counts(order: Any) -> bool:
    """Whether an order's figures are published (open or closed, with an authority)."""
    return order.status in COUNTED_ORDERS and order.authority_id is not None


def order_opened(session: Session, *, order: Any, tz: str | None = None) -> None:
    """An order now counts (opened, or assigned out of quarantine): it and the
    items it names as they are now."""
    if not counts(order):
        return
    tz = _tz(tz)
    day = _day(order.received_at, tz)
    _bump(session, _orders_table(), {"day": day, "authority_id": order.authority_id}, {"orders": 1})
    from ronda.takedowns.models import TakedownItem

    for status, outcome_at, deadline in session.execute(
        select(TakedownItem.status, TakedownItem.outcome_at, TakedownItem.deadline).where(
            TakedownItem.takedown_id == order.id
        )
    ):
        _item(
            session,
            day=day,
            authority_id=order.authority_id,
            received_at=order.received_at,
            status=status,
            outcome_at=outcome_at,
            deadline=deadline,
            sign=1,
        )


def items_added(session: Session, *, order: Any, n: int, tz: str | None = None) -> None:
    """``n`` new pending items on an order that counts."""
    if n and counts(order):
        key = {"day": _day(order.received_at, _tz(tz)), "authority_id": order.authority_id}
        _bump(session, _orders_table(), key, {"pending": n})


def item_changed(
    session: Session,
    *,
    order: Any,
    before: tuple[str, datetime | None, datetime],
    after: tuple[str, datetime | None, datetime],
    tz: str | None = None,
) -> None:
    """An item of ``order`` went from ``before`` to ``after`` (status, outcome
    time, deadline): its old contribution comes off, its new one goes on."""
    if not counts(order) or before == after:
        return
    day = _day(order.received_at, _tz(tz))
    for (status, outcome_at, deadline), sign in ((before, -1), (after, 1)):
        _item(
            session,
            day=day,
            authority_id=order.authority_id,
            received_at=order.received_at,
            status=status,
            outcome_at=outcome_at,
            deadline=deadline,
            sign=sign,
        )


def appeal_changed(
    session: Session,
    *,
    received_at: datetime,
    before: str | None,
    after: str,
    tz: str | None = None,
) -> None:
    """An appeal was received (``before`` None) or its status changed."""
    deltas: Counter[str] = Counter()
    for status, sign in ((before, -1), (after, 1)):
        if status in ("pending", "granted", "rejected"):
            deltas[status] += sign
    _bump(session, _appeals_table(), {"day": _day(received_at, _tz(tz))}, deltas)


def reversal_done(session: Session, *, succeeded_at: datetime, tz: str | None = None) -> None:
    """A restore action reversing an earlier one took effect."""
    _bump(session, _appeals_table(), {"day": _day(succeeded_at, _tz(tz))}, {"reversals": 1})


# --- rebuild ----------------------------------------------------------------------------


def compute(session: Session, *, tz: str) -> dict[str, list[dict[str, Any]]]:
    """The rows of the three tables, recomputed from orders, items, appeals and
    restore actions: what the increments above add up to."""
    from ronda.actions.models import Action, ActionStatus
    from ronda.reports.models import Appeal
    from ronda.takedowns.models import Takedown, TakedownItem

    orders: dict[tuple[date, int | None], Counter[str]] = defaultdict(Counter)
    times: dict[tuple[str, date, int | None, int], Counter[str]] = defaultdict(Counter)
    counted = (Takedown.status.in_(COUNTED_ORDERS), Takedown.authority_id.is_not(None))
    for received_at, authority_id in session.execute(
        select(Takedown.received_at, Takedown.authority_id).where(*counted)
    ):
        orders[(_day(received_at, tz), authority_id)]["orders"] += 1
    for received_at, authority_id, status, outcome_at, deadline in session.execute(
        select(
            Takedown.received_at,
            Takedown.authority_id,
            TakedownItem.status,
            TakedownItem.outcome_at,
            TakedownItem.deadline,
        )
        .join(Takedown, Takedown.id == TakedownItem.takedown_id)
        .where(*counted)
    ):
        day = _day(received_at, tz)
        orders[(day, authority_id)].update(
            item_deltas(status=status, outcome_at=outcome_at, deadline=deadline)
        )
        if status == "actioned" and outcome_at is not None:
            micros = micros_between(received_at, outcome_at)
            for span, first in (("day", day), ("month", day.replace(day=1))):
                cell = times[(span, first, authority_id, bucket_of(micros))]
                cell["items"] += 1
                cell["micros"] += micros
    appeals: dict[date, Counter[str]] = defaultdict(Counter)
    for received_at, status in session.execute(select(Appeal.received_at, Appeal.status)):
        if status in ("pending", "granted", "rejected"):
            appeals[_day(received_at, tz)][status] += 1
    for (succeeded_at,) in session.execute(
        select(Action.succeeded_at).where(
            Action.reverses_id.is_not(None),
            Action.kind == "restore",
            Action.status == ActionStatus.SUCCEEDED.value,
            Action.succeeded_at.is_not(None),
        )
    ):
        if succeeded_at is not None:
            appeals[_day(succeeded_at, tz)]["reversals"] += 1
    order_columns = ("orders", *ITEM_STATUS_COLUMNS, "on_time")
    return {
        "daily_orders": [
            {"day": d, "authority_id": a, **{c: cell[c] for c in order_columns}}
            for (d, a), cell in sorted(orders.items())
        ],
        "daily_action_times": [
            {
                "span": p,
                "day": d,
                "authority_id": a,
                "bucket": b,
                "items": c["items"],
                "micros": c["micros"],
            }
            for (p, d, a, b), c in sorted(times.items())
        ],
        "daily_appeals": [
            {"day": d, **{c: cell[c] for c in ("pending", "granted", "rejected", "reversals")}}
            for d, cell in sorted(appeals.items())
        ],
    }


def compute_actions(session: Session, *, tz: str) -> list[dict[str, Any]]:
    """The rows of ``daily_actions``, recomputed from the actions carried out:
    what ``transparency.service.count_success`` adds as each succeeds."""
    from ronda.actions.models import Action, ActionStatus
    from ronda.transparency.service import COUNTED

    counts: Counter[tuple[date, str, str, str]] = Counter()
    for succeeded_at, category, source, kind in session.execute(
        select(Action.succeeded_at, Action.category, Action.source, Action.kind)
        .where(
            Action.status == ActionStatus.SUCCEEDED.value,
            Action.kind.in_(COUNTED),
            Action.succeeded_at.is_not(None),
        )
        .execution_options(yield_per=10_000)
    ):
        if succeeded_at is not None:
            counts[(_day(succeeded_at, tz), category or "other", source or "other", kind)] += 1
    return [
        {"day": d, "category": c, "source": s, "kind": k, "count": n}
        for (d, c, s, k), n in sorted(counts.items())
    ]


def stored(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The rows the three tables hold now (zero rows left out), in ``compute``'s shape."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, order in (
        (_orders_table(), ("day", "authority_id")),
        (_times_table(), ("span", "day", "authority_id", "bucket")),
        (_appeals_table(), ("day",)),
    ):
        rows = session.execute(select(table).order_by(*(table.c[c] for c in order))).mappings()
        out[table.name] = [
            {k: v for k, v in row.items() if k != "id"}
            for row in rows
            if any(v for k, v in row.items() if k not in ("id", *order))
        ]
    return out


def rebuild(session: Session, *, tz: str | None = None, actions: bool = False) -> dict[str, int]:
    """Empty the three tables (and ``daily_actions`` with ``actions``) and fill
    them again from the records; returns the rows written per table."""
    tz = _tz(tz)
    rows = compute(session, tz=tz)
    tables = [_orders_table(), _times_table(), _appeals_table()]
    if actions:
        rows["daily_actions"] = compute_actions(session, tz=tz)
        tables.append(DailyActions.__table__)  # type: ignore[arg-type]
    written: dict[str, int] = {}
    for table in tables:
        session.execute(delete(table))
        insert_many(session, table, rows[table.name])
        written[table.name] = len(rows[table.name])
    return written
