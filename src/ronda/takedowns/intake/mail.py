"""Parse one raw e-mail message into the fields the takedown desk needs.

``parse_message`` is total: on any input up to ``limits.max_raw_bytes`` it
returns a :class:`ParsedMail`, and everything that was wrong with the input is
listed in ``defects`` as a sentence a person can read. The only exception is
:class:`~ronda.errors.TooLarge` for input over the raw size limit.

The standard library's ``email`` package (``compat32`` policy, which never
raises on bad headers) gives the MIME tree; every header and body is decoded
here with the fallback chain of :mod:`._text`.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import collapse_rfc2231_value, getaddresses, parsedate_to_datetime

from ronda.config import Limits
from ronda.errors import TooLarge

from ._html import html_to_text
from ._text import clean_text, decode_bytes

__all__ = ["Attachment", "ParsedMail", "parse_message"]

MAX_PARTS = 500
"""MIME parts read per message; the rest are skipped with a defect."""

MAX_DEPTH = 12
"""Nesting of multiparts and forwarded messages read per message."""

_MAX_FILENAME = 200


@dataclass(frozen=True)
class Attachment:
    """One attached file. ``data`` is empty when ``skipped_reason`` is set."""

    filename: str
    content_type: str
    data: bytes
    size: int
    skipped_reason: str | None = None


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    from_address: str | None
    from_name: str | None
    to: list[str]
    subject: str
    date: datetime | None
    text: str
    attachments: list[Attachment]
    defects: list[str]


# --------------------------------------------------------------------------- #
# Header decoding


_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINES = re.compile(r"[\r\n]+")
_MSGID = re.compile(r"<([^<>\s]+)>")
_B64_ALPHABET = re.compile(rb"[^A-Za-z0-9+/]")
_B64_WS = re.compile(rb"[\s=]")


def _b64decode(data: bytes) -> tuple[bytes, bool]:
    """Tolerant base64: returns the bytes and whether the input was broken."""
    stripped = _B64_WS.sub(b"", data)
    cleaned = _B64_ALPHABET.sub(b"", stripped)
    broken = len(cleaned) != len(stripped)
    # Padding inside the data (concatenated chunks) is dropped, not honoured.
    rest = len(cleaned) % 4
    if rest == 1:
        cleaned = cleaned[:-1]
        broken = True
    elif rest:
        cleaned += b"=" * (4 - rest)
    try:
        return binascii.a2b_base64(cleaned), broken
    except binascii.Error:
        return b"", True


def _to_bytes(value: str) -> bytes:
    """Undo the parser's ``surrogateescape`` decoding."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def _unfold(value: str, problems: list[str] | None = None) -> str:
    """Unfold a raw header value and decode raw 8-bit bytes in it."""
    value = _NEWLINES.sub(" ", _FOLD.sub("", value))
    if not value.isascii():
        decoded = decode_bytes(_to_bytes(value))
        value = decoded.text
        if problems is not None and decoded.problem:
            problems.append(decoded.problem)
    return value


def decode_header_value(value: str, problems: list[str] | None = None) -> str:
    """Unfold a raw header value, decode 8-bit bytes and RFC 2047 words."""
    value = _unfold(value, problems)
    out: list[str] = []
    pos = 0
    pending: tuple[str, bytearray] | None = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            charset, data = pending
            decoded = decode_bytes(bytes(data), charset)
            if problems is not None and decoded.problem:
                problems.append(f"encoded word {decoded.problem}")
            out.append(decoded.text)
            pending = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if pending is None or between.strip():
            flush()
            out.append(between)
        charset, enc, payload = match.group(1), match.group(2).lower(), match.group(3)
        if enc == "b":
            data, broken = _b64decode(payload.encode("ascii", "replace"))
            if broken and problems is not None:
                problems.append("broken base64 in an encoded word")
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
        charset_key = charset.lower()
        if pending is not None and pending[0] == charset_key:
            pending[1].extend(data)
        else:
            flush()
            pending = (charset_key, bytearray(data))
        pos = match.end()
    flush()
    out.append(value[pos:])
    return clean_text("".join(out)).replace("\n", " ").strip()


