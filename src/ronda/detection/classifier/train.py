"""Train the classifier: cross-validation, operating points, export.

This module needs scikit-learn and scipy (development dependencies); the runtime model it
writes needs only numpy. The steps:

1. Read the corpus (``data.py``), normalise every text, merge exact duplicates of the
   normalised text (their labels are combined, a positive wins) and group near-duplicates
   (same letters once digits, spaces and punctuation are dropped) so that no group is split
   across folds. A random half of the rows (``spaced_share``) is added again with some words
   spelled out letter by letter (``add_spaced_copies``): the normaliser rejoins "s l o t" but
   two spelled-out neighbours merge into one word, and the copies teach the model those merged
   n-grams. Copies share their original's group and are trained on only: thresholds and the
   quality report use the original rows.
2. Build the hashed feature matrix once (``features.sparse_rows``: the same code the runtime
   uses).
3. For each category, a logistic regression trained by averaged SGD (``SGDClassifier``,
   log loss, L2), on features scaled per category by the magnitude of their smoothed
   log-count ratio between the two classes (``nb_scale``, the "NB features" of Wang and
   Manning, 2012): a bucket that separates the classes costs less L2 penalty than one that
   does not. The scale is multiplied back into the weights, so the exported model is the same
   plain linear model and scoring costs nothing more. Rows whose label is unknown for the
   category are left out. Sample weights:
   inside the category's *home* sources (those that annotate it) the two classes are
   balanced; other rows weigh 1; when the home sources are small (the written examples),
   their weight is raised to a minimum share of the total.
4. Stratified group k-fold cross-validation gives out-of-fold probabilities for every row;
   operating thresholds are chosen on them (``choose_thresholds``) and the quality report is
   computed from them with thresholds chosen on the *other* folds (cross-fitted), so the
   reported operating-point figures are not tuned on the rows they are measured on.
5. A final fit on all rows; weights are exported as float16 (``model.save_model``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ronda.detection.classifier.data import EVERYDAY_SOURCES, Corpus, load_corpus
from ronda.detection.classifier.evaluate import (
    threshold_at_precision,
    threshold_at_recall,
    threshold_best_f1,
    threshold_for_rate,
)
from ronda.detection.classifier.features import FeatureSpec, idf_from_counts, sparse_rows
from ronda.detection.classifier.model import CATEGORIES, NEVER, save_model
from ronda.detection.normalize import normalize_batch

__all__ = [
    "Prepared",
    "TrainConfig",
    "choose_thresholds",
    "count_matrix",
    "feature_matrix",
    "prepare",
    "train",
    "weighted_matrix",
]

Progress = Callable[[str, int, int], None]

# Sources that annotate each category (their classes are balanced against each other).
HOME_SOURCES: dict[str, tuple[str, ...]] = {
    "terrorism": ("written:terrorism",),
    "gambling": ("judol",),
    "scam": ("sms-spam", "written:scam"),
    "hate": ("hatespeech", "netifier"),
    "hoax": ("hoax", "written:hoax"),
    "porn": ("netifier", "written:porn"),
    "spam": ("sms-spam", "written:spam"),
}


@dataclass
class TrainConfig:
    spec: FeatureSpec = field(default_factory=lambda: FeatureSpec(weighting="idf"))
    folds: int = 5
    epochs: int = 15
    alpha: dict[str, float] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 1e-6))
    min_home_share: float = 0.1
    # idf ** 0.5: full idf gained ranking but lost 3.1 points of hate recall on spaced-out
    # letters (rare whole-word n-grams dominated); the square root keeps most character mass
    idf_power: float = 0.5
    # share of the rows that also train as a copy with some words' letters spaced out
    # ("s l o t"); the normaliser rejoins one spaced word but not two spaced neighbours
    spaced_share: float = 0.5
    spaced_words: float = 0.5  # chance that a word of a copy is spelled out
    # smoothing of the log-count-ratio feature scale per category (None: no scaling); spam
    # lost recall on the written rows with it, so it keeps plain features
    nb_alpha: dict[str, float | None] = field(
        default_factory=lambda: {c: (None if c == "spam" else 0.1) for c in CATEGORIES}
    )
    review_recall: float = 0.90
    auto_precision: float = 0.98
    # share of everyday texts each category may flag at the review threshold
    everyday_cap: dict[str, float] = field(
        default_factory=lambda: {
            "terrorism": 0.001, "gambling": 0.0005, "scam": 0.001, "hate": 0.0025,
            "hoax": 0.0015, "porn": 0.0005, "spam": 0.001,
        }
    )  # fmt: skip
    seed: int = 0
    release: str = ""

    def release_tag(self) -> str:
        if self.release:
            return self.release
        today = dt.date.today()
        return f"{today.year}.{today.month}.1"


@dataclass
class Prepared:
    """Deduplicated, normalised corpus ready for feature extraction."""

    texts: list[str]
    labels: npt.NDArray[np.int8]
    sources: npt.NDArray[np.str_]
    groups: npt.NDArray[np.int64]
    raw_rows: int
    # True for the spaced-out training copies (``add_spaced_copies``): they are trained on,
    # never scored in the quality report nor used to choose thresholds
    copies: npt.NDArray[np.bool_] | None = None

    def originals(self) -> Prepared:
        """The rows that are not spaced-out copies, in order."""
        if self.copies is None:
            return self
        keep = np.flatnonzero(~self.copies)
        return Prepared(
            texts=[self.texts[i] for i in keep],
            labels=self.labels[keep],
            sources=self.sources[keep],
            groups=self.groups[keep],
            raw_rows=self.raw_rows,
        )


_GROUP_DROP = re.compile(r"[^a-z]+")
_MAX_ROW_WEIGHT = 2.0


def prepare(corpus: Corpus) -> Prepared:
    normalised = normalize_batch(corpus.texts)
    first: dict[str, int] = {}
    keep: list[int] = []
    labels = corpus.labels.copy()
    for i, text in enumerate(normalised):
        j = first.get(text)
        if j is None:
            first[text] = i
            keep.append(i)
        else:
            # combine: 1 beats 0 beats -1
            labels[j] = np.maximum(labels[j], labels[i])
    idx = np.array(keep, dtype=np.int64)
    texts = [normalised[i] for i in keep]
    group_ids: dict[str, int] = {}
    groups = np.array(
        [group_ids.setdefault(_GROUP_DROP.sub("", t), len(group_ids)) for t in texts],
        dtype=np.int64,
    )
    return Prepared(
        texts=texts,
        labels=labels[idx],
        sources=np.array(corpus.sources, dtype=np.str_)[idx],
        groups=groups,
        raw_rows=len(corpus),
    )


_SPACE_MIN_LETTERS = 3


def space_out(text: str, rng: np.random.Generator, p: float = 0.5) -> str:
    """``text`` with each word of 3+ letters spelled out ("s l o t") with probability ``p``."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) >= _SPACE_MIN_LETTERS and word.isalpha() and rng.random() < p:
            words[i] = " ".join(word)
    return " ".join(words)


