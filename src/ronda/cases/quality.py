"""Quality: a share of decisions is reviewed again, blind, by a second moderator.

Which decisions is decided by a hash of the case id (stable, so the same case
is always sampled or never). The second moderator sees the case without the
first decision; agreement is recorded per moderator and category, and every
disagreement waits for a lead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ronda.accounts.models import Role, User
from ronda.audit import service as audit
from ronda.db.base import Base, UTCDateTime, utcnow
from ronda.detection.models import Case
from ronda.errors import BadInput, Conflict, Forbidden, NotFound

_BigID = BigInteger().with_variant(Integer, "sqlite")


class QaReview(Base):
    __tablename__ = "qa_reviews"

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    first_decision: Mapped[str] = mapped_column(String(32))
    first_by: Mapped[str] = mapped_column(String(200), index=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    second_decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    agree: Mapped[bool | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(
        String(16), default="pending", index=True
    )  # pending|done|resolved
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def sampled(case_id: int, share: float) -> bool:
    digest = hashlib.sha256(f"qa:{case_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def maybe_sample(
    session: Session, *, case: Case, decision: str, decided_by: str, share: float
) -> QaReview | None:
    if decision == "escalate" or share <= 0 or not sampled(case.id, share):
        return None
    if session.scalar(select(QaReview).where(QaReview.case_id == case.id)) is not None:
        return None
    review = QaReview(
        case_id=case.id, category=case.category, first_decision=decision, first_by=decided_by
    )
    session.add(review)
    session.flush()
    return review


def next_for(session: Session, *, user: User) -> QaReview | None:
    """A pending blind review this user did not decide first."""
    return session.scalar(
        select(QaReview)
        .where(QaReview.status == "pending", QaReview.first_by != f"user:{user.email}")
        .order_by(QaReview.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def record(session: Session, *, review_id: int, user: User, decision: str) -> QaReview:
    review = session.get(QaReview, review_id)
    if review is None:
        raise NotFound(f"no quality review {review_id}")
    if review.first_by == f"user:{user.email}":
        raise Forbidden("a decision is re-reviewed by someone else")
    if review.status != "pending":
        raise Conflict(f"quality review {review_id} is already done")
    if not decision:
        raise BadInput("choose a decision")
    review.reviewer = f"user:{user.email}"
    review.second_decision = decision
    review.agree = decision == review.first_decision
    review.status = "done" if review.agree else "disputed"
    review.reviewed_at = utcnow()
    audit.record(
        session,
        actor=review.reviewer,
        action="qa.reviewed",
        object_type="case",
        object_id=review.case_id,
        data={"agree": review.agree, "second": decision},
    )
    return review


def resolve(session: Session, *, review_id: int, user: User, note: str) -> QaReview:
    """A lead settles a disagreement."""
    if user.role not in (Role.LEAD, Role.ADMIN):
        raise Forbidden("disagreements are settled by a lead")
    review = session.get(QaReview, review_id)
    if review is None or review.status != "disputed":
        raise Conflict("no disagreement to settle")
    review.status = "resolved"
    audit.record(
        session,
        actor=f"user:{user.email}",
        action="qa.resolved",
        object_type="case",
        object_id=review.case_id,
        data={"note": note[:2000]},
    )
    return review


@dataclass
class Agreement:
    moderator: str
    category: str
    reviewed: int
    agreed: int

    @property
    def rate(self) -> float:
        return self.agreed / self.reviewed if self.reviewed else 0.0


def agreement(session: Session) -> list[Agreement]:
    rows = session.execute(
        select(
            QaReview.first_by,
            QaReview.category,
            func.count(),
            func.sum(func.cast(QaReview.agree, Integer)),
        )
        .where(QaReview.agree.is_not(None))
        .group_by(QaReview.first_by, QaReview.category)
        .order_by(QaReview.first_by, QaReview.category)
    ).all()
    return [Agreement(m, c, int(n), int(a or 0)) for m, c, n, a in rows]
