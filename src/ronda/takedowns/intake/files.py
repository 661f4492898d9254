"""Text out of order attachments: CSV, TXT, XLSX and PDF.

``extract_text`` looks at the bytes first (magic numbers) and only then at the
file name and content type. Every limit raises TooLarge with the numbers in
the message; every unreadable input raises BadInput saying why. Nothing else
escapes: a failure inside openpyxl or pypdf becomes BadInput.
"""

from __future__ import annotations

import csv
import html
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

from ronda.config import Limits
from ronda.errors import BadInput, TooLarge

from ._text import Decoded, clean_text, guess

__all__ = ["MAX_PDF_PAGES", "FileText", "extract_text"]

Kind = Literal["csv", "xlsx", "pdf", "txt"]

MAX_PDF_PAGES = 500
"""Pages read from one PDF; more is TooLarge."""

MAX_ZIP_MEMBERS = 5000
"""Members in one XLSX archive; more is TooLarge."""

RATIO_EXEMPT_BYTES = 64 * 1024
"""Members that unpack to less than this are not held to the ratio limit:
a tiny, very compressible XML part is normal and can do no harm."""

CELLS_PER_ROW_BUDGET = 64
"""XLSX cells read in all = max_rows × this; guards against sheets whose
rows claim to reach column XFD."""

_MAX_WARNINGS = 20
_MAX_LINKS_PER_PAGE = 5000


@dataclass(frozen=True)
class FileText:
    """Text of one file.

    ``rows`` counts records for CSV, rows for XLSX (all sheets), lines for
    TXT and pages for PDF. ``encoding`` is set for CSV and TXT only.
    """

    text: str
    kind: Kind
    encoding: str | None
    rows: int
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- #
# Type detection

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: list[tuple[bytes, str]] = [
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\x89PNG", "an image (PNG)"),
    (b"\xff\xd8\xff", "an image (JPEG)"),
    (b"GIF87a", "an image (GIF)"),
    (b"GIF89a", "an image (GIF)"),
    (b"BM", "an image (BMP)"),
    (b"II*\x00", "an image (TIFF)"),
    (b"MM\x00*", "an image (TIFF)"),
    (b"RIFF", "a media file (RIFF)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xca\xfe\xba\xbe", "an executable (Mach-O or Java class)"),
    (b"\xcf\xfa\xed\xfe", "an executable (Mach-O)"),
    (b"\xfe\xed\xfa\xce", "an executable (Mach-O)"),
    (b"%!PS", "a PostScript file"),
]
_TEXT_CONTROLS = bytes([*range(0, 9), 11, *range(14, 26), *range(28, 32), 127])

_XLSX_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel.sheet.macroenabled.12",
}
_CSV_TYPES = {
    "text/csv",
    "text/comma-separated-values",
    "text/tab-separated-values",
    "application/csv",
    "text/x-csv",
}


def _not_supported(name: str, what: str | None = None) -> BadInput:
    suffix = f" (it looks like {what})" if what else ""
    return BadInput(f"{name} is not a text, CSV, XLSX or PDF file{suffix}")


def _binary_label(data: bytes) -> str | None:
    for magic, label in _BINARY_MAGIC:
        if data.startswith(magic):
            return label
    if data[4:8] == b"ftyp":
        return "a media file (MP4/HEIC)"
    return None


