"""Users, authorities, API keys and console sessions.

Passwords are hashed with argon2id. API keys and session tokens are random
32-byte secrets shown once; only their SHA-256 is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.accounts.models import (
    ApiKey,
    Authority,
    AuthorityEmail,
    InstanceSetting,
    Role,
    User,
    WebSession,
)
from ronda.audit import service as audit
from ronda.db.base import utcnow
from ronda.errors import BadInput, Conflict, NotFound, Unauthorized

_hasher = PasswordHasher()
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
KEY_PREFIX = "rk_"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real argon2 hash of a random password, so unknown users cost the same time.

    Made on first use rather than at import: it costs about a quarter of a second of CPU,
    which every ``ronda`` command (a scan included) would otherwise pay at start-up.
    """
    return _hasher.hash(secrets.token_hex(16))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalise_email(address: str) -> str:
    address = address.strip().lower()
    if not _EMAIL.match(address):
        raise BadInput(f"not an e-mail address: {address!r}")
    return address


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise BadInput("passwords need at least 10 characters")
    return _hasher.hash(password)


# --- authorities -----------------------------------------------------------


def add_authority(
    session: Session,
    *,
    slug: str,
    name: str,
    emails: list[str],
    language: str = "id",
    dkim_required: bool = False,
    actor: str = "system",
) -> Authority:
    slug = slug.strip().lower()
    if not _SLUG.match(slug):
        raise BadInput(f"authority slug {slug!r}: use 2-63 of a-z, 0-9 and '-'")
    if session.scalar(select(Authority).where(Authority.slug == slug)) is not None:
        raise Conflict(f"authority {slug!r} already exists")
    authority = Authority(
        slug=slug, name=name.strip(), language=language, dkim_required=dkim_required
    )
    session.add(authority)
    session.flush()
    for address in emails:
        add_authority_email(session, authority=authority, address=address, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="authority.created",
        object_type="authority",
        object_id=slug,
        data={"name": authority.name, "emails": [e.address for e in authority.emails]},
    )
    return authority


def add_authority_email(
    session: Session, *, authority: Authority, address: str, actor: str = "system"
) -> AuthorityEmail:
    address = normalise_email(address)
    existing = session.scalar(select(AuthorityEmail).where(AuthorityEmail.address == address))
    if existing is not None:
        raise Conflict(f"{address} is already registered for another authority")
    row = AuthorityEmail(authority=authority, address=address)
    session.add(row)
    session.flush()
    return row


def get_authority(session: Session, slug: str) -> Authority:
    authority = session.scalar(select(Authority).where(Authority.slug == slug.strip().lower()))
    if authority is None:
        raise NotFound(f"no authority {slug!r}")
    return authority


def authority_for_sender(session: Session, address: str | None) -> Authority | None:
    if not address:
        return None
    row = session.scalar(
        select(AuthorityEmail).where(AuthorityEmail.address == address.strip().lower())
    )
    return row.authority if row else None


def list_authorities(session: Session) -> list[Authority]:
    return list(session.scalars(select(Authority).order_by(Authority.slug)))


# --- users -------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    authority_slug: str | None = None,
    language: str = "id",
    languages: list[str] | None = None,
    actor: str = "system",
) -> User:
    email = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        raise BadInput(f"unknown role {role!r}; one of {', '.join(Role)}") from None
    authority = None
    if role is Role.AUTHORITY:
        if not authority_slug:
            raise BadInput("an authority user needs --authority SLUG")
        authority = get_authority(session, authority_slug)
    elif authority_slug:
        raise BadInput("only authority users belong to an authority")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise Conflict(f"user {email} already exists")
    user = User(
        email=email,
        name=name.strip() or email,
        role=role.value,
        authority=authority,
        password_hash=hash_password(password),
        language=language if language in ("id", "en") else "id",
        languages=languages or ["id"],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.created",
        object_type="user",
        object_id=email,
        data={"role": role.value, "authority": authority_slug},
    )
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    dummy = _dummy_hash()  # before the lookup: the first login costs the same either way
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(dummy, password)
        raise Unauthorized("wrong e-mail or password")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong e-mail or password") from None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


# --- API keys ----------------------------------------------------------------


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # shown once


def issue_api_key(
    session: Session,
    *,
    name: str,
    kind: str,
    authority: Authority | None = None,
    actor: str = "system",
) -> IssuedKey:
    if kind not in ("authority", "platform"):
        raise BadInput("API key kind is 'authority' or 'platform'")
    if kind == "authority" and authority is None:
        raise BadInput("an authority key needs an authority")
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        prefix=prefix,
        key_hash=_sha256(secret),
        name=name,
        kind=kind,
        authority=authority,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_key.issued",
        object_type="api_key",
        object_id=prefix,
        data={"name": name, "kind": kind, "authority": authority.slug if authority else None},
    )
    return IssuedKey(key=key, secret=secret)


def resolve_api_key(session: Session, secret: str) -> ApiKey:
    parts = secret.strip().split("_")
    if len(parts) < 3 or not secret.startswith(KEY_PREFIX):
        raise Unauthorized("malformed API key")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None:
        raise Unauthorized("unknown or revoked API key")
    if not secrets.compare_digest(key.key_hash, _sha256(secret.strip())):
        raise Unauthorized("unknown or revoked API key")
    key.last_used_at = utcnow()
    return key


def revoke_api_key(session: Session, *, prefix: str, actor: str = "system") -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key {prefix!r}")
    key.revoked_at = utcnow()
    audit.record(
        session, actor=actor, action="api_key.revoked", object_type="api_key", object_id=prefix
    )
    return key


# --- console sessions -------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSession:
    row: WebSession
    token: str


def open_session(session: Session, *, user: User, hours: float) -> OpenedSession:
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_sha256(token),
        user=user,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return OpenedSession(row=row, token=token)


def load_session(session: Session, token: str) -> WebSession | None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _sha256(token)))
    if row is None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


def close_session(session: Session, token: str) -> None:
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _sha256(token)))
    if row is not None:
        session.delete(row)


def instance_secret(session: Session) -> str:
    """The secret key from settings, or one generated once and stored."""
    row = session.get(InstanceSetting, "secret_key")
    if row is None:
        row = InstanceSetting(name="secret_key", value=secrets.token_urlsafe(48))
        session.add(row)
        session.flush()
    return row.value
