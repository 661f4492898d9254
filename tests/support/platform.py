"""A fake platform: a real HTTP server on 127.0.0.1 that receives Ronda's
enforcement calls, checks their signatures and applies each idempotency key
once, as a real platform integration must."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ronda.actions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

SECRET = "platform-test-secret"


@dataclass
class FakePlatform:
    url: str
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> body
    calls: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"  # ok | down | refuse
    delay: float = 0.0
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with platform.lock:
                platform.calls.append({"headers": dict(self.headers), "body": body})
            if platform.mode == "down":
                self._send(503, {"error": "maintenance"})
                return
            if not verify(
                SECRET,
                self.headers.get(TIMESTAMP_HEADER, ""),
                body,
                self.headers.get(SIGNATURE_HEADER, ""),
            ):
                platform.bad_signatures += 1
                self._send(401, {"error": "bad signature"})
                return
            if platform.mode == "refuse":
                self._send(400, {"error": "unknown subject"})
                return
            key = self.headers.get("Idempotency-Key", "")
            with platform.lock:
                first = key not in platform.applied
                if first:
                    platform.applied[key] = json.loads(body)
            if platform.delay:
                time.sleep(platform.delay)
            self._send(200, {"applied": first, "key": key})

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@pytest.fixture
def platform(settings) -> Iterator[FakePlatform]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(FakePlatform(url="")))
    fake = FakePlatform(url=f"http://127.0.0.1:{server.server_address[1]}/ronda/actions")
    server.RequestHandlerClass = _handler(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.platform.endpoint = fake.url
    settings.platform.secret = SECRET
    settings.platform.timeout = 5
    yield fake
    server.shutdown()
    server.server_close()
