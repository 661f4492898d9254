"""Find or create subjects for canonical references, in bulk.

An order may name 10,000 links and a scan batch 5,000 posts, so subjects are
written with bulk insert-or-ignore statements (``ronda.db.bulk.insert_rows``:
one prepared statement over DB-API tuples on SQLite, ``unnest`` arrays on
PostgreSQL) and read back as ``(id, canonical)`` rows, one statement per
chunk: no ORM objects are built for them. A post's subject points to its
channel's subject (``parent_id``), so the channel is written first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ronda.db.bulk import insert_rows
from ronda.db.upsert import member_of
from ronda.links import Kind, Reference
from ronda.subjects.models import Subject

_CHUNK = 5000
_TABLE: Any = Subject.__table__
_COLUMNS = ("canonical", "kind", "username", "post_id", "parent_id")


def _channel_of(ref: Reference) -> str | None:
    if ref.kind == Kind.POST and ref.username:
        return f"https://t.me/{ref.username}"
    return None


def ensure_subjects(session: Session, refs: Iterable[Reference]) -> dict[str, int]:
    """Return ``{canonical: subject id}`` for every reference, creating what is missing."""
    wanted: dict[str, Reference] = {}
    for ref in refs:
        wanted.setdefault(ref.canonical, ref)
    parents = {c: p for c, ref in wanted.items() if (p := _channel_of(ref))}
    channel_rows = [
        (p, Kind.CHANNEL.value, p.rsplit("/", 1)[1], None, None)
        for p in sorted(set(parents.values()))
        if p not in wanted
    ]
    own_channels = [
        (c, r.kind.value, r.username, r.post_id, None)
        for c, r in wanted.items()
        if c not in parents
    ]
    insert_rows(session, _TABLE, _COLUMNS, channel_rows + own_channels)
    parent_ids = load_ids(session, sorted(set(parents.values())))
    posts = [
        (c, wanted[c].kind.value, wanted[c].username, wanted[c].post_id, parent_ids.get(p))
        for c, p in parents.items()
    ]
    insert_rows(session, _TABLE, _COLUMNS, posts)
    ids = load_ids(session, list(wanted))
    # posts recorded earlier without their channel get it now
    post_ids = [ids[c] for c in parents]
    for start in range(0, len(post_ids), _CHUNK):
        orphans = _orphans(session, post_ids[start : start + _CHUNK])
        for subject_id, canonical in orphans:
            session.execute(
                update(Subject)
                .where(Subject.id == subject_id)
                .values(parent_id=parent_ids[parents[canonical]])
            )
    return ids


def load_ids(session: Session, canonicals: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(canonicals), _CHUNK):
        chunk = canonicals[start : start + _CHUNK]
        if _is_sqlite(session):
            rows = _sqlite_in(session, "id, canonical", "canonical", chunk)
        else:
            rows = list(
                session.execute(
                    select(Subject.id, Subject.canonical).where(
                        member_of(Subject.canonical, chunk, session)
                    )
                ).all()
            )
        for subject_id, canonical in rows:
            found[canonical] = subject_id
    return found


def _orphans(session: Session, post_ids: list[int]) -> list[Any]:
    """(id, canonical) of the subjects among ``post_ids`` that have no parent."""
    if _is_sqlite(session):
        return _sqlite_in(session, "id, canonical", "id", post_ids, "AND parent_id IS NULL")
    return list(
        session.execute(
            select(Subject.id, Subject.canonical).where(
                member_of(Subject.id, post_ids, session), Subject.parent_id.is_(None)
            )
        ).all()
    )


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _sqlite_in(
    session: Session, columns: str, key: str, values: list[Any], extra: str = ""
) -> list[Any]:
    """``SELECT columns FROM subjects WHERE key IN (values) extra`` as plain DB-API rows.

    SQLAlchemy's expanding ``IN`` and its result rows cost more than the lookup itself
    on SQLite; the values need no conversion (text and integers).
    """
    marks = ", ".join("?" for _ in values)
    sql = f'SELECT {columns} FROM "subjects" WHERE "{key}" IN ({marks}) {extra}'
    return list(session.connection().exec_driver_sql(sql, tuple(values)).fetchall())
