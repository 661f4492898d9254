"""API and CLI shapes of takedown orders (apart from the ORM models)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ronda.takedowns.models import Takedown


class TakedownCreate(BaseModel):
    """An order sent through the API. At least one of ``text`` and ``links``."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        default="",
        max_length=1_000_000,
        description="Free text; every Telegram reference in it is read.",
    )
    links: list[str] = Field(
        default_factory=list, max_length=20_000, description="One reference per entry."
    )
    letter_number: str | None = Field(
        default=None, max_length=200, description="Nomor surat of the official letter."
    )
    legal_basis: str | None = Field(
        default=None, max_length=1000, description="Dasar hukum, e.g. 'UU ITE Pasal 27 ayat (2)'."
    )
    urgent: bool | None = Field(
        default=None,
        description="True for an urgent order (4 hours); read from the text when absent.",
    )
    categories: list[
        Literal[
            "terrorism",
            "csam",
            "public_order",
            "eu_removal_order",
            "porn",
            "gambling",
            "scam",
            "hate",
            "hoax",
            "spam",
        ]
    ] = Field(default_factory=list, max_length=10)


class ItemRead(BaseModel):
    canonical: str
    kind: str
    status: str
    reason: str | None = None
    deadline: datetime
    outcome_at: datetime | None = None


class UnparsedRead(BaseModel):
    raw: str
    reason: str


class TakedownRead(BaseModel):
    tracking_number: str
    authority: str | None
    letter_number: str | None
    legal_basis: str | None
    urgent: bool
    policy: str
    status: str
    quarantine_reason: str | None
    channel: str
    received_at: datetime
    deadline: datetime
    acknowledged_at: datetime | None
    followups: int
    counts: dict[str, int]
    items: list[ItemRead]
    unparsed: list[UnparsedRead]

    @classmethod
    def of(cls, order: Takedown) -> TakedownRead:
        counts: dict[str, int] = {}
        for item in order.items:
            counts[item.status] = counts.get(item.status, 0) + 1
        return cls(
            tracking_number=order.tracking_number,
            authority=order.authority.slug if order.authority else None,
            letter_number=order.letter_number,
            legal_basis=order.legal_basis,
            urgent=order.urgent,
            policy=order.policy,
            status=order.status,
            quarantine_reason=order.quarantine_reason,
            channel=order.channel,
            received_at=order.received_at,
            deadline=order.deadline,
            acknowledged_at=order.acknowledged_at,
            followups=order.followups,
            counts=counts,
            items=[
                ItemRead(
                    canonical=i.canonical,
                    kind=i.kind,
                    status=i.status,
                    reason=i.reason,
                    deadline=i.deadline,
                    outcome_at=i.outcome_at,
                )
                for i in order.items
            ],
            unparsed=[UnparsedRead(raw=u.raw, reason=u.reason) for u in order.unparsed],
        )


class TakedownSummary(BaseModel):
    tracking_number: str
    authority: str | None
    letter_number: str | None
    urgent: bool
    status: str
    received_at: datetime
    deadline: datetime
    followups: int
    counts: dict[str, int]


class Acknowledgment(BaseModel):
    """What the API answers at once: the tracking number and the counts."""

    tracking_number: str
    status: str
    created: bool
    followup: bool
    received_at: datetime
    deadline: datetime
    urgent: bool
    items: int
    unparsed: int
    quarantine_reason: str | None = None
    url: str


class OutcomeSet(BaseModel):
    canonical: str = Field(max_length=300)
    status: Literal["actioned", "no_violation", "not_found", "already_removed", "rejected"]
    reason: str | None = Field(default=None, max_length=2000)


class UrgencySet(BaseModel):
    urgent: bool
    reason: str = Field(min_length=1, max_length=2000)
