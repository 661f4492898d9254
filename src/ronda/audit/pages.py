"""``/audit``: leads search the audit log (who did what to which object, when)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role
from ronda.audit.models import AuditEvent
from ronda.web.deps import Principal, get_db, require
from ronda.web.render import render

router = APIRouter(include_in_schema=False)
FIELDS = ("actor", "action", "object_type", "object_id")


@router.get("/audit", response_class=HTMLResponse)
def audit_search(
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
) -> Response:
    params = {k: request.query_params.get(k, "").strip()[:200] for k in FIELDS}
    before = request.query_params.get("before", "")
    query = select(AuditEvent)
    for key, value in params.items():
        if not value:
            continue
        column = getattr(AuditEvent, key)
        # actor and action by prefix ("user:", "case."), objects exactly
        query = query.where(
            column.startswith(value) if key in ("actor", "action") else column == value
        )
    if before.isdigit():
        query = query.where(AuditEvent.seq < int(before))
    events = list(db.scalars(query.order_by(AuditEvent.seq.desc()).limit(100)))
    return render(request, "audit.html", {"events": events, "params": params})
