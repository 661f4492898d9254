"""Talking to NATS JetStream: streams, publishing, status and dead letters.

The posts stream keeps every post published on ``stream.subject`` (and its
``.>`` partitions) until the shared durable consumer has them acknowledged
(work-queue retention). A post is published with the header ``Nats-Msg-Id``
set to its canonical link, so JetStream drops a re-publish within
``stream.duplicate_window_seconds``.

Poison messages go to the dead-letter stream, unchanged, with headers saying
why (``Ronda-Error``), how often it was tried (``Ronda-Attempts``) and where it
came from. They stay there until ``requeue_dead_letter`` publishes them again.

The functions without ``async`` open their own connection (``asyncio.run``):
they serve the CLI and the console, not the hot path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from ronda.config import Settings
from ronda.detection.pipeline.reader import BadLine, GoodLine
from ronda.errors import BadInput, NotFound

log = logging.getLogger(__name__)

__all__ = [
    "DeadLetter",
    "PublishSummary",
    "StreamStatus",
    "connect",
    "dead_letter_headers",
    "ensure_dead_letter_stream",
    "ensure_posts_stream",
    "list_dead_letters",
    "publish_posts",
    "requeue_dead_letter",
    "stream_status",
]

MSG_ID = "Nats-Msg-Id"
H_ERROR = "Ronda-Error"
H_ATTEMPTS = "Ronda-Attempts"
H_SOURCE_SEQ = "Ronda-Source-Seq"
H_SOURCE_SUBJECT = "Ronda-Source-Subject"
H_FAILED_AT = "Ronda-Failed-At"
H_POST = "Ronda-Post"

MAX_HEADER_CHARS = 1000  # an error kept in a header: one line, cut here
PUBLISH_WINDOW = 2000  # posts in flight (unacknowledged by JetStream) while publishing

T = TypeVar("T")


def run(fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from synchronous code (the CLI, the console's worker threads).

    When this thread already has a running event loop (an async caller, or a library such
    as Playwright's sync API that keeps one in the main thread), the coroutine gets a loop
    of its own in a short-lived thread instead of failing.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(fn())  # type: ignore[arg-type]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ronda-nats") as pool:
        return pool.submit(lambda: asyncio.run(fn())).result()  # type: ignore[arg-type]


async def connect(settings: Settings, *, keep_trying: bool = False) -> Client:
    """A connection to ``stream.url``; ``keep_trying`` for long-running workers
    (reconnect forever after losing the server)."""
    servers = [u.strip() for u in settings.stream.url.split(",") if u.strip()]
    if not servers:
        raise BadInput("stream.url is empty: set the NATS server of the stream")

    async def _quiet(exc: Exception) -> None:
        log.debug("NATS: %s", exc)

    connecting = nats.connect(
        servers=servers,
        connect_timeout=settings.stream.connect_timeout,
        allow_reconnect=keep_trying,
        # nats-py 2.16 counts the first connection against this too, and 0 makes a refused
        # first connection wait forever: 1 fails at once when keep_trying is off.
        max_reconnect_attempts=-1 if keep_trying else 1,
        reconnect_time_wait=0.5,
        error_cb=_quiet,
        name="ronda",
    )
    # the client tries the first connection as often as it would reconnect: bound it
    wait = settings.stream.connect_timeout * (2 * len(servers) + 1) + 1.0
    return await asyncio.wait_for(connecting, timeout=wait)


def _subjects(settings: Settings) -> list[str]:
    return [settings.stream.subject, f"{settings.stream.subject}.>"]


async def ensure_posts_stream(js: JetStreamContext, settings: Settings) -> None:
    """Create the posts stream if it does not exist (an existing one is left as it is)."""
    try:
        await js.stream_info(settings.stream.name)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        name=settings.stream.name,
        subjects=_subjects(settings),
        retention=js_api.RetentionPolicy.WORK_QUEUE,
        storage=js_api.StorageType.FILE,
        duplicate_window=settings.stream.duplicate_window_seconds,
        discard=js_api.DiscardPolicy.OLD,
    )
    log.info("created the stream %s", settings.stream.name)


async def ensure_dead_letter_stream(js: JetStreamContext, settings: Settings) -> None:
    try:
        await js.stream_info(settings.stream.dead_letter_stream)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        name=settings.stream.dead_letter_stream,
        subjects=[settings.stream.dead_letter_subject],
        retention=js_api.RetentionPolicy.LIMITS,
        storage=js_api.StorageType.FILE,
        duplicate_window=settings.stream.duplicate_window_seconds,
    )


def one_line(text: str, limit: int = MAX_HEADER_CHARS) -> str:
    """Text fit for a NATS header: one line of printable characters, cut at ``limit``."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat[:limit]


