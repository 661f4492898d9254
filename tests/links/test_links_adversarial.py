"""Large and pathological inputs: extraction must finish and stay correct.

No strict timing here (the machine is shared); the generous bound on the
10,000-link case only catches an accidental quadratic algorithm.
"""

from __future__ import annotations

import time

import pytest

from ronda.links import Invalid, Reference, extract, parse

MEGABYTE = 1_000_000

PATHOLOGICAL = {
    "at signs": "@" * MEGABYTE,
    "at-letter pairs": "@a" * (MEGABYTE // 2),
    "host repeated": "t.me/" * (MEGABYTE // 5),
    "host repeated with spaces": "t.me/ " * (MEGABYTE // 30),
    "long username": "t.me/" + "a" * MEGABYTE,
    "long mention": "@" + "a" * MEGABYTE + ".com",
    "long query": "t.me/durov_chan?" + "x" * MEGABYTE + "!",
    "schemes": "https://" * (MEGABYTE // 8),
    "defanged dots": "t[.]" * (MEGABYTE // 4),
    "spelled dots": "t dot " * (MEGABYTE // 6),
    "labels before host": "a." * (MEGABYTE // 2) + "t.me/durov_chan",
    "subdomain chains": "x.t.me" * (MEGABYTE // 6),
    "tg prefixes": "tg:" * (MEGABYTE // 3),
    "long tg action": "tg://" + "a" * MEGABYTE,
    "many segments": "t.me/" + "1/" * (MEGABYTE // 2),
    "huge private id": "t.me/c/" + "1" * MEGABYTE + "/5",
    "huge post id": "t.me/durov_chan/" + "9" * MEGABYTE,
    "zero width only": "\u200b" * MEGABYTE,
    "zero width interleaved": "a\u200b" * (MEGABYTE // 10),
    "zero width inside many links": "t\u200b.me/du\u200brov_chan " * (MEGABYTE // 100),
    "full width": "ｔ．ｍｅ／" * (MEGABYTE // 5),
    "e-mail addresses": "someone.else@t.me " * (MEGABYTE // 18),
    "brackets": "([{<" * (MEGABYTE // 4),
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_completes(text: str) -> None:
    found = extract(text)
    assert len(found) <= 2
    for result in found:
        assert result.raw in text


def test_pathological_results_are_sensible() -> None:
    assert extract(PATHOLOGICAL["at signs"]) == []
    assert extract(PATHOLOGICAL["e-mail addresses"]) == []
    assert [r.reason for r in extract(PATHOLOGICAL["huge post id"]) if isinstance(r, Invalid)] == [
        "post id is too large"
    ]
    assert [
        r.reason for r in extract(PATHOLOGICAL["huge private id"]) if isinstance(r, Invalid)
    ] == ["private channel id is too large"]
    (long_name,) = extract(PATHOLOGICAL["long username"])
    assert isinstance(long_name, Invalid)
    assert long_name.reason == f"username too long ({MEGABYTE} characters)"
    (hidden,) = extract(PATHOLOGICAL["zero width inside many links"])
    assert isinstance(hidden, Reference)
    assert hidden.canonical == "https://t.me/durov_chan"


def test_five_megabytes_of_prose_with_links() -> None:
    chunk = "Pemerintah meminta pemblokiran kanal judi daring berikut ini segera. " * 75
    text = (chunk + "https://t.me/judi_slot88/12 @promo_togel ") * 1000
    assert len(text) > 5 * MEGABYTE
    found = extract(text)
    assert [r.canonical for r in found if isinstance(r, Reference)] == [
        "https://t.me/judi_slot88/12",
        "https://t.me/promo_togel",
    ]


def test_ten_thousand_distinct_links() -> None:
    forms = [
        "https://t.me/kanal{i:05d}x",
        "t.me/kanal{i:05d}x/{i}",
        "@kanal{i:05d}x",
        "hxxps[:]//t[.]me/s/kanal{i:05d}x/{i}?single",
        "t.me/joinchat/Hash{i:05d}AbCd",
    ]
    lines = [f"{i + 1}. kanal judi: " + forms[i % 5].format(i=i) + "." for i in range(10_000)]
    text = "\n".join(lines)
    started = time.perf_counter()
    found = extract(text)
    elapsed = time.perf_counter() - started
    assert len(found) == 10_000
    assert all(isinstance(r, Reference) for r in found)
    assert elapsed < 2.0, f"10,000 links took {elapsed:.2f}s"


def test_parse_of_a_huge_cell_completes() -> None:
    result = parse("t.me/durov_chan " * (MEGABYTE // 16))
    assert isinstance(result, Invalid)
    assert result.reason == "more than one reference"
