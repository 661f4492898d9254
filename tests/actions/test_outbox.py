"""Enforcement through the outbox: signed, idempotent, retried, reversible."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from ronda.actions import service as actions
from ronda.actions.models import ActionStatus
from ronda.actions.signing import sign, verify
from ronda.db import session_scope
from ronda.jobs import service as jobs
from ronda.jobs.models import Job
from ronda.links import parse
from ronda.subjects.models import Subject
from ronda.subjects.service import ensure_subjects
from ronda.takedowns.receive import receive_email
from tests.support import factories

pytest_plugins = ["tests.support.platform"]


def _subject(session, link: str) -> Subject:
    ref = parse(link)
    ids = ensure_subjects(session, [ref])
    return session.get(Subject, ids[ref.canonical])


def _request(factory, link="https://t.me/slot_gacor_maxwin88/12", kind="remove_post", **kw) -> int:
    with session_scope(factory) as s:
        action = actions.request(
            s,
            kind=kind,
            subject=_subject(s, link),
            decided_by="user:mod@ronda.test",
            ground="UU ITE Pasal 27 ayat (2)",
            statement_of_reasons="Promosi judi online.",
            category="gambling",
            **kw,
        )
        return action.id


def run_jobs(factory):
    return jobs.run_due(factory, kinds=[actions.JOB_KIND])


def test_signature_round_trip():
    body = b'{"a": 1}'
    sig = sign("s3cret", 1_764_000_000, body)
    assert verify("s3cret", "1764000000", body, sig, now=1_764_000_010)
    assert not verify("s3cret", "1764000000", body + b" ", sig, now=1_764_000_010)
    assert not verify("other", "1764000000", body, sig, now=1_764_000_010)
    assert not verify("s3cret", "1764000000", body, sig, now=1_764_009_999)  # stale


def test_action_is_delivered_signed_with_an_idempotency_key(factory, settings, platform):
    action_id = _request(factory)
    assert run_jobs(factory) == (1, 0)
    assert platform.bad_signatures == 0
    assert len(platform.applied) == 1
    body = next(iter(platform.applied.values()))
    assert (
        body["type"] == "remove_post" and body["subject"] == "https://t.me/slot_gacor_maxwin88/12"
    )
    assert body["ground"] == "UU ITE Pasal 27 ayat (2)"
    with factory() as s:
        action = actions.get(s, action_id)
        assert action.status == ActionStatus.SUCCEEDED and action.succeeded_at is not None
        assert platform.calls[0]["headers"]["Idempotency-Key"] == action.idempotency_key


def test_platform_down_for_a_while_then_back(factory, settings, platform):
    action_id = _request(factory)
    platform.mode = "down"
    assert run_jobs(factory) == (0, 1)
    with factory() as s:
        job = s.query(Job).one()
        assert job.status == "pending" and job.attempts == 1 and "503" in job.last_error
        assert job.next_attempt_at > job.created_at + timedelta(seconds=50)  # backed off
        assert [a.id for a in actions.failing(s)] == [action_id]
        job.next_attempt_at = job.created_at  # time passes
        s.commit()
    platform.mode = "ok"
    assert run_jobs(factory) == (1, 0)
    with factory() as s:
        assert actions.get(s, action_id).status == ActionStatus.SUCCEEDED
    assert len(platform.applied) == 1


def test_refusal_is_recorded_not_retried(factory, settings, platform):
    action_id = _request(factory)
    platform.mode = "refuse"
    assert run_jobs(factory) == (1, 0)  # the job is done: a 400 will not get better
    with factory() as s:
        action = actions.get(s, action_id)
        assert action.status == ActionStatus.FAILED and "400" in (action.last_error or "")
        assert action in actions.failing(s)


def test_redelivery_after_a_crash_takes_effect_once(factory, settings, platform):
    """The worker died after the platform applied the action but before it
    recorded success: the job runs again and the platform sees the same key."""
    action_id = _request(factory)
    with factory() as s:
        action = actions.get(s, action_id)
        body = json.dumps(actions.body_of(s, action), sort_keys=True).encode()
        import time

        import httpx

        ts = int(time.time())
        r = httpx.post(
            platform.url,
            content=body,
            headers={
                "Idempotency-Key": action.idempotency_key,
                "X-Ronda-Timestamp": str(ts),
                "X-Ronda-Signature": sign(settings.platform.secret, ts, body),
                "Content-Type": "application/json",
            },
        )
        assert r.json()["applied"] is True
    assert run_jobs(factory) == (1, 0)
    assert len(platform.applied) == 1
    assert len(platform.calls) == 2
    with factory() as s:
        assert actions.get(s, action_id).status == ActionStatus.SUCCEEDED


def test_success_actions_pending_takedown_items(factory, settings, platform):
    factories.authority(factory)
    order = receive_email(
        factory,
        settings=settings,
        data=factories.mail(
            body="https://t.me/slot_gacor_maxwin88/12 https://t.me/slot_gacor_maxwin88/13 https://t.me/kanal_lain_saja"
        ),
        source="o",
    ).order
    _request(
        factory,
        link="https://t.me/slot_gacor_maxwin88",
        kind="withhold_channel",
        territorial_scope=["id"],
    )
    assert run_jobs(factory) == (1, 0)
    from ronda.takedowns import service as takedowns

    with factory() as s:
        o = takedowns.get_order(s, order.tracking_number)
        status = {i.canonical: (i.status, i.reason) for i in o.items}
    assert status["https://t.me/slot_gacor_maxwin88/12"] == ("actioned", "withhold_channel (ID)")
    assert status["https://t.me/slot_gacor_maxwin88/13"][0] == "actioned"
    assert status["https://t.me/kanal_lain_saja"][0] == "pending"


def test_reversal_after_a_granted_appeal(factory, settings, platform):
    action_id = _request(factory, link="https://t.me/kanal_dakwah_damai", kind="block_channel")
    run_jobs(factory)
    with session_scope(factory) as s:
        restore = actions.reverse(
            s,
            action=actions.get(s, action_id),
            decided_by="user:lead@ronda.test",
            reason="Banding diterima: kanal dakwah, bukan propaganda.",
        )
        restore_id = restore.id
        with pytest.raises(Exception, match="already reversed"):
            actions.reverse(s, action=actions.get(s, action_id), decided_by="x", reason="y")
    run_jobs(factory)
    bodies = list(platform.applied.values())
    assert [b["type"] for b in bodies] == ["block_channel", "restore"]
    assert bodies[1]["reverses"] == bodies[0]["idempotency_key"]
    with factory() as s:
        assert actions.get(s, restore_id).status == ActionStatus.SUCCEEDED


def test_bad_requests(factory, settings):
    from ronda.errors import BadInput

    with session_scope(factory) as s:
        channel = _subject(s, "https://t.me/kanal_lain_saja")
        with pytest.raises(BadInput, match="territorial scope"):
            actions.request(
                s,
                kind="withhold_channel",
                subject=channel,
                decided_by="x",
                ground="g",
                statement_of_reasons="r",
            )
        with pytest.raises(BadInput, match="not a post"):
            actions.request(
                s,
                kind="remove_post",
                subject=channel,
                decided_by="x",
                ground="g",
                statement_of_reasons="r",
            )
        with pytest.raises(BadInput, match="unknown action"):
            actions.request(
                s,
                kind="nuke",
                subject=channel,
                decided_by="x",
                ground="g",
                statement_of_reasons="r",
            )


def test_worker_killed_mid_delivery_takes_effect_exactly_once(factory, settings, platform, db_url):
    """A real `ronda worker` process is SIGKILLed while the platform is applying
    the action; after its lease runs out a second worker delivers again with the
    same idempotency key, and the platform applies it once."""
    import os
    import signal
    import subprocess
    import sys
    import time

    action_id = _request(factory)
    platform.delay = 30  # applied, then a slow answer: the worker is killed while waiting
    env = {
        **os.environ,
        "RONDA_DATABASE_URL": db_url,
        "RONDA_PLATFORM__ENDPOINT": platform.url,
        "RONDA_PLATFORM__SECRET": settings.platform.secret,
        "RONDA_JOB_LEASE_SECONDS": "2",
        "RONDA_WORKER_TICK_SECONDS": "0.2",
        "RONDA_PLATFORM__TIMEOUT": "60",
    }
    ronda = [sys.executable, "-m", "ronda"]
    first = subprocess.Popen(
        [*ronda, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not platform.applied and time.monotonic() < deadline:
            time.sleep(0.05)
        assert platform.applied, "the first worker never reached the platform"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    with factory() as s:
        assert (
            actions.get(s, action_id).status == ActionStatus.PENDING
        )  # success was never recorded
    platform.delay = 0
    time.sleep(2.5)  # the dead worker's lease runs out
    second = subprocess.run([*ronda, "worker", "--once"], env=env, capture_output=True, timeout=60)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert len(platform.calls) == 2 and len(platform.applied) == 1
    with factory() as s:
        assert actions.get(s, action_id).status == ActionStatus.SUCCEEDED


def test_failing_deliveries_are_shown_on_the_desk(factory, settings, platform):
    from fastapi.testclient import TestClient

    from ronda.web.app import create_app
    from tests.cases.test_cases_api import login

    _request(factory)
    platform.mode = "down"
    run_jobs(factory)
    factories.user(factory, "lead@ronda.test", "lead")
    with TestClient(create_app(settings, factory), base_url="https://testserver") as client:
        login(client, "lead@ronda.test")
        page = client.get("/desk").text
        detail = client.get("/review/deliveries").text
    assert 'href="/review/deliveries"' in page and "Failing deliveries: 1" in page
    assert "remove_post" in detail and "503" in detail and "1/12" in detail


def test_removed_content_is_kept_for_the_retention_period_then_purged(factory, settings, platform):
    from datetime import timedelta

    from sqlalchemy import select

    from ronda.actions import retention
    from ronda.audit import service as audit
    from ronda.db.base import utcnow
    from ronda.detection.models import Post, Signal

    link = "https://t.me/slot_gacor_maxwin88/12"
    with session_scope(factory) as s:
        subject = _subject(s, link)
        s.add(
            Post(
                subject_id=subject.id,
                channel_subject_id=subject.parent_id,
                platform_post_id=12,
                channel_username="slot_gacor_maxwin88",
                text="SLOT GACOR depo 10rb",
                language="id",
                media=[{"sha256": "a" * 64}],
                source="api",
                ocr_text="MAXWIN",
            )
        )
        s.add(
            Signal(
                subject_id=subject.id,
                post_id=subject.id,
                detector="rules",
                detector_version="1",
                category="gambling",
                score=0.9,
                flagged=True,
                evidence={"hits": [{"text": "SLOT GACOR"}]},
            )
        )
    _request(factory, link=link)
    run_jobs(factory)
    with session_scope(factory) as s:
        assert retention.purge(s, settings=settings).posts == 0  # within six months: kept
        later = utcnow() + timedelta(days=settings.retention_days + 1)
        assert retention.purge(s, settings=settings, now=later, dry_run=True).posts == 1
        result = retention.purge(s, settings=settings, now=later)
        assert (result.posts, result.signals) == (1, 1)
        assert retention.purge(s, settings=settings, now=later).posts == 0  # nothing left
    with factory() as s:
        post = s.scalars(select(Post)).one()
        assert post.text == retention.PURGED and post.ocr_text is None and post.media == []
        assert s.scalars(select(Signal)).one().evidence == {"purged": True}
        assert [
            e.action
            for e in audit.history(
                s, object_type="retention", object_id=result.cutoff.date().isoformat()
            )
        ] == ["retention.purged"]
