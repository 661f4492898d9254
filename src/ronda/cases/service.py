"""Routing, the moderator's lease ("take next"), and decisions.

``claim_next`` gives a moderator the highest-priority case they may work (a
queue and a language they read) under an exclusive lease: on PostgreSQL the
row is taken with ``FOR UPDATE SKIP LOCKED``, on SQLite the write lock
serialises claimants, so two moderators never get the same case. ``decide``
records the decision and writes its enforcement actions in the same
transaction; the outbox delivers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role, User
from ronda.actions import service as actions
from ronda.actions.models import Action, ActionKind
from ronda.audit import service as audit
from ronda.cases.machine import Status, transition
from ronda.config import QueueRule, Settings
from ronda.db.base import utcnow
from ronda.detection.models import Case
from ronda.errors import BadInput, Conflict, Forbidden, NotFound
from ronda.subjects.models import Subject


class Decision(StrEnum):
    REMOVE_POST = "remove_post"
    BLOCK_CHANNEL = "block_channel"
    WITHHOLD_CHANNEL = "withhold_channel"
    BAN_ACCOUNT = "ban_account"
    NO_VIOLATION = "no_violation"
    ESCALATE = "escalate"  # to a lead


ENFORCING = {
    Decision.REMOVE_POST: ActionKind.REMOVE_POST,
    Decision.BLOCK_CHANNEL: ActionKind.BLOCK_CHANNEL,
    Decision.WITHHOLD_CHANNEL: ActionKind.WITHHOLD_CHANNEL,
    Decision.BAN_ACCOUNT: ActionKind.BAN_ACCOUNT,
}
LEAD_QUEUE = "leads"


def route(rules: Sequence[QueueRule], *, category: str, language: str) -> str:
    """The first queue whose categories and languages (empty: any) both match."""
    for rule in rules:
        if rule.categories and category not in rule.categories:
            continue
        if rule.languages and language not in rule.languages:
            continue
        return rule.name
    return "default"


def get(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    return case


def claim_next(
    session: Session,
    *,
    settings: Settings,
    user: User,
    queues: Sequence[str] | None = None,
) -> Case | None:
    """Lease the next case this user may work; None when the queues are empty."""
    now = utcnow()
    # Two index-ordered probes instead of one OR: new cases, and cases whose
    # lease ran out; each walks ix_cases_status_priority from the top and stops
    # at the first row this user may take (measured: 610 ms with the OR at a
    # million cases, a few ms like this). Ties in priority go newest first.
    base = (
        select(Case)
        .where(Case.closed_at.is_(None))
        .order_by(Case.priority.desc(), Case.id.desc())
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    probes = [
        base.where(Case.status == Status.NEW),
        base.where(Case.status == Status.IN_REVIEW, Case.lease_until < now),
    ]

    def restrict(query: Select[Case]) -> Select[Case]:
        if user.role == Role.MODERATOR:
            query = query.where(
                Case.queue != LEAD_QUEUE, Case.language.in_(list(user.languages or ["id"]))
            )
        if tired:
            query = query.where(Case.category.not_in(tired))
        if queues:
            query = query.where(Case.queue.in_(list(queues)))
        return query

    tired = exhausted_categories(session, settings=settings, user=user)
    found: list[Case] = [c for c in (session.scalar(restrict(q)) for q in probes) if c is not None]
    if not found:
        return None
    case = max(found, key=lambda c: (c.priority, c.id))

    previous = case.assignee_id
    if case.status == Status.IN_REVIEW:  # the previous lease ran out
        transition(
            session,
            case=case,
            to=Status.NEW,
            actor="system",
            data={"reason": "lease expired", "assignee": previous},
        )
    return _take(session, settings=settings, case=case, user=user, now=now)


def _take(session: Session, *, settings: Settings, case: Case, user: User, now: datetime) -> Case:
    """Give a new case to ``user`` under a fresh lease (the claimed event says until when)."""
    case.assignee_id = user.id
    case.lease_until = now + timedelta(minutes=settings.case_lease_minutes)
    transition(
        session,
        case=case,
        to=Status.IN_REVIEW,
        actor=f"user:{user.email}",
        data={"lease_until": case.lease_until.isoformat(), "queue": case.queue},
    )
    return case


def claim(session: Session, *, settings: Settings, case: Case, user: User) -> Case:
    """Lease one given case (the console's "open and work this one")."""
    now = utcnow()
    locked = session.scalar(select(Case).where(Case.id == case.id).with_for_update())
    assert locked is not None
    if locked.status == Status.IN_REVIEW and locked.assignee_id == user.id:
        locked.lease_until = now + timedelta(minutes=settings.case_lease_minutes)
        transition(
            session,
            case=locked,
            to=Status.IN_REVIEW,
            actor=f"user:{user.email}",
            data={"lease_until": locked.lease_until.isoformat()},
        )
        return locked
    if locked.status == Status.IN_REVIEW and locked.lease_until and locked.lease_until > now:
        raise Conflict(f"case {case.id} is being reviewed by someone else")
    if locked.status == Status.IN_REVIEW:
        transition(
            session, case=locked, to=Status.NEW, actor="system", data={"reason": "lease expired"}
        )
    if locked.status != Status.NEW:
        raise Conflict(f"case {case.id} is {locked.status}")
    if user.role == Role.MODERATOR and locked.queue == LEAD_QUEUE:
        raise Forbidden("this case waits for a lead")
    return _take(session, settings=settings, case=locked, user=user, now=now)


def exhausted_categories(session: Session, *, settings: Settings, user: User) -> list[str]:
    """Distressing categories this user has reached today's exposure limit for.

    Wellness: after ``exposure_limits[category]`` decided cases of a category
    in a day (in the configured time zone), take-next serves other queues.
    """
    if not settings.exposure_limits:
        return []
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(settings.timezone)
    start = utcnow().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = session.execute(
        select(Case.category, func.count())
        .where(
            Case.decided_by == f"user:{user.email}",
            Case.decided_at >= start,
            Case.category.in_(list(settings.exposure_limits)),
        )
        .group_by(Case.category)
    ).all()
    return sorted(cat for cat, n in rows if n >= settings.exposure_limits.get(cat, 0))


def release(session: Session, *, case: Case, user: User, reason: str = "given back") -> None:
    _require_holder(case, user)
    case.assignee_id = None
    case.lease_until = None
    transition(
        session, case=case, to=Status.NEW, actor=f"user:{user.email}", data={"reason": reason}
    )


def _require_holder(case: Case, user: User) -> None:
    if case.status != Status.IN_REVIEW:
        raise Forbidden(f"case {case.id} is not in review; take it first")
    if case.assignee_id != user.id and user.role not in (Role.LEAD, Role.ADMIN):
        raise Forbidden(f"case {case.id} is being reviewed by someone else")
    if case.lease_until is not None and case.lease_until < utcnow() and case.assignee_id != user.id:
        raise Forbidden(f"the lease on case {case.id} has run out; take it again")


@dataclass
class Decided:
    case: Case
    actions: list[Action]


def decide(
    session: Session,
    *,
    case: Case,
    user: User,
    decision: Decision | str,
    ground: str,
    statement_of_reasons: str,
    territorial_scope: Sequence[str] = ("ID",),
    settings: Settings | None = None,
    approved_by: str | None = None,
    _approver: User | None = None,
) -> Decided:
    """Record a decision; enforcing decisions write their actions in this transaction.

    With ``settings``, blocking a channel of more than ``approval_subscribers``
    subscribers is held until a second person approves it (``approve``).
    """
    try:
        decision = Decision(decision)
    except ValueError:
        raise BadInput(f"unknown decision {decision!r}; one of {', '.join(Decision)}") from None
    if _approver is None:
        _require_holder(case, user)
    actor = f"user:{user.email}"
    if decision is Decision.ESCALATE:
        case.queue = LEAD_QUEUE
        case.assignee_id = None
        case.lease_until = None
        transition(
            session,
            case=case,
            to=Status.NEW,
            actor=actor,
            data={"reason": "escalated to a lead", "note": statement_of_reasons},
        )
        return Decided(case=case, actions=[])
    if decision is not Decision.NO_VIOLATION:
        if not ground.strip():
            raise BadInput("a decision needs its ground (a law article or a terms clause)")
        if not statement_of_reasons.strip():
            raise BadInput("a decision needs a statement of reasons")
    subject = session.get(Subject, case.subject_id)
    assert subject is not None
    if (
        decision is Decision.BLOCK_CHANNEL
        and settings is not None
        and (case.subscribers or 0) > settings.approval_subscribers
        and not approved_by
    ):
        # heavy: a second person approves before anything reaches the platform
        case.pending_decision = {
            "decision": decision.value,
            "ground": ground,
            "statement_of_reasons": statement_of_reasons,
            "territorial_scope": list(territorial_scope),
            "by": actor,
            "at": utcnow().isoformat(),
        }
        case.lease_until = None
        audit.record(
            session,
            actor=actor,
            action="case.approval_requested",
            object_type="case",
            object_id=case.id,
            data={"decision": decision.value, "subscribers": case.subscribers},
        )
        return Decided(case=case, actions=[])
    target = subject
    if decision in (Decision.BLOCK_CHANNEL, Decision.WITHHOLD_CHANNEL) and subject.parent_id:
        parent = session.get(Subject, subject.parent_id)
        target = parent or subject
    created: list[Action] = []
    if decision in ENFORCING:
        created.append(
            actions.request(
                session,
                kind=ENFORCING[decision],
                subject=target,
                decided_by=actor,
                ground=ground,
                statement_of_reasons=statement_of_reasons,
                category=case.category,
                territorial_scope=list(territorial_scope)
                if decision is Decision.WITHHOLD_CHANNEL
                else [],
                source="review",
                case_id=case.id,
            )
        )
    else:
        _no_violation_items(session, subject_id=case.subject_id, actor=actor)
    from ronda.reports.service import on_decided

    on_decided(
        session, case=case, decision=decision.value, statement=statement_of_reasons, ground=ground
    )
    if settings is not None:
        from ronda.cases.quality import maybe_sample

        maybe_sample(
            session, case=case, decision=decision.value, decided_by=actor, share=settings.qa_share
        )
    case.decision = decision.value
    case.decided_by = actor
    case.decided_at = utcnow()
    case.lease_until = None
    case.pending_decision = None
    transition(
        session,
        case=case,
        to=Status.DECIDED,
        actor=actor,
        data={
            "decision": decision.value,
            "ground": ground,
            "actions": [a.id for a in created],
            "target": target.canonical,
            "approved_by": approved_by,
        },
    )
    # an order that named no harm opened an "other" case for the subject;
    # this decision answers it
    for sibling in session.scalars(
        select(Case).where(
            Case.subject_id == case.subject_id,
            Case.id != case.id,
            Case.category == "other",
            Case.status == Status.NEW,
            Case.closed_at.is_(None),
        )
    ):
        transition(
            session,
            case=sibling,
            to=Status.CLOSED,
            actor=actor,
            data={"reason": f"decided in case {case.id}"},
        )
    return Decided(case=case, actions=created)


def approve(session: Session, *, case: Case, user: User) -> Decided:
    """A second person (a lead, not the one who decided) approves a held decision."""
    pending = case.pending_decision
    if not pending:
        raise Conflict(f"case {case.id} has no decision waiting for approval")
    if user.role not in (Role.LEAD, Role.ADMIN):
        raise Forbidden("approving a heavy decision is a lead's action")
    if pending.get("by") == f"user:{user.email}":
        raise Forbidden("a second person must approve")
    decider = session.scalar(
        select(User).where(User.email == str(pending["by"]).removeprefix("user:"))
    )
    if decider is None:
        raise NotFound("the moderator who decided no longer exists")
    return decide(
        session,
        case=case,
        user=decider,
        decision=pending["decision"],
        ground=pending["ground"],
        statement_of_reasons=pending["statement_of_reasons"],
        territorial_scope=pending.get("territorial_scope", ["ID"]),
        approved_by=f"user:{user.email}",
        _approver=user,
    )


def _no_violation_items(session: Session, *, subject_id: int, actor: str) -> None:
    from ronda.takedowns import service as takedowns
    from ronda.takedowns.models import ItemStatus, OrderStatus, Takedown, TakedownItem

    items = session.scalars(
        select(TakedownItem)
        .join(Takedown, Takedown.id == TakedownItem.takedown_id)
        .where(
            TakedownItem.subject_id == subject_id,
            TakedownItem.status == ItemStatus.PENDING,
            TakedownItem.linked_item_id.is_(None),
            Takedown.status == OrderStatus.OPEN,
        )
    ).all()
    for item in items:
        takedowns.set_outcome(
            session,
            item=item,
            status=ItemStatus.NO_VIOLATION,
            reason="reviewed: no violation found",
            actor=actor,
        )


def decide_order(
    session: Session,
    *,
    order_id: int,
    user: User,
    decision: Decision | str,
    ground: str,
    statement_of_reasons: str,
    territorial_scope: Sequence[str] = ("ID",),
) -> list[Action]:
    """Bulk: one decision for every pending item of a takedown order, after review.

    Enforcing decisions act on each item's own subject: posts are removed, and
    channels and invite links are blocked or withheld (``remove_post`` on a
    channel item withholds the channel in ``territorial_scope`` instead).
    ``no_violation`` gives every pending item that outcome.
    """
    from ronda.takedowns import service as takedowns
    from ronda.takedowns.models import ItemStatus, OrderStatus, Takedown

    if user.role not in (Role.LEAD, Role.ADMIN, Role.MODERATOR):
        raise Forbidden("only moderators and leads decide orders")
    try:
        decision = Decision(decision)
    except ValueError:
        raise BadInput(f"unknown decision {decision!r}") from None
    if decision is Decision.ESCALATE:
        raise BadInput("a whole order is not escalated; decide it or leave it to a lead")
    order = session.get(Takedown, order_id)
    if order is None:
        raise NotFound(f"no takedown order #{order_id}")
    if order.status != OrderStatus.OPEN:
        raise Conflict(f"{order.tracking_number} is {order.status}")
    if decision is not Decision.NO_VIOLATION and not (
        ground.strip() and statement_of_reasons.strip()
    ):
        raise BadInput("a decision needs its ground and a statement of reasons")
    actor = f"user:{user.email}"
    pending = [
        i for i in order.items if i.status == ItemStatus.PENDING and i.linked_item_id is None
    ]
    if not pending:
        raise Conflict(f"{order.tracking_number} has no pending item")
    created: list[Action] = []
    for item in pending:
        if decision is Decision.NO_VIOLATION:
            takedowns.set_outcome(
                session,
                item=item,
                status=ItemStatus.NO_VIOLATION,
                reason=statement_of_reasons or "reviewed: no violation found",
                actor=actor,
            )
            continue
        subject = session.get(Subject, item.subject_id)
        assert subject is not None
        kind = ENFORCING[decision]
        if subject.kind in ("channel", "invite") and kind is ActionKind.REMOVE_POST:
            kind = ActionKind.WITHHOLD_CHANNEL
        if subject.kind in ("post", "private_post") and kind in (
            ActionKind.BLOCK_CHANNEL,
            ActionKind.WITHHOLD_CHANNEL,
        ):
            parent = session.get(Subject, subject.parent_id) if subject.parent_id else None
            subject = parent or subject
            if parent is None:
                kind = ActionKind.REMOVE_POST
        created.append(
            actions.request(
                session,
                kind=kind,
                subject=subject,
                decided_by=actor,
                ground=ground,
                statement_of_reasons=statement_of_reasons,
                category=(order.categories[0] if order.categories else None),
                territorial_scope=list(territorial_scope)
                if kind is ActionKind.WITHHOLD_CHANNEL
                else [],
                source="order",
            )
        )
    audit.record(
        session,
        actor=actor,
        action="takedown.bulk_decided",
        object_type="takedown",
        object_id=order.tracking_number,
        data={
            "decision": decision.value,
            "items": len(pending),
            "actions": [a.id for a in created],
        },
    )
    return created


ORDER_CATEGORIES = ("terrorism", "csam", "porn", "gambling", "scam", "hate", "hoax", "spam")


def open_for_items(session: Session, *, order_id: int, settings: Settings) -> int:
    """Every pending item of an order joins (or opens) the case for its subject and harm.

    The harm is the order's first harm category (``public_order`` orders count
    as hate/hoax only when they say so; otherwise ``other``). A case takes the
    earliest deadline of the items behind it, and its priority follows.
    Returns the number of cases opened.
    """
    from ronda.cases.priority import priority
    from ronda.db.upsert import insert_ignore
    from ronda.takedowns.models import ItemStatus, Takedown, TakedownItem

    order = session.get(Takedown, order_id)
    if order is None:
        return 0
    category = next((c for c in order.categories if c in ORDER_CATEGORIES), "other")
    items = session.execute(
        select(TakedownItem.subject_id, func.min(TakedownItem.deadline))
        .where(TakedownItem.takedown_id == order_id, TakedownItem.status == ItemStatus.PENDING)
        .group_by(TakedownItem.subject_id)
    ).all()
    if not items:
        return 0
    now = utcnow()
    queue = route(settings.queues, category=category, language="id")
    rows = [
        {
            "subject_id": sid,
            "category": category,
            "status": Status.NEW.value,
            "priority": 0.0,
            "opened_at": now,
            "updated_at": now,
            "signal_count": 0,
            "max_score": 0.0,
            "queue": queue,
            "language": "id",
            "deadline": deadline,
        }
        for sid, deadline in items
    ]
    before = session.scalar(select(func.count()).select_from(Case)) or 0
    for start in range(0, len(rows), 1000):
        insert_ignore(session, Case.__table__, rows[start : start + 1000])  # type: ignore[arg-type]
    opened = (session.scalar(select(func.count()).select_from(Case)) or 0) - before
    deadlines = {sid: d for sid, d in items}
    for start in range(0, len(items), 1000):
        chunk = [sid for sid, _ in items[start : start + 1000]]
        for case in session.scalars(
            select(Case).where(
                Case.subject_id.in_(chunk), Case.category == category, Case.closed_at.is_(None)
            )
        ):
            deadline = deadlines[case.subject_id]
            if case.deadline is None or deadline < case.deadline:
                case.deadline = deadline
            hours_left = (case.deadline - now).total_seconds() / 3600
            case.priority = priority(
                category=category,
                subscribers=case.subscribers,
                max_score=max(case.max_score, 0.5),
                source_trusts=[1.0],
                hours_left=hours_left,
            )
    session.flush()
    return opened


def related(session: Session, case: Case) -> tuple[list[Case], list[Case]]:
    """A post's case links to its channel's cases; a channel's case to its posts' cases."""
    subject = session.get(Subject, case.subject_id)
    if subject is None:
        return [], []
    channel_cases: list[Case] = []
    if subject.parent_id is not None:
        channel_cases = list(
            session.scalars(
                select(Case)
                .where(Case.subject_id == subject.parent_id)
                .order_by(Case.id.desc())
                .limit(20)
            )
        )
    post_cases = list(
        session.scalars(
            select(Case)
            .join(Subject, Subject.id == Case.subject_id)
            .where(Subject.parent_id == subject.id)
            .order_by(Case.priority.desc())
            .limit(50)
        )
    )
    return channel_cases, post_cases
