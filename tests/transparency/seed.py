"""Seed a desk's history through the real services, on a controlled clock.

Two authorities' orders with items of every outcome, actions of every kind and
source, user reports decided both ways, appeals granted and refused, a
reversal; around the end of January 2026 in Asia/Jakarta (UTC+7), so a day
and a month boundary fall between UTC and local time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ronda.accounts.models import Authority, User
from ronda.actions import service as actions
from ronda.cases import service as cases
from ronda.config import Settings
from ronda.db import base as db_base
from ronda.db import session_scope
from ronda.detection.models import Case
from ronda.jobs import service as jobs
from ronda.links import Reference, parse
from ronda.reports import service as reports
from ronda.reports.models import Appeal
from ronda.subjects.models import Subject
from ronda.subjects.service import ensure_subjects
from ronda.takedowns import service as takedowns
from ronda.takedowns.models import Takedown
from tests.support import factories


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or datetime.now(UTC)


def use_clock(monkeypatch: pytest.MonkeyPatch, clock: Callable[[], datetime]) -> None:
    """Every ``utcnow`` the services imported reads ``clock``."""
    original = db_base.utcnow
    monkeypatch.setattr(db_base, "utcnow", clock)
    for name, module in list(sys.modules.items()):
        if name.startswith("ronda") and getattr(module, "utcnow", None) is original:
            monkeypatch.setattr(module, "utcnow", clock)


def _ref(link: str) -> Reference:
    ref = parse(link)
    assert isinstance(ref, Reference)
    return ref


def _subject(s: Session, link: str) -> Subject:
    ref = _ref(link)
    subject = s.get(Subject, ensure_subjects(s, [ref])[ref.canonical])
    assert subject is not None
    return subject


def _user(s: Session, email: str) -> User:
    user = s.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def seed(
    factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> Clock:
    clock = Clock()
    use_clock(monkeypatch, clock)
    factories.authority(factory, "komdigi")
    factories.authority(factory, "bnpt")
    factories.user(factory, "mod@ronda.test", "moderator")
    factories.user(factory, "lead@ronda.test", "lead")

    def deliver(when: datetime) -> None:
        clock.now = when
        jobs.run_due(factory, kinds=[actions.JOB_KIND])

    def order(
        when: datetime, slug: str, links: list[str], categories: list[str], basis: str | None
    ) -> str:
        clock.now = when
        with session_scope(factory) as s:
            authority = s.scalar(select(Authority).where(Authority.slug == slug))
            made = takedowns.open_order(
                s,
                settings=settings,
                draft=takedowns.OrderDraft(
                    channel="api",
                    received_at=when,
                    references=[_ref(x) for x in links],
                    categories=categories,
                    legal_basis=basis,
                    letter_number=f"{slug}/{when:%m%d%H}",
                ),
                authority=authority,
                actor=f"authority:{slug}",
            )
            return made.tracking_number

    def outcome(when: datetime, tracking: str, link: str, status: str, reason: str | None) -> None:
        clock.now = when
        with session_scope(factory) as s:
            found = takedowns.get_order(s, tracking)
            [item] = [i for i in found.items if i.canonical == _ref(link).canonical]
            takedowns.set_outcome(s, item=item, status=status, reason=reason, actor="user:x")

    def act(
        when: datetime,
        link: str,
        kind: str,
        *,
        source: str,
        category: str,
        ground: str,
        scope: list[str] | None = None,
        by: str = "user:mod@ronda.test",
    ) -> None:
        clock.now = when
        with session_scope(factory) as s:
            actions.request(
                s,
                kind=kind,
                subject=_subject(s, link),
                decided_by=by,
                ground=ground,
                statement_of_reasons=f"{category}: see the order and the evidence kept.",
                category=category,
                territorial_scope=scope,
                source=source,
            )

    def reported(
        when: datetime, link: str, category: str, decision: str, ground: str, scope: list[str]
    ) -> int:
        clock.now = when
        with session_scope(factory) as s:
            report = reports.receive_report(
                s,
                settings=settings,
                link=link,
                category=category,
                text="laporan pengguna",
                reporter_id="reporter-77",
            )
            case_id = report.case_id
        assert case_id is not None
        with session_scope(factory) as s:
            case = s.get(Case, case_id)
            assert case is not None
            mod = _user(s, "mod@ronda.test")
            cases.claim(s, settings=settings, case=case, user=mod)
            cases.decide(
                s,
                case=case,
                user=mod,
                decision=decision,
                ground=ground,
                statement_of_reasons="Isi melanggar; bukti disimpan.",
                territorial_scope=scope,
                settings=settings,
            )
        return case_id

    def appeal(when: datetime, link: str) -> int:
        clock.now = when
        with session_scope(factory) as s:
            return reports.receive_appeal(
                s, link=link, owner_id="owner-9", statement="Keberatan."
            ).id

    def rule(when: datetime, appeal_id: int, grant: bool) -> None:
        clock.now = when
        with session_scope(factory) as s:
            found = s.get(Appeal, appeal_id)
            assert found is not None
            reports.decide_appeal(
                s, appeal=found, user=_user(s, "lead@ronda.test"), grant=grant, reason="Ditinjau."
            )

    # komdigi, 31 Jan 23:30 in Jakarta: four channels, four outcomes
    o1 = order(
        at(1, 31, 16, 30),
        "komdigi",
        [f"https://t.me/judi_{n}_aja" for n in ("satu", "dua", "tiga", "empat")],
        ["gambling"],
        "UU ITE Pasal 27 ayat (2)",
    )
    act(
        at(1, 31, 16, 50),
        "https://t.me/judi_satu_aja",
        "block_channel",
        source="order",
        category="gambling",
        ground="UU ITE Pasal 27 ayat (2)",
    )
    deliver(at(1, 31, 17, 30))  # 1 Feb 00:30 in Jakarta: the next day and month
    outcome(at(1, 31, 18), o1, "https://t.me/judi_dua_aja", "not_found", None)
    outcome(at(2, 2, 9), o1, "https://t.me/judi_tiga_aja", "no_violation", "bukan judi")  # late
    outcome(at(2, 1, 1), o1, "https://t.me/judi_empat_aja", "already_removed", None)

    # bnpt, 1 Feb 10:00 in Jakarta, urgent (terrorism), no legal basis named
    o2 = order(
        at(2, 1, 3),
        "bnpt",
        [f"https://t.me/teror_{n}_aja" for n in ("satu", "dua", "tiga")],
        ["terrorism"],
        None,
    )
    act(
        at(2, 1, 3, 20),
        "https://t.me/teror_satu_aja",
        "withhold_channel",
        source="order",
        category="terrorism",
        ground="UU 5/2018",
        scope=["ID", "DE"],
    )
    deliver(at(2, 1, 4))
    outcome(at(2, 1, 5), o2, "https://t.me/teror_dua_aja", "rejected", "not enough information")
    # teror_tiga_aja stays pending past its 4-hour deadline

    # komdigi again, 10 Feb: one post, removed in half an hour
    order(at(2, 10, 2), "komdigi", ["https://t.me/konten_dewasa_aja/5"], ["porn"], "UU 44/2008")
    act(
        at(2, 10, 2, 10),
        "https://t.me/konten_dewasa_aja/5",
        "remove_post",
        source="order",
        category="porn",
        ground="UU 44/2008 Pasal 4",
    )
    deliver(at(2, 10, 2, 30))

    # user reports decided by a moderator (31 Jan 23:20 in Jakarta)
    reported(
        at(1, 31, 16),
        "https://t.me/propaganda_teror_aja",
        "terrorism",
        "block_channel",
        "UU 5/2018 Pasal 13A",
        [],
    )
    deliver(at(1, 31, 16, 20))
    reported(
        at(2, 5, 1),
        "https://t.me/spam_bot_aja",
        "spam",
        "ban_account",
        "Terms of service: spam",
        [],
    )
    deliver(at(2, 5, 2))
    reported(at(2, 6, 1), "https://t.me/berita_biasa_aja", "hoax", "no_violation", "", [])

    # proactive detection, decided automatically
    act(
        at(2, 8, 6),
        "https://t.me/kanal_benci_aja/7",
        "remove_post",
        source="detection",
        category="hate",
        ground="Community guidelines: hate speech",
        by="classifier",
    )
    act(
        at(2, 8, 6),
        "https://t.me/kanal_benci_lain_aja",
        "withhold_channel",
        source="detection",
        category="hate",
        ground="UU ITE Pasal 28 ayat (2)",
        scope=["ID"],
        by="classifier",
    )
    deliver(at(2, 8, 7))

    # appeals: one granted (a reversal), one refused
    granted = appeal(at(2, 1, 2), "https://t.me/propaganda_teror_aja")
    rule(at(2, 3, 2), granted, grant=True)
    deliver(at(2, 3, 4))
    refused = appeal(at(2, 6, 3), "https://t.me/spam_bot_aja")
    rule(at(2, 7, 3), refused, grant=False)

    clock.now = None
    with factory() as s:
        assert s.scalar(select(Takedown.id).where(Takedown.tracking_number == o1))
    return clock
