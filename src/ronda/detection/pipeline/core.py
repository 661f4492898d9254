"""The detection pipeline: a session and a batch of parsed posts in, signals and cases out.

The same ``Pipeline.run`` serves ``ronda scan``, ``POST /api/v1/content`` and
the stream consumer; it knows nothing of files, HTTP or messages. Per batch:

1. refresh the hash banks if a bank changed (one counter read);
2. check and hash media files, OCR images;
3. normalise every text once (``normalize_batch``) and identify its language;
4. run every detector over the whole batch (post texts and OCR texts);
5. keep the best finding per post, detector and category;
6. store posts, signals, cases and channel risk (``store.record_batch``).

A post that cannot be scanned (an image that is not one) gets an ``error``
in its outcome and the rest of the batch goes on. The caller commits.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ronda.config import Settings
from ronda.detection.detectors import (
    BankSnapshot,
    DetectorContext,
    Finding,
    Item,
    MediaRef,
    Registry,
    load_registry,
)
from ronda.detection.evidence import store_for
from ronda.detection.hashing import FloodGuard
from ronda.detection.models import PostSource
from ronda.detection.pipeline import banks, store
from ronda.detection.pipeline.media import PreparedMedia, prepare_media
from ronda.detection.pipeline.store import CaseRef, PostSignal, ScannedPost
from ronda.detection.schemas import PostIn
from ronda.ops.metrics import POSTS_FLAGGED, POSTS_SCANNED

log = logging.getLogger(__name__)

# TODO(settings): move to Settings (e.g. detection.flood_window_seconds and
# detection.flood_max_matches) once config.py grows a detection section; until
# then PipelineConfig carries them and docs/detection.md documents the defaults.
FLOOD_WINDOW_SECONDS = 600.0
FLOOD_MAX_MATCHES = 200


@dataclass(frozen=True)
class PipelineConfig:
    flood_window_seconds: float = FLOOD_WINDOW_SECONDS
    flood_max_matches: int = FLOOD_MAX_MATCHES
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    ocr: bool = True
    ocr_languages: str = "ind+eng"
    ocr_timeout: float = 30.0
    evidence_dir: str = ""  # keep the images read here (ronda.detection.evidence); "": not kept
    evidence_max_bytes: int = 5 * 1024 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PipelineConfig:
        return cls(
            **{
                "max_image_bytes": settings.limits.max_attachment_bytes,
                "evidence_dir": settings.evidence_dir,
                "evidence_max_bytes": settings.evidence_max_bytes,
                **overrides,
            }
        )


@dataclass(slots=True)
class PostOutcome:
    """What happened to one post of the batch (``ref``: the caller's label, e.g. a line)."""

    index: int
    ref: object
    canonical: str | None = None
    subject_id: int | None = None
    language: str | None = None
    error: str | None = None
    new: bool = False
    warnings: list[str] = field(default_factory=list)
    signals: list[PostSignal] = field(default_factory=list)
    cases: list[CaseRef] = field(default_factory=list)


@dataclass
class BatchResult:
    outcomes: list[PostOutcome]
    detectors: dict[str, str]
    unavailable: dict[str, str]
    quarantined: list[int] = field(default_factory=list)  # bank entry ids held by this batch

    @property
    def scanned(self) -> int:
        return sum(o.error is None for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(o.error is not None for o in self.outcomes)


@contextmanager
def _paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch.

    A batch allocates tens of objects per post, all freed by reference
    counting; the collector would still run hundreds of times per batch and
    scan the long-lived heap (rules automaton, slang table, bank indexes) on its
    full passes: 25 % of scan time, measured with benchmarks/bench_scan.py.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _language_function() -> Callable[[Sequence[str]], list[str]]:
    """Batch language identification (``ronda.detection.langid``)."""
    from ronda.detection import langid

    batch: Callable[[Sequence[str]], list[str]] | None = getattr(
        langid, "detect_language_batch", None
    )
    if batch is not None:
        return batch
    one = langid.detect_language
    return lambda texts: [one(t) for t in texts]


def _normalizer() -> Callable[[Sequence[str]], list[str]]:
    from ronda.detection.normalize import normalize_batch

    return normalize_batch


class Pipeline:
    """Detectors, the bank cache and the flood guard of one process.

    ``run`` is serialised by a lock: the bank cache and the flood guard are
    shared state, and the work is CPU-bound under the GIL anyway.
    """

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        only: Sequence[str] | None = None,
        plugins: Sequence[object] = (),
        entry_points: bool = True,
        clock: Callable[[], float] = time.time,
        registry: Registry | None = None,
    ) -> None:
        self.config = config or PipelineConfig()
        self._snapshot: BankSnapshot | None = None
        context = DetectorContext(
            banks=lambda: self._snapshot,
            ocr_languages=self.config.ocr_languages,
            ocr_timeout=self.config.ocr_timeout,
        )
        self.registry = registry or load_registry(
            context, only=only, plugins=plugins, entry_points=entry_points
        )
        self.uses_banks = any(d.name == "hashbank" for d in self.registry.detectors)
        self.guard = FloodGuard(self.config.flood_window_seconds, self.config.flood_max_matches)
        self.clock = clock
        self._normalize = _normalizer()
        self._languages = _language_function()
        self._lock = threading.Lock()
        self.evidence = store_for(self.config.evidence_dir, self.config.evidence_max_bytes)

    @property
    def versions(self) -> dict[str, str]:
        return self.registry.versions

    @property
    def unavailable(self) -> dict[str, str]:
        return {u.name: u.reason for u in self.registry.unavailable}

    def invalidate_banks(self) -> None:
        """Reload the banks on the next batch (bank changes also do this through the counter)."""
        self._snapshot = None

    def refresh_banks(self, session: Session) -> BankSnapshot | None:
        if not self.uses_banks:
            return None
        generation = banks.bank_generation(session)
        if self._snapshot is None or self._snapshot.generation != generation:
            snap, flood_state = banks.load_bank_snapshot(session, normalizer=self._normalize)
            self._snapshot = snap
            self.guard = FloodGuard.load(
                self.config.flood_window_seconds, self.config.flood_max_matches, flood_state
            )
        return self._snapshot

    def run(
        self,
        session: Session,
        posts: Sequence[PostIn],
        *,
        source: PostSource | str,
        refs: Sequence[object] | None = None,
        base_dir: Path | None = None,
        allow_paths: bool = False,
        actor: str | None = None,
    ) -> BatchResult:
        """Detect and store a batch; one outcome per post, in order. The caller commits."""
        with self._lock, _paused_gc():
            result = self._run(
                session,
                posts,
                source=PostSource(source),
                refs=refs if refs is not None else list(range(len(posts))),
                base_dir=base_dir,
                allow_paths=allow_paths,
                actor=actor or f"detection:{PostSource(source).value}",
            )
        label = PostSource(source).value
        POSTS_SCANNED.labels(label).inc(result.scanned)
        POSTS_FLAGGED.labels(label).inc(sum(1 for o in result.outcomes if o.cases))
        return result

    def _run(
        self,
        session: Session,
        posts: Sequence[PostIn],
        *,
        source: PostSource,
        refs: Sequence[object],
        base_dir: Path | None,
        allow_paths: bool,
        actor: str,
    ) -> BatchResult:
        self.refresh_banks(session)
        references = [p.reference for p in posts]
        outcomes = [
            PostOutcome(i, label, canonical=ref.canonical)
            for i, (ref, label) in enumerate(zip(references, refs, strict=True))
        ]
        first: dict[str, int] = {}
        unique: list[int] = []  # positions of the posts scanned (first of each subject)
        media: dict[int, PreparedMedia] = {}
        for i, post in enumerate(posts):
            canonical = outcomes[i].canonical or ""
            if canonical in first:
                continue
            if post.media:
                prepared = prepare_media(
                    post,
                    base_dir=base_dir,
                    allow_paths=allow_paths,
                    max_bytes=self.config.max_image_bytes,
                    max_pixels=self.config.max_image_pixels,
                    evidence=self.evidence,
                )
                outcomes[i].warnings.extend(prepared.warnings)
                if prepared.error is not None:
                    outcomes[i].error = prepared.error
                    continue
                media[i] = prepared
            first[canonical] = i
            unique.append(i)
        ocr = self._ocr(media, outcomes)

        # items: each post's text, then each OCR text; normalised in one pass
        originals: list[str] = []
        owners: list[tuple[int, str, int | None, tuple[MediaRef, ...]]] = []
        for i in unique:
            originals.append(posts[i].text)
            owners.append((i, "text", None, media[i].refs if i in media else ()))
        for i, k, text in ocr:
            originals.append(text)
            owners.append((i, "ocr", k, ()))
        normalized = self._normalize(originals) if originals else []
        lang_input = []
        for i in unique:
            text = posts[i].text
            if not text.strip():
                text = " ".join(t for j, _, t in ocr if j == i)
            lang_input.append(text)
        languages = dict(zip(unique, self._languages(lang_input), strict=True))
        items = [
            Item(i, src, orig, norm, languages[i], refs_, k)
            for (i, src, k, refs_), orig, norm in zip(owners, originals, normalized, strict=True)
        ]
        findings = self._detect(items)
        per_post = self._merge(items, findings)

        ocr_text: dict[int, list[str]] = {}
        for i, _, text in ocr:
            ocr_text.setdefault(i, []).append(text)
        scanned = [
            ScannedPost(
                reference=references[i],
                channel_title=posts[i].channel_title,
                text=posts[i].text,
                language=languages[i],
                media=media[i].stored if i in media else [],
                subscribers=posts[i].subscribers,
                views=posts[i].views,
                forwarded_from=posts[i].forwarded_from,
                date=posts[i].date,
                ocr_text="\n\n".join(ocr_text[i]) if i in ocr_text else None,
            )
            for i in unique
        ]
        flood = store.FloodControl(self.guard, clock=self.clock) if self.uses_banks else None
        stored = store.record_batch(
            session,
            scanned,
            [per_post.get(i, []) for i in unique],
            source=source.value,
            flood=flood,
            actor=actor,
        )
        by_subject: dict[str, int] = {}
        for i, row in zip(unique, stored, strict=True):
            out = outcomes[i]
            out.subject_id, out.new, out.language = row.subject_id, row.new, languages[i]
            out.signals, out.cases = row.signals, row.cases
            by_subject[out.canonical or ""] = i
        for out in outcomes:  # repeats of a post in the same batch get the first's outcome
            if out.error is None and out.subject_id is None:
                twin = outcomes[by_subject[out.canonical or ""]]
                out.subject_id, out.language = twin.subject_id, twin.language
                out.signals, out.cases = twin.signals, twin.cases
        return BatchResult(
            outcomes,
            self.versions,
            self.unavailable,
            quarantined=list(flood.quarantined) if flood else [],
        )

    def _ocr(
        self, media: dict[int, PreparedMedia], outcomes: list[PostOutcome]
    ) -> list[tuple[int, int, str]]:
        """(post, media index, text) for every image with text in it."""
        jobs = [(i, k, path) for i, m in media.items() for k, path in m.images]
        if not jobs or not self.config.ocr or not self.registry.extractors:
            return []
        extractor = self.registry.extractors[0]
        found = []
        for (i, k, _), got in zip(jobs, extractor.extract([p for _, _, p in jobs]), strict=True):
            if got.error:
                outcomes[i].warnings.append(f"media {k}: {got.error}")
            elif got.text and got.text.strip():
                found.append((i, k, got.text))
        return found

    def _detect(self, items: list[Item]) -> list[tuple[Finding, Item]]:
        out: list[tuple[Finding, Item]] = []
        for detector in self.registry.detectors:
            for f in detector.detect(items):
                out.append((f, items[f.item]))
        return out

    def _merge(
        self, items: list[Item], findings: list[tuple[Finding, Item]]
    ) -> dict[int, list[PostSignal]]:
        """The best finding per (post, detector, category); bank matches of all items are kept."""
        extractor = self.registry.extractors[0] if self.registry.extractors else None
        best: dict[tuple[int, str, str], PostSignal] = {}
        for f, item in findings:
            evidence = dict(f.evidence)
            evidence.setdefault("source", _source(item, evidence))
            if item.source == "ocr":
                evidence["media_index"] = item.media_index
                if extractor is not None:
                    evidence["extractor"] = f"{extractor.name}/{extractor.version}"
            sig = PostSignal(f.detector, f.version, f.category, float(f.score), f.flagged, evidence)
            key = (item.post, f.detector, f.category)
            have = best.get(key)
            if have is None:
                best[key] = sig
                continue
            if isinstance(have.evidence.get("matches"), list) and isinstance(
                evidence.get("matches"), list
            ):
                merged = have.evidence["matches"] + evidence["matches"]
                winner = sig if sig.score > have.score else have
                winner.evidence = {**winner.evidence, "matches": merged}
                best[key] = winner
            elif sig.score > have.score:
                best[key] = sig
        per_post: dict[int, list[PostSignal]] = {}
        for (post, _, _), sig in best.items():
            per_post.setdefault(post, []).append(sig)
        return per_post


def _source(item: Item, evidence: dict[str, Any]) -> str:
    if item.source == "ocr":
        return "ocr"
    matches = evidence.get("matches")
    if isinstance(matches, list) and matches and "media_index" in matches[0]:
        return "media"
    return "text"
