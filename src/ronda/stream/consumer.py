"""The ingest loop: the shared durable pull consumer, one batch at a time.

Per batch:

1. fetch up to ``stream.batch_size`` posts (any number of workers share the
   durable consumer ``stream.durable``; each post goes to one of them);
2. parse each message as a post (docs/content-schema.md); one that is not a
   post goes to the dead-letter stream at once, with the reason;
3. scan the posts with the detection pipeline and commit signals and cases
   in one transaction, telling JetStream "in progress" while it runs;
4. only then acknowledge. A worker killed before step 4 loses nothing: after
   ``stream.ack_wait_seconds`` the posts are delivered again, and scanning a
   post again changes nothing (posts, signals, cases and channel risk are
   keyed by the post and the detector version; see ``pipeline.store``).

A batch that fails is retried one post at a time, so one poison post does
not hold back the others; a post that fails alone is delivered again later,
and after ``stream.max_deliveries`` deliveries it goes to the dead-letter
stream. A database that cannot be reached is not the posts' fault: the batch
is handed back (``nak``) and waits, however many times that happens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from ronda.config import Settings
from ronda.db import session_scope
from ronda.detection.pipeline.core import Pipeline, PipelineConfig
from ronda.detection.pipeline.reader import MAX_LINE_BYTES, parse_post
from ronda.detection.schemas import PostIn
from ronda.stream import COUNTERS
from ronda.stream.client import connect, dead_letter_headers, ensure_dead_letter_stream, run

log = logging.getLogger(__name__)

__all__ = ["BatchReport", "is_transient", "run_ingest"]

FETCH_WAIT = 1.0  # seconds a pull request waits for posts before the loop checks `stop`
RETRY_DELAY = 2.0  # seconds before a failed post is delivered again (doubling)
MAX_RETRY_DELAY = 60.0


@dataclass(frozen=True)
class BatchReport:
    """What one batch did (``on_batch`` receives it after the acknowledgements)."""

    fetched: int
    scanned: int
    dead: int
    retried: int
    lags: list[float]  # seconds from JetStream storing each scanned post to its commit
    committed_at: float


def is_transient(exc: BaseException) -> bool:
    """A failure of the database, not of the posts: retry without counting it against them."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))


def run_ingest(
    settings: Settings,
    factory: sessionmaker[Session],
    stop: threading.Event,
    *,
    pipeline: Pipeline | None = None,
    create: bool = True,
    once: bool = False,
    on_batch: Callable[[BatchReport], None] | None = None,
) -> None:
    """Consume the posts stream until ``stop`` is set (``once``: until it is empty).

    Reconnects by itself when NATS goes away. ``create``: create the posts
    stream when it is absent (else wait for it to appear, checking every few
    seconds; ``ronda worker`` with the role ``all`` waits).
    """
    loop = _IngestLoop(settings, factory, stop, pipeline, create, once, on_batch)
    run(loop.run)


