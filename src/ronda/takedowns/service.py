"""The takedown desk's core: create orders, join follow-ups, record outcomes.

Every path (API, e-mail, upload, portal) ends here once its raw input is
stored: ``open_order`` turns references into items with deadlines;
``add_items`` is shared with follow-ups; ``set_outcome`` is the only place an
item's status changes, and ``refresh_status`` the only place an order's does.
Opening or assigning an order, adding items and setting an outcome also move
the transparency aggregates (``ronda.transparency.aggregates``), in the same
transaction. Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ronda.accounts.models import Authority
from ronda.audit import service as audit
from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.db.counters import next_value
from ronda.db.upsert import insert_many, member_of
from ronda.errors import BadInput, Conflict, InvalidTransition, NotFound
from ronda.links import Invalid, Reference
from ronda.subjects.service import ensure_subjects
from ronda.takedowns.deadlines import choose_policy, deadline_for, is_urgent
from ronda.takedowns.models import (
    OUTCOMES,
    IntakeKey,
    ItemStatus,
    OrderStatus,
    Takedown,
    TakedownItem,
    UnparsedFragment,
)
from ronda.transparency import aggregates

TRACKING_PREFIX = "TKD"


@dataclass
class OrderDraft:
    """What a parser found in one input, before it becomes an order."""

    channel: str
    received_at: datetime
    references: list[Reference] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    letter_number: str | None = None
    legal_basis: str | None = None
    urgent: bool = False
    categories: list[str] = field(default_factory=list)
    sender: str | None = None
    subject_line: str = ""
    message_id: str | None = None


def new_tracking_number(session: Session, *, received_at: datetime, tz: str) -> str:
    year = received_at.astimezone(ZoneInfo(tz)).year
    number = next_value(session, f"tracking-{year}")
    return f"{TRACKING_PREFIX}-{year}-{number:06d}"


def find_by_key(session: Session, key: str) -> IntakeKey | None:
    return session.get(IntakeKey, key)


def remember_key(
    session: Session, *, key: str, order: Takedown, body_sha256: str, raw_input_id: int | None
) -> None:
    session.add(
        IntakeKey(key=key, takedown_id=order.id, body_sha256=body_sha256, raw_input_id=raw_input_id)
    )
    session.flush()


def open_order(
    session: Session,
    *,
    settings: Settings,
    draft: OrderDraft,
    authority: Authority | None,
    quarantine_reason: str | None = None,
    actor: str,
    created_by_user_id: int | None = None,
) -> Takedown:
    """Create an order with its items; quarantined when a reason is given.

    An order naming more subjects than ``limits.max_items_per_order`` is kept
    in quarantine without items (its raw input stays stored) for a human.
    """
    if len(draft.references) > settings.limits.max_items_per_order:
        quarantine_reason = (
            f"the order names {len(draft.references):,} subjects; the limit is "
            f"{settings.limits.max_items_per_order:,} per order (raw input kept)"
        )
        draft.references = []
    urgent = is_urgent(flagged=draft.urgent, categories=draft.categories)
    policy = choose_policy(settings.deadline_policies, urgent=urgent, categories=draft.categories)
    urgent = urgent or policy.urgent
    if not draft.references and quarantine_reason is None:
        quarantine_reason = "no Telegram link found in the order"
    order = Takedown(
        tracking_number=new_tracking_number(
            session, received_at=draft.received_at, tz=settings.timezone
        ),
        authority=authority,
        status=OrderStatus.QUARANTINED if quarantine_reason else OrderStatus.OPEN,
        quarantine_reason=quarantine_reason,
        channel=draft.channel,
        message_id=draft.message_id,
        sender=draft.sender,
        subject_line=draft.subject_line[:1000],
        letter_number=(draft.letter_number or None) and draft.letter_number[:200],
        legal_basis=(draft.legal_basis or None) and draft.legal_basis[:1000],
        urgent=urgent,
        policy=policy.name,
        categories=sorted(set(draft.categories)),
        received_at=draft.received_at,
        deadline=deadline_for(draft.received_at, policy),
        created_by_user_id=created_by_user_id,
    )
    session.add(order)
    session.flush()
    aggregates.order_opened(session, order=order, tz=settings.timezone)
    added = add_items(session, order=order, references=draft.references, deadline=order.deadline)
    add_unparsed(session, order=order, invalid=draft.invalid)
    if order.status == OrderStatus.OPEN:
        _review_items(session, order=order)
    audit.record(
        session,
        actor=actor,
        action="takedown.received",
        object_type="takedown",
        object_id=order.tracking_number,
        at=draft.received_at,
        data={
            "channel": draft.channel,
            "authority": authority.slug if authority else None,
            "items": added,
            "unparsed": len(draft.invalid),
            "urgent": urgent,
            "policy": policy.name,
            "categories": order.categories,
            "legal_basis": order.legal_basis,
            "deadline": order.deadline.isoformat(),
            "status": order.status,
            "quarantine_reason": quarantine_reason,
        },
    )
    return order


def _review_items(session: Session, *, order: Takedown) -> None:
    """An open order's items go to the review queue as cases (ronda.cases)."""
    from ronda.cases.service import open_for_items
    from ronda.config import get_settings

    open_for_items(session, order_id=order.id, settings=get_settings())


