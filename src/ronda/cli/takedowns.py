"""``ronda intake`` and ``ronda takedowns``: the desk from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ronda.accounts import service as accounts
from ronda.cli._common import console, err_console, factory, friendly, print_json
from ronda.config import get_settings
from ronda.db import session_scope
from ronda.db.base import iso_z, utcnow
from ronda.errors import BadInput, RondaError, TooLarge
from ronda.jobs import service as jobs
from ronda.takedowns import service
from ronda.takedowns.receive import process_raw, receive_email, receive_file
from ronda.takedowns.schemas import TakedownRead
from ronda.takedowns.watch import check_deadlines, due_items

app = typer.Typer(
    help="Takedown orders: list, show, due items, outcomes, urgency, quarantine.",
    no_args_is_help=True,
)

MAIL_SUFFIXES = (".eml", ".mbox", ".msg", ".mail")


def _is_mail(path: Path) -> bool:
    if path.is_dir():
        return True
    if path.suffix.lower() in MAIL_SUFFIXES:
        return True
    with path.open("rb") as fh:
        head = fh.read(2048)
    return head.startswith(b"From ") or any(
        head.lower().startswith(h)
        for h in (
            b"received:",
            b"return-path:",
            b"message-id:",
            b"from:",
            b"delivered-to:",
            b"mime-version:",
        )
    )


def send_pending_mail() -> None:
    """Acknowledge at once: try queued mail now; the worker retries what fails."""
    settings = get_settings()
    if not settings.smtp.host and not settings.mail_dir:
        err_console.print(
            "note: no SMTP server configured (RONDA_SMTP__HOST); acknowledgments stay queued for `ronda worker`"
        )
        return
    from ronda.mail import outgoing

    _, failed = jobs.run_due(factory(), kinds=[outgoing.MAIL_JOB])
    if failed:
        err_console.print(
            f"warning: {failed} mail(s) could not be sent now; `ronda worker` retries them"
        )


@friendly
def intake(
    path: Annotated[
        Path,
        typer.Argument(
            help=".eml, .mbox, a Maildir folder, or a CSV/XLSX/PDF/TXT file.", exists=True
        ),
    ],
    authority: Annotated[
        str | None,
        typer.Option(
            "--authority", help="Authority slug; required for files, overrides the sender for mail."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each order as one JSON line.")
    ] = False,
) -> None:
    """Record takedown orders from mail or files, acknowledge them, print them."""
    from ronda.takedowns.intake.sources import iter_messages

    settings = get_settings()
    fac = factory()
    results = []
    failures = 0
    if _is_mail(path):
        for msg in iter_messages(path, max_bytes=settings.limits.max_raw_bytes):
            try:
                results.append(
                    receive_email(
                        fac,
                        settings=settings,
                        data=msg.raw,
                        source=msg.source_id,
                        authority_slug=authority,
                    )
                )
            except TooLarge as exc:
                failures += 1
                err_console.print(
                    f"[red]{escape(msg.source_id)}:[/] {escape(exc.message)} "
                    "(not stored; the original is unchanged where it was read)"
                )
            except RondaError as exc:
                failures += 1
                err_console.print(
                    f"[red]{escape(msg.source_id)}:[/] {escape(exc.message)} (raw input kept)"
                )
    else:
        if not authority:
            raise BadInput(
                "a file is not an e-mail: say which authority sent it with --authority SLUG"
            )
        with session_scope(fac) as session:
            auth = accounts.get_authority(session, authority)
        results.append(
            receive_file(
                fac, settings=settings, data=path.read_bytes(), filename=path.name, authority=auth
            )
        )
    send_pending_mail()
    for result in results:
        read = TakedownRead.of(result.order)
        if as_json:
            print_json(
                {
                    **read.model_dump(mode="json"),
                    "created": result.created,
                    "duplicate": result.duplicate,
                    "followup": result.followup,
                }
            )
        else:
            note = (
                " (already received)"
                if result.duplicate
                else " (follow-up)"
                if result.followup
                else ""
            )
            console.print(
                f"[bold]{read.tracking_number}[/]{note} {read.status} · authority {read.authority or '-'} · "
                f"{len(read.items)} items, {len(read.unparsed)} unreadable · deadline {read.deadline:%Y-%m-%d %H:%M %Z}"
                + (
                    f" · [yellow]quarantined: {read.quarantine_reason}[/]"
                    if read.status == "quarantined"
                    else ""
                )
            )
    if failures:
        raise typer.Exit(1)


@app.command("list")
@friendly
def list_cmd(
    status: Annotated[
        str | None, typer.Option("--status", help="open, quarantined, closed or rejected.")
    ] = None,
    authority: Annotated[
        str | None, typer.Option("--authority", help="Only this authority's orders.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """Orders by priority (warning letters and follow-ups first, then deadline)."""
    with session_scope(factory()) as session:
        auth_id = accounts.get_authority(session, authority).id if authority else None
        orders = service.list_orders(session, authority_id=auth_id, status=status, limit=limit)
        counts = service.item_counts(session, [o.id for o in orders])
        if as_json:
            for o in orders:
                print_json(
                    {
                        "tracking_number": o.tracking_number,
                        "authority": o.authority.slug if o.authority else None,
                        "letter_number": o.letter_number,
                        "urgent": o.urgent,
                        "status": o.status,
                        "received_at": iso_z(o.received_at),
                        "deadline": iso_z(o.deadline),
                        "followups": o.followups,
                        "counts": counts[o.id],
                    }
                )
            return
        table = Table("tracking", "authority", "letter", "urgent", "status", "items", "deadline")
        for o in orders:
            table.add_row(
                o.tracking_number,
                o.authority.slug if o.authority else "-",
                o.letter_number or "-",
                "yes" if o.urgent else "",
                o.status,
                ", ".join(f"{k} {v}" for k, v in counts[o.id].items()),
                f"{o.deadline:%Y-%m-%d %H:%M}",
            )
        console.print(table)


@app.command("show")
@friendly
def show(
    tracking: Annotated[str, typer.Argument(help="TKD-YYYY-NNNNNN")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON.")] = False,
) -> None:
    """One order with its items and unreadable fragments."""
    with session_scope(factory()) as session:
        read = TakedownRead.of(service.get_order(session, tracking))
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    console.print(
        f"[bold]{read.tracking_number}[/] {read.status} · {read.authority or '-'} · letter {read.letter_number or '-'}"
        f" · {'URGENT' if read.urgent else 'normal'} ({read.policy}) · deadline {read.deadline:%Y-%m-%d %H:%M %Z}"
    )
    if read.quarantine_reason and read.status == "quarantined":
        console.print(f"[yellow]quarantined:[/] {read.quarantine_reason}")
    table = Table("item", "kind", "status", "reason")
    for i in read.items:
        table.add_row(i.canonical, i.kind, i.status, i.reason or "")
    console.print(table)
    for u in read.unparsed:
        console.print(f"[dim]unreadable:[/] {u.raw!r}: {u.reason}")


@app.command("due")
@friendly
def due(
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000)] = 500,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines, soonest deadline first.")
    ] = False,
) -> None:
    """Open items by time left."""
    now = utcnow()
    with session_scope(factory()) as session:
        rows = due_items(session, limit=limit)
        if as_json:
            for item, order in rows:
                print_json(
                    {
                        "tracking_number": order.tracking_number,
                        "authority": order.authority.slug if order.authority else None,
                        "canonical": item.canonical,
                        "urgent": order.urgent,
                        "deadline": iso_z(item.deadline),
                        "seconds_left": int((item.deadline - now).total_seconds()),
                        "escalated": item.escalated_at is not None,
                        "breached": item.breached_at is not None,
                    }
                )
            return
        table = Table("time left", "item", "tracking", "authority", "urgent")
        for item, order in rows:
            left = int((item.deadline - now).total_seconds())
            table.add_row(
                f"{'-' if left < 0 else ''}{abs(left) // 3600}:{abs(left) % 3600 // 60:02d}",
                item.canonical,
                order.tracking_number,
                order.authority.slug if order.authority else "-",
                "yes" if order.urgent else "",
            )
        console.print(table)


@app.command("outcome")
@friendly
def outcome(
    tracking: Annotated[str, typer.Argument(help="TKD-YYYY-NNNNNN")],
    canonical: Annotated[
        str, typer.Argument(help="The item's canonical link, or 'all' for every pending item.")
    ],
    status: Annotated[
        str, typer.Argument(help="actioned, no_violation, not_found, already_removed or rejected.")
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (required for rejected).")
    ] = None,
    actor: Annotated[str, typer.Option("--as", help="Who records it (audit log).")] = "cli",
) -> None:
    """Record an item's outcome; the final report goes out when none is pending."""
    with session_scope(factory()) as session:
        order = service.get_order(session, tracking)
        targets = (
            [i for i in order.items if i.status == "pending" and not i.linked_item_id]
            if canonical == "all"
            else [i for i in order.items if i.canonical == canonical]
        )
        if not targets:
            raise BadInput(f"no such pending item in {order.tracking_number}: {canonical}")
        for item in targets:
            service.set_outcome(session, item=item, status=status, reason=reason, actor=actor)
        console.print(
            f"{len(targets)} item(s) of {order.tracking_number}: {status}; order {order.status}"
        )
    send_pending_mail()


