"""Gap-free named counters (tracking numbers), safe under concurrent writers."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from ronda.db.upsert import insert_ignore
from ronda.takedowns.models import Counter


def next_value(session: Session, name: str) -> int:
    """Increment and return the counter; the row lock orders concurrent callers."""
    insert_ignore(session, Counter.__table__, [{"name": name, "value": 0}])  # type: ignore[arg-type]
    value = session.execute(
        text("UPDATE counters SET value = value + 1 WHERE name = :name RETURNING value"),
        {"name": name},
    ).scalar_one()
    return int(value)