def add_items(
    session: Session, *, order: Takedown, references: Sequence[Reference], deadline: datetime
) -> int:
    """Add new subjects to an order; returns how many were new to it.

    A subject already pending in another open order is linked to that item
    rather than worked twice: its outcome is copied when that item gets one.
    """
    if not references:
        return 0
    subjects = ensure_subjects(session, references)
    present = set(
        session.scalars(select(TakedownItem.subject_id).where(TakedownItem.takedown_id == order.id))
    )
    subject_ids = [sid for sid in subjects.values() if sid not in present]
    primaries: dict[int, int] = {}
    for start in range(0, len(subject_ids), 1000):
        chunk = subject_ids[start : start + 1000]
        rows = session.execute(
            select(TakedownItem.subject_id, func.min(TakedownItem.id))
            .join(Takedown, Takedown.id == TakedownItem.takedown_id)
            .where(
                member_of(TakedownItem.subject_id, chunk, session),
                TakedownItem.status == ItemStatus.PENDING,
                TakedownItem.linked_item_id.is_(None),
                TakedownItem.takedown_id != order.id,
                Takedown.status == OrderStatus.OPEN,
            )
            .group_by(TakedownItem.subject_id)
        )
        primaries.update({sid: iid for sid, iid in rows})
    now = utcnow()
    new_rows = []
    seen: set[int] = set()
    for ref in references:
        subject_id = subjects[ref.canonical]
        if subject_id in present or subject_id in seen:
            continue
        seen.add(subject_id)
        new_rows.append(
            {
                "takedown_id": order.id,
                "subject_id": subject_id,
                "canonical": ref.canonical,
                "kind": ref.kind.value,
                "raw": ref.raw[:1000],
                "status": ItemStatus.PENDING.value,
                "linked_item_id": primaries.get(subject_id),
                "added_at": now,
                "deadline": deadline,
            }
        )
    if new_rows:
        insert_many(session, TakedownItem.__table__, new_rows)  # type: ignore[arg-type]
        session.expire(order, ["items"])
        aggregates.items_added(session, order=order, n=len(new_rows))
    return len(new_rows)


def add_unparsed(session: Session, *, order: Takedown, invalid: Sequence[Invalid]) -> None:
    if invalid:
        insert_many(
            session,
            UnparsedFragment.__table__,  # type: ignore[arg-type]
            [
                {"takedown_id": order.id, "raw": i.raw[:1000], "reason": i.reason[:500]}
                for i in invalid
            ],
        )
        session.expire(order, ["unparsed"])


def join_followup(
    session: Session,
    *,
    settings: Settings,
    order: Takedown,
    draft: OrderDraft,
    kind: str,
    level: int | None,
    actor: str,
) -> Takedown:
    """A reply, reminder or warning letter joins its order and raises it.

    Returns the order that now holds the follow-up: ``order`` itself, or, when
    its new subjects would take ``order`` over ``limits.max_items_per_order``,
    a new order in quarantine (the same rule as ``open_order``: nothing is
    added beyond the limit, the raw input stays stored, a lead decides).
    """
    limit = settings.limits.max_items_per_order
    present = set(
        session.scalars(select(TakedownItem.canonical).where(TakedownItem.takedown_id == order.id))
    )
    new = {ref.canonical for ref in draft.references} - present
    if new and len(present) + len(new) > limit:
        reason = (
            f"a follow-up to {order.tracking_number} names {len(new):,} new subjects; with its "
            f"{len(present):,} the order would pass the limit of {limit:,} per order "
            "(raw input kept)"
        )
        held = open_order(
            session,
            settings=settings,
            draft=draft,
            authority=order.authority,
            quarantine_reason=reason,
            actor=actor,
        )
        audit.record(
            session,
            actor=actor,
            action="takedown.followup_held",
            object_type="takedown",
            object_id=order.tracking_number,
            at=draft.received_at,
            data={"kind": kind, "new_items": len(new), "held_as": held.tracking_number},
        )
        return held
    # New subjects get the order's time span, counted from this receipt.
    item_deadline = max(order.deadline, draft.received_at + (order.deadline - order.received_at))
    added = add_items(session, order=order, references=draft.references, deadline=item_deadline)
    add_unparsed(session, order=order, invalid=draft.invalid)
    if order.status == OrderStatus.OPEN and added:
        _review_items(session, order=order)
    order.followups += 1
    if kind == "warning":
        order.warning_level = max(order.warning_level, level or 1)
    if added and order.status == OrderStatus.CLOSED:
        order.status = OrderStatus.OPEN
        order.closed_at = None
    audit.record(
        session,
        actor=actor,
        action="takedown.followup",
        object_type="takedown",
        object_id=order.tracking_number,
        at=draft.received_at,
        data={
            "kind": kind,
            "level": level,
            "new_items": added,
            "letter_number": draft.letter_number,
            "subject": draft.subject_line[:300],
        },
    )
    return order


