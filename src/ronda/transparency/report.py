"""Periodic transparency reports: DSA Article 15, TCO Article 7 and the
government-request table, for a year, half, quarter or month.

Every figure comes from the same records as the page and the audit log:
``daily_actions`` for actions, the takedown tables for orders, ``reports`` for
notices, ``appeals`` and restore actions for appeals and reversals. The
mapping of Ronda's statuses to the published columns is in
docs/transparency.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ronda.accounts.models import Authority
from ronda.actions.models import Action, ActionKind, ActionStatus
from ronda.detection.models import Case
from ronda.errors import BadInput
from ronda.reports.models import Appeal, Report
from ronda.takedowns.models import ItemStatus, Takedown, TakedownItem
from ronda.transparency import stats
from ronda.transparency.models import DailyActions
from ronda.transparency.statements import LEGAL_GROUND

PERIOD = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{2}))?$")
#: the categories the TCO Regulation is about
TCO_CATEGORIES = ("terrorism", "eu_removal_order")
#: the government-request columns and the item statuses behind them
GOVERNMENT_COLUMNS = (
    "requests",
    "items",
    "removed_by_law",
    "removed_by_policy",
    "not_found",
    "not_enough_information",
    "no_action_taken",
    "already_removed",
    "pending",
)


def parse_period(text: str) -> tuple[date, date]:
    """YYYY, YYYY-H1, YYYY-H2, YYYY-Q1..Q4 or YYYY-MM -> (first day, last day)."""
    match = PERIOD.match(text.strip().upper())
    if not match:
        raise BadInput(f"period {text!r}: use YYYY, YYYY-H1/H2, YYYY-Q1..Q4 or YYYY-MM")
    year, part = int(match.group(1)), match.group(2)
    if part is None:
        first_month, months = 1, 12
    elif part.startswith("H"):
        first_month, months = (1 if part == "H1" else 7), 6
    elif part.startswith("Q"):
        first_month, months = 3 * (int(part[1]) - 1) + 1, 3
    else:
        first_month, months = int(part), 1
        if not 1 <= first_month <= 12:
            raise BadInput(f"period {text!r}: no month {part}")
    start = date(year, first_month, 1)
    end_month = first_month + months
    end = (date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)) - timedelta(days=1)
    return start, end


def government_requests(
    session: Session, *, start: date, end: date, tz: str
) -> list[dict[str, Any]]:
    """Per authority, orders received in the period and their items' outcomes."""
    lo, hi = stats.utc_bounds(start, end, tz)
    orders = Counter(
        dict(
            session.execute(  # type: ignore[arg-type]
                select(Authority.name, func.count(Takedown.id))
                .join(Authority, Authority.id == Takedown.authority_id)
                .where(
                    Takedown.received_at >= lo,
                    Takedown.received_at < hi,
                    Takedown.status.in_(stats.COUNTED_ORDERS),
                )
                .group_by(Authority.name)
            ).all()
        )
    )
    rows: dict[str, dict[str, int]] = {name: {c: 0 for c in GOVERNMENT_COLUMNS} for name in orders}
    for name, with_basis, status, n in session.execute(
        select(
            Authority.name,
            Takedown.legal_basis.is_not(None),
            TakedownItem.status,
            func.count(TakedownItem.id),
        )
        .join(Takedown, Takedown.id == TakedownItem.takedown_id)
        .join(Authority, Authority.id == Takedown.authority_id)
        .where(
            Takedown.received_at >= lo,
            Takedown.received_at < hi,
            Takedown.status.in_(stats.COUNTED_ORDERS),
        )
        .group_by(Authority.name, Takedown.legal_basis.is_not(None), TakedownItem.status)
    ):
        row = rows[name]
        row["items"] += n
        column = {
            ItemStatus.ACTIONED: "removed_by_law" if with_basis else "removed_by_policy",
            ItemStatus.NOT_FOUND: "not_found",
            ItemStatus.REJECTED: "not_enough_information",
            ItemStatus.NO_VIOLATION: "no_action_taken",
            ItemStatus.ALREADY_REMOVED: "already_removed",
            ItemStatus.PENDING: "pending",
        }.get(ItemStatus(status))
        if column:
            row[column] += n
    for name, n in orders.items():
        rows[name]["requests"] = n
    return [{"authority": name, **rows[name]} for name in sorted(rows)]