@app.command("urgency")
@friendly
def urgency(
    tracking: Annotated[str, typer.Argument(help="TKD-YYYY-NNNNNN")],
    urgent: Annotated[bool, typer.Option("--urgent/--normal", help="The new urgency.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    actor: Annotated[str, typer.Option("--as", help="Who changes it.")] = "cli",
) -> None:
    """Change an order's urgency; deadlines are recomputed from receipt."""
    with session_scope(factory()) as session:
        order = service.get_order(session, tracking)
        service.set_urgency(
            session, settings=get_settings(), order=order, urgent=urgent, actor=actor, reason=reason
        )
        console.print(
            f"{order.tracking_number}: {'urgent' if order.urgent else 'normal'}, deadline {order.deadline:%Y-%m-%d %H:%M %Z}"
        )


@app.command("assign")
@friendly
def assign(
    tracking: Annotated[str, typer.Argument(help="A quarantined order.")],
    authority: Annotated[str, typer.Argument(help="The authority it really came from.")],
    actor: Annotated[str, typer.Option("--as")] = "cli",
) -> None:
    """Release a quarantined order to an authority (and acknowledge it)."""
    with session_scope(factory()) as session:
        order = service.get_order(session, tracking)
        service.assign_quarantined(
            session, order=order, authority=accounts.get_authority(session, authority), actor=actor
        )
        console.print(f"{order.tracking_number}: {order.status} ({authority})")
    send_pending_mail()


@app.command("reject")
@friendly
def reject(
    tracking: Annotated[str, typer.Argument(help="A quarantined order.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is rejected.")],
    actor: Annotated[str, typer.Option("--as")] = "cli",
) -> None:
    """Reject a quarantined order."""
    with session_scope(factory()) as session:
        order = service.get_order(session, tracking)
        service.reject_quarantined(session, order=order, reason=reason, actor=actor)
        console.print(f"{order.tracking_number}: rejected")


@app.command("reparse")
@friendly
def reparse(
    raw_id: Annotated[
        int, typer.Argument(help="Id of a stored raw input (see the desk's failed intake list).")
    ],
) -> None:
    """Parse a stored raw input again (after a parser fix)."""
    result = process_raw(factory(), settings=get_settings(), raw_id=raw_id)
    console.print(f"raw {raw_id} → {result.order.tracking_number} ({result.order.status})")


@app.command("watch")
@friendly
def watch() -> None:
    """Run the deadline watch once (escalations at 75%, breaches)."""
    with session_scope(factory()) as session:
        result = check_deadlines(session, settings=get_settings())
    console.print(f"escalated {result.escalated}, breached {result.breached}")
    send_pending_mail()
