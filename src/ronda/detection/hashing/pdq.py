"""PDQ hash index (256-bit image hashes) and hashing of image files.

Lookups use a multi-index over the 16 chunks of 16 bits of each hash.  If two
hashes differ in at most ``t`` bits, then by the pigeonhole principle at least
one of the 16 chunks differs in at most ``t // 16`` bits: for the standard
threshold 31 that is one bit, so each query probes, per chunk, its own value and
the 16 values one bit away (272 probes).  All chunk keys of a segment live in one
sorted uint32 array (chunk number in the high 16 bits), so a batch of queries is
one ``searchsorted`` call; candidates are then checked exactly with XOR and
popcount.  Thresholds of 32..47 use two-bit neighbourhoods (2,192 probes); above
47, and for small banks, a numpy brute-force scan is used instead.

Hex strings follow python-threatexchange and the PDQ reference: 64 lower-case
hex digits, the first hash bit being the most significant bit of the first
digit.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from ronda.detection.hashing._rows import BankNames, SegmentedRows
from ronda.errors import BadInput

__all__ = [
    "DEFAULT_PDQ_THRESHOLD",
    "PdqIndex",
    "PdqMatch",
    "pdq_distance",
    "pdq_from_image",
    "pdq_to_words",
    "validate_pdq",
]

DEFAULT_PDQ_THRESHOLD = 31
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Banks smaller than this are scanned by brute force (faster than probing).
BRUTE_FORCE_BELOW = 2048


def validate_pdq(value: str) -> str:
    """Return the canonical (stripped, lower-case) form of a PDQ hex hash, or raise ValueError."""
    v = value.strip().lower()
    if not _HEX64.fullmatch(v):
        raise ValueError(f"{value!r} is not a PDQ hash (64 hex digits)")
    return v


def pdq_to_words(hashes: Sequence[str]) -> np.ndarray:
    """(n, 4) uint64 array from PDQ hex strings (validated)."""
    try:
        raw = bytes.fromhex("".join(validate_pdq(h) for h in hashes))
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(hashes), 4)


def pdq_distance(a: str, b: str) -> int:
    """Hamming distance of two PDQ hex hashes."""
    return int(np.bitwise_count(pdq_to_words([a]) ^ pdq_to_words([b])).sum())


@dataclass(frozen=True, slots=True)
class PdqMatch:
    entry_id: str
    bank: str
    distance: int  # Hamming distance, 0..256

    @property
    def similarity(self) -> float:
        return round(1.0 - self.distance / 256.0, 6)


@dataclass(frozen=True)
class _ChunkTable:
    # Rows grouped by key (chunk number << 16 | chunk value), counting-sort style:
    # the rows whose key is k are rows[starts[k]:starts[k + 1]].  Direct
    # addressing (2**20 + 1 offsets) instead of a binary search per probe.
    starts: np.ndarray  # int32, 2**20 + 1
    rows: np.ndarray  # uint32 row offset within the segment


def _chunks(words: np.ndarray) -> np.ndarray:
    """(n, 16) uint32 chunk values of (n, 4) uint64 hashes."""
    return (np.ascontiguousarray(words, dtype=np.uint64).view(np.uint16).reshape(-1, 16)).astype(
        np.uint32
    )


_CHUNK_TAGS = (np.arange(16, dtype=np.uint32) << np.uint32(16))[None, :]


def _flip_masks(radius: int) -> np.ndarray:
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(16), r):
            m = 0
            for b in bits:
                m |= 1 << b
            masks.append(m)
    return np.asarray(masks, dtype=np.uint32)


_MASKS = {r: _flip_masks(r) for r in (0, 1, 2)}


_NKEYS = 16 << 16


def _build_chunk_table(rows: np.ndarray, lo: int) -> _ChunkTable:
    keys = (_chunks(rows) | _CHUNK_TAGS).ravel()
    order = np.argsort(keys, kind="stable")
    if keys.size >= 2**31:
        raise ValueError("a PDQ segment holds at most 134 million hashes")
    starts = np.zeros(_NKEYS + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys, minlength=_NKEYS), out=starts[1:])
    return _ChunkTable(starts, (order // 16).astype(np.uint32))


class PdqIndex:
    """In-memory PDQ index with a Hamming-distance threshold per bank (default 31)."""

    def __init__(
        self, *, default_threshold: int = DEFAULT_PDQ_THRESHOLD, mode: str = "auto"
    ) -> None:
        """``mode``: "auto" (multi-index, brute force for small banks or large
        thresholds), "multi" or "brute"."""
        _check_threshold(default_threshold)
        if mode not in ("auto", "multi", "brute"):
            raise ValueError("mode must be auto, multi or brute")
        self.mode = mode
        self._banks = BankNames(float(default_threshold))
        self._store: SegmentedRows[_ChunkTable] = SegmentedRows(4, np.uint64, _build_chunk_table)

    def set_threshold(self, bank: str, threshold: int) -> None:
        _check_threshold(threshold)
        self._banks.set_threshold(bank, float(threshold))

    def threshold(self, bank: str) -> int:
        return int(self._banks.threshold(bank))

    def __len__(self) -> int:
        return len(self._store)

    def add(self, entry_id: str, pdq_hex: str, bank: str = "default") -> None:
        self.add_many([(entry_id, pdq_hex)], bank=bank)

    def add_many(self, items: Iterable[tuple[str, str]], bank: str = "default") -> int:
        bank_id = self._banks.id_of(bank)
        pairs = list(items)
        if not pairs:
            return 0
        words = pdq_to_words([h for _, h in pairs])
        self._store.append(words, [e for e, _ in pairs], bank_id)
        return len(pairs)

    def add_words(self, ids: Sequence[str], words: np.ndarray, bank: str = "default") -> int:
        """Add hashes given as an (n, 4) uint64 array (bulk loading)."""
        self._store.append(np.asarray(words, dtype=np.uint64), ids, self._banks.id_of(bank))
        return len(ids)

    def remove(self, entry_id: str, bank: str | None = None) -> int:
        bank_id = None if bank is None else self._banks.known(bank)
        if bank is not None and bank_id is None:
            return 0
        return self._store.kill(self._store.find_rows(entry_id, bank_id))

    def query(self, pdq_hex: str, *, limit: int = 10) -> list[PdqMatch]:
        """Entries within their bank's threshold of the hash, nearest first."""
        return self.query_words(pdq_to_words([pdq_hex]), limit=limit)[0]

    def query_batch(self, hashes: Sequence[str], *, limit: int = 10) -> list[list[PdqMatch]]:
        return self.query_words(pdq_to_words(hashes), limit=limit)

    def query_words(self, queries: np.ndarray, *, limit: int = 10) -> list[list[PdqMatch]]:
        nq = queries.shape[0]
        out: list[list[PdqMatch]] = [[] for _ in range(nq)]
        if nq == 0 or len(self._store) == 0:
            return out
        thresholds = self._banks.thresholds()
        max_t = int(thresholds.max())
        n = len(self._store.ids)
        brute = self.mode == "brute" or (
            self.mode == "auto" and (n < BRUTE_FORCE_BELOW or max_t > 47)
        )
        if brute:
            qidx, rows, dist = self._brute(queries, max_t)
        else:
            if max_t > 47:
                raise ValueError("the multi-index supports thresholds up to 47; use mode='brute'")
            qidx, rows, dist = self._multi(queries, max_t)
        if qidx.size == 0:
            return out
        alive = self._store.alive.view[rows]
        banks = self._store.bank_ids.view[rows]
        ok = alive & (dist <= thresholds[banks])
        qidx, rows, dist = qidx[ok], rows[ok], dist[ok]
        order = np.lexsort((rows, dist, qidx))
        ids = self._store.ids
        names = self._banks.names
        bank_view = self._store.bank_ids.view
        for q, r, d in zip(
            qidx[order].tolist(), rows[order].tolist(), dist[order].tolist(), strict=True
        ):
            bucket = out[q]
            if len(bucket) < limit:
                bucket.append(PdqMatch(ids[r], names[int(bank_view[r])], int(d)))
        return out

    def _brute(self, queries: np.ndarray, max_t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        stored = self._store.rows.view
        qs: list[np.ndarray] = []
        rs: list[np.ndarray] = []
        ds: list[np.ndarray] = []
        for q in range(queries.shape[0]):
            dist = np.bitwise_count(stored ^ queries[q]).sum(axis=1, dtype=np.int32)
            hit = np.flatnonzero(dist <= max_t)
            if hit.size:
                qs.append(np.full(hit.size, q, dtype=np.int64))
                rs.append(hit)
                ds.append(dist[hit])
        if not rs:
            e = np.empty(0, dtype=np.int64)
            return e, e, e
        return np.concatenate(qs), np.concatenate(rs), np.concatenate(ds)

    def _multi(self, queries: np.ndarray, max_t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        masks = _MASKS[max_t // 16]
        probes = ((_chunks(queries) | _CHUNK_TAGS)[:, :, None] ^ masks[None, None, :]).reshape(
            queries.shape[0], -1
        )
        flat = probes.ravel()
        src = np.repeat(np.arange(queries.shape[0], dtype=np.int64), probes.shape[1])
        found_q: list[np.ndarray] = []
        found_r: list[np.ndarray] = []
        for seg in self._store.sealed():
            starts = seg.structure.starts
            left = starts[flat].astype(np.int64)
            counts = starts[flat + 1] - left
            total = int(counts.sum())
            if total == 0:
                continue
            offsets = np.cumsum(counts) - counts
            pos = np.arange(total, dtype=np.int64) + np.repeat(left - offsets, counts)
            found_r.append(seg.structure.rows[pos].astype(np.int64) + seg.lo)
            found_q.append(np.repeat(src, counts))
        if not found_r:
            e = np.empty(0, dtype=np.int64)
            return e, e, e
        qidx = np.concatenate(found_q) if len(found_q) > 1 else found_q[0]
        rows = np.concatenate(found_r) if len(found_r) > 1 else found_r[0]
        dist = np.bitwise_count(self._store.rows.view[rows] ^ queries[qidx]).sum(
            axis=1, dtype=np.int32
        )
        # an entry close to the query is found through several chunks: keep it once
        near = np.flatnonzero(dist <= max_t)
        n = len(self._store.ids)
        _, first = np.unique(qidx[near] * n + rows[near], return_index=True)
        keep = near[first]
        return qidx[keep], rows[keep], dist[keep]


def _check_threshold(threshold: int) -> None:
    if not 0 <= threshold <= 256:
        raise ValueError(f"PDQ threshold must be between 0 and 256, got {threshold!r}")


def pdq_from_image(path_or_bytes: str | os.PathLike[str] | bytes) -> tuple[str, int]:
    """PDQ hash (64 hex digits) and quality (0-100) of an image file or its bytes.

    Needs the ``pdqhash`` and ``Pillow`` packages.  Raises BadInput when the
    data is not a readable image.
    """
    try:
        import pdqhash  # type: ignore[import-not-found,import-untyped,unused-ignore]
        from PIL import Image, UnidentifiedImageError  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("pdq_from_image needs the pdqhash and Pillow packages") from exc

    source: Any = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    label = "image bytes" if isinstance(path_or_bytes, bytes) else str(Path(path_or_bytes))
    try:
        with Image.open(source) as img:
            img.load()
            rgb = img.convert("RGB")
    except FileNotFoundError:
        raise BadInput(f"{label}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise BadInput(f"{label}: not a readable image ({exc})") from None
    if rgb.width < 1 or rgb.height < 1:
        raise BadInput(f"{label}: empty image")
    bits, quality = pdqhash.compute(np.asarray(rgb))
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex(), int(quality)