def get_order(session: Session, tracking_number: str) -> Takedown:
    order = session.scalar(
        select(Takedown)
        .where(Takedown.tracking_number == tracking_number.strip().upper())
        .options(selectinload(Takedown.items), selectinload(Takedown.unparsed))
    )
    if order is None:
        raise NotFound(f"no takedown order {tracking_number!r}")
    return order


def get_order_by_id(session: Session, order_id: int) -> Takedown:
    order = session.scalar(
        select(Takedown)
        .where(Takedown.id == order_id)
        .options(selectinload(Takedown.items), selectinload(Takedown.unparsed))
    )
    if order is None:
        raise NotFound(f"no takedown order #{order_id}")
    return order


def find_open_by_letter(
    session: Session, *, authority_id: int, letter_number: str
) -> Takedown | None:
    return session.scalar(
        select(Takedown)
        .where(
            Takedown.authority_id == authority_id,
            Takedown.letter_number == letter_number,
            Takedown.status.in_([OrderStatus.OPEN, OrderStatus.CLOSED]),
        )
        .order_by(Takedown.id.desc())
        .limit(1)
    )


def list_orders(
    session: Session,
    *,
    authority_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Takedown]:
    query = select(Takedown).options(selectinload(Takedown.authority))
    if authority_id is not None:
        query = query.where(Takedown.authority_id == authority_id)
    if status:
        query = query.where(Takedown.status == status)
    query = query.order_by(
        Takedown.warning_level.desc(), Takedown.followups.desc(), Takedown.deadline, Takedown.id
    )
    return list(session.scalars(query.limit(limit).offset(offset)))


def item_counts(session: Session, order_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {} for i in order_ids}
    if not order_ids:
        return counts
    rows = session.execute(
        select(TakedownItem.takedown_id, TakedownItem.status, func.count())
        .where(TakedownItem.takedown_id.in_(list(order_ids)))
        .group_by(TakedownItem.takedown_id, TakedownItem.status)
    )
    for order_id, status, n in rows:
        counts[order_id][status] = n
    return counts


def set_outcome(
    session: Session,
    *,
    item: TakedownItem,
    status: ItemStatus | str,
    reason: str | None,
    actor: str,
    at: datetime | None = None,
) -> list[TakedownItem]:
    """Give an item its outcome, copy it to linked items, update the orders."""
    try:
        status = ItemStatus(status)
    except ValueError:
        raise BadInput(f"unknown item status {status!r}") from None
    if status not in OUTCOMES:
        raise BadInput("an outcome cannot be 'pending'")
    if status is ItemStatus.REJECTED and not (reason and reason.strip()):
        raise BadInput("a rejected item needs a reason")
    if item.status != ItemStatus.PENDING:
        raise InvalidTransition(f"item {item.canonical} already has outcome {item.status}")
    when = at or utcnow()
    changed = [item]
    linked = list(
        session.scalars(
            select(TakedownItem).where(
                TakedownItem.linked_item_id == item.id, TakedownItem.status == ItemStatus.PENDING
            )
        )
    )
    changed.extend(linked)
    for it in changed:
        before = (it.status, it.outcome_at, it.deadline)
        it.status = status
        it.reason = reason
        it.outcome_at = when
        aggregates.item_changed(
            session, order=it.takedown, before=before, after=(it.status, when, it.deadline)
        )
        audit.record(
            session,
            actor=actor,
            action="takedown.item_outcome",
            object_type="takedown",
            object_id=it.takedown.tracking_number,
            at=when,
            data={
                "item": it.canonical,
                "status": status.value,
                "reason": reason,
                "via": None if it is item else item.takedown.tracking_number,
            },
        )
    session.flush()
    for order in {it.takedown for it in changed}:
        refresh_status(session, order=order, actor=actor)
    return changed


