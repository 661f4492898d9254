"""The idf weighting end to end: training matrix == runtime scores, save/load round trip."""

from pathlib import Path

import numpy as np
import pytest

from ronda.detection.classifier.features import FeatureSpec
from ronda.detection.classifier.model import CATEGORIES, load_model, save_model
from ronda.detection.classifier.train import count_matrix, fit_idf, weighted_matrix
from ronda.detection.normalize import normalize_batch

SPEC = FeatureSpec(bits=14, weighting="idf")
TEXTS = normalize_batch(
    [
        "SLOT GACOR hari ini, depo 10rb langsung maxwin",
        "harga cabai di pasar naik lagi minggu ini",
        "gacor gacor gacor slot slot",
        "",
        "kajian rutin malam Jumat di masjid",
    ]
)
THRESHOLDS = {
    "review": dict.fromkeys(CATEGORIES, 0.5),
    "auto": dict.fromkeys(CATEGORIES, 1.01),
}


def _model(tmp_path: Path, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray, object]:
    counts = count_matrix(TEXTS, spec)
    idf = fit_idf(counts, np.arange(len(TEXTS))) if spec.weighting == "idf" else None
    x = weighted_matrix(counts, spec, idf)
    rng = np.random.default_rng(3)
    weights = rng.standard_normal((spec.n_buckets, len(CATEGORIES))).astype(np.float16)
    bias = rng.standard_normal(len(CATEGORIES)).astype(np.float32)
    version = save_model(
        tmp_path / "classifier",
        weights=weights,
        bias=bias,
        spec=spec,
        categories=CATEGORIES,
        thresholds=THRESHOLDS,
        release="2026.11.2",
        metadata={},
        idf=idf,
    )
    expected = x @ weights.astype(np.float64) + bias
    return expected, idf, version


@pytest.mark.parametrize("weighting", ["idf", "count"])
def test_saved_model_scores_what_training_computed(tmp_path: Path, weighting: str) -> None:
    spec = FeatureSpec(bits=14, weighting=weighting)
    expected, _idf, version = _model(tmp_path, spec)
    with np.load(tmp_path / "classifier.npz", allow_pickle=False) as data:
        assert ("idf" in data.files) == (weighting == "idf")
    clf = load_model(tmp_path)
    assert clf.version == version and clf.spec == spec
    # the norm column rides in the padding: 7 categories (+ idf**2) still fit 8 columns
    assert clf.weights.shape == (spec.n_buckets, 8)
    proba = clf.predict_proba_normalized(TEXTS)
    want = 1.0 / (1.0 + np.exp(-np.clip(expected, -30, 30)))
    assert np.allclose(proba, want, atol=2e-4)


def test_idf_changes_the_version_and_weighs_rare_buckets_more(tmp_path: Path) -> None:
    _, idf, v1 = _model(tmp_path / "a", SPEC)
    assert idf is not None and idf.dtype == np.float32
    counts = count_matrix(TEXTS, SPEC)
    df = np.bincount(counts.indices, minlength=SPEC.n_buckets)
    assert idf[df == 1].min() > idf[df == 3].max()  # rare n-grams weigh more
    _, _, v2 = _model(tmp_path / "b", FeatureSpec(bits=14, weighting="count"))
    assert v1 != v2


def test_a_model_without_its_idf_vector_is_refused(tmp_path: Path) -> None:
    _model(tmp_path, SPEC)
    with np.load(tmp_path / "classifier.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "idf"}
    np.savez_compressed(tmp_path / "classifier.npz", **arrays)
    with pytest.raises(ValueError, match="idf"):
        load_model(tmp_path)
