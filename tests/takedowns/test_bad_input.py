"""Adversarial and broken input: each ends in a clear error or a visible
quarantined order, and the raw input always stays stored."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from sqlalchemy import select

from ronda.errors import TooLarge
from ronda.takedowns.models import RawInput
from ronda.takedowns.receive import receive_email
from tests.support import factories


def _raw_kept(factory, data: bytes) -> RawInput:
    with factory() as s:
        rows = [r for r in s.scalars(select(RawInput)) if r.data == data]
        assert rows, "the raw input was not stored"
        return rows[0]


def _receive(factory, settings, data: bytes):
    order = receive_email(factory, settings=settings, data=data, source="bad.eml").order
    _raw_kept(factory, data)
    return order


def test_malformed_mime(factory, settings):
    factories.authority(factory)
    data = (
        b"From: aduan@komdigi.go.id\r\nSubject: blokir\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\n'
        b"https://t.me/slot_gacor_maxwin88\r\n--XYZ\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@"
    )
    order = _receive(factory, settings, data)
    assert [i.canonical for i in order.items] == ["https://t.me/slot_gacor_maxwin88"]


def test_missing_headers(factory, settings):
    factories.authority(factory)
    data = b"\r\nhttps://t.me/slot_gacor_maxwin88\r\n"
    order = _receive(factory, settings, data)
    assert order.status == "quarantined"
    assert "not registered" in (order.quarantine_reason or "")


def test_windows_1252_and_8bit_bodies(factory, settings):
    factories.authority(factory)
    body = "Pemblokiran segera \u2013 daftar tautan: https://t.me/slot_gacor_maxwin88 \u201ckanal\u201d".encode(
        "cp1252"
    )
    data = (
        b"From: aduan@komdigi.go.id\r\nSubject: Daftar\r\nMessage-ID: <cp1252@komdigi.go.id>\r\n\r\n"
        + body
    )
    order = _receive(factory, settings, data)
    assert [i.canonical for i in order.items] == ["https://t.me/slot_gacor_maxwin88"]
    wrong = (
        b"From: aduan@komdigi.go.id\r\nSubject: x\r\nMessage-ID: <utf8lie@komdigi.go.id>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    )
    assert [i.canonical for i in _receive(factory, settings, wrong).items] == [
        "https://t.me/slot_gacor_maxwin88"
    ]


def test_html_only_body(factory, settings):
    factories.authority(factory)
    data = (
        b"From: aduan@komdigi.go.id\r\nSubject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<html><body><p>Mohon blokir <a href="https://t.me/togel_hk_resmi/12">kanal ini</a></p>'
        b"<script>https://t.me/tidak_ikut_script</script></body></html>"
    )
    order = _receive(factory, settings, data)
    assert [i.canonical for i in order.items] == ["https://t.me/togel_hk_resmi/12"]


def test_attachment_over_the_limit_is_listed_not_dropped(factory, settings):
    factories.authority(factory)
    settings.limits.max_attachment_bytes = 10_000
    big = b"https://t.me/slot_gacor_maxwin88\n" * 1000
    data = factories.mail(
        body="lihat lampiran; juga https://t.me/togel_hk_resmi",
        attachments=[("daftar.csv", "text/csv", big)],
    )
    order = _receive(factory, settings, data)
    assert [i.canonical for i in order.items] == ["https://t.me/togel_hk_resmi"]
    assert order.unparsed and order.unparsed[0].raw == "daftar.csv"


def _xlsx_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr(
            "xl/worksheets/sheet1.xml",
            "<sheetData>" + "<row><c><v>0</v></c></row>" * 4_000_000 + "</sheetData>",
        )
    return buf.getvalue()


def test_xlsx_zip_bomb(factory, settings):
    factories.authority(factory)
    bomb = _xlsx_bomb()
    data = factories.mail(
        body="lampiran",
        attachments=[
            (
                "daftar.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                bomb,
            )
        ],
    )
    order = _receive(factory, settings, data)
    assert order.status == "quarantined"  # no link found anywhere
    assert order.unparsed[0].raw == "daftar.xlsx"
    assert "would unpack to" in order.unparsed[0].reason


def test_csv_of_a_million_lines(factory, settings):
    factories.authority(factory)
    big = b"".join(b"%d;https://t.me/kanal_nomor_%d\n" % (i, i) for i in range(1_000_000))
    settings.limits.max_attachment_bytes = len(big) + 1
    settings.limits.max_raw_bytes = 3 * len(big)
    data = factories.mail(body="lampiran", attachments=[("sejuta.csv", "text/csv", big)])
    order = _receive(factory, settings, data)
    assert order.status == "quarantined"
    assert (
        "more than" in order.unparsed[0].reason
    )  # rows or characters, whichever limit comes first


def test_binary_garbage(factory, settings):
    factories.authority(factory)
    data = os.urandom(4096)
    order = _receive(factory, settings, data)
    assert order.status == "quarantined"


def test_garbage_attachment(factory, settings):
    factories.authority(factory)
    data = factories.mail(
        body="https://t.me/slot_gacor_maxwin88",
        attachments=[("daftar.csv", "text/csv", b"\x00\x01\x02MZ" + os.urandom(2000))],
    )
    order = _receive(factory, settings, data)
    assert order.status == "open"
    assert order.unparsed[0].raw == "daftar.csv"


def test_spoofed_sender_with_failing_dkim(factory, settings):
    from tests.support.dkim_keys import sign, txt_record

    factories.authority(factory, emails=["aduan@komdigi.go.id"])
    settings.dkim_keys = {"sel1._domainkey.komdigi.go.id": txt_record()}
    signed = sign(factories.mail(body="https://t.me/slot_gacor_maxwin88"), domain=b"komdigi.go.id")
    ok = _receive(factory, settings, signed)
    assert ok.status == "open"
    other = sign(factories.mail(body="https://t.me/slot_gacor_maxwin88"), domain=b"komdigi.go.id")
    tampered = other.replace(b"slot_gacor_maxwin88", b"kanal_lawan_politik")
    bad = _receive(factory, settings, tampered)
    assert bad.status == "quarantined" and "DKIM" in (bad.quarantine_reason or "")


def test_unsigned_mail_from_a_signing_authority(factory, settings):
    from tests.support.dkim_keys import txt_record

    factories.authority(factory, emails=["aduan@komdigi.go.id"], dkim_required=True)
    settings.dkim_keys = {"sel1._domainkey.komdigi.go.id": txt_record()}
    order = _receive(factory, settings, factories.mail())
    assert order.status == "quarantined" and "unsigned" in (order.quarantine_reason or "")


def test_order_with_no_link(factory, settings):
    factories.authority(factory)
    order = _receive(
        factory,
        settings,
        factories.mail(body="Mohon segera ditindaklanjuti kanal yang kami laporkan kemarin."),
    )
    assert order.status == "quarantined" and "no Telegram link" in (order.quarantine_reason or "")


def test_raw_over_the_limit_is_refused_clearly(factory, settings):
    settings.limits.max_raw_bytes = 1000
    with pytest.raises(TooLarge, match="limit of 1,000 bytes"):
        receive_email(factory, settings=settings, data=b"x" * 2000, source="huge.eml")
