"""Reading posts from JSON lines, one bad line at a time.

Every line is parsed on its own: invalid UTF-8, invalid JSON, missing or
wrong fields and over-long lines become ``BadLine(line, reason)`` and reading
goes on. A line is never held in memory beyond ``max_line_bytes``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from pydantic import ValidationError

from ronda.detection.schemas import PostIn

__all__ = ["MAX_LINE_BYTES", "BadLine", "GoodLine", "describe_errors", "parse_post", "read_posts"]

#: Longest line accepted: a post's text is at most 16,384 characters (64 KiB of UTF-8,
#: more with JSON escapes) plus its media.
MAX_LINE_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class GoodLine:
    line: int
    post: PostIn
    size: int  # bytes read for this line
    raw: bytes = b""  # the line as received, without its line break (``ronda publish`` sends it)


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str
    size: int = 0


def describe_errors(exc: ValidationError, *, limit: int = 3) -> str:
    """One readable sentence for a post's validation errors."""
    parts = []
    for err in exc.errors()[:limit]:
        kind = err.get("type", "")
        where = ".".join(str(p) for p in err.get("loc", ()))
        if kind == "json_invalid":
            return f"not valid JSON ({err.get('ctx', {}).get('error', err['msg'])})"
        if kind == "model_type" or (kind == "model_attributes_type" and not where):
            return "not a JSON object"
        if kind == "missing":
            parts.append(f"missing field '{where}'")
        elif where:
            parts.append(f"field '{where}': {err['msg']}")
        else:
            parts.append(str(err["msg"]).removeprefix("Value error, "))
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def parse_post(data: bytes | str) -> PostIn | str:
    """A post from one JSON document, or the reason it is not one."""
    try:
        return PostIn.model_validate_json(data)
    except ValidationError as exc:
        return describe_errors(exc)


def read_posts(
    stream: BinaryIO, *, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[GoodLine | BadLine]:
    """Posts from a binary stream of JSON lines; blank lines are skipped silently."""
    number = 0
    while True:
        raw = stream.readline(max_line_bytes + 1)
        if not raw:
            return
        number += 1
        size = len(raw)
        if size > max_line_bytes and not raw.endswith(b"\n"):
            while True:  # skip the rest of the line without keeping it
                more = stream.readline(1 << 20)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield BadLine(
                number, f"line is {size:,} bytes, over the limit of {max_line_bytes:,}", size
            )
            continue
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield BadLine(
                number,
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
                size,
            )
            continue
        got = parse_post(text)
        if isinstance(got, str):
            yield BadLine(number, got, size)
        else:
            yield GoodLine(number, got, size, raw.rstrip(b"\r\n"))
