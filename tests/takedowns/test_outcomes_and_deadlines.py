"""Outcomes, the final report, escalation at 75 % and breaches, urgency changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ronda.audit import service as audit
from ronda.db import session_scope
from ronda.db.base import utcnow
from ronda.errors import BadInput, InvalidTransition
from ronda.links import parse
from ronda.takedowns import service
from ronda.takedowns.receive import receive_email
from ronda.takedowns.watch import check_deadlines, due_items
from tests.support import factories
from tests.takedowns.helpers import flush_mail

LINKS = "https://t.me/slot_gacor_maxwin88\nhttps://t.me/togel_hk_resmi/2201\n"


def _order(factory, settings, body=LINKS, subject="Permintaan pemutusan akses"):
    factories.authority(factory)
    return receive_email(
        factory, settings=settings, data=factories.mail(body=body, subject=subject), source="t.eml"
    ).order


def test_final_report_when_every_item_has_an_outcome(factory, settings, smtp_server):
    order = _order(factory, settings)
    flush_mail(factory)
    smtp_server.clear()
    with session_scope(factory) as s:
        o = service.get_order(s, order.tracking_number)
        service.set_outcome(s, item=o.items[0], status="actioned", reason=None, actor="user:mod")
        assert o.status == "open"
        with pytest.raises(BadInput):
            service.set_outcome(s, item=o.items[1], status="rejected", reason="", actor="user:mod")
        service.set_outcome(s, item=o.items[1], status="not_found", reason=None, actor="user:mod")
        assert o.status == "closed"
        with pytest.raises(InvalidTransition):
            service.set_outcome(
                s, item=o.items[1], status="actioned", reason=None, actor="user:mod"
            )
    flush_mail(factory)
    sent = smtp_server.wait_for(1)
    assert len(sent) == 1
    report = sent[0].get_payload(decode=True).decode()
    assert "Laporan akhir" in sent[0]["Subject"] and "Final report" in sent[0]["Subject"]
    assert "https://t.me/slot_gacor_maxwin88: telah ditindak" in report
    assert "https://t.me/slot_gacor_maxwin88: actioned" in report
    assert "https://t.me/togel_hk_resmi/2201: content not found" in report
    with factory() as s:
        actions = [
            e.action
            for e in audit.history(s, object_type="takedown", object_id=order.tracking_number)
        ]
    assert actions == [
        "takedown.received",
        "takedown.item_outcome",
        "takedown.item_outcome",
        "takedown.closed",
    ]


def test_escalation_at_75_percent_and_breach(factory, settings, smtp_server):
    factories.user(factory, "lead@ronda.test", "lead")
    order = _order(factory, settings)
    flush_mail(factory)
    smtp_server.clear()
    start = order.received_at
    with session_scope(factory) as s:
        assert check_deadlines(s, settings=settings, now=start + timedelta(hours=17)).escalated == 0
        assert (
            check_deadlines(
                s, settings=settings, now=start + timedelta(hours=18, minutes=1)
            ).escalated
            == 2
        )
        assert (
            check_deadlines(s, settings=settings, now=start + timedelta(hours=19)).escalated == 0
        )  # once only
    flush_mail(factory)
    sent = smtp_server.wait_for(1)
    assert len(sent) == 1 and "WARNING" in sent[0]["Subject"]
    assert "lead@ronda.test" in sent[0]["X-Envelope-To"]
    smtp_server.clear()
    with session_scope(factory) as s:
        result = check_deadlines(s, settings=settings, now=start + timedelta(hours=24, seconds=1))
        assert result.breached == 2
        assert check_deadlines(s, settings=settings, now=start + timedelta(hours=30)).breached == 0
    flush_mail(factory)
    assert "BREACHED" in smtp_server.wait_for(1)[0]["Subject"]
    with factory() as s:
        actions = [
            e.action
            for e in audit.history(s, object_type="takedown", object_id=order.tracking_number)
        ]
        assert "takedown.escalated" in actions and "takedown.breached" in actions


def test_due_items_by_time_left(factory, settings):
    factories.authority(factory)
    normal = receive_email(
        factory,
        settings=settings,
        data=factories.mail(body="https://t.me/kanal_biasa_saja"),
        source="a",
    ).order
    urgent = receive_email(
        factory,
        settings=settings,
        data=factories.mail(subject="MENDESAK terorisme", body="https://t.me/ansharud_daulah_id"),
        source="b",
    ).order
    with factory() as s:
        rows = due_items(s)
        assert [o.tracking_number for _, o in rows] == [
            urgent.tracking_number,
            normal.tracking_number,
        ]


def test_lead_changes_urgency_with_audit(factory, settings):
    order = _order(factory, settings)
    with session_scope(factory) as s:
        o = service.get_order(s, order.tracking_number)
        with pytest.raises(BadInput):
            service.set_urgency(
                s, settings=settings, order=o, urgent=True, actor="user:lead", reason=" "
            )
        service.set_urgency(
            s, settings=settings, order=o, urgent=True, actor="user:lead", reason="ISIS content"
        )
        assert o.deadline - o.received_at == timedelta(hours=4)
        assert all(i.deadline == o.deadline for i in o.items)
    with factory() as s:
        events = audit.history(s, object_type="takedown", object_id=order.tracking_number)
        changed = [e for e in events if e.action == "takedown.urgency_changed"]
        assert (
            changed
            and changed[0].data["reason"] == "ISIS content"
            and changed[0].actor == "user:lead"
        )


def test_policy_table_is_configuration(factory, settings):
    from ronda.config import DeadlinePolicy

    settings.deadline_policies = [
        DeadlinePolicy(name="eu_tco", hours=1, urgent=True, categories=["terrorism"]),
        DeadlinePolicy(name="normal", hours=12, urgent=False),
    ]
    factories.authority(factory)
    a = receive_email(
        factory,
        settings=settings,
        data=factories.mail(subject="removal order: terorisme", body="t.me/ansharud_daulah_id"),
        source="a",
    ).order
    b = receive_email(
        factory, settings=settings, data=factories.mail(body="t.me/kanal_biasa_saja"), source="b"
    ).order
    assert (a.policy, a.deadline - a.received_at) == ("eu_tco", timedelta(hours=1))
    assert (b.policy, b.deadline - b.received_at) == ("normal", timedelta(hours=12))


def test_quarantine_assign_and_reject(factory, settings):
    factories.authority(factory)
    from ronda.accounts import service as accounts

    a = receive_email(
        factory, settings=settings, data=factories.mail(sender="x@gmail.example"), source="a"
    ).order
    b = receive_email(
        factory, settings=settings, data=factories.mail(sender="y@gmail.example"), source="b"
    ).order
    with session_scope(factory) as s:
        oa = service.get_order(s, a.tracking_number)
        service.assign_quarantined(
            s, order=oa, authority=accounts.get_authority(s, "komdigi"), actor="user:lead"
        )
        assert oa.status == "open" and oa.authority.slug == "komdigi"
        ob = service.get_order(s, b.tracking_number)
        service.reject_quarantined(s, order=ob, reason="spoofed", actor="user:lead")
        assert ob.status == "rejected"
        with pytest.raises(InvalidTransition):
            service.reject_quarantined(s, order=ob, reason="again", actor="user:lead")


def test_tracking_numbers_are_sequential_per_year(factory, settings):
    with session_scope(factory) as s:
        a = service.new_tracking_number(s, received_at=utcnow(), tz="Asia/Jakarta")
        b = service.new_tracking_number(s, received_at=utcnow(), tz="Asia/Jakarta")
    assert int(b[-6:]) == int(a[-6:]) + 1
    assert a[:9] == f"TKD-{utcnow().year}-" or a.startswith("TKD-")


def test_warning_level_from_st_codes():
    from ronda.takedowns.intake.fields import is_followup

    assert is_followup("Surat Teguran ST2", "").level == 2
    assert is_followup("Surat Peringatan (ST-3)", "").level == 3


def test_followup_items_escalate_on_their_own_clock(factory, settings):
    factories.user(factory, "lead@ronda.test", "lead")
    factories.authority(factory)
    first = receive_email(
        factory,
        settings=settings,
        data=factories.mail(message_id="<f1@komdigi.go.id>", body="https://t.me/kanal_awal_saja"),
        source="1",
    ).order
    with session_scope(factory) as s:
        o = service.get_order(s, first.tracking_number)
        later = o.received_at + timedelta(hours=10)
        draft = service.OrderDraft(
            channel="email",
            received_at=later,
            references=[parse("t.me/kanal_susulan_saja")],
        )
        service.join_followup(
            s, settings=settings, order=o, draft=draft, kind="reminder", level=None, actor="test"
        )
    with session_scope(factory) as s:
        o = service.get_order(s, first.tracking_number)
        late_item = next(i for i in o.items if i.canonical.endswith("kanal_susulan_saja"))
        assert late_item.deadline == later + timedelta(hours=24)
        # at 19 h after the first letter only the first item is past 75 % of its time
        result = check_deadlines(s, settings=settings, now=o.received_at + timedelta(hours=19))
        assert result.escalated == 1
        assert late_item.escalated_at is None
        assert (
            check_deadlines(
                s, settings=settings, now=later + timedelta(hours=18, minutes=1)
            ).escalated
            == 1
        )


def test_urgency_changes_only_on_open_orders(factory, settings):
    factories.authority(factory)
    order = receive_email(
        factory, settings=settings, data=factories.mail(sender="x@gmail.example"), source="q"
    ).order
    with session_scope(factory) as s:
        o = service.get_order(s, order.tracking_number)
        with pytest.raises(InvalidTransition):
            service.set_urgency(
                s, settings=settings, order=o, urgent=True, actor="lead", reason="why"
            )


def test_assigning_a_quarantined_mail_acknowledges_its_sender(factory, settings, smtp_server):
    from ronda.accounts import service as accounts

    factories.authority(factory)
    held = receive_email(
        factory, settings=settings, data=factories.mail(sender="staf@gmail.example"), source="q"
    ).order
    flush_mail(factory)
    assert smtp_server.messages == []
    with session_scope(factory) as s:
        o = service.get_order(s, held.tracking_number)
        service.assign_quarantined(
            s, order=o, authority=accounts.get_authority(s, "komdigi"), actor="user:lead"
        )
        assert o.acknowledged_at is not None
    flush_mail(factory)
    [ack] = smtp_server.wait_for(1)
    assert held.tracking_number in ack["Subject"] and "staf@gmail.example" in ack["X-Envelope-To"]
