"""Intake: store what arrived, then parse it into an order.

"Received means recorded": every path first writes the raw bytes in their own
transaction (``store_raw``) and commits, then parses in a second transaction.
If parsing fails (a parser bug, a crash), the raw input stays, marked failed
with the error, and ``ronda takedowns reparse`` can run it again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ronda.accounts import service as accounts
from ronda.accounts.models import Authority
from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.errors import BadInput, Conflict, NotFound, TooLarge
from ronda.links import Invalid, Reference, extract, parse
from ronda.takedowns import service
from ronda.takedowns.intake.dkimcheck import check_dkim
from ronda.takedowns.intake.fields import (
    detect_urgency,
    find_legal_basis,
    find_letter_number,
    is_followup,
)
from ronda.takedowns.intake.files import extract_text
from ronda.takedowns.intake.mail import parse_message
from ronda.takedowns.models import Channel, OrderStatus, RawInput, RawStatus, Takedown
from ronda.takedowns.notices import queue_acknowledgment

_TRACKING = re.compile(r"\bTKD-(\d{4})-(\d{6})\b", re.IGNORECASE)
_ACK_ID = re.compile(r"ack\.(TKD-\d{4}-\d{6})@", re.IGNORECASE)


@dataclass
class Received:
    """The outcome of one intake: the order, and whether it is new."""

    order: Takedown
    created: bool
    followup: bool = False
    duplicate: bool = False


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_raw(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    channel: Channel,
    data: bytes,
    source: str,
    sender: str | None = None,
    authority_id: int | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    dedupe: bool = True,
) -> int:
    """Write the raw input and commit; returns its id.

    With ``dedupe`` (mail and files), identical bytes on the same channel for the
    same authority reuse the stored row: reading a mailbox twice stores nothing
    twice. API and portal calls are each a receipt of their own (``dedupe=False``).
    """
    if len(data) > settings.limits.max_raw_bytes:
        raise TooLarge(
            f"{source or 'input'} is larger than the limit of "
            f"{settings.limits.max_raw_bytes:,} bytes (limits.max_raw_bytes)"
        )
    digest = sha256(data)
    with factory() as session, session.begin():
        if dedupe:
            existing = session.scalar(
                select(RawInput.id).where(
                    RawInput.sha256 == digest,
                    RawInput.channel == channel,
                    RawInput.authority_id.is_(None)
                    if authority_id is None
                    else RawInput.authority_id == authority_id,
                )
            )
            if existing is not None:
                return existing
        raw = RawInput(
            channel=channel,
            received_at=utcnow(),
            source=source[:500],
            sender=(sender or None) and sender[:320],
            authority_id=authority_id,
            filename=(filename or None) and filename[:500],
            content_type=(content_type or None) and content_type[:200],
            size=len(data),
            sha256=digest,
            data=data,
        )
        session.add(raw)
        session.flush()
        return raw.id


def mark_failed(factory: sessionmaker[Session], raw_id: int, error: str) -> None:
    with factory() as session, session.begin():
        raw = session.get(RawInput, raw_id)
        if raw is not None:
            raw.status = RawStatus.FAILED
            raw.error = error[:4000]


def quick_sender(data: bytes) -> str | None:
    """The From address from the headers alone, for the raw row (never raises)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(data[:65536], headersonly=True)
        address = parseaddr(str(headers.get("From", "")))[1]
        return address.lower() or None
    except Exception:
        return None


def split(found: Sequence[Reference | Invalid]) -> tuple[list[Reference], list[Invalid]]:
    refs = [f for f in found if isinstance(f, Reference)]
    bad = [f for f in found if isinstance(f, Invalid)]
    return refs, bad


def _dedupe(refs: list[Reference]) -> list[Reference]:
    seen: set[str] = set()
    out = []
    for ref in refs:
        if ref.canonical not in seen:
            seen.add(ref.canonical)
            out.append(ref)
    return out


# --- e-mail ------------------------------------------------------------------------


def receive_email(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    data: bytes,
    source: str,
    authority_slug: str | None = None,
) -> Received:
    raw_id = store_raw(
        factory,
        settings=settings,
        channel=Channel.EMAIL,
        data=data,
        source=source,
        sender=quick_sender(data),
    )
    return process_raw(factory, settings=settings, raw_id=raw_id, authority_slug=authority_slug)


