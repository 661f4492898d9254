"""API shapes of cases and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class CaseSummary(BaseModel):
    id: int
    subject: str
    category: str
    status: str
    queue: str
    language: str
    priority: float
    max_score: float
    signal_count: int
    subscribers: int | None
    deadline: datetime | None
    assignee: str | None
    lease_until: datetime | None
    opened_at: datetime
    decision: str | None
    pending_decision: dict[str, Any] | None = None


class SignalRead(BaseModel):
    detector: str
    detector_version: str
    category: str
    score: float
    flagged: bool
    evidence: dict[str, Any]
    created_at: datetime | None = None


class HistoryEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    data: dict[str, Any]


class ActionRead(BaseModel):
    id: int
    kind: str
    subject: str
    territorial_scope: list[str]
    status: str
    requested_at: datetime
    succeeded_at: datetime | None


class CaseDetail(CaseSummary):
    channel_cases: list[int] = []
    post_cases: list[int] = []
    signals: list[SignalRead]
    actions: list[ActionRead]
    history: list[HistoryEntry]


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[CaseSummary]


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal[
        "remove_post",
        "block_channel",
        "withhold_channel",
        "ban_account",
        "no_violation",
        "escalate",
    ]
    ground: str = Field(default="", max_length=500, description="A law article or a terms clause.")
    statement_of_reasons: str = Field(default="", max_length=5000)
    territorial_scope: list[str] = Field(default_factory=lambda: ["ID"], max_length=60)
