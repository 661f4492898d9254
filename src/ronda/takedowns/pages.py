"""Console pages of the takedown desk: the authority portal and the staff desk."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ronda.accounts import service as accounts
from ronda.accounts.models import Authority, Role
from ronda.audit import service as audit
from ronda.config import Settings
from ronda.errors import NotFound, RondaError, TooLarge
from ronda.jobs import service as jobs
from ronda.takedowns import service
from ronda.takedowns.api import visible_order
from ronda.takedowns.models import Channel, RawInput, RawStatus, Takedown
from ronda.takedowns.receive import Submission, process_raw, receive_submission
from ronda.takedowns.watch import due_items
from ronda.web.deps import Principal, console_user, get_db, get_settings_dep, require
from ronda.web.forms import form_str, territorial_scope
from ronda.web.render import render

router = APIRouter(include_in_schema=False)


# --- portal (liaison officers) -------------------------------------------------------


@router.get("/portal", response_class=HTMLResponse)
def portal(
    request: Request,
    principal: Principal = Depends(require(Role.AUTHORITY)),
    db: Session = Depends(get_db),
) -> Response:
    if principal.authority_id is None:
        raise NotFound("your account is not linked to an authority")
    authority = db.get(Authority, principal.authority_id)
    orders = service.list_orders(db, authority_id=principal.authority_id, limit=200)
    counts = service.item_counts(db, [o.id for o in orders])
    return render(
        request, "portal.html", {"orders": orders, "counts": counts, "authority": authority}
    )


@router.get("/portal/new", response_class=HTMLResponse)
def portal_new(
    request: Request, principal: Principal = Depends(require(Role.AUTHORITY))
) -> Response:
    return render(
        request,
        "portal_new.html",
        {"form": {}, "submission_id": secrets.token_urlsafe(16), "error": None},
    )


@router.post("/portal/new")
async def portal_submit(
    request: Request,
    principal: Principal = Depends(require(Role.AUTHORITY)),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    form = await request.form(max_files=5, max_fields=50)
    fields = {
        "letter_number": form_str(form, "letter_number", 200),
        "legal_basis": form_str(form, "legal_basis", 1000),
        "text": form_str(form, "text", 1_000_000),
        "urgent": form_str(form, "urgent", 5) == "1",
    }
    files: list[tuple[str, str | None, bytes]] = []
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(settings.limits.max_attachment_bytes + 1)
        if len(data) > settings.limits.max_attachment_bytes:
            raise TooLarge(
                f"the file is larger than {settings.limits.max_attachment_bytes:,} bytes"
            )
        files.append((upload.filename, upload.content_type, data))
    if not str(fields["text"]).strip() and not files:
        return render(
            request,
            "portal_new.html",
            {
                "form": fields,
                "submission_id": form_str(form, "submission_id", 64),
                "error": "Isi tautan atau lampirkan berkas. / Give links or attach a file.",
            },
            status=422,
        )
    assert principal.authority_id is not None
    try:
        result = receive_submission(
            request.app.state.factory,
            settings=settings,
            authority_id=principal.authority_id,
            channel=Channel.PORTAL,
            body=repr(sorted(fields.items())).encode(),
            submission=Submission(
                text=str(fields["text"]),
                letter_number=str(fields["letter_number"]) or None,
                legal_basis=str(fields["legal_basis"]) or None,
                urgent=True if fields["urgent"] else None,
                files=files,
            ),
            idempotency_key=form_str(form, "submission_id", 64) or None,
            user_id=principal.user.id if principal.user else None,
            actor=principal.actor,
        )
    except RondaError as exc:
        return render(
            request,
            "portal_new.html",
            {
                "form": fields,
                "submission_id": form_str(form, "submission_id", 64),
                "error": exc.message,
            },
            status=422,
        )
    return RedirectResponse(
        f"/portal/orders/{result.order.tracking_number}?received=1", status_code=303
    )


@router.get("/portal/orders/{tracking}", response_class=HTMLResponse)
def portal_order(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.AUTHORITY)),
    db: Session = Depends(get_db),
) -> Response:
    order = visible_order(db, principal, tracking)
    return render(
        request,
        "order.html",
        {
            "order": order,
            "staff": False,
            "history": [],
            "just_received": request.query_params.get("received") == "1",
        },
    )


# --- desk (staff) ------------------------------------------------------------------------


@router.get("/desk", response_class=HTMLResponse)
def desk(
    request: Request,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> Response:
    status = request.query_params.get("status", "open")
    orders = service.list_orders(db, status=status, limit=300)
    counts = service.item_counts(db, [o.id for o in orders])
    totals: dict[str, int] = {
        str(status): int(n)
        for status, n in db.execute(select(Takedown.status, func.count()).group_by(Takedown.status))
    }
    failed = list(
        db.scalars(
            select(RawInput)
            .where(RawInput.status == RawStatus.FAILED)
            .order_by(RawInput.id.desc())
            .limit(50)
        )
    )
    return render(
        request,
        "desk.html",
        {
            "orders": orders,
            "counts": counts,
            "status": status,
            "totals": totals,
            "failed": failed,
            "is_lead": principal.role in (Role.LEAD, Role.ADMIN),
            # deliveries that keep failing (mail, platform calls, notices), for leads
            "failing_jobs": jobs.failing(db, limit=50),
        },
    )


@router.get("/desk/due", response_class=HTMLResponse)
def desk_due(
    request: Request,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> Response:
    return render(request, "due.html", {"rows": due_items(db, limit=500)})


@router.get("/desk/takedowns/{tracking}", response_class=HTMLResponse)
def desk_order(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> Response:
    order = service.get_order(db, tracking)
    history = audit.history(db, object_type="takedown", object_id=order.tracking_number)
    return render(
        request,
        "order.html",
        {
            "order": order,
            "staff": True,
            "history": history,
            "just_received": False,
            "is_lead": principal.role in (Role.LEAD, Role.ADMIN),
            "authorities": accounts.list_authorities(db),
        },
    )


def _back(tracking: str) -> Response:
    return RedirectResponse(f"/desk/takedowns/{tracking}", status_code=303)


@router.post("/desk/takedowns/{tracking}/items")
async def desk_outcome(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> Response:
    form = await request.form()
    order = service.get_order(db, tracking)
    canonical = form_str(form, "canonical", 300)
    item = next((i for i in order.items if i.canonical == canonical), None)
    if item is None:
        raise NotFound(f"{canonical} is not an item of {order.tracking_number}")
    service.set_outcome(
        db,
        item=item,
        status=form_str(form, "status", 32),
        reason=form_str(form, "reason", 2000) or None,
        actor=principal.actor,
    )
    db.commit()
    return _back(order.tracking_number)


@router.post("/desk/takedowns/{tracking}/urgency")
async def desk_urgency(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    form = await request.form()
    order = service.get_order(db, tracking)
    service.set_urgency(
        db,
        settings=settings,
        order=order,
        urgent=form_str(form, "urgent", 2) == "1",
        actor=principal.actor,
        reason=form_str(form, "reason", 2000),
    )
    db.commit()
    return _back(order.tracking_number)


@router.post("/desk/takedowns/{tracking}/assign")
async def desk_assign(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
) -> Response:
    form = await request.form()
    order = service.get_order(db, tracking)
    authority = accounts.get_authority(db, form_str(form, "authority", 64))
    service.assign_quarantined(db, order=order, authority=authority, actor=principal.actor)
    db.commit()
    return _back(order.tracking_number)


@router.post("/desk/takedowns/{tracking}/reject")
async def desk_reject(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
) -> Response:
    form = await request.form()
    order = service.get_order(db, tracking)
    service.reject_quarantined(
        db, order=order, reason=form_str(form, "reason", 2000), actor=principal.actor
    )
    db.commit()
    return _back(order.tracking_number)


@router.post("/desk/raw/{raw_id}/reparse")
def desk_reparse(
    raw_id: int,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD)),
    settings: Settings = Depends(get_settings_dep),
) -> Response:
    result = process_raw(request.app.state.factory, settings=settings, raw_id=raw_id)
    return _back(result.order.tracking_number)


@router.post("/desk/takedowns/{tracking}/bulk")
async def desk_bulk(
    tracking: str,
    request: Request,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> Response:
    """One decision for every pending item of the order (after review)."""
    from ronda.cases.service import decide_order

    form = await request.form()
    order = service.get_order(db, tracking)
    user = console_user(db, principal)
    scope = territorial_scope(form_str(form, "territorial_scope", 200))
    decide_order(
        db,
        order_id=order.id,
        user=user,
        decision=form_str(form, "decision", 32),
        ground=form_str(form, "ground", 500),
        statement_of_reasons=form_str(form, "statement_of_reasons", 5000),
        territorial_scope=scope,
    )
    db.commit()
    return _back(order.tracking_number)