def process_raw(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    raw_id: int,
    authority_slug: str | None = None,
) -> Received:
    """Parse a stored e-mail or file into an order (the second transaction)."""
    try:
        with factory() as session, session.begin():
            raw = session.get(RawInput, raw_id)
            if raw is None:
                raise NotFound(f"no raw input {raw_id}")
            if raw.channel == Channel.EMAIL:
                result = _process_email(
                    session, settings=settings, raw=raw, authority_slug=authority_slug
                )
            else:
                result = _process_file(
                    session, settings=settings, raw=raw, authority_slug=authority_slug
                )
            raw.status = RawStatus.PARSED
            raw.error = None
            raw.takedown_id = result.order.id
            session.flush()
            # load what callers print after the session closes
            _ = result.order.items, result.order.unparsed, result.order.authority
            return result
    except (BadInput, NotFound, Conflict):
        raise
    except Exception as exc:
        mark_failed(factory, raw_id, f"{type(exc).__name__}: {exc}")
        raise


def _followup_target(
    session: Session, *, in_reply_to: str | None, references: list[str], subject: str, text: str
) -> Takedown | None:
    ids = [i for i in [in_reply_to, *references] if i]
    for mid in ids:
        match = _ACK_ID.search(mid)
        if match:
            try:
                return service.get_order(session, match.group(1))
            except NotFound:
                pass
        order = session.scalar(
            select(Takedown)
            .where(Takedown.message_id == mid.strip("<>"))
            .order_by(Takedown.id)
            .limit(1)
        )
        if order is not None:
            return order
    match = _TRACKING.search(subject) or _TRACKING.search(text[:5000])
    if match:
        try:
            return service.get_order(session, f"TKD-{match.group(1)}-{match.group(2)}")
        except NotFound:
            return None
    return None


def _process_email(
    session: Session, *, settings: Settings, raw: RawInput, authority_slug: str | None
) -> Received:
    mail = parse_message(raw.data, limits=settings.limits)
    key = f"email:{mail.message_id}" if mail.message_id else f"email-sha256:{raw.sha256}"
    known = service.find_by_key(session, key)
    if known is not None:
        order = session.get(Takedown, known.takedown_id)
        assert order is not None
        return Received(order=order, created=False, duplicate=True)

    texts = [mail.subject, mail.text]
    invalid: list[Invalid] = []
    for att in mail.attachments:
        if att.skipped_reason:
            invalid.append(Invalid(raw=att.filename or "(attachment)", reason=att.skipped_reason))
            continue
        try:
            texts.append(
                extract_text(
                    att.filename or "",
                    att.data,
                    content_type=att.content_type,
                    limits=settings.limits,
                ).text
            )
        except BadInput as exc:
            invalid.append(Invalid(raw=att.filename or "(attachment)", reason=exc.message))
    full_text = "\n".join(t for t in texts if t)
    refs, bad = split(extract(full_text))
    invalid = bad + invalid
    # what an official letter says about itself is near its top
    head = f"{mail.subject}\n{mail.text[:20000]}"
    urgency = detect_urgency(head)
    letter = find_letter_number(head)

    # who sent it
    if authority_slug:
        authority: Authority | None = accounts.get_authority(session, authority_slug)
        quarantine = None
    else:
        authority = accounts.authority_for_sender(session, mail.from_address)
        quarantine = None
        if authority is None:
            quarantine = (
                f"sender {mail.from_address or '(none)'} is not registered for any authority"
            )
        else:
            quarantine = _dkim_problem(
                raw.data, settings=settings, authority=authority, sender=mail.from_address or ""
            )
    if mail.defects and not refs and quarantine is None:
        quarantine = "unreadable message: " + "; ".join(mail.defects[:3])

    draft = service.OrderDraft(
        channel=Channel.EMAIL,
        received_at=raw.received_at,
        references=_dedupe(refs),
        invalid=invalid,
        letter_number=letter,
        legal_basis=find_legal_basis(mail.text[:20000]),
        urgent=urgency.urgent,
        categories=list(urgency.categories),
        sender=mail.from_address,
        subject_line=mail.subject,
        message_id=mail.message_id,
    )

    # a follow-up joins its order (only when the sender is trusted)
    if quarantine is None and authority is not None:
        hint = is_followup(mail.subject, mail.text)
        target = _followup_target(
            session,
            in_reply_to=mail.in_reply_to,
            references=list(mail.references),
            subject=mail.subject,
            text=mail.text,
        )
        if target is None and letter:
            target = service.find_open_by_letter(
                session, authority_id=authority.id, letter_number=letter
            )
        if target is not None and target.authority_id == authority.id:
            held = service.join_followup(
                session,
                settings=settings,
                order=target,
                draft=draft,
                kind=hint.kind or "reply",
                level=hint.level,
                actor=f"mail:{mail.from_address}",
            )
            service.remember_key(
                session, key=key, order=held, body_sha256=raw.sha256, raw_input_id=raw.id
            )
            return Received(order=held, created=held is not target, followup=True)

    order = service.open_order(
        session,
        settings=settings,
        draft=draft,
        authority=authority,
        quarantine_reason=quarantine,
        actor=f"mail:{mail.from_address}",
    )
    service.remember_key(session, key=key, order=order, body_sha256=raw.sha256, raw_input_id=raw.id)
    if order.status == OrderStatus.OPEN and mail.from_address:
        queue_acknowledgment(
            session, order=order, to=mail.from_address, in_reply_to=mail.message_id
        )
        order.acknowledged_at = utcnow()
    return Received(order=order, created=True)


