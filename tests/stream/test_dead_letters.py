"""Poison messages: to the dead-letter stream after N attempts, kept, shown to leads, requeued."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ronda.audit.models import AuditEvent
from ronda.detection.pipeline.core import Pipeline, PipelineConfig
from ronda.detection.schemas import PostIn
from ronda.stream import COUNTERS, consumer
from ronda.stream.client import MSG_ID, connect, list_dead_letters, stream_status
from ronda.stream.consumer import run_ingest
from ronda.web.app import create_app
from tests.cases.test_cases_api import login
from tests.stream.conftest import make_posts, publish, snapshot, with_stream
from tests.support import factories

POISON = "RACUN: this post breaks the scanner"
JUNK = b'<script>alert("x")</script> not a post'


class BrittlePipeline(Pipeline):
    """The real pipeline, failing on any batch that holds the poison post."""

    def run(self, session, posts: Sequence[PostIn], **kw):  # type: ignore[no-untyped-def]
        if any(p.text == POISON for p in posts):
            raise ValueError("scanner crashed on <this> post")
        return super().run(session, posts, **kw)


def _publish_raw(settings, data: bytes, msg_id: str) -> None:
    async def go() -> None:
        nc = await connect(settings)
        await nc.jetstream().publish(settings.stream.subject, data, headers={MSG_ID: msg_id})
        await nc.close()

    asyncio.run(go())


@pytest.fixture
def poisoned(factory, settings, nats_server, monkeypatch):
    """12 good posts, one that fails the scanner every time, one that is not a post;
    ingested until the stream is empty."""
    monkeypatch.setattr(consumer, "RETRY_DELAY", 0.05)
    s = with_stream(settings, nats_server, batch_size=20, max_deliveries=3)
    posts = make_posts(12)
    posts.insert(5, {"post_id": 999, "channel": "kanal_racun", "text": POISON})
    publish(s, posts)
    _publish_raw(s, JUNK, "junk-1")
    pipeline = BrittlePipeline(PipelineConfig.from_settings(s, ocr=False))
    run_ingest(s, factory, threading.Event(), pipeline=pipeline, once=True)
    return s


def test_poison_goes_to_the_dead_letter_stream_after_n_attempts(factory, poisoned):
    got = snapshot(factory)
    assert got["posts"] == 12  # the good posts of the failing batch were scanned one by one
    status = stream_status(poisoned)
    assert status is not None
    assert status.messages == 0 and status.dead_letters == 2
    letters = {d.post: d for d in list_dead_letters(poisoned)}
    failing = letters["https://t.me/kanal_racun/999"]
    assert failing.attempts == 3 and "scanner crashed on <this> post" in failing.reason
    assert json.loads(failing.head)["text"] == POISON  # kept as received
    junk = letters["junk-1"]
    assert junk.attempts == 1 and junk.reason.startswith("not a post")
    assert junk.head == JUNK
    assert COUNTERS.dead_lettered == 2


def test_dead_letters_page_for_leads_with_requeue(factory, poisoned):
    factories.user(factory, "lead@ronda.test", "lead")
    factories.user(factory, "mod@ronda.test", "moderator")
    with TestClient(create_app(poisoned, factory), base_url="https://testserver") as client:
        login(client, "mod@ronda.test")
        assert client.get("/stream/dead-letters").status_code == 403
        assert 'href="/stream/dead-letters"' not in client.get("/desk").text
        client.cookies.clear()
        headers = login(client, "lead@ronda.test")
        assert 'href="/stream/dead-letters"' in client.get("/desk").text
        page = client.get("/stream/dead-letters?lang=en")
        assert page.status_code == 200
        html = page.text
        assert "scanner crashed on &lt;this&gt; post" in html
        assert "&lt;script&gt;alert(" in html and "<script>alert" not in html
        assert "kanal_racun" in html
        seq = min(d.seq for d in list_dead_letters(poisoned))
        r = client.post(
            f"/stream/dead-letters/{seq}/requeue", headers=headers, follow_redirects=False
        )
        assert r.status_code == 303
        assert "Pesan gagal" in client.get("/stream/dead-letters?lang=id").text
    status = stream_status(poisoned)
    assert status is not None and status.dead_letters == 1 and status.messages == 1
    with factory() as s:
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "stream.dead_letter_requeued")
        ).one()
        assert event.actor == "user:lead@ronda.test" and event.object_id == str(seq)


def test_dead_letters_cli_lists_and_requeues(poisoned, nats_server):
    env = {
        **os.environ,
        "RONDA_DATABASE_URL": poisoned.database_url,
        "RONDA_STREAM__URL": nats_server.url,
    }
    ronda = [sys.executable, "-m", "ronda", "stream", "dead-letters"]
    listed = subprocess.run([*ronda, "--json"], env=env, capture_output=True, timeout=60)
    assert listed.returncode == 0, listed.stderr.decode()[-2000:]
    letters = json.loads(listed.stdout)
    assert {d["attempts"] for d in letters} == {1, 3}
    seq = letters[0]["seq"]
    again = subprocess.run(
        [*ronda, "--requeue", str(seq)], env=env, capture_output=True, timeout=60
    )
    assert again.returncode == 0 and b"published again" in again.stdout
    missing = subprocess.run(
        [*ronda, "--requeue", "9999"], env=env, capture_output=True, timeout=60
    )
    assert missing.returncode == 1 and b"no dead letter 9999" in missing.stderr
    status = stream_status(poisoned)
    assert status is not None and status.dead_letters == 1 and status.messages == 1
