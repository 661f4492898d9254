"""Normalisation: styled Unicode, invisibles, leetspeak, spacing, stretching, slang."""

import pytest

from ronda.detection.normalize import collapse_repeats, fold_unicode, normalize, normalize_batch


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("𝓼𝓵𝓸𝓽 𝓰𝓪𝓬𝓸𝓻", "slot gacor"),  # mathematical script
        ("𝐒𝐋𝐎𝐓 𝙂𝘼𝘾𝙊𝙍", "slot gacor"),  # bold / sans bold italic
        ("ＳＬＯＴ ＧＡＣＯＲ", "slot gacor"),  # full width
        ("Ⓢⓛⓞⓣ", "slot"),  # circled
        ("🅂🄻🄾🅃", "slot"),  # squared
        ("🅢🅛🅞🅣", "slot"),  # negative circled
        ("🆂🅻🅾🆃", "slot"),  # negative squared: NFKC leaves these alone
        ("🇸🇱🇴🇹", "slot"),  # regional indicators
        ("ᴊᴜᴅɪ ᴏɴʟɪɴᴇ", "judi online"),  # small capitals
        ("ѕlоt", "slot"),  # Cyrillic look-alikes
        ("s̲l̲o̲t̲", "slot"),  # combining underline
        ("【S】【L】【O】【T】", "slot"),  # decorative brackets then spaced letters
    ],
)
def test_styled_unicode_folds_to_ascii(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_zero_width_and_invisible_characters_are_removed() -> None:
    assert normalize("sl\u200bot ga\u200dc\u2060or\ufeff") == "slot gacor"
    assert normalize("ju\u00addi") == "judi"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("g4c0r", "gacor"),
        ("sl0t", "slot"),
        ("m4xw1n", "maxwin"),
        ("4l3x1s", "alexis"),
        ("j@ckpot", "jackpot"),
    ],
)
def test_leetspeak_inside_mixed_tokens(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["2026", "100rb", "5juta", "slot88", "4d", "bukit4d", "covid19"])
def test_numbers_and_amounts_survive(raw: str) -> None:
    assert normalize(raw) == raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("main s l o t yuk", "main slot yuk"),
        ("j u d i", "judi"),
        ("J.U.D.I online", "judi online"),
        ("s-l-0-t", "slot"),
        ("S  L  O  T", "slot"),
    ],
)
def test_spaced_letters_are_joined(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_two_single_letters_are_not_joined() -> None:
    assert normalize("a b") == "a b"


def test_repeated_letters_collapse_but_doubles_stay() -> None:
    assert normalize("gaaacorrr") == "gacor"
    assert normalize("maaf saat allah") == "maaf saat allah"
    assert collapse_repeats("bangettt") == "banget"
    assert normalize("1000") == "1000"


def test_slang_maps_to_formal_indonesian() -> None:
    assert normalize("yg udh tdk") == "yang sudah tidak"
    # words that carry a signal or are ambiguous are not rewritten
    assert normalize("wa bca slot gacor") == "wa bca slot gacor"


def test_case_and_whitespace() -> None:
    assert normalize("  Halo\n\tKAK   ") == "halo kak"


def test_batch_matches_single_and_keeps_positions() -> None:
    texts = ["𝓼𝓵𝓸𝓽", "", "yg", "a\x00b", "s l o t", "Biasa saja."]
    assert normalize_batch(texts) == [normalize(t) for t in texts]
    assert len(normalize_batch(texts)) == len(texts)
    assert normalize_batch([]) == []


def test_fold_unicode_keeps_ascii_untouched() -> None:
    assert fold_unicode("Halo Kak") == "Halo Kak"
    assert fold_unicode("café") == "cafe"
