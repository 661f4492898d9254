"""The ``ronda`` command: one entry point for every job Ronda does."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Annotated

import typer

from ronda import __version__
from ronda.cli import accounts as accounts_cli
from ronda.cli import bank as bank_cli
from ronda.cli import stream as stream_cli
from ronda.cli import takedowns as takedowns_cli
from ronda.cli import transparency as transparency_cli
from ronda.cli._common import console, factory, friendly
from ronda.cli.scan import scan
from ronda.config import get_settings, reset_settings
from ronda.ops.logging import configure_logging

app = typer.Typer(
    name="ronda",
    help="Ronda: the trust-and-safety desk. Takedown orders, detection, review, enforcement, transparency.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)

app.add_typer(accounts_cli.user_app, name="user")
app.add_typer(accounts_cli.authority_app, name="authority")
app.add_typer(accounts_cli.key_app, name="key")
app.add_typer(takedowns_cli.app, name="takedowns")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.command("intake")(takedowns_cli.intake)
app.add_typer(bank_cli.app, name="bank")
app.command("scan")(scan)
app.command("publish")(stream_cli.publish)
app.add_typer(stream_cli.app, name="stream")
app.command("worker")(stream_cli.worker)
app.add_typer(transparency_cli.export_app, name="export")
app.command("report")(transparency_cli.report_cmd)


def _version(value: bool) -> None:
    if value:
        console.print(f"ronda {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="A TOML settings file (else $RONDA_CONFIG or ./ronda.toml).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    if config is not None:
        os.environ["RONDA_CONFIG"] = str(config)
        reset_settings()
    fmt, level = "text", "info"
    with contextlib.suppress(Exception):  # a broken settings file is reported by the command
        settings = get_settings()
        fmt, level = settings.log_format, settings.log_level
    configure_logging(fmt, "debug" if verbose else level)


@db_app.command("upgrade")
@friendly
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations to RONDA_DATABASE_URL."""
    from ronda.db import migrate

    migrate(get_settings().database_url, revision)
    console.print(f"database at {revision}")


@db_app.command("rebuild-figures")
@friendly
def db_rebuild_figures() -> None:
    """Recompute the transparency aggregates from the records (after changing timezone)."""
    from ronda.db import session_scope
    from ronda.transparency.aggregates import rebuild

    settings = get_settings()
    with session_scope(factory(settings)) as session:
        written = rebuild(session, tz=settings.timezone, actions=True)
    console.print(", ".join(f"{table}: {n} row(s)" for table, n in written.items()))


@audit_app.command("verify")
@friendly
def audit_verify() -> None:
    """Check the hash chain; exit 1 and list every edited or deleted entry."""
    from ronda.audit.service import verify
    from ronda.db import session_scope

    problems = 0
    with session_scope(factory()) as session:
        for problem in verify(session):
            problems += 1
            console.print(f"[red]entry {problem.seq}:[/] {problem.problem}")
    if problems:
        raise typer.Exit(1)
    console.print("audit log intact")


@app.command("bulletin")
@friendly
def bulletin_cmd(
    day: Annotated[
        str | None,
        typer.Option("--date", help="YYYY-MM-DD in the configured time zone (default: yesterday)."),
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="en or id.")] = "en",
    category: Annotated[
        str | None,
        typer.Option(
            "--category", help="One harm category (terrorism, gambling ...); all when omitted."
        ),
    ] = None,
) -> None:
    """Print the day's bulletin in the @isiswatch shape, from the actions carried out that day."""
    from datetime import date, timedelta

    from ronda.db import session_scope
    from ronda.errors import BadInput
    from ronda.transparency.service import bulletin, local_day

    settings = get_settings()
    if day is None:
        from ronda.db.base import utcnow

        the_day = local_day(utcnow(), settings.timezone) - timedelta(days=1)
    else:
        try:
            the_day = date.fromisoformat(day)
        except ValueError:
            raise BadInput(f"--date {day!r}: use YYYY-MM-DD") from None
    if lang not in ("en", "id"):
        raise BadInput("--lang is en or id")
    with session_scope(factory(settings)) as session:
        typer.echo(
            bulletin(
                session,
                day=the_day,
                lang=lang,
                category=category,
                report_address=settings.desk_email,
            )
        )