def _notices(session: Session, *, start: date, end: date, tz: str) -> dict[str, Any]:
    """User reports (DSA Art. 16 notices) received in the period."""
    lo, hi = stats.utc_bounds(start, end, tz)
    by_category: Counter[str] = Counter()
    outcome: Counter[str] = Counter()
    waits: list[float] = []
    upheld_cases: list[int] = []
    for category, out, received_at, outcome_at, case_id in session.execute(
        select(
            Report.category, Report.outcome, Report.received_at, Report.outcome_at, Report.case_id
        ).where(Report.received_at >= lo, Report.received_at < hi)
    ):
        by_category[category] += 1
        outcome[out or "pending"] += 1
        if out and outcome_at is not None:
            waits.append((stats._aware(outcome_at) - stats._aware(received_at)).total_seconds())
        if out == "upheld" and case_id is not None:
            upheld_cases.append(case_id)
    by_law = by_terms = automatic = 0
    grounds: dict[int, str] = {}
    deciders: dict[int, str] = {}
    for chunk in stats._chunks(sorted(set(upheld_cases))):
        grounds.update(
            session.execute(  # type: ignore[arg-type]
                select(Action.case_id, Action.ground).where(
                    Action.case_id.in_(chunk), Action.reverses_id.is_(None)
                )
            ).all()
        )
        deciders.update(
            session.execute(  # type: ignore[arg-type]
                select(Case.id, Case.decided_by).where(Case.id.in_(chunk))
            ).all()
        )
    for case_id in upheld_cases:
        if LEGAL_GROUND.search(grounds.get(case_id) or ""):
            by_law += 1
        else:
            by_terms += 1
        if not (deciders.get(case_id) or "").startswith("user:"):
            automatic += 1
    return {
        "received": sum(by_category.values()),
        "by_category": dict(sorted(by_category.items())),
        "from_trusted_flaggers": 0,
        "acted_on": outcome["upheld"],
        "acted_on_by_law": by_law,
        "acted_on_by_terms": by_terms,
        "rejected": outcome["rejected"],
        "pending": outcome["pending"],
        "processed_automatically": automatic,
        "median_hours_to_act": stats.hours(stats.median(waits)),
    }


def _actions(
    session: Session, *, start: date, end: date, sources: tuple[str, ...] | None, exclude: bool
) -> list[dict[str, Any]]:
    query = select(DailyActions.kind, DailyActions.category, func.sum(DailyActions.count)).where(
        DailyActions.day >= start, DailyActions.day <= end
    )
    if sources is not None:
        column = DailyActions.source
        query = query.where(column.not_in(sources) if exclude else column.in_(sources))
    rows = session.execute(
        query.group_by(DailyActions.kind, DailyActions.category).order_by(
            DailyActions.kind, DailyActions.category
        )
    )
    return [{"kind": k, "category": c, "actions": int(n)} for k, c, n in rows]


def own_initiative(session: Session, *, start: date, end: date, tz: str) -> list[dict[str, Any]]:
    """Actions carried out in the period that neither an order nor a user report
    asked for (DSA Art. 15(1)(c)), by restriction type and category."""
    lo, hi = stats.utc_bounds(start, end, tz)
    reported = select(Report.id).where(Report.case_id == Action.case_id).exists()
    rows = session.execute(
        select(Action.kind, Action.category, func.count(Action.id))
        .where(
            Action.status == ActionStatus.SUCCEEDED.value,
            Action.kind != ActionKind.RESTORE.value,
            Action.source != "order",
            Action.succeeded_at >= lo,
            Action.succeeded_at < hi,
            ~reported,
        )
        .group_by(Action.kind, Action.category)
        .order_by(Action.kind, Action.category)
    )
    return [{"kind": k, "category": c or "other", "actions": int(n)} for k, c, n in rows]