class _Headers:
    """Raw headers of one part, looked up case-insensitively."""

    def __init__(self, msg: Message) -> None:
        self.items: list[tuple[str, str]] = []
        try:
            for name, value in msg.raw_items():
                self.items.append((str(name), value if isinstance(value, str) else str(value)))
        except Exception:  # a header object the parser could not make
            self.items = []

    def all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.items if k.lower() == lname]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None


def _addresses(value: str) -> list[tuple[str, str]]:
    try:
        pairs = getaddresses([value])
    except Exception:
        return []
    result: list[tuple[str, str]] = []
    for name, addr in pairs:
        addr = addr.strip()
        local, at, domain = addr.rpartition("@")
        if not at or not local or not domain or any(c.isspace() for c in addr):
            continue
        result.append((name, addr.lower()))
    return result


def _first_msgid(value: str | None) -> str | None:
    if value is None:
        return None
    value = _FOLD.sub("", value).strip()
    match = _MSGID.search(value)
    if match:
        return match.group(1)[:998]
    tokens = value.strip("<>").split()
    return tokens[0][:998] if tokens else None


def _all_msgids(value: str | None) -> list[str]:
    if value is None:
        return []
    value = _FOLD.sub("", value)
    ids = _MSGID.findall(value)
    if not ids:
        ids = [t.strip("<>,") for t in value.split() if t.strip("<>,")]
    return [i[:998] for i in ids]


# Indonesian month and zone names, as typed by hand into Date headers.
_ID_MONTHS = {
    "januari": "Jan", "februari": "Feb", "pebruari": "Feb", "peb": "Feb", "maret": "Mar",
    "mei": "May", "juni": "Jun", "juli": "Jul", "agustus": "Aug", "agu": "Aug",
    "agt": "Aug", "agus": "Aug", "oktober": "Oct", "okt": "Oct", "nopember": "Nov",
    "nop": "Nov", "november": "Nov", "desember": "Dec", "des": "Dec", "april": "Apr",
    "september": "Sep",
}  # fmt: skip
_ID_ZONES = {"wib": "+0700", "wita": "+0800", "wit": "+0900"}
_WORD = re.compile(r"[A-Za-z]+")


