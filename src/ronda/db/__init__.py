"""Storage: engine, sessions, the declarative base and migrations.

One SQLAlchemy 2 schema serves SQLite (the demo and small teams) and
PostgreSQL (the system of record at scale); Alembic migrations build both.
Services take a session and flush; the request, job or command commits.
"""

from ronda.db.base import Base, UTCDateTime, utcnow
from ronda.db.engine import create_engine_for, make_sessionmaker, session_scope
from ronda.db.migrate import migrate

__all__ = [
    "Base",
    "UTCDateTime",
    "create_engine_for",
    "make_sessionmaker",
    "migrate",
    "session_scope",
    "utcnow",
]
