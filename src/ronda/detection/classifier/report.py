"""Cross-validation report: the figures that go into the model card.

All figures come from out-of-fold probabilities. Operating-point figures use thresholds
chosen on the other folds only ("cross-fitted"), so they are honest estimates of what the
shipped thresholds do on unseen rows. Like-with-like comparisons with the reference baselines
of the shared data README are computed on each dataset's own rows.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ronda.detection.classifier.data import EVERYDAY_SOURCES, Corpus
from ronda.detection.classifier.evaluate import binary_metrics, macro_f1, threshold_best_macro_f1
from ronda.detection.classifier.model import CATEGORIES

if TYPE_CHECKING:
    from ronda.detection.classifier.train import Prepared, TrainConfig

__all__ = ["corpus_summary", "cv_report"]

_J = {c: i for i, c in enumerate(CATEGORIES)}

# (name, category, source, baseline, what the baseline measured)
LIKE_WITH_LIKE = [
    ("gambling_judol", "gambling", "judol", 0.984, "judol label, macro-F1 (deduplicated)"),
    ("hate_hs", "hate", "hatespeech", 0.866, "Ibrohim 2019 HS, macro-F1"),
    ("hate_sara_netifier", "hate", "netifier", 0.814, "netifier sara, macro-F1"),
    ("porn_netifier", "porn", "netifier", 0.903, "netifier pornografi, macro-F1"),
    ("hoax_dataset", "hoax", "hoax", 0.704, "hoax label, macro-F1"),
]


def corpus_summary(corpus: Corpus, data: Prepared) -> dict[str, Any]:
    per_source: dict[str, dict[str, Any]] = {}
    for source in sorted(set(data.sources.tolist())):
        mask = data.sources == source
        labels = data.labels[mask]
        per_source[source] = {
            "rows": int(mask.sum()),
            "positives": {
                c: int((labels[:, j] == 1).sum())
                for j, c in enumerate(CATEGORIES)
                if (labels[:, j] == 1).any()
            },
            "unknown": {
                c: int((labels[:, j] == -1).sum())
                for j, c in enumerate(CATEGORIES)
                if (labels[:, j] == -1).any()
            },
        }
    written = np.char.startswith(data.sources, "written:")
    share = {}
    for j, cat in enumerate(CATEGORIES):
        pos = data.labels[:, j] == 1
        share[cat] = {
            "positives": int(pos.sum()),
            "written_positives": int((pos & written).sum()),
            "written_share": round(float((pos & written).sum() / max(int(pos.sum()), 1)), 4),
            "written_hard_negatives": int(
                ((data.labels[:, j] == 0) & (data.sources == f"written:{cat}")).sum()
            ),
        }
    return {
        "rows_read": data.raw_rows,
        "rows_after_dedup": len(data.texts),
        "near_duplicate_groups": int(np.unique(data.groups).shape[0]),
        "raw_rows_per_source": dict(sorted(Counter(corpus.sources).items())),
        "per_source": per_source,
        "per_category": share,
    }


def _cross_fitted(
    oof: npt.NDArray[np.float32],
    fold_of: npt.NDArray[np.int64],
    data: Prepared,
    cfg: TrainConfig,
) -> dict[str, npt.NDArray[np.bool_]]:
    from ronda.detection.classifier.train import choose_thresholds

    out = {op: np.zeros(oof.shape, dtype=np.bool_) for op in ("review", "auto")}
    for f in np.unique(fold_of):
        rest = fold_of != f
        thresholds, _ = choose_thresholds(oof[rest], data.labels[rest], data.sources[rest], cfg)
        here = fold_of == f
        for op, table in thresholds.items():
            cuts = np.array([table[c] for c in CATEGORIES], dtype=np.float32)
            out[op][here] = oof[here] >= cuts
    return out


def _dataset_operating_point(
    scores: npt.NDArray[np.float32], y: npt.NDArray[np.bool_], folds: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], list[float]]:
    """Predictions at a dataset's own operating point, cross-fitted.

    For each fold, the threshold with the best macro-F1 on *this dataset's* rows of the other
    folds is applied to its rows of that fold. It measures what the model does on that
    dataset's distribution (e.g. hoax, where most rows are positive) when the operator picks a
    threshold for it; it is not the shipped review threshold, which is capped by everyday
    false positives.
    """
    pred = np.zeros(y.shape[0], dtype=np.bool_)
    cuts: list[float] = []
    for f in np.unique(folds):
        rest = folds != f
        cut = threshold_best_macro_f1(scores[rest], y[rest])
        pred[folds == f] = scores[folds == f] >= cut
        cuts.append(round(cut, 4))
    return pred, cuts


def _sms_three_class(
    scores: npt.NDArray[np.float32], cut_scam: float, cut_spam: float, truth: npt.NDArray[np.int64]
) -> float:
    """Macro-F1 of normal/fraud/promo derived from the scam and spam scores."""
    r_scam, r_spam = scores[:, 0] / cut_scam, scores[:, 1] / cut_spam
    pred = np.where((r_scam >= 1) & (r_scam >= r_spam), 1, np.where(r_spam >= 1, 2, 0))
    f1s = [float(binary_metrics(truth == c, pred == c)["f1"]) for c in (0, 1, 2)]
    return round(sum(f1s) / 3, 4)


def cv_report(
    oof: npt.NDArray[np.float32],
    fold_of: npt.NDArray[np.int64],
    data: Prepared,
    cfg: TrainConfig,
    thresholds: dict[str, dict[str, float]],
) -> dict[str, Any]:
    labels, sources = data.labels, data.sources
    crossed = _cross_fitted(oof, fold_of, data, cfg)
    report: dict[str, Any] = {"method": f"{cfg.folds}-fold stratified group CV, out-of-fold"}

    per_category: dict[str, Any] = {}
    for j, cat in enumerate(CATEGORIES):
        known = labels[:, j] >= 0
        y = labels[known, j] == 1
        per_category[cat] = {
            op: binary_metrics(y, crossed[op][known, j]) for op in ("review", "auto")
        }
        per_category[cat]["at_0.5"] = binary_metrics(y, oof[known, j] >= 0.5)
    report["per_category_all_sources"] = per_category

    like: dict[str, Any] = {}
    for name, cat, source, baseline, measured in LIKE_WITH_LIKE:
        j = _J[cat]
        rows = (sources == source) & (labels[:, j] >= 0)
        y = labels[rows, j] == 1
        entry: dict[str, Any] = {
            "baseline": baseline,
            "baseline_measures": measured,
            "rows": int(rows.sum()),
            "positives": int(y.sum()),
        }
        own, cuts = _dataset_operating_point(oof[rows, j], y, fold_of[rows])
        for tag, pred in (
            ("at_0.5", oof[rows, j] >= 0.5),
            ("review", crossed["review"][rows, j]),
            ("dataset_operating_point", own),
        ):
            m = binary_metrics(y, pred)
            entry[tag] = {
                "f1": m["f1"],
                "macro_f1": macro_f1(y, pred),
                "precision": m["precision"],
                "recall": m["recall"],
            }
        entry["dataset_operating_point"]["thresholds_per_fold"] = cuts
        like[name] = entry
    sms = sources == "sms-spam"
    truth = np.where(labels[sms, _J["scam"]] == 1, 1, np.where(labels[sms, _J["spam"]] == 1, 2, 0))
    pair = oof[sms][:, [_J["scam"], _J["spam"]]]
    like["sms_3class"] = {
        "baseline": 0.923,
        "baseline_measures": "sms-spam-id 3-class, macro-F1",
        "rows": int(sms.sum()),
        "at_0.5": {"macro_f1": _sms_three_class(pair, 0.5, 0.5, truth)},
        "review": {
            "macro_f1": _sms_three_class(
                pair, thresholds["review"]["scam"], thresholds["review"]["spam"], truth
            )
        },
    }
    report["like_with_like"] = like

    written: dict[str, Any] = {}
    for j, cat in enumerate(CATEGORIES):
        rows = sources == f"written:{cat}"
        if not rows.any():
            continue
        y = labels[rows, j] == 1
        written[cat] = {op: binary_metrics(y, crossed[op][rows, j]) for op in ("review", "auto")}
        written[cat]["hard_negative_flag_rate_review"] = round(
            float(crossed["review"][rows, j][~y].mean()) if (~y).any() else 0.0, 4
        )
    report["written"] = written

    everyday = np.isin(sources, EVERYDAY_SOURCES)
    ev: dict[str, Any] = {}
    for op in ("review", "auto"):
        flagged = crossed[op][everyday].any(axis=1)
        ev[op] = {
            "any_label_rate": round(float(flagged.mean()), 4),
            "rows": int(everyday.sum()),
            "per_source": {
                s: round(float(crossed[op][sources == s].any(axis=1).mean()), 4)
                for s in EVERYDAY_SOURCES
            },
            "per_category": {
                c: round(float(crossed[op][everyday, j].mean()), 4)
                for j, c in enumerate(CATEGORIES)
            },
        }
    report["everyday"] = ev

    radical = (sources == "netifier") & (labels[:, _J["terrorism"]] == -1)
    report["netifier_radikalisme_flagged_terrorism_review"] = round(
        float(crossed["review"][radical, _J["terrorism"]].mean()) if radical.any() else 0.0, 4
    )
    return report
