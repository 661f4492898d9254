"""Benchmark: posts through NATS JetStream into PostgreSQL, with 1 and then 2 ingest workers.

Run:  nice -n 10 .venv/bin/python benchmarks/bench_stream.py [--posts 1000000] [--workers 1,2]
          [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--paced-seconds 60]

For each worker count it:

1. creates a fresh PostgreSQL database (``ronda_bench_stream_<n>``, migrated)
   and starts its own ``nats-server -js`` on a free port (the shared one on
   4222 is not touched);
2. publishes ``--posts`` synthetic posts of about 200 characters (85 %
   everyday Indonesian text, 10 % gambling promotion, 5 % scams; 20,000
   channels) with ``ronda.stream.client.publish_posts``, the code of
   ``ronda publish``: posts/s of publishing;
3. starts N worker processes running the real ingest loop
   (``ronda.stream.consumer.run_ingest``, the code of ``ronda worker --role
   ingest``), each with its detection pipeline loaded, and releases them at
   once: posts/s from the release to the last commit of the backlog;
4. then publishes at a steady rate (``--paced-share`` of the measured
   throughput) for ``--paced-seconds`` while the workers consume: end-to-end
   lag (JetStream storing a post -> its signals and cases committed), p50 and
   p99. Lag while draining a backlog only measures the backlog, so it is
   printed separately.

The load average is printed at each step: on a shared machine the figures
depend on what else runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import post_text
from sqlalchemy import create_engine, text

NATS_SERVER = "/usr/sbin/nats-server"


def post_lines(n: int, *, first_id: int, seed: int) -> Iterator[bytes]:
    """``n`` posts as JSON lines, ids from ``first_id`` (unique across phases)."""
    rng = random.Random(seed)
    channels = [
        f"kanal_{rng.choice(['info', 'warga', 'promo', 'berita', 'komunitas'])}_{i:05d}"
        for i in range(20_000)
    ]
    subscribers = [int(rng.lognormvariate(8, 2)) for _ in channels]
    for i in range(n):
        text = post_text(rng)
        c = min(int(rng.paretovariate(1.2)) - 1, len(channels) - 1)  # a few big channels
        c = c if rng.random() < 0.3 else rng.randrange(len(channels))
        post = {
            "post_id": first_id + i,
            "channel": channels[c],
            "text": text,
            "subscribers": subscribers[c],
            "views": int(rng.lognormvariate(6, 2)),
        }
        yield json.dumps(post, ensure_ascii=False).encode() + b"\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------------------
# worker processes
# ---------------------------------------------------------------------------


def worker_main(
    settings_json: str, ready: Any, go: Any, stop: Any, out_path: str, paced_from: Any
) -> None:
    """One ingest worker: load the pipeline, wait for `go`, consume until `stop`."""
    from ronda.config import Settings, use_settings
    from ronda.db import create_engine_for, make_sessionmaker
    from ronda.detection.pipeline.core import Pipeline, PipelineConfig
    from ronda.stream.consumer import BatchReport, run_ingest

    settings = Settings.model_validate_json(settings_json)
    use_settings(settings)
    factory = make_sessionmaker(create_engine_for(settings.database_url))
    pipeline = Pipeline(PipelineConfig.from_settings(settings, ocr=False))
    ready.set()
    go.wait()
    cpu_start = time.process_time()
    backlog_lags = array("d")
    paced_lags = array("d")
    commits: list[float] = []
    scanned = [0]

    def on_batch(report: BatchReport) -> None:
        scanned[0] += report.scanned
        if report.scanned:
            commits.append(report.committed_at)
        (paced_lags if paced_from.is_set() else backlog_lags).extend(report.lags)

    local_stop = threading.Event()
    threading.Thread(target=lambda: (stop.wait(), local_stop.set()), daemon=True).start()
    drained_cpu: list[float] = []

    def at_drain() -> None:  # CPU seconds used on the backlog, read when pacing starts
        paced_from.wait()
        drained_cpu.append(time.process_time() - cpu_start)

    threading.Thread(target=at_drain, daemon=True).start()
    run_ingest(settings, factory, local_stop, pipeline=pipeline, on_batch=on_batch)
    Path(out_path).write_text(
        json.dumps(
            {
                "backlog_cpu_seconds": drained_cpu[0] if drained_cpu else None,
                "scanned": scanned[0],
                "commits": commits,
                "backlog_lags": list(backlog_lags),
                "paced_lags": list(paced_lags),
            }
        )
    )


# ---------------------------------------------------------------------------
# one phase
# ---------------------------------------------------------------------------


def fresh_database(admin_url: str, name: str) -> str:
    from ronda.db import migrate

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    return url


def publish(settings: Any, lines: Iterator[bytes]) -> tuple[int, float]:
    from ronda.detection.pipeline.reader import read_posts
    from ronda.stream.client import publish_posts

    class Lines:
        """The generator as a binary stream for ``read_posts`` (no file, no copy)."""

        def readline(self, size: int = -1) -> bytes:
            return next(lines, b"")

    started = time.perf_counter()
    summary = publish_posts(settings, read_posts(Lines()))  # type: ignore[arg-type]
    return summary.published, time.perf_counter() - started


def paced_publish(settings: Any, lines: Iterator[bytes], rate: float, seconds: float) -> int:
    """Publish at ``rate`` posts/s for ``seconds``, in ticks of 0.1 s."""
    import asyncio

    from ronda.stream.client import MSG_ID, connect

    async def go() -> int:
        nc = await connect(settings)
        js = nc.jetstream()
        sent = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            due = int(rate * elapsed) - sent
            futures = []
            for _ in range(max(due, 0)):
                line = next(lines)
                post = json.loads(line)
                msg_id = f"https://t.me/{post['channel']}/{post['post_id']}"
                futures.append(
                    await js.publish_async(
                        settings.stream.subject, line.rstrip(b"\n"), headers={MSG_ID: msg_id}
                    )
                )
            if futures:
                await asyncio.gather(*futures)
            sent += len(futures)
            await asyncio.sleep(0.1)
        await nc.close()
        return sent

    return asyncio.run(go())


def run_phase(args: argparse.Namespace, workers: int, phase: int) -> dict[str, Any]:
    from ronda.config import Settings, StreamSettings
    from ronda.stream.client import stream_status

    tmp = Path(tempfile.mkdtemp(prefix="ronda-bench-stream-"))
    port = free_port()
    nats = subprocess.Popen(
        [NATS_SERVER, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp / "js")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    procs: list[mp.process.BaseProcess] = []
    try:
        time.sleep(0.5)
        url = fresh_database(args.pg, f"ronda_bench_stream_{workers}")
        settings = Settings(
            database_url=url,
            stream=StreamSettings(url=f"nats://127.0.0.1:{port}", batch_size=args.batch_size),
        )
        print(f"\n== {workers} worker(s): {load()}", flush=True)
        lines = post_lines(10**9, first_id=phase * 100_000_000 + 1, seed=phase)
        published, pub_seconds = publish(settings, (next(lines) for _ in range(args.posts)))
        print(
            f"published {published:,} posts in {pub_seconds:.1f} s "
            f"({published / pub_seconds:,.0f} posts/s); {load()}",
            flush=True,
        )
        ctx = mp.get_context("spawn")
        ready = [ctx.Event() for _ in range(workers)]
        go, stop, paced_from = ctx.Event(), ctx.Event(), ctx.Event()
        outs = [tmp / f"worker{i}.json" for i in range(workers)]
        for i in range(workers):
            p = ctx.Process(
                target=worker_main,
                args=(settings.model_dump_json(), ready[i], go, stop, str(outs[i]), paced_from),
            )
            p.start()
            procs.append(p)
        for r in ready:
            r.wait(300)
        released = time.time()
        go.set()
        last_print = 0.0
        while True:
            time.sleep(1.0)
            st = stream_status(settings)
            if st is not None and st.messages == 0 and st.ack_pending == 0:
                break
            if time.time() - last_print > 30 and st is not None:
                done = args.posts - st.messages
                rate = done / (time.time() - released)
                print(f"  {done:,} scanned, {rate:,.0f} posts/s; {load()}", flush=True)
                last_print = time.time()
        drained = time.time()
        drain_load = load()
        rate = args.posts / (drained - released)
        print(
            f"drained {args.posts:,} posts in {drained - released:.1f} s: {rate:,.0f} posts/s; "
            f"{drain_load}",
            flush=True,
        )
        paced_rate = rate * args.paced_share
        paced_from.set()
        time.sleep(0.5)
        sent = paced_publish(settings, lines, paced_rate, args.paced_seconds)
        end = time.time() + 120
        while time.time() < end:
            st = stream_status(settings)
            if st is not None and st.messages == 0 and st.ack_pending == 0:
                break
            time.sleep(0.5)
        paced_load = load()
        stop.set()
        for p in procs:
            p.join(120)
        results = [json.loads(o.read_text()) for o in outs]
        backlog = [x for r in results for x in r["backlog_lags"]]
        paced = [x for r in results for x in r["paced_lags"]]
        scanned = sum(r["scanned"] for r in results)
        cpu = sum(r["backlog_cpu_seconds"] or 0.0 for r in results)
        out = {
            "workers": workers,
            "posts": args.posts,
            "publish_posts_per_s": published / pub_seconds,
            "posts_per_s": rate,
            "seconds": drained - released,
            "drain_load": drain_load,
            "paced_rate": paced_rate,
            "paced_sent": sent,
            "paced_lag_p50": percentile(paced, 0.5),
            "paced_lag_p99": percentile(paced, 0.99),
            "backlog_lag_p50": percentile(backlog, 0.5),
            "backlog_lag_p99": percentile(backlog, 0.99),
            "scanned": scanned,
            "paced_load": paced_load,
            "worker_cpu_seconds": cpu,
            "posts_per_worker_cpu_second": args.posts / cpu if cpu else None,
        }
        print(
            f"paced {sent:,} posts at {paced_rate:,.0f}/s: lag p50 {out['paced_lag_p50']:.2f} s, "
            f"p99 {out['paced_lag_p99']:.2f} s; {paced_load}\n"
            f"backlog lag (time queued): p50 {out['backlog_lag_p50']:.0f} s, "
            f"p99 {out['backlog_lag_p99']:.0f} s; scanned {scanned:,} "
            f"(a post delivered twice counts twice)",
            flush=True,
        )
        with create_engine(url).connect() as conn:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
            posts = conn.execute(text("SELECT count(*) FROM posts")).scalar()
        out["db_bytes"] = size
        out["db_posts"] = posts
        print(
            f"database: {posts:,} posts, {size / 2**20:,.0f} MiB; worker CPU on the backlog "
            f"{cpu:,.0f} s ({args.posts / cpu if cpu else float('nan'):,.0f} posts per CPU second)",
            flush=True,
        )
        return out
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        nats.terminate()
        nats.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    parser.add_argument("--paced-share", type=float, default=0.6)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark databases.")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    print(f"bench_stream: {args.posts:,} posts, workers {counts}, {os.cpu_count()} cores, {load()}")
    results = [run_phase(args, n, phase) for phase, n in enumerate(counts, 1)]
    print("\nworkers  posts/s   scaling  paced lag p50  p99")
    base = results[0]["posts_per_s"]
    for r in results:
        print(
            f"{r['workers']:>7}  {r['posts_per_s']:>7,.0f}  {r['posts_per_s'] / base:>7.2f}x"
            f"  {r['paced_lag_p50']:>11.2f} s  {r['paced_lag_p99']:.2f} s"
        )
    print(json.dumps(results, indent=1))
    if not args.keep:
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for n in counts:
                conn.execute(text(f'DROP DATABASE IF EXISTS "ronda_bench_stream_{n}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