def _looks_binary(sample: bytes) -> bool:
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _TEXT_CONTROLS))
    return controls > max(2, len(sample) // 100)


def _hints(filename: str, content_type: str | None) -> tuple[str, str]:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    return ext, ctype


# --------------------------------------------------------------------------- #
# Entry point


def extract_text(
    filename: str,
    data: bytes,
    *,
    content_type: str | None = None,
    limits: Limits,
) -> FileText:
    """The text of an attachment, for the link and field finders."""
    name = filename or "file"
    data = bytes(data)
    if len(data) > limits.max_attachment_bytes:
        raise TooLarge(
            f"{name} is {len(data)} bytes, over the limit of {limits.max_attachment_bytes} bytes"
        )
    ext, ctype = _hints(name, content_type)
    if not data:
        kind: Kind = "csv" if (ext in ("csv", "tsv") or ctype in _CSV_TYPES) else "txt"
        return FileText("", kind, None, 0, [f"{name} is empty"])
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _xlsx(name, data, limits)
    if b"%PDF-" in data[:1024]:
        return _pdf(name, data, limits)
    if data.startswith(_OLE2):
        raise BadInput(
            f"{name} is a legacy Office file (.xls/.doc) or a password-protected workbook; "
            "ask for it as .xlsx or CSV without a password"
        )
    label = _binary_label(data)
    if label is not None:
        raise _not_supported(name, label)
    decoded = _decode_text_file(name, data)
    notes: list[str] = []
    if decoded.problem:
        notes.append(decoded.problem)
    if ext in ("xlsx", "xlsm", "pdf") or ctype in _XLSX_TYPES or ctype == "application/pdf":
        notes.append(f"{name} is named or typed as {ext or ctype} but holds text; read as text")
    text = clean_text(decoded.text).lstrip("\ufeff")
    as_csv = ext in ("csv", "tsv") or ctype in _CSV_TYPES
    if not as_csv and ext != "txt" and ctype != "text/plain":
        as_csv = _sniff_delimiter(text)[1]
    if as_csv:
        try:
            return _csv(name, text, decoded.encoding, notes, limits)
        except csv.Error as exc:
            notes.append(f"{name} could not be read as CSV ({exc}); read as plain text")
    return _txt(name, text, decoded.encoding, notes, limits)


# --------------------------------------------------------------------------- #
# Text and CSV

_BOMS: list[tuple[bytes, str, str]] = [
    (b"\xef\xbb\xbf", "utf-8", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32le"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32be"),
    (b"\xff\xfe", "utf-16-le", "utf-16le"),
    (b"\xfe\xff", "utf-16-be", "utf-16be"),
]


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text without a BOM has NULs in every other byte (for ASCII)."""
    sample = sample[: len(sample) - len(sample) % 2]
    half = len(sample) // 2
    if half < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd > half * 0.4 and even < half * 0.05:
        return "utf-16-le"
    if even > half * 0.4 and odd < half * 0.05:
        return "utf-16-be"
    return None


def _decode_text_file(name: str, data: bytes) -> Decoded:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return Decoded(body.decode(codec), label)
            except UnicodeDecodeError:
                return Decoded(
                    body.decode(codec, errors="replace"),
                    label,
                    f"{name} has invalid {label} sequences; they were replaced",
                )
    sample = data[: 64 * 1024]
    codec16 = _utf16_without_bom(sample[:4096])
    if codec16 is not None:
        label = codec16.replace("utf-16-", "utf-16")
        return Decoded(data.decode(codec16, errors="replace"), label, None)
    if _looks_binary(sample):
        raise _not_supported(name)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    guessed = guess(data)
    return Decoded(
        guessed.text, guessed.encoding, f"{name} is not UTF-8; read as {guessed.encoding}"
    )


_DELIMITERS = ("\t", ";", ",", "|")
_QUOTED = re.compile(r'"[^"\n]*"')


def _sniff_delimiter(text: str) -> tuple[str, bool]:
    """The delimiter of a CSV, and whether the text looks like a table at all.

    Counts each candidate per line over the first 50 non-empty lines (quoted
    parts removed); a delimiter found the same number of times on at least
    80 % of the lines wins, the most frequent such one first.
    """
    lines = [line for line in text[: 64 * 1024].split("\n")[:200] if line.strip()][:50]
    if not lines:
        return ",", False
    unquoted = [_QUOTED.sub("", line) for line in lines]
    best: tuple[int, int, str] | None = None
    for delim in _DELIMITERS:
        counts = [line.count(delim) for line in unquoted]
        if not any(counts):
            continue
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        agree = counts.count(mode)
        if mode == 0 or agree < 0.8 * len(counts):
            continue
        score = (agree, mode, delim)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is not None:
        return best[2], len(lines) >= 2
    totals = {d: sum(line.count(d) for line in unquoted) for d in _DELIMITERS}
    delim = max(_DELIMITERS, key=lambda d: totals[d])
    return (delim if totals[delim] else ","), False


class _Output:
    """Lines of output text, held to ``max_text_chars``."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limit = limits.max_text_chars
        self.lines: list[str] = []
        self.size = 0

    def add(self, line: str) -> None:
        self.size += len(line) + 1
        if self.size > self.limit:
            raise TooLarge(f"{self.name} gives more than {self.limit} characters of text")
        self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines)


def _cell(value: str) -> str:
    return " ".join(value.split()) if ("\n" in value or "\t" in value) else value.strip()