def refresh_status(session: Session, *, order: Takedown, actor: str) -> None:
    """Derive the order's status from its items: closed when none is pending."""
    if order.status not in (OrderStatus.OPEN, OrderStatus.CLOSED):
        return
    pending = session.scalar(
        select(func.count())
        .select_from(TakedownItem)
        .where(TakedownItem.takedown_id == order.id, TakedownItem.status == ItemStatus.PENDING)
    )
    total = session.scalar(
        select(func.count()).select_from(TakedownItem).where(TakedownItem.takedown_id == order.id)
    )
    if pending == 0 and total and order.status == OrderStatus.OPEN:
        order.status = OrderStatus.CLOSED
        order.closed_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="takedown.closed",
            object_type="takedown",
            object_id=order.tracking_number,
            data={"items": total},
        )
        from ronda.takedowns import notices  # local: notices imports this module

        notices.queue_final_report(session, order=order)
    elif pending and order.status == OrderStatus.CLOSED:
        order.status = OrderStatus.OPEN
        order.closed_at = None


def set_urgency(
    session: Session, *, settings: Settings, order: Takedown, urgent: bool, actor: str, reason: str
) -> Takedown:
    """A lead changes an order's urgency: its deadlines are recomputed from receipt."""
    if not reason.strip():
        raise BadInput("say why the urgency changes")
    if order.status != OrderStatus.OPEN:
        raise InvalidTransition(
            f"{order.tracking_number} is {order.status}; only open orders change urgency"
        )
    if order.urgent == urgent:
        return order
    categories = [
        c for c in order.categories if urgent or c not in ("terrorism", "csam", "public_order")
    ]
    policy = choose_policy(settings.deadline_policies, urgent=urgent, categories=categories)
    if not urgent and policy.urgent:
        policy = choose_policy(settings.deadline_policies, urgent=False, categories=[])
    old = order.deadline
    order.urgent = urgent
    order.policy = policy.name
    order.deadline = deadline_for(order.received_at, policy)
    for item in order.items:
        if item.status != ItemStatus.PENDING:
            continue
        # follow-up items keep their offset from the order's own deadline
        item.deadline = order.deadline + max(item.deadline - old, timedelta(0))
        if item.deadline > utcnow():
            item.escalated_at = None
    audit.record(
        session,
        actor=actor,
        action="takedown.urgency_changed",
        object_type="takedown",
        object_id=order.tracking_number,
        data={
            "urgent": urgent,
            "policy": policy.name,
            "old_deadline": old.isoformat(),
            "deadline": order.deadline.isoformat(),
            "reason": reason,
        },
    )
    return order


def assign_quarantined(
    session: Session, *, order: Takedown, authority: Authority, actor: str
) -> Takedown:
    if order.status != OrderStatus.QUARANTINED:
        raise InvalidTransition(f"{order.tracking_number} is not in quarantine")
    if not order.items:
        raise Conflict("the order names no subject; reject it or add links first")
    order.authority = authority
    order.status = OrderStatus.OPEN
    session.flush()
    aggregates.order_opened(session, order=order)
    audit.record(
        session,
        actor=actor,
        action="takedown.assigned",
        object_type="takedown",
        object_id=order.tracking_number,
        data={"authority": authority.slug, "was": order.quarantine_reason},
    )
    session.flush()
    if order.channel == "email" and order.sender:
        # the sender was not acknowledged while the order was held
        from ronda.takedowns import notices  # local: notices imports this module

        notices.queue_acknowledgment(
            session, order=order, to=order.sender, in_reply_to=order.message_id
        )
    _review_items(session, order=order)
    refresh_status(session, order=order, actor=actor)
    return order


def reject_quarantined(session: Session, *, order: Takedown, reason: str, actor: str) -> Takedown:
    if order.status != OrderStatus.QUARANTINED:
        raise InvalidTransition(f"{order.tracking_number} is not in quarantine")
    if not reason.strip():
        raise BadInput("say why the order is rejected")
    order.status = OrderStatus.REJECTED
    order.closed_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="takedown.rejected",
        object_type="takedown",
        object_id=order.tracking_number,
        data={"reason": reason},
    )
    return order
