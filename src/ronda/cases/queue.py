"""The review queue as a list: cases by priority, with the console's filters.

One function for the queue page and its htmx table fragment, so both show the
same rows. ``source`` asks where a case came from (a takedown order, a user
report, a detector's signal); a case may have several, and the filter keeps
it when it has the one asked for. Without a source filter the query is the
plain index-ordered scan the benchmark measures (docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, exists, select
from sqlalchemy.orm import Session

from ronda.cases.service import ORDER_CATEGORIES
from ronda.detection.models import Case, Signal
from ronda.errors import BadInput
from ronda.reports.models import Report
from ronda.subjects.models import Subject
from ronda.takedowns.models import TakedownItem

STATUSES = ("new", "in_review", "decided", "appealed", "closed", "all")
SOURCES = ("order", "report", "detection")
CATEGORIES = (*ORDER_CATEGORIES, "other")


@dataclass(frozen=True)
class QueueFilter:
    status: str = "new"
    category: str = ""
    language: str = ""
    queue: str = ""
    source: str = ""

    @classmethod
    def from_params(cls, params: Any) -> QueueFilter:
        """From query parameters; unknown values are refused, empty ones mean "any"."""

        def get(name: str, limit: int) -> str:
            value = str(params.get(name) or "").strip()
            if len(value) > limit:
                raise BadInput(f"the filter {name!r} is longer than {limit} characters")
            return value

        found = cls(
            status=get("status", 16) or "new",
            category=get("category", 32),
            language=get("language", 8).lower(),
            queue=get("queue", 64),
            source=get("source", 16),
        )
        if found.status not in STATUSES:
            raise BadInput(f"unknown status {found.status!r}; one of {', '.join(STATUSES)}")
        if found.source and found.source not in SOURCES:
            raise BadInput(f"unknown source {found.source!r}; one of {', '.join(SOURCES)}")
        return found

    def as_params(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def list_cases(
    session: Session, filters: QueueFilter, *, limit: int = 200
) -> list[Row[tuple[Case, str]]]:
    """(case, subject link) rows, highest priority first."""
    query = select(Case, Subject.canonical).join(Subject, Subject.id == Case.subject_id)
    if filters.status != "all":
        query = query.where(Case.status == filters.status)
    if filters.category:
        query = query.where(Case.category == filters.category)
    if filters.language:
        query = query.where(Case.language == filters.language)
    if filters.queue:
        query = query.where(Case.queue == filters.queue)
    if filters.source == "order":
        query = query.where(exists().where(TakedownItem.subject_id == Case.subject_id))
    elif filters.source == "report":
        query = query.where(exists().where(Report.case_id == Case.id))
    elif filters.source == "detection":
        query = query.where(exists().where(Signal.subject_id == Case.subject_id))
    return list(session.execute(query.order_by(Case.priority.desc(), Case.id.desc()).limit(limit)))
