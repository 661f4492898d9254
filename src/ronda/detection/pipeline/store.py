"""Storing what the pipeline found: posts, signals, cases, channel risk, flood state.

Written for throughput: one ``record_batch`` call per batch of up to a few
thousand posts, Core bulk statements only (``ronda.db.upsert``), and the reads
it needs (existing posts, signal counts for cases) done once per batch with
``IN`` lists. Re-scanning is idempotent by construction: posts and signals are
insert-or-ignore on their natural keys, case counters are recomputed from the
stored signals, channel risk moves only by what a batch changed, and bank
matches count towards flood control only on posts seen for the first time.

The bank cache's loader lives here too: it reads the same tables the flood
control writes. Services flush; the caller commits.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from ronda.audit import service as audit
from ronda.db.base import utcnow
from ronda.db.counters import next_value
from ronda.db.upsert import insert_ignore, member_of
from ronda.detection import hashing
from ronda.detection.detectors import BankSnapshot
from ronda.detection.models import (
    BANK_GENERATION,
    Bank,
    BankEntry,
    Case,
    CaseStatus,
    ChannelRisk,
    Post,
    Signal,
)
from ronda.links import Kind, Reference
from ronda.subjects.service import ensure_subjects
from ronda.takedowns.models import Counter

_POSTS: Table = Post.__table__  # type: ignore[assignment]
_SIGNALS: Table = Signal.__table__  # type: ignore[assignment]
_CASES: Table = Case.__table__  # type: ignore[assignment]
_RISK: Table = ChannelRisk.__table__  # type: ignore[assignment]
_IN_CHUNK = 900  # ids per IN list (under SQLite's parameter limit with room to spare)

# channel risk (docs/detection.md, "Channel risk")
PRIOR_WEIGHT = 3.0  # clean posts every channel is assumed to have: few posts, little certainty
FULL_AUDIENCE = 1_000_000  # subscribers at which the audience factor reaches 1


# ---------------------------------------------------------------------------
# scan storage
# ---------------------------------------------------------------------------


@dataclass
class ScannedPost:
    """A post ready to store: its subject, what it said and its language."""

    reference: Reference
    channel_title: str | None
    text: str
    language: str
    media: list[dict[str, Any]]
    subscribers: int | None
    views: int | None
    forwarded_from: str | None
    date: datetime | None
    ocr_text: str | None


@dataclass
class PostSignal:
    detector: str
    version: str
    category: str
    score: float
    flagged: bool
    evidence: dict[str, Any]


@dataclass(frozen=True)
class CaseRef:
    id: int
    category: str
    status: str
    opened: bool
    signal_count: int
    max_score: float


@dataclass
class StoredPost:
    subject_id: int
    new: bool
    signals: list[PostSignal]
    cases: list[CaseRef] = field(default_factory=list)


@dataclass
class FloodControl:
    """The process's flood guard (``hashing.FloodGuard``) and where its clock comes from."""

    guard: hashing.FloodGuard
    clock: Callable[[], float] = time.time
    quarantined: list[int] = field(default_factory=list)  # entry ids quarantined by this batch


def reach_weight(views: int | None, subscribers: int | None) -> float:
    """A post's weight in its channel's risk: ``1 + log10(1 + reach)``."""
    reach = views if views is not None else (subscribers or 0)
    return 1.0 + math.log10(1.0 + max(reach, 0))


def channel_score(harm_sum: float, weight_sum: float, subscribers: int) -> float:
    """Reach-weighted mean harm of the channel's posts, scaled by its audience (0..1)."""
    mean_harm = harm_sum / (weight_sum + PRIOR_WEIGHT)
    audience = min(1.0, math.log10(1.0 + max(subscribers, 0)) / math.log10(1.0 + FULL_AUDIENCE))
    return max(0.0, min(1.0, mean_harm * (0.5 + 0.5 * audience)))


