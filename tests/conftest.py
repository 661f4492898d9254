"""Fixtures shared by every test: both databases, settings, servers, clients.

Storage tests take the ``factory`` fixture, which is parametrised over SQLite
and PostgreSQL. Each backend's schema is built once per run by the Alembic
migrations; after every test all tables are emptied.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from ronda.config import Settings, SmtpSettings, use_settings
from ronda.db import Base, create_engine_for, make_sessionmaker, migrate

# aiosmtpd logs every connection at INFO: keep the test output to what matters.
logging.getLogger("mail.log").setLevel(logging.WARNING)

PG_ADMIN_URL = os.environ.get("RONDA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytest_plugins = ["tests.support.servers"]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    name = f"ronda_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("db") / "ronda-test.db"
    url = f"sqlite:///{path}"
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


_engines: dict[str, object] = {}


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = _engines.get(db_url)
    if engine is None:
        engine = create_engine_for(db_url)
        _engines[db_url] = engine
    fac = make_sessionmaker(engine)  # type: ignore[arg-type]
    if _dirty(engine):
        # A test that wrote through its own engine (a subprocess, a live server) left rows
        # behind after its own cleanup ran: start from an empty database all the same.
        _empty(engine)  # type: ignore[arg-type]
        log = os.environ.get("RONDA_TEST_POLLUTION_LOG")
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(f"{os.environ.get('PYTEST_CURRENT_TEST')} after {_previous[0]}\n")
    yield fac
    _empty(engine)  # type: ignore[arg-type]


_previous = [""]


@pytest.fixture(autouse=True)
def _remember_test(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    _previous[0] = request.node.nodeid


def _dirty(engine: object) -> bool:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        return any(
            conn.execute(text(f'SELECT 1 FROM "{table}" LIMIT 1')).first() is not None
            for table in ("cases", "takedowns", "audit_events")
        )


def _empty(engine: object) -> None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def settings(db_url: str, smtp_server: object) -> Iterator[Settings]:
    from tests.support.servers import SmtpServer

    assert isinstance(smtp_server, SmtpServer)
    s = Settings(
        database_url=db_url,
        secret_key="test-secret",
        base_url="https://testserver",
        desk_email="takedown@ronda.test",
        smtp=SmtpSettings(host="127.0.0.1", port=smtp_server.port),
        timezone="Asia/Jakarta",
    )
    use_settings(s)
    yield s


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"
