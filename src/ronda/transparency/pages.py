"""``/transparency``: the public page (no login), with JSON and CSV of every table.

Everything here is a count from the daily aggregates; no personal data and no
content appears on it.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.transparency.models import DailyActions
from ronda.transparency.service import local_day
from ronda.web.deps import get_db, get_settings_dep
from ronda.web.render import render

router = APIRouter()
TABLES = ("daily", "category", "source", "kind")


def tables(db: Session, *, start: date, end: date) -> dict[str, list[dict[str, Any]]]:
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
    for name, column in (
        ("category", DailyActions.category),
        ("source", DailyActions.source),
        ("kind", DailyActions.kind),
    ):
        rows = db.execute(
            select(column, func.sum(DailyActions.count))
            .where(*base)
            .group_by(column)
            .order_by(func.sum(DailyActions.count).desc())
        ).all()
        out[name] = [{name: str(k), "actions": int(n)} for k, n in rows]
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
        from ronda.errors import BadInput

        raise BadInput("since and until are dates: YYYY-MM-DD") from None
    return start, end


@router.get("/transparency", response_class=HTMLResponse, include_in_schema=False)
def page(
    request: Request, db: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> Response:
    start, end = _period(request, settings)
    data = tables(db, start=start, end=end)
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
    rows = tables(db, start=start, end=end)[table]
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