def _tco(session: Session, *, start: date, end: date, tz: str) -> dict[str, Any]:
    lo, hi = stats.utc_bounds(start, end, tz)
    tco_orders = [
        order_id
        for order_id, categories in session.execute(
            select(Takedown.id, Takedown.categories).where(
                Takedown.received_at >= lo,
                Takedown.received_at < hi,
                Takedown.status.in_(stats.COUNTED_ORDERS),
            )
        )
        if set(categories or []) & set(TCO_CATEGORIES)
    ]
    items: Counter[str] = Counter()
    for counts in stats._item_counts(session, tco_orders).values():
        items.update(counts)
    own = sum(
        r["actions"]
        for r in _actions(session, start=start, end=end, sources=("order",), exclude=True)
        if r["category"] == "terrorism"
    )
    appeals: Counter[str] = Counter()
    for status, n in session.execute(
        select(Appeal.status, func.count(Appeal.id))
        .join(Case, Case.id == Appeal.case_id)
        .where(
            Appeal.received_at >= lo,
            Appeal.received_at < hi,
            Case.category.in_(TCO_CATEGORIES),
        )
        .group_by(Appeal.status)
    ):
        appeals[status] += int(n)
    reinstated = session.scalar(
        select(func.count(Action.id)).where(
            Action.reverses_id.is_not(None),
            Action.kind == ActionKind.RESTORE.value,
            Action.status == ActionStatus.SUCCEEDED.value,
            Action.category.in_(TCO_CATEGORIES),
            Action.succeeded_at >= lo,
            Action.succeeded_at < hi,
        )
    )
    return {
        "items_removed_by_order": items[ItemStatus.ACTIONED],
        "items_removed_by_own_measures": own,
        "order_items_not_acted_on": {
            "no_violation": items[ItemStatus.NO_VIOLATION],
            "not_found": items[ItemStatus.NOT_FOUND],
            "already_removed": items[ItemStatus.ALREADY_REMOVED],
            "rejected": items[ItemStatus.REJECTED],
            "pending": items[ItemStatus.PENDING],
        },
        "complaints": sum(appeals.values()),
        "complaints_granted": appeals["granted"],
        "complaints_rejected": appeals["rejected"],
        "reinstatements": int(reinstated or 0),
    }


def build(session: Session, *, period: str, tz: str, now: datetime) -> dict[str, Any]:
    start, end = parse_period(period)
    orders = stats.order_summary(session, start=start, end=end, tz=tz, now=now)
    return {
        "period": period.upper(),
        "since": start.isoformat(),
        "until": end.isoformat(),
        "timezone": tz,
        "dsa_article_15": {
            "orders": orders,
            "notices": _notices(session, start=start, end=end, tz=tz),
            "own_initiative": own_initiative(session, start=start, end=end, tz=tz),
            "appeals": stats.appeal_summary(session, start=start, end=end, tz=tz),
        },
        "tco_article_7": _tco(session, start=start, end=end, tz=tz),
        "government_requests": government_requests(session, start=start, end=end, tz=tz),
    }


def _flatten(prefix: str, value: Any, out: list[tuple[str, str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
    elif isinstance(value, list):
        for row in value:
            label = ";".join(f"{k}={v}" for k, v in row.items() if isinstance(v, str))
            for key, inner in row.items():
                if not isinstance(inner, str):
                    out.append((f"{prefix}.{key}", label, "" if inner is None else str(inner)))
    else:
        out.append((prefix, "", "" if value is None else str(value)))


def to_csv(report: dict[str, Any]) -> str:
    """One line per figure: section (dotted), row (the names that pick it out), value."""
    lines: list[tuple[str, str, str]] = [
        (key, "", str(report[key])) for key in ("period", "since", "until", "timezone")
    ]
    for key in ("dsa_article_15", "tco_article_7", "government_requests"):
        _flatten(key, report[key], lines)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["section", "row", "value"])
    writer.writerows(lines)
    return buf.getvalue()
