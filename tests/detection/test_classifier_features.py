"""Hashed features and threshold selection, on small synthetic inputs."""

import numpy as np
import pytest

from ronda.detection.classifier.evaluate import (
    binary_metrics,
    macro_f1,
    parse_mapping,
    threshold_at_precision,
    threshold_at_recall,
    threshold_best_f1,
    threshold_best_macro_f1,
    threshold_for_rate,
)
from ronda.detection.classifier.features import (
    FeatureSpec,
    hashed_features,
    idf_from_counts,
    score_batch,
    sparse_rows,
)
from ronda.detection.classifier.model import NEVER

SPEC = FeatureSpec(bits=16)


def _buckets(texts: list[str]) -> list[list[int]]:
    rows, cols, _ = sparse_rows(texts, SPEC)
    return [sorted(cols[rows == i].tolist()) for i in range(len(texts))]


def test_features_do_not_depend_on_the_batch() -> None:
    alone = _buckets(["slot gacor hari ini"])[0]
    batched = _buckets(["halo", "slot gacor hari ini", ""])[1]
    assert alone == batched and alone


def test_doc_ids_ascend_and_cover_every_kind() -> None:
    kinds = list(hashed_features(["satu dua", "tiga"], SPEC))
    assert len(kinds) == 6  # char 2..5, word 1 and 2
    for doc, idx in kinds:
        assert np.all(np.diff(doc) >= 0)
        assert idx.min() >= 0 and idx.max() < SPEC.n_buckets


def test_rows_are_unit_length() -> None:
    rows, _cols, vals = sparse_rows(["slot gacor", "a"], SPEC)
    for i in range(2):
        assert np.isclose(np.sum(vals[rows == i] ** 2), 1.0, atol=1e-5)


def test_score_batch_equals_sparse_product() -> None:
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((SPEC.n_buckets, 3)).astype(np.float32)
    bias = np.array([0.1, -0.2, 0.0], dtype=np.float32)
    texts = ["main slot gacor", "", "berita hari ini tentang cuaca", "x"]
    rows, cols, vals = sparse_rows(texts, SPEC)
    dense = np.zeros((len(texts), SPEC.n_buckets), dtype=np.float64)
    np.add.at(dense, (rows, cols), vals)
    expected = dense @ weights + bias
    assert np.allclose(score_batch(texts, SPEC, weights, bias), expected, atol=1e-4)


def test_spec_round_trips_through_json() -> None:
    assert FeatureSpec.from_json(SPEC.to_json()) == SPEC


def test_thresholds() -> None:
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05])
    y = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 0], dtype=bool)
    assert threshold_at_recall(scores, y, 0.8) == pytest.approx(0.6)
    assert threshold_best_f1(scores, y) in set(scores.tolist())
    assert threshold_at_precision(scores, y, 0.98, min_hits=2) == pytest.approx(0.8)
    assert threshold_at_precision(scores, y, 0.98, min_hits=10) == NEVER
    t = threshold_for_rate(scores, 0.2)
    assert (scores >= t).sum() <= 2


def test_threshold_best_macro_f1_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(5):
        scores = rng.random(200)
        y = rng.random(200) < scores * 0.9
        t = threshold_best_macro_f1(scores, y)
        best = max(macro_f1(y, scores >= u) for u in np.unique(scores))
        assert macro_f1(y, scores >= t) == pytest.approx(best)
    assert threshold_best_macro_f1(np.array([0.2, 0.8]), np.array([0, 0], dtype=bool)) == NEVER


def test_metrics_and_mapping() -> None:
    y = np.array([1, 1, 0, 0], dtype=bool)
    p = np.array([1, 0, 1, 0], dtype=bool)
    m = binary_metrics(y, p)
    assert (m["precision"], m["recall"], m["f1"], m["support"]) == (0.5, 0.5, 0.5, 2)
    assert macro_f1(y, p) == 0.5
    assert parse_mapping(["1=gambling", "0=none"], ["gambling"]) == {"1": "gambling", "0": None}
    with pytest.raises(ValueError):
        parse_mapping(["1=casino"], ["gambling"])


IDF_SPEC = FeatureSpec(bits=16, weighting="idf")


def test_idf_rows_are_unit_length_without_repeats_and_weigh_rare_ngrams_more() -> None:
    texts = ["slot gacor", "berita cuaca"]
    rows, cols, _ = sparse_rows(texts, SPEC)
    df = np.bincount(
        np.unique(rows * SPEC.n_buckets + cols) % SPEC.n_buckets, minlength=SPEC.n_buckets
    )
    idf = idf_from_counts(df, len(texts))
    assert idf[df == 0].min() > idf[df == 2].max() > 0
    r, c, v = sparse_rows(texts, IDF_SPEC, idf)
    assert np.array_equal(r, rows) and np.array_equal(c, cols)
    for i in range(2):
        occ = idf[c[r == i]]
        assert np.allclose(v[r == i], occ / np.sqrt(np.sum(occ**2)), atol=1e-6)
    with pytest.raises(ValueError):
        sparse_rows(texts, IDF_SPEC)


def test_idf_score_batch_equals_sparse_product_with_folded_norm_column() -> None:
    rng = np.random.default_rng(1)
    idf = rng.uniform(1.0, 9.0, IDF_SPEC.n_buckets).astype(np.float32)
    weights = rng.standard_normal((IDF_SPEC.n_buckets, 3)).astype(np.float32)
    bias = np.array([0.3, 0.0, -1.0], dtype=np.float32)
    texts = ["main slot gacor gacor", "", "berita hari ini tentang cuaca", "x"]
    rows, cols, vals = sparse_rows(texts, IDF_SPEC, idf)
    dense = np.zeros((len(texts), IDF_SPEC.n_buckets), dtype=np.float64)
    np.add.at(dense, (rows, cols), vals)
    expected = dense @ weights + bias
    folded = np.zeros((IDF_SPEC.n_buckets, 4), dtype=np.float32)
    folded[:, :3] = weights * idf[:, None]
    folded[:, 3] = idf * idf
    got = score_batch(texts, IDF_SPEC, folded, np.r_[bias, 0.0].astype(np.float32), 3)
    assert np.allclose(got[:, :3], expected, atol=1e-4)


def test_spec_rejects_unknown_weighting_and_reads_old_json() -> None:
    with pytest.raises(ValueError):
        FeatureSpec(weighting="bm25")
    old = SPEC.to_json()
    del old["weighting"]
    assert FeatureSpec.from_json(old).weighting == "count"
    assert FeatureSpec.from_json(IDF_SPEC.to_json()) == IDF_SPEC
