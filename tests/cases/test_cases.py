"""Cases: the status machine, priority, routing, take-next leases, decisions."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from ronda.accounts.models import User
from ronda.audit import service as audit
from ronda.cases import service as cases
from ronda.cases.machine import TRANSITIONS, Status, allowed, transition
from ronda.cases.priority import priority
from ronda.config import QueueRule
from ronda.db import session_scope
from ronda.detection.models import Case
from ronda.errors import BadInput, Forbidden, InvalidTransition
from ronda.jobs import service as jobs
from ronda.links import parse
from ronda.subjects.service import ensure_subjects
from ronda.takedowns.receive import receive_email
from tests.support import factories

pytest_plugins = ["tests.support.platform"]


def make_case(
    factory,
    link="https://t.me/slot_gacor_maxwin88/12",
    category="gambling",
    *,
    language="id",
    prio=50.0,
    queue="id",
) -> int:
    with session_scope(factory) as s:
        ref = parse(link)
        sid = ensure_subjects(s, [ref])[ref.canonical]
        case = Case(
            subject_id=sid,
            category=category,
            status="new",
            priority=prio,
            queue=queue,
            language=language,
            signal_count=1,
            max_score=0.9,
        )
        s.add(case)
        s.flush()
        return case.id


def user(factory, email, role="moderator", languages=("id",)) -> User:
    factories.user(factory, email, role)
    with session_scope(factory) as s:
        u = s.scalar(select(User).where(User.email == email))
        u.languages = list(languages)
        return u


def test_transition_table_and_audit(factory, settings):
    assert (
        allowed("new", "in_review")
        and not allowed("new", "decided")
        and not allowed("bogus", "new")
    )
    assert (Status.DECIDED, Status.APPEALED) in TRANSITIONS
    case_id = make_case(factory)
    with session_scope(factory) as s:
        case = cases.get(s, case_id)
        with pytest.raises(InvalidTransition):
            transition(s, case=case, to=Status.DECIDED, actor="x")
        transition(s, case=case, to=Status.IN_REVIEW, actor="user:a")
    with factory() as s:
        events = audit.history(s, object_type="case", object_id=str(case_id))
        assert [e.action for e in events] == ["case.claimed"]
        assert events[0].data == {"from": "new", "to": "in_review"}


def test_priority_orders_by_severity_reach_confidence_and_deadline():
    base = dict(subscribers=10_000, max_score=0.8)
    assert priority(category="terrorism", **base) > priority(category="gambling", **base)
    assert priority(category="gambling", subscribers=5_000_000, max_score=0.8) > priority(
        category="gambling", subscribers=50, max_score=0.8
    )
    assert priority(category="hoax", max_score=0.95) > priority(category="hoax", max_score=0.55)
    assert priority(category="hoax", max_score=0.6, source_trusts=[1.0, 1.0]) > priority(
        category="hoax", max_score=0.6
    )
    assert priority(category="hoax", max_score=0.6, source_trusts=[0.0]) == priority(
        category="hoax", max_score=0.6
    )
    # at equal reach and confidence, an order item due within the hour outranks
    # a case of any category without a deadline
    assert priority(category="spam", hours_left=0.5, **base) > priority(category="csam", **base)
    assert priority(category="gambling", hours_left=-1) > priority(
        category="gambling", hours_left=0.5
    )


def test_routing_rules():
    rules = [
        QueueRule(name="urgent-id", categories=["terrorism"], languages=["id", "jv"]),
        QueueRule(name="id", languages=["id", "jv"]),
        QueueRule(name="default"),
    ]
    assert cases.route(rules, category="terrorism", language="jv") == "urgent-id"
    assert cases.route(rules, category="gambling", language="id") == "id"
    assert cases.route(rules, category="terrorism", language="en") == "default"
    assert cases.route([], category="x", language="y") == "default"


def test_take_next_by_priority_and_language(factory, settings):
    low = make_case(factory, "https://t.me/kanal_satu_aja/1", prio=10)
    high = make_case(factory, "https://t.me/kanal_dua_aja/2", prio=90)
    arabic = make_case(
        factory, "https://t.me/kanal_tiga_aja/3", prio=99, language="ar", queue="default"
    )
    mod = user(factory, "mod@ronda.test", languages=["id", "jv"])
    with session_scope(factory) as s:
        assert cases.claim_next(s, settings=settings, user=s.get(User, mod.id)).id == high
    with session_scope(factory) as s:
        assert cases.claim_next(s, settings=settings, user=s.get(User, mod.id)).id == low
    with session_scope(factory) as s:
        assert (
            cases.claim_next(s, settings=settings, user=s.get(User, mod.id)) is None
        )  # cannot read Arabic
    ar = user(factory, "ar@ronda.test", languages=["ar"])
    with session_scope(factory) as s:
        assert cases.claim_next(s, settings=settings, user=s.get(User, ar.id)).id == arabic


def test_two_moderators_taking_next_at_once_get_different_cases(factory, settings):
    ids = {make_case(factory, f"https://t.me/kanal_nomor_{i:03d}/1", prio=50) for i in range(2)}
    mods = [user(factory, f"mod{i}@ronda.test") for i in range(2)]
    got: list[int | None] = []
    barrier = threading.Barrier(2)

    def take(m: User) -> None:
        barrier.wait()
        with session_scope(factory) as s:
            case = cases.claim_next(s, settings=settings, user=s.get(User, m.id))
            got.append(case.id if case else None)

    threads = [threading.Thread(target=take, args=(m,)) for m in mods]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(got) == sorted(ids)


def test_expired_lease_is_taken_over(factory, settings):
    case_id = make_case(factory)
    a, b = user(factory, "a@ronda.test"), user(factory, "b@ronda.test")
    settings.case_lease_minutes = -1  # leases run out at once
    with session_scope(factory) as s:
        assert cases.claim_next(s, settings=settings, user=s.get(User, a.id)).id == case_id
    with session_scope(factory) as s:
        case = cases.claim_next(s, settings=settings, user=s.get(User, b.id))
        assert case.id == case_id and case.assignee_id == b.id
        with pytest.raises(Forbidden):
            cases.decide(
                s,
                case=case,
                user=s.get(User, a.id),
                decision="no_violation",
                ground="",
                statement_of_reasons="",
            )


def test_decide_writes_the_action_and_it_reaches_the_platform(factory, settings, platform):
    factories.authority(factory)
    order = receive_email(
        factory,
        settings=settings,
        data=factories.mail(body="https://t.me/slot_gacor_maxwin88/12"),
        source="o",
    ).order
    case_id = make_case(factory)
    mod = user(factory, "mod@ronda.test")
    with session_scope(factory) as s:
        u = s.get(User, mod.id)
        case = cases.claim_next(s, settings=settings, user=u)
        with pytest.raises(BadInput, match="ground"):
            cases.decide(
                s, case=case, user=u, decision="remove_post", ground=" ", statement_of_reasons="x"
            )
        result = cases.decide(
            s,
            case=case,
            user=u,
            decision="remove_post",
            ground="UU ITE Pasal 27 ayat (2)",
            statement_of_reasons="Promosi situs judi online dengan tautan pendaftaran.",
        )
        assert case.status == "decided" and len(result.actions) == 1
    assert jobs.run_due(factory, kinds=["platform_action"]) == (1, 0)
    body = next(iter(platform.applied.values()))
    assert (
        body["type"] == "remove_post" and body["subject"] == "https://t.me/slot_gacor_maxwin88/12"
    )
    from ronda.takedowns import service as takedowns

    with factory() as s:
        o = takedowns.get_order(s, order.tracking_number)
        assert [i.status for i in o.items] == ["actioned"] and o.status == "closed"
        actions = [e.action for e in audit.history(s, object_type="case", object_id=str(case_id))]
        assert actions == ["case.claimed", "case.decided"]


def test_block_a_post_s_channel_and_no_violation_and_escalation(factory, settings, platform):
    factories.authority(factory)
    order = receive_email(
        factory,
        settings=settings,
        data=factories.mail(body="https://t.me/kanal_dakwah_damai/5"),
        source="o",
    ).order
    first = make_case(factory, "https://t.me/kanal_judi_besar/7", prio=80)
    assert first
    second = make_case(factory, "https://t.me/kanal_dakwah_damai/5", category="terrorism", prio=70)
    third = make_case(factory, "https://t.me/kanal_ragu_ragu/9", category="hoax", prio=60)
    mod = user(factory, "mod@ronda.test")
    with session_scope(factory) as s:
        u = s.get(User, mod.id)
        c1 = cases.claim_next(s, settings=settings, user=u)
        assert c1.id == first
        d = cases.decide(
            s,
            case=c1,
            user=u,
            decision="withhold_channel",
            ground="UU ITE Pasal 27 ayat (2)",
            statement_of_reasons="Kanal judi.",
            territorial_scope=["ID"],
        )
        assert d.actions[0].canonical == "https://t.me/kanal_judi_besar" and d.actions[
            0
        ].territorial_scope == ["ID"]
        c2 = cases.claim_next(s, settings=settings, user=u)
        assert c2.id == second
        cases.decide(
            s, case=c2, user=u, decision="no_violation", ground="", statement_of_reasons=""
        )
        c3 = cases.claim_next(s, settings=settings, user=u)
        cases.decide(
            s,
            case=c3,
            user=u,
            decision="escalate",
            ground="",
            statement_of_reasons="Perlu penilaian koordinator.",
        )
        assert c3.status == "new" and c3.queue == "leads"
        assert (
            cases.claim_next(s, settings=settings, user=u) is None
        )  # moderators do not take the leads' queue
    from ronda.takedowns import service as takedowns

    with factory() as s:
        assert takedowns.get_order(s, order.tracking_number).items[0].status == "no_violation"
    lead = user(factory, "lead@ronda.test", role="lead")
    with session_scope(factory) as s:
        assert cases.claim_next(s, settings=settings, user=s.get(User, lead.id)).id == third


def test_exposure_limit_sends_take_next_to_other_queues(factory, settings, platform):
    settings.exposure_limits = {"terrorism": 1}
    t1 = make_case(factory, "https://t.me/kanal_teror_satu/1", category="terrorism", prio=95)
    t2 = make_case(factory, "https://t.me/kanal_teror_dua/2", category="terrorism", prio=94)
    g = make_case(factory, "https://t.me/kanal_judi_tiga/3", category="gambling", prio=10)
    mod = user(factory, "mod@ronda.test")
    with session_scope(factory) as s:
        u = s.get(User, mod.id)
        case = cases.claim_next(s, settings=settings, user=u)
        assert case.id == t1
        cases.decide(
            s, case=case, user=u, decision="no_violation", ground="", statement_of_reasons=""
        )
        assert cases.exhausted_categories(s, settings=settings, user=u) == ["terrorism"]
        assert cases.claim_next(s, settings=settings, user=u).id == g  # not t2
    other = user(factory, "fresh@ronda.test")
    with session_scope(factory) as s:
        assert cases.claim_next(s, settings=settings, user=s.get(User, other.id)).id == t2


def test_blocking_a_big_channel_needs_a_second_person(factory, settings, platform):
    settings.approval_subscribers = 1000
    case_id = make_case(factory, "https://t.me/kanal_raksasa/5", category="terrorism")
    with session_scope(factory) as s:
        s.get(Case, case_id).subscribers = 2_000_000
    mod = user(factory, "mod@ronda.test")
    lead = user(factory, "lead@ronda.test", role="lead")
    with session_scope(factory) as s:
        u = s.get(User, mod.id)
        case = cases.claim_next(s, settings=settings, user=u)
        held = cases.decide(
            s,
            case=case,
            user=u,
            decision="block_channel",
            ground="UU 5/2018",
            statement_of_reasons="Propaganda.",
            settings=settings,
        )
        assert (
            held.actions == []
            and case.status == "in_review"
            and case.pending_decision["by"] == "user:mod@ronda.test"
        )
        with pytest.raises(Forbidden):
            cases.approve(s, case=case, user=u)  # not a lead, and the same person
    assert jobs.run_due(factory, kinds=["platform_action"]) == (0, 0)
    with session_scope(factory) as s:
        done = cases.approve(s, case=s.get(Case, case_id), user=s.get(User, lead.id))
        assert done.case.status == "decided" and done.actions[0].kind == "block_channel"
        assert done.case.pending_decision is None
    assert jobs.run_due(factory, kinds=["platform_action"]) == (1, 0)
    with factory() as s:
        events = [
            (e.action, e.actor)
            for e in audit.history(s, object_type="case", object_id=str(case_id))
        ]
        assert ("case.approval_requested", "user:mod@ronda.test") in events
        decided = next(
            e
            for e in audit.history(s, object_type="case", object_id=str(case_id))
            if e.action == "case.decided"
        )
        assert decided.data["approved_by"] == "user:lead@ronda.test"


def test_bulk_decision_for_a_whole_order(factory, settings, platform):
    factories.authority(factory)
    order = receive_email(
        factory,
        settings=settings,
        data=factories.mail(
            body="https://t.me/slot_gacor_maxwin88/12 https://t.me/togel_hk_resmi https://t.me/+AbCdEfGhIjK12345"
        ),
        source="o",
    ).order
    mod = user(factory, "mod@ronda.test")
    with session_scope(factory) as s:
        with pytest.raises(BadInput):
            cases.decide_order(
                s,
                order_id=order.id,
                user=s.get(User, mod.id),
                decision="withhold_channel",
                ground="",
                statement_of_reasons="",
            )
        created = cases.decide_order(
            s,
            order_id=order.id,
            user=s.get(User, mod.id),
            decision="withhold_channel",
            ground="UU ITE Pasal 27 ayat (2)",
            statement_of_reasons="Judi online.",
        )
        assert sorted((a.kind, a.canonical) for a in created) == [
            ("withhold_channel", "https://t.me/+AbCdEfGhIjK12345"),
            ("withhold_channel", "https://t.me/slot_gacor_maxwin88"),
            ("withhold_channel", "https://t.me/togel_hk_resmi"),
        ]
    assert jobs.run_due(factory, kinds=["platform_action"]) == (3, 0)
    from ronda.takedowns import service as takedowns

    with factory() as s:
        o = takedowns.get_order(s, order.tracking_number)
        assert {i.status for i in o.items} == {"actioned"} and o.status == "closed"
        with pytest.raises(Exception, match="closed"):
            cases.decide_order(
                s,
                order_id=order.id,
                user=s.get(User, mod.id),
                decision="no_violation",
                ground="",
                statement_of_reasons="",
            )


def test_order_items_become_cases_with_their_deadlines(factory, settings):
    factories.authority(factory)
    urgent = receive_email(
        factory,
        settings=settings,
        data=factories.mail(
            subject="MENDESAK terorisme",
            body="https://t.me/ansharud_daulah_id/118 https://t.me/kanal_teror_dua/5",
        ),
        source="u",
    ).order
    normal = receive_email(
        factory,
        settings=settings,
        data=factories.mail(subject="judi online", body="https://t.me/slot_gacor_maxwin88/12"),
        source="n",
    ).order
    from sqlalchemy import select as sel

    from ronda.subjects.models import Subject

    with factory() as s:
        rows = s.execute(
            sel(Subject.canonical, Case.category, Case.deadline, Case.priority, Case.queue)
            .join(Subject, Subject.id == Case.subject_id)
            .order_by(Case.priority.desc())
        ).all()
    assert [r[1] for r in rows] == ["terrorism", "terrorism", "gambling"]
    assert {r[0] for r in rows[:2]} == {
        "https://t.me/ansharud_daulah_id/118",
        "https://t.me/kanal_teror_dua/5",
    }
    assert rows[0][2] == urgent.deadline and rows[-1][2] == normal.deadline
    assert rows[0][4] == "urgent-id"
    mod = user(factory, "mod@ronda.test")
    with session_scope(factory) as s:
        assert (
            cases.claim_next(s, settings=settings, user=s.get(User, mod.id)).category == "terrorism"
        )
