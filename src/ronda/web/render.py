"""Render console pages with Jinja2 (autoescaped), in the reader's language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ronda.db.base import utcnow
from ronda.web.i18n import LANGUAGES, translate

TEMPLATES = Path(__file__).resolve().parent / "templates"

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    if principal is not None and principal.user is not None:
        return str(principal.lang)
    cookie = request.cookies.get("ronda_lang")
    return cookie if cookie in LANGUAGES else "id"


def _time_left(deadline: datetime, now: datetime) -> str:
    seconds = int((deadline - now).total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rem = divmod(seconds, 3600)
    return f"{sign}{hours}:{rem // 60:02d}"


def render(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    settings = request.app.state.settings
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)
    now = utcnow()

    def t(text: str) -> str:
        return translate(text, lang)

    def local(dt: datetime | None) -> str:
        return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "-"

    principal = getattr(request.state, "principal", None)
    csrf = principal.csrf_token if principal else ""
    html = env.get_template(name).render(
        request=request,
        t=t,
        lang=lang,
        local=local,
        time_left=lambda d: _time_left(d, now),
        now=now,
        tz=settings.timezone,
        settings=settings,
        principal=principal,
        csrf_token=csrf,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("ronda_lang", lang, samesite="lax", httponly=True)
    return response


def render_error(request: Request, *, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": message}, status=status)
