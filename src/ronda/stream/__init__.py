"""Ingestion through NATS JetStream: publish posts, scan them on any number of workers.

* ``ronda.stream.client``: connecting, creating the streams, publishing,
  ``stream_status`` and the dead letters (list, requeue);
* ``ronda.stream.consumer``: the ingest loop (``run_ingest``) that
  ``ronda worker --role ingest`` runs: fetch a batch from the shared durable
  pull consumer, scan and commit it, and only then acknowledge;
* ``COUNTERS``: what this process has ingested (posts, lag), for ``/metrics``.

See docs/stream.md.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from ronda.ops.metrics import INGEST_LAG

__all__ = ["COUNTERS", "IngestCounters"]


@dataclass
class IngestCounters:
    """Running totals of this process's ingest loop; read with ``snapshot()``.

    ``lag`` is end to end: from the moment JetStream stored a post to the
    commit of its signals and cases, in seconds. The last 10,000 lags are kept
    for percentiles.
    """

    posts_scanned: int = 0
    batches: int = 0
    dead_lettered: int = 0
    redeliveries: int = 0
    lag_count: int = 0
    lag_sum: float = 0.0
    lag_max: float = 0.0
    lag_last: float = 0.0
    recent_lags: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def committed(self, posts: int, lags: list[float]) -> None:
        for lag in lags:
            INGEST_LAG.observe(lag)  # the Prometheus histogram beside these running totals
        with self._lock:
            self.posts_scanned += posts
            self.batches += 1
            for lag in lags:
                self.lag_count += 1
                self.lag_sum += lag
                self.lag_max = max(self.lag_max, lag)
                self.recent_lags.append(lag)
            if lags:
                self.lag_last = lags[-1]

    def dead(self, n: int = 1) -> None:
        with self._lock:
            self.dead_lettered += n

    def redelivered(self, n: int) -> None:
        with self._lock:
            self.redeliveries += n

    def percentile(self, q: float) -> float | None:
        """The ``q`` quantile (0..1) of the recent lags, or None before any."""
        with self._lock:
            values = sorted(self.recent_lags)
        if not values:
            return None
        return values[min(len(values) - 1, int(q * len(values)))]

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {
                "posts_scanned": self.posts_scanned,
                "batches": self.batches,
                "dead_lettered": self.dead_lettered,
                "redeliveries": self.redeliveries,
                "lag_count": self.lag_count,
                "lag_sum": self.lag_sum,
                "lag_max": self.lag_max,
                "lag_last": self.lag_last,
            }

    def reset(self) -> None:
        with self._lock:
            self.posts_scanned = self.batches = self.dead_lettered = self.redeliveries = 0
            self.lag_count = 0
            self.lag_sum = self.lag_max = self.lag_last = 0.0
            self.recent_lags.clear()


#: This process's ingest figures (every ingest loop of the process adds to it).
COUNTERS = IngestCounters()
