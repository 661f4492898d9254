"""Row storage shared by the numpy-backed indexes.

An index keeps one fixed-width row of numbers per bank entry (a MinHash
signature, a PDQ hash as four 64-bit words) in a growable array, together with
the entry id, the bank it belongs to and whether it is still alive.  The search
structures are built over contiguous *segments* of rows: new rows are sealed into
a fresh segment on the next query, and small segments are merged the way a
binary counter carries (a log-structured merge), so adding entries one at a time
between queries costs O(log n) rebuilds per row instead of a full rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

S = TypeVar("S")

#: Largest number of distinct banks one index can hold (bank ids are uint16).
MAX_BANKS = 65535


class GrowableRows:
    """A 2-D numpy array with amortised O(1) appends of row blocks."""

    def __init__(self, width: int, dtype: npt.DTypeLike) -> None:
        self.width = width
        self._data: np.ndarray = np.zeros((1024, width), dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def view(self) -> np.ndarray:
        """The filled rows (a view, valid until the next append)."""
        return self._data[: self._n]

    def append(self, rows: np.ndarray) -> None:
        if rows.ndim != 2 or rows.shape[1] != self.width:
            raise ValueError(f"expected rows of width {self.width}, got shape {rows.shape}")
        need = self._n + rows.shape[0]
        if need > self._data.shape[0]:
            cap = max(need, self._data.shape[0] * 2)
            grown = np.zeros((cap, self.width), dtype=self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = rows
        self._n = need


class GrowableVector:
    """A 1-D numpy array with amortised O(1) appends."""

    def __init__(self, dtype: npt.DTypeLike, fill: int = 0) -> None:
        self._data: np.ndarray = np.full(1024, fill, dtype=dtype)
        self._fill = fill
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def view(self) -> np.ndarray:
        return self._data[: self._n]

    def append(self, values: np.ndarray) -> None:
        need = self._n + values.shape[0]
        if need > self._data.shape[0]:
            cap = max(need, self._data.shape[0] * 2)
            grown = np.full(cap, self._fill, dtype=self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = values
        self._n = need


class BankNames:
    """Bank name <-> small integer, plus a per-bank threshold vector."""

    def __init__(self, default_threshold: float) -> None:
        self.default_threshold = default_threshold
        self._ids: dict[str, int] = {}
        self.names: list[str] = []
        self._thresholds: list[float] = []

    def id_of(self, bank: str) -> int:
        got = self._ids.get(bank)
        if got is None:
            if not bank:
                raise ValueError("bank name must not be empty")
            if len(self.names) >= MAX_BANKS:
                raise ValueError(f"too many banks (at most {MAX_BANKS})")
            got = len(self.names)
            self._ids[bank] = got
            self.names.append(bank)
            self._thresholds.append(self.default_threshold)
        return got

    def known(self, bank: str) -> int | None:
        return self._ids.get(bank)

    def set_threshold(self, bank: str, threshold: float) -> None:
        self._thresholds[self.id_of(bank)] = threshold

    def threshold(self, bank: str) -> float:
        i = self._ids.get(bank)
        return self.default_threshold if i is None else self._thresholds[i]

    def thresholds(self) -> np.ndarray:
        return np.asarray(self._thresholds, dtype=np.float64)


@dataclass
class Segment(Generic[S]):
    lo: int
    hi: int
    structure: S


class SegmentedRows(Generic[S]):
    """Rows + ids + banks + tombstones, searched through merged segments."""

    def __init__(
        self,
        width: int,
        dtype: npt.DTypeLike,
        build: Callable[[np.ndarray, int], S],
    ) -> None:
        self.rows = GrowableRows(width, dtype)
        self.bank_ids = GrowableVector(np.uint16)
        self.alive = GrowableVector(np.bool_, fill=1)
        self.ids: list[str] = []
        self._build = build
        self.segments: list[Segment[S]] = []
        self.dead = 0

    def __len__(self) -> int:
        return len(self.ids) - self.dead

    def append(self, rows: np.ndarray, ids: Sequence[str], bank_id: int | np.ndarray) -> None:
        n = rows.shape[0]
        if len(ids) != n:
            raise ValueError("one id per row is required")
        self.rows.append(rows)
        banks = np.broadcast_to(np.asarray(bank_id, dtype=np.uint16), (n,))
        self.bank_ids.append(np.ascontiguousarray(banks))
        self.alive.append(np.ones(n, dtype=np.bool_))
        self.ids.extend(ids)

    def kill(self, rows: Iterable[int]) -> int:
        alive = self.alive.view
        killed = 0
        for r in rows:
            if alive[r]:
                alive[r] = False
                killed += 1
        self.dead += killed
        return killed

    def sealed(self) -> list[Segment[S]]:
        """Build structures for rows added since the last call; merge small segments."""
        n = len(self.rows)
        last = self.segments[-1].hi if self.segments else 0
        if last < n:
            self.segments.append(Segment(last, n, self._build(self.rows.view[last:n], last)))
            while len(self.segments) >= 2:
                a, b = self.segments[-2], self.segments[-1]
                if (b.hi - b.lo) * 2 < (a.hi - a.lo):
                    break
                merged = Segment(a.lo, b.hi, self._build(self.rows.view[a.lo : b.hi], a.lo))
                self.segments[-2:] = [merged]
        return self.segments

    def find_rows(self, entry_id: str, bank_id: int | None) -> list[int]:
        banks = self.bank_ids.view
        alive = self.alive.view
        return [
            i
            for i, e in enumerate(self.ids)
            if e == entry_id and alive[i] and (bank_id is None or banks[i] == bank_id)
        ]
