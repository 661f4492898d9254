"""Near-duplicate text index: MinHash signatures with LSH banding.

How a text becomes a signature (all of it Unicode-correct, any script):

1. ``canonical_text``: NFKC, case-fold, drop zero-width/format characters,
   emoji variation selectors and skin-tone modifiers, and turn every run of
   whitespace and punctuation into one space.  Letters, combining marks (Arabic
   harakat, Devanagari vowel signs), digits and symbols (emoji) are kept.  This is
   tokenisation, not the project normaliser: pass
   ``ronda.detection.normalize.normalize`` as ``normalizer`` to fold slang,
   leetspeak and styled letters before it.
2. Features: overlapping character n-grams (default 5) over the code points,
   hashed with a polynomial over 64-bit integers and a splitmix64 finaliser,
   computed for a whole batch at once with numpy.  Texts shorter than n are
   padded so they still have one feature.
3. MinHash: for each of ``num_perm`` (default 32) hash functions
   ``h_k(x) = (x XOR m_k) * a_k mod 2**64`` the minimum over the features; the
   top 32 bits are kept.  The share of equal slots between two signatures
   estimates the Jaccard similarity of their n-gram sets.
4. LSH: the signature is cut into bands of ``band_rows`` slots; each band is
   hashed to a 60-bit key tagged with its band number, and all keys of a segment
   live in one sorted uint64 array with a direct-address table over the keys'
   top bits, so a batch of queries costs a few vectorised gathers.  Entries sharing at least one band with the query are
   candidates; their similarity is estimated from the full signatures and kept
   when it reaches the threshold of the entry's bank.  A band value shared by
   very many entries (text made of the commonest words, or a bank holding
   thousands of variants of one template) contributes at most ``max_bucket``
   candidates (default 32), which bounds the work per query; such a query
   still gets matches, but not necessarily every one of them.

With 32 slots in 8 bands of 4 the chance that a pair becomes a candidate is
1 - (1 - J**4)**8: 0.97 at J = 0.8, 0.67 at J = 0.6 and below 0.000002 at J = 0.05,
so thresholds under about 0.6 lose recall; use ``band_rows=3`` (more candidates,
slower) for looser banks.  Similarity is an estimate with a standard error of
about sqrt(J(1-J)/num_perm) (0.08 at J = 0.7 with 32 slots).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ronda.detection.hashing._rows import BankNames, SegmentedRows

__all__ = ["TextIndex", "TextMatch", "canonical_text", "minhash_signatures"]

_U64 = np.uint64

# Zero-width and other invisible format characters, variation selectors, emoji
# skin-tone modifiers: removed (they must not split or change a word).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    "\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f]"
)
# Whitespace, control characters and punctuation of the common blocks: one space.
_SEPARATORS = re.compile(
    "[\\s\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f\x80-\xbf\xd7\xf7"
    "\u037e\u0387\u055a-\u055f\u0589\u05be\u05c0\u05c3\u05c6\u05f3\u05f4"
    "\u0609\u060a\u060c\u060d\u061b\u061e\u061f\u066a-\u066d\u06d4"
    "\u0964\u0965\u0970\u0e4f\u0e5a\u0e5b\u2000-\u205f\u2e00-\u2e7f"
    "\u3000-\u3003\u3008-\u3011\u3014-\u301f\u30fb\ufe10-\ufe19\ufe30-\ufe6b"
    "\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]+"
)


def canonical_text(text: str) -> str:
    """Fold a text for hashing: NFKC, case-fold, invisible characters out, punctuation to spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _INVISIBLE.sub("", folded)
    return _SEPARATORS.sub(" ", folded).strip()


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, in place on a uint64 array."""
    x ^= x >> _U64(30)
    x *= _U64(0xBF58476D1CE4E5B9)
    x ^= x >> _U64(27)
    x *= _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    return x


_POLY = _U64(0x100000001B3)


def _ngram_features(canon: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashed n-grams of every text, concatenated; returns (features, start offsets)."""
    pad = "\x00"  # never in canonical text (control characters become spaces)
    padded = [s if len(s) >= n else s + pad * (n - len(s)) for s in canon]
    lens = np.fromiter((len(s) for s in padded), dtype=np.int64, count=len(padded))
    cp = np.frombuffer("".join(padded).encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    m = cp.size - n + 1
    h = cp[:m].copy()
    for j in range(1, n):
        h *= _POLY
        h += cp[j : j + m]
    counts = lens - (n - 1)
    fstarts = np.cumsum(counts) - counts
    starts = np.cumsum(lens) - lens
    pos = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - fstarts, counts)
    return _mix64(h[pos]), fstarts


