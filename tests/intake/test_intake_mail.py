"""parse_message: well-formed mail, and every kind of broken mail we expect."""

from __future__ import annotations

import base64
import random
import time
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from ronda.config import Limits
from ronda.errors import TooLarge
from ronda.takedowns.intake.mail import ParsedMail, parse_message

LIMITS = Limits()


def parse(raw: bytes, limits: Limits = LIMITS) -> ParsedMail:
    return parse_message(raw, limits=limits)


def has_defect(mail: ParsedMail, fragment: str) -> bool:
    return any(fragment in d for d in mail.defects)


# --------------------------------------------------------------------------- #
# Well-formed


def test_well_formed_order_with_attachment() -> None:
    msg = EmailMessage()
    msg["From"] = "Direktorat Pengendalian <Aduan.Konten@Komdigi.go.id>"
    msg["To"] = "Takedown Desk <takedown@ronda.example>, legal@ronda.example"
    msg["Subject"] = "Permohonan pemblokiran kanal – Nomor: B-1234/DJAI.5/11/2026"
    msg["Date"] = "Mon, 02 Nov 2026 09:15:00 +0700"
    msg["Message-ID"] = "<order-1@komdigi.go.id>"
    msg["In-Reply-To"] = "<earlier@komdigi.go.id>"
    msg["References"] = "<first@komdigi.go.id> <earlier@komdigi.go.id>"
    msg.set_content("Yth. Tim,\nMohon blokir https://t.me/judol_gacor segera.\n")
    msg.add_attachment(
        b"url;kategori\nhttps://t.me/a;judi\n",
        maintype="text",
        subtype="csv",
        filename="daftar tautan.csv",
    )
    mail = parse(msg.as_bytes())
    assert mail.message_id == "order-1@komdigi.go.id"
    assert mail.in_reply_to == "earlier@komdigi.go.id"
    assert mail.references == ["first@komdigi.go.id", "earlier@komdigi.go.id"]
    assert mail.from_address == "aduan.konten@komdigi.go.id"
    assert mail.from_name == "Direktorat Pengendalian"
    assert mail.to == ["takedown@ronda.example", "legal@ronda.example"]
    assert mail.subject == "Permohonan pemblokiran kanal – Nomor: B-1234/DJAI.5/11/2026"
    assert mail.date == datetime(2026, 11, 2, 2, 15, tzinfo=UTC)
    assert mail.date is not None and mail.date.utcoffset() == timedelta(hours=7)
    assert "https://t.me/judol_gacor" in mail.text
    assert len(mail.attachments) == 1
    att = mail.attachments[0]
    assert att.filename == "daftar tautan.csv"
    assert att.content_type == "text/csv"
    assert att.data == b"url;kategori\nhttps://t.me/a;judi\n"
    assert att.size == len(att.data)
    assert att.skipped_reason is None
    assert mail.defects == []


def test_rfc2047_subject_split_inside_a_character_and_encoded_name() -> None:
    # "Pemblokiran – segera" with the en dash's three UTF-8 bytes split over
    # two encoded words, and a display name holding a comma.
    dash = "–".encode()
    first = base64.b64encode(b"Pemblokiran " + dash[:1]).decode()
    second = base64.b64encode(dash[1:] + b" segera").decode()
    raw = (
        f"From: =?utf-8?Q?Doe=2C_John?= <john@polri.go.id>\n"
        f"Subject: =?utf-8?B?{first}?=\n =?utf-8?B?{second}?=\n"
        "Message-ID: <a@b>\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nisi\n"
    ).encode()
    mail = parse(raw)
    assert mail.subject == "Pemblokiran – segera"
    assert mail.from_name == "Doe, John"
    assert mail.from_address == "john@polri.go.id"


def test_indonesian_date_and_zone_names() -> None:
    raw = b"From: a@b.id\nDate: Senin, 3 Nop 2026 10:00:00 WIB\nMessage-ID: <x@y>\n\nisi\n"
    mail = parse(raw)
    assert mail.date == datetime(2026, 11, 3, 10, 0, tzinfo=timezone(timedelta(hours=7)))
    assert mail.defects == []


def test_date_without_zone_is_utc_with_defect_and_bad_date_is_none() -> None:
    naive = parse(b"From: a@b.id\nDate: Tue, 3 Nov 2026 10:00:00 -0000\nMessage-ID: <x@y>\n\nx\n")
    assert naive.date == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    assert has_defect(naive, "no time zone")
    bad = parse(b"From: a@b.id\nDate: kemarin sore\nMessage-ID: <x@y>\n\nx\n")
    assert bad.date is None
    assert has_defect(bad, "unparseable Date header")


