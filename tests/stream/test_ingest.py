"""Publishing to JetStream and the ingest consumer, against a real nats-server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading

from ronda.stream import COUNTERS
from ronda.stream.client import MSG_ID, connect, stream_status
from ronda.stream.consumer import run_ingest
from tests.stream.conftest import (
    jsonl,
    make_posts,
    post_count,
    publish,
    snapshot,
    with_stream,
)


def _republish_as_new(settings, posts) -> None:
    """The same posts again under new message ids: JetStream delivers them, as it
    would after the duplicate window or when a platform sends a post twice."""

    async def go() -> None:
        nc = await connect(settings)
        js = nc.jetstream()
        for n, p in enumerate(posts):
            await js.publish(
                settings.stream.subject,
                json.dumps(p).encode(),
                headers={MSG_ID: f"again:{n}:{p['channel']}/{p['post_id']}"},
            )
        await nc.close()

    asyncio.run(go())


def test_publish_creates_the_stream_and_drops_duplicates(settings, nats_server):
    s = with_stream(settings, nats_server)
    assert stream_status(s) is None  # nothing published yet
    posts = make_posts(20)
    first = publish(s, posts + posts[:3])  # repeats in the same file
    assert (first.published, first.duplicates, first.skipped_count) == (20, 3, 0)
    again = publish(s, posts)
    assert (again.published, again.duplicates) == (0, 20)
    status = stream_status(s)
    assert status is not None
    assert status.messages == 20 and status.pending == 20 and status.dead_letters == 0


def test_publish_cli_reports_skipped_lines_with_reasons(settings, nats_server, tmp_path):
    s = with_stream(settings, nats_server)
    path = tmp_path / "posts.jsonl"
    path.write_bytes(
        jsonl(make_posts(2)) + b"not json\n" + b'{"post_id": 5, "channel": "x"}\n' + b"\xff\xfe\n"
    )
    env = {**os.environ, "RONDA_DATABASE_URL": s.database_url, "RONDA_STREAM__URL": nats_server.url}
    run = subprocess.run(
        [sys.executable, "-m", "ronda", "publish", str(path), "--json"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    out = json.loads(run.stdout)
    assert out["published"] == 2 and out["duplicates"] == 0 and out["skipped"] == 3
    reasons = {x["line"]: x["reason"] for x in out["skipped_lines"]}
    assert "JSON" in reasons[3] and "channel" in reasons[4] and "UTF-8" in reasons[5]
    status = subprocess.run(
        [sys.executable, "-m", "ronda", "stream", "status", "--json"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert json.loads(status.stdout)["messages"] == 2


def test_ingest_scans_commits_and_acknowledges(factory, settings, nats_server):
    s = with_stream(settings, nats_server, batch_size=40)
    publish(s, make_posts(100))
    run_ingest(s, factory, threading.Event(), once=True)
    got = snapshot(factory)
    assert got["posts"] == 100
    assert got["cases"] == 33  # every third post promotes gambling
    assert got["risk_posts"] == 100
    status = stream_status(s)
    assert status is not None and status.messages == 0 and status.ack_pending == 0
    assert COUNTERS.posts_scanned == 100 and COUNTERS.lag_count == 100
    assert COUNTERS.percentile(0.5) is not None and COUNTERS.lag_max >= 0


def test_a_redelivered_post_changes_nothing(factory, settings, nats_server):
    """Post id + detector version: scanning a post again adds no signal, case,
    case count, audit entry or channel-risk weight."""
    s = with_stream(settings, nats_server, batch_size=25)
    posts = make_posts(60)
    publish(s, posts)
    run_ingest(s, factory, threading.Event(), once=True)
    before = snapshot(factory)
    assert before["posts"] == 60 and before["cases"] == 20 and before["audit"] >= 1
    _republish_as_new(s, posts[::2] + posts)  # half of them twice more
    run_ingest(s, factory, threading.Event(), once=True)
    assert snapshot(factory) == before
    assert COUNTERS.posts_scanned == 60 + 90


def test_worker_role_ingest_once_from_the_command_line(factory, settings, nats_server, db_url):
    s = with_stream(settings, nats_server)
    publish(s, make_posts(30))
    env = {**os.environ, "RONDA_DATABASE_URL": db_url, "RONDA_STREAM__URL": nats_server.url}
    run = subprocess.run(
        [sys.executable, "-m", "ronda", "worker", "--role", "ingest", "--once"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert post_count(factory) == 30  # (the factory fixture empties the tables afterwards)
    bad = subprocess.run(
        [sys.executable, "-m", "ronda", "worker", "--role", "nightwatch", "--once"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert bad.returncode == 1 and b"unknown role nightwatch" in bad.stderr