def _dkim_problem(
    data: bytes, *, settings: Settings, authority: Authority, sender: str
) -> str | None:
    """None when acceptable; the reason to quarantine otherwise.

    A signature from the sender's domain must verify; an authority marked
    ``dkim_required`` must sign. Unsigned mail from an authority whose domain
    does not sign is accepted (most Indonesian government mail is unsigned).
    """
    domain = sender.rsplit("@", 1)[-1].lower()
    result = check_dkim(
        data, keys=settings.dkim_keys, allow_dns=True
    )  # configured keys first, DNS for the rest
    if result.status == "pass" and domain in [d.lower() for d in result.domains]:
        return None
    if result.status == "fail":
        return f"DKIM check failed for {domain}: {result.reason}"
    if authority.dkim_required:
        if result.status == "pass":
            return f"DKIM signature is not from the sender's domain {domain}"
        return f"{authority.slug} signs its mail (DKIM) but this message is unsigned"
    return None


# --- files (upload, portal) ----------------------------------------------------------


def receive_file(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    data: bytes,
    filename: str,
    authority: Authority,
    channel: Channel = Channel.UPLOAD,
    content_type: str | None = None,
) -> Received:
    """A spreadsheet, PDF or text file given by an operator for an authority."""
    raw_id = store_raw(
        factory,
        settings=settings,
        channel=channel,
        data=data,
        source=filename,
        authority_id=authority.id,
        filename=filename,
        content_type=content_type,
    )
    return process_raw(factory, settings=settings, raw_id=raw_id, authority_slug=authority.slug)


@dataclass
class Submission:
    """An order typed or uploaded by an authority (API or portal)."""

    text: str = ""
    links: Sequence[str] = ()
    letter_number: str | None = None
    legal_basis: str | None = None
    urgent: bool | None = None
    categories: Sequence[str] = ()
    files: Sequence[tuple[str, str | None, bytes]] = ()  # (filename, content type, data)


