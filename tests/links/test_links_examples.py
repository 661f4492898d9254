"""Example table for the Telegram reference parser: one row per written form.

Each row is (input text, expected results), a result being
(kind, canonical URL or invalid reason, raw fragment).
"""

from __future__ import annotations

import dataclasses

import pytest

from ronda.links import (
    RESERVED_PATHS,
    Invalid,
    Kind,
    Reference,
    canonicalize,
    extract,
    parse,
)

Row = tuple[str, str, str]

CHAN = "https://t.me/durov_chan"
POST = "https://t.me/durov_chan/42"
INVITE = "https://t.me/+AbCdEfGh_-12"


def summary(results: list[Reference | Invalid]) -> list[Row]:
    rows: list[Row] = []
    for result in results:
        if isinstance(result, Reference):
            rows.append((result.kind.value, result.canonical, result.raw))
        else:
            rows.append(("invalid", result.reason, result.raw))
    return rows


def channel(raw: str, canonical: str = CHAN) -> Row:
    return ("channel", canonical, raw)


def post(raw: str, canonical: str = POST) -> Row:
    return ("post", canonical, raw)


def invite(raw: str, canonical: str = INVITE) -> Row:
    return ("invite", canonical, raw)


def private(raw: str, canonical: str) -> Row:
    return ("private_post", canonical, raw)


def invalid(raw: str, reason: str) -> Row:
    return ("invalid", reason, raw)


