"""Hash banks in the database: create, add, import, export, enable, release from quarantine.

Services take the session first and flush; the CLI command, the request or
the job commits. Every change is audited and bumps the bank generation
counter, which makes every process's in-memory bank index reload before its
next batch. Storing scan results (posts, signals, cases, channel risk) is
``record_batch``, re-exported here from ``ronda.detection.pipeline.store``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from ronda.audit import service as audit
from ronda.db.base import utcnow
from ronda.db.counters import next_value
from ronda.db.upsert import insert_ignore, member_of
from ronda.detection import hashing
from ronda.detection.models import BANK_GENERATION, Bank, BankEntry
from ronda.detection.pipeline.banks import bank_generation, load_bank_snapshot
from ronda.detection.pipeline.store import (
    CaseRef,
    FloodControl,
    PostSignal,
    ScannedPost,
    StoredPost,
    channel_score,
    reach_weight,
    record_batch,
)
from ronda.detection.schemas import BankEntryRead, BankRead
from ronda.errors import BadInput, Conflict, NotFound

__all__ = [
    "BANK_TYPES",
    "AddResult",
    "CaseRef",
    "FloodControl",
    "PostSignal",
    "ScannedPost",
    "StoredPost",
    "add_entries",
    "add_entry",
    "bank_generation",
    "channel_score",
    "create_bank",
    "export_bank",
    "find_entry",
    "get_bank",
    "import_bank_file",
    "list_banks",
    "list_entries",
    "load_bank_snapshot",
    "reach_weight",
    "record_batch",
    "release_entry",
    "set_bank_enabled",
]

BANK_TYPES = ("pdq", "md5", "sha256", "raw_text")
DEFAULT_THRESHOLDS = {"pdq": 31.0, "raw_text": 0.7, "md5": 0.0, "sha256": 0.0}
_ENTRIES: Table = BankEntry.__table__  # type: ignore[assignment]
_IN_CHUNK = 900


def _changed(session: Session) -> None:
    next_value(session, BANK_GENERATION)


def _kind(signal_type: str) -> str:
    return hashing.SIGNAL_TYPES[signal_type]


def _check_threshold(signal_type: str, threshold: float) -> float:
    if signal_type == "pdq" and not (0 <= threshold <= 256 and float(threshold).is_integer()):
        raise BadInput("a PDQ threshold is a whole number of bits from 0 to 256")
    if signal_type == "raw_text" and not 0 < threshold <= 1:
        raise BadInput("a raw_text threshold is a similarity in (0, 1]")
    return float(threshold)


def create_bank(
    session: Session,
    *,
    name: str,
    signal_type: str,
    threshold: float | None = None,
    note: str = "",
    actor: str = "system",
) -> Bank:
    name = name.strip()
    if not name or len(name) > 200 or any(ch in name for ch in "\r\n\t/"):
        raise BadInput("a bank name is 1-200 characters without '/', tabs or line breaks")
    signal_type = {"text": "raw_text"}.get(signal_type, signal_type)
    if signal_type not in BANK_TYPES:
        raise BadInput(f"unknown bank type {signal_type!r} (one of {', '.join(BANK_TYPES)})")
    if session.scalar(select(Bank.id).where(Bank.name == name)) is not None:
        raise Conflict(f"there is already a bank named {name!r}")
    value = DEFAULT_THRESHOLDS[signal_type] if threshold is None else threshold
    bank = Bank(
        name=name,
        signal_type=signal_type,
        threshold=_check_threshold(signal_type, value),
        enabled=True,
        note=note,
    )
    session.add(bank)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="bank.created",
        object_type="bank",
        object_id=name,
        data={"signal_type": signal_type, "threshold": bank.threshold},
    )
    _changed(session)
    return bank


def get_bank(session: Session, name: str) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        raise NotFound(f"no bank named {name!r}")
    return bank


def list_banks(session: Session) -> list[BankRead]:
    counts = {
        bank_id: (int(n), int(q or 0))
        for bank_id, n, q in session.execute(
            select(
                BankEntry.bank_id,
                func.count(),
                func.count(BankEntry.quarantined_at),
            ).group_by(BankEntry.bank_id)
        )
    }
    return [
        BankRead(
            name=b.name,
            signal_type=b.signal_type,
            threshold=b.threshold,
            enabled=b.enabled,
            entries=counts.get(b.id, (0, 0))[0],
            quarantined=counts.get(b.id, (0, 0))[1],
            note=b.note,
        )
        for b in session.scalars(select(Bank).order_by(Bank.name))
    ]


def set_bank_enabled(session: Session, *, name: str, enabled: bool, actor: str = "system") -> Bank:
    bank = get_bank(session, name)
    if bank.enabled != enabled:
        bank.enabled = enabled
        audit.record(
            session,
            actor=actor,
            action="bank.enabled" if enabled else "bank.disabled",
            object_type="bank",
            object_id=name,
        )
        _changed(session)
    return bank


@dataclass
class AddResult:
    added: int = 0
    duplicates: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    created_banks: list[str] = field(default_factory=list)


def add_entries(
    session: Session,
    entries: Iterable[hashing.BankEntry],
    *,
    create_banks: bool = False,
    actor: str = "system",
) -> AddResult:
    """Store validated entries in the banks they name (entries already there are reported)."""
    result = AddResult()
    banks = {b.name: b for b in session.scalars(select(Bank))}
    by_bank: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        bank = banks.get(e.bank)
        if bank is None:
            if not create_banks:
                result.errors.append(f"{e.entry_id}: no bank named {e.bank!r}")
                continue
            bank = create_bank(
                session, name=e.bank, signal_type=_base_type(e.signal_type), actor=actor
            )
            banks[e.bank] = bank
            result.created_banks.append(e.bank)
        if _kind(e.signal_type) != _kind(bank.signal_type):
            result.errors.append(
                f"{e.entry_id}: a {e.signal_type} entry cannot go in the {bank.signal_type} bank {bank.name!r}"
            )
            continue
        by_bank[bank.id].append(
            {
                "bank_id": bank.id,
                "signal_type": e.signal_type,
                "value": e.signal_value,
                "value_digest": hashlib.sha256(e.signal_value.encode()).hexdigest(),
                "external_id": e.entry_id,
                "category": e.category,
                "note": e.note,
                "enabled": True,
                "match_count": 0,
                "recent_matches": [],
                "created_at": utcnow(),
            }
        )
    for bank_id, rows in by_bank.items():
        known: set[tuple[str, str]] = set()
        ext: set[str] = set()
        for start in range(0, len(rows), _IN_CHUNK):
            chunk = rows[start : start + _IN_CHUNK]
            for stype, digest, external in session.execute(
                select(BankEntry.signal_type, BankEntry.value_digest, BankEntry.external_id).where(
                    BankEntry.bank_id == bank_id,
                    member_of(BankEntry.value_digest, [r["value_digest"] for r in chunk], session)
                    | member_of(BankEntry.external_id, [r["external_id"] for r in chunk], session),
                )
            ):
                known.add((stype, digest))
                ext.add(external)
        fresh = []
        for r in rows:
            if (r["signal_type"], r["value_digest"]) in known or r["external_id"] in ext:
                result.duplicates.append(r["external_id"])
                continue
            known.add((r["signal_type"], r["value_digest"]))
            ext.add(r["external_id"])
            fresh.append(r)
        insert_ignore(session, _ENTRIES, fresh)
        result.added += len(fresh)
    if result.added:
        audit.record(
            session,
            actor=actor,
            action="bank_entries.added",
            object_type="bank",
            object_id=",".join(sorted({b.name for b in banks.values() if b.id in by_bank})),
            data={"added": result.added, "duplicates": len(result.duplicates)},
        )
        _changed(session)
    return result


def _base_type(signal_type: str) -> str:
    return {"video_md5": "md5", "video_sha256": "sha256"}.get(signal_type, signal_type)


def add_entry(
    session: Session,
    *,
    bank: str,
    value: str,
    category: str,
    entry_id: str | None = None,
    note: str = "",
    actor: str = "system",
) -> BankEntry:
    """Add one entry to an existing bank (its type is the bank's); returns the stored row."""
    target = get_bank(session, bank)
    stype = target.signal_type
    external = entry_id or hashlib.sha256(value.strip().encode()).hexdigest()[:16]
    try:
        entry = hashing.parse_entry(
            {
                "signal_type": stype,
                "signal_value": value,
                "bank": bank,
                "entry_id": external,
                "category": category,
                "note": note,
            }
        )
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    result = add_entries(session, [entry], actor=actor)
    if result.errors:
        raise BadInput(result.errors[0])
    if result.duplicates:
        raise Conflict(f"bank {bank!r} already has this value or the entry id {external!r}")
    row = session.scalar(
        select(BankEntry).where(BankEntry.bank_id == target.id, BankEntry.external_id == external)
    )
    assert row is not None
    return row


def import_bank_file(
    session: Session,
    fp: TextIO,
    *,
    bank: str | None = None,
    create_banks: bool = True,
    actor: str = "system",
) -> tuple[AddResult, list[hashing.BankLineError]]:
    """Import a bank file (JSONL or CSV, docs/hash-banks.md); bad lines are reported, not fatal.

    ``bank`` puts every entry in that bank, whatever the file says.
    """
    errors: list[hashing.BankLineError] = []
    entries = list(hashing.import_entries(fp, errors=errors))
    if bank is not None:
        get_bank(session, bank)
        entries = [
            hashing.BankEntry(e.signal_type, e.signal_value, bank, e.entry_id, e.category, e.note)
            for e in entries
        ]
    return add_entries(session, entries, create_banks=create_banks, actor=actor), errors


def export_bank(
    session: Session,
    name: str,
    fp: TextIO,
    *,
    format: Literal["jsonl", "csv"] = "jsonl",
    include_held: bool = False,
) -> int:
    """Write a bank in the exchange format; disabled and quarantined entries only if asked."""
    bank = get_bank(session, name)
    query = select(BankEntry).where(BankEntry.bank_id == bank.id).order_by(BankEntry.id)
    if not include_held:
        query = query.where(BankEntry.enabled.is_(True), BankEntry.quarantined_at.is_(None))
    rows = session.scalars(query)
    return hashing.export_entries(
        (
            hashing.BankEntry(r.signal_type, r.value, name, r.external_id, r.category, r.note)
            for r in rows
        ),
        fp,
        format=format,
    )


def find_entry(session: Session, ref: str) -> BankEntry:
    """An entry by database id (``17``) or by ``bank/entry_id``."""
    ref = ref.strip()
    if ref.isdigit():
        row = session.get(BankEntry, int(ref))
    else:
        bank_name, sep, external = ref.rpartition("/")
        if not sep:
            raise BadInput("name an entry by its id or as BANK/ENTRY_ID")
        row = session.scalar(
            select(BankEntry)
            .join(Bank, Bank.id == BankEntry.bank_id)
            .where(Bank.name == bank_name, BankEntry.external_id == external)
        )
    if row is None:
        raise NotFound(f"no bank entry {ref!r}")
    return row


def list_entries(
    session: Session, *, bank: str | None = None, quarantined: bool = False, limit: int = 1000
) -> list[BankEntryRead]:
    query = select(BankEntry, Bank.name).join(Bank, Bank.id == BankEntry.bank_id)
    if bank is not None:
        query = query.where(Bank.name == bank)
    if quarantined:
        query = query.where(BankEntry.quarantined_at.is_not(None))
    rows = session.execute(query.order_by(BankEntry.id).limit(limit))
    return [
        BankEntryRead(
            id=e.id,
            bank=name,
            external_id=e.external_id,
            signal_type=e.signal_type,
            category=e.category,
            enabled=e.enabled,
            quarantined_at=e.quarantined_at,
            match_count=e.match_count,
            note=e.note,
            value=e.value if len(e.value) <= 200 else e.value[:199] + "…",
        )
        for e, name in rows
    ]


def release_entry(session: Session, *, ref: str, actor: str = "system") -> BankEntry:
    """Lift an entry's flood quarantine after review; its match window starts afresh."""
    entry = find_entry(session, ref)
    if entry.quarantined_at is None:
        raise Conflict(f"bank entry {entry.id} is not quarantined")
    held_since = entry.quarantined_at
    entry.quarantined_at = None
    entry.recent_matches = []
    audit.record(
        session,
        actor=actor,
        action="bank_entry.released",
        object_type="bank_entry",
        object_id=entry.id,
        data={"quarantined_at": held_since.isoformat(), "external_id": entry.external_id},
    )
    _changed(session)
    return entry
