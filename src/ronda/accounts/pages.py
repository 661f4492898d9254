"""Log in and out of the console."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ronda.accounts import service as accounts
from ronda.accounts.models import Role
from ronda.config import Settings
from ronda.errors import Unauthorized
from ronda.web.deps import SESSION_COOKIE, Principal, get_db, get_settings_dep, optional_principal
from ronda.web.render import render

router = APIRouter(include_in_schema=False)


def home_for(role: str) -> str:
    return "/portal" if role == Role.AUTHORITY else "/desk"


def _safe_next(value: str | None) -> str | None:
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return None


@router.get("/", response_class=HTMLResponse)
def index(principal: Principal | None = Depends(optional_principal)) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home_for(principal.role), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(
        request,
        "login.html",
        {"error": None, "email": "", "next": request.query_params.get("next", "")},
    )


@router.post("/login")
async def login(
    request: Request, db: Session = Depends(get_db), settings: Settings = Depends(get_settings_dep)
) -> Response:
    form = await request.form(max_fields=10)
    email = str(form.get("email") or "")[:320]
    password = str(form.get("password") or "")[:1000]
    try:
        user = accounts.authenticate(db, email=email, password=password)
    except Unauthorized as exc:
        return render(
            request,
            "login.html",
            {"error": exc.message, "email": email, "next": str(form.get("next") or "")},
            status=401,
        )
    opened = accounts.open_session(db, user=user, hours=settings.session_hours)
    db.commit()
    target = _safe_next(str(form.get("next") or "")) or home_for(user.role)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        max_age=int(settings.session_hours * 3600),
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    principal: Principal | None = Depends(optional_principal),
    db: Session = Depends(get_db),
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and principal is not None:
        accounts.close_session(db, token)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/authorities", response_class=HTMLResponse)
def authorities_page(
    request: Request, principal: Principal | None = Depends(optional_principal)
) -> Response:
    """The public page for authorities: how to send an order, what it needs, our deadlines."""
    return render(request, "authorities.html", {})
