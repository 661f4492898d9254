"""Enqueue jobs and run the due ones with retries and exponential backoff.

A job is written in the same transaction as the change that needs it, then
run by ``run_due`` in its own transaction: the handler reloads what it needs
by id. A handler that raises is retried later (1 min, 2, 4 ... capped at
1 hour); after ``max_attempts`` the job is marked dead and shown to leads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from ronda.audit import service as audit
from ronda.db.base import utcnow
from ronda.db.upsert import insert_ignore
from ronda.errors import InvalidTransition, NotFound
from ronda.jobs.models import Job, JobStatus
from ronda.ops.metrics import JOBS_RUN

log = logging.getLogger(__name__)

Handler = Callable[[Session, Job], None]
_HANDLERS: dict[str, Handler] = {}

BASE_BACKOFF = timedelta(seconds=60)
MAX_BACKOFF = timedelta(hours=1)


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    max_attempts: int = 12,
) -> Job:
    """Add a job unless one with the same key exists; return the job either way."""
    insert_ignore(
        session,
        Job.__table__,  # type: ignore[arg-type]
        [
            {
                "kind": kind,
                "key": key,
                "payload": payload,
                "status": JobStatus.PENDING.value,
                "attempts": 0,
                "max_attempts": max_attempts,
                "next_attempt_at": run_at or utcnow(),
                "created_at": utcnow(),
            }
        ],
    )
    job = session.scalar(select(Job).where(Job.key == key))
    assert job is not None
    return job


def backoff(attempts: int) -> timedelta:
    delay: timedelta = BASE_BACKOFF * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def _claim(factory: sessionmaker[Session], kinds: Iterable[str] | None, limit: int) -> list[int]:
    """Lease due jobs. A worker that dies leaves its lease to run out; then
    another worker takes the job again (at-least-once, hence idempotency keys)."""
    from ronda.config import get_settings

    now = utcnow()
    lease = timedelta(seconds=get_settings().job_lease_seconds)
    with factory() as session, session.begin():
        query = (
            select(Job)
            .where(
                Job.status == JobStatus.PENDING,
                Job.next_attempt_at <= now,
                or_(Job.locked_until.is_(None), Job.locked_until < now),
            )
            .order_by(Job.next_attempt_at, Job.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if kinds is not None:
            query = query.where(Job.kind.in_(list(kinds)))
        jobs = list(session.scalars(query))
        for job in jobs:
            job.locked_until = now + lease
        return [job.id for job in jobs]


def run_one(factory: sessionmaker[Session], job_id: int) -> bool:
    """Run one claimed job; True when it succeeded."""
    error: str | None = None
    with factory() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.PENDING:
            return False
        kind = job.kind
        fn = _HANDLERS.get(kind)
        try:
            if fn is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            fn(session, job)
            job.status = JobStatus.DONE
            job.done_at = utcnow()
            job.attempts += 1
            job.locked_until = None
            job.last_error = None
            session.commit()
        except Exception as exc:  # every failure is recorded and retried
            session.rollback()
            error = f"{type(exc).__name__}: {exc}"
    # Record the failure only after the handler's session has let go of its
    # transaction: on SQLite a second writer would wait for it.
    if error is None:
        JOBS_RUN.labels(kind, "ok").inc()
        return True
    JOBS_RUN.labels(kind, "failed").inc()
    log.warning("job %s (%s) failed: %s", job_id, kind, error)
    _record_failure(factory, job_id, error)
    return False


def _record_failure(factory: sessionmaker[Session], job_id: int, error: str) -> None:
    with factory() as session, session.begin():
        job = session.get(Job, job_id)
        if job is None:
            return
        job.attempts += 1
        job.last_error = error[:4000]
        job.locked_until = None
        if job.attempts >= job.max_attempts:
            job.status = JobStatus.DEAD
        else:
            job.next_attempt_at = utcnow() + backoff(job.attempts)


def run_due(
    factory: sessionmaker[Session], *, kinds: Iterable[str] | None = None, limit: int = 100
) -> tuple[int, int]:
    """Run every due job once; returns (succeeded, failed)."""
    kinds = list(kinds) if kinds is not None else None
    ok = failed = 0
    for job_id in _claim(factory, kinds, limit):
        if run_one(factory, job_id):
            ok += 1
        else:
            failed += 1
    return ok, failed


def failing(session: Session, *, limit: int = 100) -> list[Job]:
    """Jobs that failed at least once and are not done: shown to leads."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.status != JobStatus.DONE, Job.last_error.is_not(None))
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )


#: a dead job retried by hand gets this many more attempts
RETRY_ATTEMPTS = 3


def retry_now(session: Session, *, job_id: int, actor: str) -> Job:
    """Make a failing job due at once (a dead one gets ``RETRY_ATTEMPTS`` more attempts).

    For a lead who fixed the cause (the platform is back, the SMTP password is
    right): the next worker round runs it instead of waiting out the backoff.
    """
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.status == JobStatus.DONE:
        raise InvalidTransition(f"job {job_id} is done; there is nothing to retry")
    was = job.status
    if job.status == JobStatus.DEAD:
        job.status = JobStatus.PENDING
        job.max_attempts = job.attempts + RETRY_ATTEMPTS
    job.next_attempt_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="job.retry_requested",
        object_type="job",
        object_id=job.id,
        data={"kind": job.kind, "was": was, "attempts": job.attempts},
    )
    return job