def _parse_date(value: str) -> tuple[datetime | None, str | None]:
    value = _NEWLINES.sub(" ", _FOLD.sub("", value)).strip()
    if not value:
        return None, "empty Date header"
    candidates = [value]

    def localise(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        return _ID_MONTHS.get(low) or _ID_ZONES.get(low) or word

    localised = _WORD.sub(localise, value)
    if localised != value:
        candidates.append(localised)
    for candidate in candidates:
        try:
            parsed = parsedate_to_datetime(candidate)
        except (ValueError, TypeError, IndexError, OverflowError):
            continue
        if parsed.tzinfo is None:
            return (
                parsed.replace(tzinfo=UTC),
                f"Date header has no time zone; assumed UTC: {value[:80]!r}",
            )
        return parsed, None
    return None, f"unparseable Date header: {value[:80]!r}"


# --------------------------------------------------------------------------- #
# Defects reported by the email package

_DEFECT_TEXT: dict[type[email_errors.MessageDefect], str] = {
    email_errors.StartBoundaryNotFoundDefect: "malformed MIME: multipart start boundary not found",
    email_errors.CloseBoundaryNotFoundDefect: (
        "malformed MIME: multipart close boundary missing (unterminated multipart)"
    ),
    email_errors.FirstHeaderLineIsContinuationDefect: (
        "malformed MIME: first header line is a continuation line"
    ),
    email_errors.MisplacedEnvelopeHeaderDefect: (
        "malformed MIME: a 'From ' envelope line among the headers"
    ),
    email_errors.MissingHeaderBodySeparatorDefect: (
        "malformed MIME: a line that is not a header among the headers; the rest was read as body"
    ),
    email_errors.MultipartInvariantViolationDefect: (
        "malformed MIME: multipart content type but no parts"
    ),
    email_errors.NoBoundaryInMultipartDefect: (
        "malformed MIME: multipart without a boundary parameter"
    ),
    email_errors.InvalidMultipartContentTransferEncodingDefect: (
        "malformed MIME: multipart with a transfer encoding other than 7bit, 8bit or binary"
    ),
}


def _describe_defect(defect: object) -> str:
    for cls, text in _DEFECT_TEXT.items():
        if isinstance(defect, cls):
            return text
    name = type(defect).__name__.removesuffix("Defect")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    detail = str(defect)
    return f"malformed MIME: {words}" + (f" ({detail[:120]})" if detail else "")


# --------------------------------------------------------------------------- #
# Repairing header blocks before parsing

_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_SPACED_HEADER = re.compile(rb"^([A-Za-z][A-Za-z0-9-]*)[ \t]+:")
_BLANK = re.compile(rb"\r?\n\r?\n")


def _repair_headers(raw: bytes) -> tuple[bytes, list[str]]:
    """Fix a few stray lines in an otherwise good header block.

    The parser stops reading headers at the first line that is not one, so a
    single junk line would hide From, Subject and the MIME structure. When
    the block starts with a header, has at most two bad lines, and has real
    headers after them, the bad lines are moved to the top of the body and
    "Name :" is rewritten to "Name:". Otherwise the input is left alone.
    """
    match = _BLANK.search(raw)
    head = raw[: match.start()] if match else raw
    if len(head) > 1024 * 1024:
        return raw, []
    lines = head.splitlines(keepends=True)
    if not lines or not (_HEADER_LINE.match(lines[0]) or _SPACED_HEADER.match(lines[0])):
        return raw, []
    good: list[bytes] = []
    junk: list[bytes] = []
    notes: list[str] = []
    last_junk = -1
    last_header = -1
    for index, line in enumerate(lines):
        spaced = _SPACED_HEADER.match(line)
        if _HEADER_LINE.match(line) or (index == 0 and line.startswith(b"From ")):
            good.append(line)
            last_header = index
        elif line[:1] in (b" ", b"\t") and good:
            good.append(line)
        elif spaced:
            good.append(spaced.group(1) + b":" + line[spaced.end() :])
            last_header = index
            name = spaced.group(1).decode("ascii")
            notes.append(f"malformed header: space before the colon in {name!r}")
        else:
            junk.append(line)
            last_junk = index
    if not junk and not notes:
        return raw, []
    if len(junk) > 2 or (junk and last_header < last_junk):
        return raw, []
    for line in junk:
        shown = line.strip().decode("ascii", "replace")[:80]
        notes.append(f"malformed header line moved to the body: {shown!r}")
    body = raw[match.end() :] if match else b""
    newline = b"\r\n" if b"\r\n" in head else b"\n"
    repaired = b"".join(good)
    if not repaired.endswith(b"\n"):
        repaired += newline
    extra = b"".join(j if j.endswith(b"\n") else j + newline for j in junk)
    return repaired + newline + extra + body, notes


# --------------------------------------------------------------------------- #
# Walking the MIME tree

_GENERATED_EXT = {
    "text/csv": ".csv",
    "text/plain": ".txt",
    "text/html": ".html",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "message/rfc822": ".eml",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
_BAD_FILENAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)


def _sanitize_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD_FILENAME_CHARS.sub("_", name).strip(" .")
    if len(name) > _MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: _MAX_FILENAME - len(ext) - 1] + "." + ext
        else:
            name = name[:_MAX_FILENAME]
    return name


@dataclass
class _Capture:
    texts: list[str]
    links: list[str]


