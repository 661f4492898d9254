"""Hashed n-gram features computed for a whole batch at once with numpy.

Why hashing and why vectorised: the classifier must score thousands of posts a second on one
core without scikit-learn or pickles at run time. A vocabulary would have to be shipped and
looked up string by string in Python; hashing needs only a handful of integer constants, and
every step below is a numpy operation over the concatenated batch, never a Python loop over
n-grams.

Feature set (all from normalised text, each text truncated to ``max_chars``):

* character n-grams of lengths ``char_ngrams`` over the text padded with one space each side;
* word unigrams and bigrams, where a word is a run of alphanumeric characters (BMP ``isalnum``).

Hashes are polynomial sums of code points with per-position odd 64-bit keys (wrapping uint64
arithmetic) plus a salt per n-gram kind, finished with the splitmix64 mixer; the top ``bits``
bits pick the bucket. Two weightings (``FeatureSpec.weighting``):

* ``count``: every occurrence counts 1 and a text's vector is divided by the square root of
  its number of occurrences (about unit length);
* ``idf``: an occurrence of bucket b counts ``idf[b]`` (inverse document frequency over the
  training rows, so frequent character n-grams weigh less) and the vector is divided by the
  square root of the sum of ``idf[b]**2`` over the text's occurrences (exactly unit length when
  no bucket repeats). At run time ``idf`` is folded into the weights and ``idf**2`` rides in a
  spare column of the weight matrix, so this costs no extra gather.

Training builds exactly the same matrix (``sparse_rows``), so model and runtime cannot drift
apart.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["FeatureSpec", "hashed_features", "idf_from_counts", "score_batch", "sparse_rows"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

_MASK64 = (1 << 64) - 1
_MAX_WORD_POS = 32  # positions beyond this share one key: long tokens still hash, cheaply
WEIGHTINGS = ("count", "idf")


def _splitmix64(state: int) -> tuple[int, int]:
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, z ^ (z >> 31)


@dataclass(frozen=True)
class FeatureSpec:
    """How texts become hashed feature indices; stored in the model metadata."""

    bits: int = 20
    char_ngrams: tuple[int, int] = (2, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    max_chars: int = 2000
    seed: int = 20261122
    weighting: str = "count"  # "count" or "idf" (see the module docstring)

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"unknown weighting {self.weighting!r}; use one of {WEIGHTINGS}")

    @property
    def n_buckets(self) -> int:
        return 1 << self.bits

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["char_ngrams"] = list(self.char_ngrams)
        data["word_ngrams"] = list(self.word_ngrams)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(
            bits=int(data["bits"]),
            char_ngrams=(int(data["char_ngrams"][0]), int(data["char_ngrams"][1])),
            word_ngrams=(int(data["word_ngrams"][0]), int(data["word_ngrams"][1])),
            max_chars=int(data["max_chars"]),
            seed=int(data["seed"]),
            weighting=str(data.get("weighting", "count")),
        )


@dataclass(frozen=True)
class _Keys:
    char: npt.NDArray[np.uint64]  # per position inside a char n-gram
    word: npt.NDArray[np.uint64]  # per position inside a word
    salts: npt.NDArray[np.uint64]  # one per n-gram kind
    bigram: np.uint64


@lru_cache(maxsize=8)
def _keys(seed: int) -> _Keys:
    state = seed & _MASK64
    values: list[int] = []
    for _ in range(8 + _MAX_WORD_POS + 16 + 1):
        state, value = _splitmix64(state)
        values.append(value | 1)
    arr = np.array(values, dtype=np.uint64)
    return _Keys(
        char=arr[:8],
        word=arr[8 : 8 + _MAX_WORD_POS],
        salts=arr[8 + _MAX_WORD_POS : 8 + _MAX_WORD_POS + 16],
        bigram=arr[-1],
    )


@lru_cache(maxsize=1)
def _word_char_table() -> npt.NDArray[np.bool_]:
    return np.array([chr(cp).isalnum() for cp in range(0x10000)], dtype=np.bool_)


def _mix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser, in place where possible (wrapping uint64 arithmetic)."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _encode(texts: Sequence[str], max_chars: int) -> npt.NDArray[np.uint64]:
    """Code points of ' t1 \\0 t2 \\0 ... tn ' (texts already free of NUL)."""
    joined = " \x00 ".join(t[:max_chars] for t in texts)
    raw = np.frombuffer(f" {joined} ".encode("utf-32-le"), dtype=np.uint32)
    return raw.astype(np.uint64)


def hashed_features(texts: Sequence[str], spec: FeatureSpec) -> Iterator[tuple[IntArray, IntArray]]:
    """Yield ``(doc_ids, buckets)`` per n-gram kind; ``doc_ids`` ascend within each kind.

    ``texts`` must be normalised already and contain no NUL character (``normalize``
    guarantees both).
    """
    if not texts:
        return
    keys = _keys(spec.seed)
    shift = np.uint64(64 - spec.bits)
    cp = _encode(texts, spec.max_chars)
    n = cp.shape[0]
    seps = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(cp == 0, out=seps[1:])  # seps[i] = separators before position i = doc id

    # Character n-grams: extend an n-1 gram hash by one position per step.
    lo, hi = spec.char_ngrams
    acc = cp * keys.char[0]
    for length in range(2, hi + 1):
        acc = acc[:-1] + cp[length - 1 :] * keys.char[length - 1]
        if length < lo:
            continue
        starts = np.arange(acc.shape[0])
        valid = seps[starts + length] == seps[starts]
        h = acc[valid] + keys.salts[length]
        yield seps[:-length][valid], (_mix(h) >> shift).astype(np.int64)

    # Words: runs of alphanumeric code points.
    table = _word_char_table()
    is_word = np.zeros(n + 2, dtype=np.bool_)
    bmp = cp < 0x10000
    is_word[1:-1][bmp] = table[cp[bmp]]
    edges = np.diff(is_word.view(np.int8))
    w_start = np.flatnonzero(edges == 1)
    w_end = np.flatnonzero(edges == -1)
    if w_start.size == 0:
        return
    positions = np.flatnonzero(is_word[1:-1])
    token_of = np.cumsum(np.diff(is_word[1:-1].view(np.int8), prepend=np.int8(0)) == 1)[positions]
    token_of -= 1
    offset = np.minimum(positions - w_start[token_of], _MAX_WORD_POS - 1)
    vals = cp[positions] * keys.word[offset]
    firsts = np.concatenate(([0], np.cumsum(w_end - w_start)[:-1]))
    tok_hash = np.add.reduceat(vals, firsts)
    tok_doc = seps[w_start]
    wlo, whi = spec.word_ngrams
    if wlo <= 1 <= whi:
        yield tok_doc, (_mix(tok_hash + keys.salts[9]) >> shift).astype(np.int64)
    if wlo <= 2 <= whi and tok_hash.shape[0] > 1:
        same = tok_doc[1:] == tok_doc[:-1]
        first = _mix(tok_hash[:-1][same] + keys.salts[10])
        h = first * keys.bigram + tok_hash[1:][same] + keys.salts[11]
        yield tok_doc[:-1][same], (_mix(h) >> shift).astype(np.int64)


def score_batch(
    texts: Sequence[str],
    spec: FeatureSpec,
    weights: FloatArray,
    bias: FloatArray,
    norm_column: int | None = None,
) -> FloatArray:
    """Linear scores ``X @ weights + bias`` for normalised texts, shape (n, k).

    With ``norm_column`` (``idf`` weighting), ``weights`` already hold ``idf`` folded into the
    category columns and ``idf**2`` in column ``norm_column``: each text's sum is divided by the
    square root of that column's sum instead of by the root of its occurrence count.
    """
    n = len(texts)
    k = weights.shape[1]
    scores = np.zeros((n, k), dtype=np.float32)
    counts = np.zeros(n, dtype=np.int64)
    for doc, idx in hashed_features(texts, spec):
        if doc.size == 0:
            continue
        if norm_column is None:
            counts += np.bincount(doc, minlength=n)
        gathered = weights.take(idx, axis=0)
        first = np.flatnonzero(np.concatenate(([True], doc[1:] != doc[:-1])))
        scores[doc[first]] += np.add.reduceat(gathered, first, axis=0)
    if norm_column is None:
        norm = np.sqrt(np.maximum(counts, 1)).astype(np.float32)
    else:
        norm = np.sqrt(np.maximum(scores[:, norm_column], 1e-12))
    scores /= norm[:, None]
    scores += bias
    return scores


def idf_from_counts(doc_freq: IntArray, n_docs: int, power: float = 1.0) -> FloatArray:
    """Smoothed inverse document frequency per bucket: ``(ln((1+n)/(1+df)) + 1) ** power``.

    A bucket no training text used gets the largest value, so n-grams never seen in training
    dilute a text's vector (its score moves towards the bias) instead of being ignored.
    ``power`` < 1 softens the weighting (rare n-grams, mostly whole words, weigh less against
    the character n-grams that survive obfuscation).
    """
    df = np.asarray(doc_freq, dtype=np.float64)
    return ((np.log((1.0 + n_docs) / (1.0 + df)) + 1.0) ** power).astype(np.float32)


def sparse_rows(
    texts: Sequence[str], spec: FeatureSpec, idf: FloatArray | None = None
) -> tuple[IntArray, IntArray, FloatArray]:
    """COO triplets (rows, cols, values) of the feature matrix, for training with scipy.

    ``idf`` is required for the ``idf`` weighting and ignored otherwise. Repeated
    (row, col) pairs are to be summed (scipy does so).
    """
    parts = list(hashed_features(texts, spec))
    rows = np.concatenate([d for d, _ in parts]) if parts else np.zeros(0, np.int64)
    cols = np.concatenate([b for _, b in parts]) if parts else np.zeros(0, np.int64)
    if spec.weighting == "idf":
        if idf is None:
            raise ValueError("the idf weighting needs the idf vector")
        occ = idf[cols].astype(np.float64)
        sq = np.bincount(rows, weights=occ * occ, minlength=len(texts))
        inv64 = 1.0 / np.sqrt(np.maximum(sq, 1e-12))
        return rows, cols, (occ * inv64[rows]).astype(np.float32)
    counts = np.bincount(rows, minlength=len(texts))
    inv = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
    return rows, cols, inv[rows]