def add_spaced_copies(data: Prepared, share: float, seed: int = 0, words: float = 0.5) -> Prepared:
    """``data`` plus a spaced-out, re-normalised copy of a random ``share`` of its rows.

    A copy keeps its original's labels, source and near-duplicate group (so both always fall
    in the same fold) and is flagged in ``copies``. Copies whose normalised text did not change
    are dropped.
    """
    rng = np.random.default_rng(seed)
    picked = np.flatnonzero(rng.random(len(data.texts)) < share)
    spaced = normalize_batch([space_out(data.texts[i], rng, words) for i in picked])
    kept = [(i, t) for i, t in zip(picked.tolist(), spaced, strict=True) if t != data.texts[i]]
    idx = np.array([i for i, _ in kept], dtype=np.int64)
    n = len(data.texts)
    return Prepared(
        texts=data.texts + [t for _, t in kept],
        labels=np.concatenate([data.labels, data.labels[idx]]),
        sources=np.concatenate([data.sources, data.sources[idx]]),
        groups=np.concatenate([data.groups, data.groups[idx]]),
        raw_rows=data.raw_rows,
        copies=np.arange(n + len(kept)) >= n,
    )


def count_matrix(texts: Sequence[str], spec: FeatureSpec) -> Any:
    """CSR matrix of how often each bucket occurs in each text (float64 counts)."""
    from scipy import sparse

    rows, cols, _ = sparse_rows(texts, dataclasses.replace(spec, weighting="count"))
    ones = np.ones(rows.shape[0], dtype=np.float64)
    matrix = sparse.csr_matrix((ones, (rows, cols)), shape=(len(texts), spec.n_buckets))
    matrix.sum_duplicates()
    return matrix