class _Walker:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.capture = _Capture([], [])
        self.attachments: list[Attachment] = []
        self.defects: list[str] = []
        self.parts = 0
        self._limit_noted = False

    def defect(self, text: str, where: str = "") -> None:
        text = f"{where}{text}"
        if text not in self.defects:
            self.defects.append(text)

    # -- helpers ------------------------------------------------------------

    @staticmethod
    def _content_type(part: Message) -> str:
        try:
            ctype = part.get_content_type()
        except Exception:
            return "application/octet-stream"
        return (
            ctype
            if re.fullmatch(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+", ctype)
            else ("application/octet-stream")
        )

    @staticmethod
    def _param(part: Message, name: str, header: str = "content-type") -> str | None:
        try:
            value = part.get_param(name, header=header)
        except Exception:
            return None
        if value is None or isinstance(value, bool):
            return None
        try:
            collapsed = collapse_rfc2231_value(value)
        except Exception:
            return None
        return str(collapsed)

    def _disposition(self, part: Message) -> str | None:
        value = _Headers(part).first("content-disposition")
        if value is None:
            return None
        return _FOLD.sub("", value).split(";", 1)[0].strip().lower() or None

    def _filename(self, part: Message, where: str) -> str | None:
        raw = self._param(part, "filename", "content-disposition")
        if raw is None:
            raw = self._param(part, "name")
        if raw is None:
            return None
        problems: list[str] = []
        name = decode_header_value(raw, problems)
        for problem in problems:
            self.defect(f"attachment filename {problem}", where)
        return _sanitize_filename(name) or None

    def _payload_bytes(self, part: Message, where: str) -> bytes:
        # The raw payload, not get_payload(): that one already decodes 8-bit
        # bytes with replacement characters when the charset is missing.
        payload = getattr(part, "_payload", None)
        if not isinstance(payload, str):
            return b""
        raw = _to_bytes(payload)
        cte_value = _Headers(part).first("content-transfer-encoding")
        cte = _FOLD.sub("", cte_value).strip().lower() if cte_value else ""
        if cte == "base64":
            data, broken = _b64decode(raw)
            if broken:
                self.defect("broken base64 in a MIME part; decoded what could be decoded", where)
            return data
        if cte == "quoted-printable":
            try:
                return binascii.a2b_qp(raw)
            except (binascii.Error, ValueError):
                self.defect("broken quoted-printable in a MIME part", where)
                return raw
        if cte in ("", "7bit", "8bit", "binary"):
            return raw
        if cte in ("x-uuencode", "uuencode", "x-uue", "uue"):
            try:
                decoded = part.get_payload(decode=True)
            except Exception:
                decoded = None
            if isinstance(decoded, bytes):
                return decoded
        self.defect(f"unknown Content-Transfer-Encoding {cte[:40]!r}; read as is", where)
        return raw

    # -- the walk -----------------------------------------------------------

    def walk(self, part: Message, depth: int, where: str = "") -> None:
        self.parts += 1
        if self.parts > MAX_PARTS or depth > MAX_DEPTH:
            if not self._limit_noted:
                self._limit_noted = True
                self.defect(
                    f"message has more than {MAX_PARTS} MIME parts or is nested deeper "
                    f"than {MAX_DEPTH} levels; the rest was not read"
                )
            return
        for found in getattr(part, "defects", []) or []:
            self.defect(_describe_defect(found), where)
        ctype = self._content_type(part)
        try:
            payload = part.get_payload()
        except Exception:
            payload = ""
        if ctype == "message/rfc822":
            self._message_part(part, payload, depth, where)
        elif isinstance(payload, list):
            children = [c for c in payload if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                self._alternative(children, depth, where)
            else:
                for child in children:
                    self.walk(child, depth + 1, where)
        else:
            self._leaf(part, ctype, depth, where)

    def _message_part(self, part: Message, payload: object, depth: int, where: str) -> None:
        inner: list[Message] = []
        cte_value = _Headers(part).first("content-transfer-encoding") or ""
        cte = _FOLD.sub("", cte_value).strip().lower()
        if isinstance(payload, list) and cte in ("base64", "quoted-printable"):
            # Not allowed by MIME, sent anyway: the parser read the encoded
            # text as a message; decode it and parse again.
            encoded = b""
            for message in payload:
                if isinstance(message, Message):
                    try:
                        encoded += message.as_bytes(unixfrom=False)
                    except Exception:
                        self.defect("forwarded message could not be read", where)
            if cte == "base64":
                data, _ = _b64decode(encoded)
            else:
                data = binascii.a2b_qp(encoded)
            self.defect(f"forwarded message sent with {cte} transfer encoding", where)
            try:
                inner = [BytesParser(policy=email_policy.compat32).parsebytes(data)]
            except Exception:
                self.defect("forwarded message could not be parsed", where)
        elif isinstance(payload, list):
            inner = [m for m in payload if isinstance(m, Message)]
        elif isinstance(payload, str):
            # A forwarded message sent base64-encoded: decode and parse it.
            data = self._payload_bytes(part, where)
            try:
                inner = [BytesParser(policy=email_policy.compat32).parsebytes(data)]
            except Exception:
                self.defect("forwarded message could not be parsed", where)
        for message in inner:
            self._forwarded(message, depth + 1, where)

    def _forwarded(self, message: Message, depth: int, where: str) -> None:
        headers = _Headers(message)
        lines = ["---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To", "Cc"):
            value = headers.first(name)
            if value is not None:
                lines.append(f"{name}: {decode_header_value(value)}")
        saved = self.capture
        self.capture = _Capture([], [])
        try:
            self.walk(message, depth, "forwarded message: ")
            inner = self.capture
        finally:
            self.capture = saved
        self.capture.texts.append("\n".join(lines) + "\n\n" + "\n\n".join(inner.texts))
        self.capture.links.extend(inner.links)

    @staticmethod
    def _has_plain(part: Message, depth: int = 0) -> bool:
        if depth > MAX_DEPTH:
            return False
        try:
            payload = part.get_payload()
            ctype = part.get_content_type()
        except Exception:
            return False
        if isinstance(payload, list):
            if ctype == "message/rfc822":
                return False
            return any(isinstance(c, Message) and _Walker._has_plain(c, depth + 1) for c in payload)
        value = _Headers(part).first("content-disposition") or ""
        return ctype == "text/plain" and not value.strip().lower().startswith("attachment")

    def _alternative(self, children: list[Message], depth: int, where: str) -> None:
        """Read the plain-text version; from the others keep links and files."""
        if not children:
            return
        primary_index = next(
            (i for i, c in enumerate(children) if self._has_plain(c)), len(children) - 1
        )
        self.walk(children[primary_index], depth + 1, where)
        primary_text = "\n".join(self.capture.texts)
        saved = self.capture
        for index, child in enumerate(children):
            if index == primary_index:
                continue
            self.capture = _Capture([], [])
            try:
                self.walk(child, depth + 1, where)
                other = self.capture
            finally:
                self.capture = saved
            missing = []
            for link in other.links:
                if link not in primary_text and link not in missing:
                    missing.append(link)
            if missing:
                self.capture.texts.append("Links in the HTML version:\n" + "\n".join(missing))
            self.capture.links.extend(other.links)

    def _leaf(self, part: Message, ctype: str, depth: int, where: str) -> None:
        disposition = self._disposition(part)
        filename = self._filename(part, where)
        if ctype.startswith("multipart/"):
            self.defect(f"malformed MIME: {ctype} without parts; read as text", where)
            ctype = "text/plain"
        is_body = (
            ctype in ("text/plain", "text/html")
            and disposition != "attachment"
            and filename is None
        )
        if not is_body:
            self._attachment(part, ctype, filename, where)
            return
        data = self._payload_bytes(part, where)
        charset = self._param(part, "charset")
        if charset is None and ctype == "text/html":
            meta = _META_CHARSET.search(data[:4096])
            if meta:
                charset = meta.group(1).decode("ascii")
        decoded = decode_bytes(data, charset)
        label = "HTML body" if ctype == "text/html" else "body"
        if decoded.problem:
            self.defect(f"{label} {decoded.problem}", where)
        if ctype == "text/html":
            text, links = html_to_text(decoded.text)
            self.capture.links.extend(links)
        else:
            text = clean_text(decoded.text).strip("\n")
        if text.strip():
            self.capture.texts.append(text)

    def _attachment(self, part: Message, ctype: str, filename: str | None, where: str) -> None:
        if filename is None:
            filename = f"attachment-{len(self.attachments) + 1}{_GENERATED_EXT.get(ctype, '.bin')}"
        data = self._payload_bytes(part, where)
        size = len(data)
        limit = self.limits.max_attachment_bytes
        if size > limit:
            reason = f"attachment is {size} bytes, over the limit of {limit} bytes"
            self.defect(f"attachment {filename!r} skipped: {reason}", where)
            self.attachments.append(Attachment(filename, ctype, b"", size, reason))
            return
        self.attachments.append(Attachment(filename, ctype, data, size, None))


# --------------------------------------------------------------------------- #
# Entry point


def _parse(raw: bytes) -> tuple[Message, list[str]]:
    repaired, notes = _repair_headers(raw)
    try:
        return BytesParser(policy=email_policy.compat32).parsebytes(repaired), notes
    except Exception as exc:  # RecursionError on absurd nesting, and the like
        notes.append(
            f"malformed MIME: structure could not be parsed ({type(exc).__name__}); "
            "headers and body were read as plain text"
        )
    match = _BLANK.search(repaired)
    head = repaired[: match.start()] if match else repaired
    body = repaired[match.end() :] if match else b""
    message = HeaderParser(policy=email_policy.compat32).parsestr(
        head.decode("ascii", "surrogateescape") + "\n\n"
    )
    for name in ("Content-Type", "Content-Transfer-Encoding"):
        del message[name]
    message.set_payload(body.decode("ascii", "surrogateescape"))
    return message, notes


def parse_message(raw: bytes, *, limits: Limits) -> ParsedMail:
    """Parse a raw RFC 5322 message; never raises except TooLarge."""
    raw = bytes(raw)
    if len(raw) > limits.max_raw_bytes:
        raise TooLarge(
            f"message is {len(raw)} bytes, over the limit of {limits.max_raw_bytes} bytes"
        )
    message, notes = _parse(raw)
    defects: list[str] = list(notes)
    headers = _Headers(message)
    if not headers.items:
        defects.append("no headers found; the whole input was read as body")

    def single(name: str) -> str | None:
        values = headers.all(name)
        if not values:
            return None
        if len(values) > 1:
            defects.append(f"{len(values)} {name} headers; the first one was used")
        return values[0]

    def text_header(name: str, value: str) -> str:
        problems: list[str] = []
        decoded = decode_header_value(value, problems)
        defects.extend(f"{name} header {p}" for p in problems)
        return decoded

    # From
    from_address: str | None = None
    from_name: str | None = None
    from_raw = single("From")
    if from_raw is None:
        defects.append("missing From header")
    else:
        problems: list[str] = []
        found = _addresses(_unfold(from_raw, problems))
        defects.extend(f"From header {p}" for p in problems)
        if not found:
            defects.append(f"unparseable From header: {decode_header_value(from_raw)[:120]!r}")
        else:
            if len(found) > 1:
                defects.append("From header has several addresses; the first one was used")
            name, from_address = found[0]
            from_name = decode_header_value(name) or None

    to: list[str] = []
    for value in headers.all("To"):
        for _, addr in _addresses(_unfold(value)):
            if addr not in to:
                to.append(addr)

    subject_raw = single("Subject")
    subject = text_header("Subject", subject_raw) if subject_raw is not None else ""

    message_id_raw = single("Message-ID")
    message_id = _first_msgid(message_id_raw)
    if message_id is None:
        defects.append("missing Message-ID header")

    date: datetime | None = None
    date_raw = single("Date")
    if date_raw is None:
        defects.append("missing Date header")
    else:
        date, problem = _parse_date(decode_header_value(date_raw))
        if problem:
            defects.append(problem)

    walker = _Walker(limits)
    walker.walk(message, 0)
    defects.extend(d for d in walker.defects if d not in defects)
    text = "\n\n".join(t for t in walker.capture.texts if t.strip())
    if len(text) > limits.max_text_chars:
        defects.append(
            f"text is {len(text)} characters; cut at the limit of {limits.max_text_chars}"
        )
        text = text[: limits.max_text_chars]

    return ParsedMail(
        message_id=message_id,
        in_reply_to=_first_msgid(single("In-Reply-To")),
        references=_all_msgids(" ".join(headers.all("References")) or None),
        from_address=from_address,
        from_name=from_name,
        to=to,
        subject=subject,
        date=date,
        text=text,
        attachments=walker.attachments,
        defects=defects,
    )
