"""Prometheus metrics.

Two kinds of figures:

* counters kept by this process (posts scanned, HTTP requests, outbox deliveries) —
  each role exposes its own, and Prometheus sums them across processes;
* gauges read from the system of record at scrape time (queue depth per queue, takedown
  items near and past their deadline, outbox deliveries failing), the same for every
  process that asks, cached for a few seconds so a busy scraper cannot load the database.

Metric names and labels are documented in docs/operations.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, sessionmaker

from ronda.config import Settings
from ronda.db import session_scope, utcnow

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

POSTS_SCANNED = Counter(
    "ronda_posts_scanned",
    "Posts run through the detection pipeline by this process.",
    ["source"],
    registry=None,
)
POSTS_FLAGGED = Counter(
    "ronda_posts_flagged",
    "Posts that opened or joined a case (a signal at or above the review threshold).",
    ["source"],
    registry=None,
)
HTTP_REQUESTS = Counter(
    "ronda_http_requests",
    "HTTP requests answered, by route template and status class.",
    ["method", "route", "status"],
    registry=None,
)
HTTP_SECONDS = Histogram(
    "ronda_http_request_seconds",
    "Time to answer an HTTP request.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None,
)
JOBS_RUN = Counter(
    "ronda_outbox_deliveries",
    "Outbox deliveries attempted by this process, by job kind and outcome.",
    ["kind", "outcome"],
    registry=None,
)
INGEST_LAG = Histogram(
    "ronda_ingest_lag_seconds",
    "Time from a post's publication on the stream to its signals being committed.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900),
    registry=None,
)

PROCESS_METRICS: tuple[Collector, ...] = (
    POSTS_SCANNED,
    POSTS_FLAGGED,
    HTTP_REQUESTS,
    HTTP_SECONDS,
    JOBS_RUN,
    INGEST_LAG,
)


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    labels: tuple[str, ...]
    samples: list[tuple[tuple[str, ...], float]]

    def family(self) -> GaugeMetricFamily:
        fam = GaugeMetricFamily(self.name, self.help, labels=list(self.labels))
        for values, value in self.samples:
            fam.add_metric(list(values), value)
        return fam


GaugeSource = Callable[[], Iterable[Gauge]]


def database_gauges(session: Session) -> list[Gauge]:
    """The operational figures read from the database (one round trip each)."""
    from ronda.cases.machine import Status
    from ronda.detection.models import Case
    from ronda.jobs.models import Job, JobStatus
    from ronda.takedowns.models import ItemStatus, TakedownItem

    now = utcnow()
    gauges: list[Gauge] = []

    open_states = [Status.NEW.value, Status.IN_REVIEW.value, Status.APPEALED.value]
    rows = session.execute(
        select(Case.queue, Case.status, func.count())
        .where(Case.status.in_(open_states))
        .group_by(Case.queue, Case.status)
    ).all()
    gauges.append(
        Gauge(
            "ronda_queue_depth",
            "Open cases per review queue and status (new, in_review, appealed).",
            ("queue", "status"),
            [((str(q), str(s)), float(n)) for q, s, n in rows],
        )
    )
    state = case(
        (TakedownItem.deadline <= now, "overdue"),
        (TakedownItem.escalated_at.is_not(None), "near_deadline"),
        else_="in_time",
    )
    item_rows = session.execute(
        select(state, func.count())
        .where(TakedownItem.status == ItemStatus.PENDING.value)
        .group_by(state)
    ).all()
    counts = {"in_time": 0.0, "near_deadline": 0.0, "overdue": 0.0}
    counts.update({str(s): float(n) for s, n in item_rows})
    gauges.append(
        Gauge(
            "ronda_takedown_items_pending",
            "Takedown items without an outcome: in time, near the deadline (escalated), overdue.",
            ("state",),
            [((k,), v) for k, v in counts.items()],
        )
    )
    first_soon = session.execute(
        select(func.min(TakedownItem.deadline)).where(
            TakedownItem.status == ItemStatus.PENDING.value
        )
    ).scalar_one_or_none()
    gauges.append(
        Gauge(
            "ronda_takedown_next_deadline_seconds",
            "Seconds to the earliest pending deadline (negative when overdue; absent when none).",
            (),
            [((), (first_soon - now).total_seconds())] if first_soon is not None else [],
        )
    )
    job_state = case(
        (Job.status == JobStatus.DEAD.value, "dead"),
        (and_(Job.status == JobStatus.PENDING.value, Job.attempts > 0), "failing"),
        else_="pending",
    )
    job_rows = session.execute(
        select(Job.kind, job_state, func.count())
        .where(Job.status.in_([JobStatus.PENDING.value, JobStatus.DEAD.value]))
        .group_by(Job.kind, job_state)
    ).all()
    gauges.append(
        Gauge(
            "ronda_outbox_jobs",
            "Outbox deliveries not done: pending, failing (retrying after an error), dead (gave up).",
            ("kind", "state"),
            [((str(k), str(s)), float(n)) for k, s, n in job_rows],
        )
    )
    oldest = session.execute(
        select(func.min(Job.created_at)).where(Job.status == JobStatus.PENDING.value)
    ).scalar_one_or_none()
    gauges.append(
        Gauge(
            "ronda_outbox_oldest_pending_seconds",
            "Age of the oldest outbox delivery still pending (0 when none).",
            (),
            [((), max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)],
        )
    )
    return gauges


class CachedGauges(Collector):
    """Collect gauges from ``sources`` at most every ``ttl`` seconds.

    A source that fails is logged and reported as ``ronda_metrics_source_up{source} 0``
    instead of failing the whole scrape: the process metrics still come through when the
    database is down, which is when they matter.
    """

    def __init__(self, sources: dict[str, GaugeSource], ttl: float = 10.0) -> None:
        self.sources = sources
        self.ttl = ttl
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._cached: list[Metric] = []

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: registering must not query the database or the stream."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                self._cached = self._gather()
                self._at = time.monotonic()
            yield from self._cached

    def _gather(self) -> list[Metric]:
        out: list[Metric] = []
        up = GaugeMetricFamily(
            "ronda_metrics_source_up",
            "1 when the source of a group of gauges answered at the last scrape.",
            labels=["source"],
        )
        for name, source in self.sources.items():
            try:
                gauges = list(source())
            except Exception:
                log.exception("metrics source %s failed", name)
                up.add_metric([name], 0.0)
                continue
            up.add_metric([name], 1.0)
            out.extend(g.family() for g in gauges)
        out.append(up)
        return out


def db_source(factory: sessionmaker[Session]) -> GaugeSource:
    def read() -> list[Gauge]:
        with session_scope(factory) as session:
            return database_gauges(session)

    return read


def build_registry(
    extra: dict[str, GaugeSource] | None = None, ttl: float = 10.0
) -> CollectorRegistry:
    """A registry with this process's counters and, optionally, gauges read at scrape time."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in PROCESS_METRICS:
        registry.register(collector)
    if extra:
        registry.register(CachedGauges(extra, ttl=ttl))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


