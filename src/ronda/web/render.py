"""Render console pages with Jinja2 (autoescaped), in the reader's language.

Every page is a whole document that works without JavaScript. When htmx asks
(``HX-Request``) for the page's main area (``HX-Target: main``), only the
page's ``content`` block (and its ``<title>``) is sent; a page may also name
a partial template for its own smaller targets (the queue's table).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from markupsafe import Markup

from ronda.db.base import utcnow
from ronda.web.i18n import LANGUAGES, translate

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTMX = Path(__file__).resolve().parent / "static" / "vendor" / "htmx.min.js"
MAIN = "main"  # the id of the page area htmx swaps
#: under this many seconds left a deadline is shown as near (and over it, overdue)
NEAR_DEADLINE_SECONDS = 3600

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


def is_htmx(request: Request) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def htmx_target(request: Request) -> str | None:
    return request.headers.get("hx-target") if is_htmx(request) else None


def time_left_text(deadline: datetime, now: datetime, lang: str) -> str:
    """ "3 h 12 min left" / "overdue 20 min", in the reader's language (minutes, rounded down)."""
    seconds = int((deadline - now).total_seconds())
    minutes_total = abs(seconds) // 60
    hours, minutes = divmod(minutes_total, 60)
    if seconds >= 0:
        phrase = "{h} h {m} min left" if hours else "{m} min left"
    else:
        phrase = "overdue {h} h {m} min" if hours else "overdue {m} min"
    return translate(phrase, lang).format(h=hours, m=minutes)


def deadline_state(deadline: datetime, now: datetime) -> str:
    seconds = (deadline - now).total_seconds()
    if seconds < 0:
        return "overdue"
    return "near" if seconds < NEAR_DEADLINE_SECONDS else "ok"


def countdown(deadline: datetime, now: datetime, lang: str) -> Markup:
    """The server's countdown text; review.js keeps it ticking from ``data-deadline``."""
    return Markup('<span class="countdown {state}" data-deadline="{iso}">{text}</span>').format(
        state=deadline_state(deadline, now),
        iso=deadline.isoformat(),
        text=time_left_text(deadline, now, lang),
    )


def _fragment(template: Template, context: dict[str, Any]) -> str:
    """The page's title and content block only (for htmx swapping ``main``)."""
    ctx = template.new_context(context)
    title = "".join(template.blocks["title"](ctx)) if "title" in template.blocks else ""
    content = "".join(template.blocks["content"](ctx)) if "content" in template.blocks else ""
    return f"<title>{title} · Ronda</title>\n{content}"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    fragment: bool | None = None,
) -> HTMLResponse:
    """The page ``name``; only its main area when htmx asks for it (``fragment=None``)."""
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
    values = dict(
        request=request,
        t=t,
        lang=lang,
        local=local,
        time_left=lambda d: time_left_text(d, now, lang),
        countdown=lambda d: countdown(d, now, lang),
        now=now,
        tz=settings.timezone,
        settings=settings,
        principal=principal,
        csrf_token=csrf,
        htmx=HTMX.is_file(),
        **context,
    )
    template = env.get_template(name)
    if fragment is None:
        fragment = htmx_target(request) == MAIN
    html = _fragment(template, values) if fragment else template.render(values)
    response = HTMLResponse(html, status_code=status)
    # the same URL answers a page or a fragment: caches must keep them apart
    response.headers["Vary"] = "HX-Request, HX-Target"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("ronda_lang", lang, samesite="lax", httponly=True)
    return response


def render_error(request: Request, *, status: int, message: str) -> HTMLResponse:
    """An error page; for any htmx request just its content, swapped where the answer goes."""
    return render(
        request,
        "error.html",
        {"status": status, "message": message},
        status=status,
        fragment=True if is_htmx(request) else None,
    )


def see_other(request: Request, url: str) -> Response:
    """Where to go after a form post: a 303 redirect, or for htmx an ``HX-Location``
    that loads ``url`` into ``main`` and puts it in the address bar."""
    if is_htmx(request):
        location = json.dumps({"path": url, "target": f"#{MAIN}"})
        return Response(status_code=200, headers={"HX-Location": location})
    return RedirectResponse(url, status_code=303)
