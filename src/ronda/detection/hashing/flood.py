"""Flood protection for bank entries (pure logic, no storage).

A bank entry that suddenly matches a great many posts is more likely a bad
entry (a hash of a common meme or a stock photo, a text bank entry that is a
greeting) than a real wave of harmful content.  ``FloodGuard`` watches match
events per entry and says when an entry has had more than ``max_matches`` matches
within ``window_seconds``: the entry should then be quarantined (its matches held
for human review instead of acting) until a lead releases it.

State is plain numbers so another component can keep it in a database:
``FloodGuard.dump()`` gives ``{entry_key: {"times": [...], "quarantined_at": x}}``
and ``FloodGuard.load(window_seconds, max_matches, state)`` restores it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["EntryFloodState", "FloodDecision", "FloodGuard"]


@dataclass
class EntryFloodState:
    """Timestamps (seconds, ascending) of the latest matches, at most max_matches + 1 kept."""

    times: list[float] = field(default_factory=list)
    quarantined_at: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {"times": list(self.times), "quarantined_at": self.quarantined_at}


@dataclass(frozen=True, slots=True)
class FloodDecision:
    entry_key: str
    matches_in_window: int
    quarantined: bool  # the entry is (now or already) quarantined
    newly_quarantined: bool  # this event tipped it over


class FloodGuard:
    """Quarantine an entry that gets more than ``max_matches`` matches in ``window_seconds``."""

    def __init__(self, window_seconds: float, max_matches: int) -> None:
        if not (window_seconds > 0 and math.isfinite(window_seconds)):
            raise ValueError("window_seconds must be a positive number")
        if max_matches < 1:
            raise ValueError("max_matches must be at least 1")
        self.window_seconds = float(window_seconds)
        self.max_matches = int(max_matches)
        self._state: dict[str, EntryFloodState] = {}

    def record(self, entry_key: str, at: float) -> FloodDecision:
        """Record one match of ``entry_key`` at time ``at`` (seconds, e.g. a Unix time).

        Events may arrive slightly out of order; they are kept sorted.
        """
        if not math.isfinite(at):
            raise ValueError("timestamp must be a finite number")
        st = self._state.setdefault(entry_key, EntryFloodState())
        bisect.insort(st.times, float(at))
        latest = st.times[-1]
        self._trim(st, latest)
        count = len(st.times)
        newly = False
        if st.quarantined_at is None and count > self.max_matches:
            st.quarantined_at = latest
            newly = True
        return FloodDecision(entry_key, count, st.quarantined_at is not None, newly)

    def _trim(self, st: EntryFloodState, now: float) -> None:
        cutoff = now - self.window_seconds
        drop = bisect.bisect_right(st.times, cutoff)
        keep_from = max(drop, len(st.times) - (self.max_matches + 1))
        if keep_from:
            del st.times[:keep_from]

    def is_quarantined(self, entry_key: str) -> bool:
        st = self._state.get(entry_key)
        return st is not None and st.quarantined_at is not None

    def quarantined(self) -> dict[str, float]:
        """Entries in quarantine and when they went in."""
        return {
            k: st.quarantined_at for k, st in self._state.items() if st.quarantined_at is not None
        }

    def matches_in_window(self, entry_key: str, now: float) -> int:
        st = self._state.get(entry_key)
        if st is None:
            return 0
        lo = bisect.bisect_right(st.times, now - self.window_seconds)
        hi = bisect.bisect_right(st.times, now)
        return hi - lo

    def release(self, entry_key: str) -> None:
        """A reviewer cleared the entry: lift the quarantine and start counting afresh."""
        self._state.pop(entry_key, None)

    def prune(self, now: float) -> int:
        """Forget entries with no match in the window and not quarantined; returns how many."""
        cutoff = now - self.window_seconds
        idle = [
            k
            for k, st in self._state.items()
            if st.quarantined_at is None and (not st.times or st.times[-1] <= cutoff)
        ]
        for k in idle:
            del self._state[k]
        return len(idle)

    def dump(self) -> dict[str, dict[str, object]]:
        """The whole state as plain JSON-able numbers."""
        return {k: st.to_dict() for k, st in self._state.items()}

    @classmethod
    def load(
        cls,
        window_seconds: float,
        max_matches: int,
        state: Mapping[str, Mapping[str, object]],
    ) -> FloodGuard:
        guard = cls(window_seconds, max_matches)
        for key, raw in state.items():
            times_raw = raw.get("times", [])
            if not isinstance(times_raw, list | tuple):
                raise ValueError(f"flood state of {key!r}: times must be a list of numbers")
            times = sorted(float(t) for t in times_raw)
            q = raw.get("quarantined_at")
            if q is not None and not isinstance(q, int | float):
                raise ValueError(f"flood state of {key!r}: quarantined_at must be a number or null")
            st = EntryFloodState(times, None if q is None else float(q))
            if st.times:
                guard._trim(st, st.times[-1])
            guard._state[key] = st
        return guard
