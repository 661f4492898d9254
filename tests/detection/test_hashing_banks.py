"""Bank file format (import/export), the HashBanks facade and FloodGuard."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from pathlib import Path

import pytest

from ronda.detection.hashing import (
    BankEntry,
    BankImportError,
    BankLineError,
    FloodGuard,
    HashBanks,
    export_entries,
    import_entries,
    read_bank_file,
)
from ronda.errors import BadInput

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
FILE = b"gambar promosi judi"
MD5 = hashlib.md5(FILE).hexdigest()
SHA = hashlib.sha256(FILE).hexdigest()
TEXT = (
    "Viralkan sebelum dihapus: mulai besok semua pesan WhatsApp dipantau dan dikenai biaya, "
    "info dari grup sebelah, sebarkan ke semua grup keluarga"
)

ENTRIES = [
    BankEntry("pdq", PDQ, "gif-ctr", "img-1", "terrorism", "propaganda poster"),
    BankEntry("md5", MD5, "judol", "file-1", "gambling"),
    BankEntry("video_md5", "d41d8cd98f00b204e9800998ecf8427e", "judol", "vid-1", "gambling"),
    BankEntry("sha256", SHA, "judol", "file-2", "gambling", 'quote " and, comma'),
    BankEntry("raw_text", TEXT, "hoaks", "txt-1", "hoax", "multi\nline note"),
    BankEntry("raw_text", "بسم الله — رسالة مهمة 🚨 انشرها", "hoaks", "txt-2", "hoax"),
]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_round_trip(fmt: str) -> None:
    buf = io.StringIO()
    assert export_entries(ENTRIES, buf, format=fmt) == len(ENTRIES)  # type: ignore[arg-type]
    errors: list[BankLineError] = []
    back = list(import_entries(io.StringIO(buf.getvalue()), errors=errors))
    assert errors == []
    assert back == ENTRIES


def test_file_round_trip_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    buf = io.StringIO()
    export_entries(ENTRIES, buf, format="csv")
    path.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")
    result = read_bank_file(path)
    assert result.errors == []
    assert result.entries == ENTRIES


def test_jsonl_bad_lines_are_reported_and_skipped() -> None:
    good = json.dumps(ENTRIES[0].to_dict())
    lines = [
        good,
        "{not json",
        "[1, 2]",
        json.dumps({**ENTRIES[1].to_dict(), "signal_type": "tlsh"}),
        json.dumps({**ENTRIES[1].to_dict(), "signal_value": "xyz"}),
        json.dumps({**ENTRIES[1].to_dict(), "category": "sports"}),
        json.dumps({**ENTRIES[1].to_dict(), "entry_id": ""}),
        "",
        json.dumps(ENTRIES[0].to_dict()),  # duplicate of line 1
        json.dumps({**ENTRIES[4].to_dict(), "signal_type": "text"}),  # alias accepted
    ]
    errors: list[BankLineError] = []
    got = list(import_entries(io.StringIO("\n".join(lines) + "\n"), errors=errors))
    assert [e.entry_id for e in got] == ["img-1", "txt-1"]
    assert got[1].signal_type == "raw_text"
    by_line = {e.line: e.message for e in errors}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 9]
    assert "not valid JSON" in by_line[2]
    assert "not a JSON object" in by_line[3]
    assert "unsupported signal_type 'tlsh'" in by_line[4]
    assert "MD5" in by_line[5]
    assert "category 'sports'" in by_line[6]
    assert "entry_id is missing" in by_line[7]
    assert "duplicate entry_id 'img-1'" in by_line[9] and "line 1" in by_line[9]
    assert str(errors[0]).startswith("line 2: ")


def test_csv_bad_rows_keep_line_numbers() -> None:
    data = (
        "signal_type,signal_value,bank,entry_id,category,note\n"
        f"pdq,{PDQ},b,ok-1,terrorism,\n"
        f'raw_text,"two\nlines",b,ok-2,hoax,\n'
        "pdq,nothex,b,bad-1,terrorism,\n"
        "md5,only,three\n"
        f"sha256,{SHA},b,ok-3,gambling,fine\n"
    )
    errors: list[BankLineError] = []
    got = list(import_entries(io.StringIO(data), errors=errors))
    assert [e.entry_id for e in got] == ["ok-1", "ok-2", "ok-3"]
    assert [(e.line, e.message.split(" (")[0]) for e in errors] == [
        (5, "'nothex' is not a PDQ hash"),
        (6, "expected 6 fields, found 3"),
    ]


def test_csv_without_required_header_is_refused() -> None:
    with pytest.raises(BankImportError, match="lacks column"):
        list(import_entries(io.StringIO("hash,label\nabc,x\n")))
    assert issubclass(BankImportError, BadInput)


def test_errors_are_logged_when_not_collected(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        got = list(import_entries(io.StringIO('{"signal_type": "pdq"}\n')))
    assert got == []
    assert "line 1" in caplog.text


def test_empty_file() -> None:
    assert list(import_entries(io.StringIO("\n\n"))) == []


# -- facade ------------------------------------------------------------------------------


def test_hash_banks_route_and_match() -> None:
    banks = HashBanks()
    assert banks.add_entries(ENTRIES) == len(ENTRIES)
    assert len(banks) == len(ENTRIES)
    with pytest.raises(BadInput, match="already"):
        banks.add(ENTRIES[0])

    pdq = banks.match_pdq(PDQ)
    assert [m.entry.entry_id for m in pdq] == ["img-1"]
    assert pdq[0].distance == 0.0

    files = banks.match_file(FILE)
    assert sorted(m.entry.entry_id for m in files) == ["file-1", "file-2"]
    assert banks.match_digests(md5="d41d8cd98f00b204e9800998ecf8427e")[0].entry.entry_id == "vid-1"

    text = banks.match_text(TEXT.upper() + "!!")
    assert [m.entry.entry_id for m in text] == ["txt-1"]
    assert text[0].entry.category == "hoax"
    assert text[0].similarity > 0.9

    assert banks.remove("hoaks", "txt-1")
    assert banks.match_text(TEXT) == []
    assert not banks.remove("hoaks", "txt-1")


def test_hash_banks_load_and_dump() -> None:
    src = io.StringIO()
    export_entries(ENTRIES, src)
    banks = HashBanks()
    assert banks.load(io.StringIO(src.getvalue())) == []
    again = banks.load(io.StringIO(src.getvalue()))
    assert [e.line for e in again] == list(range(1, len(ENTRIES) + 1))
    assert "already in bank 'gif-ctr'" in again[0].message
    out = io.StringIO()
    assert banks.dump(out) == len(ENTRIES)
    assert sorted(out.getvalue().splitlines()) == sorted(src.getvalue().splitlines())


def test_hash_banks_thresholds() -> None:
    banks = HashBanks()
    banks.add(ENTRIES[0])
    near = PDQ[:-2] + format(int(PDQ[-2:], 16) ^ 0xFF, "02x")  # 8 bits away
    assert banks.match_pdq(near)[0].distance == 8
    banks.set_pdq_threshold("gif-ctr", 5)
    assert banks.match_pdq(near) == []
    banks.set_text_threshold("hoaks", 0.95)


# -- flood guard ---------------------------------------------------------------------------


def test_flood_guard_quarantines_on_a_burst() -> None:
    guard = FloodGuard(window_seconds=60, max_matches=3)
    decisions = [guard.record("bank/e1", t) for t in (0, 10, 20)]
    assert not any(d.quarantined for d in decisions)
    d = guard.record("bank/e1", 30)
    assert d.quarantined and d.newly_quarantined and d.matches_in_window == 4
    again = guard.record("bank/e1", 31)
    assert again.quarantined and not again.newly_quarantined
    assert guard.quarantined() == {"bank/e1": 30.0}
    assert not guard.is_quarantined("bank/e2")


def test_flood_guard_slow_matches_never_quarantine() -> None:
    guard = FloodGuard(window_seconds=60, max_matches=3)
    for t in range(0, 3600, 25):  # one match every 25 s: at most 3 per minute
        assert not guard.record("e", float(t)).quarantined
    assert guard.matches_in_window("e", 3575) == 3


def test_flood_guard_out_of_order_and_release() -> None:
    guard = FloodGuard(window_seconds=10, max_matches=2)
    guard.record("e", 100)
    guard.record("e", 95)
    assert guard.record("e", 98).quarantined
    guard.release("e")
    assert not guard.is_quarantined("e")
    assert not guard.record("e", 101).quarantined


def test_flood_guard_state_round_trip_as_numbers() -> None:
    guard = FloodGuard(window_seconds=60, max_matches=2)
    for t in (1, 2, 3):
        guard.record("a", t)
    guard.record("b", 50)
    state = guard.dump()
    assert json.loads(json.dumps(state)) == state
    assert state["a"]["quarantined_at"] == 3.0
    assert len(state["a"]["times"]) <= 3  # bounded: max_matches + 1 timestamps
    restored = FloodGuard.load(60, 2, state)
    assert restored.is_quarantined("a")
    assert restored.record("b", 51).matches_in_window == 2
    assert restored.record("b", 52).newly_quarantined
    assert restored.prune(1000) == 0  # quarantined entries are kept
    fresh = FloodGuard.load(60, 2, {"c": {"times": [1.0], "quarantined_at": None}})
    assert fresh.prune(1000) == 1


def test_flood_guard_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        FloodGuard(0, 3)
    with pytest.raises(ValueError):
        FloodGuard(10, 0)
    with pytest.raises(ValueError):
        FloodGuard(10, 1).record("e", float("nan"))
    with pytest.raises(ValueError):
        FloodGuard.load(10, 1, {"e": {"times": "x"}})
