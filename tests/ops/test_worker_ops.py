"""`ronda worker --ops-port`: a real worker process answers health, readiness and metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from ronda.db import migrate
from tests.support.servers import free_port


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            get(port, "/healthz")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the worker's ops port never answered")


@pytest.fixture
def worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate(url)
    procs: list[subprocess.Popen] = []

    def start(*roles: str, **env: str) -> int:
        port = free_port()
        args = [sys.executable, "-m", "ronda", "worker", "--ops-port", str(port)]
        for role in roles:
            args += ["--role", role]
        proc = subprocess.Popen(
            args,
            env={
                **os.environ,
                "RONDA_DATABASE_URL": url,
                "RONDA_LOG_FORMAT": "json",
                "RONDA_WORKER_TICK_SECONDS": "0.2",
                **env,
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        wait_listening(port, proc)
        return port

    yield start, procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def test_outbox_worker_answers_and_stops_on_sigterm(worker):
    start, procs = worker
    port = start("outbox")
    status, body = get(port, "/healthz")
    assert status == 200 and json.loads(body)["role"] == "outbox"
    status, body = get(port, "/readyz")
    assert status == 200 and json.loads(body)["checks"] == {"database": "ok"}
    status, body = get(port, "/metrics")
    assert status == 200 and "ronda_outbox_jobs" in body and "ronda_queue_depth" in body
    proc = procs[0]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    # structured logs: every line a JSON object with the role
    lines = [json.loads(line) for line in proc.stderr.read().splitlines() if line.startswith("{")]
    assert any(e["msg"].startswith("worker started") and e["role"] == "outbox" for e in lines)


def test_ingest_worker_is_not_ready_without_its_stream(worker):
    start, _procs = worker
    dead = free_port()  # nothing listens here
    port = start(
        "ingest", RONDA_STREAM__URL=f"nats://127.0.0.1:{dead}", RONDA_STREAM__CONNECT_TIMEOUT="0.5"
    )
    status, body = get(port, "/readyz")
    got = json.loads(body)
    assert status == 503 and got["checks"]["database"] == "ok"
    assert got["checks"]["stream"] != "ok"
    status, body = get(port, "/healthz")
    assert status == 200  # alive: it keeps trying to reach NATS
    assert 'ronda_metrics_source_up{source="stream"} 0.0' in get(port, "/metrics")[1]
