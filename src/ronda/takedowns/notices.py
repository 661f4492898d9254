"""What the desk tells authorities and leads: acknowledgments, escalations,
final reports. Every notice is in Indonesian first, then English, and is
queued as a mail job in the same transaction as the change it reports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.accounts.models import Role, User
from ronda.config import get_settings
from ronda.db.base import iso_z, utcnow
from ronda.mail.outgoing import queue_mail
from ronda.takedowns.models import ItemStatus, Takedown, TakedownItem

OUTCOME_WORDS = {
    ItemStatus.PENDING: ("dalam proses", "pending"),
    ItemStatus.ACTIONED: ("telah ditindak", "actioned"),
    ItemStatus.NO_VIOLATION: ("tidak ditemukan pelanggaran", "no violation found"),
    ItemStatus.NOT_FOUND: ("konten tidak ditemukan", "content not found"),
    ItemStatus.ALREADY_REMOVED: ("sudah dihapus sebelumnya", "already removed"),
    ItemStatus.REJECTED: ("ditolak", "rejected"),
}


def local(dt: datetime) -> str:
    tz = get_settings().timezone
    return dt.astimezone(ZoneInfo(tz)).strftime(f"%Y-%m-%d %H:%M ({tz})")


def counts(order: Takedown) -> dict[str, int]:
    result: dict[str, int] = {}
    for item in order.items:
        result[item.status] = result.get(item.status, 0) + 1
    return result


def acknowledgment_text(order: Takedown) -> tuple[str, str]:
    n_items = len(order.items)
    n_unparsed = len(order.unparsed)
    urgency_id = "MENDESAK" if order.urgent else "biasa"
    urgency_en = "URGENT" if order.urgent else "normal"
    subject = f"[{order.tracking_number}] Tanda terima / Acknowledgment"
    if order.letter_number:
        subject += f" — {order.letter_number}"
    body = f"""Yth. Bapak/Ibu,

Permintaan pemutusan akses Anda telah kami terima dan dicatat.

  Nomor pelacakan : {order.tracking_number}
  Nomor surat     : {order.letter_number or "-"}
  Diterima        : {local(order.received_at)}
  Tautan diterima : {n_items}
  Tidak terbaca   : {n_unparsed}
  Sifat           : {urgency_id}
  Batas waktu     : {local(order.deadline)}

Mohon sebutkan nomor pelacakan di atas dalam setiap korespondensi. Laporan akhir
per tautan akan kami kirim setelah semua tautan selesai ditangani.

---

Dear Sir or Madam,

Your takedown order has been received and recorded.

  Tracking number : {order.tracking_number}
  Letter number   : {order.letter_number or "-"}
  Received        : {local(order.received_at)}
  Links received  : {n_items}
  Not readable    : {n_unparsed}
  Urgency         : {urgency_en}
  Deadline        : {local(order.deadline)}

Please quote the tracking number in any correspondence. A final report with the
outcome of every link follows when all of them have been handled.

