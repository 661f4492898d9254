"""E-mail orders: recorded, parsed, acknowledged, idempotent, follow-ups, quarantine."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ronda.takedowns.models import RawInput, Takedown
from ronda.takedowns.receive import receive_email
from tests.support import factories


def test_order_by_mail_is_recorded_parsed_and_acknowledged(factory, settings, smtp_server):
    factories.authority(factory)
    raw = factories.mail(
        subject="Permintaan pemutusan akses situs judi online",
        body=(
            "Nomor: B-1187/DJAI.5/AI.04.02/11/2026\n"
            "Dasar hukum: UU ITE Pasal 27 ayat (2)\n\n"
            "1. https://t.me/slot_gacor_maxwin88\n"
            "2. hxxps://t[.]me/togel_hk_resmi/2201?single\n"
            "3. t.me/+AbCdEfGhIjK12345\n"
            "4. @rtp_live_hariini, dan email cs@judi.example\n"
            "5. https://t.me/share/url?url=x\n"
        ),
    )
    result = receive_email(factory, settings=settings, data=raw, source="test.eml")
    order = result.order
    assert result.created
    assert order.tracking_number.startswith("TKD-2026-")
    assert order.status == "open"
    assert order.letter_number == "B-1187/DJAI.5/AI.04.02/11/2026"
    assert "27" in (order.legal_basis or "")
    assert not order.urgent
    assert order.deadline - order.received_at == timedelta(hours=24)
    assert sorted(i.canonical for i in order.items) == sorted(
        [
            "https://t.me/slot_gacor_maxwin88",
            "https://t.me/togel_hk_resmi/2201",
            "https://t.me/+AbCdEfGhIjK12345",
            "https://t.me/rtp_live_hariini",
        ]
    )
    assert [u.raw for u in order.unparsed] == ["https://t.me/share/url?url=x"]

    from tests.takedowns.helpers import flush_mail

    flush_mail(factory)
    sent = smtp_server.wait_for(1)
    assert len(sent) == 1
    ack = sent[0]
    assert order.tracking_number in ack["Subject"]
    body = ack.get_payload(decode=True).decode()
    assert "Nomor pelacakan" in body and "Tracking number" in body
    assert "Tautan diterima : 4" in body and "Links received  : 4" in body
    assert ack["In-Reply-To"].strip("<>") == raw_message_id(raw)
    assert "aduan@komdigi.go.id" in ack["X-Envelope-To"]


def raw_message_id(raw: bytes) -> str:
    import email

    return email.message_from_bytes(raw)["Message-ID"].strip("<>")


def test_same_message_twice_gives_the_same_order(factory, settings):
    factories.authority(factory)
    raw = factories.mail()
    first = receive_email(factory, settings=settings, data=raw, source="a.eml")
    second = receive_email(factory, settings=settings, data=raw, source="b.eml")
    # the same Message-ID with different bytes (another Received header) too
    third = receive_email(
        factory, settings=settings, data=b"Received: from relay\r\n" + raw, source="c.eml"
    )
    assert (
        first.order.tracking_number == second.order.tracking_number == third.order.tracking_number
    )
    assert second.duplicate and third.duplicate
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Takedown)) == 1


def test_unknown_sender_is_quarantined_and_not_acknowledged(factory, settings, smtp_server):
    factories.authority(factory)
    raw = factories.mail(sender="kominfo.pusat@gmail.example")
    order = receive_email(factory, settings=settings, data=raw, source="x.eml").order
    assert order.status == "quarantined"
    assert "not registered" in (order.quarantine_reason or "")
    assert order.authority is None
    from tests.takedowns.helpers import flush_mail

    flush_mail(factory)
    assert smtp_server.messages == []


def test_urgent_words_give_four_hours(factory, settings):
    factories.authority(factory)
    raw = factories.mail(
        subject="MENDESAK: propaganda terorisme", body="Segera blokir t.me/ansharud_daulah_id"
    )
    order = receive_email(factory, settings=settings, data=raw, source="u.eml").order
    assert order.urgent
    assert order.deadline - order.received_at == timedelta(hours=4)


def test_reply_in_thread_joins_the_order_and_raises_it(factory, settings):
    factories.authority(factory)
    first_raw = factories.mail(message_id="<surat-1@komdigi.go.id>")
    order = receive_email(factory, settings=settings, data=first_raw, source="1.eml").order
    reply = factories.mail(
        subject="Re: Permintaan pemutusan akses",
        in_reply_to="<surat-1@komdigi.go.id>",
        body="Tambahan: https://t.me/kanal_tambahan_baru",
    )
    result = receive_email(factory, settings=settings, data=reply, source="2.eml")
    assert result.followup and not result.created
    assert result.order.tracking_number == order.tracking_number
    assert result.order.followups == 1
    assert "https://t.me/kanal_tambahan_baru" in [i.canonical for i in result.order.items]


def test_warning_letter_citing_the_letter_number_joins(factory, settings):
    factories.authority(factory)
    first = factories.mail(body="Nomor: B-99/DJAI/11/2026\nhttps://t.me/slot_gacor_maxwin88")
    order = receive_email(factory, settings=settings, data=first, source="1.eml").order
    warning = factories.mail(
        subject="Surat Teguran Kedua (ST2)",
        body="Nomor: B-99/DJAI/11/2026\nBelum ditindaklanjuti: https://t.me/slot_gacor_maxwin88",
    )
    result = receive_email(factory, settings=settings, data=warning, source="2.eml")
    assert result.followup
    assert result.order.tracking_number == order.tracking_number
    assert result.order.warning_level == 2
    assert len(result.order.items) == 1


def test_raw_input_is_stored_before_parsing(factory, settings):
    factories.authority(factory)
    raw = factories.mail()
    receive_email(factory, settings=settings, data=raw, source="keep.eml")
    with factory() as s:
        row = s.scalars(select(RawInput)).one()
        assert row.data == raw
        assert row.status == "parsed"
        assert row.takedown_id is not None