# --------------------------------------------------------------------------- #
# Missing and malformed headers


def test_missing_from_message_id_and_date() -> None:
    mail = parse(b"Subject: tanpa kepala\n\nMohon blokir https://t.me/x\n")
    assert mail.from_address is None and mail.from_name is None
    assert mail.message_id is None
    assert mail.date is None
    assert "missing From header" in mail.defects
    assert "missing Message-ID header" in mail.defects
    assert "missing Date header" in mail.defects
    assert mail.subject == "tanpa kepala"
    assert "https://t.me/x" in mail.text


def test_missing_subject_is_empty_string() -> None:
    assert parse(b"From: a@b.id\n\nisi\n").subject == ""


def test_junk_line_among_headers_is_moved_to_body() -> None:
    raw = (
        b"Message-ID: <x@y>\n"
        b"this line is not a header\n"
        b"From: Polisi <siber@polri.go.id>\n"
        b"Subject : Pemblokiran\n"
        b"Date: Tue, 3 Nov 2026 10:00:00 +0700\n"
        b"\n"
        b"Mohon blokir https://t.me/x\n"
    )
    mail = parse(raw)
    assert mail.from_address == "siber@polri.go.id"
    assert mail.subject == "Pemblokiran"
    assert has_defect(mail, "malformed header line moved to the body")
    assert has_defect(mail, "space before the colon")
    assert "https://t.me/x" in mail.text


def test_unparseable_from_and_duplicate_headers() -> None:
    raw = b"From: not an address\nFrom: a@b.id\nSubject: a\nSubject: b\n\nx\n"
    mail = parse(raw)
    assert mail.from_address is None
    assert has_defect(mail, "unparseable From header")
    assert has_defect(mail, "2 From headers")
    assert mail.subject == "a"


def test_eight_bit_header_bytes() -> None:
    raw = "Subject: Pemblokiran segera – daftar tautan\nFrom: a@b.id\n\nx\n".encode("cp1252")
    mail = parse(raw)
    assert mail.subject == "Pemblokiran segera – daftar tautan"
    assert has_defect(mail, "Subject header in undeclared 8-bit; decoded as windows-1252")


# --------------------------------------------------------------------------- #
# Charsets of bodies


def test_cp1252_body_without_charset() -> None:
    raw = (
        b"From: a@b.id\nSubject: x\nContent-Type: text/plain\n\n"
        + "Pemblokiran segera – daftar tautan “judi”: https://t.me/x\n".encode("cp1252")
    )
    mail = parse(raw)
    assert "Pemblokiran segera – daftar tautan “judi”: https://t.me/x" in mail.text
    assert "body in undeclared 8-bit; decoded as windows-1252" in mail.defects


def test_cp1252_body_declared_as_utf8() -> None:
    raw = (
        b"From: a@b.id\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: 8bit\n\n"
        + "Pemblokiran segera – daftar tautan\n".encode("cp1252")
    )
    mail = parse(raw)
    assert "Pemblokiran segera – daftar tautan" in mail.text
    assert has_defect(mail, "body declared utf-8 but is not valid utf-8; decoded as windows-1252")


def test_utf8_body_without_charset_and_unknown_charset() -> None:
    undeclared = parse(b"From: a@b.id\n\n" + "Pemblokiran – café\n".encode())
    assert "Pemblokiran – café" in undeclared.text
    assert "body in undeclared 8-bit; decoded as utf-8" in undeclared.defects
    unknown = parse(
        b"From: a@b.id\nContent-Type: text/plain; charset=x-klingon\n\n"
        + "Pemblokiran – x\n".encode()
    )
    assert "Pemblokiran – x" in unknown.text
    assert has_defect(unknown, "unknown charset 'x-klingon'")


def test_quoted_printable_latin1_label_means_windows_1252() -> None:
    raw = (
        b"From: a@b.id\nMessage-ID: <x@y>\nDate: Tue, 3 Nov 2026 10:00:00 +0700\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n"
        b"Daftar =96 tautan =\n sambung\n"
    )
    mail = parse(raw)
    assert "Daftar – tautan  sambung" in mail.text
    assert mail.defects == []


# --------------------------------------------------------------------------- #
# HTML


def test_html_only_body_keeps_links_and_drops_scripts() -> None:
    raw = (
        b"From: a@b.id\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><head><style>p{color:red}</style><title>t</title></head><body>"
        b'<p>Mohon blokir <a href="https://t.me/x">here</a> dan '
        b"<a href='https://t.me/y'>https://t.me/y</a></p>"
        b"<script>document.write('evil')</script>"
        b"<table><tr><td>1</td><td>https://t.me/z</td></tr></table>"
        b"<p>Hormat &amp; salam</p></body></html>"
    )
    mail = parse(raw)
    assert "here (https://t.me/x)" in mail.text
    assert "https://t.me/y" in mail.text
    assert "1\thttps://t.me/z" in mail.text
    assert "Hormat & salam" in mail.text
    assert "evil" not in mail.text and "color" not in mail.text