def record_batch(
    session: Session,
    posts: Sequence[ScannedPost],
    signals: Sequence[list[PostSignal]],
    *,
    source: str,
    flood: FloodControl | None = None,
    actor: str = "detection",
) -> list[StoredPost]:
    """Store posts, their signals, cases and channel risk; one entry per post, in order.

    ``posts`` must not repeat a subject. Bank matches on posts seen for the
    first time feed the flood guard; matches of a quarantined entry are dropped.
    """
    if not posts:
        return []
    now = utcnow()
    channels = {
        p.reference.username: Reference(
            Kind.CHANNEL, f"https://t.me/{p.reference.username}", "", p.reference.username
        )
        for p in posts
    }
    ids = ensure_subjects(session, [p.reference for p in posts] + list(channels.values()))
    subject_ids = [ids[p.reference.canonical] for p in posts]
    channel_ids = [ids[channels[p.reference.username].canonical] for p in posts]
    old: dict[int, tuple[float, float]] = {}  # subject -> (harm, reach weight) as stored
    for chunk in _chunks(subject_ids):
        for sid, h, w in session.execute(
            select(Post.subject_id, Post.harm, Post.reach_weight).where(
                member_of(Post.subject_id, chunk, session)
            )
        ):
            old[sid] = (h, w)
    is_new = [sid not in old for sid in subject_ids]
    signals = [list(s) for s in signals]
    if flood is not None:
        _apply_flood(session, signals, is_new, flood, now=now, actor=actor)

    weights = [reach_weight(p.views, p.subscribers) for p in posts]
    harm = [max([s.score for s in sigs if s.flagged], default=0.0) for sigs in signals]
    _insert_rows(
        session,
        _POSTS,
        _POST_COLUMNS,
        [
            (
                sid,
                cid,
                p.reference.post_id,
                p.reference.username,
                p.channel_title,
                p.text,
                p.language,
                p.media,
                p.subscribers,
                p.views,
                p.forwarded_from,
                p.date,
                source,
                p.ocr_text,
                h,
                w,
                now,
            )
            for p, sid, cid, h, w, new in zip(
                posts, subject_ids, channel_ids, harm, weights, is_new, strict=True
            )
            if new
        ],
    )
    _insert_rows(
        session,
        _SIGNALS,
        _SIGNAL_COLUMNS,
        [
            (sid, sid, s.detector, s.version, s.category, s.score, s.flagged, s.evidence, now)
            for sid, sigs in zip(subject_ids, signals, strict=True)
            for s in sigs
        ],
    )
    raised = [
        {"k": sid, "harm": h}
        for sid, h, new in zip(subject_ids, harm, is_new, strict=True)
        if not new and h > old[sid][0]
    ]
    _update_rows(session, _POSTS, "subject_id", ["harm"], raised)
    _update_channel_risk(session, posts, subject_ids, channel_ids, is_new, harm, old, weights, now)
    stored = [
        StoredPost(sid, new, sigs)
        for sid, new, sigs in zip(subject_ids, is_new, signals, strict=True)
    ]
    _update_cases(session, stored, now=now, actor=actor)
    return stored


_POST_COLUMNS = (
    "subject_id",
    "channel_subject_id",
    "platform_post_id",
    "channel_username",
    "channel_title",
    "text",
    "language",
    "media",
    "subscribers",
    "views",
    "forwarded_from",
    "date",
    "source",
    "ocr_text",
    "harm",
    "reach_weight",
    "scanned_at",
)
_SIGNAL_COLUMNS = (
    "subject_id",
    "post_id",
    "detector",
    "detector_version",
    "category",
    "score",
    "flagged",
    "evidence",
    "created_at",
)


def _insert_rows(
    session: Session, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert-or-ignore rows given as tuples in ``names`` order.

    On SQLite one prepared statement runs over DB-API tuples: SQLAlchemy's
    per-row parameter handling costs more than the insert itself there. Only
    the columns whose type converts values (timestamps, JSON) are processed.
    PostgreSQL goes through ``insert_ignore`` (``unnest`` arrays).
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        insert_ignore(session, table, [dict(zip(names, r, strict=True)) for r in rows])
        return
    procs = [(i, p) for i, p in enumerate(_processors(table, names, dialect)) if p is not None]
    if procs:
        converted = []
        for row in rows:
            values = list(row)
            for i, proc in procs:
                if values[i] is not None:
                    values[i] = proc(values[i])
            converted.append(tuple(values))
        rows = converted
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING', rows
    )


