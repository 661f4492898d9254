"""Mail as a durable job: written with the change, sent by the worker.

The Message-ID is fixed when the job is written, so a retry after a crash
sends the same message again rather than a different one, and a reply to an
acknowledgment can be matched back to its order.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ronda.config import SmtpSettings, get_settings
from ronda.db.base import utcnow
from ronda.errors import BadInput
from ronda.jobs import service as jobs
from ronda.jobs.models import Job

MAIL_JOB = "mail"


def queue_mail(
    session: Session,
    *,
    key: str,
    to: list[str],
    subject: str,
    body: str,
    in_reply_to: str | None = None,
    message_id: str | None = None,
) -> Job:
    settings = get_settings()
    domain = settings.desk_email.rsplit("@", 1)[-1] or "ronda.local"
    payload: dict[str, Any] = {
        "to": to,
        "subject": subject,
        "body": body,
        "in_reply_to": in_reply_to,
        "message_id": message_id or make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain),
    }
    return jobs.enqueue(session, kind=MAIL_JOB, key=key, payload=payload)


def build_message(payload: dict[str, Any]) -> EmailMessage:
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = formataddr((settings.desk_name, settings.desk_email))
    msg["To"] = ", ".join(payload["to"])
    msg["Subject"] = payload["subject"]
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = payload["message_id"]
    if payload.get("in_reply_to"):
        ref = payload["in_reply_to"]
        ref = ref if ref.startswith("<") else f"<{ref}>"
        msg["In-Reply-To"] = ref
        msg["References"] = ref
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(payload["body"])
    return msg


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    if not smtp.host:
        raise BadInput(
            "no SMTP server configured (RONDA_SMTP__HOST, or RONDA_MAIL_DIR to keep mail as files)"
        )
    context = ssl.create_default_context()
    if smtp.ssl:
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.starttls:
            client.starttls(context=context)
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)


def write_to_dir(directory: str, message: EmailMessage) -> Path:
    """Keep the message as an .eml file (demo and development: no SMTP server)."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in str(message["Message-ID"]))
    path = folder / f"{safe.strip('_')}.eml"
    path.write_bytes(message.as_bytes())
    return path


@jobs.handler(MAIL_JOB)
def _deliver(session: Session, job: Job) -> None:
    settings = get_settings()
    message = build_message(job.payload)
    session.commit()  # no transaction held across the SMTP conversation; the lease guards the job
    if settings.smtp.host or not settings.mail_dir:
        send(settings.smtp, message)
    else:
        write_to_dir(settings.mail_dir, message)
