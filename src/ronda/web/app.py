"""The application factory: one FastAPI app for API, console and public pages."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ronda import __version__
from ronda.config import Settings, get_settings, use_settings
from ronda.db import create_engine_for, make_sessionmaker
from ronda.ops.metrics import build_registry, db_source
from ronda.web import errors, ops

STATIC = Path(__file__).resolve().parent / "static"


class BodyLimit:
    """Refuse request bodies over a limit (413) before the app reads them."""

    def __init__(self, app: ASGIApp, *, api_limit: int, upload_limit: int) -> None:
        self.app = app
        self.api_limit = api_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        ctype = headers.get(b"content-type", b"").decode("latin-1")
        limit = self.upload_limit if ctype.startswith("multipart/") else self.api_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "too_large", "detail": f"the request body is larger than {limit} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


ROLES = ("all", "api", "console")
"""What a web process serves: ``api`` (/api/v1 and its OpenAPI schema), ``console`` (the
staff console, the authority portal and the public pages), or ``all`` (both, the default)."""


def create_app(
    settings: Settings | None = None,
    factory: sessionmaker[Session] | None = None,
    *,
    role: str = "all",
) -> FastAPI:
    if role not in ROLES:
        raise ValueError(f"unknown web role {role!r}: choose one of {', '.join(ROLES)}")
    settings = settings or get_settings()
    use_settings(settings)
    if factory is None:
        factory = make_sessionmaker(create_engine_for(settings.database_url))
    api = role in {"all", "api"}
    app = FastAPI(
        title="Ronda",
        version=__version__,
        description=(
            "Ronda's API: takedown orders from authorities (the direct line), and the "
            "desk's view of them. Authenticate with `Authorization: Bearer <API key>`."
        ),
        openapi_url="/openapi.json" if api else None,
        docs_url="/docs" if api else None,
        redoc_url="/redoc" if api else None,
    )
    app.state.settings = settings
    app.state.factory = factory
    app.state.role = role
    app.state.metrics = build_registry(
        {"database": db_source(factory)}, ttl=settings.metrics_cache_seconds
    )
    errors.install(app)
    errors.document(app)
    app.include_router(ops.router)

    if api:
        from ronda.cases.api import router as cases_api
        from ronda.detection.api import router as detection_api
        from ronda.reports.api import router as reports_api
        from ronda.takedowns.api import router as takedowns_api

        for router in (takedowns_api, cases_api, reports_api, detection_api):
            app.include_router(router)
    if role in {"all", "console"}:
        from ronda.accounts.pages import router as accounts_pages
        from ronda.actions.pages import router as actions_pages
        from ronda.audit.pages import router as audit_pages
        from ronda.cases.pages import router as cases_pages
        from ronda.search.pages import router as search_router
        from ronda.stream.pages import router as stream_pages
        from ronda.takedowns.pages import router as takedowns_pages
        from ronda.transparency.pages import router as transparency_pages

        for router in (
            cases_pages,
            search_router,
            audit_pages,
            transparency_pages,
            takedowns_pages,
            accounts_pages,
            stream_pages,
            actions_pages,
        ):
            app.include_router(router)
        app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    app.add_middleware(
        BodyLimit,  # type: ignore[arg-type]
        api_limit=settings.limits.max_api_body_bytes,
        upload_limit=settings.limits.max_raw_bytes,
    )
    app.add_middleware(ops.RequestContext)  # type: ignore[arg-type]
    return app
