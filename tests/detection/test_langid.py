"""Language identification on a few sentences per language and the held-out set."""

import csv
from pathlib import Path

import pytest

from ronda.detection.langid import LANGUAGES, detect_language, detect_language_batch

HELD_OUT = Path(__file__).resolve().parents[2] / "datasets" / "ronda-written" / "langid-heldout.csv"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Saya mau pergi ke pasar besok pagi, kamu ikut nggak?", "id"),
        ("Gimana kabarnya? Udah lama banget nggak ketemu", "id"),
        ("Kerajaan akan umumkan cuti umum esok, awak tak perlu pergi kerja", "ms"),
        ("Jom makan kat kedai tu, saya belanja", "ms"),
        ("Aku ora ngerti kowe arep lunga neng endi", "jv"),
        ("Matur nuwun, kula sampun dhahar", "jv"),
        ("Abdi teu acan tuang, anjeun tos?", "su"),
        ("Hatur nuhun pisan, wilujeng enjing", "su"),
        ("Thank you for the update, we will check it tomorrow", "en"),
        ("السلام عليكم ورحمة الله وبركاته", "ar"),
        ("你好，我们明天见", "other"),
        ("🔥🔥🔥", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_styled_text_is_read_through_folding() -> None:
    assert detect_language("𝓢𝓪𝔂𝓪 𝓽𝓲𝓭𝓪𝓴 𝓽𝓪𝓱𝓾 𝓴𝓮𝓷𝓪𝓹𝓪 𝓭𝓲𝓪 𝓹𝓮𝓻𝓰𝓲") == "id"


def test_batch_and_label_set() -> None:
    texts = ["Saya suka makan", "the and is", "عربي"]
    out = detect_language_batch(texts)
    assert out == [detect_language(t) for t in texts]
    assert set(out) <= set(LANGUAGES)


def test_held_out_accuracy() -> None:
    with HELD_OUT.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 100
    correct = sum(detect_language(r["text"]) == r["label"] for r in rows)
    assert correct / len(rows) >= 0.9
