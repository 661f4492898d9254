"""Find Telegram references in free text and turn them into canonical subjects.

Why a hand-made parser: takedown orders arrive as e-mails, PDFs and
spreadsheets written by people, not as clean URL lists. The same channel shows
up as ``https://t.me/Foo``, ``t.me/s/foo``, ``@foo``, ``hxxps[:]//t[.]me/foo``
or ``tg://resolve?domain=foo``; each must collapse to one subject, and what is
not a usable reference must be reported with a reason a human can act on
rather than silently dropped.

How: the text is folded first (see ``_text``), then ONE compiled regex with
three branches (``tg:`` URIs, Telegram-host URLs, ``@mentions``) scans it in a
single pass. Every repetition in it is possessive, so no input can make it
backtrack catastrophically; the Python work afterwards is per match, never
per character. Each match is then checked against Telegram's rules
(https://core.telegram.org/api/links): reserved first path segments,
username syntax, numeric ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from urllib.parse import parse_qsl, unquote

from ronda.links._model import Invalid, Kind, Reference
from ronda.links._text import INVISIBLE, Folded

__all__ = ["canonicalize", "extract", "parse"]

# --- the scanner ----------------------------------------------------------------

# A dot in a host name, written plainly or defanged.
_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|(?i:\[dot\]|\(dot\)|\{dot\}))"
# Inside the Telegram host only, ``t dot me`` is accepted as well.
_HOST_DOT = r"(?:" + _DOT + r"|(?i:\x20dot\x20))"
# ``://`` after a scheme, written plainly or defanged.
_COLON = r"(?::|\[:\]|\(:\)|\{:\})"
_SCHEME_SEP = r"(?:" + _COLON + r"//|\[://\])"
# A path segment: wide enough to carry what a human may have mistyped in a
# username or id, so it can be reported; narrow enough to stop at punctuation.
_SEG = r"[A-Za-z0-9_+%$\-]"
# Query and fragment characters: everything up to white space, quotes,
# brackets and list separators.
_TAIL = r"""[^\s<>"'`,;()\[\]{}|\\^“”‘’«»‹›…]"""
# A link may not continue a word, a path or an e-mail address. The scanner has
# already consumed the link's first character when this is checked, hence the
# extra ".". A dot before a link is allowed here and judged in Python
# (``_host_prefix``): "1.t.me/x" is a numbered list, "durov.t.me" a username.
_BOUNDARY = r"(?<![\w@/\\\-].)"
_HOST = (
    r"(?:(?i:www)" + _DOT + r")?"
    r"(?:(?i:telegram)" + _HOST_DOT + r"(?i:me|dog)|(?i:t)" + _HOST_DOT + r"(?i:me))"
)

# The pattern starts with one character class, so the regex engine can skip to
# candidate characters at C speed; each branch then checks with a lookbehind
# which character it started on.
_PATTERN = rf"""
[@hHtTwW]
(?:
    (?<=@) (?<![\w@+%&=\#/\\$!^{{|}}\-]@) (?<![A-Za-z_]\.@)
    (?P<name>[A-Za-z0-9_]++)
    (?! [\w@] | \.[A-Za-z0-9] )
  |
    (?<=[tT]) {_BOUNDARY}
    (?P<tg>[gG]) {_COLON}
    (?: //(?P<tg_name>[A-Za-z_]++)/? | (?P<tg_bare>[A-Za-z_]++)(?=\?) )
    (?P<tg_tail>\?{_TAIL}*+)?
  |
    {_BOUNDARY}
    (?: (?<=[hH]) (?P<scheme>(?i:tt|xx)(?i:ps?)) {_SCHEME_SEP} {_HOST}
      | (?<=[wW]) (?P<www>(?i:ww)) {_DOT}
        (?:(?i:telegram){_HOST_DOT}(?i:me|dog)|(?i:t){_HOST_DOT}(?i:me))
      | (?<=[tT]) (?:(?i:elegram){_HOST_DOT}(?i:me|dog)|{_HOST_DOT}(?i:me)) )
    (?! [A-Za-z0-9_\-] | {_DOT}[A-Za-z0-9] )
    (?P<path>(?:/{_SEG}*+)*+)
    (?P<tail>[?\#]{_TAIL}*+)?
    (?!@)
)
"""
_SCANNER = re.compile(_PATTERN, re.VERBOSE)

# What may stand just before a host that the scanner matched on its own: an
# optional scheme and one label, then a dot ("https://durov.t.me").
_HOST_PREFIX = re.compile(
    r"(?<![\w@/\\.\-])(?:(?P<scheme>(?i:h(?:tt|xx)ps?))"
    + _SCHEME_SEP
    + r")?(?P<label>[A-Za-z0-9_\-]++)"
    + _DOT
    + r"\Z"
)
_PREFIX_WINDOW = 80  # longest scheme + 32-character label + defanged dot, with room

# Trailing characters that end a sentence rather than a link.
_TRAILING = ".,;:!?)]}>'\"…“”‘’«»‹›*"
# Leading characters tolerated around a lone value given to ``parse``.
_LEADING = "([{<'\"“‘«‹*"

# --- Telegram's rules -------------------------------------------------------------

# First path segments of t.me that are not usernames
# (core.telegram.org/api/links, plus the older share/msg/iv/bg/dl forms).
RESERVED_PATHS = frozenset(
    {
        "a",
        "addemoji",
        "addlist",
        "addstickers",
        "addstyle",
        "addtheme",
        "auction",
        "auth",
        "bg",
        "boost",
        "call",
        "confirmphone",
        "contact",
        "dl",
        "giftcode",
        "invoice",
        "iv",
        "joinchat",
        "k",
        "login",
        "m",
        "msg",
        "nft",
        "proxy",
        "setlanguage",
        "share",
        "socks",
        "web",
        "z",
    }
)

# Usernames: a letter, then letters, digits and single underscores, not ending
# with an underscore. Length (5-32) is checked separately.
_USERNAME = re.compile(r"[A-Za-z](?:_?[A-Za-z0-9])*+")
_HASH = re.compile(r"[A-Za-z0-9_\-]++")
_MIN_USERNAME, _MAX_USERNAME = 5, 32
_MAX_MESSAGE_ID = 2**31 - 1  # MTProto message ids are 32-bit
_MAX_CHANNEL_ID = 2**63 - 1  # MTProto peer ids are 64-bit


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _username_problem(name: str) -> str | None:
    """Why ``name`` is not a valid username, or None when it is one."""
    size = len(name)
    if _MIN_USERNAME <= size <= _MAX_USERNAME and _USERNAME.fullmatch(name):
        if name.lower() in RESERVED_PATHS:  # only reachable from @mentions and tg://
            return f"reserved name '{name.lower()}'"
        return None
    if not name:
        return "link has no channel name"
    for char in name:
        if not (char.isascii() and (char.isalnum() or char == "_")):
            return f"username contains invalid character '{char}'"
    if not name[0].isalpha():
        return "username must start with a letter"
    if size < _MIN_USERNAME:
        return f"username too short ({_plural(size, 'character')})"
    if size > _MAX_USERNAME:
        return f"username too long ({_plural(size, 'character')})"
    if name.endswith("_"):
        return "username must not end with an underscore"
    return "username must not contain consecutive underscores"


def _number(text: str, what: str, limit: int) -> int | str:
    """The positive integer in ``text``, or the reason it is not one."""
    if not (text.isascii() and text.isdigit()):
        return f"{what} is not a number"
    digits = text.lstrip("0")
    if not digits:
        return f"{what} must be positive"
    if len(digits) > len(str(limit)) or int(digits) > limit:
        return f"{what} is too large"
    return int(digits)


def _channel(raw: str, name: str) -> Reference | Invalid:
    problem = _username_problem(name)
    if problem is not None:
        return Invalid(raw, problem)
    username = name.lower()
    return Reference(Kind.CHANNEL, "https://t.me/" + username, raw, username=username)


def _post(raw: str, name: str, post: str, thread: str | None = None) -> Reference | Invalid:
    problem = _username_problem(name)
    if problem is not None:
        return Invalid(raw, problem)
    if thread is not None:
        topic = _number(thread, "topic id", _MAX_MESSAGE_ID)
        if isinstance(topic, str):
            return Invalid(raw, topic)
    post_id = _number(post, "post id", _MAX_MESSAGE_ID)
    if isinstance(post_id, str):
        return Invalid(raw, post_id)
    username = name.lower()
    return Reference(
        Kind.POST, f"https://t.me/{username}/{post_id}", raw, username=username, post_id=post_id
    )


def _invite(raw: str, invite_hash: str) -> Reference | Invalid:
    if not invite_hash:
        return Invalid(raw, "invite link without a hash")
    if _HASH.fullmatch(invite_hash) is None:
        return Invalid(raw, "invite hash contains invalid characters")
    return Reference(Kind.INVITE, "https://t.me/+" + invite_hash, raw, invite_hash=invite_hash)


def _private_post(
    raw: str, channel: str | None, post: str | None, thread: str | None = None
) -> Reference | Invalid:
    if not channel:
        return Invalid(raw, "private channel link without a channel id")
    channel_id = _number(channel, "private channel id", _MAX_CHANNEL_ID)
    if isinstance(channel_id, str):
        return Invalid(raw, channel_id)
    if not post:
        return Invalid(raw, "private channel link without a post (no public reference)")
    if thread is not None:
        topic = _number(thread, "topic id", _MAX_MESSAGE_ID)
        if isinstance(topic, str):
            return Invalid(raw, topic)
    post_id = _number(post, "post id", _MAX_MESSAGE_ID)
    if isinstance(post_id, str):
        return Invalid(raw, post_id)
    return Reference(
        Kind.PRIVATE_POST,
        f"https://t.me/c/{channel_id}/{post_id}",
        raw,
        post_id=post_id,
        channel_id=channel_id,
    )


def _from_path(raw: str, segments: list[str]) -> Reference | Invalid:
    """Interpret the path segments of a t.me link (query and fragment already gone)."""
    first = segments[0]
    lowered = first.lower()
    if first.startswith("+"):
        rest = first[1:]
        if rest.isascii() and rest.isdigit():
            return Invalid(raw, "phone number link, not a channel")
        return _invite(raw, rest)
    if lowered == "joinchat":
        if len(segments) < 2:
            return Invalid(raw, "reserved path 'joinchat' without an invite hash")
        return _invite(raw, segments[1])
    if lowered == "c":
        if len(segments) > 4:
            return Invalid(raw, "unexpected path after post id")
        thread = segments[2] if len(segments) == 4 else None
        post = segments[-1] if len(segments) >= 3 else None
        return _private_post(raw, segments[1] if len(segments) > 1 else None, post, thread)
    if lowered == "s":  # web preview: t.me/s/name and t.me/s/name/12
        segments = segments[1:]
        if not segments:
            return Invalid(raw, "preview link without a channel name")
        first = segments[0]
        lowered = first.lower()
    if lowered in RESERVED_PATHS:
        return Invalid(raw, f"reserved path '{lowered}'")
    if first.startswith("$"):
        return Invalid(raw, "invoice link, not a channel")
    count = len(segments)
    if count == 1:
        return _channel(raw, first)
    if segments[1].lower() == "s":
        problem = _username_problem(first)
        return Invalid(raw, problem or "story link, not a channel or post")
    if count == 2:
        return _post(raw, first, segments[1])
    if count == 3:  # t.me/name/<topic id>/<post id>
        return _post(raw, first, segments[2], segments[1])
    return Invalid(raw, "unexpected path after post id")


def _host_prefix(body: str, start: int, floor: int) -> tuple[int, str | None, bool] | None:
    """Look left of a host the scanner found right after a dot.

    Returns the link's real start, the username label before the host (None
    when there is none, or it is ``www``) and whether a scheme precedes it; or
    None when the host is the tail of some longer domain ("mail.example.t.me",
    "a@b.t.me") and so not a Telegram link at all.
    """
    found = _HOST_PREFIX.search(body, max(floor, start - _PREFIX_WINDOW), start)
    if found is None:
        before = body[start - 2] if start >= 2 else " "
        if body[start - 1] == "." and (before.isalnum() or before in "_-"):
            return None
        return start, None, False
    label = found["label"]
    if label.isdigit() or len(label) == 1:  # "1.t.me/x", "b.t.me/x": list markers
        return start, None, False
    if label.lower() == "www":
        return found.start(), None, found["scheme"] is not None
    if body[start + 1] in "eE":  # only t.me has username subdomains
        return None
    return found.start(), label, found["scheme"] is not None


def _from_url(
    raw: str, match: re.Match[str], sub: str | None, scheme: bool, strict: bool
) -> Reference | Invalid | None:
    path = match["path"]
    segments = [
        unquote(segment) if "%" in segment else segment for segment in path.split("/") if segment
    ]
    if sub is not None:
        # <username>.t.me/rest is t.me/<username>/rest (core.telegram.org/api/links)
        segments.insert(0, sub)
    if not segments:
        if strict or scheme or path or match["tail"]:
            return Invalid(raw, "link has no channel name")
        return None  # the bare word "t.me" in prose names no subject
    return _from_path(raw, segments)


def _from_tg(raw: str, match: re.Match[str], tail: str) -> Reference | Invalid:
    """Interpret a tg: URI; ``tail`` is its query without trailing punctuation."""
    action = (match["tg_name"] or match["tg_bare"]).lower()
    query = tail[1:].split("#", 1)[0]
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key.lower(), value)
    if action == "resolve":
        domain = params.get("domain")
        if not domain:
            if "phone" in params:
                return Invalid(raw, "phone number link, not a channel")
            return Invalid(raw, "tg://resolve link without a domain")
        post = params.get("post")
        if post is None:
            return _channel(raw, domain)
        return _post(raw, domain, post)
    if action == "join":
        return _invite(raw, params.get("invite", ""))
    if action == "privatepost":
        return _private_post(raw, params.get("channel"), params.get("post"), params.get("thread"))
    return Invalid(raw, f"unsupported tg:// link '{action}'")