EXAMPLES: list[tuple[str, list[Row]]] = [
    # --- schemes and hosts -------------------------------------------------------
    ("https://t.me/durov_chan", [channel("https://t.me/durov_chan")]),
    ("http://t.me/durov_chan", [channel("http://t.me/durov_chan")]),
    ("t.me/durov_chan", [channel("t.me/durov_chan")]),
    ("HTTPS://T.ME/Durov_Chan", [channel("HTTPS://T.ME/Durov_Chan")]),
    ("Https://T.Me/DUROV_CHAN", [channel("Https://T.Me/DUROV_CHAN")]),
    ("https://telegram.me/durov_chan", [channel("https://telegram.me/durov_chan")]),
    ("telegram.dog/durov_chan", [channel("telegram.dog/durov_chan")]),
    ("TELEGRAM.DOG/durov_chan", [channel("TELEGRAM.DOG/durov_chan")]),
    ("www.t.me/durov_chan", [channel("www.t.me/durov_chan")]),
    ("https://www.telegram.me/durov_chan", [channel("https://www.telegram.me/durov_chan")]),
    ("WWW.Telegram.Dog/durov_chan", [channel("WWW.Telegram.Dog/durov_chan")]),
    ("https://t.me/durov_chan/", [channel("https://t.me/durov_chan/")]),
    # --- <username>.t.me ------------------------------------------------------------
    ("durov_chan.t.me", [channel("durov_chan.t.me")]),
    ("https://durov_chan.t.me/42", [post("https://durov_chan.t.me/42")]),
    ("hxxps[:]//durov_chan[.]t[.]me", [channel("hxxps[:]//durov_chan[.]t[.]me")]),
    ("boost.t.me/durov_chan", [invalid("boost.t.me/durov_chan", "reserved path 'boost'")]),
    ("mail.example.t.me/durov_chan", []),
    ("foo.telegram.me/durov_chan", []),
    ("1.t.me/durov_chan", [channel("t.me/durov_chan")]),
    ("2.https://t.me/durov_chan", [channel("https://t.me/durov_chan")]),
    ("b.t.me/durov_chan", [channel("t.me/durov_chan")]),
    ("...t.me/durov_chan", [channel("t.me/durov_chan")]),
    # --- /s/ preview links ----------------------------------------------------------
    ("t.me/s/durov_chan", [channel("t.me/s/durov_chan")]),
    ("https://t.me/s/durov_chan/42", [post("https://t.me/s/durov_chan/42")]),
    ("https://t.me/s/durov_chan?before=100", [channel("https://t.me/s/durov_chan?before=100")]),
    ("t.me/s/", [invalid("t.me/s/", "preview link without a channel name")]),
    # --- posts ----------------------------------------------------------------------
    ("t.me/durov_chan/42", [post("t.me/durov_chan/42")]),
    ("t.me/durov_chan/0042", [post("t.me/durov_chan/0042")]),
    ("t.me/durov_chan/7/42", [post("t.me/durov_chan/7/42")]),
    ("t.me/durov_chan/42abc", [invalid("t.me/durov_chan/42abc", "post id is not a number")]),
    ("t.me/durov_chan/myapp", [invalid("t.me/durov_chan/myapp", "post id is not a number")]),
    ("t.me/durov_chan/0", [invalid("t.me/durov_chan/0", "post id must be positive")]),
    (
        "t.me/durov_chan/99999999999",
        [invalid("t.me/durov_chan/99999999999", "post id is too large")],
    ),
    ("t.me/durov_chan/x/42", [invalid("t.me/durov_chan/x/42", "topic id is not a number")]),
    ("t.me/durov_chan/1/2/3", [invalid("t.me/durov_chan/1/2/3", "unexpected path after post id")]),
    ("t.me/durov_chan/s/5", [invalid("t.me/durov_chan/s/5", "story link, not a channel or post")]),
    # --- @mentions ------------------------------------------------------------------
    ("@durov_chan", [channel("@durov_chan")]),
    ("Hubungi @Durov_Chan.", [channel("@Durov_Chan")]),
    ("(@durov_chan)", [channel("@durov_chan")]),
    ("TG:@durov_chan", [channel("@durov_chan")]),
    ("1.@durov_chan", [channel("@durov_chan")]),
    ("«@durov_chan»", [channel("@durov_chan")]),
    (
        "*@durov_chan* ~@other_chan~",
        [channel("@durov_chan"), channel("@other_chan", "https://t.me/other_chan")],
    ),
    ("@abc", [invalid("@abc", "username too short (3 characters)")]),
    ("@abcd", [invalid("@abcd", "username too short (4 characters)")]),
    ("@1abcde", [invalid("@1abcde", "username must start with a letter")]),
    ("@_abcde", [invalid("@_abcde", "username must start with a letter")]),
    ("@abcde_", [invalid("@abcde_", "username must not end with an underscore")]),
    ("@abc__de", [invalid("@abc__de", "username must not contain consecutive underscores")]),
    ("@" + "a" * 33, [invalid("@" + "a" * 33, "username too long (33 characters)")]),
    ("@" + "a" * 32, [channel("@" + "a" * 32, "https://t.me/" + "a" * 32)]),
    ("@proxy", [invalid("@proxy", "reserved name 'proxy'")]),
    ("@ alone", []),
    ("harga @ 10rb", []),
    ("@durov_chan@mastodon.social", []),
    ("@durov_chan.com", []),
    # Telegram ends a mention at the first character a username cannot hold.
    ("@durov-chan", [channel("@durov", "https://t.me/durov")]),
    # --- e-mail addresses never give a subject ---------------------------------------
    ("a@b.com", []),
    ("name@t.me", []),
    ("admin@telegram.org", []),
    ("user.name+tag@mail.co.id", []),
    ("foo@durov_chan.t.me", []),
    ("laporan@durov_chan.t.me/42", []),
    (
        "mail durov_chan@example.com or @real_chan",
        [channel("@real_chan", "https://t.me/real_chan")],
    ),
    ("https://medium.com/@durov_chan", []),
    ("t.me/durov_chan@example.com", []),
    # --- query strings and fragments are dropped ------------------------------------
    ("t.me/durov_chan?start=abc", [channel("t.me/durov_chan?start=abc")]),
    ("t.me/durov_chan?comment=5", [channel("t.me/durov_chan?comment=5")]),
    ("t.me/durov_chan/42?single", [post("t.me/durov_chan/42?single")]),
    ("t.me/durov_chan/42?embed=1&mode=tme", [post("t.me/durov_chan/42?embed=1&mode=tme")]),
    ("t.me/durov_chan/42?comment=5", [post("t.me/durov_chan/42?comment=5")]),
    ("t.me/durov_chan#about", [channel("t.me/durov_chan#about")]),
    ("t.me/durov_chan?boost", [channel("t.me/durov_chan?boost")]),
    # --- trailing punctuation and brackets ------------------------------------------
    *[
        (f"lihat t.me/durov_chan{mark} ok", [channel("t.me/durov_chan")])
        for mark in [".", ",", ";", ":", "!", "?", ")", "]", ">", "'", '"', "…", "”", "»", "..."]
    ],
    *[
        (f"t.me/durov_chan/42?single{mark}", [post("t.me/durov_chan/42?single")])
        for mark in [".", ",", ";", ":", "!", "?", ")", "]", ">", "'", '"', "…", "”", "?!"]
    ],
    ("(t.me/durov_chan?single).", [channel("t.me/durov_chan?single")]),
    ("*t.me/durov_chan?single*", [channel("t.me/durov_chan?single")]),
    ("[link](https://t.me/durov_chan)", [channel("https://t.me/durov_chan")]),
    ("<https://t.me/durov_chan>", [channel("https://t.me/durov_chan")]),
    ('"https://t.me/durov_chan"', [channel("https://t.me/durov_chan")]),
    (
        '<a href="https://t.me/durov_chan">t.me/durov_chan</a>',
        [channel("https://t.me/durov_chan")],
    ),
    # --- defanged links -------------------------------------------------------------
    ("hxxp://t.me/durov_chan", [channel("hxxp://t.me/durov_chan")]),
    ("hxxps://t[.]me/durov_chan", [channel("hxxps://t[.]me/durov_chan")]),
    ("hxxps[:]//t[.]me/durov_chan", [channel("hxxps[:]//t[.]me/durov_chan")]),
    ("HXXPS[:]//T[.]ME/durov_chan", [channel("HXXPS[:]//T[.]ME/durov_chan")]),
    ("https[://]t.me/durov_chan", [channel("https[://]t.me/durov_chan")]),
    ("hxxps(:)//t(.)me/durov_chan", [channel("hxxps(:)//t(.)me/durov_chan")]),
    ("t(.)me/durov_chan", [channel("t(.)me/durov_chan")]),
    ("t{.}me/durov_chan", [channel("t{.}me/durov_chan")]),
    ("t[dot]me/durov_chan", [channel("t[dot]me/durov_chan")]),
    ("t(dot)me/durov_chan", [channel("t(dot)me/durov_chan")]),
    ("t{DOT}me/durov_chan", [channel("t{DOT}me/durov_chan")]),
    ("t dot me/durov_chan", [channel("t dot me/durov_chan")]),
    ("telegram[.]me/durov_chan", [channel("telegram[.]me/durov_chan")]),
    ("www[.]t[.]me/durov_chan", [channel("www[.]t[.]me/durov_chan")]),
    ("hxxps[:]//t[.]me/durov_chan/42.", [post("hxxps[:]//t[.]me/durov_chan/42")]),
    # --- tg:// URIs -----------------------------------------------------------------
    ("tg://resolve?domain=durov_chan", [channel("tg://resolve?domain=durov_chan")]),
    ("tg://resolve?domain=Durov_Chan&post=42", [post("tg://resolve?domain=Durov_Chan&post=42")]),
    ("tg:resolve?domain=durov_chan.", [channel("tg:resolve?domain=durov_chan")]),
    ("TG://RESOLVE?DOMAIN=durov_chan", [channel("TG://RESOLVE?DOMAIN=durov_chan")]),
    (
        "tg://resolve?domain=durov_chan&post=x",
        [invalid("tg://resolve?domain=durov_chan&post=x", "post id is not a number")],
    ),
    (
        "tg://resolve?domain=abc",
        [invalid("tg://resolve?domain=abc", "username too short (3 characters)")],
    ),
    ("tg://resolve", [invalid("tg://resolve", "tg://resolve link without a domain")]),
    (
        "tg://resolve?phone=6281234567",
        [invalid("tg://resolve?phone=6281234567", "phone number link, not a channel")],
    ),
    ("tg://join?invite=AbCdEfGh_-12", [invite("tg://join?invite=AbCdEfGh_-12")]),
    ("tg://join", [invalid("tg://join", "invite link without a hash")]),
    (
        "tg://privatepost?channel=1234567&post=89",
        [private("tg://privatepost?channel=1234567&post=89", "https://t.me/c/1234567/89")],
    ),
    ("tg://msg?text=halo", [invalid("tg://msg?text=halo", "unsupported tg:// link 'msg'")]),
    ("TG: kanal kami", []),
    ("tg:durov_chan", []),
    # --- invite links ---------------------------------------------------------------
    ("t.me/joinchat/AbCdEfGh_-12", [invite("t.me/joinchat/AbCdEfGh_-12")]),
    ("https://t.me/+AbCdEfGh_-12", [invite("https://t.me/+AbCdEfGh_-12")]),
    ("t.me/%2BAbCdEfGh_-12", [invite("t.me/%2BAbCdEfGh_-12")]),
    ("t.me/%2bAbCdEfGh_-12", [invite("t.me/%2bAbCdEfGh_-12")]),
    ("T.ME/JOINCHAT/AbCdEfGh_-12", [invite("T.ME/JOINCHAT/AbCdEfGh_-12")]),
    ("t.me/+abcdefgh_-12", [invite("t.me/+abcdefgh_-12", "https://t.me/+abcdefgh_-12")]),
    (
        "t.me/joinchat/AbCdEfGh_-12 t.me/+AbCdEfGh_-12",
        [invite("t.me/joinchat/AbCdEfGh_-12")],
    ),
    (
        "t.me/joinchat",
        [invalid("t.me/joinchat", "reserved path 'joinchat' without an invite hash")],
    ),
    (
        "t.me/joinchat/",
        [invalid("t.me/joinchat/", "reserved path 'joinchat' without an invite hash")],
    ),
    ("t.me/+", [invalid("t.me/+", "invite link without a hash")]),
    ("t.me/+6281234567890", [invalid("t.me/+6281234567890", "phone number link, not a channel")]),
    ("t.me/+Ab%21cd", [invalid("t.me/+Ab%21cd", "invite hash contains invalid characters")]),
    # --- private posts --------------------------------------------------------------
    ("t.me/c/1234567/89", [private("t.me/c/1234567/89", "https://t.me/c/1234567/89")]),
    (
        "https://t.me/c/1234567/10/89",
        [private("https://t.me/c/1234567/10/89", "https://t.me/c/1234567/89")],
    ),
    (
        "t.me/c/1234567",
        [invalid("t.me/c/1234567", "private channel link without a post (no public reference)")],
    ),
    ("t.me/c/abc/5", [invalid("t.me/c/abc/5", "private channel id is not a number")]),
    ("t.me/c/", [invalid("t.me/c/", "private channel link without a channel id")]),
    ("t.me/c/1/2/3/4", [invalid("t.me/c/1/2/3/4", "unexpected path after post id")]),
    ("t.me/c/1234567/0", [invalid("t.me/c/1234567/0", "post id must be positive")]),
    # --- reserved paths and bad names in links --------------------------------------
    *[
        (f"t.me/{path}/abcdef", [invalid(f"t.me/{path}/abcdef", f"reserved path '{path}'")])
        for path in [
            "share",
            "addstickers",
            "addemoji",
            "addtheme",
            "setlanguage",
            "iv",
            "proxy",
            "socks",
            "login",
            "confirmphone",
            "bg",
            "addlist",
            "boost",
            "contact",
            "invoice",
            "m",
            "giftcode",
            "nft",
        ]
    ],
    (
        "t.me/share/url?url=https://t.me/durov_chan",
        [invalid("t.me/share/url?url=https://t.me/durov_chan", "reserved path 'share'")],
    ),
    (
        "https://t.me/proxy?server=1.2.3.4&port=443&secret=abc",
        [invalid("https://t.me/proxy?server=1.2.3.4&port=443&secret=abc", "reserved path 'proxy'")],
    ),
    ("t.me/Share", [invalid("t.me/Share", "reserved path 'share'")]),
    ("t.me/$AbCdEf", [invalid("t.me/$AbCdEf", "invoice link, not a channel")]),
    ("t.me/abcd", [invalid("t.me/abcd", "username too short (4 characters)")]),
    ("t.me/1abcdef", [invalid("t.me/1abcdef", "username must start with a letter")]),
    ("t.me/durov-chan", [invalid("t.me/durov-chan", "username contains invalid character '-'")]),
    (
        "t.me/durov%2Echan",
        [invalid("t.me/durov%2Echan", "username contains invalid character '.'")],
    ),
    ("https://t.me", [invalid("https://t.me", "link has no channel name")]),
    ("t.me/", [invalid("t.me/", "link has no channel name")]),
    ("t.me?start=1", [invalid("t.me?start=1", "link has no channel name")]),
    # --- zero-width characters anywhere inside a link --------------------------------
    ("t\u200b.me/durov_chan", [channel("t\u200b.me/durov_chan")]),
    ("t.me/du\u200crov_chan", [channel("t.me/du\u200crov_chan")]),
    ("t.me/durov\u200d_chan/4\u20602", [post("t.me/durov\u200d_chan/4\u20602")]),
    ("ht\ufefftps://t.me/durov_c\u00adhan", [channel("ht\ufefftps://t.me/durov_c\u00adhan")]),
    ("@durov\u200b_chan", [channel("@durov\u200b_chan")]),
    ("\ufeffhttps://t.me/durov_chan\u2060 ok", [channel("https://t.me/durov_chan")]),
    ("t\u200b.\u200bme/\u200b+AbCdEfGh_-12", [invite("t\u200b.\u200bme/\u200b+AbCdEfGh_-12")]),
    # --- NFKC-equivalent characters -------------------------------------------------
    (
        "ｈｔｔｐｓ：／／ｔ．ｍｅ／ｄｕｒｏｖ＿ｃｈａｎ",
        [channel("ｈｔｔｐｓ：／／ｔ．ｍｅ／ｄｕｒｏｖ＿ｃｈａｎ")],
    ),
    ("＠ｄｕｒｏｖ＿ｃｈａｎ", [channel("＠ｄｕｒｏｖ＿ｃｈａｎ")]),
    ("𝐭.𝐦𝐞/𝐝𝐮𝐫𝐨𝐯_𝐜𝐡𝐚𝐧", [channel("𝐭.𝐦𝐞/𝐝𝐮𝐫𝐨𝐯_𝐜𝐡𝐚𝐧")]),
    ("t․me/durov_chan", [channel("t․me/durov_chan")]),
    ("t﹒me/durov_chan/４２", [post("t﹒me/durov_chan/４２")]),
    ("ⓣ.ⓜⓔ/ⓓⓤⓡⓞⓥ_ⓒⓗⓐⓝ", [channel("ⓣ.ⓜⓔ/ⓓⓤⓡⓞⓥ_ⓒⓗⓐⓝ")]),
    ("t\u200b．ｍｅ/durov_chan。", [channel("t\u200b．ｍｅ/durov_chan")]),
    # --- plain words and other hosts are never candidates ----------------------------
    ("durov_chan is our channel", []),
    ("join the telegram channel durov_chan", []),
    ("t.me", []),
    ("kunjungi t.me untuk info", []),
    ("tme/durov_chan", []),
    ("t.mexico/durov_chan", []),
    ("t.me.evil.com/durov_chan", []),
    ("art.me/durov_chan", []),
    ("https://example.com/t.me/durov_chan", []),
    ("https://twitter.com/durov_chan", []),
    ("web.telegram.org/k/#@durov_chan", []),
    ("", []),
    # --- distinct subjects, first appearance wins -------------------------------------
    (
        "@durov_chan lalu t.me/Durov_Chan dan https://t.me/durov_chan/42 @abc @abc t.me/c/1",
        [
            channel("@durov_chan"),
            post("https://t.me/durov_chan/42"),
            invalid("@abc", "username too short (3 characters)"),
            invalid("t.me/c/1", "private channel link without a post (no public reference)"),
        ],
    ),
    (
        "@abc dan @ABC",
        [
            invalid("@abc", "username too short (3 characters)"),
            invalid("@ABC", "username too short (3 characters)"),
        ],
    ),
    (
        "t.me/durov_chan,t.me/other_chan;t.me/third_chan",
        [
            channel("t.me/durov_chan"),
            channel("t.me/other_chan", "https://t.me/other_chan"),
            channel("t.me/third_chan", "https://t.me/third_chan"),
        ],
    ),
    (
        "t.me/durov_chan/42 t.me/durov_chan t.me/durov_chan/43",
        [
            post("t.me/durov_chan/42"),
            channel("t.me/durov_chan"),
            post("t.me/durov_chan/43", "https://t.me/durov_chan/43"),
        ],
    ),
    (
        "Yth. Kominfo,\n1. https://t.me/judi_slot88\n2. t.me/judi_slot88/1205?single\n"
        "3. @Judi_Slot88 (kanal utama)\n4. t.me/joinchat/QwErTy123-_",
        [
            channel("https://t.me/judi_slot88", "https://t.me/judi_slot88"),
            post("t.me/judi_slot88/1205?single", "https://t.me/judi_slot88/1205"),
            invite("t.me/joinchat/QwErTy123-_", "https://t.me/+QwErTy123-_"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES, ids=[repr(t)[:60] for t, _ in EXAMPLES])
def test_extract_examples(text: str, expected: list[Row]) -> None:
    assert summary(extract(text)) == expected


def test_raw_is_a_substring_of_the_input() -> None:
    for text, _expected in EXAMPLES:
        for result in extract(text):
            assert result.raw in text


def test_reference_fields_for_each_kind() -> None:
    text = "t.me/Durov_Chan t.me/durov_chan/42 t.me/+AbCdEfGh_-12 t.me/c/1234567/89"
    chan, post_ref, invite_ref, private_ref = extract(text)
    assert chan == Reference(Kind.CHANNEL, CHAN, "t.me/Durov_Chan", username="durov_chan")
    assert post_ref == Reference(
        Kind.POST, POST, "t.me/durov_chan/42", username="durov_chan", post_id=42
    )
    assert invite_ref == Reference(
        Kind.INVITE, INVITE, "t.me/+AbCdEfGh_-12", invite_hash="AbCdEfGh_-12"
    )
    assert private_ref == Reference(
        Kind.PRIVATE_POST,
        "https://t.me/c/1234567/89",
        "t.me/c/1234567/89",
        post_id=89,
        channel_id=1234567,
    )


def test_to_json_has_exactly_the_documented_keys() -> None:
    ref = Reference(Kind.POST, POST, "t.me/durov_chan/42", username="durov_chan", post_id=42)
    assert ref.to_json() == {
        "kind": "post",
        "canonical": POST,
        "username": "durov_chan",
        "post_id": 42,
        "raw": "t.me/durov_chan/42",
    }
    bad = Invalid("@abc", "username too short (3 characters)")
    assert bad.kind is Kind.INVALID
    assert bad.to_json() == {
        "kind": "invalid",
        "raw": "@abc",
        "reason": "username too short (3 characters)",
    }
    invite_ref = parse("t.me/+AbCdEfGh_-12")
    assert isinstance(invite_ref, Reference)
    assert invite_ref.to_json() == {
        "kind": "invite",
        "canonical": INVITE,
        "username": None,
        "post_id": None,
        "raw": "t.me/+AbCdEfGh_-12",
    }


def test_results_are_frozen() -> None:
    ref = parse("@durov_chan")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.raw = "changed"  # type: ignore[misc]


def test_kind_is_a_string_enum() -> None:
    assert Kind.PRIVATE_POST == "private_post"
    assert [k.value for k in Kind] == ["channel", "post", "invite", "private_post", "invalid"]


def test_reserved_paths_cover_the_documented_list() -> None:
    documented = {
        "share", "addstickers", "addemoji", "addtheme", "setlanguage", "iv", "proxy", "socks",
        "login", "confirmphone", "bg", "joinchat", "addlist", "boost", "contact", "invoice", "m",
    }  # fmt: skip
    assert documented <= RESERVED_PATHS


PARSE_EXAMPLES: list[tuple[str, Row]] = [
    ("https://t.me/durov_chan", channel("https://t.me/durov_chan")),
    ("  @Durov_Chan  ", channel("@Durov_Chan")),
    ("\t t.me/durov_chan/42?single. \n", post("t.me/durov_chan/42?single")),
    ("<https://t.me/durov_chan>", channel("https://t.me/durov_chan")),
    ('"t.me/durov_chan",', channel("t.me/durov_chan")),
    ("\u200bt.me/durov_chan\u200b", channel("t.me/durov_chan")),
    ("hxxps[:]//t[.]me/joinchat/AbCdEfGh_-12", invite("hxxps[:]//t[.]me/joinchat/AbCdEfGh_-12")),
    ("tg://resolve?domain=durov_chan&post=42", post("tg://resolve?domain=durov_chan&post=42")),
    ("durov_chan.t.me", channel("durov_chan.t.me")),
    ("durov_chan", invalid("durov_chan", "not a Telegram link or @username")),
    ("a@b.com", invalid("a@b.com", "not a Telegram link or @username")),
    (
        "t.me/durov_chan t.me/other_chan",
        invalid("t.me/durov_chan t.me/other_chan", "more than one reference"),
    ),
    (
        "lihat t.me/durov_chan",
        invalid("lihat t.me/durov_chan", "unexpected text around the reference"),
    ),
    (
        "t.me/durov_chan lagi",
        invalid("t.me/durov_chan lagi", "unexpected text around the reference"),
    ),
    ("t.me", invalid("t.me", "link has no channel name")),
    ("@abc", invalid("@abc", "username too short (3 characters)")),
    (
        "t.me/c/1234567",
        invalid("t.me/c/1234567", "private channel link without a post (no public reference)"),
    ),
    ("t.me/share", invalid("t.me/share", "reserved path 'share'")),
    ("", invalid("", "empty value")),
    ("   ", invalid("   ", "empty value")),
]


@pytest.mark.parametrize(
    ("value", "expected"), PARSE_EXAMPLES, ids=[repr(v)[:50] for v, _ in PARSE_EXAMPLES]
)
def test_parse_examples(value: str, expected: Row) -> None:
    assert summary([parse(value)]) == [expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HXXPS[:]//T[.]ME/Durov_Chan", CHAN),
        ("@DUROV_CHAN", CHAN),
        ("telegram.dog/s/durov_chan/42", POST),
        ("https://t.me/joinchat/AbCdEfGh_-12", INVITE),
        ("tg://privatepost?channel=5&post=6", "https://t.me/c/5/6"),
        ("t.me/c/5/7/6", "https://t.me/c/5/6"),
        ("durov_chan", None),
        ("@abc", None),
        ("t.me/durov_chan and more", None),
        ("", None),
    ],
)
def test_canonicalize(value: str, expected: str | None) -> None:
    assert canonicalize(value) == expected
