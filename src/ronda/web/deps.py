"""Request dependencies: the database session and who is asking.

API clients send ``Authorization: Bearer rk_...`` (or ``X-API-Key``); the
console uses a session cookie whose unsafe requests must carry the session's
CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ronda.accounts import service as accounts
from ronda.accounts.models import ApiKey, Role, User, WebSession
from ronda.config import Settings
from ronda.errors import Forbidden, Unauthorized

SESSION_COOKIE = "ronda_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """A session per request; handlers commit, anything left is rolled back."""
    session: Session = request.app.state.factory()
    try:
        yield session
    finally:
        # close() rolls back what was not committed and detaches objects
        # without expiring them, so error pages can still read the principal.
        session.close()


@dataclass
class Principal:
    """Who is asking: a console user or an API key, with what it may see."""

    role: str
    name: str
    user: User | None = None
    api_key: ApiKey | None = None
    web_session: WebSession | None = None
    lang: str = "id"
    csrf_token: str = ""

    @property
    def authority_id(self) -> int | None:
        if self.user is not None:
            return self.user.authority_id
        if self.api_key is not None:
            return self.api_key.authority_id
        return None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.LEAD, Role.MODERATOR)

    @property
    def actor(self) -> str:
        if self.user is not None:
            return f"user:{self.user.email}"
        if self.api_key is not None:
            return f"key:{self.api_key.prefix}"
        return "anonymous"


def _api_secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


async def form_csrf(request: Request) -> str | None:
    """The CSRF token of an HTML form post (read before the sync dependencies)."""
    if request.method in SAFE_METHODS:
        return None
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form(max_files=20, max_fields=200)
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def optional_principal(
    request: Request,
    db: Session = Depends(get_db),
    form_token: str | None = Depends(form_csrf),
) -> Principal | None:
    secret = _api_secret(request)
    if secret:
        key = accounts.resolve_api_key(db, secret)
        db.commit()  # last_used_at
        role = Role.AUTHORITY.value if key.kind == "authority" else "platform"
        request.state.principal = Principal(role=role, name=key.name, api_key=key)
        return request.state.principal  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    row = accounts.load_session(db, token)
    # End the read transaction: on SQLite every transaction holds the write
    # lock, and handlers may open their own transactions (intake does).
    db.commit()
    if row is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get("x-csrf-token") or form_token
        if not sent or not secrets.compare_digest(str(sent), row.csrf_token):
            raise Forbidden("missing or wrong CSRF token; reload the page and try again")
    request.state.principal = Principal(
        role=row.user.role,
        name=row.user.name,
        user=row.user,
        web_session=row,
        lang=row.user.language,
        csrf_token=row.csrf_token,
    )
    return request.state.principal  # type: ignore[no-any-return]


def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    if principal is None:
        raise Unauthorized("log in or send an API key")
    return principal


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only the given roles (admin is always admitted)."""

    allowed = set(roles) | {Role.ADMIN.value}

    def check(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"this needs the role {' or '.join(sorted(roles))}")
        return principal

    return check


def console_user(db: Session, principal: Principal) -> User:
    """The principal's user row in this session; API keys are not console users."""
    if principal.user is None:
        raise Forbidden("this needs a console user (log in), not an API key")
    user = db.get(User, principal.user.id)
    if user is None:
        raise Unauthorized("your account no longer exists")
    return user
