"""ORM models of detection: scanned posts, signals, minimal cases, hash banks, channel risk.

The scan path writes these tables with Core bulk statements (``ronda.db.upsert``),
not ORM objects, so the classes here mostly describe the schema (and serve the
console and the bank commands, which handle few rows). Two choices follow from
bulk writing:

* a post's primary key is its subject id: a post *is* the subject
  ``https://t.me/<channel>/<id>``, and signals can be written without reading
  post ids back;
* JSON values (evidence, media references) are stored as text through
  ``JSONText``, so PostgreSQL's ``unnest`` bulk insert applies to them too
  (it refuses JSON columns).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ronda.db.base import Base, UTCDateTime, utcnow

_BigID = BigInteger().with_variant(Integer, "sqlite")

#: Name of the counter (``counters`` table) bumped by every change to banks and entries.
BANK_GENERATION = "detection.banks"

#: Longest post text stored (characters). Telegram allows 4,096 per message.
MAX_POST_TEXT = 16_384


class JSONText(TypeDecorator[Any]):
    """JSON kept in a TEXT column (compact, UTF-8, keys sorted)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, list | dict) and not value:  # most posts have no media
            return "[]" if isinstance(value, list) else "{}"
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(value)


class PostSource(StrEnum):
    """How a post reached Ronda."""

    SCAN = "scan"  # `ronda scan` of a JSON lines file
    API = "api"  # POST /api/v1/content
    STREAM = "stream"  # the platform's content stream


class CaseStatus(StrEnum):
    """Statuses the detection pipeline sets; the review console adds the rest."""

    NEW = "new"


class Post(Base):
    """A public post as it was scanned (a snapshot: the first scan's values are kept)."""

    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("channel_username", "platform_post_id", name="uq_posts_channel_post"),
    )

    subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    channel_subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    platform_post_id: Mapped[int] = mapped_column(BigInteger)
    channel_username: Mapped[str] = mapped_column(String(64))
    channel_title: Mapped[str | None] = mapped_column(String(256), nullable=True)
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8))
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSONText, default=list)
    subscribers: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    views: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    forwarded_from: Mapped[str | None] = mapped_column(String(300), nullable=True)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    source: Mapped[str] = mapped_column(String(8))
    ocr_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: highest score of the post's signals at or above their review threshold (0: none)
    harm: Mapped[float] = mapped_column(Float, default=0.0)
    #: the post's weight in its channel's risk, from its reach (docs/detection.md)
    reach_weight: Mapped[float] = mapped_column(Float, default=1.0)
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Signal(Base):
    """A detector's finding on a subject; re-running the same detector version adds nothing."""

    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint(
            "subject_id",
            "detector",
            "detector_version",
            "category",
            name="uq_signals_subject_detector_version_category",
        ),
    )

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.subject_id", ondelete="CASCADE"), nullable=True
    )
    detector: Mapped[str] = mapped_column(String(64))
    detector_version: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), index=True)
    score: Mapped[float] = mapped_column(Float)
    #: score >= the detector's review threshold for the category: such a signal opens a case
    flagged: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class Case(Base):
    """The unit of review (minimal here; the review console builds on it).

    At most one open case per subject and category: a partial unique index over
    rows with ``closed_at IS NULL``. ``signal_count`` and ``max_score`` are
    recomputed from the flagged signals, so re-scanning never inflates them.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_subject_category",
            "subject_id",
            "category",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # the review queue: open cases of a status by priority (take next, queue page)
        Index("ix_cases_status_priority", "status", "priority", "id"),
        # wellness limits: what a moderator decided today
        Index("ix_cases_decided_by_at", "decided_by", "decided_at"),
    )

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.NEW, index=True)
    priority: Mapped[float] = mapped_column(Float, default=0.0)  # placeholder for the console
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    signal_count: Mapped[int] = mapped_column(Integer, default=0)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    # review (ronda.cases): routing, the moderator's lease, the decision
    queue: Mapped[str] = mapped_column(
        String(64), default="default", server_default="default", index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="other", server_default="other")
    subscribers: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: a heavy decision waiting for a second person's approval (see ronda.cases.service)
    pending_decision: Mapped[dict[str, Any] | None] = mapped_column(JSONText, nullable=True)


class Bank(Base):
    """A named bank of known content, of one signal type, with its match threshold."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: pdq, md5, sha256 or raw_text (threatexchange names; see docs/hash-banks.md)
    signal_type: Mapped[str] = mapped_column(String(16))
    #: PDQ: most differing bits (0-256); raw_text: least similarity (0-1]; files: unused
    threshold: Mapped[float] = mapped_column(Float)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BankEntry(Base):
    """One hash (or text) in a bank.

    ``value_digest`` (SHA-256 of the value) carries the uniqueness of
    (bank, signal type, value): a raw_text value may be 20,000 characters,
    longer than a PostgreSQL index row may be. ``external_id`` is the
    ``entry_id`` of bank files. A quarantined entry (flood) does not match
    until it is released.
    """

    __tablename__ = "bank_entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "signal_type", "value_digest", name="uq_bank_entries_value"),
        UniqueConstraint("bank_id", "external_id", name="uq_bank_entries_external_id"),
    )

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    signal_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    value_digest: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(2000), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    quarantined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    match_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_matched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the flood guard's recent match times (Unix seconds), so a flood spans processes
    recent_matches: Mapped[list[float]] = mapped_column(JSONText, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChannelRisk(Base):
    """A channel's risk from its scanned posts and their reach (formula: docs/detection.md).

    The sums are updated by deltas (``x = x + d``), so concurrent scans add up;
    ``score`` is derived from them after each batch.
    """

    __tablename__ = "channel_risk"

    channel_subject_id: Mapped[int] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    posts_scanned: Mapped[int] = mapped_column(BigInteger, default=0)
    flagged_posts: Mapped[int] = mapped_column(BigInteger, default=0)
    weight_sum: Mapped[float] = mapped_column(Float, default=0.0)
    harm_sum: Mapped[float] = mapped_column(Float, default=0.0)
    subscribers: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
