"""Indonesian-aware field finders over an order's subject and body text.

All matching is case-insensitive and on word boundaries unless said
otherwise; every function is pure and returns the first thing it finds in
reading order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "FollowupHint",
    "Urgency",
    "detect_urgency",
    "find_legal_basis",
    "find_letter_number",
    "is_followup",
]

# --------------------------------------------------------------------------- #
# Letter numbers

# Labels, longest first so "Nomor Surat" wins over "Nomor".
_STRONG_LABELS = (
    r"Nomor\s+Surat|No(?:mor)?\.?\s*Surat|Nomor\s+Ref(?:erensi)?|Nomor|Letter\s+No\.?"
    r"|Letter\s+Number|Reference\s+(?:No\.?|Number)|Our\s+Ref(?:erence)?\.?|Reference"
)
_WEAK_LABELS = r"No\.|No|Nr\.?|Ref\.?|Reff?\.?|Number"
_VALUE = r"[A-Za-z0-9](?:[A-Za-z0-9._()&-]|\s?/\s?)*"
_LETTER_NUMBER = re.compile(
    rf"(?<![\w.])(?P<label>{_STRONG_LABELS}|{_WEAK_LABELS})(?![\w])"
    rf"[ \t]*[:.]?[ \t]*(?P<value>{_VALUE})",
    re.IGNORECASE,
)
_STRONG = re.compile(rf"(?:{_STRONG_LABELS})\Z", re.IGNORECASE)
# Weak labels ("No", "Ref") need a value shaped like a letter number: with a
# slash, or starting with capitals then a dash ("TCO-2026-0001").
_SHAPED = re.compile(r"/|^[A-Z]{1,10}[-.]\S*\d")
# "UU No. 19/2016" is a statute, not a letter number.
_STATUTE_BEFORE = re.compile(
    r"(?<![\w])(?:UU|Undang[- ]Undang|PP|Perpres|Perppu|Permen\w*|Peraturan(?:\s+\w+){0,5}"
    r"|Keputusan(?:\s+\w+){0,5}|Kepmen\w*|Regulation(?:\s*\(EU\))?)\s*\Z",
    re.IGNORECASE,
)


def find_letter_number(text: str) -> str | None:
    """The official letter number ("Nomor: B-1234/DJAI.5/...") or None.

    Examples found: ``Nomor: B-1234/DJAI.5/AI.04.02/11/2026``,
    ``No. 123/KOMINFO/DJAI/HK.03.01/11/2026``, ``Nomor Surat : R/456/XI/2026/Bareskrim``,
    ``Ref: TCO-2026-0001``. The value must hold a digit; after a short label
    (No, Ref) it must also look like a number (a slash, or CAPS-digits).
    """
    for match in _LETTER_NUMBER.finditer(text):
        value = match.group("value").strip().rstrip(".,;:)(/-").strip()
        if not any(c.isdigit() for c in value) or len(value) < 3:
            continue
        label = " ".join(match.group("label").split())
        if not _STRONG.match(label) and not _SHAPED.search(value):
            continue
        if _STATUTE_BEFORE.search(text[max(0, match.start() - 60) : match.start()]):
            continue
        return value
    return None


# --------------------------------------------------------------------------- #
# Legal basis

_LABEL_LINE = re.compile(
    r"^[ \t>*\-•]*(?:Dasar\s+Hukum|Landasan\s+Hukum|Legal\s+Basis|Legal\s+Grounds?)"
    r"[ \t]*[:\-–]?[ \t]*(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_NUMBER_YEAR = r"(?:(?:Nomor|No\.?)\s*)?\d+[A-Za-z]?\s*(?:Tahun\s+|Th\.?\s*|/\s*)\d{4}"
_PASAL = (
    r"Pasal\s+\d+[A-Za-z]?(?:\s+ayat\s*\(\s*\w+\s*\))?(?:\s+huruf\s+[a-z]\b)?"
    r"(?:\s+(?:jo\.?|juncto)\s+Pasal\s+\d+[A-Za-z]?(?:\s+ayat\s*\(\s*\w+\s*\))?)*"
)
_ARTICLE = r"Article\s+\d+(?:\s*\(\s*\w+\s*\))?(?:\s+of(?:\s+the)?)?"
_LAW = (
    rf"(?:UU|Undang[- ]Undang)\s+{_NUMBER_YEAR}"
    r"|UU\s*ITE|Undang[- ]Undang\s+Informasi\s+dan\s+Transaksi\s+Elektronik"
    rf"|(?:Permen(?:kominfo|komdigi)|Peraturan\s+Menteri\s+Komunikasi\s+dan\s+"
    rf"(?:Informatika|Digital)|Perkominfo|PP|Peraturan\s+Pemerintah|Perpres|Perppu|Perpu)"
    rf"\s+{_NUMBER_YEAR}"
    r"|Regulation\s*\(EU\)\s*(?:No\.?\s*)?\d{4}/\d+|TCO\s+Regulation"
    r"|Digital\s+Services\s+Act|KUHP"
)
_LEGAL_MENTION = re.compile(
    rf"(?<![\w])(?:(?:{_PASAL})\s+(?:{_LAW})(?:\s+{_PASAL})?"
    rf"|(?:{_ARTICLE})\s+(?:{_LAW})"
    rf"|(?:{_LAW})(?:\s+{_PASAL}|\s+{_ARTICLE})?)(?![\w])",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|[a-z][.)]|[-*•])[ \t]+(?P<item>\S.*)$")


def find_legal_basis(text: str) -> str | None:
    """The legal basis an order cites, or None.

    A line labelled "Dasar hukum:" / "Legal basis:" wins; when the label ends
    its line, the list under it (up to five items) is joined with "; ".
    Otherwise the first mention of a statute: "UU No. 11 Tahun 2008",
    "UU ITE Pasal 27 ayat (2)", "Pasal 40 ayat (2b) UU 19/2016",
    "Permenkominfo 5/2020", "Regulation (EU) 2021/784".
    """
    labelled = _LABEL_LINE.search(text)
    if labelled:
        rest = labelled.group("rest").strip().rstrip(";,").strip()
        if rest:
            return rest
        items: list[str] = []
        for line in text[labelled.end() :].lstrip("\r\n").splitlines():
            if not line.strip():
                if items:
                    break
                continue
            item = _LIST_ITEM.match(line)
            items.append((item.group("item") if item else line).strip().rstrip(";,").strip())
            if len(items) >= 5 or not item:
                break
        if items:
            return "; ".join(items)
    mention = _LEGAL_MENTION.search(text)
    if mention:
        return " ".join(mention.group(0).split())
    return None


# --------------------------------------------------------------------------- #
# Urgency and categories


@dataclass(frozen=True)
class Urgency:
    urgent: bool
    categories: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)


URGENT_CATEGORIES = ("terrorism", "csam", "public_order", "eu_removal_order")
"""Categories that make an order urgent by themselves."""

_CATEGORY_PATTERNS: dict[str, list[str]] = {
    "terrorism": [
        r"terorisme", r"teroris", r"terrorism", r"terrorists?", r"terror\s+content",
        r"konten\s+teror(?:is|isme)?", r"propaganda\s+teror(?:is|isme)?",
        r"jaringan\s+teror(?:is|isme)?", r"radikalisme", r"radikalisasi",
        r"ekstremisme", r"ekstremis", r"extremism", r"extremists?", r"violent\s+extremism",
        r"ISIS", r"ISIL", r"Daesh", r"Jamaah\s+Ansharut\s+Daulah",
    ],
    "csam": [
        r"pornografi\s+anak", r"eksploitasi\s+seksual\s+(?:terhadap\s+)?anak",
        r"kekerasan\s+seksual\s+(?:terhadap\s+)?anak", r"CSAM", r"CSEM",
        r"child\s+sexual\s+(?:abuse|exploitation)(?:\s+material)?", r"child\s+pornography",
    ],
    "public_order": [
        r"ketertiban\s+umum", r"meresahkan\s+masyarakat", r"kerusuhan", r"public\s+order",
        r"provokasi\s+kerusuhan", r"riots?",
    ],
    "gambling": [
        r"judi\s+online", r"judi\s+daring", r"judol", r"perjudian", r"judi",
        r"online\s+gambling", r"gambling", r"situs\s+judi", r"slot\s+gacor",
    ],
    "porn": [
        r"pornografi(?!\s+anak)", r"asusila", r"(?<!child\s)pornography", r"konten\s+dewasa",
        r"porn",
    ],
    "scam": [
        r"penipuan", r"pinjol\s+ilegal", r"pinjaman\s+online\s+ilegal", r"investasi\s+ilegal",
        r"investasi\s+bodong", r"scams?", r"fraud", r"phishing",
    ],
    "hoax": [
        r"hoaks", r"hoax(?:es)?", r"berita\s+bohong", r"disinformasi", r"misinformasi",
        r"disinformation", r"misinformation", r"fake\s+news",
    ],
    "hate": [r"ujaran\s+kebencian", r"hate\s+speech", r"hatred"],
}  # fmt: skip
_CATEGORY_RES = {
    cat: re.compile(r"(?<![\w])(?:" + "|".join(p) + r")(?![\w])", re.IGNORECASE)
    for cat, p in _CATEGORY_PATTERNS.items()
}
# SARA (suku, agama, ras, antargolongan) only in capitals: "Sara" is a name.
_SARA = re.compile(r"(?<![\w])SARA(?![\w])")
_REMOVAL_ORDER = re.compile(r"(?<![\w])removal\s+orders?(?![\w])", re.IGNORECASE)
_TCO = re.compile(r"(?<![\w])(?:TCO|2021/784)(?![\w])", re.IGNORECASE)
_CATEGORY_ORDER = (
    "terrorism", "csam", "public_order", "eu_removal_order",
    "gambling", "porn", "scam", "hoax", "hate",
)  # fmt: skip

_URGENT_WORDS = re.compile(
    r"(?<![\w])(?:sangat\s+segera|sangat\s+mendesak|mendesak|segera|urgent(?:ly)?"
    r"|(?:batas\s+waktu|dalam\s+waktu|paling\s+lambat|maksimal|within|deadline(?:\s+of)?)"
    r"\s+(?:[1-4]|satu|dua|tiga|empat|one|two|three|four)\s*(?:jam|hours?|hrs?))(?![\w])",
    re.IGNORECASE,
)
# A negation just before an urgency word undoes it: "tidak mendesak",
# "tidak perlu segera", "not urgent", "non-urgent", "bukan hal yang mendesak".
_NEGATION_BEFORE = re.compile(
    r"(?<![\w])(?:tidak|tak|bukan|belum|tanpa|not|non|no|never)"
    r"(?:[\s-]+(?:perlu|harus|terlalu|begitu|hal|yang|an|a|so|very|too|really|particularly)){0,3}"
    r"[\s-]*\Z",
    re.IGNORECASE,
)


def _negated(text: str, start: int) -> bool:
    return _NEGATION_BEFORE.search(text[max(0, start - 40) : start]) is not None


def detect_urgency(text: str) -> Urgency:
    """Urgency and content categories named in ``text`` (subject + body).

    Urgent when the text says MENDESAK, SEGERA, SANGAT SEGERA, URGENT, gives a
    deadline of at most four hours, or names an urgent category (terrorism,
    csam, public_order, eu_removal_order). A negation right before an
    urgency word ("tidak mendesak", "not urgent") cancels that word only.
    """
    found: list[tuple[int, str]] = []
    urgent = False
    for match in _URGENT_WORDS.finditer(text):
        if _negated(text, match.start()):
            continue
        urgent = True
        found.append((match.start(), match.group(0)))
    categories: set[str] = set()
    for cat, regex in _CATEGORY_RES.items():
        for match in regex.finditer(text):
            categories.add(cat)
            found.append((match.start(), match.group(0)))
    for match in _SARA.finditer(text):
        categories.add("hate")
        found.append((match.start(), match.group(0)))
    removal = _REMOVAL_ORDER.search(text)
    tco = _TCO.search(text)
    if removal and tco:
        categories.add("eu_removal_order")
        found.append((removal.start(), removal.group(0)))
        found.append((tco.start(), tco.group(0)))
    if categories & set(URGENT_CATEGORIES):
        urgent = True
    matched: list[str] = []
    seen: set[str] = set()
    for _, phrase in sorted(found):
        phrase = " ".join(phrase.split())
        if phrase.lower() not in seen:
            seen.add(phrase.lower())
            matched.append(phrase)
    ordered = [c for c in _CATEGORY_ORDER if c in categories]
    return Urgency(urgent=urgent, categories=ordered, matched=matched)


# --------------------------------------------------------------------------- #
# Follow-ups


@dataclass(frozen=True)
class FollowupHint:
    kind: Literal["reply", "reminder", "warning"] | None = None
    level: int | None = None


_REPLY_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?"
    r"(?:re|fwd?|fw|balas|bls|teruskan|trs|aw|wg|tr|rv|sv|vs|antw|enc|res)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*:",
    re.IGNORECASE,
)
_ORDINALS = {
    "pertama": 1, "kesatu": 1, "satu": 1, "first": 1, "1st": 1,
    "kedua": 2, "dua": 2, "second": 2, "2nd": 2,
    "ketiga": 3, "tiga": 3, "third": 3, "3rd": 3,
    "keempat": 4, "empat": 4, "fourth": 4, "4th": 4,
}  # fmt: skip


def _level_re(tag: str) -> str:
    """An optional level after a word: "ke-2", " 2", "(2)", " kedua"."""
    return (
        rf"(?:\s*(?:ke[- ]?|no\.?\s*|nomor\s+|\#|\()?\s*(?P<num{tag}>\d{{1,2}})\)?"
        rf"|\s+(?P<word{tag}>pertama|kesatu|kedua|ketiga|keempat))?"
    )


def _ordinal_re(tag: str) -> str:
    """An optional English ordinal before a word: "second reminder"."""
    return rf"(?:(?P<pre{tag}>first|second|third|fourth|1st|2nd|3rd|4th|final)\s+)?"


_WARNING = re.compile(
    r"(?<![\w])(?:"
    rf"(?:surat\s+)?teguran{_level_re('a')}"
    rf"|surat\s+peringatan{_level_re('b')}"
    r"|peringatan\s+(?:ke[- ]?(?P<numc>\d{1,2})"
    r"|(?P<wordc>pertama|kesatu|kedua|ketiga|keempat)|terakhir)"
    r"|ST[- ]?(?P<numd>[1-9])"
    rf"|{_ordinal_re('e')}warning\s+(?:letter|notice)"
    r"|(?P<pref>first|second|third|fourth|1st|2nd|3rd|4th|final)\s+warning"
    r")(?![\w])",
    re.IGNORECASE,
)
_REMINDER = re.compile(
    rf"(?<![\w])(?:{_ordinal_re('a')}reminder{_level_re('b')}|pengingat{_level_re('c')}"
    r"|tindak\s+lanjut|follow[- ]up|permintaan\s+(?:ulang|kedua|ketiga))(?![\w])",
    re.IGNORECASE,
)
# In the body only a follow-up "of our letter" counts: "tindak lanjut" alone
# closes many first letters ("untuk tindak lanjut").
_REMINDER_BODY = re.compile(
    rf"(?<![\w])(?:{_ordinal_re('a')}reminder{_level_re('b')}|pengingat{_level_re('c')}"
    r"|tindak\s+lanjut\s+(?:atas\s+|dari\s+)?surat"
    r"|follow[- ]up\s+(?:to|on)\s+(?:our\s+)?(?:letter|request|order|notice))(?![\w])",
    re.IGNORECASE,
)
_HEAD_LINES = 12
_HEAD_CHARS = 800


def _level(match: re.Match[str]) -> int | None:
    for key, value in match.groupdict().items():
        if not value:
            continue
        if key.startswith("num"):
            return int(value)
        if key.startswith(("word", "pre")):
            return _ORDINALS.get(value.lower())
    return None


def _head(text: str) -> str:
    lines = [line for line in text[: _HEAD_CHARS * 4].splitlines() if line.strip()]
    return "\n".join(lines[:_HEAD_LINES])[:_HEAD_CHARS]


def is_followup(subject: str, text: str) -> FollowupHint:
    """Whether a message follows up an earlier order, and how.

    ``warning`` (surat teguran / surat peringatan / ST1-ST3 / "teguran ke-2",
    with ``level``) beats ``reminder`` (pengingat, reminder, tindak lanjut)
    beats ``reply`` (Re:/Fwd:/Balas: subject prefixes). The subject is read
    whole; of the body only the head (first 12 non-empty lines) counts, where
    a letter's "Hal:" line is, so threats like "kami akan menerbitkan surat
    peringatan" further down do not count.
    """
    head = _head(text)
    for source in (subject, head):
        matches = list(_WARNING.finditer(source))
        if matches:
            # "Surat Teguran ST2": the level may come with a later mention
            levels = [lv for lv in (_level(m) for m in matches) if lv is not None]
            return FollowupHint("warning", max(levels) if levels else None)
    match = _REMINDER.search(subject) or _REMINDER_BODY.search(head)
    if match:
        return FollowupHint("reminder", _level(match))
    if _REPLY_PREFIX.match(subject):
        return FollowupHint("reply", None)
    return FollowupHint(None, None)