def dead_letter_headers(
    *, error: str, attempts: int, source_seq: int | None, subject: str, post: str | None
) -> dict[str, str]:
    headers = {
        H_ERROR: one_line(error) or "unknown error",
        H_ATTEMPTS: str(attempts),
        H_SOURCE_SUBJECT: one_line(subject, 200),
        H_FAILED_AT: datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if source_seq is not None:
        headers[H_SOURCE_SEQ] = str(source_seq)
        # a dead letter published twice (worker killed before its ack) is kept once
        headers[MSG_ID] = f"dead:{source_seq}"
    if post:
        headers[H_POST] = one_line(post, 300)
    return headers


# ---------------------------------------------------------------------------
# publishing
# ---------------------------------------------------------------------------


@dataclass
class PublishSummary:
    lines: int = 0
    published: int = 0
    duplicates: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), first 10,000
    skipped_count: int = 0

    def skip(self, line: int, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < 10_000:
            self.skipped.append((line, reason))


def publish_posts(
    settings: Settings,
    lines: Iterable[GoodLine | BadLine],
    *,
    on_line: Callable[[int], None] | None = None,
) -> PublishSummary:
    """Publish every good line (its bytes as received) with its post's canonical link as
    message id; bad lines are counted with their reason. ``on_line(size)`` after each line."""
    return run(lambda: _publish(settings, lines, on_line))


async def _publish(
    settings: Settings,
    lines: Iterable[GoodLine | BadLine],
    on_line: Callable[[int], None] | None,
) -> PublishSummary:
    summary = PublishSummary()
    nc = await connect(settings)
    try:
        js = nc.jetstream(publish_async_max_pending=PUBLISH_WINDOW)
        await ensure_posts_stream(js, settings)
        pending: list[asyncio.Future[js_api.PubAck]] = []

        async def settle() -> None:
            for ack in await asyncio.gather(*pending):
                if ack.duplicate:
                    summary.duplicates += 1
                else:
                    summary.published += 1
            pending.clear()

        for item in lines:
            summary.lines += 1
            if isinstance(item, BadLine):
                summary.skip(item.line, item.reason)
            else:
                pending.append(
                    await js.publish_async(
                        settings.stream.subject,
                        item.raw or item.post.model_dump_json().encode(),
                        headers={MSG_ID: item.post.reference.canonical},
                    )
                )
                if len(pending) >= PUBLISH_WINDOW:
                    await settle()
            if on_line is not None:
                on_line(item.size)
        await settle()
    finally:
        await nc.close()
    return summary


# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamStatus:
    """The posts stream as the metrics and ``ronda stream status`` see it.

    ``messages``: posts stored and not yet acknowledged; ``pending``: of those,
    not yet delivered to any worker; ``ack_pending``: delivered, being worked
    on (or waiting for ``ack_wait`` after a crash); ``redelivered``: delivered
    more than once and still unacknowledged; ``dead_letters``: kept in the
    dead-letter stream.
    """

    messages: int
    pending: int
    ack_pending: int
    redelivered: int
    dead_letters: int
    consumers: int = 0
    waiting: int = 0  # pull requests of idle workers


def stream_status(settings: Settings) -> StreamStatus | None:
    """The stream's figures, or None when NATS cannot be reached or the stream does not exist."""
    try:
        return run(lambda: _status(settings))
    except Exception as exc:
        log.debug("stream status unavailable: %s", exc)
        return None


async def _status(settings: Settings) -> StreamStatus | None:
    nc = await connect(settings)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(settings.stream.name)
        except NotFoundError:
            return None
        pending = ack_pending = redelivered = waiting = 0
        try:
            ci = await js.consumer_info(settings.stream.name, settings.stream.durable)
            pending = ci.num_pending or 0
            ack_pending = ci.num_ack_pending or 0
            redelivered = ci.num_redelivered or 0
            waiting = ci.num_waiting or 0
        except NotFoundError:
            pending = info.state.messages
        dead = 0
        with contextlib.suppress(NotFoundError):
            dead = (await js.stream_info(settings.stream.dead_letter_stream)).state.messages
        return StreamStatus(
            messages=info.state.messages,
            pending=pending,
            ack_pending=ack_pending,
            redelivered=redelivered,
            dead_letters=dead,
            consumers=info.state.consumer_count,
            waiting=waiting,
        )
    finally:
        await nc.close()


# ---------------------------------------------------------------------------
# dead letters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    reason: str
    attempts: int
    failed_at: str
    post: str
    size: int
    head: bytes  # the first bytes of the message, as received
    source_seq: int | None

    def summary(self) -> dict[str, Any]:
        """What the console and ``ronda stream dead-letters --json`` show of it."""
        return {
            "seq": self.seq,
            "reason": self.reason,
            "attempts": self.attempts,
            "failed_at": self.failed_at,
            "post": self.post,
            "size": self.size,
            "head": self.head.decode("utf-8", "replace"),
        }


def _dead_letter(msg: js_api.RawStreamMsg, head_bytes: int) -> DeadLetter:
    headers: dict[str, Any] = msg.headers or {}
    data = msg.data or b""
    attempts = str(headers.get(H_ATTEMPTS, "0"))
    source = str(headers.get(H_SOURCE_SEQ, ""))
    return DeadLetter(
        seq=int(msg.seq or 0),
        reason=str(headers.get(H_ERROR, "")),
        attempts=int(attempts) if attempts.isdigit() else 0,
        failed_at=str(headers.get(H_FAILED_AT, "")),
        post=str(headers.get(H_POST, "")),
        size=len(data),
        head=data[:head_bytes],
        source_seq=int(source) if source.isdigit() else None,
    )


def list_dead_letters(
    settings: Settings, *, limit: int = 100, head_bytes: int = 200
) -> list[DeadLetter]:
    """The newest dead letters first, at most ``limit``."""
    return run(lambda: _list_dead(settings, limit, head_bytes))


async def _list_dead(settings: Settings, limit: int, head_bytes: int) -> list[DeadLetter]:
    nc = await connect(settings)
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(settings.stream.dead_letter_stream)
        except NotFoundError:
            return []
        out: list[DeadLetter] = []
        seq = info.state.last_seq
        while seq >= max(info.state.first_seq, 1) and len(out) < limit:
            try:
                msg = await js.get_msg(settings.stream.dead_letter_stream, seq)
            except NotFoundError:  # deleted (requeued)
                seq -= 1
                continue
            out.append(_dead_letter(msg, head_bytes))
            seq -= 1
        return out
    finally:
        await nc.close()


def requeue_dead_letter(settings: Settings, seq: int) -> DeadLetter:
    """Publish dead letter ``seq`` to the posts subject again and remove it from the
    dead-letter stream; raises ``NotFound`` when there is no such dead letter."""
    return run(lambda: _requeue(settings, seq))


async def _requeue(settings: Settings, seq: int) -> DeadLetter:
    nc = await connect(settings)
    try:
        js = nc.jetstream()
        await ensure_posts_stream(js, settings)
        try:
            msg = await js.get_msg(settings.stream.dead_letter_stream, seq)
        except NotFoundError:
            raise NotFound(f"no dead letter {seq}") from None
        letter = _dead_letter(msg, 200)
        headers = {
            # a new id: the post's own id may still be in the duplicate window
            MSG_ID: f"requeue:{seq}:{letter.post or letter.source_seq or ''}",
        }
        await js.publish(settings.stream.subject, msg.data or b"", headers=headers)
        await js.delete_msg(settings.stream.dead_letter_stream, seq)
        log.info("dead letter %s requeued", seq)
        return letter
    finally:
        await nc.close()
