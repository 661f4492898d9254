"""Actions on the platform and notices to people, both delivered by the outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ronda.db.base import Base, UTCDateTime, utcnow

_BigID = BigInteger().with_variant(Integer, "sqlite")


class ActionKind(StrEnum):
    REMOVE_POST = "remove_post"
    BLOCK_CHANNEL = "block_channel"  # everywhere
    WITHHOLD_CHANNEL = "withhold_channel"  # in the countries of territorial_scope
    BAN_ACCOUNT = "ban_account"
    RESTORE = "restore"  # reverses an earlier action (a granted appeal)


class ActionStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the platform refused it (4xx) or retries ran out; a lead must look


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(_BigID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    canonical: Mapped[str] = mapped_column(String(300))
    territorial_scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ground: Mapped[str] = mapped_column(String(500), default="")
    statement_of_reasons: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(32), default="")  # order | report | detection
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    case_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("actions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    platform_response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
