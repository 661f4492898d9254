"""Receive reports and appeals; tell reporters and owners what was decided."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role, User
from ronda.actions import service as actions
from ronda.actions.models import Action, ActionStatus
from ronda.actions.notices import queue_notice
from ronda.audit import service as audit
from ronda.cases.machine import Status, transition
from ronda.cases.priority import priority
from ronda.cases.service import route
from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.detection.models import Case, Post
from ronda.errors import BadInput, Conflict, Forbidden, NotFound
from ronda.links import Reference, parse
from ronda.reports.models import Appeal, Report
from ronda.subjects.models import Subject
from ronda.subjects.service import ensure_subjects
from ronda.transparency import aggregates

CATEGORIES = frozenset({"terrorism", "csam", "porn", "gambling", "scam", "hate", "hoax", "spam"})
HISTORY = 100  # reports per reporter that count towards accuracy


def reporter_trust(session: Session, reporter_id: str) -> float:
    """Share of the reporter's last 100 decided reports that were upheld, smoothed
    towards 0.5 ((upheld + 1) / (decided + 2)), so a new reporter counts 0.5."""
    outcomes = list(
        session.scalars(
            select(Report.outcome)
            .where(Report.reporter_id == reporter_id, Report.outcome.is_not(None))
            .order_by(Report.id.desc())
            .limit(HISTORY)
        )
    )
    upheld = sum(1 for o in outcomes if o == "upheld")
    return (upheld + 1) / (len(outcomes) + 2)


def receive_report(
    session: Session, *, settings: Settings, link: str, category: str, text: str, reporter_id: str
) -> Report:
    found = parse(link)
    if not isinstance(found, Reference):
        raise BadInput(f"not a Telegram subject: {found.reason}")
    if category not in CATEGORIES:
        raise BadInput(f"unknown category {category!r}; one of {', '.join(sorted(CATEGORIES))}")
    subject_id = ensure_subjects(session, [found])[found.canonical]
    post = session.get(Post, subject_id)
    language = post.language if post else "id"
    case = session.scalar(
        select(Case).where(
            Case.subject_id == subject_id, Case.category == category, Case.closed_at.is_(None)
        )
    )
    now = utcnow()
    if case is None:
        case = Case(
            subject_id=subject_id,
            category=category,
            status=Status.NEW.value,
            priority=0.0,
            opened_at=now,
            updated_at=now,
            signal_count=0,
            max_score=0.0,
            language=language,
            queue=route(settings.queues, category=category, language=language),
            subscribers=post.subscribers if post else None,
        )
        session.add(case)
        session.flush()
    trust = reporter_trust(session, reporter_id)
    report = Report(
        subject_id=subject_id,
        case_id=case.id,
        category=category,
        text=text[:5000],
        reporter_id=reporter_id,
        trust=trust,
        received_at=now,
    )
    session.add(report)
    session.flush()
    trusts = list(session.scalars(select(Report.trust).where(Report.case_id == case.id)))
    case.priority = priority(
        category=category,
        subscribers=case.subscribers,
        max_score=case.max_score,
        source_trusts=trusts,
    )
    case.updated_at = now
    audit.record(
        session,
        actor=f"reporter:{reporter_id}",
        action="report.received",
        object_type="case",
        object_id=case.id,
        data={"report": report.id, "category": category, "trust": round(trust, 3)},
    )
    return report


def on_decided(session: Session, *, case: Case, decision: str, statement: str, ground: str) -> None:
    """Give the case's open reports their outcome and queue the notices."""
    upheld = decision not in ("no_violation", "escalate")
    if decision == "escalate":
        return
    now = utcnow()
    subject = session.get(Subject, case.subject_id)
    canonical = subject.canonical if subject else ""
    for report in session.scalars(
        select(Report).where(Report.case_id == case.id, Report.outcome.is_(None))
    ):
        report.outcome = "upheld" if upheld else "rejected"
        report.outcome_at = now
        queue_notice(
            session,
            key=f"report-{report.id}",
            payload={
                "type": "reporter_outcome",
                "recipient": report.reporter_id,
                "report_id": report.id,
                "subject": canonical,
                "outcome": report.outcome,
                "decision": decision,
            },
        )
    if upheld:
        queue_notice(
            session,
            key=f"owner-case-{case.id}-{decision}",
            payload={
                "type": "owner_notice",
                "subject": canonical,
                "case_id": case.id,
                "decision": decision,
                "ground": ground,
                "statement_of_reasons": statement,
                "how_to_appeal": "Reply through the platform's appeal form (POST /api/v1/appeals), within 6 months.",
            },
        )


def receive_appeal(session: Session, *, link: str, owner_id: str, statement: str) -> Appeal:
    found = parse(link)
    if not isinstance(found, Reference):
        raise BadInput(f"not a Telegram subject: {found.reason}")
    if not statement.strip():
        raise BadInput("an appeal needs a statement")
    subject = session.scalar(select(Subject).where(Subject.canonical == found.canonical))
    case = None
    if subject is not None:
        case = session.scalar(
            select(Case)
            .join(Action, Action.case_id == Case.id)
            .where(Action.subject_id == subject.id, Case.status == Status.DECIDED)
            .order_by(Case.decided_at.desc())
            .limit(1)
        )
    if case is None:
        raise NotFound(f"no decided action on {found.canonical} to appeal")
    appeal = Appeal(
        case_id=case.id, owner_id=owner_id, statement=statement[:5000], received_at=utcnow()
    )
    session.add(appeal)
    session.flush()
    aggregates.appeal_changed(session, received_at=appeal.received_at, before=None, after="pending")
    transition(
        session,
        case=case,
        to=Status.APPEALED,
        actor=f"owner:{owner_id}",
        data={"appeal": appeal.id},
    )
    return appeal


def decide_appeal(
    session: Session, *, appeal: Appeal, user: User, grant: bool, reason: str
) -> list[Action]:
    """A different moderator (or a lead) grants or rejects; a grant reverses the actions."""
    if appeal.status != "pending":
        raise Conflict(f"appeal {appeal.id} is already {appeal.status}")
    case = session.get(Case, appeal.case_id)
    assert case is not None
    actor = f"user:{user.email}"
    if case.decided_by == actor:
        raise Forbidden("an appeal is reviewed by someone other than the moderator who decided")
    if user.role not in (Role.MODERATOR, Role.LEAD, Role.ADMIN):
        raise Forbidden("only moderators and leads review appeals")
    if not reason.strip():
        raise BadInput("say why the appeal is granted or rejected")
    reversals: list[Action] = []
    if grant:
        for action in session.scalars(
            select(Action).where(Action.case_id == case.id, Action.reverses_id.is_(None))
        ):
            if action.status != ActionStatus.FAILED:
                reversals.append(
                    actions.reverse(session, action=action, decided_by=actor, reason=reason)
                )
    before = appeal.status
    appeal.status = "granted" if grant else "rejected"
    aggregates.appeal_changed(
        session, received_at=appeal.received_at, before=before, after=appeal.status
    )
    appeal.reviewed_by = actor
    appeal.reviewed_at = utcnow()
    appeal.reason = reason
    transition(
        session,
        case=case,
        to=Status.DECIDED,
        actor=actor,
        data={"appeal": appeal.id, "granted": grant, "reversals": [a.id for a in reversals]},
    )
    queue_notice(
        session,
        key=f"appeal-{appeal.id}",
        payload={
            "type": "appeal_outcome",
            "recipient": appeal.owner_id,
            "appeal_id": appeal.id,
            "outcome": appeal.status,
            "reason": reason,
        },
    )
    return reversals