def _csv(name: str, text: str, encoding: str, notes: list[str], limits: Limits) -> FileText:
    delim, _ = _sniff_delimiter(text)
    out = _Output(name, limits)
    rows = 0
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    for record in reader:
        rows += 1
        if rows > limits.max_rows:
            raise TooLarge(f"{name} has more than {limits.max_rows} rows")
        cells = [_cell(c) for c in record]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            out.add("\t".join(cells))
    return FileText(out.text(), "csv", encoding, rows, notes)


def _txt(name: str, text: str, encoding: str, notes: list[str], limits: Limits) -> FileText:
    lines = text.count("\n") + (0 if not text or text.endswith("\n") else 1)
    if lines > limits.max_rows:
        raise TooLarge(f"{name} has more than {limits.max_rows} rows")
    if len(text) > limits.max_text_chars:
        raise TooLarge(f"{name} gives more than {limits.max_text_chars} characters of text")
    return FileText(text, "txt", encoding, lines, notes)


# --------------------------------------------------------------------------- #
# XLSX

_RELATIONSHIP = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTRIBUTE = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_HYPERLINK_FORMULA = re.compile(
    rb"HYPERLINK\(\s*(?:\"|&quot;)([^\"&<>]{1,2048})(?:\"|&quot;)", re.IGNORECASE
)
_MAX_RELS_BYTES = 4 * 1024 * 1024


