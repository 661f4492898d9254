"""Shared CLI plumbing: settings, the session factory, errors as one clear line."""

from __future__ import annotations

import functools
import json
import sys
import tomllib
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from ronda.config import Settings, get_settings
from ronda.db import create_engine_for, make_sessionmaker, migrate
from ronda.errors import RondaError

console = Console()
# soft_wrap: an error stays one line however narrow the terminal (or a pipe)
err_console = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def friendly(fn: F) -> F:
    """Turn domain errors into one line on stderr and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RondaError as exc:
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            raise typer.Exit(1) from None
        except (ValidationError, FileNotFoundError, tomllib.TOMLDecodeError) as exc:
            # settings that cannot be read: say which, in one line
            first = str(exc).strip().splitlines()
            err_console.print(
                f"[bold red]error:[/] settings: {escape(' '.join(first[:3]))}", highlight=False
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


_factories: dict[str, sessionmaker[Session]] = {}


def factory(settings: Settings | None = None, *, upgrade: bool = True) -> sessionmaker[Session]:
    """The session factory for the configured database, migrated on first use."""
    settings = settings or get_settings()
    url = settings.database_url
    if url not in _factories:
        if upgrade:
            migrate(url)
        _factories[url] = make_sessionmaker(create_engine_for(url))
    return _factories[url]


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def open_input(file: str, stack: ExitStack) -> tuple[BinaryIO, int | None, Path]:
    """A JSON-lines input: ``-`` for standard input, else a file (closed with ``stack``).

    Returns the byte stream, its size when known (for a progress bar) and the folder that
    relative media paths in it are read from.
    """
    if file == "-":
        return sys.stdin.buffer, None, Path.cwd()
    path = Path(file)
    if not path.is_file():
        fail(f"no such file: {file}")
    return stack.enter_context(path.open("rb")), path.stat().st_size, path.resolve().parent
