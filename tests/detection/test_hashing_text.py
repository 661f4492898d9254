"""Near-duplicate text index (MinHash + LSH)."""

from __future__ import annotations

import random

import pytest

from ronda.detection.hashing import TextIndex, canonical_text

GAMBLING = (
    "Lagi cari situs yang gampang menang? Main di MAWARTOTO aja, depo 10 ribu bisa wd "
    "ratusan ribu, pola gacor dibagi tiap malam jam sembilan. Daftar lewat link di bio, "
    "admin fast respon 24 jam dan bonus member baru seratus persen!"
)
HOAX = (
    "PENTING!!! Mulai besok semua pesan WhatsApp akan dipantau pemerintah dan dikenai "
    "biaya. Info ini dari teman yang kerja di Kominfo. Sebarkan ke semua grup keluarga "
    "sebelum dihapus, jangan berhenti di anda."
)
ARABIC = (
    "بسم الله الرحمن الرحيم، هذه رسالة مهمة إلى جميع الإخوة في المجموعة، يرجى قراءتها "
    "بعناية ونشرها بين الأصدقاء والعائلة قبل أن تحذف من الشبكة، والله الموفق"
)
HINDI = (
    "यह संदेश बहुत महत्वपूर्ण है, कृपया इसे अपने सभी दोस्तों और परिवार के साथ साझा करें "
    "इससे पहले कि इसे हटा दिया जाए, सरकार ने नई घोषणा की है"
)
EMOJI = "🎰🎰 JACKPOT 🔥🔥 main sekarang 💰💰 menang terus 🤑🤑 link di bio 👉👉 jangan sampai ketinggalan 🚀🚀"


def edit(text: str, n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(n):
        pos = rng.randrange(len(chars))
        op = rng.randrange(3)
        if op == 0:
            chars[pos] = "x"
        elif op == 1:
            chars.insert(pos, "!")
        else:
            del chars[pos]
    return "".join(chars)


@pytest.fixture
def index() -> TextIndex:
    idx = TextIndex()
    idx.add_many(
        [("g1", GAMBLING), ("h1", HOAX), ("a1", ARABIC), ("d1", HINDI), ("e1", EMOJI)],
        bank="known",
    )
    filler = [
        (f"n{i}", f"catatan harian nomor {i}: hari ini cuaca cerah dan saya pergi ke pasar {i * 7}")
        for i in range(200)
    ]
    idx.add_many(filler, bank="noise")
    return idx


def ids(matches: list) -> list[str]:
    return [m.entry_id for m in matches]


def test_canonical_text_folds_case_width_style_and_invisibles() -> None:
    assert canonical_text("  SLOT\u200b  GACOR!!  ") == "slot gacor"
    assert canonical_text("𝐬𝐥𝐨𝐭 ｇａｃｏｒ") == "slot gacor"
    assert canonical_text("👍🏽 ok") == canonical_text("👍 ok")
    # marks are kept: Devanagari vowel signs and Arabic harakat are not separators
    assert canonical_text("नमस्ते") == "नमस्ते"
    assert canonical_text("بِسْمِ") == "بِسْمِ"


def test_exact_match(index: TextIndex) -> None:
    got = index.query(GAMBLING)
    assert ids(got)[0] == "g1"
    assert got[0].similarity == 1.0
    assert got[0].distance == 0.0
    assert got[0].bank == "known"


def test_near_duplicate_with_edits(index: TextIndex) -> None:
    for seed in range(5):
        got = index.query(edit(GAMBLING, 4, seed))
        assert ids(got)[:1] == ["g1"], seed
        assert 0.7 <= got[0].similarity < 1.0


def test_near_duplicate_with_case_spacing_and_zero_width(index: TextIndex) -> None:
    variant = HOAX.upper().replace(" ", "  ").replace("grup", "gr\u200bup")
    assert ids(index.query(variant))[:1] == ["h1"]


@pytest.mark.parametrize(
    ("text", "entry"),
    [(ARABIC, "a1"), (HINDI, "d1"), (EMOJI, "e1")],
)
def test_non_ascii_scripts(index: TextIndex, text: str, entry: str) -> None:
    assert ids(index.query(text))[:1] == [entry]
    assert ids(index.query(edit(text, 3, 1)))[:1] == [entry]


def test_styled_unicode_matches_plain(index: TextIndex) -> None:
    bold = "".join(chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in GAMBLING)
    assert bold != GAMBLING
    assert ids(index.query(bold))[:1] == ["g1"]


def test_unrelated_texts_do_not_match(index: TextIndex) -> None:
    for text in (
        "Resep rendang daging sapi: bumbu dihaluskan, masak dengan santan selama tiga jam.",
        "Jadwal kereta commuter line Bogor Jakarta hari Senin berubah karena perbaikan rel.",
        "",
        "!!!",
    ):
        assert index.query(text) == []


def test_threshold_per_bank() -> None:
    idx = TextIndex(default_threshold=0.7)
    idx.add("s", GAMBLING, bank="strict")
    idx.add("l", GAMBLING, bank="loose")
    idx.set_threshold("strict", 1.0)
    assert idx.threshold("strict") == 1.0
    assert idx.threshold("loose") == 0.7
    exact = idx.query(GAMBLING)
    assert sorted(ids(exact)) == ["l", "s"]
    edited = idx.query(edit(GAMBLING, 4, 2))
    assert ids(edited) == ["l"]


def test_bad_thresholds_and_empty_entries() -> None:
    idx = TextIndex()
    with pytest.raises(ValueError):
        idx.set_threshold("b", 0.0)
    with pytest.raises(ValueError):
        idx.set_threshold("b", 1.5)
    with pytest.raises(ValueError, match="empty"):
        idx.add("x", " ... ", bank="b")


def test_batch_equals_single(index: TextIndex) -> None:
    queries = [GAMBLING, edit(HOAX, 3), ARABIC, "tidak ada", edit(EMOJI, 2), HINDI]
    assert [ids(r) for r in index.query_batch(queries)] == [ids(index.query(q)) for q in queries]


def test_incremental_adds_between_queries() -> None:
    idx = TextIndex()
    for i in range(40):
        idx.add(f"e{i}", f"{HOAX} nomor seri {i} {'abcdefghij'[i % 10] * 5}", bank="b")
        got = idx.query(f"{HOAX} nomor seri {i} {'abcdefghij'[i % 10] * 5}")
        assert f"e{i}" in ids(got)
    assert len(idx) == 40
    # segments are merged, not one per add
    assert len(idx._store.segments) <= 7


def test_remove_entry_and_bank(index: TextIndex) -> None:
    assert index.remove("g1", "known") == 1
    assert index.query(GAMBLING) == []
    assert index.remove("g1") == 0
    assert index.remove_bank("noise") == 200
    assert len(index) == 4


def test_normalizer_is_applied() -> None:
    idx = TextIndex(normalizer=lambda t: t.replace("4", "a").replace("0", "o"))
    idx.add("g", GAMBLING, bank="b")
    leet = GAMBLING.replace("a", "4").replace("o", "0")
    assert ids(idx.query(leet)) == ["g"]