def _scan(text: str, strict: bool) -> Iterator[tuple[int, int, Reference | Invalid]]:
    """Every candidate in ``text`` as (start, end, result), positions in ``text``.

    ``strict`` (used by ``parse``) also reports a bare host such as "t.me".
    """
    folded = Folded(text)
    body = folded.text
    floor = 0
    for match in _SCANNER.finditer(body):
        start, end = match.span()
        name = match["name"]
        is_tg = match["tg"] is not None
        sub: str | None = None
        scheme = False
        tail = ""
        if name is None and not is_tg:
            scheme = match["scheme"] is not None
            if not scheme and match["www"] is None and start and body[start - 1] in ".])}":
                prefix = _host_prefix(body, start, floor)
                if prefix is None:
                    continue
                start, sub, scheme = prefix
            if match["tail"]:
                end = start + len(body[start:end].rstrip(_TRAILING))
        elif is_tg and match["tg_tail"]:
            end = start + len(body[start:end].rstrip(_TRAILING))
            tail = body[match.start("tg_tail") : end]
        floor = match.end()
        src_start, src_end = folded.source_span(start, end)
        raw = text[src_start:src_end]
        result: Reference | Invalid | None
        if name is not None:
            result = _channel(raw, name)
        elif is_tg:
            result = _from_tg(raw, match, tail)
        else:
            result = _from_url(raw, match, sub, scheme, strict)
        if result is not None:
            yield src_start, src_end, result


