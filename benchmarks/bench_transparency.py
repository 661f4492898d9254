"""Benchmark: the public /transparency page over 10,000,000 actions in
PostgreSQL (goal: under 500 ms).

Run:  nice -n 10 .venv/bin/python benchmarks/bench_transparency.py [--actions 10000000] [--samples 30]

It creates a scratch database and fills it server-side (INSERT ... SELECT
from generate_series, in chunks, with the secondary indexes of ``actions``
built after the load): the actions carried out over the last 365 days, a
share of them reversed, 20,000 authority orders from five authorities with
200,000 items of every outcome, and 20,000 appeals. ``daily_actions`` is then
filled with exactly what ``transparency.service.count_success`` would have
added as each action succeeded (one grouped INSERT instead of ten million
increments), and the order and appeal aggregates (``daily_orders``,
``daily_action_times``, ``daily_appeals``) by ``transparency.aggregates.
rebuild``, which computes from the records what the increments add as each
order, item, appeal and reversal changes (the tests hold the two equal). It measures GET /transparency through the app, in-process, for
the default 30 days and for a whole year, and one JSON download, then drops
the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from ronda.config import Settings, use_settings
from ronda.db import create_engine_for, make_sessionmaker, migrate, session_scope
from ronda.transparency import aggregates
from ronda.web.app import create_app

CATEGORIES = "{terrorism,csam,porn,gambling,scam,hate,hoax,spam}"
KINDS = "{remove_post,block_channel,withhold_channel,ban_account}"
SOURCES = "{order,review,detection}"
STATUSES = "{actioned,actioned,actioned,no_violation,not_found,already_removed,rejected,pending}"


def fill(url: str, n: int, chunk: int = 1_000_000) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subjects (canonical, kind, username, created_at) "
                "SELECT 'https://t.me/kanal_' || g, 'channel', 'kanal_' || g, now() "
                "FROM generate_series(1, 200000) g"
            )
        )
        # the load goes faster with the secondary indexes built afterwards
        indexes = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'actions' "
                "AND indexname NOT LIKE 'pk_%'"
            )
        ).all()
        for name, _ in indexes:
            conn.execute(text(f'ALTER TABLE actions DROP CONSTRAINT IF EXISTS "{name}"'))
            conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        with engine.begin() as conn:
            conn.execute(
                text(f"""
                INSERT INTO actions (kind, subject_id, canonical, territorial_scope, category,
                    ground, statement_of_reasons, source, decided_by, idempotency_key, status,
                    attempts, requested_at, succeeded_at)
                SELECT (CAST(:kinds AS text[]))[1 + g % 4], 1 + g % 200000,
                       'https://t.me/kanal_' || (1 + g % 200000), '[]',
                       (CAST(:cats AS text[]))[1 + (g / 7) % 8], 'UU ITE', 'bench',
                       (CAST(:sources AS text[]))[1 + (g / 3) % 3], 'bench', 'b-' || g,
                       'succeeded', 1,
                       now() - (g % 31536000) * interval '1 second' - interval '1 minute',
                       now() - (g % 31536000) * interval '1 second'
                FROM generate_series({start + 1}, {start + size}) g
                """),
                {"kinds": KINDS, "cats": CATEGORIES, "sources": SOURCES},
            )
        print(f"  {start + size:,} actions", flush=True)
    with engine.begin() as conn:
        # one reversal for every thousandth action
        conn.execute(
            text("""
            INSERT INTO actions (kind, subject_id, canonical, territorial_scope, category, ground,
                statement_of_reasons, source, decided_by, idempotency_key, status, attempts,
                requested_at, succeeded_at, reverses_id)
            SELECT 'restore', subject_id, canonical, '[]', category, ground, 'appeal granted',
                   source, 'bench', 'r-' || id, 'succeeded', 1, succeeded_at + interval '1 day',
                   succeeded_at + interval '1 day', id
            FROM actions WHERE id % 1000 = 0
            """)
        )
        for _, definition in indexes:
            conn.execute(text(definition))
        # what count_success adds as each action succeeds (restores are not counted)
        conn.execute(
            text("""
            INSERT INTO daily_actions (day, category, source, kind, count)
            SELECT (succeeded_at AT TIME ZONE 'Asia/Jakarta')::date, COALESCE(category, 'other'),
                   COALESCE(NULLIF(source, ''), 'other'), kind, count(*)
            FROM actions WHERE kind <> 'restore' AND status = 'succeeded'
            GROUP BY 1, 2, 3, 4
            """)
        )
        conn.execute(
            text(
                "INSERT INTO authorities (slug, name, language, dkim_required, created_at) "
                "SELECT 'a' || g, 'Authority ' || g, 'id', false, now() FROM generate_series(1, 5) g"
            )
        )
        conn.execute(
            text("""
            INSERT INTO takedowns (tracking_number, authority_id, status, channel, subject_line,
                urgent, policy, categories, received_at, deadline, followups, warning_level)
            SELECT 'TKD-B-' || g, 1 + g % 5, 'closed', 'api', '', g % 4 = 0, 'normal',
                   '["gambling"]', now() - (g % 365) * interval '1 day' - interval '2 hours',
                   now() - (g % 365) * interval '1 day' + interval '22 hours', 0, 0
            FROM generate_series(1, 20000) g
            """)
        )
        conn.execute(
            text("""
            INSERT INTO takedown_items (takedown_id, subject_id, canonical, kind, raw, status,
                added_at, deadline, outcome_at)
            SELECT t.id, 1 + (t.id * 10 + k) % 200000, 'https://t.me/kanal_' || k, 'channel', '',
                   (CAST(:st AS text[]))[1 + (t.id + k) % 8], t.received_at, t.deadline,
                   CASE WHEN (t.id + k) % 8 = 7 THEN NULL
                        ELSE t.received_at + ((t.id * 37 + k * 11) % 1800) * interval '1 minute' END
            FROM takedowns t CROSS JOIN generate_series(1, 10) k
            """),
            {"st": STATUSES},
        )
        conn.execute(
            text("""
            INSERT INTO cases (subject_id, category, status, priority, opened_at, updated_at,
                signal_count, max_score, queue, language)
            SELECT g, 'gambling', 'decided', 0, now(), now(), 0, 0, 'id', 'id'
            FROM generate_series(1, 20000) g
            """)
        )
        conn.execute(
            text("""
            INSERT INTO appeals (case_id, owner_id, statement, status, received_at, reviewed_at)
            SELECT c.id, 'owner', 'bench', (ARRAY['granted','rejected','pending'])[1 + c.id % 3],
                   now() - (c.id % 365) * interval '1 day',
                   now() - (c.id % 365) * interval '1 day' + interval '5 hours'
            FROM cases c
            """)
        )
    factory = make_sessionmaker(create_engine_for(url))
    with session_scope(factory) as session:
        written = aggregates.rebuild(session, tz="Asia/Jakarta")
    print("  aggregates: " + ", ".join(f"{n:,} rows in {t}" for t, n in written.items()))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def measure(url: str, samples: int) -> None:
    settings = Settings(database_url=url, cookie_secure=False, base_url="http://testserver")
    use_settings(settings)
    factory = make_sessionmaker(create_engine_for(url))
    client = TestClient(create_app(settings, factory), base_url="http://testserver")
    from datetime import date, timedelta

    year_ago = (date.today() - timedelta(days=364)).isoformat()
    runs = [
        ("GET /transparency (30 days)", "/transparency", {}),
        ("GET /transparency (365 days)", "/transparency", {"since": year_ago}),
    ]
    for table in ("authorities", "orders_daily", "appeals_daily", "daily"):
        runs.append(
            (
                f"GET /transparency/{table}.json (365 days)",
                f"/transparency/{table}.json",
                {"since": year_ago},
            )
        )
    print(f"PostgreSQL, {samples} samples each")
    for label, path, params in runs:
        r = client.get(path, params=params)  # warm up
        assert r.status_code == 200, r.text[:300]
        times: list[float] = []
        for _ in range(samples):
            t = time.perf_counter()
            r = client.get(path, params=params)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        print(
            f"  {label:<48} median {statistics.median(times):7.1f} ms   "
            f"p95 {pct(times, 0.95):7.1f} ms   max {max(times):7.1f} ms",
            flush=True,
        )
    with factory() as s:
        total = s.execute(text("SELECT sum(count) FROM daily_actions")).scalar()
        items = s.execute(
            text(
                "SELECT sum(pending + actioned + no_violation + not_found + already_removed + rejected) FROM daily_orders"
            )
        ).scalar()
        print(f"  daily_actions rows sum to {total:,} actions; daily_orders to {items:,} items")
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--actions", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="Keep the database (to look into it).")
    parser.add_argument(
        "--reuse", metavar="URL", help="Measure a database kept by an earlier --keep run."
    )
    parser.add_argument("--admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.reuse:
        measure(args.reuse, args.samples)
        return
    name = f"ronda_bench_t_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.admin.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        t0 = time.perf_counter()
        fill(url, args.actions)
        print(f"filled {args.actions:,} actions in {time.perf_counter() - t0:.0f} s", flush=True)
        print(f"{args.actions:,} actions")
        measure(url, args.samples)
    finally:
        if args.keep:
            print(f'kept {url}; drop it with DROP DATABASE "{name}"')
        else:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
