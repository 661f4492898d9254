"""Log-count-ratio feature scaling in training: the scale, and that it folds into the weights."""

import numpy as np
import pytest
from scipy import sparse

from ronda.detection.classifier.features import FeatureSpec
from ronda.detection.classifier.train import (
    TrainConfig,
    count_matrix,
    fit_category,
    fit_idf,
    nb_scale,
    weighted_matrix,
)
from ronda.detection.normalize import normalize_batch

SPEC = FeatureSpec(bits=14, weighting="idf")
POSITIVE = [
    "slot gacor hari ini depo 10rb langsung maxwin",
    "link alternatif slot gacor anti rungkad",
    "depo pulsa tanpa potongan, slot gacor malam ini",
    "bocoran pola slot maxwin hari ini",
]
NEGATIVE = [
    "harga cabai di pasar naik lagi minggu ini",
    "kajian rutin malam jumat di masjid raya",
    "besok kerja bakti di lingkungan rt mulai jam tujuh",
    "selamat ulang tahun adikku semoga sehat selalu hari ini",
]


def _data() -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    texts = normalize_batch(POSITIVE + NEGATIVE)
    counts = count_matrix(texts, SPEC)
    x = weighted_matrix(counts, SPEC, fit_idf(counts, np.arange(len(texts))))
    y = np.array([1] * len(POSITIVE) + [0] * len(NEGATIVE), dtype=np.int8)
    return x, y, np.ones(len(texts))


def test_scale_is_large_for_one_sided_buckets_and_small_for_shared_ones() -> None:
    x = sparse.csr_matrix(
        np.array(
            [
                [1.0, 1.0, 0.0],  # positive
                [1.0, 1.0, 0.0],  # positive
                [0.0, 1.0, 1.0],  # negative
                [0.0, 1.0, 1.0],  # negative
            ]
        )
    )
    y = np.array([1, 1, 0, 0], dtype=np.int8)
    scale = nb_scale(x, y, np.ones(4), smoothing=0.1)
    # bucket 0 only in positives, bucket 2 only in negatives: same magnitude; bucket 1 in both
    assert scale[0] == pytest.approx(scale[2])
    assert scale[1] == pytest.approx(0.0, abs=1e-12)
    assert scale[0] > 2.0
    # row weights count like repeated rows: weighing the first positive 3 times
    weighted = nb_scale(x, y, np.array([3.0, 1.0, 1.0, 1.0]), smoothing=0.1)
    repeated = nb_scale(
        sparse.vstack([x[:1], x[:1], x]).tocsr(), np.r_[1, 1, y].astype(np.int8), np.ones(6), 0.1
    )
    assert np.allclose(weighted, repeated)
    # by hand for bucket 0: positives' sums (4, 4, 0), negatives' (0, 2, 2), smoothing 0.1
    p0, q0 = 4.1 / (4.1 + 4.1 + 0.1), 0.1 / (0.1 + 2.1 + 2.1)
    assert weighted[0] == pytest.approx(abs(np.log(p0 / q0)))
    with pytest.raises(ValueError, match="positive"):
        nb_scale(x, y, np.ones(4), smoothing=0.0)


def test_scaled_fit_folds_into_weights_that_score_unscaled_rows() -> None:
    x, y, w = _data()
    cfg = TrainConfig()
    coef, bias = fit_category(x, y, w, 1e-4, cfg, nb_alpha=0.1)
    # the same fit done by hand on the scaled matrix, then scored on it
    scale = nb_scale(x, y, w, 0.1)
    scaled = x @ sparse.diags(scale.astype(np.float32))
    plain_coef, plain_bias = fit_category(scaled, y, w, 1e-4, cfg, nb_alpha=None)
    assert bias == pytest.approx(plain_bias)
    assert np.allclose(x @ coef, scaled @ plain_coef, atol=1e-6)
    # and it learnt the task: every positive scores above every negative
    z = x @ coef + bias
    assert z[y == 1].min() > z[y == 0].max()


def test_default_config_scales_every_category_but_spam() -> None:
    cfg = TrainConfig()
    assert cfg.nb_alpha["spam"] is None
    assert all(v == 0.1 for c, v in cfg.nb_alpha.items() if c != "spam")
