"""The daily order and appeal aggregates hold what the records add up to.

After the seeded history (tests/transparency/seed.py: orders opened, items
given outcomes through actions and by hand, appeals received and decided, a
reversal), the rows kept event by event equal those recomputed from the
records, and those the migration's backfill writes from the same records.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select
from typer.testing import CliRunner

from ronda.accounts.models import Authority
from ronda.cli.main import app
from ronda.db import session_scope
from ronda.takedowns import service as takedowns
from ronda.takedowns.models import ItemStatus
from ronda.transparency import aggregates
from ronda.transparency.models import DailyActions, DailyActionTimes, DailyAppeals, DailyOrders
from tests.transparency.seed import _ref, seed

pytest_plugins = ["tests.support.platform"]

MIGRATION = (
    Path(__file__).parents[2] / "src/ronda/migrations/versions/0009_order_and_appeal_aggregates.py"
)


def _migration():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("migration_0009", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kept_rows_equal_a_rebuild_and_the_migration_backfill(
    factory, settings, platform, monkeypatch
):
    seed(factory, settings, monkeypatch)
    with factory() as s:
        kept = aggregates.stored(s)
        assert kept == aggregates.compute(s, tz=settings.timezone)
        assert kept["daily_orders"] and kept["daily_action_times"] and kept["daily_appeals"]
        assert sum(r["reversals"] for r in kept["daily_appeals"]) == 1
    with session_scope(factory) as s:
        for table in (DailyOrders, DailyActionTimes, DailyAppeals):
            s.execute(delete(table))
    with factory() as s, s.begin():
        _migration().backfill(s.connection(), settings.timezone)
    with factory() as s:
        assert aggregates.stored(s) == kept
    table = DailyActions.__table__
    order = (table.c.day, table.c.category, table.c.source, table.c.kind)

    def actions_kept() -> list[dict[str, object]]:
        with factory() as s:
            rows = s.execute(select(table).order_by(*order)).mappings()
            return [{k: v for k, v in row.items() if k != "id"} for row in rows]

    before = actions_kept()
    run = CliRunner().invoke(app, ["db", "rebuild-figures"])
    assert run.exit_code == 0, run.output
    assert f"daily_orders: {len(kept['daily_orders'])} row(s)" in run.output
    with factory() as s:
        assert aggregates.stored(s) == kept
        assert aggregates.compute_actions(s, tz=settings.timezone) == before
    assert actions_kept() == before and before


def test_a_quarantined_order_counts_once_assigned_with_what_its_items_became(
    factory, settings, platform, monkeypatch
):
    from tests.support import factories

    factories.authority(factory, "komdigi")
    received = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with session_scope(factory) as s:
        order = takedowns.open_order(
            s,
            settings=settings,
            draft=takedowns.OrderDraft(
                channel="email",
                received_at=received,
                references=[_ref("https://t.me/judi_karantina_aja")],
                sender="someone@example.org",
            ),
            authority=None,
            quarantine_reason="unknown sender",
            actor="intake",
        )
        [item] = order.items
        takedowns.set_outcome(
            s,
            item=item,
            status=ItemStatus.ACTIONED,
            reason="seen",
            actor="user:x",
            at=datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
        )
        tracking = order.tracking_number
    with factory() as s:
        assert aggregates.stored(s)["daily_orders"] == []
    with session_scope(factory) as s:
        authority = s.scalar(select(Authority).where(Authority.slug == "komdigi"))
        assert authority is not None
        takedowns.assign_quarantined(
            s, order=takedowns.get_order(s, tracking), authority=authority, actor="user:lead"
        )
    with factory() as s:
        kept = aggregates.stored(s)
        assert kept == aggregates.compute(s, tz=settings.timezone)
        [row] = kept["daily_orders"]
        assert (row["orders"], row["actioned"], row["pending"]) == (1, 1, 0)
        ninety = 90 * 60_000_000
        assert [(t["span"], t["bucket"], t["micros"]) for t in kept["daily_action_times"]] == [
            ("day", aggregates.bucket_of(ninety), ninety),
            ("month", aggregates.bucket_of(ninety), ninety),
        ]


def test_the_median_from_the_histogram():
    second = 1_000_000
    minute = 60 * second
    one = {aggregates.bucket_of(5 * minute + 7): (1, 5 * minute + 7)}
    assert aggregates.median_seconds(one) == (5 * minute + 7) / 1e6
    assert aggregates.median_seconds({}) is None
    # two items alone in their buckets: the mean of the two, exactly
    two = {
        aggregates.bucket_of(3 * minute): (1, 3 * minute + 1),
        aggregates.bucket_of(9 * minute): (1, 9 * minute + 5),
    }
    assert aggregates.median_seconds(two) == ((3 * minute + 1) + (9 * minute + 5)) / 2 / 1e6
    # the two middle items sharing a bucket of two: exact
    b = aggregates.bucket_of(4 * minute)
    assert aggregates.median_seconds({b: (2, 8 * minute + 60)}) == (8 * minute + 60) / 2 / 1e6
    # three items in one bucket: interpolated, within that bucket
    b = aggregates.bucket_of(7 * 3600 * second)
    low, high = aggregates.bucket_bounds(b)
    got = aggregates.median_seconds({b: (3, 3 * low + 10)})
    assert got is not None and low / 1e6 <= got < high / 1e6
    # whole seconds below 128 s; above, buckets narrower than 1/64 of their durations
    assert [aggregates.bucket_of(s * second + 5) for s in (0, 1, 127)] == [0, 1, 127]
    for seconds in (128, 129, 3600, 4 * 3600 + 1, 30 * 3600, 400 * 3600):
        low, high = aggregates.bucket_bounds(aggregates.bucket_of(seconds * second))
        assert low <= seconds * second < high and (high - low) * 64 <= low


def test_a_period_is_whole_months_and_the_days_around_them():
    from datetime import date

    from ronda.transparency.stats import month_spans

    d = date
    assert month_spans(d(2026, 1, 5), d(2026, 1, 20)) == ([], [(d(2026, 1, 5), d(2026, 1, 20))])
    assert month_spans(d(2026, 1, 1), d(2026, 1, 31)) == ([d(2026, 1, 1)], [])
    assert month_spans(d(2025, 11, 23), d(2026, 11, 22)) == (
        [d(2025, 12, 1)] + [d(2026, m, 1) for m in range(1, 11)],
        [(d(2025, 11, 23), d(2025, 11, 30)), (d(2026, 11, 1), d(2026, 11, 22))],
    )
    assert month_spans(d(2026, 2, 1), d(2026, 3, 30)) == (
        [d(2026, 2, 1)],
        [(d(2026, 3, 1), d(2026, 3, 30))],
    )


def test_the_histogram_median_stays_within_its_bound_of_the_exact_one():
    import random
    import statistics

    rng = random.Random(5)
    for n in (1, 2, 3, 10, 101, 1000, 5000):
        micros = [rng.randrange(0, 40 * 3600 * 1_000_000) for _ in range(n)]
        histogram: dict[int, tuple[int, int]] = {}
        for m in micros:
            count, total = histogram.get(aggregates.bucket_of(m), (0, 0))
            histogram[aggregates.bucket_of(m)] = (count + 1, total + m)
        exact = statistics.median(micros) / 1e6
        got = aggregates.median_seconds(histogram)
        assert got is not None
        # under a second below two minutes, else under 1/64 of the median
        assert abs(got - exact) <= max(1.0, exact / 64), (n, got, exact)
