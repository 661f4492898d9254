"""Health (liveness) and readiness for every role, and a tiny HTTP server for the workers.

* **healthz** — the process is alive and its loop is turning: a worker whose loop has not
  completed a round for ``stale_after`` seconds is reported dead, so the supervisor
  (systemd, Kubernetes) restarts it.
* **readyz** — the process can do its work now: the database answers and its schema is at
  the code's migration head; roles that need more (the stream for ``ingest``) add checks.

The web roles answer these paths in the app itself; ``ronda worker`` starts
:class:`OpsServer` on ``ops_port`` for its own ``/healthz``, ``/readyz`` and ``/metrics``.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ronda import __version__
from ronda.ops.metrics import CONTENT_TYPE, exposition

log = logging.getLogger(__name__)

Check = Callable[[], None]
"""A readiness check: returns when ready, raises with a readable message when not."""


@dataclass
class Heartbeat:
    """Marks each completed round of a loop; liveness fails when it goes quiet."""

    stale_after: float = 120.0
    _last: float = field(default_factory=time.monotonic)

    def beat(self) -> None:
        self._last = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self._last

    @property
    def alive(self) -> bool:
        return self.age() <= self.stale_after


def database_check(factory: sessionmaker[Session]) -> Check:
    """Ready when the database answers and is migrated to the code's head revision."""

    def check() -> None:
        from ronda.db.migrate import current_revision, head_revision

        with factory() as session:
            session.execute(text("SELECT 1"))
            conn = session.connection()
            current = current_revision(conn)
        head = head_revision()
        if current != head:
            raise RuntimeError(
                f"database schema is at {current or 'nothing'}, the code needs {head}: "
                "run `ronda db upgrade`"
            )

    return check


def run_checks(checks: dict[str, Check]) -> tuple[bool, dict[str, str]]:
    """Run every check; ``(all ready, {name: "ok" or the reason})``."""
    results: dict[str, str] = {}
    ok = True
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # a check's failure is an answer, not an error
            ok = False
            results[name] = f"{type(exc).__name__}: {exc}"[:500]
        else:
            results[name] = "ok"
    return ok, results


def metrics_allowed(token: str, authorization: str | None, client_host: str | None) -> bool:
    """Who may read /metrics: the bearer of ``metrics_token`` when one is set, else loopback."""
    if token:
        supplied = (authorization or "").removeprefix("Bearer ").strip()
        return bool(supplied) and hmac.compare_digest(supplied.encode(), token.encode())
    if not client_host:
        return False
    try:
        return ipaddress.ip_address(client_host).is_loopback
    except ValueError:
        return client_host == "testclient"  # Starlette's in-process test client


@dataclass
class OpsServer:
    """``/healthz``, ``/readyz`` and ``/metrics`` over HTTP for a process without a web app."""

    role: str
    host: str
    port: int
    registry: CollectorRegistry
    checks: dict[str, Check]
    heartbeat: Heartbeat
    metrics_token: str = ""
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> int:
        """Listen and serve in a daemon thread; returns the bound port."""
        ops = self

        class Handler(BaseHTTPRequestHandler):
            server_version = f"ronda/{__version__}"

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    alive = ops.heartbeat.alive
                    self._json(
                        200 if alive else 503,
                        {
                            "status": "ok" if alive else "stalled",
                            "role": ops.role,
                            "version": __version__,
                            "last_round_seconds_ago": round(ops.heartbeat.age(), 1),
                        },
                    )
                elif path == "/readyz":
                    ready, results = run_checks(ops.checks)
                    self._json(
                        200 if ready else 503,
                        {
                            "status": "ready" if ready else "not_ready",
                            "role": ops.role,
                            "checks": results,
                        },
                    )
                elif path == "/metrics":
                    if not metrics_allowed(
                        ops.metrics_token, self.headers.get("Authorization"), self.client_address[0]
                    ):
                        self._json(
                            403, {"error": "forbidden", "detail": "metrics need the metrics token"}
                        )
                        return
                    body = exposition(ops.registry)
                    self._send(200, CONTENT_TYPE, body)
                else:
                    self._json(404, {"error": "not_found", "detail": f"no such path: {path[:100]}"})

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                self._send(status, "application/json", json.dumps(payload).encode())

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("ops %s " + format, self.client_address[0], *args)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"ops-{self.role}", daemon=True
        )
        self._thread.start()
        bound = int(self._server.server_address[1])
        log.info("ops endpoints for %s on http://%s:%d", self.role, self.host, bound)
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
