"""Byte-to-text decoding shared by the mail and file readers.

Every decoder here is total: it always returns text, and says how it got it.
The chain is: declared charset (strict) → UTF-8 (strict) → a guess by
charset-normalizer among the encodings Indonesian senders actually use →
Windows-1252 with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Encodings the guesser may pick. Windows-1252 covers Indonesian and other
# Latin-script text; the others cover the non-Latin senders we have seen.
# Central-European and DOS code pages are left out on purpose: on short
# Indonesian text they win ties against Windows-1252 and produce mojibake.
_GUESS_CANDIDATES = ["cp1252", "cp1251", "gb18030", "big5", "shift_jis", "euc_kr"]

# How much of a large payload the guesser looks at.
_GUESS_SAMPLE = 256 * 1024

# Python codecs that are text encodings but not charsets anyone sends mail in;
# they interpret escapes or domain names and must never be honoured.
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "punycode", "idna", "mbcs", "oem", "undefined"}
)

# Bytes that Windows-1252 leaves undefined; text containing them is Latin-1.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")

_DISPLAY_NAMES = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "utf-32": "utf-32",
    "utf-32-le": "utf-32le",
    "utf-32-be": "utf-32be",
    "cp1250": "windows-1250",
    "cp1251": "windows-1251",
    "cp1252": "windows-1252",
    "cp1256": "windows-1256",
    "iso8859-1": "iso-8859-1",
    "latin-1": "iso-8859-1",
    "iso8859-15": "iso-8859-15",
    "ascii": "us-ascii",
    "gb18030": "gb18030",
    "gbk": "gbk",
    "gb2312": "gb2312",
    "big5": "big5",
    "shift_jis": "shift_jis",
    "euc_kr": "euc-kr",
    "euc_jp": "euc-jp",
    "koi8-r": "koi8-r",
}

# C0 controls other than tab, line feed, form feed and carriage return, plus DEL.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, the encoding used and what went wrong."""

    text: str
    encoding: str
    problem: str | None = None


def display_name(codec: str) -> str:
    """The IANA-style name of a Python codec, e.g. ``cp1252`` → ``windows-1252``."""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return codec
    return _DISPLAY_NAMES.get(name, name)


def lookup_charset(label: str | None) -> str | None:
    """The Python codec for a declared charset label, or None when unusable."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").strip().lower()
    if not cleaned or len(cleaned) > 40:
        return None
    try:
        info = codecs.lookup(cleaned)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    return info.name


def _has_8bit(data: bytes) -> bool:
    return not data.isascii()


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def single_byte_fallback(data: bytes) -> Decoded:
    """Windows-1252, or Latin-1 when bytes undefined in Windows-1252 occur."""
    if any(b in _CP1252_UNDEFINED for b in data):
        return Decoded(data.decode("latin-1"), "iso-8859-1")
    return Decoded(data.decode("cp1252", errors="replace"), "windows-1252")


def guess(data: bytes) -> Decoded:
    """Guess an 8-bit encoding: charset-normalizer, then Windows-1252."""
    sample = data[:_GUESS_SAMPLE]
    try:
        matches = from_bytes(sample, cp_isolation=_GUESS_CANDIDATES)
        best = matches.best()
    except Exception:  # the guesser must never take the intake down
        best = None
    if best is not None:
        codec = lookup_charset(best.encoding)
        if codec is not None and codec != "cp1252":
            text = _try(data, codec)
            if text is not None:
                # Windows-1252 and Windows-1251 agree on punctuation (– “ ”):
                # when both read the bytes the same way, call it Windows-1252.
                if _try(data, "cp1252") == text:
                    return Decoded(text, "windows-1252")
                return Decoded(text, display_name(codec))
    return single_byte_fallback(data)


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode ``data`` with the fallback chain; never raises.

    ``problem`` is a short human-readable note when the declared charset was
    missing, unknown or wrong and the text had to be guessed. It is written to
    follow a subject: "body " + problem reads "body in undeclared 8-bit;
    decoded as windows-1252".
    """
    codec = lookup_charset(declared)
    if declared and codec is None:
        fallback = _undeclared(data)
        return Decoded(
            fallback.text,
            fallback.encoding,
            f"has unknown charset {declared.strip()[:40]!r}; decoded as {fallback.encoding}",
        )
    if codec is not None:
        if codec == "ascii":
            if not _has_8bit(data):
                return Decoded(data.decode("ascii"), "us-ascii")
            fallback = _undeclared(data)
            return Decoded(
                fallback.text,
                fallback.encoding,
                f"declared us-ascii but has 8-bit bytes; decoded as {fallback.encoding}",
            )
        if codec == "iso8859-1":
            # As browsers do: labels of Latin-1 mean Windows-1252 in practice.
            return single_byte_fallback(data)
        text = _try(data, codec)
        if text is not None:
            return Decoded(text, display_name(codec))
        fallback = _undeclared(data)
        return Decoded(
            fallback.text,
            fallback.encoding,
            f"declared {display_name(codec)} but is not valid {display_name(codec)}; "
            f"decoded as {fallback.encoding}",
        )
    if not _has_8bit(data):
        return Decoded(data.decode("ascii"), "us-ascii")
    fallback = _undeclared(data)
    return Decoded(
        fallback.text, fallback.encoding, f"in undeclared 8-bit; decoded as {fallback.encoding}"
    )


def _undeclared(data: bytes) -> Decoded:
    text = _try(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8")
    return guess(data)


def clean_text(text: str) -> str:
    """Normalise line ends and drop control characters (NUL, ESC ...)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)
