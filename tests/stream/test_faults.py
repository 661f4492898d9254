"""Fault tests with the real parts: a worker killed mid-batch, NATS and PostgreSQL
restarted mid-run, the platform down. Nothing lost, nothing done twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from ronda.actions import service as actions
from ronda.actions.models import ActionStatus
from ronda.audit.service import verify
from ronda.config import use_settings
from ronda.db import create_engine_for, make_sessionmaker, migrate, session_scope
from ronda.detection.models import Case, Signal
from ronda.jobs.models import Job
from ronda.stream.client import stream_status
from ronda.worker import Worker, parse_roles
from tests.actions.test_outbox import _request
from tests.stream.conftest import make_posts, post_count, publish, snapshot, wait_for, with_stream

pytest_plugins = ["tests.support.platform"]


def _consistent(factory, n: int) -> None:
    """Every post scanned once in effect: counts a second scan would inflate."""
    got = snapshot(factory)
    assert got["posts"] == n and got["risk_posts"] == n
    with factory() as s:
        flagged = select(Signal.subject_id, Signal.category).where(Signal.flagged)
        pairs = s.scalar(select(func.count()).select_from(flagged.distinct().subquery()))
        subjects = s.scalar(
            select(func.count(func.distinct(Signal.subject_id))).where(Signal.flagged)
        )
        assert got["cases"] == pairs and got["risk_flagged"] == subjects
        assert got["cases"] >= n // 3  # every third post promotes gambling
        n_flagged = s.scalar(select(func.count()).select_from(Signal).where(Signal.flagged))
        assert s.scalar(select(func.sum(Case.signal_count))) == n_flagged
        assert list(verify(s)) == []  # the audit chain is whole


def _drained(settings) -> bool:
    st = stream_status(settings)
    return st is not None and st.messages == 0 and st.ack_pending == 0


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(
    factory, settings, nats_server, db_url
):
    n = 3000
    s = with_stream(settings, nats_server, batch_size=250, ack_wait_seconds=2.0)
    publish(s, make_posts(n))
    env = {
        **os.environ,
        "RONDA_DATABASE_URL": db_url,
        "RONDA_STREAM__URL": nats_server.url,
        "RONDA_STREAM__BATCH_SIZE": "250",
        "RONDA_STREAM__ACK_WAIT_SECONDS": "2",
    }
    cmd = [sys.executable, "-m", "ronda", "worker", "--role", "ingest"]
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: post_count(factory) > 0, 90, "the first batch to be committed")
        status = stream_status(s)  # the next batch is fetched, being scanned
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assert status is not None and status.ack_pending > 0
    done_before = post_count(factory)
    assert 0 < done_before < n
    second = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: post_count(factory) == n and _drained(s), 120, "every post")
    finally:
        second.send_signal(signal.SIGTERM)  # a clean stop: the loop finishes and exits
        _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err.decode()[-2000:]
    _consistent(factory, n)
    final = stream_status(s)
    assert final is not None and final.dead_letters == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_nats_restarted_mid_run(factory, settings, nats_server, ingest_thread):
    s = with_stream(settings, nats_server, batch_size=100, ack_wait_seconds=2.0)
    publish(s, make_posts(1500))
    loop = ingest_thread(s, factory)
    wait_for(lambda: post_count(factory) > 0, 60, "the first batch")
    assert post_count(factory) < 1500  # mid-run
    nats_server.restart(down_for=1.0)
    publish(s, make_posts(600, start=1501))  # published after the restart
    wait_for(lambda: post_count(factory) == 2100 and _drained(s), 120, "every post")
    loop.close()
    _consistent(factory, 2100)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the settings to start from
def test_postgresql_restarted_mid_run(settings, nats_server, pg_cluster, ingest_thread):
    admin = create_engine_for(pg_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE ronda"))
    admin.dispose()
    url = pg_cluster.url.rsplit("/", 1)[0] + "/ronda"
    migrate(url)
    engine = create_engine_for(url)
    factory = make_sessionmaker(engine)
    s = with_stream(
        settings.model_copy(update={"database_url": url}),
        nats_server,
        batch_size=100,
        ack_wait_seconds=3.0,
    )
    use_settings(s)
    try:
        publish(s, make_posts(1500))
        loop = ingest_thread(s, factory)
        wait_for(lambda: post_count(factory) > 0, 60, "the first batch")
        assert post_count(factory) < 1500  # mid-run
        pg_cluster.restart(down_for=2.0)  # a crash: in-flight transactions are lost
        wait_for(lambda: post_count(factory) == 1500 and _drained(s), 120, "every post")
        loop.close()
        _consistent(factory, 1500)
        status = stream_status(s)
        assert status is not None and status.dead_letters == 0  # an outage is not poison
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_platform_down_the_outbox_role_retries_and_acts_once(factory, settings, platform):
    action_id = _request(factory)
    scheduler = Worker(factory=factory, settings=settings, roles=parse_roles(["scheduler"]))
    outbox = Worker(factory=factory, settings=settings, roles=parse_roles(["outbox"]))
    scheduler.tick(poll=False)
    assert platform.calls == []  # platform calls belong to the outbox role
    platform.mode = "down"
    outbox.tick()
    outbox.tick()  # backed off: not due again yet
    assert len(platform.calls) == 1 and platform.applied == {}
    with session_scope(factory) as s:
        job = s.scalars(select(Job).where(Job.kind == actions.JOB_KIND)).one()
        assert job.status == "pending" and job.attempts == 1
        job.next_attempt_at = job.created_at  # time passes
    platform.mode = "ok"
    outbox.tick()
    outbox.tick()
    assert len(platform.calls) == 2 and len(platform.applied) == 1
    with factory() as s:
        assert actions.get(s, action_id).status == ActionStatus.SUCCEEDED
