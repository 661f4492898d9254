"""Domain errors to HTTP, in one place.

API paths (``/api/``) get JSON ``{"error": code, "detail": message}``; console
pages get a readable page in the user's language.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ronda.errors import (
    BadInput,
    Conflict,
    Forbidden,
    NotFound,
    RondaError,
    TooLarge,
    Unauthorized,
)

STATUS = {
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    Unauthorized: 401,
    TooLarge: 413,
    BadInput: 422,
}


def status_for(exc: RondaError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _wants_json(request: Request) -> bool:
    return (
        request.url.path.startswith("/api/")
        or "application/json" in request.headers.get("accept", "").split(",")[0]
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(RondaError)
    async def _ronda_error(request: Request, exc: RondaError) -> Response:
        status = status_for(exc)
        if _wants_json(request):
            return JSONResponse({"error": exc.code, "detail": exc.message}, status_code=status)
        from ronda.web.render import is_htmx, render_error

        if status == 401:
            if is_htmx(request):  # the whole page goes to the login form, back here after
                back = urlsplit(request.headers.get("hx-current-url", "")).path or "/review"
                return Response(status_code=200, headers={"HX-Redirect": f"/login?next={back}"})
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

        return render_error(request, status=status, message=exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"field": ".".join(str(p) for p in err.get("loc", ())), "problem": err.get("msg")}
            for err in exc.errors()
        ]
        if _wants_json(request):
            return JSONResponse(
                {"error": "bad_input", "detail": "the request is not valid", "problems": problems},
                status_code=422,
            )
        from ronda.web.render import render_error

        text = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        return render_error(request, status=422, message=text)


ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "A stable code, e.g. `not_found`."},
        "detail": {"type": "string", "description": "What was wrong, in a sentence."},
        "problems": {
            "type": "array",
            "description": "For `bad_input` from validation: one entry per invalid field.",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}

_ERROR_RESPONSES = {
    "401": "No or an unknown API key / session.",
    "403": "The key or user may not do this (e.g. another authority's order).",
    "404": "No such object (or not visible to the caller).",
    "409": "The object is not in a state that allows this.",
    "413": "The request body is over the size limit.",
    "422": "The request is not valid; `problems` lists each invalid field.",
}


def document(app: FastAPI) -> None:
    """Declare the JSON error body of every ``/api/`` operation in the OpenAPI schema.

    FastAPI documents only its own 422 shape; every handler above answers with
    ``{"error", "detail"}``, so the schema says so, once for all operations.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/api/"):
                continue
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, text in _ERROR_RESPONSES.items():
                    responses[status] = {"description": text, "content": ref}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
