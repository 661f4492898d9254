"""The detector interface, the built-in detectors and the plugin registry.

A detector is anything with a ``name``, a ``version``, a few ``examples`` and
``detect(batch) -> list[Finding]``. It sees whole batches (so it can vectorise)
of ``Item``: a post's text, or the text read from one of its images, each in
its original and normalised form. It returns findings as data and never
touches the database: storing, cases and flood control are the pipeline's.

Detectors and text extractors (OCR) come from pluggy hooks: the built-ins below
are registered exactly like a third-party plugin that declares an entry point in
the group ``ronda.detectors``::

    [project.entry-points."ronda.detectors"]
    mydetector = "my_package.ronda_plugin"

where ``my_package.ronda_plugin`` has ``@hookimpl def ronda_detectors(context)``.
A detector that cannot run here (no model file, no ``tesseract`` binary) is
returned as ``Unavailable`` with the reason, so a scan can say what it skipped.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pluggy

if TYPE_CHECKING:
    from ronda.detection.hashing import HashBanks
    from ronda.detection.rules import RuleSet

log = logging.getLogger(__name__)

PROJECT = "ronda"
ENTRY_POINT_GROUP = "ronda.detectors"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = [
    "ENTRY_POINT_GROUP",
    "BankDetector",
    "BankSnapshot",
    "ClassifierDetector",
    "Detector",
    "DetectorContext",
    "Example",
    "Extractor",
    "Finding",
    "Item",
    "MediaRef",
    "Registry",
    "RulesDetector",
    "TesseractOcr",
    "Unavailable",
    "hookimpl",
    "load_registry",
]


# ---------------------------------------------------------------------------
# what detectors see and return
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaRef:
    """Hashes of one media file of a post (given by the platform or computed from ``path``)."""

    md5: str | None = None
    sha256: str | None = None
    pdq: str | None = None


@dataclass(frozen=True, slots=True)
class Item:
    """One text to look at.

    ``source`` is ``"text"`` for the post's own text (this item also carries
    the post's media hashes) or ``"ocr"`` for text read from the image at
    ``media_index``. ``post`` is the post's position in the batch.
    """

    post: int
    source: str
    original: str
    normalized: str
    language: str = "other"
    media: tuple[MediaRef, ...] = ()
    media_index: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A detector's score for one category on one item (``item``: index in the batch)."""

    item: int
    detector: str
    version: str
    category: str
    score: float
    threshold: float  # the detector's review threshold for this category
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        return self.score >= self.threshold


@dataclass(frozen=True, slots=True)
class Example:
    """A text the detector must flag as ``category`` (None: must not flag anything)."""

    text: str
    category: str | None


