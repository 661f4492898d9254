"""Fold look-alike and invisible characters before matching, and map back.

Links in takedown orders and in the channels themselves are often written to
dodge naive filters: full-width letters (``ｔ．ｍｅ``), mathematical letters,
zero-width spaces in the middle of a name. The matcher works on a folded copy
of the text, but every reported ``raw`` must be the fragment exactly as it was
written, so the folding has to keep a position map back to the original.

Two steps keep that map cheap:

1. characters whose NFKC form is a single printable ASCII character are
   replaced one-for-one with ``str.translate`` (no length change, so positions
   are unchanged);
2. invisible characters (zero-width space/joiners, word joiner, BOM, soft
   hyphen, direction marks) are deleted, and the positions of the deleted runs
   are remembered so a span in the folded text maps back to a span in the input.

Pure ASCII input (the common case) skips both steps.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

# Invisible characters removed inside links. U+200B..U+200D, U+2060, U+FEFF and
# the soft hyphen are the ones seen in the wild; the direction marks and
# invisible operators are format characters too and can hide in a link equally.
INVISIBLE = (
    "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
INVISIBLE_RE = re.compile(f"[{INVISIBLE}]+")

# Blocks that hold characters whose NFKC form is one ASCII character:
# Latin-1 and Latin Extended (ª, ², ſ), spacing modifier letters, phonetic
# extensions, general punctuation (one-dot leader, fraction slash, odd spaces),
# super/subscripts, letterlike symbols, number forms, enclosed alphanumerics,
# CJK punctuation (ideographic space), vertical/small form variants, half- and
# full-width forms, mathematical alphanumerics, enclosed alphanumeric
# supplement and segmented digits.
_FOLD_BLOCKS = (
    (0x00A0, 0x0250),
    (0x02B0, 0x0300),
    (0x1D00, 0x1DC0),
    (0x2000, 0x2060),
    (0x2070, 0x20A0),
    (0x2100, 0x2190),
    (0x2460, 0x2500),
    (0x3000, 0x3040),
    (0xFE10, 0xFE70),
    (0xFF00, 0xFFF0),
    (0x1D400, 0x1D800),
    (0x1F100, 0x1F200),
    (0x1FBF0, 0x1FBFA),
)


def _build_fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for start, stop in _FOLD_BLOCKS:
        for code in range(start, stop):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and 0x20 <= ord(folded) <= 0x7E:
                table[code] = ord(folded)
    for char in INVISIBLE:  # never fold an invisible character into a visible one
        table.pop(ord(char), None)
    return table


_FOLD_TABLE = _build_fold_table()


class Folded:
    """A folded copy of a text plus the map from folded spans to input spans."""

    __slots__ = ("_deleted", "_starts", "source", "text")

    def __init__(self, source: str) -> None:
        self.source = source
        self._starts: list[int] = []
        self._deleted: list[int] = []
        if source.isascii():
            self.text = source
            return
        text = source.translate(_FOLD_TABLE)
        if INVISIBLE_RE.search(text) is None:
            self.text = text
            return
        removed = 0
        for run in INVISIBLE_RE.finditer(text):
            start, end = run.span()
            # A run sits just before the folded character at index start - removed.
            self._starts.append(start - removed)
            removed += end - start
            self._deleted.append(removed)
        self.text = INVISIBLE_RE.sub("", text)

    def _to_source(self, index: int) -> int:
        """Position in the input of the folded character at ``index``."""
        runs = bisect_right(self._starts, index)
        return index + (self._deleted[runs - 1] if runs else 0)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the non-empty folded span ``[start, end)`` to the input.

        Invisible characters inside the span are included, those just before
        or after it are not.
        """
        if not self._starts:
            return start, end
        return self._to_source(start), self._to_source(end - 1) + 1
