"""``/transparency``: the public page (no login), with JSON and CSV of every table.

Every figure is a count: actions from the daily aggregates, orders, appeals and
reversals from cheap grouped queries (``ronda.transparency.stats``). No personal
data and no content appears on it; authorities appear by their public name.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.errors import BadInput
from ronda.transparency import stats
from ronda.transparency.models import DailyActions
from ronda.transparency.service import local_day
from ronda.web.deps import get_db, get_settings_dep
from ronda.web.render import render

router = APIRouter()
#: the longest period one request may ask for (two years and a day)
MAX_DAYS = 731
TABLES = (
    "daily",
    "monthly",
    "category",
    "source",
    "kind",
    "authorities",
    "orders_daily",
    "orders_monthly",
    "appeals_daily",
    "appeals_monthly",
)


def tables(
    db: Session,
    *,
    start: date,
    end: date,
    tz: str,
    now: datetime | None = None,
    only: str | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The tables of the page for [start, end] (local days in ``tz``); with
    ``only``, just what that one table needs."""
    out: dict[str, list[dict[str, Any]]] = {}
    if only is None or only in ("daily", "monthly", "category", "source", "kind"):
        out.update(action_tables(db, start=start, end=end))
        monthly: dict[str, int] = {}
        for row in out["daily"]:
            monthly[row["day"][:7]] = monthly.get(row["day"][:7], 0) + row["actions"]
        out["monthly"] = [{"month": m, "actions": n} for m, n in sorted(monthly.items())]
    if only is None or only in ("authorities", "orders_daily", "orders_monthly"):
        orders = stats.OrderFigures(
            db,
            start=start,
            end=end,
            tz=tz,
            now=now or utcnow(),
            medians=only in (None, "authorities"),
        )
        out["authorities"] = orders.by_authority()
        out["orders_daily"] = orders.over_time("day")
        out["orders_monthly"] = orders.over_time("month")
    if only is None or only in ("appeals_daily", "appeals_monthly"):
        appeals = stats.appeals_tables(db, start=start, end=end, tz=tz)
        out["appeals_daily"] = appeals["day"]
        out["appeals_monthly"] = appeals["month"]
    return out


def action_tables(db: Session, *, start: date, end: date) -> dict[str, list[dict[str, Any]]]:
    base = (DailyActions.day >= start, DailyActions.day <= end)
    daily = db.execute(
        select(DailyActions.day, func.sum(DailyActions.count))
        .where(*base)
        .group_by(DailyActions.day)
        .order_by(DailyActions.day)
    ).all()
    out: dict[str, list[dict[str, Any]]] = {
        "daily": [{"day": d.isoformat(), "actions": int(n)} for d, n in daily]
    }
    # one pass for the three breakdowns: a few dozen rows, summed here
    totals: dict[str, dict[str, int]] = {"category": {}, "source": {}, "kind": {}}
    for category, source, kind, n in db.execute(
        select(
            DailyActions.category,
            DailyActions.source,
            DailyActions.kind,
            func.sum(DailyActions.count),
        )
        .where(*base)
        .group_by(DailyActions.category, DailyActions.source, DailyActions.kind)
    ):
        for name, key in (("category", category), ("source", source), ("kind", kind)):
            totals[name][str(key)] = totals[name].get(str(key), 0) + int(n)
    for name, counts in totals.items():
        out[name] = [
            {name: k, "actions": n}
            for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
    return out


def _period(request: Request, settings: Settings) -> tuple[date, date]:
    today = local_day(utcnow(), settings.timezone)
    try:
        end = (
            date.fromisoformat(request.query_params.get("until", ""))
            if request.query_params.get("until")
            else today
        )
        start = (
            date.fromisoformat(request.query_params["since"])
            if request.query_params.get("since")
            else end - timedelta(days=30)
        )
    except ValueError:
        raise BadInput("since and until are dates: YYYY-MM-DD") from None
    if start > end:
        raise BadInput("since comes after until")
    if (end - start).days > MAX_DAYS:
        raise BadInput(f"at most {MAX_DAYS} days at a time")
    return start, end


@router.get("/transparency", response_class=HTMLResponse, include_in_schema=False)
def page(
    request: Request, db: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> Response:
    start, end = _period(request, settings)
    data = tables(db, start=start, end=end, tz=settings.timezone)
    peak = max((r["actions"] for r in data["daily"]), default=0)
    return render(
        request,
        "transparency.html",
        {
            "data": data,
            "start": start,
            "end": end,
            "peak": peak,
            "total": sum(r["actions"] for r in data["daily"]),
            "order_peak": max((r["items"] for r in data["authorities"]), default=0),
        },
    )


@router.get("/transparency/{table}.{fmt}", include_in_schema=False)
def download(
    table: str,
    fmt: str,
    request: Request,
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    from ronda.errors import NotFound

    if table not in TABLES or fmt not in ("json", "csv"):
        raise NotFound(f"no table {table}.{fmt}")
    start, end = _period(request, settings)
    rows = tables(db, start=start, end=end, tz=settings.timezone, only=table)[table]
    if fmt == "json":
        return JSONResponse({"since": start.isoformat(), "until": end.isoformat(), "rows": rows})
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["actions"])
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buf.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="ronda-{table}-{start}-{end}.csv"'},
    )
