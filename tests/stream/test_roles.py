"""Worker roles: each alone, or all in one process (what `ronda serve` runs)."""

from __future__ import annotations

import threading
import time

import pytest

from ronda.stream.client import stream_status
from ronda.worker import ALL, ROLES, Worker, parse_roles
from tests.stream.conftest import make_posts, post_count, publish, wait_for, with_stream
from tests.support.servers import free_port


def test_roles_are_parsed():
    assert parse_roles(None) == parse_roles(["all"]) == frozenset({*ROLES, ALL})
    assert parse_roles(["Outbox", "scheduler"]) == {"outbox", "scheduler"}
    with pytest.raises(ValueError, match="unknown role api"):
        parse_roles(["api"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_all_roles_without_nats_keep_working(factory, settings):
    """No NATS at all: the scheduler and outbox go on, the ingest role just waits."""
    s = settings.model_copy(deep=True)
    s.stream.url = f"nats://127.0.0.1:{free_port()}"
    s.stream.connect_timeout = 0.5
    s.worker_tick_seconds = 0.1
    w = Worker(factory=factory, settings=s)
    ticks = []
    original = w.tick

    def counting_tick(**kw):  # type: ignore[no-untyped-def]
        ticks.append(time.monotonic())
        original(**kw)

    w.tick = counting_tick  # type: ignore[method-assign]
    thread = threading.Thread(target=w.run_forever, daemon=True)
    thread.start()
    time.sleep(2.0)
    w.stop.set()
    thread.join(20)
    assert not thread.is_alive()
    assert len(ticks) >= 3


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_all_waits_for_the_stream_and_then_consumes(factory, settings, nats_server):
    s = with_stream(settings, nats_server)
    s.worker_tick_seconds = 0.2
    w = Worker(factory=factory, settings=s, roles=parse_roles(["all"]))
    thread = threading.Thread(target=w.run_forever, daemon=True)
    thread.start()
    try:
        time.sleep(1.5)
        assert stream_status(s) is None  # `all` does not create the stream
        publish(s, make_posts(40))  # publishing does
        wait_for(lambda: post_count(factory) == 40, 60, "the posts")
    finally:
        w.stop.set()
        thread.join(30)
    assert not thread.is_alive()


def test_commands_say_clearly_when_nats_is_down(tmp_path):
    import os
    import subprocess
    import sys

    from tests.stream.conftest import jsonl

    path = tmp_path / "posts.jsonl"
    path.write_bytes(jsonl(make_posts(3)))
    env = {
        **os.environ,
        "RONDA_DATABASE_URL": f"sqlite:///{tmp_path}/r.db",
        "RONDA_STREAM__URL": f"nats://127.0.0.1:{free_port()}",
        "RONDA_STREAM__CONNECT_TIMEOUT": "0.5",
    }
    for args in (["publish", str(path)], ["worker", "--role", "ingest", "--once"]):
        run = subprocess.run(
            [sys.executable, "-m", "ronda", *args], env=env, capture_output=True, timeout=120
        )
        assert run.returncode == 1, run.stderr.decode()[-2000:]
        assert b"error: cannot reach NATS at nats://127.0.0.1:" in run.stderr
        assert b"Traceback" not in run.stderr
