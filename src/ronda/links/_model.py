"""Value types returned by the Telegram reference parser.

They live apart from the parser so that callers (intake, storage, the web
layer) can import and type against them without pulling in the regexes.
Both types are frozen: a reference found in an authority's e-mail is evidence
and must not be edited in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a fragment of text refers to on the platform."""

    CHANNEL = "channel"
    POST = "post"
    INVITE = "invite"
    PRIVATE_POST = "private_post"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Reference:
    """A valid subject: a public channel, a post, an invite link or a private post.

    ``canonical`` is the identity of the subject (two references with the same
    canonical URL are the same subject); ``raw`` is the fragment exactly as it
    was written in the input, zero-width characters included, so that a human
    can find it again with a plain text search.
    """

    kind: Kind
    canonical: str
    raw: str
    username: str | None = None
    post_id: int | None = None
    invite_hash: str | None = None
    channel_id: int | None = None

    def to_json(self) -> dict[str, object]:
        """The stable wire form used by the CLI and the intake records."""
        return {
            "kind": self.kind.value,
            "canonical": self.canonical,
            "username": self.username,
            "post_id": self.post_id,
            "raw": self.raw,
        }


@dataclass(frozen=True, slots=True)
class Invalid:
    """A fragment that looks like a Telegram reference but is not a usable one."""

    raw: str
    reason: str
    kind: Kind = Kind.INVALID

    def to_json(self) -> dict[str, object]:
        """The stable wire form used by the CLI and the intake records."""
        return {"kind": Kind.INVALID.value, "raw": self.raw, "reason": self.reason}
