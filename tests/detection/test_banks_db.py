"""Hash banks stored in the database: CLI import/export, matches, thresholds, flood quarantine."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ronda.audit.models import AuditEvent
from ronda.cli.main import app
from ronda.detection import service
from ronda.detection.models import BankEntry, Signal
from ronda.detection.pipeline import Pipeline, PipelineConfig
from ronda.detection.schemas import PostIn
from ronda.errors import BadInput, Conflict, NotFound

runner = CliRunner()

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "9e107d9d372bb6826bd81d3542a419d6"
SHA = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
HOAX = (
    "VIRALKAN SEBELUM DIHAPUS!!! Vaksin mengandung chip pelacak dari luar negeri, "
    "sebarkan ke semua grup keluarga agar mereka tahu kebenarannya sekarang juga"
)


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def flip(hex_hash: str, bits: int) -> str:
    """The same PDQ hash with ``bits`` bits flipped."""
    value = int(hex_hash, 16)
    for b in random.Random(bits).sample(range(256), bits):
        value ^= 1 << b
    return f"{value:064x}"


def post(post_id: int, text: str = "", channel: str = "kanal_bank", **extra: Any) -> PostIn:
    return PostIn.model_validate({"post_id": post_id, "channel": channel, "text": text, **extra})


def scan(factory, pipeline: Pipeline, posts: list[PostIn]):
    with factory() as s:
        result = pipeline.run(s, posts, source="scan")
        s.commit()
    return result


def bank_signals(outcome) -> list:
    return [s for s in outcome.signals if s.detector == "hashbank"]


def test_import_and_export_round_trip_through_the_cli(factory, settings, tmp_path):
    lines = [
        {
            "signal_type": "pdq",
            "signal_value": PDQ,
            "bank": "gifct-pdq",
            "entry_id": "img-1",
            "category": "terrorism",
            "note": "flag",
        },
        {
            "signal_type": "pdq",
            "signal_value": flip(PDQ, 80),
            "bank": "gifct-pdq",
            "entry_id": "img-2",
            "category": "terrorism",
            "note": "",
        },
        {
            "signal_type": "md5",
            "signal_value": MD5,
            "bank": "judol-files",
            "entry_id": "file-1",
            "category": "gambling",
            "note": "banner",
        },
        {
            "signal_type": "raw_text",
            "signal_value": HOAX,
            "bank": "hoaks-viral",
            "entry_id": "t-17",
            "category": "hoax",
            "note": "Mafindo 2025-03",
        },
    ]
    src = tmp_path / "bank.jsonl"
    src.write_text(
        "\n".join(json.dumps(x, ensure_ascii=False) for x in lines)
        + '\n{"signal_type":"pdq","signal_value":"nothex","bank":"gifct-pdq","entry_id":"bad","category":"terrorism"}\n',
        encoding="utf-8",
    )
    code, out, err = cli("bank", "import", str(src), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["added"] == 4
    assert sorted(summary["created_banks"]) == ["gifct-pdq", "hoaks-viral", "judol-files"]
    assert len(summary["errors"]) == 1 and summary["errors"][0].startswith("line 5:")

    code, out, _ = cli("bank", "import", str(src), "--json")
    assert json.loads(out)["added"] == 0 and len(json.loads(out)["duplicates"]) == 4

    exported = []
    for name in ("gifct-pdq", "judol-files", "hoaks-viral"):
        target = tmp_path / f"{name}.jsonl"
        code, _, err = cli("bank", "export", name, "-o", str(target))
        assert code == 0, err
        exported += [json.loads(x) for x in target.read_text(encoding="utf-8").splitlines()]
    key = lambda e: (e["bank"], e["entry_id"])  # noqa: E731
    assert sorted(exported, key=key) == sorted(lines, key=key)

    # CSV out, and back in under another bank name
    code, out, _ = cli("bank", "export", "gifct-pdq", "--format", "csv")
    assert out.splitlines()[0] == "signal_type,signal_value,bank,entry_id,category,note"
    csv_file = tmp_path / "copy.csv"
    csv_file.write_text(out, encoding="utf-8")
    assert cli("bank", "create", "copy-pdq", "--type", "pdq", "--threshold", "20")[0] == 0
    code, out, err = cli("bank", "import", str(csv_file), "--bank", "copy-pdq", "--json")
    assert json.loads(out)["added"] == 2, err

    code, out, _ = cli("bank", "list", "--json")
    banks = {b["name"]: b for b in map(json.loads, out.splitlines())}
    assert banks["copy-pdq"]["threshold"] == 20 and banks["copy-pdq"]["entries"] == 2
    assert banks["hoaks-viral"]["signal_type"] == "raw_text"
    assert banks["hoaks-viral"]["threshold"] == pytest.approx(0.7)


def test_bank_commands_check_their_input(factory, settings):
    assert cli("bank", "create", "b-one", "--type", "pdq")[0] == 0
    code, _, err = cli("bank", "create", "b-one", "--type", "pdq")
    assert code == 1 and "already a bank" in err
    code, _, err = cli("bank", "create", "b-two", "--type", "phash")
    assert code == 1 and "unknown bank type" in err
    code, _, err = cli("bank", "create", "b-three", "--type", "raw_text", "--threshold", "3")
    assert code == 1 and "similarity" in err
    code, _, err = cli("bank", "add", "b-one", "zz", "--category", "terrorism")
    assert code == 1 and "PDQ" in err
    code, _out, err = cli(
        "bank", "add", "b-one", PDQ.upper(), "--category", "terrorism", "--id", "x1"
    )
    assert code == 0, err
    code, _, err = cli("bank", "add", "b-one", PDQ, "--category", "terrorism")
    assert code == 1 and "already has" in err
    code, _, err = cli("bank", "add", "nope", PDQ, "--category", "terrorism")
    assert code == 1 and "no bank" in err
    code, _, err = cli("bank", "release", "b-one/x1")
    assert code == 1 and "not quarantined" in err
    with factory() as s:
        with pytest.raises(NotFound):
            service.find_entry(s, "b-one/none")
        with pytest.raises(BadInput):
            service.find_entry(s, "nothing")


def test_pdq_matches_follow_each_banks_threshold(factory, settings):
    with factory() as s:
        service.create_bank(s, name="strict", signal_type="pdq", threshold=10)
        service.create_bank(s, name="loose", signal_type="pdq", threshold=31)
        service.add_entry(s, bank="strict", value=PDQ, category="terrorism", entry_id="s1")
        service.add_entry(s, bank="loose", value=PDQ, category="terrorism", entry_id="l1")
        s.commit()
    pipeline = Pipeline(entry_points=False)
    result = scan(
        factory,
        pipeline,
        [
            post(1, media=[{"pdq": PDQ}]),
            post(2, media=[{"pdq": flip(PDQ, 20)}]),
            post(3, media=[{"pdq": flip(PDQ, 45)}]),
        ],
    )
    exact, near, far = result.outcomes
    assert {m["bank"] for m in bank_signals(exact)[0].evidence["matches"]} == {"strict", "loose"}
    sig = bank_signals(near)[0]
    assert [m["bank"] for m in sig.evidence["matches"]] == ["loose"]
    match = sig.evidence["matches"][0]
    assert match["distance"] == 20 and match["external_id"] == "l1"
    assert match["media_index"] == 0 and sig.evidence["source"] == "media"
    assert sig.category == "terrorism" and sig.flagged and sig.version == "hashbank-1"
    assert bank_signals(far) == []
    assert near.cases[0].category == "terrorism"


def test_text_bank_finds_near_duplicates_above_its_threshold(factory, settings):
    with factory() as s:
        service.create_bank(s, name="hoaks", signal_type="raw_text", threshold=0.7)
        service.create_bank(s, name="hoaks-exact", signal_type="raw_text", threshold=0.99)
        service.add_entry(s, bank="hoaks", value=HOAX, category="hoax", entry_id="t1")
        service.add_entry(s, bank="hoaks-exact", value=HOAX, category="hoax", entry_id="t2")
        s.commit()
    edited = HOAX.replace("VIRALKAN", "Viralkan").replace("sekarang juga", "sekarang juga ya")
    result = scan(
        factory,
        Pipeline(entry_points=False),
        [post(1, edited), post(2, "Jadwal posyandu bulan ini hari Sabtu di balai desa")],
    )
    near, other = result.outcomes
    sig = bank_signals(near)[0]
    banks = {m["bank"]: m for m in sig.evidence["matches"]}
    assert "hoaks" in banks and "hoaks-exact" not in banks
    assert 0.7 <= banks["hoaks"]["similarity"] < 1 and sig.evidence["source"] == "text"
    assert bank_signals(other) == []


def test_file_hash_match_and_disabled_bank(factory, settings):
    with factory() as s:
        service.create_bank(s, name="judol-files", signal_type="md5")
        service.create_bank(s, name="sha-files", signal_type="sha256")
        service.add_entry(s, bank="judol-files", value=MD5, category="gambling")
        service.add_entry(s, bank="sha-files", value=SHA, category="porn")
        s.commit()
    pipeline = Pipeline(entry_points=False)
    got = scan(factory, pipeline, [post(1, media=[{"md5": MD5}, {"sha256": SHA}])]).outcomes[0]
    assert {s.category for s in bank_signals(got)} == {"gambling", "porn"}
    with factory() as s:
        service.set_bank_enabled(s, name="judol-files", enabled=False)
        s.commit()
    # the same process notices the change before its next batch
    got = scan(factory, pipeline, [post(2, media=[{"md5": MD5}])]).outcomes[0]
    assert bank_signals(got) == []
    with factory() as s:
        service.set_bank_enabled(s, name="judol-files", enabled=True)
        s.commit()
    assert bank_signals(scan(factory, pipeline, [post(3, media=[{"md5": MD5}])]).outcomes[0])


def test_a_flooding_entry_is_quarantined_until_released(factory, settings):
    with factory() as s:
        service.create_bank(s, name="judol-files", signal_type="md5")
        entry_id = service.add_entry(s, bank="judol-files", value=MD5, category="gambling").id
        s.commit()
    clock = [1_000.0]
    config = PipelineConfig(flood_window_seconds=600, flood_max_matches=3)
    pipeline = Pipeline(config, entry_points=False, clock=lambda: clock[0])
    media = [{"md5": MD5}]
    first = scan(factory, pipeline, [post(i, media=media) for i in (1, 2)])
    assert all(bank_signals(o) for o in first.outcomes)
    # re-scanning the same posts is not a flood: nothing is counted again
    scan(factory, pipeline, [post(i, media=media) for i in (1, 2)])
    clock[0] += 60
    second = scan(factory, pipeline, [post(i, media=media) for i in (3, 4, 5)])
    assert [bool(bank_signals(o)) for o in second.outcomes] == [True, False, False]
    assert second.quarantined == [entry_id]
    with factory() as s:
        entry = s.get(BankEntry, entry_id)
        assert entry.quarantined_at is not None and entry.match_count == 3
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "bank_entry.quarantined"))
        assert event.object_id == str(entry_id)
        assert event.data["max_matches"] == 3 and event.data["window_seconds"] == 600
    # held in every process: a new pipeline does not match it either
    assert not bank_signals(
        scan(factory, Pipeline(config, entry_points=False), [post(6, media=media)]).outcomes[0]
    )
    code, out, err = cli("bank", "entries", "--quarantined", "--json")
    assert json.loads(out.splitlines()[0])["id"] == entry_id

    code, out, err = cli("bank", "release", str(entry_id))
    assert code == 0, err
    with factory() as s:
        entry = s.get(BankEntry, entry_id)
        assert entry.quarantined_at is None and entry.recent_matches == []
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "bank_entry.released"))
    again = scan(factory, pipeline, [post(7, media=media)]).outcomes[0]
    assert bank_signals(again)
    code, _, err = cli("bank", "release", str(entry_id))
    assert code == 1 and "not quarantined" in err


def test_flood_window_slides(factory, settings):
    with factory() as s:
        service.create_bank(s, name="judol-files", signal_type="md5")
        service.add_entry(s, bank="judol-files", value=MD5, category="gambling")
        s.commit()
    clock = [0.0]
    pipeline = Pipeline(
        PipelineConfig(flood_window_seconds=100, flood_max_matches=2),
        entry_points=False,
        clock=lambda: clock[0],
    )
    for i in range(1, 7):  # one match every 60 s: never more than 2 within 100 s
        clock[0] += 60
        assert bank_signals(scan(factory, pipeline, [post(i, media=[{"md5": MD5}])]).outcomes[0])
    with factory() as s:
        assert s.scalar(select(BankEntry.quarantined_at)) is None
        assert s.scalar(select(BankEntry.match_count)) == 6


def test_wrong_type_and_unknown_bank_on_import(factory, settings):
    with factory() as s:
        service.create_bank(s, name="pdq-only", signal_type="pdq")
        result = service.add_entries(
            s,
            [
                service.hashing.BankEntry("md5", MD5, "pdq-only", "f1", "gambling"),
                service.hashing.BankEntry("pdq", PDQ, "missing-bank", "p1", "terrorism"),
            ],
        )
        assert result.added == 0 and len(result.errors) == 2
        with pytest.raises(Conflict):
            service.create_bank(s, name="pdq-only", signal_type="pdq")


def test_bank_signals_are_stored_with_evidence(factory, settings):
    with factory() as s:
        service.create_bank(s, name="judol-files", signal_type="md5")
        service.add_entry(s, bank="judol-files", value=MD5, category="gambling", entry_id="f-9")
        s.commit()
    scan(factory, Pipeline(entry_points=False), [post(1, media=[{"md5": MD5}])])
    with factory() as s:
        row = s.scalar(select(Signal).where(Signal.detector == "hashbank"))
        match = row.evidence["matches"][0]
        assert (match["bank"], match["external_id"], match["distance"]) == ("judol-files", "f-9", 0)
        assert row.detector_version == "hashbank-1" and row.flagged
