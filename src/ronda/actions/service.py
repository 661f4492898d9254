"""Request actions, reverse them, deliver them to the platform.

``request`` writes the action and its delivery job in the caller's
transaction. ``deliver`` (the job handler) posts it; a 2xx marks it
succeeded and gives pending takedown items for the subject the outcome
``actioned``; a refusal (4xx other than 408, 425, 429) marks it failed for a
lead to look at; anything else is retried with backoff by the job runner.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.actions.models import Action, ActionKind, ActionStatus
from ronda.actions.signing import signed_post
from ronda.audit import service as audit
from ronda.config import get_settings
from ronda.db.base import iso_z, utcnow
from ronda.errors import BadInput, Conflict, NotFound
from ronda.jobs import service as jobs
from ronda.jobs.models import Job
from ronda.subjects.models import Subject

JOB_KIND = "platform_action"
RETRYABLE = frozenset({408, 425, 429})


class DeliveryError(Exception):
    """A delivery that should be tried again later."""


def request(
    session: Session,
    *,
    kind: ActionKind | str,
    subject: Subject,
    decided_by: str,
    ground: str,
    statement_of_reasons: str,
    category: str | None = None,
    territorial_scope: list[str] | None = None,
    source: str = "",
    case_id: int | None = None,
    reverses: Action | None = None,
) -> Action:
    try:
        kind = ActionKind(kind)
    except ValueError:
        raise BadInput(f"unknown action {kind!r}; one of {', '.join(ActionKind)}") from None
    scope = [c.upper() for c in (territorial_scope or [])]
    if kind is ActionKind.WITHHOLD_CHANNEL and not scope:
        raise BadInput("withholding needs a territorial scope (country codes, e.g. ID)")
    if kind is ActionKind.REMOVE_POST and subject.kind not in ("post", "private_post"):
        raise BadInput(f"{subject.canonical} is not a post")
    action = Action(
        kind=kind.value,
        subject_id=subject.id,
        canonical=subject.canonical,
        territorial_scope=scope,
        category=category,
        ground=ground[:500],
        statement_of_reasons=statement_of_reasons,
        source=source,
        decided_by=decided_by,
        case_id=case_id,
        reverses_id=reverses.id if reverses else None,
        idempotency_key=f"act-{uuid.uuid4().hex}",
        requested_at=utcnow(),
    )
    session.add(action)
    session.flush()
    jobs.enqueue(
        session, kind=JOB_KIND, key=f"action:{action.id}", payload={"action_id": action.id}
    )
    audit.record(
        session,
        actor=decided_by,
        action="action.requested",
        object_type="action",
        object_id=action.id,
        data={
            "kind": kind.value,
            "subject": subject.canonical,
            "scope": scope,
            "ground": ground,
            "case_id": case_id,
            "reverses": reverses.id if reverses else None,
        },
    )
    return action


def reverse(session: Session, *, action: Action, decided_by: str, reason: str) -> Action:
    """Undo a carried-out action (a granted appeal): a RESTORE action."""
    if action.kind == ActionKind.RESTORE:
        raise BadInput("a restore cannot be reversed; decide again instead")
    existing = session.scalar(select(Action).where(Action.reverses_id == action.id))
    if existing is not None:
        raise Conflict(f"action {action.id} is already reversed by action {existing.id}")
    subject = session.get(Subject, action.subject_id)
    assert subject is not None
    return request(
        session,
        kind=ActionKind.RESTORE,
        subject=subject,
        decided_by=decided_by,
        ground=action.ground,
        statement_of_reasons=reason,
        category=action.category,
        territorial_scope=action.territorial_scope,
        source=action.source,
        case_id=action.case_id,
        reverses=action,
    )


def get(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"no action {action_id}")
    return action


def body_of(session: Session, action: Action) -> dict[str, Any]:
    reversed_key = None
    if action.reverses_id:
        original = session.get(Action, action.reverses_id)
        reversed_key = original.idempotency_key if original else None
    return {
        "action_id": action.id,
        "idempotency_key": action.idempotency_key,
        "type": action.kind,
        "subject": action.canonical,
        "territorial_scope": action.territorial_scope,
        "category": action.category,
        "ground": action.ground,
        "statement_of_reasons": action.statement_of_reasons,
        "reverses": reversed_key,
        "requested_at": iso_z(action.requested_at),
    }


@jobs.handler(JOB_KIND)
def deliver(session: Session, job: Job) -> None:
    action = get(session, int(job.payload["action_id"]))
    if action.status != ActionStatus.PENDING:
        return
    settings = get_settings().platform
    if not settings.endpoint:
        raise DeliveryError("no platform endpoint configured (RONDA_PLATFORM__ENDPOINT)")
    body = json.dumps(body_of(session, action), ensure_ascii=False, sort_keys=True).encode()
    key = action.idempotency_key
    # No transaction stays open across the network call (on SQLite it would
    # hold the write lock); the job's lease keeps other workers away.
    session.commit()
    try:
        response = signed_post(
            settings.endpoint,
            body,
            secret=settings.secret,
            idempotency_key=key,
            timeout=settings.timeout,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"platform unreachable: {type(exc).__name__}: {exc}") from exc
    if response.is_success:
        _succeeded(session, action, response)
        return
    detail = response.text[:500]
    if response.status_code >= 500 or response.status_code in RETRYABLE:
        raise DeliveryError(f"platform answered {response.status_code}: {detail}")
    action.status = ActionStatus.FAILED
    action.last_error = f"platform refused ({response.status_code}): {detail}"
    audit.record(
        session,
        actor="outbox",
        action="action.refused",
        object_type="action",
        object_id=action.id,
        data={"status": response.status_code, "detail": detail},
    )


def _succeeded(session: Session, action: Action, response: httpx.Response) -> None:
    action.status = ActionStatus.SUCCEEDED
    action.succeeded_at = utcnow()
    action.last_error = None
    try:
        parsed = response.json()
        action.platform_response = parsed if isinstance(parsed, dict) else {"body": parsed}
    except ValueError:
        action.platform_response = {"body": response.text[:1000]}
    audit.record(
        session,
        actor="outbox",
        action="action.succeeded",
        object_type="action",
        object_id=action.id,
        at=action.succeeded_at,
        data={
            "kind": action.kind,
            "subject": action.canonical,
            "category": action.category,
            "source": action.source,
        },
    )
    from ronda.transparency.service import count_success

    count_success(session, action=action, tz=get_settings().timezone)
    if action.kind != ActionKind.RESTORE:
        _action_takedown_items(session, action)


def _action_takedown_items(session: Session, action: Action) -> None:
    """Pending order items for the subject (and, for a channel, its posts) are actioned."""
    from ronda.takedowns import service as takedowns
    from ronda.takedowns.models import ItemStatus, TakedownItem

    subject_ids = [action.subject_id]
    if action.kind in (ActionKind.BLOCK_CHANNEL, ActionKind.WITHHOLD_CHANNEL):
        subject_ids += list(
            session.scalars(select(Subject.id).where(Subject.parent_id == action.subject_id))
        )
    items = list(
        session.scalars(
            select(TakedownItem)
            .where(
                TakedownItem.subject_id.in_(subject_ids),
                TakedownItem.status == ItemStatus.PENDING,
            )
            .order_by(TakedownItem.id)
        )
    )
    for item in items:
        session.refresh(item)
        if item.status != ItemStatus.PENDING:
            continue  # already given its outcome through a linked item
        reason = (
            f"{action.kind} ({', '.join(action.territorial_scope)})"
            if action.territorial_scope
            else action.kind
        )
        takedowns.set_outcome(
            session,
            item=item,
            status=ItemStatus.ACTIONED,
            reason=reason,
            actor=f"action:{action.id}",
        )


def failing(session: Session, *, limit: int = 100) -> list[Action]:
    """Actions refused by the platform or whose deliveries keep failing."""
    refused = list(
        session.scalars(
            select(Action)
            .where(Action.status == ActionStatus.FAILED)
            .order_by(Action.id.desc())
            .limit(limit)
        )
    )
    failing_jobs = session.scalars(
        select(Job)
        .where(Job.kind == JOB_KIND, Job.status != "done", Job.last_error.is_not(None))
        .order_by(Job.id.desc())
        .limit(limit)
    )
    ids = [int(j.payload["action_id"]) for j in failing_jobs]
    retrying = list(session.scalars(select(Action).where(Action.id.in_(ids)))) if ids else []
    return refused + retrying


def retry(session: Session, *, action: Action, actor: str) -> Action:
    """Send a refused action again (same idempotency key: the platform never applied it).

    For a lead who has settled the refusal with the platform (a subject it did
    not know yet, a scope it now accepts). Its delivery job runs again at once.
    """
    if action.status != ActionStatus.FAILED:
        raise Conflict(f"action {action.id} is {action.status}, not failed; nothing to retry")
    job = session.scalar(select(Job).where(Job.key == f"action:{action.id}"))
    if job is None:  # pragma: no cover - every action is written with its job
        job = jobs.enqueue(
            session, kind=JOB_KIND, key=f"action:{action.id}", payload={"action_id": action.id}
        )
    action.status = ActionStatus.PENDING
    job.status = "pending"
    job.next_attempt_at = utcnow()
    job.max_attempts = job.attempts + jobs.RETRY_ATTEMPTS
    job.locked_until = None
    audit.record(
        session,
        actor=actor,
        action="action.retry_requested",
        object_type="action",
        object_id=action.id,
        data={"last_error": action.last_error},
    )
    return action
