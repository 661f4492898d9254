"""Reproduce the data README's reference baselines under Ronda's own cross-validation.

The README's baselines (TF-IDF word 1-2 + char 2-5, logistic regression, one 80/20 split, one
dataset at a time) are anchors, not measurements of our setup. To compare like with like, this
tool runs, for each dataset and on that dataset's rows only, with the same deduplication and
5-fold stratified group split as training:

* ``reference``: the README pipeline (scikit-learn ``TfidfVectorizer`` on the raw text,
  ``LogisticRegression(class_weight="balanced")``);
* ``hashed-single``: Ronda's hashed features (idf-weighted, idf learnt from each fold's
  training rows) and SGD logistic regression trained on that dataset alone (normalised text);

and prints macro-F1 at 0.5 for both. The shipped model's figure (trained on everything, with
everyday text as negatives) is in the model metadata. Development tool; needs scikit-learn.

    python -m ronda.detection.classifier.reference [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from ronda.detection.classifier.data import PUBLIC_SOURCES, Corpus
from ronda.detection.classifier.evaluate import macro_f1
from ronda.detection.classifier.model import CATEGORIES
from ronda.detection.classifier.train import (
    TrainConfig,
    count_matrix,
    fit_category,
    fold_matrix,
    folds_for,
    prepare,
    sample_weights,
)

# (name, source, category) as in report.LIKE_WITH_LIKE
TASKS = [
    ("gambling_judol", "judol", "gambling"),
    ("hate_hs", "hatespeech", "hate"),
    ("hate_sara_netifier", "netifier", "hate"),
    ("porn_netifier", "netifier", "porn"),
    ("hoax_dataset", "hoax", "hoax"),
]


def _corpus(data_dir: Path, source: str) -> Corpus:
    texts: list[str] = []
    rows: list[list[int]] = []
    for text, labels in PUBLIC_SOURCES[source](data_dir):
        if text.strip():
            texts.append(text.strip())
            rows.append([labels.get(c, 0) for c in CATEGORIES])
    return Corpus(texts=texts, sources=[source] * len(texts), labels=np.array(rows, np.int8))


def run(data_dir: Path) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    cfg = TrainConfig()
    results: dict[str, Any] = {}
    for name, source, cat in TASKS:
        j = CATEGORIES.index(cat)
        data = prepare(_corpus(data_dir, source))
        known = data.labels[:, j] >= 0
        data.texts = [t for t, k in zip(data.texts, known, strict=True) if k]
        data.labels, data.sources, data.groups = (
            data.labels[known],
            data.sources[known],
            data.groups[known],
        )
        raw = data.texts  # normalised; the reference below re-reads nothing else
        y = data.labels[:, j] == 1
        counts = count_matrix(data.texts, cfg.spec)
        ref_pred = np.zeros(len(y), dtype=np.bool_)
        ours_pred = np.zeros(len(y), dtype=np.bool_)
        for train_rows, test_rows in folds_for(data, cfg):
            pipe = make_pipeline(
                make_union(
                    TfidfVectorizer(ngram_range=(1, 2)),
                    TfidfVectorizer(analyzer="char", ngram_range=(2, 5)),
                ),
                LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced"),
            )
            pipe.fit([raw[i] for i in train_rows], y[train_rows])
            ref_pred[test_rows] = pipe.predict([raw[i] for i in test_rows])
            x, _ = fold_matrix(counts, train_rows, cfg)  # idf from the training rows only
            yk = data.labels[train_rows, j]
            w = sample_weights(yk, data.sources[train_rows], (source,), 0.0)
            coef, bias = fit_category(x[train_rows], yk, w, cfg.alpha[cat], cfg)
            ours_pred[test_rows] = (x[test_rows] @ coef + bias) >= 0.0
        results[name] = {
            "rows": len(y),
            "reference_macro_f1": macro_f1(y, ref_pred),
            "hashed_single_dataset_macro_f1": macro_f1(y, ours_pred),
        }
        print(name, json.dumps(results[name]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    run(args.data_dir)


if __name__ == "__main__":  # pragma: no cover
    main()
