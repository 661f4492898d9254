"""``ronda scan``: the summary, bad lines reported and skipped, idempotent re-runs."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from ronda.cli.main import app
from ronda.detection.models import Case, Post, Signal

runner = CliRunner()

GAMBLING = "SLOT GACOR hari ini!! depo 10rb langsung MAXWIN, daftar sekarang bosku"
CLEAN = "Besok kita rapat RT jam tujuh malam di balai warga"


def line(post_id: int, text: str, **extra) -> bytes:
    record = {
        "post_id": post_id,
        "channel": "kanal_scan",
        "channel_title": "Kanal Scan",
        "text": text,
        **extra,
    }
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def jsonl(tmp_path: Path) -> Path:
    (tmp_path / "not-an-image.jpg").write_bytes(b"GIF? no, just text\n")
    data = b"".join(
        [
            line(
                1, GAMBLING, views=1200, subscribers=50_000, date="2026-11-20T10:00:00+07:00"
            ),  # 1
            line(2, CLEAN),  # 2
            b'{"post_id": 3, "channel": "kanal_scan", "text": "unterminated\n',  # 3
            b'{"post_id": 4, "text": "no channel"}\n',  # 4
            line(5, "x" * (1024 * 1024)),  # 5: a 1 MB post
            b'{"post_id": 6, "channel": "kanal_scan", "text": "caf\xe9 \xff"}\n',  # 6
            line(7, "lihat gambar", media=[{"path": "not-an-image.jpg"}]),  # 7
            b"\n",  # 8: blank, ignored
            b"[1, 2, 3]\n",  # 9
            line(10, "Pasang togel HK malam ini, bandar terpercaya"),  # 10
            line(11, CLEAN, channel="ab"),  # 11: not a username
        ]
    )
    path = tmp_path / "posts.jsonl"
    path.write_bytes(data)
    return path


# rules and hash banks are deterministic; OCR stays on (it is named after its binary)
DETECTORS = ["-d", "rules", "-d", "hashbank", "-d", "tesseract"]


def scan(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    extra = [] if "--detector" in args or "-d" in args else DETECTORS
    result = runner.invoke(app, ["scan", *args, *extra], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_scan_reports_bad_lines_and_goes_on(factory, settings, tmp_path):
    path = jsonl(tmp_path)
    code, out, err = scan(str(path), "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["lines"] == 11
    assert summary["posts"] == 4 and summary["scanned"] == 3 and summary["new_posts"] == 3
    skipped = {s["line"]: s["reason"] for s in summary["skipped_lines"]}
    assert sorted(skipped) == [3, 4, 5, 6, 7, 9, 11]
    assert skipped[3].startswith("not valid JSON")
    assert skipped[4] == "missing field 'channel'"
    assert "over the limit" in skipped[5]
    assert skipped[6].startswith("not valid UTF-8 (byte 0xe9")
    assert skipped[7].startswith("media 0:") and "not an image" in skipped[7]
    assert skipped[9] == "not a JSON object"
    assert "username too short" in skipped[11]
    assert summary["skipped"] == 7
    assert summary["skipped_by_reason"]["invalid JSON"] == 2
    assert summary["cases_opened"] == {"gambling": 2}
    assert summary["detectors"]["rules"]
    assert any(s["detector"] == "rules" and s["category"] == "gambling" for s in summary["signals"])
    assert summary["posts_per_second"] > 0
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 3
        stored = s.scalar(select(Post).where(Post.platform_post_id == 1))
        assert stored.views == 1200 and stored.subscribers == 50_000
        assert stored.channel_title == "Kanal Scan" and stored.date.hour == 3  # UTC


def test_scanning_twice_changes_nothing(factory, settings, tmp_path):
    path = jsonl(tmp_path)
    assert scan(str(path), "--json")[0] == 0
    with factory() as s:
        before = [s.scalar(select(func.count()).select_from(m)) for m in (Post, Signal, Case)]
    code, out, _ = scan(str(path), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["new_posts"] == 0 and summary["cases_opened"] == {}
    with factory() as s:
        assert [
            s.scalar(select(func.count()).select_from(m)) for m in (Post, Signal, Case)
        ] == before


def test_the_table_summary_names_what_was_skipped(factory, settings, tmp_path):
    code, out, err = scan(str(jsonl(tmp_path)), "--batch-size", "2")
    assert code == 0, err
    assert "4 posts from 11 lines" in out
    assert "gambling" in out and "Signals by category" in out
    assert "skipped 7 line(s)" in out
    assert "line 4: missing field 'channel'" in out
    assert "line 7: media 0:" in out


def test_scan_reads_standard_input_and_can_limit_detectors(factory, settings):
    data = line(1, GAMBLING) + line(2, CLEAN)
    code, out, err = scan("-", "--json", "--detector", "rules", stdin=data)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["posts"] == 2 and list(summary["detectors"]) == ["rules"]


def test_a_file_of_only_bad_lines_fails(factory, settings, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"nope\n{}\n")
    code, out, _ = scan(str(path), "--json")
    assert code == 1 and json.loads(out)["skipped"] == 2
    code, _, err = scan(str(tmp_path / "missing.jsonl"))
    assert code == 1 and "no such file" in err
    assert gc.isenabled(), "the scan pauses the garbage collector and must restart it"
