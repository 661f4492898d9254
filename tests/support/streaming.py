"""Private servers for the stream tests: NATS JetStream and a throwaway PostgreSQL cluster.

The shared servers of the machine (NATS on 4222, PostgreSQL on 5432) are
never restarted: tests that stop and start a server get their own, on a free
port, in a temporary folder, and stop it at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.servers import free_port

NATS_SERVER = "/usr/sbin/nats-server"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _wait_port(port: int, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class NatsServer:
    """``nats-server -js`` on a free port with its store in a temporary folder; restartable."""

    store: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.store.parent / "nats.log").open("ab")
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        _wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    if not Path(NATS_SERVER).exists():
        pytest.fail(f"{NATS_SERVER} is missing: run scripts/bootstrap (Debian package nats-server)")
    (tmp_path / "nats").mkdir()
    server = NatsServer(store=tmp_path / "nats" / "js")
    server.start()
    yield server
    server.stop()


def _as_postgres(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    cmd = list(args)
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, timeout=120)


@dataclass
class PgCluster:
    """A PostgreSQL 15 cluster of its own (initdb, pg_ctl) for tests that restart it."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        _as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "pg.log"),
            "-w",
            "-o",
            f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off",
            "start",
        )
        _wait_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False
        )

    def restart(self, down_for: float = 0.0) -> None:
        self.stop("immediate")
        time.sleep(down_for)
        self.start()


@pytest.fixture
def pg_cluster() -> Iterator[PgCluster]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb is missing (Debian package postgresql-15)")
    root = Path(tempfile.mkdtemp(prefix="ronda-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = PgCluster(root=root)
    cluster.init()
    cluster.start()
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)