def fit_idf(
    counts: Any, rows: npt.NDArray[np.int64], power: float = 1.0
) -> npt.NDArray[np.float32]:
    """The idf vector from the texts ``rows`` of a count matrix (document frequencies)."""
    sub = counts[rows]
    df = np.bincount(sub.indices, minlength=counts.shape[1])
    return idf_from_counts(df, sub.shape[0], power)


def weighted_matrix(
    counts: Any, spec: FeatureSpec, idf: npt.NDArray[np.float32] | None = None
) -> Any:
    """The model's feature matrix from a count matrix; the same values as ``sparse_rows``."""
    from scipy import sparse

    if spec.weighting == "idf":
        if idf is None:
            raise ValueError("the idf weighting needs the idf vector")
        w = idf.astype(np.float64)
        sq = counts @ (w * w)
        scaled = counts @ sparse.diags(w)
    else:
        sq = np.asarray(counts.sum(axis=1)).ravel()
        scaled = counts
    inv = 1.0 / np.sqrt(np.maximum(sq, 1e-12))
    return sparse.csr_matrix(sparse.diags(inv) @ scaled, dtype=np.float32)


def feature_matrix(
    texts: Sequence[str], spec: FeatureSpec, idf: npt.NDArray[np.float32] | None = None
) -> Any:
    """Feature matrix of ``texts`` (CSR, float32); ``idf`` for the idf weighting."""
    return weighted_matrix(count_matrix(texts, spec), spec, idf)


def sample_weights(
    y: npt.NDArray[np.int8], sources: npt.NDArray[np.str_], home: Sequence[str], share: float
) -> npt.NDArray[np.float64]:
    """Weights for the known rows of one category (see the module docstring).

    Each home source is balanced on its own (both classes weigh half of its rows) and, if
    it is small, scaled up to ``share`` of the weight of the non-home rows, so that a few
    hundred written examples are not drowned by tens of thousands of other rows.
    """
    weights = np.ones(y.shape[0], dtype=np.float64)
    in_home = np.isin(sources, list(home))
    other_total = float((~in_home).sum())
    for source in home:
        rows = sources == source
        if not rows.any():
            continue
        for cls in (0, 1):
            mask = rows & (y == cls)
            if mask.any():
                weights[mask] = rows.sum() / (2.0 * mask.sum())
        total = weights[rows].sum()
        if total < share * other_total:
            weights[rows] *= share * other_total / total
    return weights


def nb_scale(
    x: Any, y: npt.NDArray[np.int8], w: npt.NDArray[np.float64], smoothing: float
) -> npt.NDArray[np.float64]:
    """Per-bucket |log-count ratio| between the positive and negative rows of ``x``.

    ``p`` and ``q`` are the weighted feature sums of each class plus ``smoothing``, each
    divided by its total; the scale of a bucket is ``|log(p / q)|``. Buckets that occur in
    only one class get a large scale, buckets equally common in both a scale near 0.
    """
    if smoothing <= 0:
        raise ValueError("nb smoothing must be positive")
    pos = np.asarray(x.T @ np.where(y == 1, w, 0.0), dtype=np.float64).ravel() + smoothing
    neg = np.asarray(x.T @ np.where(y == 0, w, 0.0), dtype=np.float64).ravel() + smoothing
    return np.asarray(np.abs(np.log((pos / pos.sum()) / (neg / neg.sum()))))


