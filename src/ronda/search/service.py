"""Search by subject or tracking number, across every domain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ronda.actions.models import Action
from ronda.detection.models import Case
from ronda.links import Reference, extract
from ronda.reports.models import Report
from ronda.subjects.models import Subject
from ronda.takedowns.models import Takedown, TakedownItem

TRACKING = re.compile(r"\bTKD-\d{4}-\d{6}\b", re.IGNORECASE)


@dataclass
class Found:
    query: str
    subjects: list[Subject] = field(default_factory=list)
    orders: list[Takedown] = field(default_factory=list)
    items: list[tuple[TakedownItem, Takedown]] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.subjects or self.orders or self.cases or self.reports or self.actions)


def search(
    session: Session, query: str, *, limit: int = 200, authority_id: int | None = None
) -> Found:
    """Everything Ronda knows about the subjects and orders named in ``query``.

    With ``authority_id`` (a liaison officer asking), only that authority's
    orders and their items are returned, and nothing else.
    """
    query = query[:5000]
    found = Found(query=query)
    numbers = sorted({m.upper() for m in TRACKING.findall(query)})
    if numbers:
        q = select(Takedown).where(Takedown.tracking_number.in_(numbers))
        if authority_id is not None:
            q = q.where(Takedown.authority_id == authority_id)
        found.orders = list(session.scalars(q))
    refs = [r for r in extract(query) if isinstance(r, Reference)]
    found.not_understood = [r.raw for r in extract(query) if not isinstance(r, Reference)]
    canonicals = [r.canonical for r in refs][:100]
    if canonicals:
        found.subjects = list(
            session.scalars(select(Subject).where(Subject.canonical.in_(canonicals)))
        )
    ids = [s.id for s in found.subjects]
    # a channel's posts belong to its story too
    channel_ids = [s.id for s in found.subjects if s.kind == "channel"]
    if channel_ids:
        ids += list(
            session.scalars(
                select(Subject.id).where(Subject.parent_id.in_(channel_ids)).limit(limit)
            )
        )
    if ids:
        item_q = (
            select(TakedownItem, Takedown)
            .join(Takedown, Takedown.id == TakedownItem.takedown_id)
            .where(TakedownItem.subject_id.in_(ids))
            .order_by(TakedownItem.id.desc())
            .limit(limit)
        )
        if authority_id is not None:
            item_q = item_q.where(Takedown.authority_id == authority_id)
        found.items = [(i, o) for i, o in session.execute(item_q).all()]
        if authority_id is None:
            found.cases = list(
                session.scalars(
                    select(Case)
                    .where(Case.subject_id.in_(ids))
                    .order_by(Case.id.desc())
                    .limit(limit)
                )
            )
            found.reports = list(
                session.scalars(
                    select(Report)
                    .where(Report.subject_id.in_(ids))
                    .order_by(Report.id.desc())
                    .limit(limit)
                )
            )
    if authority_id is None and (ids or found.orders):
        order_subjects = [i.subject_id for o in found.orders for i in o.items]
        conditions = []
        if ids or order_subjects:
            conditions.append(Action.subject_id.in_(ids + order_subjects))
        found.actions = (
            list(
                session.scalars(
                    select(Action).where(or_(*conditions)).order_by(Action.id.desc()).limit(limit)
                )
            )
            if conditions
            else []
        )
    return found
