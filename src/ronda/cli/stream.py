"""``ronda publish``, ``ronda stream ...`` and ``ronda worker``: stream ingestion and roles.

See docs/stream.md.
"""

from __future__ import annotations

import contextlib
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated

import typer
from nats.errors import Error as NatsError
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ronda.cli._common import (
    console,
    err_console,
    factory,
    fail,
    friendly,
    open_input,
    print_json,
)
from ronda.config import get_settings

if TYPE_CHECKING:
    from ronda.ops.health import OpsServer
    from ronda.worker import Worker

app = typer.Typer(
    help="The NATS JetStream stream of posts: status, dead letters.", no_args_is_help=True
)

SHOW_SKIPPED = 50


@friendly
def publish(
    file: Annotated[
        str, typer.Argument(help="A JSON lines file of posts, or - for standard input.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary instead of text.")
    ] = False,
) -> None:
    """Publish posts (docs/content-schema.md) to the JetStream stream, creating it if absent.

    Each line is checked like `ronda scan` checks it; good lines are published
    as received, with the post's link as message id, so a post published again
    is dropped by JetStream as a duplicate. Bad lines are skipped with their
    reason.
    """
    from ronda.detection.pipeline.reader import read_posts
    from ronda.stream.client import publish_posts

    settings = get_settings()
    started = time.perf_counter()
    with ExitStack() as stack:
        stream, total, _ = open_input(file, stack)
        progress = stack.enter_context(
            Progress(
                TextColumn("[bold]publishing"),
                BarColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=err_console,
                disable=not err_console.is_terminal,
                transient=as_json,
            )
        )
        task = progress.add_task("publish", total=total)
        try:
            summary = publish_posts(
                settings,
                read_posts(stream),
                on_line=lambda size: progress.advance(task, size),
            )
        except (OSError, TimeoutError, NatsError) as exc:
            fail(f"cannot reach NATS at {settings.stream.url}: {str(exc) or 'no answer'}")
            return
    elapsed = time.perf_counter() - started
    if as_json:
        print_json(
            {
                "lines": summary.lines,
                "published": summary.published,
                "duplicates": summary.duplicates,
                "skipped": summary.skipped_count,
                "skipped_lines": [{"line": n, "reason": r} for n, r in summary.skipped],
                "stream": settings.stream.name,
                "seconds": round(elapsed, 3),
            }
        )
    else:
        console.print(
            f"[bold]{summary.published:,}[/] published to {escape(settings.stream.name)}, "
            f"{summary.duplicates:,} duplicate(s) dropped, {summary.skipped_count:,} line(s) "
            f"skipped, in {elapsed:.1f} s",
            highlight=False,
        )
        for line, reason in summary.skipped[:SHOW_SKIPPED]:
            console.print(f"  line {line}: {reason}", highlight=False, markup=False)
        if summary.skipped_count > SHOW_SKIPPED:
            more = summary.skipped_count - SHOW_SKIPPED
            console.print(f"  … and {more:,} more (--json lists them)")
    if summary.published == 0 and summary.duplicates == 0 and summary.skipped_count:
        raise typer.Exit(1)


@app.command("status")
@friendly
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """The stream's backlog, posts being worked on, redeliveries and dead letters."""
    from dataclasses import asdict

    from ronda.stream.client import stream_status

    settings = get_settings()
    got = stream_status(settings)
    if got is None:
        fail(
            f"no stream {settings.stream.name} at {settings.stream.url} "
            "(NATS down, or nothing published yet)"
        )
        return
    if as_json:
        print_json({"stream": settings.stream.name, **asdict(got)})
        return
    table = Table(title=f"stream {escape(settings.stream.name)}", show_header=False)
    table.add_row("posts stored, not yet acknowledged", f"{got.messages:,}")
    table.add_row("waiting for a worker", f"{got.pending:,}")
    table.add_row("being worked on", f"{got.ack_pending:,}")
    table.add_row("delivered more than once", f"{got.redelivered:,}")
    table.add_row("dead letters", f"{got.dead_letters:,}")
    table.add_row("workers waiting for posts", f"{got.waiting:,}")
    console.print(table)


