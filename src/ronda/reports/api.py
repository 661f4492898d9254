"""``POST /api/v1/reports`` and ``POST /api/v1/appeals`` (platform keys), and the
review of appeals (staff)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ronda.accounts.models import Role
from ronda.config import Settings
from ronda.errors import NotFound
from ronda.reports import service
from ronda.reports.models import Appeal
from ronda.web.deps import Principal, console_user, get_db, get_settings_dep, require

router = APIRouter(prefix="/api/v1", tags=["reports and appeals"])
platform_only = require("platform")


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=1000, description="A Telegram link: channel, post or invite.")
    category: str = Field(max_length=32)
    text: str = Field(default="", max_length=5000)
    reporter_id: str = Field(
        min_length=1, max_length=200, description="The platform's id of the reporter."
    )


class ReportCreated(BaseModel):
    report_id: int
    case_id: int | None
    reporter_trust: float


class AppealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=1000)
    owner_id: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=1, max_length=5000)


class AppealRead(BaseModel):
    appeal_id: int
    case_id: int
    status: str


class AppealDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grant: bool
    reason: str = Field(min_length=1, max_length=5000)


@router.post("/reports", response_model=ReportCreated, status_code=201)
def create_report(
    body: ReportCreate,
    principal: Principal = Depends(platform_only),
    db: Session = Depends(get_db),
    settings: Settings = Depends(get_settings_dep),
) -> ReportCreated:
    """A user's report; it opens or joins the case for its subject and category."""
    report = service.receive_report(
        db,
        settings=settings,
        link=body.subject,
        category=body.category,
        text=body.text,
        reporter_id=body.reporter_id,
    )
    db.commit()
    return ReportCreated(
        report_id=report.id, case_id=report.case_id, reporter_trust=round(report.trust, 4)
    )


@router.post("/appeals", response_model=AppealRead, status_code=201)
def create_appeal(
    body: AppealCreate, principal: Principal = Depends(platform_only), db: Session = Depends(get_db)
) -> AppealRead:
    """A channel owner appeals a decision; a different moderator reviews it."""
    appeal = service.receive_appeal(
        db, link=body.subject, owner_id=body.owner_id, statement=body.statement
    )
    db.commit()
    return AppealRead(appeal_id=appeal.id, case_id=appeal.case_id, status=appeal.status)


@router.post("/appeals/{appeal_id}/decision", response_model=AppealRead)
def decide_appeal(
    appeal_id: int,
    body: AppealDecision,
    principal: Principal = Depends(require(Role.LEAD, Role.MODERATOR)),
    db: Session = Depends(get_db),
) -> AppealRead:
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id}")
    user = console_user(db, principal)
    service.decide_appeal(db, appeal=appeal, user=user, grant=body.grant, reason=body.reason)
    db.commit()
    return AppealRead(appeal_id=appeal.id, case_id=appeal.case_id, status=appeal.status)
