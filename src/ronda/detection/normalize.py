"""Indonesian-aware text normalisation for detectors.

Spam and propaganda posts are written to slip past keyword filters: styled Unicode
(𝓼𝓵𝓸𝓽, ＳＬＯＴ, Ⓢ🅛🅞🅣), invisible characters inside words, leetspeak (g4c0r), spaced
letters (s l o t), stretched words (gaaacorrr) and colloquial spelling (yg, gak, udh).
``normalize`` folds all of these to one plain form so that rules and the classifier see the
same word however it was dressed up. Detectors should look at both the original and the
normalised text: the original still carries the evidence a moderator wants to see.

Steps, in order (``normalize_batch`` runs the regex steps once over a whole batch):

1. Unicode folding, only for non-ASCII text: styled letters that NFKC leaves alone (negative
   squared 🅰, regional indicators 🇸, small capitals ᴀ, hooked/stroked letters, Cyrillic and
   Greek look-alikes) are mapped to ASCII; zero-width and other invisible characters are
   deleted; decorative brackets (【】『』░) become spaces; then NFKD compatibility
   decomposition, removal of combining marks (diacritics, strike-through and keycap overlays),
   and NFC. The result is NFKC-equivalent text without diacritics.
2. Lower case; runs of whitespace become one space; leading and trailing space is removed.
3. Spaced letters: three or more single letters or digits separated by spaces or by
   ``. - _ * | + ~ • ·`` are joined ("s l o t" -> "slot", "J.U.D.I" -> "judi").
4. Leetspeak, only inside tokens that mix letters and digits and only where a digit sits
   between letters ("sl0t", "m4xw1n"); in such a token a single leet character at either end
   is converted too ("4l3x1s" -> "alexis", "h3h3" -> "hehe"). Mapping: 4->a 1->i 3->e 0->o
   5->s 7->t @->a $->s. Numbers and amounts ("2026", "100rb", "5juta", "slot88", "4d") are
   left alone, and so is a trailing "4d"/"3d" (togel bet types) inside a brand name.
5. Repeated letters: a run of three or more of the same (ASCII, i.e. folded) letter becomes
   one letter
   ("gaaacorrr" -> "gacor", "bangettt" -> "banget"). Doubled letters are kept because
   Indonesian and Arabic loanwords have them ("maaf", "saat", "allah"). Digits are untouched.
6. Slang: whole ASCII tokens are looked up in the compiled slang table (``slang.txt``, built
   from two public lexicons, see its header) and replaced by their formal form
   ("yg" -> "yang", "udh" -> "sudah").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources

__all__ = ["collapse_repeats", "fold_unicode", "normalize", "normalize_batch", "slang_table"]

NORMALIZER_VERSION = "norm-1"

_SEP = "\x00"  # joins texts inside a batch; never survives folding or appears after it

# --- step 1: Unicode folding -------------------------------------------------------------

_INVISIBLE = [
    0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0,
    *range(0x180B, 0x180F), *range(0x200B, 0x2010), *range(0x202A, 0x202F),
    *range(0x2060, 0x2070), *range(0xFE00, 0xFE10), *range(0x1D173, 0x1D17B),
    *range(0xE0000, 0xE0080), *range(0xE0100, 0xE01F0), 0x0000,
]  # fmt: skip

_DECORATIVE = "【】『』「」〖〗〔〕《》〈〉❝❞≋░▒▓█▀▄▌▐■□▪▫◆◇○●◎★☆♡♥❤❥✦✧✩✪✫✬✭✮✯✰⠀ᆢ"

# Look-alike letters from other scripts that NFKD keeps as they are.
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g", "ɩ": "i", "ʟ": "l", "ı": "i", "ȷ": "j",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j", "ѡ": "w", "ү": "y", "һ": "h",
    "я": "r", "λ": "a", "ɾ": "r", "п": "n", "и": "n", "ц": "u", "ш": "w", "ь": "b", "э": "e",
}  # fmt: skip

_LETTER_NAME_RES = [
    re.compile(
        r"^(?:NEGATIVE )?(?:SQUARED|CIRCLED|PARENTHESIZED) LATIN (?:CAPITAL |SMALL )?"
        r"LETTER ([A-Z])$"
    ),
    re.compile(r"^LATIN LETTER SMALL CAPITAL ([A-Z])$"),
    re.compile(r"^REGIONAL INDICATOR SYMBOL LETTER ([A-Z])$"),
    re.compile(
        r"^(?:MODIFIER|SUPERSCRIPT|SUBSCRIPT) (?:LATIN )?(?:CAPITAL |SMALL )?LETTER ([A-Z])$"
    ),
    re.compile(r"^LATIN SUBSCRIPT SMALL LETTER ([A-Z])$"),
    re.compile(r"^(?:LYCIAN|CARIAN|OLD ITALIC) LETTER ([A-Z])$"),
    re.compile(
        r"^LATIN (?:CAPITAL|SMALL) LETTER (?:TURNED |REVERSED |SCRIPT |CLOSED |OPEN |BARRED "
        r"|DOTLESS |LONG |SMALL CAPITAL )?([A-Z])(?: WITH .*)?$"
    ),
]
_DIGIT_NAME_RE = re.compile(
    r"^(?:DINGBAT )?(?:NEGATIVE )?(?:DOUBLE )?CIRCLED (?:SANS-SERIF )?DIGIT "
    r"(ZERO|ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE)$"
)
_DIGITS = {
    name: str(i)
    for i, name in enumerate(
        ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"]
    )
}
_STYLED_RANGES = [
    (0x00C0, 0x0250), (0x0250, 0x0300), (0x1D00, 0x1DC0), (0x2070, 0x20A0), (0x2100, 0x2150),
    (0x2460, 0x2500), (0x2776, 0x2794), (0x2C60, 0x2C80), (0xA720, 0xA800), (0xFF00, 0xFFF0),
    (0x10280, 0x102D1), (0x10300, 0x10330), (0x1D400, 0x1D800), (0x1F100, 0x1F200),
]  # fmt: skip
_MARK_RANGES = [
    (0x0300, 0x0370), (0x0483, 0x048A), (0x064B, 0x0660), (0x0670, 0x0671), (0x1AB0, 0x1B00),
    (0x1DC0, 0x1E00), (0x20D0, 0x2100), (0xFE20, 0xFE30),
]  # fmt: skip


def _styled_target(ch: str) -> str | None:
    """ASCII letter or digit a styled character stands for, if NFKD does not already say."""
    folded = unicodedata.normalize("NFKD", ch)
    if folded != ch and folded.isascii() and folded.isalnum():
        return None  # NFKD handles it
    name = unicodedata.name(ch, "")
    for pattern in _LETTER_NAME_RES:
        m = pattern.match(name)
        if m:
            return m.group(1).lower()
    m = _DIGIT_NAME_RE.match(name)
    if m:
        return _DIGITS[m.group(1)]
    return None


@lru_cache(maxsize=1)
def _fold_tables() -> tuple[dict[int, str | None], dict[int, None]]:
    before: dict[int, str | None] = {cp: None for cp in _INVISIBLE}
    for lo, hi in _STYLED_RANGES:
        for cp in range(lo, hi):
            target = _styled_target(chr(cp))
            if target is not None:
                before[cp] = target
    for ch in _DECORATIVE:
        before[ord(ch)] = " "
    for src, dst in _HOMOGLYPHS.items():
        before[ord(src)] = dst
        upper = src.upper()
        if len(upper) == 1 and upper != src:
            before[ord(upper)] = dst
    after: dict[int, None] = {cp: None for lo, hi in _MARK_RANGES for cp in range(lo, hi)}
    return before, after


def fold_unicode(text: str) -> str:
    """Fold styled and look-alike characters to ASCII, drop invisibles and diacritics.

    Does not lower-case. ASCII text is returned unchanged.
    """
    if text.isascii():
        return text.replace(_SEP, "")
    before, after = _fold_tables()
    text = unicodedata.normalize("NFKD", text.translate(before)).translate(after)
    return unicodedata.normalize("NFC", text)


# --- steps 2-5: regex passes over the joined batch ---------------------------------------

_SPACED_RE = re.compile(r"(?<![^\W_])[^\W_](?:[ .\-_*|+~•·]{1,3}[^\W_]){2,}(?![^\W_])")
_SPACED_DROP = str.maketrans("", "", " .-_*|+~•·")

_LEET = str.maketrans("413057@$", "aieostas")
_LEET_CORE_RE = re.compile(r"[a-z][013457@$]+[a-z]")  # cheap to scan for; rare in real text
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$")
_LEET_INNER_RE = re.compile(r"(?<=[a-z])[013457@$]+(?=[a-z])(?!d$)")
_LEET_EDGE_RE = re.compile(r"^[013457@$](?=[a-z])|(?<=[a-z])[013457@$]$")

_REPEAT_RE = re.compile(r"([a-z])\1\1+")
_TOKEN_SPLIT_RE = re.compile(r"([a-z0-9]+)")


def _leet_run(m: re.Match[str]) -> str:
    return m.group().translate(_LEET)


def _unleet_token(token: str) -> str:
    converted = _LEET_INNER_RE.sub(_leet_run, token)
    if converted == token:
        return token  # only a protected "4d"-style run: leave the whole token alone
    return _LEET_EDGE_RE.sub(_leet_run, converted)


def _unleet(text: str) -> str:
    """Convert leetspeak in every token that has a digit (or @/$) between two letters.

    Scans for the short core pattern and widens each hit to its token by hand: a regex
    that matched whole tokens directly backtracks on every position of the text.
    """
    pieces: list[str] = []
    done = 0
    n = len(text)
    for m in _LEET_CORE_RE.finditer(text):
        if m.start() < done:
            continue  # a second core inside a token already converted
        start, end = m.start(), m.end()
        while start > done and text[start - 1] in _TOKEN_CHARS:
            start -= 1
        while end < n and text[end] in _TOKEN_CHARS:
            end += 1
        pieces.append(text[done:start])
        pieces.append(_unleet_token(text[start:end]))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _join_spaced(m: re.Match[str]) -> str:
    return m.group().translate(_SPACED_DROP)


def collapse_repeats(text: str) -> str:
    """Collapse runs of three or more identical letters to one letter."""
    return _REPEAT_RE.sub(r"\1", text)


@lru_cache(maxsize=1)
def slang_table() -> dict[str, str]:
    """The compiled slang -> formal table shipped with the package (see ``slang.txt``)."""
    table: dict[str, str] = {}
    text = resources.files("ronda.detection").joinpath("slang.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            slang, _, formal = line.partition("\t")
            if formal:
                table[slang] = formal
    return table


def _fold_and_lower(texts: Iterable[str]) -> str:
    return _SEP.join(t if t.isascii() and _SEP not in t else fold_unicode(t) for t in texts)


def normalize_batch(texts: Sequence[str]) -> list[str]:
    """Normalise many texts at once; same result as ``[normalize(t) for t in texts]``.

    The regular-expression passes run once over the whole batch joined by a separator that
    no step can match across, which is several times faster than per-text calls.
    """
    if not texts:
        return []
    big = _fold_and_lower(texts).lower()
    # runs of whitespace to one space: str.split() and the regex ``\s`` know the same
    # whitespace (str.isspace); only the edges of the whole batch differ, which the final
    # strip removes anyway
    big = " ".join(big.split())
    big = _SPACED_RE.sub(_join_spaced, big)
    big = _unleet(big)
    big = _REPEAT_RE.sub(r"\1", big)
    table = slang_table()
    parts = _TOKEN_SPLIT_RE.split(big)
    big = "".join(map(table.get, parts, parts))
    return [t.strip() for t in big.split(_SEP)]


def normalize(text: str) -> str:
    """Normalise one text (see the module docstring for the steps)."""
    return normalize_batch([text])[0]