@app.command("purge")
@friendly
def purge_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be erased; change nothing.")
    ] = False,
) -> None:
    """Erase removed content older than retention_days (text, OCR, media, evidence); audited."""
    from ronda.actions.retention import purge
    from ronda.db import session_scope

    settings = get_settings()
    with session_scope(factory(settings)) as session:
        result = purge(session, settings=settings, dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    console.print(
        f"{verb} {result.posts} post(s), the evidence of {result.signals} signal(s) and "
        f"{result.images} kept image(s), acted on before {result.cutoff:%Y-%m-%d}"
    )


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Embedded SQLite (./ronda-demo.db) with demo data; cookies without the Secure flag for plain http.",
        ),
    ] = False,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the worker loop in the same process.")
    ] = True,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="What to serve: all (API, console and public pages), api (/api/v1 only) or console.",
        ),
    ] = "all",
) -> None:
    """Run the web console and API (and, by default, the worker) in one process.

    For a split deployment run `ronda serve --role api --no-worker` and `ronda serve --role
    console --no-worker` beside `ronda worker --role ...` processes (see docs/operations.md).
    """
    import uvicorn

    from ronda.ops.logging import set_role
    from ronda.web.app import ROLES, create_app

    if role not in ROLES:
        raise typer.BadParameter(f"choose one of {', '.join(ROLES)}", param_hint="--role")
    set_role(role if not worker or role != "all" else "all-in-one")

    if demo:
        os.environ.setdefault("RONDA_DATABASE_URL", "sqlite:///./ronda-demo.db")
        os.environ.setdefault("RONDA_COOKIE_SECURE", "false")
        os.environ.setdefault("RONDA_MAIL_DIR", "./ronda-demo-mail")
        os.environ.setdefault("RONDA_EVIDENCE_DIR", "./ronda-demo-evidence")
        os.environ.setdefault("RONDA_BASE_URL", f"http://{host}:{port}")
        reset_settings()
    settings = get_settings()
    fac = factory(settings)
    if demo:
        from ronda.demo import DEMO_PASSWORD, seed

        created = seed(fac, settings)
        console.print(
            ("demo data created" if created else "demo data already present")
            + f"; log in as lead@ronda.example, moderator@ronda.example or narahubung@komdigi.example"
            f" with password [bold]{DEMO_PASSWORD}[/]"
        )
    stop = threading.Event()
    if worker:
        from ronda.worker import Worker

        w = Worker(factory=fac, settings=settings, stop=stop)
        threading.Thread(target=w.run_forever, name="ronda-worker", daemon=True).start()
    console.print(f"Ronda console at [bold]http://{host}:{port}[/]")
    try:
        uvicorn.run(
            create_app(settings, fac, role=role),
            host=host,
            port=port,
            log_config=None,  # our handlers (text or JSON, see log_format) take uvicorn's lines
            log_level=settings.log_level,
        )
    finally:
        stop.set()


def _mount_optional() -> None:
    """Commands of other domains, mounted when their modules are present."""
    try:
        from ronda.cli import links as links_cli

        app.add_typer(links_cli.app, name="links", help="Find Telegram references in text.")
    except ImportError:  # pragma: no cover
        pass
    try:
        from ronda.cli import model as model_cli

        app.add_typer(model_cli.app, name="model", help="Train and evaluate the classifier.")
    except ImportError:  # pragma: no cover
        pass
    try:
        from ronda.cli.classify import classify

        app.command("classify")(classify)
    except ImportError:  # pragma: no cover
        pass


_mount_optional()
