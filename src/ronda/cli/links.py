"""`ronda links`: pull Telegram references out of a file or standard input.

Moderators paste takedown e-mails and spreadsheets exported as text into this
command to see, before anything is recorded, which subjects Ronda will act on
and which fragments it could not use (with the reason). Output is JSON Lines
so it can be piped into `jq` or another command.

Input that is not valid UTF-8 is not rejected: orders are often produced by
mail clients and office suites with stray legacy-encoded bytes, and refusing
the whole file would hide every good link in it. The undecodable bytes are
replaced with U+FFFD and a warning names the first bad offset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ronda.links import Reference, extract

app = typer.Typer(
    help="Find Telegram channels, posts and invite links in text.",
    no_args_is_help=True,
)


@app.callback()
def _links() -> None:
    """Find Telegram channels, posts and invite links in text."""


def _read(file: str | None) -> tuple[bytes, str]:
    if file is None or file == "-":
        return typer.get_binary_stream("stdin").read(), "standard input"
    path = Path(file)
    try:
        return path.read_bytes(), file
    except FileNotFoundError:
        typer.echo(f"error: {file}: no such file", err=True)
    except IsADirectoryError:
        typer.echo(f"error: {file}: is a directory", err=True)
    except OSError as exc:
        typer.echo(f"error: {file}: {exc.strerror or exc}", err=True)
    raise typer.Exit(2)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        typer.echo(
            f"warning: {name} is not valid UTF-8 (first bad byte at offset {exc.start}); "
            "undecodable bytes were replaced with U+FFFD",
            err=True,
        )
        return data.decode("utf-8-sig", errors="replace")


@app.command("extract")
def extract_command(
    file: Annotated[
        str | None,
        typer.Argument(
            help="Text file to read; standard input when missing or '-'.", show_default=False
        ),
    ] = None,
    only_valid: Annotated[
        bool, typer.Option("--only-valid", help="Leave out fragments that are not usable.")
    ] = False,
) -> None:
    """Print each distinct Telegram subject in FILE as one JSON object per line."""
    data, name = _read(file)
    text = _decode(data, name)
    lines = [
        json.dumps(found.to_json(), ensure_ascii=False)
        for found in extract(text)
        if not only_valid or isinstance(found, Reference)
    ]
    if lines:
        typer.echo("\n".join(lines))