def test_html_charset_from_meta_tag() -> None:
    raw = (
        b"From: a@b.id\nContent-Type: text/html\n\n"
        b'<meta charset="windows-1252"><p>Daftar \x96 tautan</p>'
    )
    mail = parse(raw)
    assert "Daftar – tautan" in mail.text
    assert not has_defect(mail, "8-bit")


def test_alternative_prefers_plain_and_adds_links_only_in_html() -> None:
    raw = (
        b"From: a@b.id\nContent-Type: multipart/alternative; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nMohon blokir kanal di sini.\n"
        b"--b\nContent-Type: text/html\n\n"
        b'<p>Mohon blokir kanal <a href="https://t.me/only_html">di sini</a>.</p>\n'
        b"--b--\n"
    )
    mail = parse(raw)
    assert mail.text.startswith("Mohon blokir kanal di sini.")
    assert "Links in the HTML version:\nhttps://t.me/only_html" in mail.text
    assert mail.text.count("Mohon blokir") == 1


# --------------------------------------------------------------------------- #
# Broken MIME


def test_unterminated_multipart_boundary() -> None:
    raw = (
        b"From: a@b.id\nMessage-ID: <x@y>\nDate: Tue, 3 Nov 2026 10:00:00 +0700\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\n\n'
        b"--XYZ\nContent-Type: text/plain\n\nMohon blokir https://t.me/x\n"
        b'--XYZ\nContent-Type: text/csv; name="daftar.csv"\n\nhttps://t.me/y\n'
    )
    mail = parse(raw)
    assert "https://t.me/x" in mail.text
    assert [a.filename for a in mail.attachments] == ["daftar.csv"]
    assert has_defect(mail, "malformed MIME: multipart close boundary missing")


def test_multipart_without_boundary_parameter() -> None:
    raw = b"From: a@b.id\nContent-Type: multipart/mixed\n\n--x\nhttps://t.me/x\n--x--\n"
    mail = parse(raw)
    assert "https://t.me/x" in mail.text
    assert has_defect(mail, "malformed MIME")


def test_missing_start_boundary() -> None:
    raw = b"From: a@b.id\nContent-Type: multipart/mixed; boundary=q\n\nno parts here\n"
    mail = parse(raw)
    assert has_defect(mail, "malformed MIME")


def test_broken_base64_attachment_is_decoded_as_far_as_possible() -> None:
    good = base64.b64encode(b"https://t.me/a;judi\nhttps://t.me/b;judi\n").decode()
    broken = good[:20] + "!!**" + good[20:] + "="  # junk and bad padding
    raw = (
        b"From: a@b.id\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nlampiran\n"
        b'--b\nContent-Type: text/csv; name="d.csv"\nContent-Transfer-Encoding: base64\n\n'
        + broken.encode()
        + b"\n--b--\n"
    )
    mail = parse(raw)
    assert mail.attachments[0].data == b"https://t.me/a;judi\nhttps://t.me/b;judi\n"
    assert has_defect(mail, "broken base64")


def test_deep_nesting_does_not_crash() -> None:
    depth = 1500
    raw = b"From: a@b.id\n"
    for i in range(depth):
        raw += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
    raw += b"Content-Type: text/plain\n\nhttps://t.me/deep\n"
    mail = parse(raw)
    assert mail.from_address == "a@b.id"
    assert mail.defects  # either parse failure or the depth limit is reported


def test_binary_garbage_gives_a_result_with_defects() -> None:
    rng = random.Random(7)
    for size in (0, 1, 100, 5000):
        mail = parse(bytes(rng.randrange(256) for _ in range(size)))
        assert isinstance(mail, ParsedMail)
        assert "missing From header" in mail.defects
        assert "\x00" not in mail.text


def test_truncated_and_mutated_messages_never_raise() -> None:
    base = (
        b"From: =?utf-8?B?S29tZGlnaQ==?= <a@b.id>\nSubject: =?utf-8?Q?x=E2=80=93?=\n"
        b"Date: Tue, 3 Nov 2026 10:00:00 +0700\nMessage-ID: <x@y>\n"
        b"Content-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(b"<a href='https://t.me/x'>x</a>")
        + b"\n--b\nContent-Type: message/rfc822\n\nFrom: c@d.id\nSubject: inner\n\ninner body\n"
        b"--b--\n"
    )
    rng = random.Random(11)
    for cut in range(0, len(base), 7):
        parse(base[:cut])
    for _ in range(150):
        mutated = bytearray(base)
        for _ in range(5):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        parse(bytes(mutated))


