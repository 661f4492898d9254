"""Helpers for the takedown tests."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from ronda.jobs import service as jobs
from ronda.mail import outgoing


def flush_mail(factory: sessionmaker[Session]) -> tuple[int, int]:
    """Run queued mail jobs now, as the worker would."""
    return jobs.run_due(factory, kinds=[outgoing.MAIL_JOB])
