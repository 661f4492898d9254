"""`ronda classify` and `ronda model eval` through typer's CliRunner and the installed script."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from ronda.cli.classify import classify
from ronda.cli.model import app as model_app
from ronda.detection.classifier import CATEGORIES, load_default_model
from ronda.detection.langid import LANGUAGES

runner = CliRunner()
classify_app = typer.Typer()
classify_app.command()(classify)

LINES = [
    "Main slot gacor di situs terpercaya, deposit 10rb langsung maxwin!",
    "",
    "Hari ini aku senang banget bisa ketemu teman lama",
    "Thank you for coming to our wedding",
]


def test_classify_prints_one_json_object_per_line() -> None:
    result = runner.invoke(classify_app, [], input="\n".join(LINES) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(LINES)
    for obj in out:
        assert set(obj) == {"labels", "scores", "language"}
        assert list(obj["scores"]) == list(CATEGORIES)
        assert all(0.0 <= v <= 1.0 and round(v, 4) == v for v in obj["scores"].values())
        assert set(obj["labels"]) <= set(CATEGORIES)
        assert obj["language"] in LANGUAGES
    assert out[0]["labels"] == ["gambling"]
    assert out[2]["labels"] == [] and out[2]["language"] == "id"
    assert out[3]["language"] == "en"


def test_classify_batches_and_auto_threshold() -> None:
    text = "\n".join(["slot gacor maxwin hari ini"] * 5 + ["selamat pagi"]) + "\n"
    result = runner.invoke(classify_app, ["--threshold", "auto", "--batch-size", "2"], input=text)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 6
    assert out[-1]["labels"] == []


def test_classify_rejects_unknown_threshold() -> None:
    result = runner.invoke(classify_app, ["--threshold", "maybe"], input="x\n")
    assert result.exit_code != 0


def _write_csv(path: Path) -> None:
    rows = [
        ("Daftar slot gacor sekarang, deposit kecil maxwin besar", "1"),
        ("Situs togel dan slot terpercaya, WD cepat tanpa potongan", "1"),
        ("Videonya lucu banget, kodoknya bisa nyanyi", "0"),
        ("Makan siang apa hari ini?", "0"),
        ("Paket anda tertahan, cek resi di aplikasi ini: Cek_Resi.apk", "9"),
    ]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["komentar", "kelas"])
        writer.writerows(rows)


def test_eval_reports_per_category_metrics(tmp_path: Path) -> None:
    data = tmp_path / "sample.csv"
    _write_csv(data)
    args = [
        "eval",
        "--data",
        str(data),
        "--text-column",
        "komentar",
        "--label-column",
        "kelas",
        "--map",
        "1=gambling",
        "--map",
        "0=none",
        "--json",
    ]
    result = runner.invoke(model_app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 5
    gambling = report["categories"]["gambling"]
    assert gambling["support"] == 2 and gambling["recall"] == 1.0
    assert set(report["categories"]) == set(CATEGORIES)
    assert report["threshold"] == "review" and report["model"] == load_default_model().version
    for m in report["categories"].values():
        assert set(m) >= {"precision", "recall", "f1", "macro_f1", "support", "threshold"}
        assert 0.0 <= m["macro_f1"] <= 1.0
        assert m["tp"] + m["fn"] == m["support"] and m["n"] == 5
        # macro-F1 = mean of the positive-class F1 and the negative-class F1
        tn = m["n"] - m["tp"] - m["fp"] - m["fn"]
        neg_f1 = 2 * tn / (2 * tn + m["fp"] + m["fn"]) if tn else 0.0
        assert abs(m["macro_f1"] - (m["f1"] + neg_f1) / 2) < 1e-3
    # the unmapped value 9 makes its row a negative everywhere: scam has no support
    assert report["categories"]["scam"]["support"] == 0
    assert report["categories"]["scam"]["fp"] == 1


def test_eval_rejects_bad_input(tmp_path: Path) -> None:
    data = tmp_path / "sample.csv"
    _write_csv(data)
    bad_column = runner.invoke(
        model_app,
        ["eval", "--data", str(data), "--text-column", "teks", "--label-column", "kelas", "--json"],
    )
    assert bad_column.exit_code == 1
    bad_map = runner.invoke(
        model_app,
        [
            "eval",
            "--data",
            str(data),
            "--text-column",
            "komentar",
            "--label-column",
            "kelas",
            "--map",
            "1=casino",
        ],
    )
    assert bad_map.exit_code == 1


def _ronda(args: list[str], stdin: str) -> subprocess.CompletedProcess[str]:
    """The installed ``ronda`` script, i.e. ``ronda.cli.entry:run``, as a user runs it."""
    script = Path(sys.executable).with_name("ronda")
    return subprocess.run(
        [str(script), *args], input=stdin, capture_output=True, text=True, check=False
    )


def test_the_short_way_in_prints_what_the_whole_cli_prints() -> None:
    text = "\n".join(LINES) + "\n"
    for args in (["classify"], ["classify", "--threshold", "auto", "--batch-size", "2"]):
        fast = _ronda(args, text)
        whole = subprocess.run(
            [sys.executable, "-m", "ronda", *args],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        assert fast.returncode == whole.returncode == 0, fast.stderr + whole.stderr
        assert fast.stdout == whole.stdout
        assert len(fast.stdout.splitlines()) == len(LINES)
    bad = _ronda(["classify", "--threshold", "nope"], "")
    assert bad.returncode == 2 and "review, auto" in bad.stderr
    # everything else still reaches the whole command tree
    helped = _ronda(["--help"], "")
    assert helped.returncode == 0 and "takedowns" in helped.stdout and "scan" in helped.stdout
    assert _ronda(["--version"], "").stdout.startswith("ronda ")


def test_reading_labelled_csv_restores_the_csv_field_limit(tmp_path: Path) -> None:
    from ronda.detection.classifier.data import _read_csv
    from ronda.detection.classifier.evaluate import read_labelled_csv

    before = csv.field_size_limit()
    big = "kata " * 40_000  # 200,000 characters: over the csv module's default limit
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["text", "label"], [big, "1"], ["pendek", "0"]])
    texts, values = read_labelled_csv(path, "text", "label")
    assert texts == [big, "pendek"] and values == ["1", "0"]
    assert csv.field_size_limit() == before
    assert [r["label"] for r in _read_csv(path)] == ["1", "0"]
    assert csv.field_size_limit() == before  # intake relies on the default limit
