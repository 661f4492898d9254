"""Daily aggregates of actions, orders and appeals, maintained as each event happens."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
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


#: the item outcome columns of ``daily_orders`` (one per ``ItemStatus``)
ITEM_STATUS_COLUMNS = (
    "pending",
    "actioned",
    "no_violation",
    "not_found",
    "already_removed",
    "rejected",
)


class DailyOrders(Base):
    """Orders received on a local day from one authority, and their items by status.

    ``day`` is the local day (configured time zone) of the order's receipt.
    Only orders acted on as orders count (open or closed): an order counts
    from the moment it is opened or a lead assigns it out of quarantine, with
    every item it names then and later. Each item sits in the column of its
    current status; ``on_time`` counts the items whose outcome came by their
    deadline. Kept in the transaction of each change (``ronda.transparency.
    aggregates``).
    """

    __tablename__ = "daily_orders"
    __table_args__ = (UniqueConstraint("day", "authority_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))
    orders: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    actioned: Mapped[int] = mapped_column(BigInteger, default=0)
    no_violation: Mapped[int] = mapped_column(BigInteger, default=0)
    not_found: Mapped[int] = mapped_column(BigInteger, default=0)
    already_removed: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    on_time: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyActionTimes(Base):
    """A histogram of the time from an order's receipt to an item's action.

    Per local day (``span`` "day") and per local month (``span`` "month",
    ``day`` its first day) of the order's receipt, authority and ``bucket``
    of the duration (``ronda.transparency.aggregates.bucket_of``): how many
    actioned items fell in it and the sum of their durations in microseconds
    (so a bucket holding one item gives its exact duration). A period reads
    the month rows of the whole months it covers and the day rows of the rest.
    """

    __tablename__ = "daily_action_times"
    __table_args__ = (
        UniqueConstraint("span", "day", "authority_id", "bucket"),
        Index("ix_daily_action_times_span_day", "span", "day"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    span: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id", ondelete="CASCADE"))
    bucket: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(BigInteger, default=0)
    micros: Mapped[int] = mapped_column(BigInteger, default=0)


class DailyAppeals(Base):
    """Appeals received on a local day, by their status now, and the reversals
    (restore actions) that took effect that day."""

    __tablename__ = "daily_appeals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    granted: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    reversals: Mapped[int] = mapped_column(BigInteger, default=0)
