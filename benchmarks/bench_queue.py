"""Benchmark: the review queue page and "take next" against 1,000,000 cases in
PostgreSQL (goal: p95 under 100 ms for each).

Run:  .venv/bin/python benchmarks/bench_queue.py [--cases 1000000] [--samples 200]

It creates a scratch database, fills it with subjects and cases in bulk
(unnest inserts), then measures, through the real app in-process (the same
code as a browser request, without the network): GET /review (the first 200
cases by priority) and take-next (claim_next in a transaction, committed), each
repeated --samples times with a fresh moderator session.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from ronda.accounts import service as accounts
from ronda.cases import service as cases
from ronda.config import Settings, use_settings
from ronda.db import create_engine_for, make_sessionmaker, migrate, session_scope
from ronda.web.app import create_app

CATEGORIES = ["gambling", "scam", "hoax", "hate", "porn", "terrorism", "spam"]
LANGS = ["id", "id", "id", "jv", "su", "ms", "en"]


def fill(url: str, n: int) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    rng = random.Random(7)
    chunk = 100_000
    with engine.begin() as conn:
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            canon = [f"https://t.me/kanal_{i:08d}/1" for i in range(start, start + size)]
            conn.execute(
                text(
                    "INSERT INTO subjects (canonical, kind, username, post_id, created_at) "
                    "SELECT c, 'post', split_part(c, '/', 4), 1, now() FROM unnest(CAST(:c AS text[])) AS c"
                ),
                {"c": canon},
            )
            conn.execute(
                text("""
                INSERT INTO cases (subject_id, category, status, priority, opened_at, updated_at,
                                   signal_count, max_score, queue, language)
                SELECT s.id, (CAST(:cat AS text[]))[1 + (s.id % 7)],
                       CASE WHEN s.id % 10 < 7 THEN 'new' WHEN s.id % 10 < 9 THEN 'decided' ELSE 'closed' END,
                       (s.id * 7919 % 100000) / 1000.0, now(), now(), 1, 0.8,
                       CASE WHEN s.id % 7 = 5 THEN 'urgent-id' ELSE 'id' END,
                       (CAST(:lang AS text[]))[1 + (s.id % 7)]
                FROM subjects s WHERE s.canonical = ANY(CAST(:c AS text[]))
                """),
                {"c": canon, "cat": CATEGORIES, "lang": LANGS},
            )
            print(f"  {start + size:,} cases", flush=True)
        conn.execute(text("ANALYZE"))
    engine.dispose()
    del rng


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--admin", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    name = f"ronda_bench_q_{uuid.uuid4().hex[:8]}"
    admin = create_engine(args.admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = args.admin.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        t0 = time.perf_counter()
        fill(url, args.cases)
        print(f"filled {args.cases:,} cases in {time.perf_counter() - t0:.0f} s")
        settings = Settings(database_url=url, cookie_secure=False, base_url="http://testserver")
        use_settings(settings)
        factory = make_sessionmaker(create_engine_for(url))
        with session_scope(factory) as s:
            user = accounts.add_user(
                s,
                email="mod@ronda.test",
                name="mod",
                role="moderator",
                password="benchmark-password",
                languages=["id", "jv", "su", "ms"],
            )
            user_id = user.id
        client = TestClient(create_app(settings, factory), base_url="http://testserver")
        client.post("/login", data={"email": "mod@ronda.test", "password": "benchmark-password"})
        page_ms: list[float] = []
        for _ in range(args.samples):
            t = time.perf_counter()
            r = client.get("/review")
            page_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and "/review/cases/" in r.text
        # htmx: the table alone (filters, periodic refresh), and the source filter
        fragment_ms: list[float] = []
        for _ in range(args.samples):
            t = time.perf_counter()
            r = client.get("/review", headers={"HX-Request": "true", "HX-Target": "queue-table"})
            fragment_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and "<header" not in r.text
        source_ms: list[float] = []
        for _ in range(min(20, args.samples)):
            t = time.perf_counter()
            r = client.get("/review", params={"source": "detection"})
            source_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        take_ms: list[float] = []
        from ronda.accounts.models import User

        for _ in range(args.samples):
            t = time.perf_counter()
            with session_scope(factory) as s:
                case = cases.claim_next(s, settings=settings, user=s.get(User, user_id))
                assert case is not None
            take_ms.append((time.perf_counter() - t) * 1000)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/review").text)
        http_take: list[float] = []
        for _ in range(min(50, args.samples)):
            t = time.perf_counter()
            r = client.post(
                "/review/next",
                data={"csrf_token": token.group(1) if token else ""},
                follow_redirects=False,
            )
            http_take.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 303
        print(f"{args.cases:,} cases in PostgreSQL, {args.samples} samples each")
        for label, values in (
            ("queue page GET /review", page_ms),
            ("queue table, htmx fragment", fragment_ms),
            ("queue page ?source=detection", source_ms),
            ("take next (service)", take_ms),
            ("take next POST /review/next", http_take),
        ):
            print(
                f"  {label:<30} median {statistics.median(values):6.1f} ms   p95 {p(values, 0.95):6.1f} ms   max {max(values):6.1f} ms"
            )
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