# --------------------------------------------------------------------------- #
# Attachments


def test_attachment_over_the_limit_is_kept_as_metadata() -> None:
    msg = EmailMessage()
    msg["From"] = "a@b.id"
    msg.set_content("lihat lampiran")
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="big.pdf")
    msg.add_attachment(b"small", maintype="text", subtype="plain", filename="small.txt")
    mail = parse(msg.as_bytes(), Limits(max_attachment_bytes=1000))
    big, small = mail.attachments
    assert big.filename == "big.pdf"
    assert big.data == b""
    assert big.size == 5000
    assert big.skipped_reason == "attachment is 5000 bytes, over the limit of 1000 bytes"
    assert small.data == b"small" and small.skipped_reason is None
    assert has_defect(mail, "'big.pdf' skipped")


def test_attachment_filenames_are_decoded_and_sanitised() -> None:
    raw = (
        b"From: a@b.id\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename*=utf-8''surat%20%E2%80%93%20A.pdf\n\n%PDF\n"
        b"--b\nContent-Type: application/octet-stream\n"
        b'Content-Disposition: attachment; filename="../../etc/passwd"\n\nx\n'
        b"--b\nContent-Type: application/pdf\n"
        b'Content-Disposition: attachment; filename="=?utf-8?B?ZGFmdGFyLnBkZg==?="\n\n%PDF\n'
        b"--b\nContent-Type: application/pdf\n\n%PDF\n"
        b"--b--\n"
    )
    names = [a.filename for a in parse(raw).attachments]
    assert names == ["surat – A.pdf", "passwd", "daftar.pdf", "attachment-4.pdf"]


def test_forwarded_order_includes_inner_text_and_attachments() -> None:
    inner = EmailMessage()
    inner["From"] = "Komdigi <aduan@komdigi.go.id>"
    inner["Subject"] = "Nomor: B-99/DJAI/2026 pemblokiran"
    inner["Date"] = "Mon, 02 Nov 2026 09:15:00 +0700"
    inner.set_content("Daftar kanal: https://t.me/inner_channel")
    inner.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="surat.pdf"
    )
    outer = EmailMessage()
    outer["From"] = "Staf <staf@ronda.example>"
    outer["Subject"] = "Fwd: Nomor: B-99/DJAI/2026 pemblokiran"
    outer.set_content("Diteruskan, mohon diproses.")
    outer.add_attachment(inner)
    mail = parse(outer.as_bytes())
    assert mail.from_address == "staf@ronda.example"
    assert "Diteruskan, mohon diproses." in mail.text
    assert "---------- Forwarded message ----------" in mail.text
    assert "Subject: Nomor: B-99/DJAI/2026 pemblokiran" in mail.text
    assert "https://t.me/inner_channel" in mail.text
    assert [a.filename for a in mail.attachments] == ["surat.pdf"]
    assert mail.attachments[0].data == b"%PDF-1.4 fake"


def test_base64_encoded_forwarded_message_is_parsed() -> None:
    inner = b"From: x@y.id\nSubject: dalam\n\nhttps://t.me/b64_inner\n"
    raw = (
        b"From: a@b.id\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(inner)
        + b"\n--b--\n"
    )
    mail = parse(raw)
    assert "https://t.me/b64_inner" in mail.text


# --------------------------------------------------------------------------- #
# Limits


def test_raw_over_limit_is_too_large() -> None:
    with pytest.raises(TooLarge, match="over the limit of 100 bytes"):
        parse(b"From: a@b.id\n\n" + b"x" * 200, Limits(max_raw_bytes=100))


def test_text_over_limit_is_cut_with_defect() -> None:
    mail = parse(b"From: a@b.id\n\n" + b"kata " * 100, Limits(max_text_chars=50))
    assert len(mail.text) == 50
    assert has_defect(mail, "cut at the limit of 50")


def test_result_is_deterministic() -> None:
    raw = "From: a@b.id\nSubject: Pemblokiran – x\n\nisi – y\n".encode("cp1252")
    assert parse(raw) == parse(raw)


def test_hostile_html_is_read_in_linear_time() -> None:
    # html.parser needs minutes for this; the intake must not.
    raw = b"From: a@b.id\nContent-Type: text/html\n\n<!--" + b"a<" * 200_000
    start = time.perf_counter()
    parse(raw)
    raw = b"From: a@b.id\nContent-Type: text/html\n\n" + b'<a href="' * 100_000
    parse(raw)
    assert time.perf_counter() - start < 3