def fit_category(
    x: Any,
    y: npt.NDArray[np.int8],
    w: npt.NDArray[np.float64],
    alpha: float,
    cfg: TrainConfig,
    nb_alpha: float | None = None,
) -> tuple[npt.NDArray[np.float64], float]:
    """Weights (buckets,) and bias of one category's logistic regression on ``x``.

    With ``nb_alpha`` the features are scaled by ``nb_scale`` for the fit and the scale is
    folded back into the returned weights, so ``x @ weights + bias`` scores unscaled rows.
    """
    from scipy import sparse
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    clf = SGDClassifier(
        loss="log_loss",
        penalty="l2",
        alpha=alpha,
        average=True,
        max_iter=cfg.epochs,
        tol=None,
        random_state=cfg.seed,
    )
    scale = nb_scale(x, y, w, nb_alpha) if nb_alpha is not None else None
    if scale is not None:
        x = x @ sparse.diags(scale.astype(np.float32))
    # SGD takes a step proportional to a row's weight; heavy rows make it unstable, so a
    # row weighing more than _MAX_ROW_WEIGHT is repeated instead (same total weight).
    reps = np.maximum(np.ceil(w / _MAX_ROW_WEIGHT), 1).astype(np.int64)
    idx = np.repeat(np.arange(y.shape[0]), reps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x[idx], y[idx], sample_weight=np.repeat(w / reps, reps))
    coef = np.asarray(clf.coef_[0], dtype=np.float64)
    if scale is not None:
        coef = coef * scale
    return coef, float(clf.intercept_[0])


def _sigmoid(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))