def _zip_guard(name: str, archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Refuse ZIP bombs using the sizes the archive declares, before unpacking.

    zipfile never yields more than a member's declared size (and checks the
    CRC), so the declared sizes bound what openpyxl can read.
    """
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise TooLarge(
            f"{name} has {len(infos)} archive members, over the limit of {MAX_ZIP_MEMBERS}"
        )
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise TooLarge(
            f"{name} would unpack to {total} bytes, over the limit of "
            f"{limits.max_uncompressed_bytes} bytes"
        )
    for info in infos:
        if info.flag_bits & 0x1:
            raise BadInput(f"{name} is password-protected")
        if info.file_size < RATIO_EXEMPT_BYTES:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_compression_ratio:
            raise TooLarge(
                f"{name}: member {info.filename!r} is compressed {ratio:.0f}:1 "
                f"({info.compress_size} bytes unpack to {info.file_size}), over the "
                f"limit of {limits.max_compression_ratio:g}:1"
            )
    return infos


def _sheet_links(archive: zipfile.ZipFile, sheet_path: str, names: set[str]) -> list[str]:
    """External hyperlink targets of one sheet, and HYPERLINK() formula targets.

    openpyxl's read-only mode does not expose cell hyperlinks, so they are
    read here from the sheet's relationship part and its formulas.
    """
    links: list[str] = []
    folder, _, base = sheet_path.rpartition("/")
    rels_path = f"{folder}/_rels/{base}.rels"
    if rels_path in names and archive.getinfo(rels_path).file_size <= _MAX_RELS_BYTES:
        rels = archive.read(rels_path).decode("utf-8", "replace")
        for match in _RELATIONSHIP.finditer(rels):
            attrs = {
                k.rsplit(":", 1)[-1]: html.unescape(v1 or v2)
                for k, v1, v2 in _ATTRIBUTE.findall(match.group(1))
            }
            if attrs.get("Type", "").endswith("/hyperlink") and attrs.get("Target"):
                links.append(attrs["Target"])
    if sheet_path in names:
        tail = b""
        with archive.open(sheet_path) as src:
            while True:
                chunk = src.read(1024 * 1024)
                if not chunk:
                    break
                window = tail + chunk
                for found in _HYPERLINK_FORMULA.finditer(window):
                    if found.end() > len(tail):
                        links.append(html.unescape(found.group(1).decode("utf-8", "replace")))
                tail = window[-4096:]
    unique: list[str] = []
    for link in links:
        link = link.strip()
        if link and link not in unique:
            unique.append(link)
    return unique


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return _cell(str(value))


def _xlsx(name: str, data: bytes, limits: Limits) -> FileText:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, NotImplementedError, struct.error ...
        raise BadInput(f"{name} is a broken ZIP/XLSX file: {exc}") from None
    with archive:
        _zip_guard(name, archive, limits)
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            what = "a Word document" if "word/document.xml" in names else "a ZIP archive"
            raise _not_supported(name, what)
        notes: list[str] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                text, rows = _read_workbook(name, archive, names, data, limits, notes)
        except (TooLarge, BadInput):
            raise
        except Exception as exc:
            raise BadInput(f"{name} is a broken XLSX file: {type(exc).__name__}: {exc}") from None
        for item in caught:
            message = f"{name}: {item.message}"
            if message not in notes and len(notes) < _MAX_WARNINGS:
                notes.append(message)
        return FileText(text, "xlsx", None, rows, notes)


def _read_workbook(
    name: str,
    archive: zipfile.ZipFile,
    names: set[str],
    data: bytes,
    limits: Limits,
    notes: list[str],
) -> tuple[str, int]:
    import openpyxl

    workbook = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True, keep_links=False
    )
    out = _Output(name, limits)
    rows = 0
    cells = 0
    cell_budget = max(limits.max_rows, 1) * CELLS_PER_ROW_BUDGET
    try:
        for sheet in workbook.worksheets:
            out.add(f"# {sheet.title}")
            sheet.reset_dimensions()
            seen_text: list[str] = []
            for row in sheet.iter_rows(values_only=True):
                rows += 1
                cells += len(row)
                if rows > limits.max_rows:
                    raise TooLarge(f"{name} has more than {limits.max_rows} rows")
                if cells > cell_budget:
                    raise TooLarge(f"{name} has more than {cell_budget} cells")
                values = [_value_text(v) for v in row]
                while values and not values[-1]:
                    values.pop()
                if values:
                    line = "\t".join(values)
                    out.add(line)
                    seen_text.append(line)
            sheet_path = getattr(sheet, "_worksheet_path", None)
            if isinstance(sheet_path, str):
                joined = "\n".join(seen_text)
                links = [u for u in _sheet_links(archive, sheet_path, names) if u not in joined]
                if links:
                    out.add("Hyperlinks:")
                    for link in links:
                        out.add(link)
    finally:
        workbook.close()
    return out.text(), rows


# --------------------------------------------------------------------------- #
# PDF


def _resolve(obj: Any) -> Any:
    getter = getattr(obj, "get_object", None)
    return getter() if callable(getter) else obj


def _page_links(page: Any) -> Iterator[str]:
    annots = _resolve(page.get("/Annots"))
    if not isinstance(annots, Iterable):
        return
    for count, ref in enumerate(annots):
        if count >= _MAX_LINKS_PER_PAGE:
            return
        annot = _resolve(ref)
        if not hasattr(annot, "get") or annot.get("/Subtype") != "/Link":
            continue
        action = _resolve(annot.get("/A"))
        if hasattr(action, "get"):
            uri = _resolve(action.get("/URI"))
            if uri is not None:
                text = str(uri).strip()
                if text:
                    yield text


def _pdf(name: str, data: bytes, limits: Limits) -> FileText:
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text, pages = _read_pdf(name, data, limits, notes)
    for item in caught:
        message = f"{name}: {item.message}"
        if message not in notes and len(notes) < _MAX_WARNINGS:
            notes.append(message)
    return FileText(text, "pdf", None, pages, notes)


def _read_pdf(name: str, data: bytes, limits: Limits, notes: list[str]) -> tuple[str, int]:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception:
                opened = False
            if not opened:
                raise BadInput(
                    f"{name} is an encrypted PDF; ask the sender for a copy without a password"
                )
            notes.append(f"{name} is encrypted with an empty password; read anyway")
        pages = reader.pages
        count = len(pages)
    except BadInput:
        raise
    except Exception as exc:
        raise BadInput(f"{name} is a broken PDF: {type(exc).__name__}: {exc}") from None
    if count > MAX_PDF_PAGES:
        raise TooLarge(f"{name} has {count} pages, over the limit of {MAX_PDF_PAGES} pages")
    out = _Output(name, limits)
    for number in range(count):
        try:
            page = pages[number]
        except Exception as exc:
            notes.append(f"{name}: page {number + 1} could not be read ({exc})")
            continue
        try:
            page_text = page.extract_text() or ""
        except Exception as exc:
            notes.append(f"{name}: no text from page {number + 1} ({type(exc).__name__})")
            page_text = ""
        try:
            links = list(_page_links(page))
        except Exception as exc:
            notes.append(f"{name}: links of page {number + 1} could not be read ({exc})")
            links = []
        page_text = clean_text(page_text).strip()
        if page_text:
            out.add(page_text)
        missing = [link for link in dict.fromkeys(links) if link not in page_text]
        if missing:
            out.add("Links:")
            for link in missing:
                out.add(link)
    if count == 0:
        notes.append(f"{name} has no pages")
    return out.text(), count
