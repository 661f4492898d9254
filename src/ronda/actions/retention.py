"""Preservation and purge of removed content (EU TCO Regulation Art. 6: six months).

Content that was acted on is kept, with its evidence, for ``retention_days``
after the action took effect, so an appeal, a court or an authority can still
see what was removed; then the post's text, OCR text and media references
and the signals' evidence are erased, and the post's images are deleted from
the evidence store (``evidence_dir``) unless a post not purged still shows the
same image. Scores, decisions, actions and the audit log stay: they are the
record of what was done, not the content. Files are deleted before the
caller commits: a purge that then fails to commit has erased only content
that was due to go anyway, and the next run finishes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Text, cast, select, update
from sqlalchemy.orm import Session

from ronda.actions.models import Action, ActionKind, ActionStatus
from ronda.audit import service as audit
from ronda.config import Settings
from ronda.db.base import utcnow
from ronda.detection.evidence import store_for
from ronda.detection.models import Post, Signal
from ronda.jobs import service as jobs
from ronda.jobs.models import Job
from ronda.subjects.models import Subject

JOB_KIND = "retention_purge"
PURGED = "[purged after the retention period]"


@dataclass
class PurgeResult:
    cutoff: datetime
    posts: int
    signals: int
    images: int = 0


def purge(
    session: Session, *, settings: Settings, now: datetime | None = None, dry_run: bool = False
) -> PurgeResult:
    cutoff = (now or utcnow()) - timedelta(days=settings.retention_days)
    reversed_ids = select(Action.reverses_id).where(Action.reverses_id.is_not(None))
    acted = select(Action.subject_id).where(
        Action.status == ActionStatus.SUCCEEDED,
        Action.kind != ActionKind.RESTORE,
        Action.succeeded_at < cutoff,
        Action.id.not_in(reversed_ids),
    )
    # a channel acted on takes its posts with it
    subject_ids = set(session.scalars(acted))
    if subject_ids:
        subject_ids |= set(
            session.scalars(select(Subject.id).where(Subject.parent_id.in_(subject_ids)))
        )
    ids = sorted(subject_ids)
    posts = signals = 0
    images: set[str] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        post_q = select(Post.subject_id).where(Post.subject_id.in_(chunk), Post.text != PURGED)
        targets = list(session.scalars(post_q))
        posts += len(targets)
        # signals of the posts purged now (a second run finds nothing left to do)
        sig_targets = (
            list(session.scalars(select(Signal.id).where(Signal.subject_id.in_(targets))))
            if targets
            else []
        )
        signals += len(sig_targets)
        if targets:
            for media in session.scalars(select(Post.media).where(Post.subject_id.in_(targets))):
                images.update(m["sha256"] for m in media or [] if m.get("sha256"))
        if dry_run:
            continue
        if targets:
            session.execute(
                update(Post)
                .where(Post.subject_id.in_(targets))
                .values(text=PURGED, ocr_text=None, media=[])
            )
        if sig_targets:
            session.execute(
                update(Signal).where(Signal.id.in_(sig_targets)).values(evidence={"purged": True})
            )
    removed = 0 if dry_run else _remove_images(session, settings, images)
    if not dry_run and (posts or signals):
        audit.record(
            session,
            actor="retention",
            action="retention.purged",
            object_type="retention",
            object_id=cutoff.date().isoformat(),
            data={
                "cutoff": cutoff.isoformat(),
                "posts": posts,
                "signals": signals,
                "images": removed,
                "retention_days": settings.retention_days,
            },
        )
    return PurgeResult(
        cutoff=cutoff, posts=posts, signals=signals, images=removed if not dry_run else len(images)
    )


def _remove_images(session: Session, settings: Settings, hashes: set[str]) -> int:
    """Delete the kept images of purged posts that no remaining post shows."""
    store = store_for(settings.evidence_dir, settings.evidence_max_bytes)
    if store is None or not hashes:
        return 0
    session.flush()
    # one pass over the posts that still show media (not one query per image)
    still_shown: set[str] = set()
    remaining = select(Post.media).where(Post.text != PURGED, cast(Post.media, Text) != "[]")
    for media in session.scalars(remaining.execution_options(yield_per=1000)):
        still_shown.update(m["sha256"] for m in media or [] if m.get("sha256") in hashes)
    return sum(store.remove(sha256) for sha256 in sorted(hashes - still_shown))


def queue_daily(session: Session, *, now: datetime | None = None) -> None:
    """One purge job a day (the key makes the second call of the day a no-op)."""
    day = (now or utcnow()).date().isoformat()
    jobs.enqueue(session, kind=JOB_KIND, key=f"{JOB_KIND}:{day}", payload={"day": day})


@jobs.handler(JOB_KIND)
def _run(session: Session, job: Job) -> None:
    from ronda.config import get_settings

    purge(session, settings=get_settings())
