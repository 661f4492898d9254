"""Small factories for tests: authorities, users, keys, e-mails."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.orm import Session, sessionmaker

from ronda.accounts import service as accounts
from ronda.db import session_scope

PASSWORD = "correct horse battery"


def authority(
    factory: sessionmaker[Session],
    slug: str = "komdigi",
    emails: list[str] | None = None,
    dkim_required: bool = False,
) -> str:
    """Create an authority and return a fresh API key for it."""
    with session_scope(factory) as s:
        a = accounts.add_authority(
            s,
            slug=slug,
            name=f"Authority {slug}",
            emails=emails if emails is not None else [f"aduan@{slug}.go.id"],
            dkim_required=dkim_required,
        )
        return accounts.issue_api_key(s, name=f"{slug} key", kind="authority", authority=a).secret


def user(
    factory: sessionmaker[Session],
    email: str,
    role: str,
    authority_slug: str | None = None,
    language: str = "en",
) -> None:
    with session_scope(factory) as s:
        accounts.add_user(
            s,
            email=email,
            name=email.split("@")[0],
            role=role,
            password=PASSWORD,
            authority_slug=authority_slug,
            language=language,
        )


def mail(
    *,
    sender: str = "aduan@komdigi.go.id",
    subject: str = "Permintaan pemutusan akses",
    body: str = "Mohon diblokir: https://t.me/slot_gacor_maxwin88",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Narahubung <{sender}>"
    msg["To"] = "takedown@ronda.test"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    for filename, ctype, data in attachments or []:
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