# --- the public API ---------------------------------------------------------------


def extract(text: str) -> list[Reference | Invalid]:
    """Every distinct Telegram subject in ``text``, in order of first appearance.

    Valid references are distinct by canonical URL (the first raw spelling is
    kept); invalid fragments are distinct by their raw text.
    """
    found: list[Reference | Invalid] = []
    seen: set[str] = set()
    seen_invalid: set[str] = set()
    for _start, _end, result in _scan(text, strict=False):
        if isinstance(result, Reference):
            if result.canonical in seen:
                continue
            seen.add(result.canonical)
        else:
            if result.raw in seen_invalid:
                continue
            seen_invalid.add(result.raw)
        found.append(result)
    return found


def parse(value: str) -> Reference | Invalid:
    """Read one reference given alone, e.g. a spreadsheet cell.

    Surrounding white space, invisible characters, brackets and quotes and
    trailing punctuation are tolerated; anything else around the reference,
    a second reference or no reference at all gives an ``Invalid``. A bare
    word ("durov") is not a reference: callers that know a column holds bare
    usernames should pass ``"@" + cell``.
    """
    cell = value.strip().strip(INVISIBLE).strip()
    if not cell:
        return Invalid(value, "empty value")
    hits = list(islice(_scan(cell, strict=True), 2))  # a second hit is enough to refuse
    if not hits:
        return Invalid(cell, "not a Telegram link or @username")
    if len(hits) > 1:
        return Invalid(cell, "more than one reference")
    start, end, result = hits[0]
    before, after = cell[:start], cell[end:]
    if before.strip(_LEADING + INVISIBLE) or after.strip(_TRAILING + INVISIBLE):
        return Invalid(cell, "unexpected text around the reference")
    return result


def canonicalize(value: str) -> str | None:
    """The canonical URL of the one reference in ``value``, or None."""
    result = parse(value)
    return result.canonical if isinstance(result, Reference) else None