class _IngestLoop:
    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        stop: threading.Event,
        pipeline: Pipeline | None,
        create: bool,
        once: bool,
        on_batch: Callable[[BatchReport], None] | None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.stop = stop
        self._pipeline = pipeline
        self.create = create
        self.once = once
        self.on_batch = on_batch
        self.cfg = settings.stream

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self._pipeline = Pipeline(PipelineConfig.from_settings(self.settings, ocr=False))
        return self._pipeline

    async def _sleep(self, seconds: float) -> None:
        await asyncio.to_thread(self.stop.wait, seconds)

    async def run(self) -> None:
        backoff = 1.0
        while not self.stop.is_set():
            try:
                nc = await connect(self.settings, keep_trying=True)
            except Exception as exc:
                if self.once:
                    raise
                (log.warning if backoff == 1.0 else log.debug)(
                    "ingest: no NATS at %s (%s); retrying", self.cfg.url, exc
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            try:
                done = await self._consume(nc)
            finally:
                try:
                    await nc.close()
                except Exception:
                    log.debug("closing the NATS connection failed", exc_info=True)
            if done:
                return

    async def _subscription(self, js: JetStreamContext) -> JetStreamContext.PullSubscription | None:
        from ronda.stream.client import ensure_posts_stream

        while not self.stop.is_set():
            try:
                if self.create:
                    await ensure_posts_stream(js, self.settings)
                else:
                    await js.stream_info(self.cfg.name)
                await ensure_dead_letter_stream(js, self.settings)
                config = js_api.ConsumerConfig(
                    durable_name=self.cfg.durable,
                    ack_policy=js_api.AckPolicy.EXPLICIT,
                    deliver_policy=js_api.DeliverPolicy.ALL,
                    ack_wait=self.cfg.ack_wait_seconds,
                    max_ack_pending=max(self.cfg.batch_size * 20, 1000),
                    max_waiting=512,
                )
                return await js.pull_subscribe(
                    "", durable=self.cfg.durable, stream=self.cfg.name, config=config
                )
            except NotFoundError:
                if self.once:
                    return None
                await self._sleep(5.0)
            except Exception as exc:
                log.warning("ingest: cannot bind the consumer (%s); retrying", exc)
                await self._sleep(2.0)
        return None

    async def _consume(self, nc: Client) -> bool:
        """Fetch and process until stopped; True when the loop is over."""
        js = nc.jetstream()
        sub = await self._subscription(js)
        if sub is None:
            return True
        log.info("ingest: consuming %s as %s", self.cfg.name, self.cfg.durable)
        while not self.stop.is_set():
            try:
                msgs = await sub.fetch(self.cfg.batch_size, timeout=FETCH_WAIT)
            except TimeoutError:
                if self.once:
                    return True
                continue
            except Exception as exc:
                log.warning("ingest: fetch failed (%s); retrying", exc)
                await self._sleep(1.0)
                continue
            if not msgs:
                continue
            try:
                await self._batch(js, msgs)
            except Exception as exc:
                # NATS lost mid-batch: what was not acknowledged is delivered again,
                # and scanning it again changes nothing
                log.warning("ingest: batch interrupted (%s); its posts come back", _short(exc))
                await self._sleep(1.0)
        return True

    # ------------------------------------------------------------------
    # one batch
    # ------------------------------------------------------------------

    async def _batch(self, js: JetStreamContext, msgs: list[Msg]) -> None:
        posts: list[tuple[Msg, PostIn]] = []
        dead = 0
        redelivered = sum(1 for m in msgs if m.metadata.num_delivered > 1)
        if redelivered:
            COUNTERS.redelivered(redelivered)
        for msg in msgs:
            data = msg.data or b""
            if len(data) > MAX_LINE_BYTES:
                reason = f"message is {len(data):,} bytes, over the limit of {MAX_LINE_BYTES:,}"
                await self._dead(js, msg, reason)
                dead += 1
                continue
            got = parse_post(data)
            if isinstance(got, str):
                await self._dead(js, msg, f"not a post: {got}")
                dead += 1
            else:
                posts.append((msg, got))
        if not posts:
            self._report(len(msgs), 0, dead, 0, [])
            return
        try:
            errors = await self._commit(posts)
        except Exception as exc:
            if is_transient(exc):
                log.warning("ingest: database error, retried later (%s)", _short(exc))
                await self._nak([m for m, _ in posts], RETRY_DELAY)
                await self._sleep(RETRY_DELAY)
                self._report(len(msgs), 0, dead, len(posts), [])
                return
            log.warning("ingest: a batch of %d failed (%s); one by one", len(posts), _short(exc))
            scanned, more_dead, retried, alone = await self._one_by_one(js, posts)
            self._report(len(msgs), scanned, dead + more_dead, retried, alone)
            return
        now = time.time()
        lags: list[float] = []
        scanned = 0
        for i, (msg, _) in enumerate(posts):
            if i in errors:
                await self._dead(js, msg, errors[i])
                dead += 1
                continue
            await msg.ack()
            scanned += 1
            lags.append(now - msg.metadata.timestamp.timestamp())
        self._report(len(msgs), scanned, dead, 0, lags)

    async def _one_by_one(
        self, js: JetStreamContext, posts: list[tuple[Msg, PostIn]]
    ) -> tuple[int, int, int, list[float]]:
        scanned = dead = retried = 0
        lags: list[float] = []
        for msg, post in posts:
            try:
                errors = await self._commit([(msg, post)])
            except Exception as exc:
                attempts = msg.metadata.num_delivered
                if not is_transient(exc) and attempts >= self.cfg.max_deliveries:
                    await self._dead(js, msg, f"{type(exc).__name__}: {exc}")
                    dead += 1
                else:
                    delay = min(RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)
                    await self._nak([msg], delay)
                    retried += 1
                continue
            if 0 in errors:
                await self._dead(js, msg, errors[0])
                dead += 1
                continue
            await msg.ack()
            scanned += 1
            lags.append(time.time() - msg.metadata.timestamp.timestamp())
        return scanned, dead, retried, lags

    async def _commit(self, posts: Sequence[tuple[Msg, PostIn]]) -> dict[int, str]:
        """Scan and commit in a thread, telling JetStream the posts are in progress;
        the positions of the posts the pipeline could not scan (bad media) with their errors."""
        scanning = asyncio.get_running_loop().run_in_executor(
            None, self._scan, [p for _, p in posts]
        )
        beat = max(self.cfg.ack_wait_seconds / 3, 0.5)
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(scanning), timeout=beat)
            except TimeoutError:
                for msg, _ in posts:
                    try:
                        await msg.in_progress()
                    except Exception:
                        log.debug("in-progress signal failed", exc_info=True)

    def _scan(self, posts: list[PostIn]) -> dict[int, str]:
        with session_scope(self.factory) as session:
            result = self.pipeline.run(session, posts, source="stream", actor="detection:stream")
        return {o.index: o.error for o in result.outcomes if o.error is not None}

    async def _nak(self, msgs: Sequence[Msg], delay: float) -> None:
        for msg in msgs:
            try:
                await msg.nak(delay=delay)
            except Exception:
                log.debug("nak failed", exc_info=True)

    async def _dead(self, js: JetStreamContext, msg: Msg, reason: str) -> None:
        """Keep the message in the dead-letter stream, then acknowledge it here."""
        meta = msg.metadata
        post = (msg.headers or {}).get("Nats-Msg-Id")
        headers = dead_letter_headers(
            error=reason,
            attempts=meta.num_delivered,
            source_seq=meta.sequence.stream,
            subject=msg.subject,
            post=post,
        )
        await js.publish(self.cfg.dead_letter_subject, msg.data or b"", headers=headers)
        await msg.ack()
        COUNTERS.dead()
        log.warning("ingest: message %s dead-lettered: %s", meta.sequence.stream, reason[:200])

    def _report(
        self, fetched: int, scanned: int, dead: int, retried: int, lags: list[float]
    ) -> None:
        if scanned:
            COUNTERS.committed(scanned, lags)
        if self.on_batch is not None:
            self.on_batch(BatchReport(fetched, scanned, dead, retried, lags, time.time()))


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
