"""The cases API (``/api/v1/cases``): the same services as the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role, User
from ronda.actions.models import Action
from ronda.audit import service as audit
from ronda.cases import service as cases
from ronda.cases.schemas import (
    ActionRead,
    CaseDetail,
    CasePage,
    CaseSummary,
    DecisionCreate,
    HistoryEntry,
    SignalRead,
)
from ronda.config import Settings
from ronda.detection.models import Case, Signal
from ronda.errors import Conflict
from ronda.subjects.models import Subject
from ronda.web.deps import Principal, console_user, get_db, get_settings_dep, require

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
staff = require(Role.LEAD, Role.MODERATOR)


def summary(db: Session, case: Case) -> CaseSummary:
    subject = db.get(Subject, case.subject_id)
    assignee = db.get(User, case.assignee_id) if case.assignee_id else None
    return CaseSummary(
        id=case.id,
        subject=subject.canonical if subject else "",
        category=case.category,
        status=case.status,
        queue=case.queue,
        language=case.language,
        priority=case.priority,
        max_score=case.max_score,
        signal_count=case.signal_count,
        subscribers=case.subscribers,
        deadline=case.deadline,
        assignee=assignee.email if assignee else None,
        lease_until=case.lease_until,
        opened_at=case.opened_at,
        pending_decision=case.pending_decision,
        decision=case.decision,
    )


def detail(db: Session, case: Case) -> CaseDetail:
    signals = db.scalars(
        select(Signal)
        .where(Signal.subject_id == case.subject_id)
        .order_by(Signal.score.desc())
        .limit(200)
    )
    acts = db.scalars(select(Action).where(Action.case_id == case.id).order_by(Action.id))
    history = audit.history(db, object_type="case", object_id=str(case.id))
    channel_cases, post_cases = cases.related(db, case)
    return CaseDetail(
        **summary(db, case).model_dump(),
        channel_cases=[c.id for c in channel_cases],
        post_cases=[c.id for c in post_cases],
        signals=[
            SignalRead(
                detector=s.detector,
                detector_version=s.detector_version,
                category=s.category,
                score=s.score,
                flagged=s.flagged,
                evidence=s.evidence,
            )
            for s in signals
        ],
        actions=[
            ActionRead(
                id=a.id,
                kind=a.kind,
                subject=a.canonical,
                territorial_scope=a.territorial_scope,
                status=a.status,
                requested_at=a.requested_at,
                succeeded_at=a.succeeded_at,
            )
            for a in acts
        ],
        history=[
            HistoryEntry(at=e.at, actor=e.actor, action=e.action, data=e.data) for e in history
        ],
    )


@router.get("", response_model=CasePage)
def list_cases(
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    status: str | None = None,
    category: str | None = None,
    queue: str | None = None,
    language: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    """Cases by priority, highest first."""
    query = select(Case)
    for column, value in (
        (Case.status, status),
        (Case.category, category),
        (Case.queue, queue),
        (Case.language, language),
    ):
        if value:
            query = query.where(column == value)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(
        query.order_by(Case.priority.desc(), Case.id.desc()).limit(limit).offset(offset)
    )
    return CasePage(total=total, limit=limit, offset=offset, items=[summary(db, c) for c in rows])


@router.get("/{case_id}", response_model=CaseDetail)
def get_case(
    case_id: int, principal: Principal = Depends(staff), db: Session = Depends(get_db)
) -> CaseDetail:
    return detail(db, cases.get(db, case_id))


@router.post("/next", response_model=CaseDetail | None)
def take_next(
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> CaseDetail | None:
    """Lease the highest-priority case you may work ("take next")."""
    case = cases.claim_next(db, settings=settings, user=console_user(db, principal))
    db.commit()
    return detail(db, case) if case else None


@router.post("/{case_id}/claim", response_model=CaseDetail)
def claim(
    case_id: int,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> CaseDetail:
    """Lease this case (409 when someone else holds a live lease on it)."""
    case = cases.claim(
        db, settings=settings, case=cases.get(db, case_id), user=console_user(db, principal)
    )
    db.commit()
    return detail(db, case)


@router.post("/{case_id}/decisions", response_model=CaseDetail, status_code=201)
def decide(
    case_id: int,
    body: DecisionCreate,
    principal: Principal = Depends(staff),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> CaseDetail:
    """Decide a case you hold; enforcing decisions queue their platform actions.

    Blocking a channel above ``approval_subscribers`` is held (``pending_decision``)
    until a lead approves it with ``POST /api/v1/cases/{case_id}/approval``."""
    case = cases.get(db, case_id)
    if case.status not in ("in_review",):
        raise Conflict(f"case {case_id} is {case.status}; take it first")
    cases.decide(
        db,
        case=case,
        user=console_user(db, principal),
        decision=body.decision,
        ground=body.ground,
        statement_of_reasons=body.statement_of_reasons,
        territorial_scope=body.territorial_scope,
        settings=settings,
    )
    db.commit()
    return detail(db, case)


@router.post("/{case_id}/approval", response_model=CaseDetail)
def approve(
    case_id: int,
    principal: Principal = Depends(require(Role.LEAD)),
    db: Session = Depends(get_db),
) -> CaseDetail:
    """A second person approves a held heavy decision; its actions are queued."""
    case = cases.get(db, case_id)
    cases.approve(db, case=case, user=console_user(db, principal))
    db.commit()
    return detail(db, case)