-- {get_settings().desk_name} <{get_settings().desk_email}>
"""
    return subject, body


def queue_acknowledgment(
    session: Session, *, order: Takedown, to: str, in_reply_to: str | None
) -> None:
    order.acknowledged_at = utcnow()
    subject, body = acknowledgment_text(order)
    domain = get_settings().desk_email.rsplit("@", 1)[-1]
    queue_mail(
        session,
        key=f"ack:{order.tracking_number}",
        to=[to],
        subject=subject,
        body=body,
        in_reply_to=in_reply_to,
        message_id=f"<ack.{order.tracking_number}@{domain}>",
    )


def report_data(order: Takedown) -> dict[str, Any]:
    """The final report as data: the API returns it, the mail renders it."""
    items = []
    for item in order.items:
        seconds = (
            int((item.outcome_at - order.received_at).total_seconds()) if item.outcome_at else None
        )
        items.append(
            {
                "canonical": item.canonical,
                "status": item.status,
                "reason": item.reason,
                "outcome_at": iso_z(item.outcome_at) if item.outcome_at else None,
                "seconds_to_outcome": seconds,
                "within_deadline": (item.outcome_at <= item.deadline) if item.outcome_at else None,
            }
        )
    return {
        "tracking_number": order.tracking_number,
        "authority": order.authority.slug if order.authority else None,
        "letter_number": order.letter_number,
        "received_at": iso_z(order.received_at),
        "deadline": iso_z(order.deadline),
        "status": order.status,
        "closed_at": iso_z(order.closed_at) if order.closed_at else None,
        "counts": counts(order),
        "items": items,
    }


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    hours, rem = divmod(max(seconds, 0), 3600)
    return f"{hours}j{rem // 60:02d}m"


def report_text(order: Takedown) -> tuple[str, str]:
    data = report_data(order)
    lines_id = []
    lines_en = []
    for item in data["items"]:
        word_id, word_en = OUTCOME_WORDS[ItemStatus(item["status"])]
        took = _duration(item["seconds_to_outcome"])
        reason = f" — {item['reason']}" if item["reason"] else ""
        lines_id.append(f"  {item['canonical']}: {word_id} ({took}){reason}")
        lines_en.append(f"  {item['canonical']}: {word_en} ({took.replace('j', 'h')}){reason}")
    summary_id = ", ".join(
        f"{OUTCOME_WORDS[ItemStatus(k)][0]} {v}" for k, v in data["counts"].items()
    )
    summary_en = ", ".join(
        f"{OUTCOME_WORDS[ItemStatus(k)][1]} {v}" for k, v in data["counts"].items()
    )
    subject = f"[{order.tracking_number}] Laporan akhir / Final report"
    body = f"""Yth. Bapak/Ibu,

Permintaan {order.tracking_number} (surat {order.letter_number or "-"}) telah selesai ditangani.
Ringkasan: {summary_id}.

Hasil per tautan (waktu sejak diterima):
{chr(10).join(lines_id)}

---

Dear Sir or Madam,

Order {order.tracking_number} (letter {order.letter_number or "-"}) has been handled in full.
Summary: {summary_en}.

Outcome per link (time since receipt):
{chr(10).join(lines_en)}

-- {get_settings().desk_name} <{get_settings().desk_email}>
"""
    return subject, body


def report_recipients(order: Takedown) -> list[str]:
    if order.sender and order.channel == "email":
        return [order.sender]
    if order.authority and order.authority.emails:
        return [order.authority.emails[0].address]
    return []


def queue_final_report(session: Session, *, order: Takedown) -> None:
    to = report_recipients(order)
    if not to:
        return
    subject, body = report_text(order)
    queue_mail(
        session,
        key=f"report:{order.tracking_number}:{order.closed_at.isoformat() if order.closed_at else ''}",
        to=to,
        subject=subject,
        body=body,
        in_reply_to=order.message_id,
    )


def queue_escalation(
    session: Session, *, order: Takedown, items: list[TakedownItem], breach: bool
) -> None:
    leads = list(
        session.scalars(
            select(User.email).where(User.role.in_([Role.LEAD, Role.ADMIN]), User.active)
        )
    )
    if not leads:
        return
    word = "TERLAMPAUI / BREACHED" if breach else "PERINGATAN / WARNING"
    lines = "\n".join(
        f"  {it.canonical}  (batas/deadline {local(it.deadline)})" for it in items[:200]
    )
    more = f"\n  ... +{len(items) - 200}" if len(items) > 200 else ""
    body = f"""{word}: {order.tracking_number} ({order.authority.slug if order.authority else "-"})

{len(items)} tautan belum selesai / items still pending:
{lines}{more}

{get_settings().base_url}/desk/takedowns/{order.tracking_number}
"""
    stamp = max(it.deadline for it in items).isoformat()
    queue_mail(
        session,
        key=f"{'breach' if breach else 'escalation'}:{order.tracking_number}:{stamp}:{len(items)}",
        to=leads,
        subject=f"[{order.tracking_number}] {word}",
        body=body,
    )
