"""JSON API of the takedown desk (``/api/v1/takedowns``). Thin: parse, call, answer."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ronda.accounts.models import Role
from ronda.config import Settings
from ronda.db.base import iso_z
from ronda.errors import BadInput, Forbidden, NotFound, TooLarge
from ronda.takedowns import notices, service
from ronda.takedowns.models import Channel, TakedownItem
from ronda.takedowns.receive import Received, Submission, receive_submission
from ronda.takedowns.schemas import (
    Acknowledgment,
    OutcomeSet,
    TakedownCreate,
    TakedownRead,
    TakedownSummary,
    UrgencySet,
)
from ronda.takedowns.watch import due_items
from ronda.web.deps import Principal, current_principal, get_db, get_settings_dep, require

router = APIRouter(prefix="/api/v1/takedowns", tags=["takedowns"])


def visible_order(db: Session, principal: Principal, tracking: str) -> Any:
    """Load an order the principal may see: staff see all, an authority its own."""
    order = service.get_order(db, tracking)
    if principal.is_staff:
        return order
    if principal.role == Role.AUTHORITY and order.authority_id == principal.authority_id:
        return order
    raise Forbidden("this order belongs to another authority")


@router.post(
    "",
    status_code=201,
    response_model=Acknowledgment,
    responses={200: {"model": Acknowledgment, "description": "the same order again (idempotent)"}},
)
def create_takedown(
    request: Request,
    response: Response,
    body: TakedownCreate,
    principal: Principal = Depends(require(Role.AUTHORITY)),
    settings: Settings = Depends(get_settings_dep),
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Acknowledgment:
    """Send an order. Answered at once with its tracking number and counts."""
    if principal.authority_id is None:
        raise Forbidden("only an authority's key or liaison officer can send orders")
    if not body.text.strip() and not body.links:
        raise BadInput("an order needs 'text' or 'links'")
    result = receive_submission(
        request.app.state.factory,
        settings=settings,
        authority_id=principal.authority_id,
        channel=Channel.API,
        body=body.model_dump_json().encode(),
        submission=Submission(
            text=body.text,
            links=body.links,
            letter_number=body.letter_number,
            legal_basis=body.legal_basis,
            urgent=body.urgent,
            categories=body.categories,
        ),
        idempotency_key=idempotency_key,
        actor=principal.actor,
    )
    if not result.created:
        response.status_code = 200
    return _acknowledgment(result, settings)


@router.post(
    "/files",
    status_code=201,
    response_model=Acknowledgment,
    responses={200: {"model": Acknowledgment, "description": "the same order again (idempotent)"}},
)
async def upload_takedown(
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV, XLSX, PDF or TXT listing the links.")],
    letter_number: Annotated[str | None, Form(max_length=200)] = None,
    legal_basis: Annotated[str | None, Form(max_length=1000)] = None,
    urgent: Annotated[bool | None, Form()] = None,
    principal: Principal = Depends(require(Role.AUTHORITY)),
    settings: Settings = Depends(get_settings_dep),
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Acknowledgment:
    """Send an order as a file (multipart/form-data). The file is stored before it is read."""
    if principal.authority_id is None:
        raise Forbidden("only an authority's key or liaison officer can send orders")
    data = await file.read(settings.limits.max_attachment_bytes + 1)
    if len(data) > settings.limits.max_attachment_bytes:
        raise TooLarge(f"the file is larger than {settings.limits.max_attachment_bytes:,} bytes")
    fields = {
        "letter_number": letter_number,
        "legal_basis": legal_basis,
        "urgent": urgent,
        "filename": file.filename,
    }
    result = await run_in_threadpool(
        receive_submission,
        request.app.state.factory,
        settings=settings,
        authority_id=principal.authority_id,
        channel=Channel.UPLOAD,
        body=json.dumps(fields, sort_keys=True).encode(),
        submission=Submission(
            letter_number=letter_number,
            legal_basis=legal_basis,
            urgent=urgent,
            files=[(file.filename or "upload", file.content_type, data)],
        ),
        idempotency_key=idempotency_key,
        actor=principal.actor,
    )
    if not result.created:
        response.status_code = 200
    return _acknowledgment(result, settings)


def _acknowledgment(result: Received, settings: Settings) -> Acknowledgment:
    order = result.order
    return Acknowledgment(
        tracking_number=order.tracking_number,
        status=order.status,
        created=result.created,
        followup=result.followup,
        received_at=order.received_at,
        deadline=order.deadline,
        urgent=order.urgent,
        items=len(order.items),
        unparsed=len(order.unparsed),
        quarantine_reason=order.quarantine_reason,
        url=f"{settings.base_url}/api/v1/takedowns/{order.tracking_number}",
    )


@router.get("", response_model=list[TakedownSummary])
def list_takedowns(
    principal: Principal = Depends(current_principal),
    db: Session = Depends(get_db),
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[TakedownSummary]:
    """Orders by priority: staff see all, an authority only its own."""
    if principal.is_staff:
        authority_id = None
    elif principal.role == Role.AUTHORITY and principal.authority_id is not None:
        authority_id = principal.authority_id
    else:
        raise Forbidden("not allowed to list orders")
    orders = service.list_orders(
        db, authority_id=authority_id, status=status, limit=limit, offset=offset
    )
    counts = service.item_counts(db, [o.id for o in orders])
    return [
        TakedownSummary(
            tracking_number=o.tracking_number,
            authority=o.authority.slug if o.authority else None,
            letter_number=o.letter_number,
            urgent=o.urgent,
            status=o.status,
            received_at=o.received_at,
            deadline=o.deadline,
            followups=o.followups,
            counts=counts[o.id],
        )
        for o in orders
    ]


@router.get("/due")
def due(
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    """Open items, soonest deadline first."""
    return [due_row(item, order) for item, order in due_items(db, limit=limit)]


def due_row(item: TakedownItem, order: Any) -> dict[str, Any]:
    from ronda.db.base import utcnow

    return {
        "tracking_number": order.tracking_number,
        "authority": order.authority.slug if order.authority else None,
        "canonical": item.canonical,
        "urgent": order.urgent,
        "deadline": iso_z(item.deadline),
        "seconds_left": int((item.deadline - utcnow()).total_seconds()),
        "escalated": item.escalated_at is not None,
        "breached": item.breached_at is not None,
    }


@router.get("/{tracking}", response_model=TakedownRead)
def get_takedown(
    tracking: str, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> TakedownRead:
    return TakedownRead.of(visible_order(db, principal, tracking))


@router.get("/{tracking}/report")
def get_report(
    tracking: str, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> dict[str, Any]:
    """Per item: outcome and time to action (final once ``status`` is ``closed``)."""
    return notices.report_data(visible_order(db, principal, tracking))


@router.post("/{tracking}/items", response_model=TakedownRead)
def set_item_outcome(
    tracking: str,
    body: OutcomeSet,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> TakedownRead:
    order = service.get_order(db, tracking)
    item = next((i for i in order.items if i.canonical == body.canonical), None)
    if item is None:
        raise NotFound(f"{body.canonical} is not an item of {order.tracking_number}")
    service.set_outcome(
        db, item=item, status=body.status, reason=body.reason, actor=principal.actor
    )
    db.commit()
    return TakedownRead.of(service.get_order(db, tracking))


@router.post("/{tracking}/urgency", response_model=TakedownRead)
def set_urgency(
    tracking: str,
    body: UrgencySet,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> TakedownRead:
    order = service.get_order(db, tracking)
    service.set_urgency(
        db,
        settings=settings,
        order=order,
        urgent=body.urgent,
        actor=principal.actor,
        reason=body.reason,
    )
    db.commit()
    return TakedownRead.of(service.get_order(db, tracking))
