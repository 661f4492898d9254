"""Bank entries, the bank file format (JSONL or CSV) and a facade over the indexes.

A bank file holds one entry per line (JSONL) or per record (CSV with a header)
with the columns ``signal_type, signal_value, bank, entry_id, category, note``.
Signal type names are python-threatexchange's where one exists (``pdq``,
``video_md5``, ``video_sha256``, ``raw_text``) plus ``md5`` and ``sha256`` for
any file; ``text`` is read as ``raw_text``.  See docs/hash-banks.md.

Importing never stops at a bad line: each one is reported with its line number
and what is wrong, and the good entries are still returned.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

from ronda.detection.hashing.files import (
    FileHashIndex,
    file_digests,
    validate_md5,
    validate_sha256,
)
from ronda.detection.hashing.pdq import DEFAULT_PDQ_THRESHOLD, PdqIndex, validate_pdq
from ronda.detection.hashing.text import TextIndex, canonical_text
from ronda.errors import BadInput

__all__ = [
    "CATEGORIES",
    "COLUMNS",
    "SIGNAL_TYPES",
    "BankEntry",
    "BankImportError",
    "BankLineError",
    "BankMatch",
    "HashBanks",
    "ImportResult",
    "export_entries",
    "import_entries",
    "parse_entry",
    "read_bank_file",
]

log = logging.getLogger(__name__)

CATEGORIES = ("terrorism", "csam", "porn", "gambling", "scam", "hate", "hoax", "spam")
COLUMNS = ("signal_type", "signal_value", "bank", "entry_id", "category", "note")

#: signal type name -> which index holds it
SIGNAL_TYPES: dict[str, Literal["pdq", "md5", "sha256", "text"]] = {
    "pdq": "pdq",
    "md5": "md5",
    "video_md5": "md5",
    "sha256": "sha256",
    "video_sha256": "sha256",
    "raw_text": "text",
}
_ALIASES = {"text": "raw_text"}
MAX_TEXT_CHARS = 20_000
MAX_FIELD_CHARS = 200
MAX_NOTE_CHARS = 2_000

Format = Literal["auto", "jsonl", "csv"]


class BankImportError(BadInput):
    """The file as a whole cannot be read (e.g. a CSV without the required header)."""

    code = "bank_import_error"


@dataclass(frozen=True, slots=True)
class BankEntry:
    signal_type: str
    signal_value: str
    bank: str
    entry_id: str
    category: str
    note: str = ""

    @property
    def kind(self) -> Literal["pdq", "md5", "sha256", "text"]:
        return SIGNAL_TYPES[self.signal_type]

    def to_dict(self) -> dict[str, str]:
        return {c: getattr(self, c) for c in COLUMNS}


@dataclass(frozen=True, slots=True)
class BankLineError:
    line: int  # 1-based line number in the file (the first line of a CSV record)
    message: str
    text: str = ""  # the start of the offending line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    entries: list[BankEntry] = field(default_factory=list)
    errors: list[BankLineError] = field(default_factory=list)


def parse_entry(raw: dict[str, object]) -> BankEntry:
    """Validate one record (a dict of columns); raises ValueError naming the field."""

    def text_field(name: str, required: bool = True, limit: int = MAX_FIELD_CHARS) -> str:
        value = raw.get(name)
        if value is None or value == "":
            if required:
                raise ValueError(f"{name} is missing")
            return ""
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {type(value).__name__}")
        if len(value) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
        return value

    stype = text_field("signal_type").strip().lower()
    stype = _ALIASES.get(stype, stype)
    if stype not in SIGNAL_TYPES:
        raise ValueError(
            f"unsupported signal_type {stype!r} (supported: {', '.join(sorted(SIGNAL_TYPES))})"
        )
    value = text_field("signal_value", limit=MAX_TEXT_CHARS)
    kind = SIGNAL_TYPES[stype]
    if kind == "pdq":
        value = validate_pdq(value)
    elif kind == "md5":
        value = validate_md5(value)
    elif kind == "sha256":
        value = validate_sha256(value)
    elif not canonical_text(value):
        raise ValueError("signal_value: raw_text has no letters, digits or symbols")
    bank = text_field("bank").strip()
    entry_id = text_field("entry_id").strip()
    for name, v in (("bank", bank), ("entry_id", entry_id)):
        if not v:
            raise ValueError(f"{name} is blank")
        if any(ch in v for ch in "\r\n\t"):
            raise ValueError(f"{name} must not contain tabs or line breaks")
    category = text_field("category").strip().lower()
    if category not in CATEGORIES:
        raise ValueError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    note = text_field("note", required=False, limit=MAX_NOTE_CHARS)
    return BankEntry(stype, value, bank, entry_id, category, note)


def export_entries(
    entries: Iterable[BankEntry], fp: TextIO, *, format: Literal["jsonl", "csv"] = "jsonl"
) -> int:
    """Write entries to a text stream; returns how many were written."""
    count = 0
    if format == "jsonl":
        for e in entries:
            fp.write(json.dumps(e.to_dict(), ensure_ascii=False, separators=(",", ":")))
            fp.write("\n")
            count += 1
    elif format == "csv":
        writer = csv.writer(fp, lineterminator="\n")
        writer.writerow(COLUMNS)
        for e in entries:
            writer.writerow([getattr(e, c) for c in COLUMNS])
            count += 1
    else:
        raise ValueError(f"unknown bank file format {format!r}")
    return count


def import_entries(
    fp: TextIO,
    *,
    format: Format = "auto",
    errors: list[BankLineError] | None = None,
    existing: Container[tuple[str, str]] = (),
) -> Iterator[BankEntry]:
    """Read entries from a text stream, skipping bad lines.

    Each bad line is appended to ``errors`` (when given) or logged as a warning,
    and reading goes on.  A duplicate (bank, entry_id) is an error on the later
    line, and so is one already in ``existing`` (a set of (bank, entry_id)).
    ``format="auto"`` reads JSONL when the first non-blank line starts
    with ``{`` and CSV otherwise.  Raises BankImportError only when nothing can
    be read at all (a CSV header without the required columns).
    """

    def report(line: int, message: str, text: str) -> None:
        err = BankLineError(line, message, text[:200])
        if errors is not None:
            errors.append(err)
        else:
            log.warning("bank file %s", err)

    lines = _numbered_lines(fp)
    first: tuple[int, str] | None = None
    for num, text in lines:
        if text.strip():
            first = (num, text)
            break
    if first is None:
        return
    fmt = format
    if fmt == "auto":
        fmt = "jsonl" if first[1].lstrip().startswith("{") else "csv"
    records = _jsonl_records(first, lines) if fmt == "jsonl" else _csv_records(first, lines)
    seen: dict[tuple[str, str], int] = {}
    for num, raw_text, record in records:
        if isinstance(record, str):
            report(num, record, raw_text)
            continue
        try:
            entry = parse_entry(record)
        except ValueError as exc:
            report(num, str(exc), raw_text)
            continue
        key = (entry.bank, entry.entry_id)
        if key in existing:
            report(num, f"entry_id {entry.entry_id!r} is already in bank {entry.bank!r}", raw_text)
            continue
        if key in seen:
            report(
                num,
                f"duplicate entry_id {entry.entry_id!r} in bank {entry.bank!r} "
                f"(first on line {seen[key]})",
                raw_text,
            )
            continue
        seen[key] = num
        yield entry


def read_bank_file(path: str | os.PathLike[str], *, format: Format = "auto") -> ImportResult:
    """Read a whole bank file (UTF-8, a BOM is allowed) into entries and line errors."""
    result = ImportResult()
    with open(path, encoding="utf-8-sig", newline="") as fp:
        result.entries.extend(import_entries(fp, format=format, errors=result.errors))
    return result


def _numbered_lines(fp: TextIO) -> Iterator[tuple[int, str]]:
    yield from enumerate(fp, start=1)


def _jsonl_records(
    first: tuple[int, str], rest: Iterator[tuple[int, str]]
) -> Iterator[tuple[int, str, dict[str, object] | str]]:
    def one(num: int, text: str) -> tuple[int, str, dict[str, object] | str]:
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            return num, text, f"not valid JSON ({exc.msg} at column {exc.colno})"
        if not isinstance(obj, dict):
            return num, text, "not a JSON object"
        return num, text, obj

    yield one(*first)
    for num, text in rest:
        if text.strip():
            yield one(num, text)


def _csv_records(
    first: tuple[int, str], rest: Iterator[tuple[int, str]]
) -> Iterator[tuple[int, str, dict[str, object] | str]]:
    header_line, header_text = first
    header = [h.strip().lower() for h in next(csv.reader([header_text]))]
    missing = [c for c in COLUMNS if c != "note" and c not in header]
    if missing:
        raise BankImportError(
            f"line {header_line}: CSV header lacks column(s) {', '.join(missing)} "
            f"(expected {','.join(COLUMNS)})"
        )
    # feed the remaining physical lines to csv, remembering where each record starts
    current = [header_line]

    def physical() -> Iterator[str]:
        for num, text in rest:
            current[0] = num
            yield text

    reader = csv.reader(physical())
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield current[0], "", f"unreadable CSV ({exc})"
            continue
        end = current[0]
        start = end - max(0, sum(cell.count("\n") for cell in row))
        raw = ",".join(row)
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield start, raw, f"expected {len(header)} fields, found {len(row)}"
            continue
        yield start, raw, dict(zip(header, row, strict=True))


# --------------------------------------------------------------------------
# facade
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BankMatch:
    """A bank entry that matched: ``distance`` is bits for PDQ, 1 - similarity for text,
    0 for file hashes; ``similarity`` is in [0, 1]."""

    entry: BankEntry
    distance: float
    similarity: float


class HashBanks:
    """All banks in memory: routes entries to the text, PDQ and file-hash indexes."""

    def __init__(
        self,
        *,
        text_normalizer: Callable[[str], str] | None = None,
        default_text_threshold: float = 0.7,
        default_pdq_threshold: int = DEFAULT_PDQ_THRESHOLD,
    ) -> None:
        self.text = TextIndex(default_threshold=default_text_threshold, normalizer=text_normalizer)
        self.pdq = PdqIndex(default_threshold=default_pdq_threshold)
        self.files = FileHashIndex()
        self._entries: dict[tuple[str, str], BankEntry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def set_text_threshold(self, bank: str, threshold: float) -> None:
        self.text.set_threshold(bank, threshold)

    def set_pdq_threshold(self, bank: str, threshold: int) -> None:
        self.pdq.set_threshold(bank, threshold)

    def get(self, bank: str, entry_id: str) -> BankEntry | None:
        return self._entries.get((bank, entry_id))

    def entries(self) -> Iterator[BankEntry]:
        return iter(list(self._entries.values()))

    def add(self, entry: BankEntry) -> None:
        self.add_entries([entry])

    def add_entries(self, entries: Iterable[BankEntry]) -> int:
        """Add validated entries; a (bank, entry_id) already present raises BadInput."""
        texts: dict[str, list[tuple[str, str]]] = {}
        pdqs: dict[str, list[tuple[str, str]]] = {}
        added: list[BankEntry] = []
        try:
            for e in entries:
                key = (e.bank, e.entry_id)
                if key in self._entries:
                    raise BadInput(f"entry {e.entry_id!r} already in bank {e.bank!r}")
                kind = e.kind
                if kind == "text":
                    texts.setdefault(e.bank, []).append((e.entry_id, e.signal_value))
                elif kind == "pdq":
                    pdqs.setdefault(e.bank, []).append((e.entry_id, e.signal_value))
                else:
                    self.files.add(kind, e.signal_value, e.entry_id, e.bank)
                self._entries[key] = e
                added.append(e)
        finally:
            for bank, items in texts.items():
                self.text.add_many(items, bank=bank)
            for bank, items in pdqs.items():
                self.pdq.add_many(items, bank=bank)
        return len(added)

    def remove(self, bank: str, entry_id: str) -> bool:
        entry = self._entries.pop((bank, entry_id), None)
        if entry is None:
            return False
        if entry.kind == "text":
            self.text.remove(entry_id, bank)
        elif entry.kind == "pdq":
            self.pdq.remove(entry_id, bank)
        else:
            self.files.remove(entry_id, bank)
        return True

    def _entry(self, bank: str, entry_id: str) -> BankEntry:
        return self._entries[(bank, entry_id)]

    def match_text(self, text: str, *, limit: int = 10) -> list[BankMatch]:
        return [
            BankMatch(self._entry(m.bank, m.entry_id), m.distance, m.similarity)
            for m in self.text.query(text, limit=limit)
        ]

    def match_texts(self, texts: Sequence[str], *, limit: int = 10) -> list[list[BankMatch]]:
        return [
            [BankMatch(self._entry(m.bank, m.entry_id), m.distance, m.similarity) for m in ms]
            for ms in self.text.query_batch(texts, limit=limit)
        ]

    def match_pdq(self, pdq_hex: str, *, limit: int = 10) -> list[BankMatch]:
        return self.match_pdq_batch([pdq_hex], limit=limit)[0]

    def match_pdq_batch(self, hashes: Sequence[str], *, limit: int = 10) -> list[list[BankMatch]]:
        return [
            [
                BankMatch(self._entry(m.bank, m.entry_id), float(m.distance), m.similarity)
                for m in ms
            ]
            for ms in self.pdq.query_batch(hashes, limit=limit)
        ]

    def match_digests(
        self, *, md5: str | None = None, sha256: str | None = None
    ) -> list[BankMatch]:
        return [
            BankMatch(self._entry(m.bank, m.entry_id), 0.0, 1.0)
            for m in self.files.match(md5=md5, sha256=sha256)
        ]

    def match_file(self, source: bytes | str | os.PathLike[str]) -> list[BankMatch]:
        md5, sha = file_digests(source)
        return self.match_digests(md5=md5, sha256=sha)

    def load(self, fp: TextIO, *, format: Format = "auto") -> list[BankLineError]:
        """Import a bank file stream into memory; returns the bad lines."""
        errors: list[BankLineError] = []
        self.add_entries(
            list(import_entries(fp, format=format, errors=errors, existing=self._entries))
        )
        return errors

    def dump(self, fp: TextIO, *, format: Literal["jsonl", "csv"] = "jsonl") -> int:
        return export_entries(self._entries.values(), fp, format=format)


def entries_from_string(data: str, *, format: Format = "auto") -> ImportResult:
    """Convenience for tests and small inputs."""
    result = ImportResult()
    result.entries.extend(import_entries(io.StringIO(data), format=format, errors=result.errors))
    return result
