"""Benchmark: one e-mail listing 10,000 links, from bytes to tracking number
and acknowledgment (goal: under 2 s on this machine).

Run:  .venv/bin/python benchmarks/bench_intake.py [--links 10000] [--postgres URL]

It measures, on a fresh SQLite file (and PostgreSQL when --postgres is given):
the time until the order has its tracking number (raw stored, parsed, items
and deadlines written, acknowledgment queued, committed), and the time until
the acknowledgment has been delivered to an SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from ronda.accounts import service as accounts
from ronda.config import Settings, SmtpSettings, use_settings
from ronda.db import create_engine_for, make_sessionmaker, migrate, session_scope
from ronda.jobs import service as jobs
from ronda.mail import outgoing
from ronda.takedowns.receive import receive_email


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def make_mail(n: int, run: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = "aduan@komdigi.go.id"
    msg["To"] = "takedown@ronda.test"
    msg["Subject"] = "Permintaan pemutusan akses situs judi online"
    msg["Message-ID"] = make_msgid(domain="komdigi.go.id")
    # each run is a new letter (the same number would be a follow-up) naming new channels
    lines = [
        f"Nomor: B-{run + 1}/DJAI.5/AI.04.02/11/2026",
        "Dasar hukum: UU ITE Pasal 27 ayat (2)",
        "",
    ]
    lines += [f"{i + 1}. https://t.me/kanal_judi_{run:02d}_{i:06d}/{i % 900 + 1}" for i in range(n)]
    msg.set_content("\n".join(lines))
    return msg.as_bytes()


def run(url: str, n: int, repeats: int, smtp_port: int, sink: _Sink) -> list[tuple[float, float]]:
    migrate(url)
    factory = make_sessionmaker(create_engine_for(url))
    settings = Settings(database_url=url, smtp=SmtpSettings(host="127.0.0.1", port=smtp_port))
    use_settings(settings)
    with session_scope(factory) as s:
        accounts.add_authority(s, slug="komdigi", name="Komdigi", emails=["aduan@komdigi.go.id"])
    results = []
    for run_no in range(repeats):
        data = make_mail(n, run_no)
        before = sink.count
        t0 = time.perf_counter()
        result = receive_email(factory, settings=settings, data=data, source="bench.eml")
        t1 = time.perf_counter()
        sent, failed = jobs.run_due(factory, kinds=[outgoing.MAIL_JOB])
        if failed or not sent:
            raise SystemExit(f"the acknowledgment was not sent ({sent} sent, {failed} failed)")
        wait_until = time.monotonic() + 30
        while sink.count == before and time.monotonic() < wait_until:
            time.sleep(0.001)
        t2 = time.perf_counter()
        assert len(result.order.items) == n, len(result.order.items)
        results.append((t1 - t0, t2 - t0))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="admin URL; a scratch database is created and dropped ('' to skip)",
    )
    args = parser.parse_args()
    sink = _Sink()
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    backends = []
    with tempfile.TemporaryDirectory() as tmp:
        backends.append(("sqlite", f"sqlite:///{tmp}/bench.db", None))
        if args.postgres:
            name = f"ronda_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            backends.append(
                ("postgresql", args.postgres.rsplit("/", 1)[0] + "/" + name, (admin, name))
            )
        print(
            f"one e-mail with {args.links:,} links ({len(make_mail(args.links)):,} bytes), {args.repeats} runs each"
        )
        print(
            f"{'backend':<12}{'tracking number (median / max)':>34}{'ack delivered (median / max)':>32}"
        )
        for label, url, cleanup in backends:
            res = run(url, args.links, args.repeats, port, sink)
            tn = [r[0] for r in res]
            ack = [r[1] for r in res]
            print(
                f"{label:<12}{statistics.median(tn):>22.3f} s / {max(tn):.3f} s{statistics.median(ack):>20.3f} s / {max(ack):.3f} s"
            )
            if cleanup:
                admin, name = cleanup
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    controller.stop()


if __name__ == "__main__":
    main()
