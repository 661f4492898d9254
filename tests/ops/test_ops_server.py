"""The workers' ops HTTP server, over a real socket."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from ronda.ops.health import Heartbeat, OpsServer, database_check, metrics_allowed
from ronda.ops.metrics import POSTS_SCANNED, build_registry, db_source


def fetch(port: int, path: str, token: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def ops(factory):
    beat = Heartbeat(stale_after=60)
    server = OpsServer(
        role="ingest",
        host="127.0.0.1",
        port=0,
        registry=build_registry({"database": db_source(factory)}, ttl=0),
        checks={"database": database_check(factory)},
        heartbeat=beat,
    )
    port = server.start()
    yield server, port, beat
    server.close()


def test_health_readiness_and_metrics(ops):
    _server, port, beat = ops
    status, body = fetch(port, "/healthz")
    assert status == 200 and json.loads(body)["role"] == "ingest"
    status, body = fetch(port, "/readyz")
    assert status == 200 and json.loads(body)["checks"] == {"database": "ok"}
    POSTS_SCANNED.labels("stream").inc(3)
    status, body = fetch(port, "/metrics")
    assert status == 200
    assert 'ronda_posts_scanned_total{source="stream"}' in body
    assert "ronda_queue_depth" in body and 'ronda_metrics_source_up{source="database"} 1.0' in body
    status, body = fetch(port, "/nope")
    assert status == 404 and json.loads(body)["error"] == "not_found"

    # A loop that stops turning is reported dead, so the supervisor restarts the process.
    beat.stale_after = 0.0
    status, body = fetch(port, "/healthz")
    assert status == 503 and json.loads(body)["status"] == "stalled"
    beat.stale_after = 60.0
    beat.beat()
    assert fetch(port, "/healthz")[0] == 200


def test_readiness_fails_with_the_reason(factory):
    def stream_down() -> None:
        raise ConnectionError("nats://127.0.0.1:4 refused")

    server = OpsServer(
        role="ingest",
        host="127.0.0.1",
        port=0,
        registry=build_registry(),
        checks={"database": database_check(factory), "stream": stream_down},
        heartbeat=Heartbeat(),
        metrics_token="tok",
    )
    port = server.start()
    try:
        status, body = fetch(port, "/readyz")
        got = json.loads(body)
        assert status == 503 and got["status"] == "not_ready"
        assert got["checks"] == {
            "database": "ok",
            "stream": "ConnectionError: nats://127.0.0.1:4 refused",
        }
        assert fetch(port, "/metrics")[0] == 403
        assert fetch(port, "/metrics", token="tok")[0] == 200
    finally:
        server.close()


@pytest.mark.parametrize(
    ("token", "header", "host", "allowed"),
    [
        ("", None, "127.0.0.1", True),
        ("", None, "::1", True),
        ("", None, "10.0.0.5", False),
        ("", None, None, False),
        ("t", None, "127.0.0.1", False),
        ("t", "Bearer t", "10.0.0.5", True),
        ("t", "Bearer x", "127.0.0.1", False),
        ("t", "Bearer ", "127.0.0.1", False),
    ],
)
def test_who_may_read_metrics(token, header, host, allowed):
    assert metrics_allowed(token, header, host) is allowed
