"""The worker: its roles and their loops.

Three roles, each runnable alone from the same configuration, on as many
machines as needed:

* ``scheduler``: IMAP polling, the deadline watch (escalations, breaches),
  and queueing the daily retention purge and bulletin;
* ``outbox``: due jobs (``jobs.run_due``): platform actions, notices, mail;
* ``ingest``: the NATS JetStream consumer (``ronda.stream.consumer``).

``all`` is every role in one process: ``ronda worker`` and ``ronda serve``
run it for a small installation. With ``all``, the ingest role waits for the
posts stream to exist instead of creating it, so an installation without
NATS only logs that it is not there. Every step is safe to run on several
workers at once: jobs are leased, items are escalated once, stream posts
go to one worker and scanning one twice changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from ronda.actions import notices as _notices  # noqa: F401  (registers the notice job handler)
from ronda.actions import retention
from ronda.actions import service as _actions  # noqa: F401  (registers the platform job handler)
from ronda.config import Settings
from ronda.db import session_scope
from ronda.jobs import service as jobs
from ronda.mail import outgoing  # noqa: F401  (registers the mail job handler)
from ronda.mail.imap import poll_mailbox
from ronda.ops.health import Heartbeat
from ronda.takedowns.watch import check_deadlines
from ronda.transparency.service import queue_daily_bulletin

log = logging.getLogger(__name__)

ROLES = ("scheduler", "outbox", "ingest")
ALL = "all"


def parse_roles(names: list[str] | tuple[str, ...] | None) -> frozenset[str]:
    """The roles named (``all`` or none: every role); raises ValueError on an unknown one."""
    wanted = {n.strip().lower() for n in names or () if n.strip()}
    unknown = wanted - {*ROLES, ALL}
    if unknown:
        raise ValueError(
            f"unknown role {', '.join(sorted(unknown))}: use {', '.join(ROLES)} or {ALL}"
        )
    if not wanted or ALL in wanted:
        return frozenset({*ROLES, ALL})
    return frozenset(wanted)


def run_ingest(
    factory: sessionmaker[Session],
    settings: Settings,
    stop: threading.Event,
    *,
    create: bool = True,
) -> None:
    """The ingest role until ``stop`` is set (for the lead's role runner: call in a thread)."""
    from ronda.stream.consumer import run_ingest as _run

    _run(settings, factory, stop, create=create)


@dataclass
class Worker:
    factory: sessionmaker[Session]
    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)
    roles: frozenset[str] = field(default_factory=lambda: parse_roles(None))
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
    _last_poll: float = 0.0

    def tick(self, *, poll: bool = True) -> None:
        """One round of the scheduler and outbox duties this worker has; errors are
        logged and the loop goes on."""
        if "scheduler" in self.roles:
            self.schedule(poll=poll)
        if "outbox" in self.roles:
            self.deliver()

    def schedule(self, *, poll: bool = True) -> None:
        """The scheduler role: IMAP, deadlines and escalations, daily purge and bulletin."""
        if (
            poll
            and self.settings.imap
            and time.monotonic() - self._last_poll >= self.settings.imap_poll_seconds
        ):
            self._last_poll = time.monotonic()
            for box in self.settings.imap:
                try:
                    result = poll_mailbox(self.factory, settings=self.settings, box=box)
                    if result.fetched:
                        log.info("IMAP %s: %s", box.host, result)
                except Exception:
                    log.exception("IMAP polling of %s failed", box.host)
        try:
            with session_scope(self.factory) as session:
                check_deadlines(session, settings=self.settings)
        except Exception:
            log.exception("deadline watch failed")
        try:
            with session_scope(self.factory) as session:
                retention.queue_daily(session)
                queue_daily_bulletin(session, settings=self.settings)
        except Exception:
            log.exception("queueing the retention purge failed")

    def deliver(self) -> None:
        """The outbox role: due jobs (platform actions, notices, mail)."""
        try:
            jobs.run_due(self.factory)
        except Exception:
            log.exception("running jobs failed")

    def run_forever(self) -> None:
        """Every role of this worker until ``stop`` is set; ingest in its own thread."""
        log.info("worker started: %s", ", ".join(r for r in ROLES if r in self.roles))
        ingest: threading.Thread | None = None
        if "ingest" in self.roles:
            ingest = threading.Thread(target=self._ingest, name="ronda-ingest", daemon=True)
            ingest.start()
        ticking = bool(self.roles & {"scheduler", "outbox"})
        while not self.stop.is_set():
            if ticking:
                self.tick()
            # alive while the loop turns and the ingest thread (if any) still runs
            if ingest is None or ingest.is_alive():
                self.heartbeat.beat()
            self.stop.wait(self.settings.worker_tick_seconds)
        if ingest is not None:
            ingest.join(timeout=30)
        log.info("worker stopped")

    def _ingest(self) -> None:
        try:
            # with "all" the stream is not created: an installation without NATS just waits
            run_ingest(self.factory, self.settings, self.stop, create=ALL not in self.roles)
        except Exception:
            log.exception("the ingest loop stopped")