def fit_all(
    x: Any,
    data: Prepared,
    rows: npt.NDArray[np.int64],
    cfg: TrainConfig,
    progress: Progress | None = None,
    step: str = "fit",
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """One model per category on ``rows``; returns weights (buckets, k) and bias (k,)."""
    k = len(CATEGORIES)
    weights = np.zeros((cfg.spec.n_buckets, k), dtype=np.float64)
    bias = np.zeros(k, dtype=np.float64)
    for j, cat in enumerate(CATEGORIES):
        y = data.labels[rows, j]
        known = rows[y >= 0]
        yk = data.labels[known, j]
        if yk.min(initial=1) == yk.max(initial=0):  # one class only: cannot learn
            bias[j] = -30.0
        else:
            w = sample_weights(yk, data.sources[known], HOME_SOURCES[cat], cfg.min_home_share)
            weights[:, j], bias[j] = fit_category(
                x[known], yk, w, cfg.alpha[cat], cfg, cfg.nb_alpha[cat]
            )
        if progress:
            progress(step, j + 1, k)
    return weights, bias


def folds_for(data: Prepared, cfg: TrainConfig) -> list[tuple[npt.NDArray[np.int64], ...]]:
    from sklearn.model_selection import StratifiedGroupKFold

    positive = (data.labels == 1).any(axis=1)
    strata = np.char.add(data.sources, np.where(positive, "+", "-"))
    splitter = StratifiedGroupKFold(n_splits=cfg.folds, shuffle=True, random_state=cfg.seed)
    dummy = np.zeros(len(data.texts))
    return [(tr, te) for tr, te in splitter.split(dummy, strata, data.groups)]


def fold_matrix(
    counts: Any, rows: npt.NDArray[np.int64], cfg: TrainConfig
) -> tuple[Any, npt.NDArray[np.float32] | None]:
    """Feature matrix of every row with the idf (if any) learnt from ``rows`` only."""
    idf = fit_idf(counts, rows, cfg.idf_power) if cfg.spec.weighting == "idf" else None
    return weighted_matrix(counts, cfg.spec, idf), idf


def cross_validate(
    counts: Any, data: Prepared, cfg: TrainConfig, progress: Progress | None = None
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """Out-of-fold probabilities (n, k) and the fold index of every row.

    ``counts`` is the count matrix (``count_matrix``); each fold weights it with an idf
    learnt from its own training rows, so no statistic of the held-out fold leaks in.
    """
    n = len(data.texts)
    oof = np.zeros((n, len(CATEGORIES)), dtype=np.float32)
    fold_of = np.zeros(n, dtype=np.int64)
    for f, (train_rows, test_rows) in enumerate(folds_for(data, cfg)):
        x, _ = fold_matrix(counts, train_rows, cfg)
        weights, bias = fit_all(x, data, train_rows, cfg, progress, step=f"fold {f + 1}")
        oof[test_rows] = _sigmoid(x[test_rows] @ weights + bias)
        fold_of[test_rows] = f
    return oof, fold_of


def choose_thresholds(
    oof: npt.NDArray[np.float32],
    labels: npt.NDArray[np.int8],
    sources: npt.NDArray[np.str_],
    cfg: TrainConfig,
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Review and auto thresholds per category, plus the candidates they came from.

    review = min(threshold reaching ``review_recall``, best-F1 threshold), raised if needed
    so that the category flags at most ``everyday_cap`` of everyday texts; auto = lowest
    threshold with precision >= ``auto_precision`` at and above it (NEVER if none), never
    below review.
    """
    everyday = np.isin(sources, EVERYDAY_SOURCES)
    review: dict[str, float] = {}
    auto: dict[str, float] = {}
    detail: dict[str, dict[str, float]] = {}
    for j, cat in enumerate(CATEGORIES):
        known = labels[:, j] >= 0
        s = oof[known, j]
        y = labels[known, j] == 1
        t_recall = threshold_at_recall(s, y, cfg.review_recall)
        t_f1 = threshold_best_f1(s, y)
        t_cap = threshold_for_rate(oof[everyday & known, j], cfg.everyday_cap[cat])
        t_review = min(max(min(t_recall, t_f1), t_cap), NEVER)
        t_auto = threshold_at_precision(s, y, cfg.auto_precision)
        if t_auto < NEVER:
            t_auto = max(t_auto, t_review)
        review[cat] = round(float(t_review), 6)
        auto[cat] = round(float(t_auto), 6)
        detail[cat] = {
            "recall_target": round(float(t_recall), 6),
            "best_f1": round(float(t_f1), 6),
            "everyday_cap": round(float(t_cap), 6),
        }
    return {"review": review, "auto": auto}, detail


def train(
    data_dir: Path,
    out: Path,
    cfg: TrainConfig,
    *,
    written: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train, cross-validate and write a model to ``out``; returns the metadata written."""
    from ronda.detection.classifier.report import corpus_summary, cv_report

    corpus = load_corpus(data_dir, written)
    data = add_spaced_copies(prepare(corpus), cfg.spaced_share, cfg.seed, cfg.spaced_words)
    if progress:
        progress("features", 0, 1)
    counts = count_matrix(data.texts, cfg.spec)
    if progress:
        progress("features", 1, 1)
    oof, fold_of = cross_validate(counts, data, cfg, progress)
    # thresholds and the report come from the original rows only
    assert data.copies is not None
    scored = ~data.copies
    originals = data.originals()
    oof, fold_of = oof[scored], fold_of[scored]
    thresholds, detail = choose_thresholds(oof, originals.labels, originals.sources, cfg)
    report = cv_report(oof, fold_of, originals, cfg, thresholds)
    everything = np.arange(len(data.texts))
    x, idf = fold_matrix(counts, everything, cfg)
    del counts
    weights, bias = fit_all(x, data, everything, cfg, progress, step="final")
    metadata = {
        "trained": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training": {
            "algorithm": "logistic regression per category, averaged SGD (scikit-learn "
            "SGDClassifier log_loss, L2), hashed features scaled per category by their "
            "log-count ratio (nb_alpha)",
            "weighting": cfg.spec.weighting,
            "idf_power": cfg.idf_power if cfg.spec.weighting == "idf" else None,
            "nb_alpha": cfg.nb_alpha,
            "spaced_share": cfg.spaced_share,
            "spaced_words": cfg.spaced_words,
            "spaced_copies": int(data.copies.sum()),
            "alpha": cfg.alpha,
            "epochs": cfg.epochs,
            "folds": cfg.folds,
            "min_home_share": cfg.min_home_share,
            "home_sources": {k: list(v) for k, v in HOME_SOURCES.items()},
            "operating_points": {
                "review_recall": cfg.review_recall,
                "auto_precision": cfg.auto_precision,
                "everyday_cap": cfg.everyday_cap,
            },
            "threshold_candidates": detail,
            "corpus": corpus_summary(corpus, originals),
        },
        "quality": report,
    }
    version = save_model(
        out,
        weights=weights,
        bias=bias,
        spec=cfg.spec,
        categories=CATEGORIES,
        thresholds=thresholds,
        release=cfg.release_tag(),
        metadata=metadata,
        idf=idf,
    )
    metadata["version"] = version
    metadata["thresholds"] = thresholds
    return metadata
