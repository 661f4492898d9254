"""``/search`` (console) and ``GET /api/v1/search`` (JSON): the same search."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ronda.accounts.models import Role
from ronda.db.base import iso_z
from ronda.search.service import Found, search
from ronda.web.deps import Principal, current_principal, get_db
from ronda.web.render import render

router = APIRouter()


def _scope(principal: Principal) -> int | None:
    if principal.is_staff:
        return None
    if principal.role == Role.AUTHORITY and principal.authority_id is not None:
        return principal.authority_id
    from ronda.errors import Forbidden

    raise Forbidden("search is for staff and liaison officers")


def as_json(found: Found) -> dict[str, Any]:
    return {
        "query": found.query,
        "subjects": [{"canonical": s.canonical, "kind": s.kind} for s in found.subjects],
        "orders": [
            {
                "tracking_number": o.tracking_number,
                "status": o.status,
                "deadline": iso_z(o.deadline),
            }
            for o in found.orders
        ],
        "items": [
            {
                "tracking_number": o.tracking_number,
                "canonical": i.canonical,
                "status": i.status,
                "outcome_at": iso_z(i.outcome_at) if i.outcome_at else None,
            }
            for i, o in found.items
        ],
        "cases": [
            {"id": c.id, "category": c.category, "status": c.status, "decision": c.decision}
            for c in found.cases
        ],
        "reports": [
            {"id": r.id, "category": r.category, "outcome": r.outcome} for r in found.reports
        ],
        "actions": [
            {
                "id": a.id,
                "kind": a.kind,
                "subject": a.canonical,
                "status": a.status,
                "succeeded_at": iso_z(a.succeeded_at) if a.succeeded_at else None,
            }
            for a in found.actions
        ],
        "not_understood": found.not_understood,
    }


@router.get("/api/v1/search", tags=["search"])
def search_api(
    q: Annotated[str, Query(min_length=1, max_length=5000)],
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """What happened to this link? Links and tracking numbers anywhere in ``q``."""
    return as_json(search(db, q, authority_id=_scope(principal)))


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
) -> Response:
    q = request.query_params.get("q", "")[:5000]
    found = search(db, q, authority_id=_scope(principal)) if q.strip() else None
    return render(request, "search.html", {"q": q, "found": found})
