"""Daily aggregates of actions carried out, maintained as actions succeed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ronda.db.base import Base


class DailyActions(Base):
    """How many actions of a kind took effect on a local day, per category and source.

    ``day`` is the calendar day in the configured time zone (Asia/Jakarta by
    default) of ``Action.succeeded_at``. Rows are only ever incremented, in the
    same transaction as the success they count.
    """

    __tablename__ = "daily_actions"
    __table_args__ = (UniqueConstraint("day", "category", "source", "kind"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