def receive_submission(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    authority_id: int,
    channel: Channel,
    body: bytes,
    submission: Submission,
    idempotency_key: str | None = None,
    user_id: int | None = None,
    actor: str,
) -> Received:
    """API and portal orders: store the body and files, then open or join an order."""
    digest = sha256(body + b"".join(f[2] for f in submission.files))
    key = f"{channel.value}:{authority_id}:{idempotency_key}" if idempotency_key else None
    if key:
        with factory() as session:
            known = service.find_by_key(session, key)
            if known is not None:
                if known.body_sha256 != digest:
                    raise Conflict("this Idempotency-Key was used with a different request body")
                order = service.get_order_by_id(session, known.takedown_id)
                return Received(order=order, created=False, duplicate=True)
    raw_ids = [
        store_raw(
            factory,
            settings=settings,
            channel=channel,
            data=body,
            source=f"{channel.value} by {actor}",
            authority_id=authority_id,
            content_type="application/json",
            dedupe=False,
        )
    ]
    for filename, ctype, data in submission.files:
        raw_ids.append(
            store_raw(
                factory,
                settings=settings,
                channel=channel,
                data=data,
                source=filename,
                authority_id=authority_id,
                filename=filename,
                content_type=ctype,
                dedupe=False,
            )
        )
    try:
        with factory() as session, session.begin():
            authority = session.get(Authority, authority_id)
            assert authority is not None
            raws = [session.get(RawInput, rid) for rid in raw_ids]
            received_at = raws[0].received_at if raws[0] else utcnow()
            refs, invalid = references_from_list(submission.links)
            text_refs, text_bad = split(extract(submission.text))
            refs += text_refs
            invalid += text_bad
            file_texts = []
            for filename, ctype, data in submission.files:
                try:
                    ft = extract_text(
                        filename, data, content_type=ctype, limits=settings.limits
                    ).text
                    file_texts.append(ft)
                    f_refs, f_bad = split(extract(ft))
                    refs += f_refs
                    invalid += f_bad
                except BadInput as exc:
                    invalid.append(Invalid(raw=filename, reason=exc.message))
            all_text = "\n".join([submission.text, *file_texts])[:50000]
            urgency = detect_urgency(all_text)
            urgent = urgency.urgent if submission.urgent is None else submission.urgent
            draft = service.OrderDraft(
                channel=channel,
                received_at=received_at,
                references=_dedupe(refs),
                invalid=invalid,
                letter_number=(submission.letter_number or "").strip()
                or find_letter_number(all_text),
                legal_basis=(submission.legal_basis or "").strip() or find_legal_basis(all_text),
                urgent=urgent,
                categories=sorted({*submission.categories, *urgency.categories}),
                subject_line=(submission.letter_number or "")[:200],
            )
            result: Received
            target = None
            if draft.letter_number:
                target = service.find_open_by_letter(
                    session, authority_id=authority.id, letter_number=draft.letter_number
                )
            if target is not None:
                held = service.join_followup(
                    session,
                    settings=settings,
                    order=target,
                    draft=draft,
                    kind="reminder",
                    level=None,
                    actor=actor,
                )
                result = Received(order=held, created=held is not target, followup=True)
            else:
                order = service.open_order(
                    session,
                    settings=settings,
                    draft=draft,
                    authority=authority,
                    actor=actor,
                    created_by_user_id=user_id,
                )
                order.acknowledged_at = utcnow()
                result = Received(order=order, created=True)
            for raw in raws:
                if raw is not None:
                    raw.status = RawStatus.PARSED
                    raw.takedown_id = result.order.id
            if key:
                service.remember_key(
                    session,
                    key=key,
                    order=result.order,
                    body_sha256=digest,
                    raw_input_id=raw_ids[0],
                )
            session.flush()
            _ = result.order.items, result.order.unparsed, result.order.authority
            return result
    except IntegrityError:
        # the same Idempotency-Key arrived twice at once: the other request won
        if key:
            with factory() as session:
                known = service.find_by_key(session, key)
                if known is not None and known.body_sha256 == digest:
                    for rid in raw_ids:
                        mark_failed(factory, rid, "duplicate request (same Idempotency-Key)")
                    order = service.get_order_by_id(session, known.takedown_id)
                    return Received(order=order, created=False, duplicate=True)
        raise
    except (BadInput, NotFound, Conflict):
        for rid in raw_ids:
            mark_failed(factory, rid, "rejected: see the API error")
        raise
    except Exception as exc:
        for rid in raw_ids:
            mark_failed(factory, rid, f"{type(exc).__name__}: {exc}")
        raise


def _process_file(
    session: Session, *, settings: Settings, raw: RawInput, authority_slug: str | None
) -> Received:
    key = f"file:{raw.authority_id}:{raw.sha256}"
    known = service.find_by_key(session, key)
    if known is not None:
        order = session.get(Takedown, known.takedown_id)
        assert order is not None
        return Received(order=order, created=False, duplicate=True)
    authority: Authority | None
    if authority_slug:
        authority = accounts.get_authority(session, authority_slug)
    elif raw.authority_id is not None:
        authority = session.get(Authority, raw.authority_id)
    else:
        authority = None
    invalid: list[Invalid] = []
    text = ""
    try:
        text = extract_text(
            raw.filename or "", raw.data, content_type=raw.content_type, limits=settings.limits
        ).text
    except BadInput as exc:
        invalid.append(Invalid(raw=raw.filename or "(file)", reason=exc.message))
    refs, bad = split(extract(text))
    urgency = detect_urgency(text[:20000])
    draft = service.OrderDraft(
        channel=raw.channel,
        received_at=raw.received_at,
        references=_dedupe(refs),
        invalid=bad + invalid,
        letter_number=find_letter_number(text[:20000]),
        legal_basis=find_legal_basis(text[:20000]),
        urgent=urgency.urgent,
        categories=list(urgency.categories),
        subject_line=raw.filename or "",
    )
    quarantine = None if authority is not None else "no authority given for this file"
    order = service.open_order(
        session,
        settings=settings,
        draft=draft,
        authority=authority,
        quarantine_reason=quarantine,
        actor=f"file:{raw.filename}",
    )
    service.remember_key(session, key=key, order=order, body_sha256=raw.sha256, raw_input_id=raw.id)
    if order.status == OrderStatus.OPEN:
        order.acknowledged_at = utcnow()
    return Received(order=order, created=True)


def references_from_list(values: Sequence[str]) -> tuple[list[Reference], list[Invalid]]:
    """Each value of an explicit list is one reference (a spreadsheet cell, an API array)."""
    refs: list[Reference] = []
    bad: list[Invalid] = []
    for value in values:
        found = parse(value)
        if isinstance(found, Reference):
            refs.append(found)
        else:
            bad.append(found)
    return refs, bad