@runtime_checkable
class Detector(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def examples(self) -> Sequence[Example]: ...

    def detect(self, batch: Sequence[Item]) -> list[Finding]: ...


@dataclass(frozen=True, slots=True)
class ExtractedText:
    text: str | None
    error: str | None = None


@runtime_checkable
class Extractor(Protocol):
    """Reads text out of media files (OCR); the text is then detected like a post's."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def extract(self, paths: Sequence[Path]) -> list[ExtractedText]: ...


@dataclass(frozen=True, slots=True)
class Unavailable:
    """A detector or extractor that cannot run here, and why."""

    name: str
    reason: str


# ---------------------------------------------------------------------------
# built-in detectors
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _ruleset() -> RuleSet:
    from ronda.detection.rules import RuleSet

    return RuleSet.load()


class RulesDetector:
    """Policy terms and patterns (``ronda.detection.rules``); version = policy version."""

    name = "rules"
    examples = (
        Example("SLOT GACOR hari ini, depo 10rb langsung maxwin! daftar sekarang", "gambling"),
        Example("Pasang togel HK malam ini, bandar terpercaya", "gambling"),
        Example("Besok kita rapat RT jam tujuh malam di balai warga", None),
    )

    def __init__(self, rules: RuleSet | None = None) -> None:
        self.rules = rules or _ruleset()
        self.version = self.rules.version

    def detect(self, batch: Sequence[Item]) -> list[Finding]:
        results = self.rules.match_batch([(it.original, it.normalized) for it in batch])
        found: list[Finding] = []
        for i, result in enumerate(results):
            for category, cat in result.categories.items():
                evidence = cat.to_dict()
                del evidence["category"], evidence["score"]
                found.append(
                    Finding(
                        i, self.name, self.version, category, cat.score, cat.threshold, evidence
                    )
                )
        return found


class ClassifierDetector:
    """The text classifier; a signal when a category reaches its ``review`` threshold."""

    name = "classifier"
    examples = (
        Example("SLOT GACOR hari ini, depo 10rb langsung maxwin! daftar sekarang", "gambling"),
    )

    def __init__(self, model: Any) -> None:
        self.model = model
        self.version = str(model.version)
        self.categories: tuple[str, ...] = tuple(model.categories)
        self.review = [float(model.thresholds["review"][c]) for c in self.categories]
        self.auto = [float(model.thresholds["auto"][c]) for c in self.categories]

    def detect(self, batch: Sequence[Item]) -> list[Finding]:
        if not batch:
            return []
        fast = getattr(self.model, "predict_proba_normalized", None)
        if callable(fast):
            proba = fast([it.normalized for it in batch])
        else:
            proba = self.model.predict_proba([it.original for it in batch])
        found: list[Finding] = []
        rows, cols = (proba >= self.review).nonzero() if len(self.review) else ((), ())
        for i, j in zip(rows, cols, strict=True):
            p = float(proba[i, j])
            found.append(
                Finding(
                    int(i),
                    self.name,
                    self.version,
                    self.categories[j],
                    p,
                    self.review[j],
                    {
                        "probability": round(p, 4),
                        "thresholds": {"review": self.review[j], "auto": self.auto[j]},
                        "auto": p >= self.auto[j],
                    },
                )
            )
        return found


@dataclass
class BankSnapshot:
    """Enabled entries of enabled banks, indexed, as of bank generation ``generation``.

    Index entry ids are the ``bank_entries.id`` as strings; ``info`` maps them to
    (external id, signal type). Text entries are indexed in normalised form, so
    queries use the items' normalised text.
    """

    banks: HashBanks
    generation: int
    info: dict[str, tuple[str, str]]
    text_entries: int = 0
    pdq_entries: int = 0
    file_entries: int = 0

    def __len__(self) -> int:
        return self.text_entries + self.pdq_entries + self.file_entries


class BankDetector:
    """Matches against the hash banks: near-duplicate text, PDQ, MD5/SHA-256.

    One finding per item and category, scored by the best similarity; every
    matching entry is listed in the evidence (bank, entry id, distance), which
    is what flood control reads.
    """

    name = "hashbank"
    version = "hashbank-1"
    examples: Sequence[Example] = ()

    def __init__(self, snapshot: Callable[[], BankSnapshot | None]) -> None:
        self._snapshot = snapshot

    def detect(self, batch: Sequence[Item]) -> list[Finding]:
        snap = self._snapshot()
        if snap is None or not len(snap):
            return []
        per_item: dict[tuple[int, str], list[dict[str, Any]]] = {}

        def add(i: int, m: Any, kind: str, media_index: int | None) -> None:
            external, stype = snap.info.get(m.entry.entry_id, (m.entry.entry_id, kind))
            match: dict[str, Any] = {
                "bank": m.entry.bank,
                "entry_id": int(m.entry.entry_id),
                "external_id": external,
                "signal_type": stype,
                "distance": round(float(m.distance), 4),
                "similarity": round(float(m.similarity), 4),
                "generation": snap.generation,
            }
            if media_index is not None:
                match["media_index"] = media_index
            per_item.setdefault((i, m.entry.category), []).append(match)

        if snap.text_entries:
            wanted = [i for i, it in enumerate(batch) if it.normalized]
            results = snap.banks.match_texts([batch[i].normalized for i in wanted])
            for i, hits in zip(wanted, results, strict=True):
                for m in hits:
                    add(i, m, "raw_text", None)
        if snap.pdq_entries or snap.file_entries:
            pdq_at: list[tuple[int, int]] = []
            pdqs: list[str] = []
            for i, it in enumerate(batch):
                for k, media in enumerate(it.media):
                    if media.pdq and snap.pdq_entries:
                        pdq_at.append((i, k))
                        pdqs.append(media.pdq)
                    if (media.md5 or media.sha256) and snap.file_entries:
                        for m in snap.banks.match_digests(md5=media.md5, sha256=media.sha256):
                            add(i, m, "file", k)
            if pdqs:
                for (i, k), hits in zip(pdq_at, snap.banks.match_pdq_batch(pdqs), strict=True):
                    for m in hits:
                        add(i, m, "pdq", k)
        found = []
        for (i, category), matches in per_item.items():  # best match first
            matches.sort(key=lambda m: (-m["similarity"], m["entry_id"]))
            score = matches[0]["similarity"]
            found.append(
                Finding(i, self.name, self.version, category, score, 0.0, {"matches": matches})
            )
        return found


# ---------------------------------------------------------------------------
# OCR
# ---------------------------------------------------------------------------


class TesseractOcr:
    """Text in images, read by the ``tesseract`` binary (Debian: tesseract-ocr, -ind).

    Each image is one subprocess with a timeout and a single thread
    (``OMP_THREAD_LIMIT=1``); the caller has already checked the file's size
    and that it is an image. Output is cut at ``max_chars``.
    """

    name = "tesseract"

    def __init__(
        self,
        binary: str,
        *,
        languages: str = "ind+eng",
        timeout: float = 30.0,
        max_chars: int = 16_384,
    ) -> None:
        self.binary = binary
        self.languages = languages
        self.timeout = timeout
        self.max_chars = max_chars
        self.version = f"{_tesseract_version(binary)}/{languages}"

    def extract(self, paths: Sequence[Path]) -> list[ExtractedText]:
        return [self._one(p) for p in paths]

    def _one(self, path: Path) -> ExtractedText:
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(  # noqa: S603 - fixed argv, no shell
                [self.binary, str(path), "stdout", "-l", self.languages, "--psm", "3"],
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return ExtractedText(None, f"OCR took longer than {self.timeout:g} s")
        except OSError as exc:
            return ExtractedText(None, f"OCR could not run ({exc.strerror or exc})")
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            return ExtractedText(None, f"OCR failed: {message[-1] if message else done.returncode}")
        text = done.stdout.decode("utf-8", "replace")
        return ExtractedText(" ".join(text.split())[: self.max_chars])


@lru_cache(maxsize=4)
def _tesseract_version(binary: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [binary, "--version"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "tesseract-unknown"
    first = (done.stdout or done.stderr).decode("utf-8", "replace").strip().splitlines()
    return first[0].replace(" ", "-") if first else "tesseract-unknown"


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DetectorContext:
    """What plugins may use to build their detectors."""

    banks: Callable[[], BankSnapshot | None] | None = None
    ocr_languages: str = "ind+eng"
    ocr_timeout: float = 30.0


class DetectorSpec:
    """The hooks a detection plugin implements."""

    @hookspec
    def ronda_detectors(self, context: DetectorContext) -> list[Detector | Unavailable]:
        """Detectors this plugin provides (or why one cannot run here)."""
        raise NotImplementedError

    @hookspec
    def ronda_extractors(self, context: DetectorContext) -> list[Extractor | Unavailable]:
        """Media-to-text extractors (OCR) this plugin provides."""
        raise NotImplementedError


class Builtins:
    """Ronda's own detectors, registered as a plugin like any other."""

    @hookimpl
    def ronda_detectors(self, context: DetectorContext) -> list[Detector | Unavailable]:
        found: list[Detector | Unavailable] = [RulesDetector()]
        if context.banks is not None:
            found.append(BankDetector(context.banks))
        found.append(_classifier())
        return found

    @hookimpl
    def ronda_extractors(self, context: DetectorContext) -> list[Extractor | Unavailable]:
        binary = shutil.which("tesseract")
        if binary is None:
            return [Unavailable("tesseract", "the tesseract binary is not installed")]
        return [TesseractOcr(binary, languages=context.ocr_languages, timeout=context.ocr_timeout)]


def _classifier() -> ClassifierDetector | Unavailable:
    try:
        module = importlib.import_module("ronda.detection.classifier")
        load_default_model = module.load_default_model
    except (ImportError, AttributeError) as exc:
        return Unavailable("classifier", f"ronda.detection.classifier is not installed ({exc})")
    try:
        return ClassifierDetector(load_default_model())
    except (OSError, ValueError, KeyError) as exc:
        return Unavailable("classifier", f"no usable model ({exc})")


@dataclass
class Registry:
    detectors: list[Detector]
    extractors: list[Extractor]
    unavailable: list[Unavailable]

    @property
    def versions(self) -> dict[str, str]:
        found = {d.name: d.version for d in self.detectors}
        found.update((x.name, x.version) for x in self.extractors)
        return found


def load_registry(
    context: DetectorContext,
    *,
    only: Sequence[str] | None = None,
    entry_points: bool = True,
    plugins: Sequence[object] = (),
) -> Registry:
    """Collect detectors and extractors from the built-ins, entry points and ``plugins``.

    ``only`` keeps the detectors and extractors with those names (e.g.
    ``["rules", "hashbank"]``); an unknown name is reported as unavailable.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(DetectorSpec)
    pm.register(Builtins(), name="ronda-builtins")
    for plugin in plugins:
        pm.register(plugin)
    if entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    detectors: list[Detector] = []
    extractors: list[Extractor] = []
    unavailable: list[Unavailable] = []
    seen: set[str] = set()
    for produced in pm.hook.ronda_detectors(context=context):
        for d in produced:
            _place(d, detectors, unavailable, seen)
    for produced in pm.hook.ronda_extractors(context=context):
        for x in produced:
            _place(x, extractors, unavailable, seen)
    if only is not None:
        wanted = set(only)
        detectors = [d for d in detectors if d.name in wanted]
        extractors = [x for x in extractors if x.name in wanted]
        unavailable = [u for u in unavailable if u.name in wanted]
        for name in sorted(wanted - seen):
            unavailable.append(Unavailable(name, "no such detector"))
    return Registry(detectors, extractors, unavailable)


def _place(obj: Any, into: list[Any], unavailable: list[Unavailable], seen: set[str]) -> None:
    """Add a detector (names are unique) or note why one cannot run."""
    if isinstance(obj, Unavailable):
        if obj.name not in seen:
            unavailable.append(obj)
            seen.add(obj.name)
            log.info("detector %s unavailable: %s", obj.name, obj.reason)
        return
    if any(x.name == obj.name for x in into):
        raise ValueError(f"two detectors are named {obj.name!r}")
    unavailable[:] = [u for u in unavailable if u.name != obj.name]
    seen.add(obj.name)
    into.append(obj)
