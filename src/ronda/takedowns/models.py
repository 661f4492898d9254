"""ORM models of the takedown desk."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ronda.accounts.models import Authority
from ronda.db.base import Base, UTCDateTime, utcnow

_BigID = BigInteger().with_variant(Integer, "sqlite")


class Channel(StrEnum):
    """How an order reached the desk."""

    API = "api"
    EMAIL = "email"
    UPLOAD = "upload"
    PORTAL = "portal"


class OrderStatus(StrEnum):
    QUARANTINED = "quarantined"  # not acted on until a lead assigns or rejects it
    OPEN = "open"
    CLOSED = "closed"  # every item has an outcome
    REJECTED = "rejected"  # a lead rejected a quarantined order


class ItemStatus(StrEnum):
    PENDING = "pending"
    ACTIONED = "actioned"
    NO_VIOLATION = "no_violation"
    NOT_FOUND = "not_found"
    ALREADY_REMOVED = "already_removed"
    REJECTED = "rejected"  # with a reason


OUTCOMES = frozenset(s for s in ItemStatus if s is not ItemStatus.PENDING)


class RawStatus(StrEnum):
    RECEIVED = "received"
    PARSED = "parsed"
    FAILED = "failed"


class RawInput(Base):
    """Exactly what was received, stored before any parsing."""

    __tablename__ = "raw_inputs"

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    source: Mapped[str] = mapped_column(String(500), default="")
    sender: Mapped[str | None] = mapped_column(String(320), nullable=True)
    authority_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorities.id", ondelete="SET NULL"), nullable=True
    )
    filename: Mapped[str | None] = mapped_column(String(500), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(200), nullable=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default=RawStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    takedown_id: Mapped[int | None] = mapped_column(
        ForeignKey("takedowns.id", ondelete="SET NULL"), nullable=True, index=True
    )


class Takedown(Base):
    """An order from an authority (or, while quarantined, from an unknown sender)."""

    __tablename__ = "takedowns"

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(20), unique=True)
    authority_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorities.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16), index=True)
    quarantine_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(400), nullable=True, index=True)
    sender: Mapped[str | None] = mapped_column(String(320), nullable=True)
    subject_line: Mapped[str] = mapped_column(String(1000), default="")
    letter_number: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    legal_basis: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    policy: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    followups: Mapped[int] = mapped_column(Integer, default=0)
    warning_level: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    report_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )

    authority: Mapped[Authority | None] = relationship()
    items: Mapped[list[TakedownItem]] = relationship(
        back_populates="takedown",
        order_by="TakedownItem.id",
        foreign_keys="TakedownItem.takedown_id",
    )
    unparsed: Mapped[list[UnparsedFragment]] = relationship(
        back_populates="takedown", order_by="UnparsedFragment.id"
    )


class TakedownItem(Base):
    """One subject named by an order, with its own status and deadline."""

    __tablename__ = "takedown_items"
    __table_args__ = (UniqueConstraint("takedown_id", "subject_id"),)

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    takedown_id: Mapped[int] = mapped_column(
        ForeignKey("takedowns.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    canonical: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    raw: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.PENDING, index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    linked_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("takedown_items.id", ondelete="SET NULL"), nullable=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    takedown: Mapped[Takedown] = relationship(back_populates="items", foreign_keys=[takedown_id])


class UnparsedFragment(Base):
    """Something that looked like a reference but was not one: kept for a human."""

    __tablename__ = "takedown_unparsed"

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    takedown_id: Mapped[int] = mapped_column(
        ForeignKey("takedowns.id", ondelete="CASCADE"), index=True
    )
    raw: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(String(500))

    takedown: Mapped[Takedown] = relationship(back_populates="unparsed")


class IntakeKey(Base):
    """What makes intake idempotent: a Message-ID or an Idempotency-Key.

    ``email:<message-id>`` or ``api:<authority id>:<key>`` maps to the order
    it created or joined, with the SHA-256 of the body that came with it.
    """

    __tablename__ = "intake_keys"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    takedown_id: Mapped[int] = mapped_column(ForeignKey("takedowns.id", ondelete="CASCADE"))
    raw_input_id: Mapped[int | None] = mapped_column(
        ForeignKey("raw_inputs.id", ondelete="SET NULL"), nullable=True
    )
    body_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Counter(Base):
    """Named counters (tracking numbers per year)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
