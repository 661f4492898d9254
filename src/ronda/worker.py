"""The worker loop: IMAP polling, the deadline watch and due jobs.

``ronda worker`` runs it alone; ``ronda serve`` runs it in a thread beside the
web app for a small installation. Every step is safe to run on several
workers at once: jobs are leased, items are escalated once.
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
from ronda.takedowns.watch import check_deadlines
from ronda.transparency.service import queue_daily_bulletin

log = logging.getLogger(__name__)


@dataclass
class Worker:
    factory: sessionmaker[Session]
    settings: Settings
    stop: threading.Event = field(default_factory=threading.Event)
    _last_poll: float = 0.0

    def tick(self, *, poll: bool = True) -> None:
        """One round of every duty; errors are logged and the loop goes on."""
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
        try:
            jobs.run_due(self.factory)
        except Exception:
            log.exception("running jobs failed")

    def run_forever(self) -> None:
        log.info("worker started")
        while not self.stop.is_set():
            self.tick()
            self.stop.wait(self.settings.worker_tick_seconds)
        log.info("worker stopped")
