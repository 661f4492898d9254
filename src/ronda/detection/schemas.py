"""Shapes of posts coming in (JSON lines, the content API, the stream) and results going out.

``PostIn`` is the documented post schema (docs/content-schema.md). Unknown
fields are ignored, so a platform can send its richer records unchanged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ronda.detection.models import MAX_POST_TEXT
from ronda.links import Invalid, Kind, Reference, parse

MAX_MEDIA = 20
MAX_POST_ID = 2**31 - 1
_HEX = re.compile(r"[0-9a-f]+")


def _hex(value: str | None, size: int, what: str) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().lower()
    if len(value) != size or not _HEX.fullmatch(value):
        raise ValueError(f"{what} must be {size} hex digits")
    return value


@lru_cache(maxsize=65_536)
def _channel(name: str) -> Reference | Invalid:
    """A channel username checked by ``ronda.links`` (cached: a feed repeats its channels)."""
    return parse(f"https://t.me/{name}")


class MediaIn(BaseModel):
    """One photo or file of a post: its hashes, and/or a path to the file for ``ronda scan``."""

    model_config = ConfigDict(extra="ignore")

    sha256: str | None = Field(default=None, description="SHA-256 of the file, 64 hex digits.")
    md5: str | None = Field(default=None, description="MD5 of the file, 32 hex digits.")
    pdq: str | None = Field(default=None, description="PDQ hash of the image, 64 hex digits.")
    path: str | None = Field(
        default=None,
        max_length=4096,
        description="Image file to hash and OCR (`ronda scan` only; relative to the file).",
    )

    @field_validator("sha256")
    @classmethod
    def _sha256(cls, v: str | None) -> str | None:
        return _hex(v, 64, "sha256")

    @field_validator("md5")
    @classmethod
    def _md5(cls, v: str | None) -> str | None:
        return _hex(v, 32, "md5")

    @field_validator("pdq")
    @classmethod
    def _pdq(cls, v: str | None) -> str | None:
        return _hex(v, 64, "pdq")

    @model_validator(mode="after")
    def _something(self) -> MediaIn:
        if not (self.sha256 or self.md5 or self.pdq or self.path):
            raise ValueError("a media entry needs sha256, md5, pdq or path")
        return self


class PostIn(BaseModel):
    """A public post (docs/content-schema.md)."""

    model_config = ConfigDict(extra="ignore")

    post_id: int = Field(ge=1, le=MAX_POST_ID, description="The post's id in its channel.")
    channel: str = Field(
        min_length=1, max_length=64, description="Channel username, with or without '@'."
    )
    channel_title: str | None = Field(default=None, max_length=256)
    text: str = Field(default="", max_length=MAX_POST_TEXT, description="Text or caption.")
    media: list[MediaIn] = Field(default_factory=list, max_length=MAX_MEDIA)
    subscribers: int | None = Field(default=None, ge=0, description="Channel subscribers.")
    views: int | None = Field(default=None, ge=0, description="Views of the post.")
    forwarded_from: str | None = Field(
        default=None, max_length=300, description="Username or link of the original channel."
    )
    date: datetime | None = Field(default=None, description="When it was posted (ISO 8601).")

    @field_validator("date")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            return v.replace(tzinfo=UTC)
        return v

    @model_validator(mode="after")
    def _check_channel(self) -> PostIn:
        channel = _channel(self.channel.strip().removeprefix("@"))
        if not isinstance(channel, Reference) or channel.kind != Kind.CHANNEL:
            reason = channel.reason if isinstance(channel, Invalid) else "not a channel username"
            raise ValueError(f"channel {self.channel!r}: {reason}")
        return self

    @property
    def reference(self) -> Reference:
        """The post's subject, ``https://t.me/<channel>/<post_id>`` (lower-case channel)."""
        name = self.channel.strip().removeprefix("@")
        channel = _channel(name)
        assert isinstance(channel, Reference)
        return Reference(
            Kind.POST,
            f"{channel.canonical}/{self.post_id}",
            f"https://t.me/{name}/{self.post_id}",
            username=channel.username,
            post_id=self.post_id,
        )

    @property
    def username(self) -> str:
        return self.reference.username or ""


class SignalOut(BaseModel):
    detector: str
    version: str
    category: str
    score: float
    flagged: bool = Field(description="At or above the detector's review threshold: opens a case.")
    source: str = Field(description="'text', 'ocr' or 'media': what the detector looked at.")
    evidence: dict[str, Any]


class CaseOut(BaseModel):
    id: int
    category: str
    status: str
    opened: bool = Field(description="True when this post's batch opened the case.")
    signal_count: int
    max_score: float


class PostResultOut(BaseModel):
    index: int = Field(description="Position of the post in the request.")
    canonical: str | None = None
    subject_id: int | None = None
    language: str | None = None
    error: str | None = Field(default=None, description="Why the post was not scanned.")
    signals: list[SignalOut] = Field(default_factory=list)
    cases: list[CaseOut] = Field(default_factory=list)


class ContentResponse(BaseModel):
    posts: int
    scanned: int
    failed: int
    signals: int
    cases_opened: int
    detectors: dict[str, str] = Field(description="Detector name to version, as recorded.")
    unavailable: dict[str, str] = Field(description="Detectors that could not run, and why.")
    results: list[PostResultOut]


class BankRead(BaseModel):
    name: str
    signal_type: str
    threshold: float
    enabled: bool
    entries: int
    quarantined: int
    note: str = ""


class BankEntryRead(BaseModel):
    id: int
    bank: str
    external_id: str
    signal_type: str
    category: str
    enabled: bool
    quarantined_at: datetime | None
    match_count: int
    note: str = ""
    value: str = ""
