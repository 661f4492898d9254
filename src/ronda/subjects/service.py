"""Find or create subjects for canonical references, in bulk.

An order may name 10,000 links, so subjects are written with Core
insert-or-ignore statements and read back as ``(canonical, id)`` rows, one
statement per chunk: no ORM objects are built for them. A post's subject
points to its channel's subject (``parent_id``), so the channel is written
first.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ronda.db.upsert import insert_ignore, member_of
from ronda.links import Kind, Reference
from ronda.subjects.models import Subject

_CHUNK = 5000
_TABLE: Any = Subject.__table__


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
        {
            "canonical": p,
            "kind": Kind.CHANNEL.value,
            "username": p.rsplit("/", 1)[1],
            "post_id": None,
            "parent_id": None,
        }
        for p in sorted(set(parents.values()))
        if p not in wanted
    ]
    own_channels = [
        {
            "canonical": c,
            "kind": r.kind.value,
            "username": r.username,
            "post_id": r.post_id,
            "parent_id": None,
        }
        for c, r in wanted.items()
        if c not in parents
    ]
    _insert(session, channel_rows + own_channels)
    parent_ids = load_ids(session, sorted(set(parents.values())))
    posts = [
        {
            "canonical": c,
            "kind": wanted[c].kind.value,
            "username": wanted[c].username,
            "post_id": wanted[c].post_id,
            "parent_id": parent_ids.get(p),
        }
        for c, p in parents.items()
    ]
    _insert(session, posts)
    ids = load_ids(session, list(wanted))
    # posts recorded earlier without their channel get it now
    post_ids = [ids[c] for c in parents]
    for start in range(0, len(post_ids), _CHUNK):
        orphans = session.execute(
            select(Subject.id, Subject.canonical).where(
                member_of(Subject.id, post_ids[start : start + _CHUNK], session),
                Subject.parent_id.is_(None),
            )
        ).all()
        for subject_id, canonical in orphans:
            session.execute(
                update(Subject)
                .where(Subject.id == subject_id)
                .values(parent_id=parent_ids[parents[canonical]])
            )
    return ids


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        insert_ignore(session, _TABLE, rows[start : start + _CHUNK])


def load_ids(session: Session, canonicals: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(canonicals), _CHUNK):
        chunk = canonicals[start : start + _CHUNK]
        for subject_id, canonical in session.execute(
            select(Subject.id, Subject.canonical).where(
                member_of(Subject.canonical, chunk, session)
            )
        ):
            found[canonical] = subject_id
    return found
