"""Settings: environment variables (``RONDA_*``) over an optional TOML file.

Every setting is documented in docs/configuration.md; a test fails when one
is missing there, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


class DeadlinePolicy(BaseModel):
    """One row of the deadline policy table.

    An order matches the first policy whose ``categories`` include one of the
    order's categories, or whose ``urgent`` flag equals the order's urgency
    when ``categories`` is empty.
    """

    name: str
    hours: float
    urgent: bool = False
    categories: list[str] = Field(default_factory=list)


DEFAULT_POLICIES = [
    DeadlinePolicy(name="eu_tco", hours=1, urgent=True, categories=["eu_removal_order"]),
    DeadlinePolicy(
        name="urgent", hours=4, urgent=True, categories=["terrorism", "csam", "public_order"]
    ),
    DeadlinePolicy(name="normal", hours=24, urgent=False),
]


class SmtpSettings(BaseModel):
    host: str = ""
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    ssl: bool = False
    timeout: float = 30.0


class PlatformSettings(BaseModel):
    """Where enforcement calls go, and the shared secret that signs them."""

    endpoint: str = ""
    notices_endpoint: str = ""
    secret: str = ""
    timeout: float = 10.0


class ImapMailbox(BaseModel):
    host: str
    port: int = 993
    username: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True
    starttls: bool = False


class StreamSettings(BaseModel):
    """NATS JetStream ingestion (docs/stream.md): where posts are published and consumed."""

    url: str = "nats://127.0.0.1:4222"
    name: str = "RONDA_POSTS"
    subject: str = "ronda.posts"
    durable: str = "ronda-ingest"
    batch_size: int = Field(default=500, ge=1, le=10_000)
    ack_wait_seconds: float = Field(default=120.0, gt=0)
    max_deliveries: int = Field(default=5, ge=1)
    dead_letter_stream: str = "RONDA_DEAD_LETTERS"
    dead_letter_subject: str = "ronda.dead"
    connect_timeout: float = Field(default=5.0, gt=0)
    duplicate_window_seconds: float = Field(default=600.0, gt=0)


class QueueRule(BaseModel):
    """A review queue: cases of these categories and languages (empty: any)."""

    name: str
    categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)


INDONESIAN_TEAM = ["id", "jv", "su", "ms"]
DEFAULT_QUEUES = [
    QueueRule(name="urgent-id", categories=["terrorism", "csam"], languages=INDONESIAN_TEAM),
    QueueRule(name="id", languages=INDONESIAN_TEAM),
    QueueRule(name="default"),
]


DEFAULT_GROUNDS: dict[str, str] = {
    "terrorism": "UU 5/2018 (terorisme) jo. UU ITE Pasal 28 ayat (2)",
    "csam": "UU 44/2008 Pasal 4 ayat (1) (pornografi anak)",
    "porn": "UU ITE Pasal 27 ayat (1) (kesusilaan); UU 44/2008",
    "gambling": "UU ITE Pasal 27 ayat (2) (perjudian)",
    "scam": "UU ITE Pasal 28 ayat (1) (berita bohong yang merugikan konsumen)",
    "hate": "UU ITE Pasal 28 ayat (2) (SARA)",
    "hoax": "UU ITE Pasal 28 ayat (3) (berita bohong yang menimbulkan kerusuhan)",
    "spam": "Terms of Service: spam and bulk messaging",
}


class Limits(BaseModel):
    """Size limits on every input path (bytes unless named otherwise)."""

    max_raw_bytes: int = 25 * 1024 * 1024
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 50 * 1024 * 1024
    max_compression_ratio: float = 200.0
    max_text_chars: int = 5_000_000
    max_items_per_order: int = 20_000
    max_rows: int = 200_000
    max_api_body_bytes: int = 5 * 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RONDA_", env_nested_delimiter="__", extra="ignore"
    )

    database_url: str = "sqlite:///./ronda.db"
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    desk_email: str = "takedown@ronda.example"
    desk_name: str = "Ronda takedown desk"
    timezone: str = "Asia/Jakarta"
    cookie_secure: bool = True
    session_hours: float = 12.0
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    mail_dir: str = ""
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    job_lease_seconds: float = 300.0
    queues: list[QueueRule] = Field(default_factory=lambda: list(DEFAULT_QUEUES))
    case_lease_minutes: float = 15.0
    grounds: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_GROUNDS))
    exposure_limits: dict[str, int] = Field(default_factory=lambda: {"terrorism": 60, "csam": 20})
    approval_subscribers: int = 100_000
    retention_days: int = 183
    evidence_dir: str = ""
    evidence_max_bytes: int = 5 * 1024 * 1024 * 1024
    review_refresh_seconds: float = 30.0
    qa_share: float = 0.05
    bulletin_webhook: str = ""
    bulletin_hour: int = 7
    imap: list[ImapMailbox] = Field(default_factory=list)
    imap_poll_seconds: float = 60.0
    worker_tick_seconds: float = 5.0
    escalate_at: float = 0.75
    deadline_policies: list[DeadlinePolicy] = Field(default_factory=lambda: list(DEFAULT_POLICIES))
    limits: Limits = Field(default_factory=Limits)
    dkim_keys: dict[str, str] = Field(default_factory=dict)
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    metrics_token: str = ""
    metrics_cache_seconds: float = 10.0
    ops_host: str = "127.0.0.1"
    ops_port: int = 0
    stream: StreamSettings = Field(default_factory=StreamSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``RONDA_CONFIG`` (default ``./ronda.toml`` when it exists)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("RONDA_CONFIG")
        candidate = Path(path) if path else Path("ronda.toml")
        if not candidate.exists():
            if path:
                raise FileNotFoundError(f"RONDA_CONFIG points to a missing file: {path}")
            return {}
        with candidate.open("rb") as fh:
            return tomllib.load(fh)


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: loaded once from the environment and the file."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings) -> None:
    """Put ``settings`` in force (tests and embedding applications)."""
    global _current
    _current = settings


def reset_settings() -> None:
    """Forget the loaded settings so the next call reads them again (``--config``)."""
    global _current
    _current = None
