"""Helpers for the stream tests: posts, publishing, running the ingest loop, what the database holds."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ronda.audit.models import AuditEvent
from ronda.config import Settings, StreamSettings, use_settings
from ronda.detection.models import Case, ChannelRisk, Post, Signal
from ronda.detection.pipeline.reader import read_posts
from ronda.stream import COUNTERS
from ronda.stream.client import PublishSummary, publish_posts
from ronda.stream.consumer import run_ingest
from tests.support.streaming import NatsServer, nats_server, pg_cluster

__all__ = ["nats_server", "pg_cluster"]  # fixtures for the tests of this folder

GAMBLING = "Gabung slot gacor maxwin deposit pulsa sekarang juga daftar di situs kami, bonus {n}"
CLEAN = "Selamat pagi warga, jadwal ronda malam ini dimulai jam {n} di pos kamling"


def make_posts(n: int, *, start: int = 1, channels: int = 7) -> list[dict[str, Any]]:
    """``n`` posts over a few channels; every third promotes gambling (a case each)."""
    return [
        {
            "post_id": i,
            "channel": f"kanal_uji_{i % channels}",
            "text": (GAMBLING if i % 3 == 0 else CLEAN).format(n=i),
            "subscribers": 1000 + i,
            "views": 10 * i,
        }
        for i in range(start, start + n)
    ]


def jsonl(posts: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(p).encode() + b"\n" for p in posts)


def publish(settings: Settings, posts: list[dict[str, Any]]) -> PublishSummary:
    return publish_posts(settings, read_posts(io.BytesIO(jsonl(posts))))


def with_stream(settings: Settings, nats: NatsServer, **overrides: Any) -> Settings:
    stream = StreamSettings(url=nats.url, **{"ack_wait_seconds": 5.0, **overrides})
    s = settings.model_copy(update={"stream": stream})
    use_settings(s)
    return s


def snapshot(factory: sessionmaker[Session]) -> dict[str, Any]:
    """What ingestion leaves in the database, in numbers a double scan would change."""
    with factory() as s:
        return {
            "posts": s.scalar(select(func.count()).select_from(Post)),
            "signals": s.scalar(select(func.count()).select_from(Signal)),
            "cases": s.scalar(select(func.count()).select_from(Case)),
            "case_signals": s.scalar(select(func.coalesce(func.sum(Case.signal_count), 0))),
            "audit": s.scalar(select(func.count()).select_from(AuditEvent)),
            "risk_posts": s.scalar(select(func.coalesce(func.sum(ChannelRisk.posts_scanned), 0))),
            "risk_flagged": s.scalar(select(func.coalesce(func.sum(ChannelRisk.flagged_posts), 0))),
        }


def post_count(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(Post)) or 0)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class IngestThread:
    """``run_ingest`` in a thread of the test process, stopped at the end."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session], **kw: Any) -> None:
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

        def target() -> None:
            try:
                run_ingest(settings, factory, self.stop, **kw)
            except BaseException as exc:
                self.errors.append(exc)

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the ingest loop did not stop"
        assert not self.errors, self.errors


@pytest.fixture
def ingest_thread() -> Iterator[Callable[..., IngestThread]]:
    started: list[IngestThread] = []

    def start(settings: Settings, factory: sessionmaker[Session], **kw: Any) -> IngestThread:
        t = IngestThread(settings, factory, **kw)
        started.append(t)
        return t

    yield start
    for t in started:
        t.stop.set()
        t.thread.join(30)


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    COUNTERS.reset()
