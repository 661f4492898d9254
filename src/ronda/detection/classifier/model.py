"""The classifier at run time: a pickle-free model file and fast batch scoring.

A model is two files side by side:

* ``<name>.npz`` (read with ``allow_pickle=False``): ``weights`` float16 of shape
  (2**bits, k) and ``bias`` float32 of shape (k,), one logistic-regression column per
  category over the hashed features of ``features.py``, and, when the feature spec's
  weighting is ``idf``, ``idf`` float32 of shape (2**bits,);
* ``<name>.json``: version, categories, feature spec, operating thresholds, training summary
  and measured quality.

Only numpy is needed to load and run it. Scores are the logistic regression probabilities;
the thresholds turn them into labels at two operating points: ``review`` (high recall, for a
moderator queue) and ``auto`` (precision >= 0.98 on out-of-fold data; 1.01 means the category
never acts automatically).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ronda.detection.classifier.features import FeatureSpec, score_batch
from ronda.detection.normalize import normalize_batch

__all__ = [
    "CATEGORIES",
    "OPERATING_POINTS",
    "Classifier",
    "load_default_model",
    "load_model",
    "save_model",
]

CATEGORIES = ("terrorism", "gambling", "scam", "hate", "hoax", "porn", "spam")
OPERATING_POINTS = ("review", "auto")
NEVER = 1.01  # a threshold no probability reaches
DEFAULT_NAME = "classifier"
_CHUNK = 4096


class Classifier:
    """Multi-label text classifier over ``categories``; see the module docstring."""

    def __init__(
        self,
        *,
        weights: npt.NDArray[np.float32],
        bias: npt.NDArray[np.float32],
        spec: FeatureSpec,
        categories: Sequence[str],
        thresholds: dict[str, dict[str, float]],
        version: str,
        metadata: dict[str, Any] | None = None,
        idf: npt.NDArray[np.float32] | None = None,
    ) -> None:
        k = len(categories)
        if weights.shape != (spec.n_buckets, k) or bias.shape != (k,):
            raise ValueError(
                f"weights {weights.shape} / bias {bias.shape} do not match "
                f"{spec.n_buckets} buckets x {k} categories"
            )
        if (spec.weighting == "idf") != (idf is not None):
            raise ValueError(f"weighting {spec.weighting!r} and idf vector do not match")
        if idf is not None and idf.shape != (spec.n_buckets,):
            raise ValueError(f"idf {idf.shape} does not match {spec.n_buckets} buckets")
        for op in OPERATING_POINTS:
            missing = set(categories) - set(thresholds.get(op, {}))
            if missing:
                raise ValueError(f"no {op} threshold for {sorted(missing)}")
        # Rows are padded to a power-of-two width: numpy gathers 32-byte rows more than
        # twice as fast as 28-byte ones, and the gather is the hot loop of scoring. With idf
        # weighting, idf is folded into the category columns and idf**2 (the text's norm)
        # takes column k: the 7 categories plus the norm still fit 8 columns.
        used = k + 1 if idf is not None else k
        width = 1 << max(used - 1, 0).bit_length()
        self.weights = np.zeros((spec.n_buckets, width), dtype=np.float32)
        self.weights[:, :k] = weights
        self._norm_column: int | None = None
        if idf is not None:
            self.weights[:, :k] *= idf[:, None]
            self.weights[:, k] = idf * idf
            self._norm_column = k
        self.bias = np.zeros(width, dtype=np.float32)
        self.bias[:k] = bias
        self.spec = spec
        self.categories: tuple[str, ...] = tuple(categories)
        self.thresholds = {op: dict(thresholds[op]) for op in OPERATING_POINTS}
        self.version = version
        self.metadata = metadata or {}
        self._threshold_rows = {
            op: np.array([self.thresholds[op][c] for c in self.categories], dtype=np.float32)
            for op in OPERATING_POINTS
        }

    def __repr__(self) -> str:
        return f"Classifier(version={self.version!r}, categories={self.categories!r})"

    @property
    def nbytes(self) -> int:
        """Memory held by the model arrays (float32, rows padded to a power of two)."""
        return int(self.weights.nbytes + self.bias.nbytes)

    def predict_proba_normalized(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Probabilities (n, k) for texts already passed through ``normalize``."""
        k = len(self.categories)
        out = np.empty((len(texts), k), dtype=np.float32)
        for start in range(0, len(texts), _CHUNK):
            chunk = texts[start : start + _CHUNK]
            scores = score_batch(chunk, self.spec, self.weights, self.bias, self._norm_column)
            scores = scores[:, :k]
            np.clip(scores, -30.0, 30.0, out=scores)
            out[start : start + len(chunk)] = 1.0 / (1.0 + np.exp(-scores))
        return out

    def predict_proba(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Probabilities (n, k), columns in ``categories`` order, for raw texts."""
        out = np.empty((len(texts), len(self.categories)), dtype=np.float32)
        for start in range(0, len(texts), _CHUNK):
            chunk = normalize_batch(texts[start : start + _CHUNK])
            out[start : start + len(chunk)] = self.predict_proba_normalized(chunk)
        return out

    def labels_from_proba(
        self, proba: npt.NDArray[np.float32], op: str = "review"
    ) -> list[list[str]]:
        """Categories at or above the ``op`` threshold, per row of ``proba``."""
        if op not in self._threshold_rows:
            raise ValueError(f"unknown operating point {op!r}; use one of {OPERATING_POINTS}")
        hits = proba >= self._threshold_rows[op]
        cats = self.categories
        return [[cats[j] for j in np.flatnonzero(row)] for row in hits]

    def labels(self, texts: Sequence[str], op: str = "review") -> list[list[str]]:
        """Categories at or above the ``op`` threshold ("review" or "auto"), per text."""
        return self.labels_from_proba(self.predict_proba(texts), op)


def model_paths(path: Path) -> tuple[Path, Path]:
    """(npz, json) for a model given as a directory, an .npz or a .json path."""
    if path.is_dir():
        path = path / f"{DEFAULT_NAME}.npz"
    return path.with_suffix(".npz"), path.with_suffix(".json")


def model_digest(
    weights: npt.NDArray[Any],
    bias: npt.NDArray[Any],
    spec: FeatureSpec,
    thresholds: dict[str, dict[str, float]],
    idf: npt.NDArray[Any] | None = None,
) -> str:
    """SHA-256 over everything that decides the model's output."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(weights).tobytes())
    digest.update(np.ascontiguousarray(bias).tobytes())
    if idf is not None:
        digest.update(np.ascontiguousarray(idf).tobytes())
    digest.update(json.dumps(spec.to_json(), sort_keys=True).encode())
    digest.update(json.dumps(thresholds, sort_keys=True).encode())
    return digest.hexdigest()


def save_model(
    path: Path,
    *,
    weights: npt.NDArray[np.floating[Any]],
    bias: npt.NDArray[np.floating[Any]],
    spec: FeatureSpec,
    categories: Sequence[str],
    thresholds: dict[str, dict[str, float]],
    release: str,
    metadata: dict[str, Any],
    idf: npt.NDArray[np.floating[Any]] | None = None,
) -> str:
    """Write ``<path>.npz`` and ``<path>.json``; return the version string.

    ``release`` is the dated part of the version (e.g. "2026.11.1"); the version appends the
    first 8 hex digits of a digest of the stored weights, feature spec and thresholds, so two
    models that can behave differently never share a version.
    """
    npz_path, json_path = model_paths(path)
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    w16 = np.asarray(weights, dtype=np.float16)
    b32 = np.asarray(bias, dtype=np.float32)
    idf32 = None if idf is None else np.asarray(idf, dtype=np.float32)
    digest = model_digest(w16, b32, spec, thresholds, idf32)
    version = f"clf-{release}-{digest[:8]}"
    if idf32 is None:
        np.savez_compressed(npz_path, weights=w16, bias=b32)
    else:
        np.savez_compressed(npz_path, weights=w16, bias=b32, idf=idf32)
    meta = {
        "format": "ronda-classifier/1",
        "version": version,
        "categories": list(categories),
        "features": spec.to_json(),
        "normalizer": "ronda.detection.normalize",
        "thresholds": thresholds,
        **metadata,
    }
    json_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return version


def load_model(path: Path | str) -> Classifier:
    """Load a model from a directory (``classifier.npz``/``.json``) or either file's path."""
    npz_path, json_path = model_paths(Path(path))
    meta = json.loads(json_path.read_text(encoding="utf-8"))
    with np.load(npz_path, allow_pickle=False) as data:
        weights = data["weights"].astype(np.float32)
        bias = data["bias"].astype(np.float32)
        idf = data["idf"].astype(np.float32) if "idf" in data.files else None
    return Classifier(
        weights=weights,
        bias=bias,
        spec=FeatureSpec.from_json(meta["features"]),
        categories=meta["categories"],
        thresholds={
            op: {k: float(v) for k, v in meta["thresholds"][op].items()} for op in OPERATING_POINTS
        },
        version=str(meta["version"]),
        metadata=meta,
        idf=idf,
    )


def default_model_dir() -> Path:
    return Path(str(resources.files("ronda.detection").joinpath("model")))


@lru_cache(maxsize=1)
def load_default_model() -> Classifier:
    """The model shipped in ``ronda/detection/model`` (loaded once per process)."""
    return load_model(default_model_dir())
