"""Leads' view of the outbox: deliveries the platform refused or that keep failing.

A refused action (the platform answered 4xx) waits for a lead; a delivery that
keeps failing (platform down, SMTP misconfigured) retries by itself with
backoff, and after its last attempt is dead. Both are listed here with their
attempts and last error, and "retry now" sends them again at once.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role
from ronda.actions import service as actions
from ronda.actions.models import ActionStatus
from ronda.jobs import service as jobs
from ronda.jobs.models import Job
from ronda.web.deps import Principal, get_db, require
from ronda.web.render import render, see_other

router = APIRouter(include_in_schema=False)
lead = require(Role.LEAD)


@router.get("/review/deliveries", response_class=HTMLResponse)
def deliveries(
    request: Request, principal: Principal = Depends(lead), db: Session = Depends(get_db)
) -> Response:
    failing_actions = actions.failing(db, limit=200)
    keys = [f"action:{a.id}" for a in failing_actions]
    job_of = {j.key: j for j in db.scalars(select(Job).where(Job.key.in_(keys)))} if keys else {}
    rows = [(a, job_of.get(f"action:{a.id}")) for a in failing_actions]
    others = [j for j in jobs.failing(db, limit=200) if j.kind != actions.JOB_KIND]
    return render(request, "deliveries.html", {"actions": rows, "jobs": others})


@router.post("/review/deliveries/actions/{action_id}/retry")
def retry_action(
    action_id: int,
    request: Request,
    principal: Principal = Depends(lead),
    db: Session = Depends(get_db),
) -> Response:
    action = actions.get(db, action_id)
    if action.status == ActionStatus.FAILED:
        actions.retry(db, action=action, actor=principal.actor)
    else:  # still being retried by the outbox: just make it due now
        job = db.scalar(select(Job).where(Job.key == f"action:{action.id}"))
        if job is not None:
            jobs.retry_now(db, job_id=job.id, actor=principal.actor)
    db.commit()
    return see_other(request, "/review/deliveries?retried=1")


@router.post("/review/deliveries/jobs/{job_id}/retry")
def retry_job(
    job_id: int,
    request: Request,
    principal: Principal = Depends(lead),
    db: Session = Depends(get_db),
) -> Response:
    jobs.retry_now(db, job_id=job_id, actor=principal.actor)
    db.commit()
    return see_other(request, "/review/deliveries?retried=1")
