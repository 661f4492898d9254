"""The daily bulletin: the @isiswatch shape, counted from the actions carried out,
equal to the figure computed independently from the audit log."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import select
from typer.testing import CliRunner

from ronda.actions.models import Action
from ronda.audit.models import AuditEvent
from ronda.cli.main import app
from ronda.db import session_scope
from ronda.jobs import service as jobs
from ronda.transparency.service import bulletin, count_success, local_day
from tests.actions.test_outbox import _request

pytest_plugins = ["tests.support.platform"]


def test_isiswatch_shape_in_english_and_indonesian(factory, settings):
    with session_scope(factory) as s:
        for when, category in [
            (datetime(2027, 1, 26, 20, 0, tzinfo=UTC), "terrorism"),  # 27 Jan in Jakarta
            (datetime(2027, 1, 27, 3, 0, tzinfo=UTC), "terrorism"),
            (datetime(2027, 1, 5, 3, 0, tzinfo=UTC), "terrorism"),
            (datetime(2027, 1, 27, 3, 0, tzinfo=UTC), "gambling"),
            (datetime(2027, 1, 27, 3, 0, tzinfo=UTC), None),
        ]:
            count_success(
                s,
                action=Action(
                    kind="block_channel", category=category, source="review", succeeded_at=when
                ),
                tz=settings.timezone,
            )
        count_success(
            s,
            action=Action(
                kind="restore",
                category="terrorism",
                source="review",
                succeeded_at=datetime(2027, 1, 27, 3, 0, tzinfo=UTC),
            ),
            tz=settings.timezone,
        )
        day = date(2027, 1, 27)
        assert bulletin(
            s, day=day, lang="en", category="terrorism", report_address="abuse@ronda.test"
        ) == (
            "2 terrorist bots and channels banned on January, 27.\nTotal this month: 3\n"
            "Report terrorist content using the in-app 'Report' button or to abuse@ronda.test."
        )
        assert bulletin(
            s, day=day, lang="id", category="terrorism", report_address="abuse@ronda.test"
        ) == (
            "2 bot dan kanal teroris diblokir pada 27 Januari.\nTotal bulan ini: 3\n"
            "Laporkan konten terorisme melalui tombol 'Laporkan' di aplikasi atau ke abuse@ronda.test."
        )
        assert bulletin(s, day=day, lang="en").startswith(
            "4 groups and channels banned on January, 27.\nTotal this month: 5"
        )
        assert bulletin(s, day=day, lang="en", category="gambling").startswith(
            "1 online gambling channels"
        )


def test_bulletin_equals_the_audit_log(factory, settings, platform):
    for link, kind in [
        ("https://t.me/kanal_satu_aja/1", "remove_post"),
        ("https://t.me/kanal_dua_aja", "block_channel"),
        ("https://t.me/kanal_tiga_aja", "withhold_channel"),
    ]:
        _request(
            factory,
            link=link,
            kind=kind,
            **({"territorial_scope": ["ID"]} if kind == "withhold_channel" else {}),
        )
    jobs.run_due(factory, kinds=["platform_action"])
    with factory() as s:
        today = None
        counts: Counter[tuple[date, str]] = Counter()
        for event in s.scalars(select(AuditEvent).where(AuditEvent.action == "action.succeeded")):
            if event.data["kind"] == "restore":
                continue
            d = local_day(event.at, settings.timezone)
            today = d
            counts[(d, event.data["category"])] += 1
        assert today is not None
        text = bulletin(s, day=today, lang="en", category="gambling")
        assert text.startswith(f"{counts[(today, 'gambling')]} online gambling channels banned")
    out = CliRunner().invoke(
        app, ["bulletin", "--date", today.isoformat(), "--lang", "id", "--category", "gambling"]
    )
    assert out.exit_code == 0 and out.stdout.startswith("3 kanal judi online diblokir pada")
    bad = CliRunner().invoke(app, ["bulletin", "--date", "27-01-2027"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr


def test_worker_posts_yesterdays_bulletin_once_a_day(factory, settings, platform):
    from datetime import timedelta

    from ronda.transparency.service import queue_daily_bulletin

    settings.bulletin_webhook = platform.url.replace("/ronda/actions", "/bulletins")
    settings.bulletin_hour = 7
    morning = datetime(2027, 1, 28, 1, 0, tzinfo=UTC)  # 08:00 in Jakarta
    with session_scope(factory) as s:
        count_success(
            s,
            action=Action(
                kind="block_channel",
                category="terrorism",
                source="review",
                succeeded_at=morning - timedelta(days=1),
            ),
            tz=settings.timezone,
        )
        queue_daily_bulletin(
            s, settings=settings, now=morning - timedelta(hours=2)
        )  # 06:00: too early
        queue_daily_bulletin(s, settings=settings, now=morning)
        queue_daily_bulletin(
            s, settings=settings, now=morning + timedelta(hours=3)
        )  # same day: no second
    assert jobs.run_due(factory, kinds=["bulletin"]) == (1, 0)
    [call] = platform.calls
    import json

    body = json.loads(call["body"])
    assert body["day"] == "2027-01-27"
    assert body["bulletins"]["en"]["terrorism"].startswith(
        "1 terrorist bots and channels banned on January, 27."
    )
    assert body["bulletins"]["id"]["all"].startswith("1 grup dan kanal diblokir pada 27 Januari.")
