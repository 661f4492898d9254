"""Fast multi-label text classifier for Ronda's harm categories.

Public API (numpy only at run time)::

    from ronda.detection.classifier import load_default_model

    clf = load_default_model()           # cached; the model shipped in ronda/detection/model
    clf.categories                       # ("terrorism", "gambling", "scam", "hate", ...)
    clf.predict_proba(texts)             # np.ndarray (n, k) float32, raw texts in
    clf.labels(texts, op="review")       # [["gambling"], [], ...]; op "review" or "auto"
    clf.thresholds["auto"]["terrorism"]  # 1.01 means "never automatic"
    clf.version                          # "clf-2026.11.2-<8 hex>"

Texts are normalised inside (``ronda.detection.normalize``); callers that already hold the
normalised text can use ``predict_proba_normalized``. Training lives in ``train.py`` and needs
scikit-learn; nothing here imports it.
"""

from ronda.detection.classifier.model import (
    CATEGORIES,
    NEVER,
    OPERATING_POINTS,
    Classifier,
    default_model_dir,
    load_default_model,
    load_model,
)

__all__ = [
    "CATEGORIES",
    "NEVER",
    "OPERATING_POINTS",
    "Classifier",
    "default_model_dir",
    "load_default_model",
    "load_model",
]
