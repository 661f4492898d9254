"""Property-based tests: every written form of a reference means the same subject."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ronda.links import RESERVED_PATHS, Kind, Reference, canonicalize, extract, parse

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
SCHEMES = ["", "http://", "https://", "HTTPS://", "hxxp://", "hxxps://", "hxxps[:]//", "https[://]"]
WWW = ["", "www.", "WWW.", "www[.]"]
HOSTS = [
    "t.me",
    "T.ME",
    "telegram.me",
    "Telegram.Dog",
    "telegram.dog",
    "t[.]me",
    "t(.)me",
    "t{.}me",
    "t[dot]me",
    "telegram[.]me",
]
QUERIES = ["", "?single", "?embed=1", "?comment=5", "?start=x", "?embed=1&mode=tme", "#top", "/"]
TRAILING = ["", ".", ",", ";", ":", "!", "?", ")", "]", ">", "'", '"', "…", "”", "»"]
OPENING = ["", "(", "[", "<", '"', "“", "«", "'"]
WORDS = ["Mohon", "blokir", "kanal", "judi", "online", "ini:", "dan", "segera", "-", "1.", "—"]


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = LETTERS + "0123456789"


@st.composite
def usernames(draw: st.DrawFn) -> str:
    """Valid usernames: a letter, then letters/digits with single inner underscores."""
    parts = draw(st.lists(st.text(ALNUM, min_size=1, max_size=10), min_size=1, max_size=3))
    name = draw(st.sampled_from(LETTERS)) + "_".join(parts)
    name = name[:32].rstrip("_")
    if len(name) < 5 or name.lower() in RESERVED_PATHS:
        name = (name + "x0y1z")[:32]
        name = name if name.lower() not in RESERVED_PATHS else name + "q"
    return name


def mixed_case(draw: st.DrawFn, text: str) -> str:
    bits = draw(st.integers(0, 2 ** len(text) - 1))
    return "".join(c.upper() if bits >> i & 1 else c.lower() for i, c in enumerate(text))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@dataclass(frozen=True)
class Written:
    text: str
    fragment: str
    canonical: str


@st.composite
def written_subjects(draw: st.DrawFn) -> Written:
    name = draw(usernames())
    post_id = draw(st.one_of(st.none(), st.integers(1, 2**31 - 1)))
    canonical = f"https://t.me/{name.lower()}" + ("" if post_id is None else f"/{post_id}")
    form = draw(st.sampled_from(["url", "url", "url", "mention", "tg"]))
    if form == "mention" and post_id is None:
        fragment = "@" + mixed_case(draw, name)
    elif form == "tg":
        fragment = draw(st.sampled_from(["tg://", "tg:", "TG://"])) + "resolve?domain=" + name
        if post_id is not None:
            fragment += f"&post={post_id}"
    else:
        fragment = (
            draw(st.sampled_from(SCHEMES))
            + draw(st.sampled_from(WWW))
            + draw(st.sampled_from(HOSTS))
            + draw(st.sampled_from(["/", "/s/"]))
            + mixed_case(draw, name)
            + ("" if post_id is None else f"/{post_id}")
            + draw(st.sampled_from(QUERIES))
        )
    if draw(st.booleans()):
        fragment = full_width(fragment)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(1, len(fragment) - 1))
        fragment = fragment[:at] + draw(st.sampled_from(ZERO_WIDTH)) + fragment[at:]
    before = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4)))
    after = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=4)))
    text = (
        before
        + " "
        + draw(st.sampled_from(OPENING))
        + fragment
        + draw(st.sampled_from(TRAILING))
        + " "
        + after
    )
    return Written(text, fragment, canonical)


@SETTINGS
@given(written_subjects())
def test_every_written_form_gives_the_same_canonical(case: Written) -> None:
    found = extract(case.text)
    assert len(found) == 1, found
    (result,) = found
    assert isinstance(result, Reference), result
    assert result.canonical == case.canonical
    assert result.raw == case.fragment


@SETTINGS
@given(written_subjects())
def test_parse_reads_the_fragment_alone(case: Written) -> None:
    result = parse(case.fragment)
    assert isinstance(result, Reference), result
    assert result.canonical == case.canonical
    assert canonicalize(case.fragment) == case.canonical


@st.composite
def references(draw: st.DrawFn) -> Reference:
    kind = draw(st.sampled_from([Kind.CHANNEL, Kind.POST, Kind.INVITE, Kind.PRIVATE_POST]))
    post_id = draw(st.integers(1, 2**31 - 1))
    if kind is Kind.CHANNEL:
        name = draw(usernames()).lower()
        return Reference(kind, f"https://t.me/{name}", "", username=name)
    if kind is Kind.POST:
        name = draw(usernames()).lower()
        return Reference(kind, f"https://t.me/{name}/{post_id}", "", username=name, post_id=post_id)
    if kind is Kind.INVITE:
        # an all-digit hash would be a phone number link (t.me/+62812...)
        hashes = st.text(ALNUM + "_-", min_size=4, max_size=30).filter(lambda h: not h.isdigit())
        invite_hash = draw(hashes)
        return Reference(kind, f"https://t.me/+{invite_hash}", "", invite_hash=invite_hash)
    channel_id = draw(st.integers(1, 10**13))
    return Reference(
        kind,
        f"https://t.me/c/{channel_id}/{post_id}",
        "",
        post_id=post_id,
        channel_id=channel_id,
    )


@SETTINGS
@given(references())
def test_canonical_round_trips(expected: Reference) -> None:
    (found,) = extract(expected.canonical)
    assert found == Reference(
        expected.kind,
        expected.canonical,
        expected.canonical,
        username=expected.username,
        post_id=expected.post_id,
        invite_hash=expected.invite_hash,
        channel_id=expected.channel_id,
    )
    assert parse(expected.canonical) == found
    assert canonicalize(expected.canonical) == expected.canonical


TELEGRAMMY = [
    *"t.me/@:[]()+%_-?#=&!hxps gramdoTGcsjoin1234567890\n\u200b．ｔ＠",
    "t.me/",
    "https://",
    "tg://resolve?domain=",
    "@",
    "joinchat/",
    "telegram.dog",
    "[.]",
    " dot ",
    "c/",
    "&post=",
]


@SETTINGS
@given(st.one_of(st.text(), st.lists(st.sampled_from(TELEGRAMMY), max_size=60).map("".join)))
def test_extract_never_raises_and_keeps_its_promises(text: str) -> None:
    found = extract(text)
    canonicals = [r.canonical for r in found if isinstance(r, Reference)]
    invalid_raws = [r.raw for r in found if not isinstance(r, Reference)]
    assert len(canonicals) == len(set(canonicals))
    assert len(invalid_raws) == len(set(invalid_raws))
    for result in found:
        assert result.raw
        assert result.raw in text
        if isinstance(result, Reference):
            assert result.canonical.startswith("https://t.me/")
            assert canonicalize(result.raw) == result.canonical
        else:
            assert result.kind is Kind.INVALID
            assert result.reason


@SETTINGS
@given(st.text(), st.text())
def test_parse_and_canonicalize_never_raise(value: str, other: str) -> None:
    result = parse(value + other)
    assert canonicalize(value + other) == (
        result.canonical if isinstance(result, Reference) else None
    )


def emails() -> st.SearchStrategy[str]:
    local = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._+\-]{0,20}\Z", fullmatch=True)
    domain = st.one_of(
        st.sampled_from(["t.me", "telegram.me", "telegram.dog", "gmail.com", "kominfo.go.id"]),
        st.from_regex(r"\A[a-z][a-z0-9_]{1,12}\.(?:t\.me|com|co\.id)\Z", fullmatch=True),
    )
    return st.builds(lambda user, host: f"{user}@{host}", local, domain)


@SETTINGS
@given(
    emails(),
    st.sampled_from(["", "Email: ", "kirim ke ", "("]),
    st.sampled_from(["", ".", ")", " ok"]),
)
def test_email_addresses_never_give_a_subject(email: str, before: str, after: str) -> None:
    assert extract(before + email + after) == []
