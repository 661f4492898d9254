"""Metrics and operating-point selection, shared by training and ``ronda model eval``.

Everything here is plain numpy so that ``ronda model eval`` runs without scikit-learn.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ronda.detection.classifier.model import NEVER, Classifier

__all__ = [
    "binary_metrics",
    "evaluate_csv",
    "macro_f1",
    "threshold_at_precision",
    "threshold_at_recall",
    "threshold_best_f1",
    "threshold_best_macro_f1",
    "threshold_for_rate",
]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.floating[Any]]


def binary_metrics(y_true: BoolArray, y_pred: BoolArray) -> dict[str, float | int]:
    """Precision, recall, F1, support and the confusion counts for one category."""
    tp = int(np.sum(y_true & y_pred))
    fp = int(np.sum(~y_true & y_pred))
    fn = int(np.sum(y_true & ~y_pred))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "support": int(np.sum(y_true)),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "n": int(y_true.shape[0]),
    }


def macro_f1(y_true: BoolArray, y_pred: BoolArray) -> float:
    """Mean of the F1 of the positive and of the negative class (as scikit-learn's macro)."""
    pos = float(binary_metrics(y_true, y_pred)["f1"])
    neg = float(binary_metrics(~y_true, ~y_pred)["f1"])
    return round((pos + neg) / 2, 4)


def threshold_at_recall(scores: FloatArray, y: BoolArray, recall: float) -> float:
    """Highest threshold whose recall is at least ``recall``."""
    pos = np.sort(scores[y])[::-1]
    if pos.size == 0:
        return NEVER
    rank = max(int(np.ceil(recall * pos.size)) - 1, 0)
    return float(pos[rank])


def _sorted_curve(scores: FloatArray, y: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct thresholds (descending) with true and false positives at each."""
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    tp = np.cumsum(y[order])
    fp = np.cumsum(~y[order])
    last = np.r_[s[1:] != s[:-1], True]  # last index of each run of equal scores
    return s[last], tp[last].astype(np.float64), fp[last].astype(np.float64)


def threshold_best_f1(scores: FloatArray, y: BoolArray) -> float:
    """Threshold with the highest F1 (ties: the higher threshold)."""
    if not y.any():
        return NEVER
    thr, tp, fp = _sorted_curve(scores, y)
    f1 = 2 * tp / (tp + fp + y.sum())
    return float(thr[int(np.argmax(f1))])


def threshold_best_macro_f1(scores: FloatArray, y: BoolArray) -> float:
    """Threshold with the highest macro-F1 (mean F1 of both classes; ties: the higher one).

    Used only to report a dataset's own operating point (chosen on other folds), never for
    the shipped thresholds.
    """
    if not y.any() or y.all():
        return NEVER
    thr, tp, fp = _sorted_curve(scores, y)
    pos, neg = float(y.sum()), float((~y).sum())
    tn, fn = neg - fp, pos - tp
    f1_pos = 2 * tp / (2 * tp + fp + fn)
    f1_neg = 2 * tn / np.maximum(2 * tn + fn + fp, 1.0)
    return float(thr[int(np.argmax(f1_pos + f1_neg))])


def threshold_at_precision(
    scores: FloatArray, y: BoolArray, precision: float, min_hits: int = 30
) -> float:
    """Lowest threshold at which precision is >= ``precision`` at it and every higher one.

    Precision over fewer than ``min_hits`` flagged rows is too noisy to judge (one
    mislabelled row at the very top would veto everything), so the check starts once
    ``min_hits`` rows are flagged; if the target is never met, ``NEVER`` is returned.
    """
    if not y.any():
        return NEVER
    thr, tp, fp = _sorted_curve(scores, y)
    prec = tp / (tp + fp)
    start = int(np.searchsorted(tp + fp, min_hits))  # first point flagging >= min_hits
    if start >= thr.shape[0] or prec[start] < precision:
        return NEVER
    bad = np.flatnonzero(prec[start:] < precision)
    end = start + int(bad[0]) if bad.size else thr.shape[0]
    return float(thr[end - 1])


def threshold_for_rate(scores: FloatArray, rate: float) -> float:
    """Lowest threshold that flags at most ``rate`` of ``scores`` (for a negative set)."""
    if scores.size == 0:
        return 0.0
    allowed = int(np.floor(rate * scores.size))
    ordered = np.sort(scores)[::-1]
    if allowed >= ordered.size:
        return 0.0
    # Flag strictly above the (allowed+1)-th highest score.
    return float(np.nextafter(np.float32(ordered[allowed]), np.float32(2.0)))


def parse_mapping(pairs: Iterable[str], categories: Sequence[str]) -> dict[str, str | None]:
    """``["1=gambling", "2=none"]`` -> {"1": "gambling", "2": None}."""
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        value, sep, target = pair.partition("=")
        target = target.strip().lower()
        if not sep or not value.strip():
            raise ValueError(f"--map expects VALUE=CATEGORY, got {pair!r}")
        if target != "none" and target not in categories:
            raise ValueError(f"unknown category {target!r} in --map {pair!r}")
        mapping[value.strip()] = None if target == "none" else target
    return mapping


def evaluate_texts(
    clf: Classifier,
    texts: Sequence[str],
    values: Sequence[str],
    mapping: Mapping[str, str | None],
    threshold: str | float = "review",
) -> dict[str, Any]:
    """Per-category metrics of ``clf`` on texts whose label ``values`` map to categories.

    A value missing from ``mapping`` (or mapped to none) makes the row a negative for every
    category. ``threshold`` is an operating point name or a probability. Per category the
    report holds precision, recall and F1 of the positive class, ``macro_f1`` (mean F1 of
    both classes, the measure of the data README's baselines), support and confusion counts.
    """
    proba = clf.predict_proba(texts)
    if isinstance(threshold, str):
        if threshold not in clf.thresholds:
            raise ValueError(f"unknown operating point {threshold!r}")
        cuts = np.array([clf.thresholds[threshold][c] for c in clf.categories])
    else:
        cuts = np.full(len(clf.categories), float(threshold))
    predicted = proba >= cuts
    truth = [mapping.get(v.strip()) for v in values]
    report: dict[str, Any] = {}
    for j, cat in enumerate(clf.categories):
        y = np.array([t == cat for t in truth], dtype=np.bool_)
        metrics: dict[str, Any] = dict(binary_metrics(y, predicted[:, j]))
        # The mean F1 of the positive and negative class: what the data README's reference
        # baselines report, so a file of one dataset compares like with like.
        metrics["macro_f1"] = macro_f1(y, predicted[:, j])
        metrics["threshold"] = round(float(cuts[j]), 4)
        report[cat] = metrics
    mapped = {t for t in truth if t}
    return {
        "model": clf.version,
        "threshold": threshold,
        "rows": len(texts),
        "mapped_categories": sorted(mapped),
        "categories": report,
        "any_label_rate": round(float(predicted.any(axis=1).mean()) if len(texts) else 0.0, 4),
    }


@contextlib.contextmanager
def wide_csv_fields() -> Iterator[None]:
    """Let the csv module read fields of up to 1 GiB, and put the old limit back after.

    The limit is process-wide; the intake code relies on the default one to refuse
    spreadsheets with giant cells, so it must not stay raised after the datasets are read.
    """
    old = csv.field_size_limit(1 << 30)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def read_labelled_csv(
    path: Path, text_column: str, label_column: str
) -> tuple[list[str], list[str]]:
    """Texts and label values from a CSV with a header (UTF-8, falling back to Latin-1)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raw = path.read_text(encoding="latin-1")
    texts: list[str] = []
    values: list[str] = []
    with wide_csv_fields():
        reader = csv.DictReader(raw.splitlines(keepends=True))
        fields = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in fields:
                raise ValueError(f"column {column!r} not in {path.name} (columns: {fields})")
        for row in reader:
            texts.append(row[text_column] or "")
            values.append(row[label_column] or "")
    return texts, values


def evaluate_csv(
    clf: Classifier,
    path: Path,
    *,
    text_column: str,
    label_column: str,
    mapping: Mapping[str, str | None],
    threshold: str | float = "review",
) -> dict[str, Any]:
    """``evaluate_texts`` over a CSV file."""
    texts, values = read_labelled_csv(path, text_column, label_column)
    report = evaluate_texts(clf, texts, values, mapping, threshold)
    report["data"] = str(path)
    return report
