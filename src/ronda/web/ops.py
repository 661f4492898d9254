"""The web roles' operations surface: request ids, HTTP metrics, /healthz, /readyz, /metrics."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ronda import __version__
from ronda.ops.health import database_check, metrics_allowed, run_checks
from ronda.ops.logging import request_id
from ronda.ops.metrics import CONTENT_TYPE, HTTP_REQUESTS, HTTP_SECONDS, exposition

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

router = APIRouter(include_in_schema=False)


class RequestContext:
    """Give every request an id (the caller's ``X-Request-ID`` if sane), log with it, count it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = supplied if _SAFE_ID.match(supplied) else secrets.token_hex(8)
        token = request_id.set(rid)
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope.get("method", "GET"), template, f"{status // 100}xx").inc()
            HTTP_SECONDS.labels(template).observe(time.perf_counter() - start)
            request_id.reset(token)


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    """Liveness: the process answers."""
    return {"status": "ok", "role": request.app.state.role, "version": __version__}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Readiness: the database answers and is migrated to this code's head."""
    ready, results = run_checks({"database": database_check(request.app.state.factory)})
    return JSONResponse(
        {
            "status": "ready" if ready else "not_ready",
            "role": request.app.state.role,
            "checks": results,
        },
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus exposition: this process's counters and the database gauges."""
    settings = request.app.state.settings
    client = request.client.host if request.client else None
    if not metrics_allowed(settings.metrics_token, request.headers.get("authorization"), client):
        return JSONResponse(
            {
                "error": "forbidden",
                "detail": "metrics need the metrics token (or a loopback client)",
            },
            status_code=403,
        )
    return Response(exposition(request.app.state.metrics), media_type=CONTENT_TYPE)
