"""Find or create subjects for canonical references, in bulk.

An order may name 10,000 links, so subjects are written with one
insert-or-ignore per chunk and read back with one select per chunk. A post's
subject points to its channel's subject (``parent_id``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.db.upsert import insert_ignore
from ronda.links import Kind, Reference
from ronda.subjects.models import Subject

_CHUNK = 1000


def _channel_of(ref: Reference) -> str | None:
    if ref.kind == Kind.POST and ref.username:
        return f"https://t.me/{ref.username}"
    return None


def ensure_subjects(session: Session, refs: Iterable[Reference]) -> dict[str, Subject]:
    """Return ``{canonical: Subject}`` for every reference, creating what is missing."""
    wanted: dict[str, Reference] = {}
    parents: dict[str, str] = {}
    for ref in refs:
        wanted.setdefault(ref.canonical, ref)
        parent = _channel_of(ref)
        if parent:
            parents[ref.canonical] = parent
    channel_rows = {
        p: {"canonical": p, "kind": Kind.CHANNEL.value, "username": p.rsplit("/", 1)[1]}
        for p in parents.values()
        if p not in wanted
    }
    rows = [
        {
            "canonical": ref.canonical,
            "kind": ref.kind.value,
            "username": ref.username,
            "post_id": ref.post_id,
        }
        for ref in wanted.values()
    ]
    all_rows = list(channel_rows.values()) + rows
    for start in range(0, len(all_rows), _CHUNK):
        insert_ignore(session, Subject.__table__, all_rows[start : start + _CHUNK])  # type: ignore[arg-type]
    found = load_subjects(session, [r["canonical"] for r in all_rows])
    updates = []
    for child, parent in parents.items():
        subject = found[child]
        if subject.parent_id is None:
            updates.append((subject, found[parent].id))
    for subject, parent_id in updates:
        subject.parent_id = parent_id
    session.flush()
    return {c: found[c] for c in wanted}


def load_subjects(session: Session, canonicals: list[str]) -> dict[str, Subject]:
    found: dict[str, Subject] = {}
    for start in range(0, len(canonicals), _CHUNK):
        chunk = canonicals[start : start + _CHUNK]
        for subject in session.scalars(select(Subject).where(Subject.canonical.in_(chunk))):
            found[subject.canonical] = subject
    return found
