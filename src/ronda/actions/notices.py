"""Notices to people through the platform: reporters told the outcome, channel
owners told the decision, its reasons and how to appeal.

Each notice is a job written with the change it reports and delivered like an
action: a signed POST with an idempotency key, retried with backoff.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy.orm import Session

from ronda.actions.signing import signed_post
from ronda.config import get_settings
from ronda.jobs import service as jobs
from ronda.jobs.models import Job

JOB_KIND = "notice"


class NoticeError(Exception):
    """Delivery should be tried again later."""


def queue_notice(session: Session, *, key: str, payload: dict[str, Any]) -> Job:
    """``payload["type"]`` is ``reporter_outcome`` or ``owner_notice``."""
    return jobs.enqueue(
        session, kind=JOB_KIND, key=f"notice:{key}", payload={**payload, "notice_key": key}
    )


@jobs.handler(JOB_KIND)
def deliver(session: Session, job: Job) -> None:
    platform = get_settings().platform
    endpoint = platform.notices_endpoint or platform.endpoint
    if not endpoint:
        raise NoticeError(
            "no platform endpoint configured for notices (RONDA_PLATFORM__NOTICES_ENDPOINT)"
        )
    body = json.dumps(job.payload, ensure_ascii=False, sort_keys=True).encode()
    session.commit()  # no transaction across the network call; the job's lease guards it
    try:
        response = signed_post(
            endpoint,
            body,
            secret=platform.secret,
            idempotency_key=str(job.payload["notice_key"]),
            timeout=platform.timeout,
        )
    except httpx.HTTPError as exc:
        raise NoticeError(f"platform unreachable: {exc}") from exc
    if not response.is_success:
        raise NoticeError(f"platform answered {response.status_code}: {response.text[:300]}")
