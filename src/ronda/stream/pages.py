"""``/stream/dead-letters``: leads see the poison messages of the stream and requeue them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ronda.accounts.models import Role
from ronda.audit import service as audit
from ronda.config import Settings
from ronda.stream.client import list_dead_letters, requeue_dead_letter, stream_status
from ronda.web.deps import Principal, get_db, get_settings_dep, require
from ronda.web.render import render

router = APIRouter(include_in_schema=False)

HEAD_BYTES = 200  # first bytes of each message shown


@router.get("/stream/dead-letters", response_class=HTMLResponse)
def dead_letters_page(
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    status = stream_status(settings)
    letters = []
    unreachable = False
    try:
        letters = list_dead_letters(settings, limit=200, head_bytes=HEAD_BYTES)
    except Exception:
        unreachable = True
    rows = [d.summary() for d in letters]
    return render(
        request,
        "stream_dead_letters.html",
        {
            "letters": rows,
            "status": status,
            "unreachable": unreachable,
            "stream_name": settings.stream.name,
            "requeued": request.query_params.get("requeued", "")[:20],
        },
    )


@router.post("/stream/dead-letters/{seq}/requeue")
def requeue(
    seq: int,
    principal: Principal = Depends(require(Role.LEAD)),
    settings: Settings = Depends(get_settings_dep),
    db: Session = Depends(get_db),
) -> Response:
    letter = requeue_dead_letter(settings, seq)
    audit.record(
        db,
        actor=principal.actor,
        action="stream.dead_letter_requeued",
        object_type="dead_letter",
        object_id=str(seq),
        data={"reason": letter.reason, "attempts": letter.attempts, "post": letter.post},
    )
    db.commit()
    return RedirectResponse(f"/stream/dead-letters?requeued={seq}", status_code=303)