__all__ = [
    "CONTENT_TYPE",
    "HTTP_REQUESTS",
    "HTTP_SECONDS",
    "INGEST_LAG",
    "JOBS_RUN",
    "POSTS_FLAGGED",
    "POSTS_SCANNED",
    "CachedGauges",
    "Gauge",
    "build_registry",
    "database_gauges",
    "db_source",
    "exposition",
    "stream_source",
]


def stream_source(settings: Settings) -> GaugeSource:
    """The posts stream's backlog, read from NATS (for the processes of the ingest role)."""

    def read() -> list[Gauge]:
        from ronda.stream.client import stream_status

        status = stream_status(settings)
        if status is None:
            raise ConnectionError(
                f"no posts stream {settings.stream.name!r} at {settings.stream.url}"
            )
        figures = [
            (
                "ronda_stream_messages",
                "Posts stored in the stream and not yet acknowledged.",
                status.messages,
            ),
            (
                "ronda_stream_pending",
                "Posts not yet delivered to any ingest worker (the backlog).",
                status.pending,
            ),
            (
                "ronda_stream_ack_pending",
                "Posts delivered and being worked on (or awaiting redelivery).",
                status.ack_pending,
            ),
            (
                "ronda_stream_redelivered",
                "Posts delivered more than once and not yet acknowledged.",
                status.redelivered,
            ),
            (
                "ronda_stream_dead_letters",
                "Posts kept in the dead-letter stream.",
                status.dead_letters,
            ),
        ]
        return [Gauge(name, text, (), [((), float(value))]) for name, text, value in figures]

    return read