@app.command("dead-letters")
@friendly
def dead_letters(
    requeue: Annotated[
        int | None,
        typer.Option("--requeue", help="Publish this dead letter to the posts stream again."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="List at most this many.")
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """List poison messages (newest first), or requeue one by its number."""
    from ronda.stream.client import list_dead_letters, requeue_dead_letter

    settings = get_settings()
    if requeue is not None:
        letter = requeue_dead_letter(settings, requeue)
        console.print(f"dead letter {letter.seq} published again to {settings.stream.subject}")
        return
    letters = list_dead_letters(settings, limit=limit)
    if as_json:
        print_json([d.summary() for d in letters])
        return
    if not letters:
        console.print("no dead letters")
        return
    table = Table(title="dead letters (newest first)")
    for col in ("#", "failed at", "attempts", "reason", "first bytes"):
        table.add_column(col)
    for d in letters:
        table.add_row(
            str(d.seq),
            escape(d.failed_at),
            str(d.attempts),
            escape(d.reason[:200]),
            escape(d.head[:80].decode("utf-8", "replace")),
        )
    console.print(table)


@friendly
def worker(
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help="scheduler, outbox, ingest or all (repeatable; default all).",
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option("--once", help="Run one round and exit (ingest: until the stream is empty)."),
    ] = False,
    ops_port: Annotated[
        int | None,
        typer.Option(
            "--ops-port",
            help="Answer /healthz, /readyz and /metrics on this port (default: the ops_port setting; 0: off).",
        ),
    ] = None,
) -> None:
    """Run worker roles: scheduler (IMAP, deadlines, escalations, daily purge and bulletin),
    outbox (platform actions, notices, mail) and ingest (the stream of posts)."""
    import threading

    from ronda.errors import BadInput
    from ronda.worker import ALL, Worker, parse_roles

    try:
        roles = parse_roles(role)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    settings = get_settings()
    w = Worker(factory=factory(settings), settings=settings, roles=roles)
    if once:
        w.tick()
        if "ingest" in roles and ALL not in roles:
            from ronda.stream.consumer import run_ingest

            try:
                run_ingest(settings, w.factory, threading.Event(), once=True)
            except (OSError, TimeoutError, NatsError) as exc:
                fail(f"cannot reach NATS at {settings.stream.url}: {str(exc) or 'no answer'}")
        return
    import signal

    from ronda.ops.logging import set_role

    set_role("+".join(r for r in ("scheduler", "outbox", "ingest") if r in roles))
    port = settings.ops_port if ops_port is None else ops_port
    ops = _ops_server(w, port) if port else None
    # SIGTERM (systemd, Kubernetes) ends the loop like Ctrl-C: the batch in hand is finished
    signal.signal(signal.SIGTERM, lambda *_: w.stop.set())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            w.run_forever()
    finally:
        if ops is not None:
            ops.close()


def _ops_server(w: Worker, port: int) -> OpsServer:
    """The worker's /healthz, /readyz and /metrics; the stream is checked for ingest."""
    from ronda.ops.health import OpsServer, database_check
    from ronda.ops.metrics import build_registry, db_source, stream_source

    settings = w.settings
    checks = {"database": database_check(w.factory)}
    sources = {"database": db_source(w.factory)}
    if "ingest" in w.roles:
        stream = stream_source(settings)
        sources["stream"] = stream

        def stream_check() -> None:
            stream()  # raises when NATS or the posts stream cannot be reached

        checks["stream"] = stream_check
    w.heartbeat.stale_after = max(120.0, 10 * settings.worker_tick_seconds)
    server = OpsServer(
        role="+".join(r for r in ("scheduler", "outbox", "ingest") if r in w.roles),
        host=settings.ops_host,
        port=port,
        registry=build_registry(sources, ttl=settings.metrics_cache_seconds),
        checks=checks,
        heartbeat=w.heartbeat,
        metrics_token=settings.metrics_token,
    )
    server.start()
    return server
