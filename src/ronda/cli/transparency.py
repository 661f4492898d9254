"""``ronda export statements`` and ``ronda report``: what the law asks to publish."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ronda.cli._common import err_console, factory, friendly
from ronda.config import get_settings
from ronda.db import session_scope
from ronda.errors import BadInput

export_app = typer.Typer(help="Export records for regulators.", no_args_is_help=True)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{option} {value!r}: use YYYY-MM-DD") from None


@export_app.command("statements")
@friendly
def export_statements(
    since: Annotated[str, typer.Option("--since", help="First day (YYYY-MM-DD, local time).")],
    until: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD, local time).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the JSON lines here (default: standard output).", dir_okay=False
        ),
    ] = None,
    batch_dir: Annotated[
        Path | None,
        typer.Option(
            "--batch-dir",
            help="Also write bodies of at most 100 statements, ready to POST, into this directory.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """DSA statements of reasons (one per action carried out in the period) as JSON lines.

    Each statement is checked against the Transparency Database rules first; a
    statement that breaks one is reported on stderr, not written, and the
    command exits 1.
    """
    from ronda.transparency.statements import Export, statements, write_batches

    start, end = _day(since, "--since"), _day(until, "--until")
    if start > end:
        raise BadInput("--since comes after --until")
    settings = get_settings()
    if not settings.secret_key:
        raise BadInput("the puid is keyed with secret_key; set RONDA_SECRET_KEY")
    result = Export()
    batch: list[dict[str, object]] = []
    batches = 0
    sink = out.open("w", encoding="utf-8") if out else None
    try:
        with session_scope(factory(settings)) as session:
            for statement in statements(
                session,
                since=start,
                until=end,
                tz=settings.timezone,
                secret=settings.secret_key,
                result=result,
            ):
                line = json.dumps(statement, ensure_ascii=False, sort_keys=True)
                if sink:
                    sink.write(line + "\n")
                else:
                    typer.echo(line)
                if batch_dir is not None:
                    batch.append(statement)
                    if len(batch) == 100:
                        batches += write_batches(batch, batch_dir, start=batches)
                        batch = []
        if batch_dir is not None and batch:
            batches += write_batches(batch, batch_dir, start=batches)
    finally:
        if sink:
            sink.close()
    for action_id, why in result.skipped:
        err_console.print(f"skipped action {action_id}: {escape(why)}", highlight=False)
    for action_id, wrong in result.invalid:
        err_console.print(
            f"[bold red]invalid[/] statement for action {action_id}: {escape('; '.join(wrong))}",
            highlight=False,
        )
    err_console.print(
        f"{result.written} statements written"
        + (f" in {batches} batches to {escape(str(batch_dir))}" if batch_dir else "")
        + f", {len(result.skipped)} skipped, {len(result.invalid)} invalid",
        highlight=False,
    )
    if result.invalid:
        raise typer.Exit(1)


@friendly
def report_cmd(
    period: Annotated[
        str, typer.Option("--period", help="YYYY, YYYY-H1/H2, YYYY-Q1..Q4 or YYYY-MM.")
    ],
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the report here (default: standard output).", dir_okay=False
        ),
    ] = None,
) -> None:
    """The transparency report of a period: DSA Art. 15, TCO Art. 7, government requests."""
    from ronda.db.base import utcnow
    from ronda.transparency.report import build, to_csv

    if fmt not in ("json", "csv"):
        raise BadInput("--format is json or csv")
    settings = get_settings()
    with session_scope(factory(settings)) as session:
        report = build(session, period=period, tz=settings.timezone, now=utcnow())
    text = (
        json.dumps(report, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else to_csv(report)
    )
    if out:
        out.write_text(text, encoding="utf-8")
        err_console.print(f"report written to {escape(str(out))}", highlight=False)
    else:
        typer.echo(text, nl=False)