def _processors(table: Table, names: Sequence[str], dialect: Any) -> list[Any]:
    key = (table.name, tuple(names), dialect.name)
    found = _PROCESSORS.get(key)
    if found is None:
        found = [table.c[n].type.bind_processor(dialect) for n in names]
        _PROCESSORS[key] = found
    return found


_PROCESSORS: dict[tuple[str, tuple[str, ...], str], list[Any]] = {}


def _update_rows(
    session: Session,
    table: Table,
    key: str,
    names: Sequence[str],
    rows: list[dict[str, Any]],
    *,
    add: Sequence[str] = (),
) -> None:
    """``UPDATE table SET name = :name ... WHERE key = :k`` for each row (executemany).

    Columns in ``add`` are incremented (``name = name + :name``) rather than set,
    so concurrent writers add up instead of overwriting each other.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite":
        procs = _processors(table, names, dialect)
        sets = ", ".join(f'"{n}" = "{n}" + ?' if n in add else f'"{n}" = ?' for n in names)
        data = [
            (
                *(
                    r[n] if proc is None or r[n] is None else proc(r[n])
                    for n, proc in zip(names, procs, strict=True)
                ),
                r["k"],
            )
            for r in rows
        ]
        connection.exec_driver_sql(f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = ?', data)
        return
    values: dict[str, Any] = {
        n: (table.c[n] + bindparam(n)) if n in add else bindparam(n) for n in names
    }
    session.execute(update(table).where(table.c[key] == bindparam("k")).values(values), rows)


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _apply_flood(
    session: Session,
    signals: list[list[PostSignal]],
    is_new: list[bool],
    flood: FloodControl,
    *,
    now: datetime,
    actor: str,
) -> None:
    """Count bank matches of new posts; quarantine flooding entries; drop their matches."""
    at = flood.clock()
    counted: dict[int, int] = defaultdict(int)
    newly: dict[int, dict[str, Any]] = {}
    guard = flood.guard
    for post_signals, new in zip(signals, is_new, strict=True):
        kept_signals = []
        for sig in post_signals:
            matches = sig.evidence.get("matches")
            if sig.detector != "hashbank" or not isinstance(matches, list):
                kept_signals.append(sig)
                continue
            kept = []
            for m in matches:
                entry_id = int(m["entry_id"])
                key = str(entry_id)
                if guard.is_quarantined(key):
                    continue
                if new:
                    decision = guard.record(key, at)
                    if decision.newly_quarantined:
                        newly[entry_id] = {**m, "matches_in_window": decision.matches_in_window}
                        continue
                    counted[entry_id] += 1
                kept.append(m)
            if kept:
                sig.evidence = {**sig.evidence, "matches": kept}
                sig.score = max(float(m["similarity"]) for m in kept)
                kept_signals.append(sig)
        post_signals[:] = kept_signals
    states = guard.dump() if counted else {}
    for entry_id, n in counted.items():
        state = states.get(str(entry_id), {})
        session.execute(
            update(BankEntry)
            .where(BankEntry.id == entry_id)
            .values(
                match_count=BankEntry.match_count + n,
                last_matched_at=now,
                recent_matches=list(state.get("times", [])),  # type: ignore[call-overload]
            )
        )
    for entry_id, m in newly.items():
        session.execute(
            update(BankEntry)
            .where(BankEntry.id == entry_id)
            .values(quarantined_at=now, last_matched_at=now)
        )
        audit.record(
            session,
            actor=actor,
            action="bank_entry.quarantined",
            object_type="bank_entry",
            object_id=entry_id,
            data={
                "bank": m["bank"],
                "external_id": m["external_id"],
                "matches_in_window": m["matches_in_window"],
                "window_seconds": guard.window_seconds,
                "max_matches": guard.max_matches,
            },
        )
        flood.quarantined.append(entry_id)
    if newly:
        next_value(session, BANK_GENERATION)


def _update_channel_risk(
    session: Session,
    posts: Sequence[ScannedPost],
    subject_ids: list[int],
    channel_ids: list[int],
    is_new: list[bool],
    harm: list[float],
    old: dict[int, tuple[float, float]],
    weights: list[float],
    now: datetime,
) -> None:
    delta: dict[int, list[float]] = {}  # channel -> [posts, flagged, weight, harm, subscribers]
    for p, sid, cid, new, h, w in zip(
        posts, subject_ids, channel_ids, is_new, harm, weights, strict=True
    ):
        d = delta.setdefault(cid, [0, 0, 0.0, 0.0, 0])
        d[4] = max(d[4], p.subscribers or 0)
        if new:
            d[0] += 1
            d[1] += h > 0
            d[2] += w
            d[3] += w * h
        elif h > old[sid][0]:  # a new detector version found more: weigh it as first stored
            d[1] += old[sid][0] == 0
            d[3] += old[sid][1] * (h - old[sid][0])
    changed = {cid: d for cid, d in delta.items() if d[0] or d[1] or d[3]}
    if not changed:
        return
    t = _RISK.c
    current: dict[int, tuple[float, float, int]] = {}
    for chunk in _chunks(list(changed)):
        for cid, hs, ws, subs in session.execute(
            select(t.channel_subject_id, t.harm_sum, t.weight_sum, t.subscribers).where(
                member_of(t.channel_subject_id, chunk, session)
            )
        ):
            current[cid] = (hs, ws, subs)
    _insert_rows(
        session,
        _RISK,
        _RISK_COLUMNS,
        [(cid, 0.0, 0, 0, 0.0, 0.0, 0, now) for cid in changed if cid not in current],
    )
    rows = []
    for cid, (dn, df, dw, dh, subs) in changed.items():
        hs, ws, old_subs = current.get(cid, (0.0, 0.0, 0))
        subscribers = max(int(old_subs), int(subs))
        rows.append(
            {
                "k": cid,
                "posts_scanned": dn,
                "flagged_posts": df,
                "weight_sum": dw,
                "harm_sum": dh,
                # the score from the sums as this batch leaves them; a concurrent batch
                # on the same channel recomputes it from its own reading
                "score": channel_score(hs + dh, ws + dw, subscribers),
                "subscribers": subscribers,
                "updated_at": now,
            }
        )
    _update_rows(session, _RISK, "channel_subject_id", _RISK_UPDATE, rows, add=_RISK_ADD)


_CASE_COLUMNS = (
    "subject_id",
    "category",
    "status",
    "priority",
    "opened_at",
    "updated_at",
    "signal_count",
    "max_score",
)
_RISK_COLUMNS = (
    "channel_subject_id",
    "score",
    "posts_scanned",
    "flagged_posts",
    "weight_sum",
    "harm_sum",
    "subscribers",
    "updated_at",
)
_RISK_ADD = ("posts_scanned", "flagged_posts", "weight_sum", "harm_sum")
_RISK_UPDATE = (*_RISK_ADD, "score", "subscribers", "updated_at")


def _update_cases(session: Session, stored: list[StoredPost], *, now: datetime, actor: str) -> None:
    """Open a case per (subject, category) with a flagged signal, or refresh its counters."""
    flagged_subjects = sorted({p.subject_id for p in stored if any(s.flagged for s in p.signals)})
    if not flagged_subjects:
        return
    counts: dict[tuple[int, str], tuple[int, float]] = {}
    open_cases: dict[tuple[int, str], tuple[int, int, float, str]] = {}
    for chunk in _chunks(flagged_subjects):
        for sid, cat, n, top in session.execute(
            select(Signal.subject_id, Signal.category, func.count(), func.max(Signal.score))
            .where(member_of(Signal.subject_id, chunk, session), Signal.flagged.is_(True))
            .group_by(Signal.subject_id, Signal.category)
        ):
            counts[(sid, cat)] = (int(n), float(top))
        for cid, sid, cat, n, top, status in session.execute(
            select(
                Case.id,
                Case.subject_id,
                Case.category,
                Case.signal_count,
                Case.max_score,
                Case.status,
            ).where(member_of(Case.subject_id, chunk, session), Case.closed_at.is_(None))
        ):
            open_cases[(sid, cat)] = (cid, n, top, status)
    to_open = [k for k in counts if k not in open_cases]
    _insert_rows(
        session,
        _CASES,
        _CASE_COLUMNS,
        [
            (sid, cat, CaseStatus.NEW.value, 0.0, now, now, *counts[(sid, cat)])
            for sid, cat in to_open
        ],
    )
    changed: list[dict[str, Any]] = [
        {"k": open_cases[k][0], "signal_count": n, "max_score": top, "updated_at": now}
        for k, (n, top) in counts.items()
        if k in open_cases and (open_cases[k][1] != n or open_cases[k][2] != top)
    ]
    _update_rows(session, _CASES, "id", ("signal_count", "max_score", "updated_at"), changed)
    opened: dict[tuple[int, str], CaseRef] = {}
    if to_open:
        wanted = set(to_open)
        for chunk in _chunks(sorted({sid for sid, _ in to_open})):
            for cid, sid, cat, n, top, status in session.execute(
                select(
                    Case.id,
                    Case.subject_id,
                    Case.category,
                    Case.signal_count,
                    Case.max_score,
                    Case.status,
                ).where(member_of(Case.subject_id, chunk, session), Case.closed_at.is_(None))
            ):
                if (sid, cat) in wanted:
                    opened[(sid, cat)] = CaseRef(cid, cat, status, True, n, top)
    for p in stored:
        cats = sorted({s.category for s in p.signals if s.flagged})
        for cat in cats:
            key = (p.subject_id, cat)
            if key in opened:
                p.cases.append(opened[key])
            elif key in open_cases:
                cid, _, _, status = open_cases[key]
                n, top = counts[key]
                p.cases.append(CaseRef(cid, cat, status, False, n, top))
    ids: list[int] = [c.id for c in opened.values()] + [int(c["k"]) for c in changed]
    if ids:
        audit.record(
            session,
            actor=actor,
            action="cases.detected",
            object_type="detection_batch",
            object_id=f"cases:{min(ids)}-{max(ids)}",
            data={
                "opened": sorted(c.id for c in opened.values()),
                "updated": sorted(c["k"] for c in changed),
            },
        )


# ---------------------------------------------------------------------------
# the bank cache
# ---------------------------------------------------------------------------


def bank_generation(session: Session) -> int:
    """Bumped by every change to banks or entries: in-memory indexes reload when it moves."""
    value = session.scalar(select(Counter.value).where(Counter.name == BANK_GENERATION))
    return int(value or 0)


def load_bank_snapshot(
    session: Session, *, normalizer: Callable[[Sequence[str]], list[str]] | None = None
) -> tuple[BankSnapshot, dict[str, dict[str, object]]]:
    """Index enabled entries of enabled banks; also return their flood state for the guard."""
    generation = bank_generation(session)
    banks = hashing.HashBanks()
    info: dict[str, tuple[str, str]] = {}
    flood: dict[str, dict[str, object]] = {}
    snap = BankSnapshot(banks, generation, info)
    rows = session.execute(
        select(
            BankEntry.id,
            BankEntry.signal_type,
            BankEntry.value,
            BankEntry.external_id,
            BankEntry.category,
            BankEntry.recent_matches,
            Bank.name,
            Bank.threshold,
        )
        .join(Bank, Bank.id == BankEntry.bank_id)
        .where(
            Bank.enabled.is_(True),
            BankEntry.enabled.is_(True),
            BankEntry.quarantined_at.is_(None),
        )
        .order_by(BankEntry.id)
    )
    texts: list[tuple[int, str]] = []
    entries: list[hashing.BankEntry] = []
    for eid, stype, value, external, category, recent, bank, threshold in rows:
        key = str(eid)
        info[key] = (external, stype)
        if recent:
            flood[key] = {"times": list(recent), "quarantined_at": None}
        kind = hashing.SIGNAL_TYPES[stype]
        if kind == "text":
            banks.set_text_threshold(bank, float(threshold))
            texts.append((len(entries), value))
            snap.text_entries += 1
        elif kind == "pdq":
            banks.set_pdq_threshold(bank, int(threshold))
            snap.pdq_entries += 1
        else:
            snap.file_entries += 1
        entries.append(hashing.BankEntry(stype, value, bank, key, category))
    if texts and normalizer is not None:
        normalized = normalizer([v for _, v in texts])
        for (i, raw), norm in zip(texts, normalized, strict=True):
            e = entries[i]
            value = norm if hashing.canonical_text(norm) else raw
            entries[i] = hashing.BankEntry(e.signal_type, value, e.bank, e.entry_id, e.category)
    banks.add_entries(entries)
    return snap, flood
