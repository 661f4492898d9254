"""The bank cache's loader: enabled entries of enabled banks, indexed in memory.

It reads the tables that flood control writes (``recent_matches``), so a
reloaded process continues counting where the others left off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ronda.detection import hashing
from ronda.detection.detectors import BankSnapshot
from ronda.detection.models import BANK_GENERATION, Bank, BankEntry
from ronda.takedowns.models import Counter

__all__ = ["bank_generation", "load_bank_snapshot"]


def bank_generation(session: Session) -> int:
    """Bumped by every change to banks or entries: in-memory indexes reload when it moves."""
    value = session.scalar(select(Counter.value).where(Counter.name == BANK_GENERATION))
    return int(value or 0)


def load_bank_snapshot(
    session: Session, *, normalizer: Callable[[Sequence[str]], list[str]] | None = None
) -> tuple[BankSnapshot, dict[str, dict[str, object]]]:
    """Index enabled entries of enabled banks; also return their flood state for the guard."""
    generation = bank_generation(session)
    banks = hashing.HashBanks()
    info: dict[str, tuple[str, str]] = {}
    flood: dict[str, dict[str, object]] = {}
    snap = BankSnapshot(banks, generation, info)
    rows = session.execute(
        select(
            BankEntry.id,
            BankEntry.signal_type,
            BankEntry.value,
            BankEntry.external_id,
            BankEntry.category,
            BankEntry.recent_matches,
            Bank.name,
            Bank.threshold,
        )
        .join(Bank, Bank.id == BankEntry.bank_id)
        .where(
            Bank.enabled.is_(True),
            BankEntry.enabled.is_(True),
            BankEntry.quarantined_at.is_(None),
        )
        .order_by(BankEntry.id)
    )
    texts: list[tuple[int, str]] = []
    entries: list[hashing.BankEntry] = []
    for eid, stype, value, external, category, recent, bank, threshold in rows:
        key = str(eid)
        info[key] = (external, stype)
        if recent:
            flood[key] = {"times": list(recent), "quarantined_at": None}
        kind = hashing.SIGNAL_TYPES[stype]
        if kind == "text":
            banks.set_text_threshold(bank, float(threshold))
            texts.append((len(entries), value))
            snap.text_entries += 1
        elif kind == "pdq":
            banks.set_pdq_threshold(bank, int(threshold))
            snap.pdq_entries += 1
        else:
            snap.file_entries += 1
        entries.append(hashing.BankEntry(stype, value, bank, key, category))
    if texts and normalizer is not None:
        normalized = normalizer([v for _, v in texts])
        for (i, raw), norm in zip(texts, normalized, strict=True):
            e = entries[i]
            value = norm if hashing.canonical_text(norm) else raw
            entries[i] = hashing.BankEntry(e.signal_type, value, e.bank, e.entry_id, e.category)
    banks.add_entries(entries)
    return snap, flood
