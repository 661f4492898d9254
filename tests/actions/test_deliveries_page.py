"""Leads see refused and failing deliveries, and send them again."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ronda.actions import service as actions
from ronda.actions.models import ActionStatus
from ronda.audit import service as audit
from ronda.db import session_scope
from ronda.jobs import service as jobs
from ronda.jobs.models import Job, JobStatus
from ronda.web.app import create_app
from tests.actions.test_outbox import _request, run_jobs
from tests.support import factories

pytest_plugins = ["tests.support.platform"]


@pytest.fixture
def client(factory, settings):
    with TestClient(create_app(settings, factory), base_url="https://testserver") as c:
        yield c


def login(client, email) -> str:
    r = client.post(
        "/login", data={"email": email, "password": factories.PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/review").text).group(1)


def test_a_refused_action_is_listed_and_sent_again(client, factory, settings, platform):
    action_id = _request(factory)
    platform.mode = "refuse"
    run_jobs(factory)
    factories.user(factory, "lead@ronda.test", "lead")
    token = login(client, "lead@ronda.test")
    page = client.get("/review/deliveries").text
    assert "refused" in page and "platform refused (4" in page
    assert f"/review/deliveries/actions/{action_id}/retry" in page

    platform.mode = "ok"
    r = client.post(
        f"/review/deliveries/actions/{action_id}/retry",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/review/deliveries?retried=1"
    assert run_jobs(factory) == (1, 0)
    with factory() as s:
        assert actions.get(s, action_id).status == ActionStatus.SUCCEEDED
        events = [
            e.action for e in audit.history(s, object_type="action", object_id=str(action_id))
        ]
    assert "action.retry_requested" in events and events[-1] == "action.succeeded"
    assert "Nothing here." in client.get("/review/deliveries").text
    # the platform got the same idempotency key both times
    keys = {c["headers"]["Idempotency-Key"] for c in platform.calls}
    assert len(keys) == 1


def test_a_dead_delivery_gets_more_attempts_now(client, factory, settings, platform):
    _request(factory)
    platform.mode = "down"
    run_jobs(factory)
    with session_scope(factory) as s:
        job = s.scalars(select(Job)).one()
        job.status, job.attempts = JobStatus.DEAD, job.max_attempts
        job_id = job.id
    factories.user(factory, "lead@ronda.test", "lead")
    token = login(client, "lead@ronda.test")
    assert "12/12" in client.get("/review/deliveries").text
    # htmx posts get an HX-Location (the page reloads into #main) instead of a redirect
    r = client.post(
        f"/review/deliveries/jobs/{job_id}/retry",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert r.status_code == 200 and '"/review/deliveries?retried=1"' in r.headers["hx-location"]
    with factory() as s:
        job = s.get(Job, job_id)
        assert job.status == JobStatus.PENDING and job.max_attempts == 12 + jobs.RETRY_ATTEMPTS
    platform.mode = "ok"
    assert run_jobs(factory) == (1, 0)


def test_only_leads_see_deliveries(client, factory, settings):
    factories.user(factory, "mod@ronda.test", "moderator")
    login(client, "mod@ronda.test")
    assert client.get("/review/deliveries").status_code == 403
    assert "/review/deliveries" not in client.get("/review").text
    client.cookies.clear()
    r = client.get("/review/deliveries", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
