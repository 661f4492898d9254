"""`ronda links extract`, driven through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ronda.cli.links import app

runner = CliRunner()

ORDER = (
    "Yth. Kominfo, mohon blokir:\n"
    "1. https://t.me/Judi_Slot88\n"
    "2. t.me/s/judi_slot88/1205?single.\n"
    "3. @abc\n"
    "4. ｔ．ｍｅ／ｐｒｏｍｏ＿ｔｏｇｅｌ\n"
    "Terima kasih, admin@kominfo.go.id\n"
)


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_extract_from_a_file(tmp_path: Path) -> None:
    source = tmp_path / "order.txt"
    source.write_text(ORDER, encoding="utf-8")
    result = runner.invoke(app, ["extract", str(source)])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert lines(result.stdout) == [
        {
            "kind": "channel",
            "canonical": "https://t.me/judi_slot88",
            "username": "judi_slot88",
            "post_id": None,
            "raw": "https://t.me/Judi_Slot88",
        },
        {
            "kind": "post",
            "canonical": "https://t.me/judi_slot88/1205",
            "username": "judi_slot88",
            "post_id": 1205,
            "raw": "t.me/s/judi_slot88/1205?single",
        },
        {"kind": "invalid", "raw": "@abc", "reason": "username too short (3 characters)"},
        {
            "kind": "channel",
            "canonical": "https://t.me/promo_togel",
            "username": "promo_togel",
            "post_id": None,
            "raw": "ｔ．ｍｅ／ｐｒｏｍｏ＿ｔｏｇｅｌ",
        },
    ]
    # ensure_ascii=False: the raw fragment is printed as written, not \u-escaped
    assert "ｔ．ｍｅ／ｐｒｏｍｏ＿ｔｏｇｅｌ" in result.stdout


def test_extract_from_stdin_when_file_is_missing_or_dash() -> None:
    for args in (["extract"], ["extract", "-"]):
        result = runner.invoke(app, args, input=ORDER)
        assert result.exit_code == 0, result.output
        assert [row["kind"] for row in lines(result.stdout)] == [
            "channel",
            "post",
            "invalid",
            "channel",
        ]


def test_only_valid_leaves_out_invalid_fragments() -> None:
    result = runner.invoke(app, ["extract", "--only-valid"], input=ORDER)
    assert result.exit_code == 0
    assert [row["canonical"] for row in lines(result.stdout)] == [
        "https://t.me/judi_slot88",
        "https://t.me/judi_slot88/1205",
        "https://t.me/promo_togel",
    ]


def test_each_subject_is_printed_once_for_the_whole_input() -> None:
    text = "t.me/durov_chan\n" * 500 + "@Durov_Chan\n" * 500 + "@abc\n" * 3
    result = runner.invoke(app, ["extract"], input=text)
    assert result.exit_code == 0
    assert lines(result.stdout) == [
        {
            "kind": "channel",
            "canonical": "https://t.me/durov_chan",
            "username": "durov_chan",
            "post_id": None,
            "raw": "t.me/durov_chan",
        },
        {"kind": "invalid", "raw": "@abc", "reason": "username too short (3 characters)"},
    ]


def test_no_subject_prints_nothing() -> None:
    result = runner.invoke(app, ["extract"], input="tidak ada tautan di sini, a@b.com\n")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_missing_file_is_an_error_with_exit_code_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    result = runner.invoke(app, ["extract", str(missing)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {missing}: no such file\n"


def test_directory_is_an_error_with_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["extract", str(tmp_path)])
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_invalid_utf8_is_decoded_with_replacement_and_a_warning(tmp_path: Path) -> None:
    source = tmp_path / "legacy.txt"
    source.write_bytes(b"Kanal \xe9\xff: https://t.me/durov_chan dan @other_chan\n")
    result = runner.invoke(app, ["extract", str(source)])
    assert result.exit_code == 0
    assert [row["canonical"] for row in lines(result.stdout)] == [
        "https://t.me/durov_chan",
        "https://t.me/other_chan",
    ]
    assert result.stderr == (
        f"warning: {source} is not valid UTF-8 (first bad byte at offset 6); "
        "undecodable bytes were replaced with U+FFFD\n"
    )


def test_utf8_byte_order_mark_is_ignored() -> None:
    result = runner.invoke(app, ["extract"], input="\ufeff@durov_chan".encode())
    assert result.exit_code == 0
    assert lines(result.stdout)[0]["raw"] == "@durov_chan"
    assert result.stderr == ""


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "extract" in result.output
    assert "Usage" in result.output


def test_extract_help_mentions_stdin() -> None:
    result = runner.invoke(app, ["extract", "--help"])
    assert result.exit_code == 0
    assert "standard input" in result.output
    assert "--only-valid" in result.output
