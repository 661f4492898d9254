"""Storing what the pipeline found: posts, signals, cases, channel risk, flood state.

Written for throughput: one ``record_batch`` call per batch of up to a few
thousand posts, Core bulk statements only (``ronda.db.upsert``), and the reads
it needs (existing posts, signal counts for cases) done once per batch with
``IN`` lists. Re-scanning is idempotent by construction: posts and signals are
insert-or-ignore on their natural keys, case counters are recomputed from the
stored signals, channel risk moves only by what a batch changed, and bank
matches count towards flood control only on posts seen for the first time.

Services flush; the caller commits.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from ronda.audit import service as audit
from ronda.db.base import utcnow
from ronda.db.bulk import chunks, insert_rows, member, update_rows
from ronda.db.counters import next_value
from ronda.detection import hashing
from ronda.detection.models import (
    BANK_GENERATION,
    BankEntry,
    Case,
    CaseStatus,
    ChannelRisk,
    Post,
    Signal,
)
from ronda.links import Kind, Reference
from ronda.subjects.service import ensure_subjects

_POSTS: Table = Post.__table__  # type: ignore[assignment]
_SIGNALS: Table = Signal.__table__  # type: ignore[assignment]
_CASES: Table = Case.__table__  # type: ignore[assignment]
_RISK: Table = ChannelRisk.__table__  # type: ignore[assignment]

# channel risk (docs/detection.md, "Channel risk")
PRIOR_WEIGHT = 3.0  # clean posts every channel is assumed to have: few posts, little certainty
FULL_AUDIENCE = 1_000_000  # subscribers at which the audience factor reaches 1


# ---------------------------------------------------------------------------
# scan storage
# ---------------------------------------------------------------------------


@dataclass(slots=True)
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


@dataclass(slots=True)
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


@dataclass(slots=True)
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
        name: Reference(Kind.CHANNEL, f"https://t.me/{name}", "", name)
        for name in dict.fromkeys(p.reference.username for p in posts)
    }
    ids = ensure_subjects(session, [p.reference for p in posts] + list(channels.values()))
    subject_ids = [ids[p.reference.canonical] for p in posts]
    channel_ids = [ids[channels[p.reference.username].canonical] for p in posts]
    old: dict[int, tuple[float, float]] = {}  # subject -> (harm, reach weight) as stored
    for chunk in chunks(subject_ids):
        for sid, h, w in session.execute(
            select(Post.subject_id, Post.harm, Post.reach_weight).where(
                member(Post.subject_id, chunk, session)
            )
        ):
            old[sid] = (h, w)
    is_new = [sid not in old for sid in subject_ids]
    signals = [list(s) for s in signals]
    if flood is not None:
        _apply_flood(session, signals, is_new, flood, now=now, actor=actor)

    weights = [reach_weight(p.views, p.subscribers) for p in posts]
    harm = [max([s.score for s in sigs if s.flagged], default=0.0) for sigs in signals]
    insert_rows(
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
    insert_rows(
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
    update_rows(session, _POSTS, "subject_id", ["harm"], raised)
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
    for chunk in chunks(list(changed)):
        for cid, hs, ws, subs in session.execute(
            select(t.channel_subject_id, t.harm_sum, t.weight_sum, t.subscribers).where(
                member(t.channel_subject_id, chunk, session)
            )
        ):
            current[cid] = (hs, ws, subs)
    insert_rows(
        session,
        _RISK,
        _RISK_COLUMNS,
        [(cid, 0.0, 0, 0, 0.0, 0.0, 0, now) for cid in sorted(changed) if cid not in current],
    )
    rows = []
    # in channel order: two workers updating the same channels lock them in the same order
    # (PostgreSQL otherwise finds deadlocks between concurrent batches)
    for cid, (dn, df, dw, dh, subs) in sorted(changed.items()):
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
    update_rows(session, _RISK, "channel_subject_id", _RISK_UPDATE, rows, add=_RISK_ADD)


def _route_opened(session: Session, opened: dict[tuple[int, str], CaseRef]) -> None:
    """Give newly opened cases their queue, language, reach and priority."""
    from ronda.cases.priority import priority
    from ronda.cases.service import route
    from ronda.config import get_settings

    rules = get_settings().queues
    facts: dict[int, tuple[str, int | None, int | None]] = {}
    for chunk in chunks(sorted({sid for sid, _ in opened})):
        for sid, language, subscribers, views in session.execute(
            select(Post.subject_id, Post.language, Post.subscribers, Post.views).where(
                member(Post.subject_id, chunk, session)
            )
        ):
            facts[sid] = (language, subscribers, views)
    rows = []
    for (sid, cat), ref in opened.items():
        language, subscribers, views = facts.get(sid, ("other", None, None))
        rows.append(
            {
                "k": ref.id,
                "queue": route(rules, category=cat, language=language),
                "language": language,
                "subscribers": subscribers,
                "priority": priority(
                    category=cat, subscribers=subscribers, views=views, max_score=ref.max_score
                ),
            }
        )
    update_rows(session, _CASES, "id", ("queue", "language", "subscribers", "priority"), rows)


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


def _open_cases(session: Session, subject_ids: Sequence[int]) -> Any:
    """(id, subject, category, signal count, max score, status) of the open cases of these subjects."""
    return session.execute(
        select(
            Case.id,
            Case.subject_id,
            Case.category,
            Case.signal_count,
            Case.max_score,
            Case.status,
        ).where(member(Case.subject_id, subject_ids, session), Case.closed_at.is_(None))
    )


def _update_cases(session: Session, stored: list[StoredPost], *, now: datetime, actor: str) -> None:
    """Open a case per (subject, category) with a flagged signal, or refresh its counters."""
    flagged_subjects = sorted({p.subject_id for p in stored if any(s.flagged for s in p.signals)})
    if not flagged_subjects:
        return
    counts: dict[tuple[int, str], tuple[int, float]] = {}
    open_cases: dict[tuple[int, str], tuple[int, int, float, str]] = {}
    for chunk in chunks(flagged_subjects):
        for sid, cat, n, top in session.execute(
            select(Signal.subject_id, Signal.category, func.count(), func.max(Signal.score))
            .where(member(Signal.subject_id, chunk, session), Signal.flagged.is_(True))
            .group_by(Signal.subject_id, Signal.category)
        ):
            counts[(sid, cat)] = (int(n), float(top))
        for cid, sid, cat, n, top, status in _open_cases(session, chunk):
            open_cases[(sid, cat)] = (cid, n, top, status)
    to_open = [k for k in counts if k not in open_cases]
    insert_rows(
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
    update_rows(session, _CASES, "id", ("signal_count", "max_score", "updated_at"), changed)
    opened: dict[tuple[int, str], CaseRef] = {}
    if to_open:
        wanted = set(to_open)
        for chunk in chunks(sorted({sid for sid, _ in to_open})):
            for cid, sid, cat, n, top, status in _open_cases(session, chunk):
                if (sid, cat) in wanted:
                    opened[(sid, cat)] = CaseRef(cid, cat, status, True, n, top)
    if opened:
        _route_opened(session, opened)
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
