"""``ronda bank``: hash banks of known content (create, add, import, export, quarantine)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from ronda.cli._common import console, err_console, factory, friendly, print_json
from ronda.db import session_scope
from ronda.detection import service

app = typer.Typer(
    help="Hash banks: PDQ, MD5/SHA-256 and near-duplicate text of known harmful content.",
    no_args_is_help=True,
)

Actor = Annotated[str, typer.Option("--as", help="Who does it (kept in the audit log).")]


@app.command("create")
@friendly
def create(
    name: Annotated[str, typer.Argument(help="Bank name, e.g. gifct-pdq.")],
    signal_type: Annotated[
        str, typer.Option("--type", help="pdq, md5, sha256 or raw_text (near-duplicate text).")
    ],
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="PDQ: most differing bits (default 31); raw_text: least similarity 0-1 (default 0.7).",
        ),
    ] = None,
    note: Annotated[
        str, typer.Option("--note", help="What the bank holds, where it comes from.")
    ] = "",
    actor: Actor = "cli",
) -> None:
    """Create an empty bank."""
    with session_scope(factory()) as session:
        bank = service.create_bank(
            session, name=name, signal_type=signal_type, threshold=threshold, note=note, actor=actor
        )
        console.print(f"bank {bank.name}: {bank.signal_type}, threshold {bank.threshold:g}")


@app.command("list")
@friendly
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False) -> None:
    """Banks with their type, threshold, state and entry counts."""
    with session_scope(factory()) as session:
        banks = service.list_banks(session)
    if as_json:
        for b in banks:
            print_json(b.model_dump(mode="json"))
        return
    table = Table()
    for col in ("bank", "type", "threshold", "enabled", "entries", "quarantined"):
        table.add_column(col)
    for b in banks:
        table.add_row(
            b.name,
            b.signal_type,
            f"{b.threshold:g}",
            "yes" if b.enabled else "[red]no[/]",
            f"{b.entries:,}",
            f"[yellow]{b.quarantined:,}[/]" if b.quarantined else "0",
        )
    console.print(table if banks else "no banks yet (`ronda bank create NAME --type pdq`)")


@app.command("add")
@friendly
def add(
    bank: Annotated[str, typer.Argument(help="The bank.")],
    value: Annotated[str, typer.Argument(help="The hash (hex), or the text for a raw_text bank.")],
    category: Annotated[str, typer.Option("--category", help="Harm category, e.g. gambling.")],
    entry_id: Annotated[
        str | None, typer.Option("--id", help="Entry id in the bank (default: from the value).")
    ] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    actor: Actor = "cli",
) -> None:
    """Add one entry to a bank."""
    with session_scope(factory()) as session:
        entry = service.add_entry(
            session,
            bank=bank,
            value=value,
            category=category,
            entry_id=entry_id,
            note=note,
            actor=actor,
        )
        console.print(f"entry {entry.id} ({bank}/{entry.external_id}) added")


@app.command("import")
@friendly
def import_cmd(
    file: Annotated[Path, typer.Argument(help="Bank file: JSONL or CSV (docs/hash-banks.md).")],
    bank: Annotated[
        str | None,
        typer.Option("--bank", help="Put every entry in this bank, whatever the file says."),
    ] = None,
    create: Annotated[
        bool, typer.Option("--create/--no-create", help="Create banks the file names.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    actor: Actor = "cli",
) -> None:
    """Import a bank file; bad lines and entries already present are reported, not fatal."""
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}")
    with session_scope(factory()) as session, file.open(encoding="utf-8-sig", newline="") as fp:
        result, errors = service.import_bank_file(
            session, fp, bank=bank, create_banks=create, actor=actor
        )
    if as_json:
        print_json(
            {
                "added": result.added,
                "duplicates": result.duplicates,
                "created_banks": result.created_banks,
                "errors": [str(e) for e in errors] + result.errors,
            }
        )
        return
    console.print(
        f"{result.added:,} entries added"
        + (f", banks created: {', '.join(result.created_banks)}" if result.created_banks else "")
    )
    if result.duplicates:
        console.print(f"[yellow]{len(result.duplicates):,} already in the bank[/] (skipped)")
    for problem in [str(e) for e in errors] + result.errors:
        err_console.print(f"[yellow]skipped[/] {problem}", highlight=False, markup=False)


@app.command("export")
@friendly
def export(
    name: Annotated[str, typer.Argument(help="The bank.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    include_held: Annotated[
        bool, typer.Option("--all", help="Include disabled and quarantined entries.")
    ] = False,
) -> None:
    """Write a bank in the exchange format (threatexchange signal type names)."""
    if fmt not in ("jsonl", "csv"):
        raise typer.BadParameter("--format is jsonl or csv")
    form: Literal["jsonl", "csv"] = "csv" if fmt == "csv" else "jsonl"
    with session_scope(factory()) as session:
        if output is None:
            count = service.export_bank(
                session, name, sys.stdout, format=form, include_held=include_held
            )
            sys.stdout.flush()
        else:
            with output.open("w", encoding="utf-8", newline="") as fp:
                count = service.export_bank(
                    session, name, fp, format=form, include_held=include_held
                )
    err_console.print(f"{count:,} entries exported from {name}")


@app.command("disable")
@friendly
def disable(name: Annotated[str, typer.Argument()], actor: Actor = "cli") -> None:
    """Stop a bank matching (its entries are kept)."""
    with session_scope(factory()) as session:
        service.set_bank_enabled(session, name=name, enabled=False, actor=actor)
    console.print(f"bank {name} disabled")


@app.command("enable")
@friendly
def enable(name: Annotated[str, typer.Argument()], actor: Actor = "cli") -> None:
    """Let a disabled bank match again."""
    with session_scope(factory()) as session:
        service.set_bank_enabled(session, name=name, enabled=True, actor=actor)
    console.print(f"bank {name} enabled")


@app.command("entries")
@friendly
def entries(
    bank: Annotated[str | None, typer.Option("--bank", help="Only this bank.")] = None,
    quarantined: Annotated[
        bool, typer.Option("--quarantined", help="Only entries held by flood quarantine.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
) -> None:
    """List entries (id, bank/entry id, category, matches, quarantine)."""
    with session_scope(factory()) as session:
        rows = service.list_entries(session, bank=bank, quarantined=quarantined, limit=limit)
    if as_json:
        for r in rows:
            print_json(r.model_dump(mode="json"))
        return
    table = Table()
    for col in ("id", "entry", "type", "category", "matches", "quarantined"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id),
            f"{r.bank}/{r.external_id}",
            r.signal_type,
            r.category,
            f"{r.match_count:,}",
            f"[yellow]{r.quarantined_at:%Y-%m-%d %H:%M}[/]" if r.quarantined_at else "",
        )
    console.print(table)


@app.command("release")
@friendly
def release(
    entry: Annotated[str, typer.Argument(help="Entry id, or BANK/ENTRY_ID.")],
    actor: Actor = "cli",
) -> None:
    """Lift an entry's flood quarantine after review: it matches again."""
    with session_scope(factory()) as session:
        row = service.release_entry(session, ref=entry, actor=actor)
        console.print(f"entry {row.id} ({row.external_id}) released")