class _MinHasher:
    def __init__(self, num_perm: int, ngram: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.ngram = ngram
        self.mult = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * _U64(2) + _U64(1)
        self.xor = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) * _U64(2)

    def signature(self, canon: str) -> np.ndarray:
        """Signature of one canonical text (the single-query fast path)."""
        n = self.ngram
        if len(canon) < n:
            canon = canon + "\x00" * (n - len(canon))
        cp = np.frombuffer(canon.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
        m = cp.size - n + 1
        h = cp[:m].copy()
        for j in range(1, n):
            h *= _POLY
            h += cp[j : j + m]
        block = _mix64(h)[:, None] ^ self.xor[None, :]
        block *= self.mult[None, :]
        sig: np.ndarray = (block.min(axis=0) >> _U64(32)).astype(np.uint32)
        return sig

    def signatures(self, canon: Sequence[str], chunk_features: int = 65536) -> np.ndarray:
        out = np.empty((len(canon), self.num_perm), dtype=np.uint32)
        if not canon:
            return out
        feats, fstarts = _ngram_features(canon, self.ngram)
        total = feats.size
        d0 = 0
        ndocs = len(canon)
        while d0 < ndocs:
            # take documents until about chunk_features features
            f0 = int(fstarts[d0])
            d1 = int(np.searchsorted(fstarts, f0 + chunk_features, side="right"))
            d1 = max(d1, d0 + 1)
            f1 = int(fstarts[d1]) if d1 < ndocs else total
            block = feats[f0:f1, None] ^ self.xor[None, :]
            block *= self.mult[None, :]
            mins = np.minimum.reduceat(block, fstarts[d0:d1] - f0, axis=0)
            out[d0:d1] = (mins >> _U64(32)).astype(np.uint32)
            d0 = d1
        return out


def minhash_signatures(
    texts: Sequence[str], *, num_perm: int = 32, ngram: int = 5, seed: int = 20240601
) -> np.ndarray:
    """MinHash signatures (n, num_perm) uint32 of already-normalised texts."""
    return _MinHasher(num_perm, ngram, seed).signatures([canonical_text(t) for t in texts])


@dataclass(frozen=True, slots=True)
class TextMatch:
    """A bank entry similar to the query text."""

    entry_id: str
    bank: str
    similarity: float  # estimated Jaccard similarity of the n-gram sets, 0..1

    @property
    def distance(self) -> float:
        return round(1.0 - self.similarity, 6)


@dataclass(frozen=True)
class _BandTable:
    keys: np.ndarray  # sorted uint64: band number in the top 4 bits, band hash below
    rows: np.ndarray  # uint32 row offset (relative to the segment start) per key
    shift: np.uint64  # bucket of a key = key >> shift (its top bits)
    starts: np.ndarray  # int32: keys of bucket b are keys[starts[b]:starts[b + 1]]

    @classmethod
    def build(cls, keys: np.ndarray, bands: int) -> _BandTable:
        order = np.argsort(keys, kind="stable")
        skeys = keys[order]
        bits = max(4, min(24, int(keys.size).bit_length()))
        shift = np.uint64(64 - bits)
        starts = np.zeros((1 << bits) + 1, dtype=np.int32)
        np.cumsum(
            np.bincount((skeys >> shift).astype(np.intp), minlength=1 << bits), out=starts[1:]
        )
        return cls(skeys, (order // bands).astype(np.uint32), shift, starts)

    def lookup(self, qkeys: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
        """(probe index, key position) of every stored key equal to a probe key,
        at most ``cap`` per probe.  Direct addressing by the top bits of the key,
        then a short scan: no binary search over the whole table."""
        b = (qkeys >> self.shift).astype(np.intp)
        lo = self.starts[b].astype(np.int64)
        counts = self.starts[b + 1] - lo
        small_limit = min(16, cap)
        small = counts <= small_limit
        probes: list[np.ndarray] = []
        positions: list[np.ndarray] = []
        idx = np.arange(qkeys.size, dtype=np.int64) if small.all() else np.flatnonzero(small)
        cs = counts[idx]
        total = int(cs.sum())
        if total:
            offsets = np.cumsum(cs) - cs
            pos = np.arange(total, dtype=np.int64) + np.repeat(lo[idx] - offsets, cs)
            probe = np.repeat(idx, cs)
            eq = self.keys[pos] == qkeys[probe]
            probes.append(probe[eq])
            positions.append(pos[eq])
        for i in np.flatnonzero(~small).tolist():  # a crowded bucket: rare
            start = int(lo[i])
            chunk = self.keys[start : start + int(counts[i])]
            a = int(chunk.searchsorted(qkeys[i], side="left"))
            z = min(int(chunk.searchsorted(qkeys[i], side="right")), a + cap)
            if z > a:
                probes.append(np.full(z - a, i, dtype=np.int64))
                positions.append(np.arange(start + a, start + z, dtype=np.int64))
        if not probes:
            e = np.empty(0, dtype=np.int64)
            return e, e
        if len(probes) == 1:
            return probes[0], positions[0]
        return np.concatenate(probes), np.concatenate(positions)


class TextIndex:
    """In-memory near-duplicate index of texts, with a similarity threshold per bank."""

    def __init__(
        self,
        *,
        num_perm: int = 32,
        band_rows: int = 4,
        ngram: int = 5,
        default_threshold: float = 0.7,
        normalizer: Callable[[str], str] | None = None,
        seed: int = 20240601,
        max_bucket: int = 32,
    ) -> None:
        if num_perm <= 0 or band_rows <= 0 or num_perm % band_rows:
            raise ValueError("num_perm must be a positive multiple of band_rows")
        if num_perm // band_rows > 16:
            raise ValueError("at most 16 bands")
        if not 2 <= ngram <= 16:
            raise ValueError("ngram must be between 2 and 16")
        _check_similarity(default_threshold)
        self._hasher = _MinHasher(num_perm, ngram, seed)
        self.num_perm = num_perm
        self.band_rows = band_rows
        self.bands = num_perm // band_rows
        self.normalizer = normalizer
        if max_bucket < 1:
            raise ValueError("max_bucket must be at least 1")
        self.max_bucket = max_bucket
        rng = np.random.default_rng(seed + 1)
        self._band_mult = rng.integers(1, 2**63, size=band_rows, dtype=np.uint64) * _U64(2) + _U64(
            1
        )
        self._band_tags = np.arange(self.bands, dtype=np.uint64) << _U64(60)
        self._banks = BankNames(default_threshold)
        self._store: SegmentedRows[_BandTable] = SegmentedRows(
            num_perm, np.uint32, self._build_table
        )

    # -- configuration -------------------------------------------------------
    def set_threshold(self, bank: str, threshold: float) -> None:
        """Minimum estimated similarity (0 < t <= 1) for a match in this bank."""
        _check_similarity(threshold)
        self._banks.set_threshold(bank, threshold)

    def threshold(self, bank: str) -> float:
        return self._banks.threshold(bank)

    def __len__(self) -> int:
        return len(self._store)

    # -- hashing -------------------------------------------------------------
    def _canon(self, texts: Iterable[str]) -> list[str]:
        norm = self.normalizer
        if norm is None:
            return [canonical_text(t) for t in texts]
        return [canonical_text(norm(t)) for t in texts]

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """MinHash signatures (n, num_perm) uint32, as stored in this index."""
        return self._hasher.signatures(self._canon(texts))

    def _band_keys(self, sigs: np.ndarray) -> np.ndarray:
        """(n, bands) uint64 keys: band number in the top 4 bits, 60-bit band hash below."""
        n = sigs.shape[0]
        parts = sigs.reshape(n, self.bands, self.band_rows).astype(np.uint64)
        parts *= self._band_mult
        acc = _mix64(np.bitwise_xor.reduce(parts, axis=2))
        acc >>= _U64(4)
        acc |= self._band_tags
        return acc

    def _build_table(self, rows: np.ndarray, lo: int) -> _BandTable:
        return _BandTable.build(self._band_keys(rows).ravel(), self.bands)

    # -- adding and removing -------------------------------------------------
    def add(self, entry_id: str, text: str, bank: str = "default") -> None:
        self.add_many([(entry_id, text)], bank=bank)

    def add_many(self, items: Iterable[tuple[str, str]], bank: str = "default") -> int:
        """Add (entry_id, text) pairs to one bank; texts empty after folding are refused."""
        bank_id = self._banks.id_of(bank)
        added = 0
        batch: list[tuple[str, str]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= 10_000:
                added += self._add_batch(batch, bank_id)
                batch = []
        if batch:
            added += self._add_batch(batch, bank_id)
        return added

    def _add_batch(self, batch: list[tuple[str, str]], bank_id: int) -> int:
        ids = [e for e, _ in batch]
        canon = self._canon(t for _, t in batch)
        for (entry_id, _), c in zip(batch, canon, strict=True):
            if not c:
                raise ValueError(f"entry {entry_id!r}: text is empty after folding")
        self._store.append(self._hasher.signatures(canon), ids, bank_id)
        return len(ids)

    def remove(self, entry_id: str, bank: str | None = None) -> int:
        """Forget an entry (in one bank, or in all); returns how many rows were removed."""
        bank_id = None if bank is None else self._banks.known(bank)
        if bank is not None and bank_id is None:
            return 0
        return self._store.kill(self._store.find_rows(entry_id, bank_id))

    def remove_bank(self, bank: str) -> int:
        bank_id = self._banks.known(bank)
        if bank_id is None:
            return 0
        rows = np.flatnonzero((self._store.bank_ids.view == bank_id) & self._store.alive.view)
        return self._store.kill(rows.tolist())

    # -- querying ------------------------------------------------------------
    def query(self, text: str, *, limit: int = 10) -> list[TextMatch]:
        """Bank entries whose similarity reaches their bank's threshold, best first."""
        canon = self._canon((text,))[0]
        if not canon or len(self._store) == 0:
            return []
        sig = self._hasher.signature(canon)
        qkeys = self._band_keys(sig[None, :]).ravel()
        found: list[np.ndarray] = []
        cap = self.max_bucket
        for seg in self._store.sealed():
            # a handful of probes: binary search beats the gather-based batch lookup
            keys = seg.structure.keys
            left = keys.searchsorted(qkeys)
            hit = keys[np.minimum(left, keys.size - 1)] == qkeys
            if not hit.any():
                continue
            left = left[hit]
            right = np.minimum(keys.searchsorted(qkeys[hit], side="right"), left + cap)
            if int((right - left).max()) == 1:
                found.append(seg.structure.rows[left].astype(np.int64) + seg.lo)
            else:
                for a, b in zip(left.tolist(), right.tolist(), strict=True):
                    found.append(seg.structure.rows[a:b].astype(np.int64) + seg.lo)
        if not found:
            return []
        rows = np.concatenate(found) if len(found) > 1 else found[0]
        if rows.size > 1:
            rows = np.unique(rows)
        rows = rows[self._store.alive.view[rows]]
        sims = np.count_nonzero(self._store.rows.view[rows] == sig[None, :], axis=1) / self.num_perm
        thresholds = self._banks.thresholds()[self._store.bank_ids.view[rows]]
        ok = sims >= thresholds - 1e-9
        rows, sims = rows[ok], sims[ok]
        order = np.lexsort((rows, -sims))[:limit]
        ids = self._store.ids
        names = self._banks.names
        banks = self._store.bank_ids.view
        return [
            TextMatch(ids[r], names[int(banks[r])], round(s, 6))
            for r, s in zip(rows[order].tolist(), sims[order].tolist(), strict=True)
        ]

    def query_batch(self, texts: Sequence[str], *, limit: int = 10) -> list[list[TextMatch]]:
        canon = self._canon(texts)
        out: list[list[TextMatch]] = [[] for _ in canon]
        if not canon or len(self._store) == 0:
            return out
        sigs = self._hasher.signatures(canon)
        empty = np.fromiter((not c for c in canon), dtype=np.bool_, count=len(canon))
        qidx, rows, sims = self._candidates(sigs)
        if qidx.size == 0:
            return out
        keep = ~empty[qidx]
        qidx, rows, sims = qidx[keep], rows[keep], sims[keep]
        order = np.lexsort((rows, -sims, qidx))
        ids = self._store.ids
        names = self._banks.names
        banks = self._store.bank_ids.view
        for q, r, s in zip(
            qidx[order].tolist(), rows[order].tolist(), sims[order].tolist(), strict=True
        ):
            bucket = out[q]
            if len(bucket) < limit:
                bucket.append(TextMatch(ids[r], names[int(banks[r])], round(s, 6)))
        return out

    def _candidates(self, sigs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, row, similarity) of every pair passing the row's bank threshold."""
        qkeys = self._band_keys(sigs).ravel()
        qsrc = np.repeat(np.arange(sigs.shape[0], dtype=np.int64), self.bands)
        found_q: list[np.ndarray] = []
        found_r: list[np.ndarray] = []
        for seg in self._store.sealed():
            probe, pos = seg.structure.lookup(qkeys, self.max_bucket)
            if pos.size == 0:
                continue
            found_r.append(seg.structure.rows[pos].astype(np.int64) + seg.lo)
            found_q.append(qsrc[probe])
        empty = np.empty(0, dtype=np.int64)
        if not found_r:
            return empty, empty, np.empty(0)
        n = len(self._store.ids)
        pairs = np.unique(np.concatenate(found_q) * n + np.concatenate(found_r))
        qidx, rows = np.divmod(pairs, n)
        alive = self._store.alive.view[rows]
        qidx, rows = qidx[alive], rows[alive]
        stored = self._store.rows.view
        sims = np.count_nonzero(stored[rows] == sigs[qidx], axis=1) / self.num_perm
        thresholds = self._banks.thresholds()[self._store.bank_ids.view[rows]]
        ok = sims >= thresholds - 1e-9
        return qidx[ok], rows[ok], sims[ok]


def _check_similarity(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"similarity threshold must be in (0, 1], got {threshold!r}")
