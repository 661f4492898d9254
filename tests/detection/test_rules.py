"""Tests of the rules detector (ronda.detection.rules) with the shipped policy."""

from __future__ import annotations

import textwrap
import unicodedata
from pathlib import Path

import pytest

from ronda.detection.rules import PolicyError, RuleResult, RuleSet
from ronda.errors import BadInput


def norm(text: str) -> str:
    """Stand-in for the project normaliser: NFKC, case-fold, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet.load(normalizer=None)


def run(rules: RuleSet, text: str) -> RuleResult:
    return rules.match(text, norm(text))


# -- the shipped policy ------------------------------------------------------------


def test_shipped_policy_loads_with_version(rules: RuleSet) -> None:
    assert rules.version
    assert len(rules) >= 30
    cats = {rid.split(".")[0] for rid in rules.rule_ids}
    assert cats == {"terrorism", "gambling", "scam", "porn", "hate", "hoax", "spam"}


def test_auto_normalizer_load_does_not_fail() -> None:
    # "auto" uses ronda.detection.normalize when it exists, and works without it
    assert RuleSet.load().version


POSITIVES = [
    ("terrorism", "Ikhwan fillah, saatnya berbaiat kepada amirul mukminin dan hijrah ke Syam."),
    ("terrorism", "Anshar daulah wajib i'dad, perangi thaghut dan aparatnya!"),
    ("terrorism", "Amaliyah istisyhadiyah adalah jalan para mujahidin melawan kafir harbi."),
    ("terrorism", "Khilafah hanya tegak dengan jihad qital, bukan dengan demokrasi."),
    ("gambling", "Slot gacor hari ini! RTP live 98%, auto maxwin, WD lancar tanpa ribet"),
    ("gambling", "Bandar togel terpercaya, bonus new member 100%, depo 10k via dana"),
    ("gambling", "Main di MAWARTOTO aja bos, jp terus"),
    ("gambling", "link alternatif login gacor88 anti blokir, daftar sekarang"),
    ("gambling", "slot88 deposit pulsa tanpa potongan, scatter hitam turun terus"),
    ("scam", "Pinjaman online cair 5 menit tanpa BI checking, cukup KTP!"),
    (
        "scam",
        "Selamat anda mendapatkan hadiah, klik link berikut untuk verifikasi: bit.ly/hadiah-bri",
    ),
    ("scam", "Paket anda sudah sampai, lihat paket.apk untuk konfirmasi pengiriman"),
    ("scam", "DANA kaget hari ini, klik link dan klaim saldo gratis sebelum habis"),
    ("scam", "Kerja paruh waktu dari rumah, cukup like video YouTube, komisi Rp 50.000 per hari"),
    ("scam", "Investasi aman profit 10% per hari, modal kecil untung besar"),
    ("porn", "Open BO area Jaksel, include room, DM untuk tarif"),
    ("porn", "Jual video bokep full durasi tanpa sensor, grup VIP"),
    ("porn", "VCS real no tipu, tarif murah, langsung WA"),
    ("hate", "Usir semua orang Cina dari negeri ini!"),
    ("hate", "Bakar gereja mereka, halal darahnya"),
    ("hoax", "PENTING!!! Info dari grup sebelah, viralkan sebelum dihapus!"),
    ("hoax", "Sebarkan ke 10 grup, jangan berhenti di anda, media tidak memberitakan ini"),
    ("spam", "Jual followers Instagram murah, jasa like dan view, order lewat DM"),
]


@pytest.mark.parametrize(("category", "text"), POSITIVES)
def test_positive_examples_flag_their_category(rules: RuleSet, category: str, text: str) -> None:
    res = run(rules, text)
    assert category in res.flagged, res.to_dict()
    cat = res.categories[category]
    assert 0.0 < cat.score <= 1.0
    assert cat.rule_ids
    assert cat.hits


NEGATIVES = [
    "Selamat pagi, hari ini kita makan nasi goreng di warung dekat kantor.",
    "Burung murai batu gacor, suaranya merdu sekali tiap pagi.",
    "Amaliyah NU di kampung kami: tahlilan dan yasinan setiap malam Jumat.",
    "Daulah Abbasiyah adalah masa keemasan ilmu pengetahuan Islam.",
    "Nasi bakar Madura di pasar itu enak sekali.",
    "Jadwal deposit tabungan di bank dibuka jam 8.",
    "Slot waktu wawancara tersedia hari Senin.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_everyday_texts_do_not_flag(rules: RuleSet, text: str) -> None:
    assert run(rules, text).flagged == ()


# -- exclusions ------------------------------------------------------------------------

EXCLUDED = [
    (
        "terrorism",
        "news-terror-enforcement",
        "Densus 88 menangkap terduga teroris di Bekasi yang berbaiat kepada daulah ISIS "
        "dan merencanakan amaliyah istisyhadiyah.",
    ),
    (
        "terrorism",
        "news-terror-enforcement",
        "Tiga terduga teroris jaringan anshar daulah diamankan polisi di Sukoharjo.",
    ),
    (
        "terrorism",
        "news-terror-enforcement",
        "Program deradikalisasi BNPT membantu mantan napiter meninggalkan paham thaghut "
        "dan ajakan hijrah ke Syam.",
    ),
    (
        "hoax",
        "fact-check-label",
        "[HOAKS] Pesan berantai: viralkan sebelum dihapus, info dari grup sebelah.",
    ),
    (
        "hoax",
        "fact-check-context",
        "Cek fakta: pesan 'sebarkan ke 10 grup' itu tidak benar. Faktanya, klarifikasi "
        "sudah disampaikan kementerian.",
    ),
    (
        "gambling",
        "anti-gambling-campaign",
        "Stop judi online! Bahaya judol: slot gacor dan maxwin cuma ilusi, jangan main judi.",
    ),
    (
        "gambling",
        "anti-gambling-campaign",
        "Satgas Pemberantasan Judi Online memblokir situs judi dan situs slot gacor.",
    ),
    (
        "scam",
        "scam-awareness",
        "Waspada penipuan! Jangan berikan kode OTP, jangan klik link berikut untuk verifikasi "
        "akun anda.",
    ),
    (
        "hate",
        "hate-reporting",
        "Pelaku ujaran kebencian yang menulis 'usir semua orang cina' ditangkap polisi.",
    ),
]


@pytest.mark.parametrize(("category", "exclusion", "text"), EXCLUDED)
def test_exclusion_examples_do_not_flag(
    rules: RuleSet, category: str, exclusion: str, text: str
) -> None:
    res = run(rules, text)
    assert category not in res.flagged, res.to_dict()
    cat = res.categories[category]
    assert cat.raw_score >= cat.threshold  # it would have fired without the context
    assert exclusion in [x.exclusion_id for x in cat.exclusions]
    assert cat.score < cat.raw_score


def test_veto_sets_score_to_zero(rules: RuleSet) -> None:
    res = run(rules, "[HOAKS] viralkan sebelum dihapus")
    cat = res.categories["hoax"]
    assert cat.score == 0.0
    assert cat.exclusions[0].effect == "veto"
    assert cat.exclusions[0].hits[0].text == "[HOAKS]"


# -- co-occurrence --------------------------------------------------------------------


def test_requires_any_needs_a_co_term(rules: RuleSet) -> None:
    alone = run(rules, "Transfer deposit ke rekening BCA sudah masuk, wd besok.")
    assert "gambling" not in alone.categories
    together = run(rules, "Deposit 25rb langsung wd, slot paling gacor malam ini")
    assert "gambling" in together.flagged
    assert "gambling.money-flow" in together.categories["gambling"].rule_ids


def test_requires_any_words_are_whole_words(rules: RuleSet) -> None:
    # "slotting" contains "slot" but is not the word
    res = run(rules, "deposit dan slotting jadwal rapat")
    assert "gambling" not in res.categories


def test_terms_match_whole_words_only(rules: RuleSet) -> None:
    assert "gambling" not in run(rules, "togelan bukan kata").categories
    assert "gambling" in run(rules, "main togel yuk").categories


# -- evidence spans ---------------------------------------------------------------------


def test_spans_point_into_the_original(rules: RuleSet) -> None:
    text = "Ayo MAIN di Situs SLOT   Gacor, auto MAXWIN!"
    res = run(rules, text)
    hits = res.categories["gambling"].hits
    assert hits
    for h in hits:
        assert not h.in_normalized
        assert text[h.start : h.end] == h.text
    texts = {h.text for h in hits}
    assert "MAXWIN" in texts or "auto MAXWIN" in texts


def test_spans_found_through_styled_and_zero_width_characters(rules: RuleSet) -> None:
    text = "Buruan main 𝐬𝐥𝐨𝐭 𝐠𝐚𝐜𝐨𝐫 sekarang, to\u200bgel juga ada"
    res = run(rules, text.replace("\u200b", "\u200b"))
    # the stand-in normaliser keeps the zero-width space, so feed a cleaned one
    res = rules.match(text, norm(text).replace("\u200b", ""))
    hits = {h.matched: h for h in res.categories["gambling"].hits}
    styled = hits["slot gacor"]
    assert not styled.in_normalized
    assert text[styled.start : styled.end] == "𝐬𝐥𝐨𝐭 𝐠𝐚𝐜𝐨𝐫"
    zw = hits["togel"]
    assert not zw.in_normalized
    assert text[zw.start : zw.end] == "to\u200bgel"


def test_spans_found_through_leetspeak(rules: RuleSet) -> None:
    text = "m4in s1ot g4cor bos"
    res = rules.match(text, "main slot gacor bos")  # what the real normaliser gives
    hit = next(h for h in res.categories["gambling"].hits if h.matched == "slot gacor")
    assert not hit.in_normalized
    assert text[hit.start : hit.end] == "s1ot g4cor"


def test_span_falls_back_to_normalized_text(rules: RuleSet) -> None:
    original = "pokoknya sg gcr aja"  # abbreviations the normaliser expanded
    normalized = "pokoknya slot gacor aja"
    res = rules.match(original, normalized)
    hit = next(h for h in res.categories["gambling"].hits if h.matched == "slot gacor")
    assert hit.in_normalized
    assert normalized[hit.start : hit.end] == "slot gacor"


def test_result_serialises(rules: RuleSet) -> None:
    res = run(rules, "Open BO include room, DM")
    d = res.to_dict()
    assert d["version"] == rules.version
    assert d["categories"]["porn"]["flagged"] is True
    assert d["categories"]["porn"]["hits"][0]["rule_ids"]


def test_match_batch_equals_match(rules: RuleSet) -> None:
    texts = [t for _, t in POSITIVES] + NEGATIVES
    batch = rules.match_batch((t, norm(t)) for t in texts)
    assert [r.to_dict() for r in batch] == [run(rules, t).to_dict() for t in texts]


def test_empty_text(rules: RuleSet) -> None:
    res = rules.match("", "")
    assert res.categories == {}
    assert res.score("gambling") == 0.0


# -- policy validation -------------------------------------------------------------------

MINIMAL = """
version: "t1"
rules:
  - id: gambling.test
    category: gambling
    weight: 0.6
    terms: [togel]
"""


def load(text: str) -> RuleSet:
    return RuleSet.loads(textwrap.dedent(text), source="test.yaml", normalizer=None)


def test_minimal_policy() -> None:
    rs = load(MINIMAL)
    assert rs.version == "t1"
    assert rs.match("main togel", "main togel").score("gambling") == pytest.approx(0.6)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (MINIMAL.replace("weight: 0.6", "weight: 1.5"), "rule 'gambling.test', field 'weight'"),
        (MINIMAL.replace("weight: 0.6", "weight: lots"), "field 'weight'"),
        (MINIMAL.replace("category: gambling", "category: sports"), "field 'category'"),
        (MINIMAL.replace("terms: [togel]", "terms: togel"), "field 'terms'"),
        (MINIMAL.replace("terms: [togel]", "terms: ['']"), "field 'terms'"),
        (MINIMAL.replace("terms: [togel]", "terms: [togel]\n    colour: red"), "field 'colour'"),
        (MINIMAL.replace('version: "t1"\n', ""), "field 'version'"),
        (
            MINIMAL.replace(
                "terms: [togel]", "patterns:\n      - regex: 'slot\\d+'\n        triggers: [slot]"
            ),
            "unbounded repetition",
        ),
        (
            MINIMAL.replace(
                "terms: [togel]",
                "patterns:\n      - regex: 'slot(\\d{2}'\n        triggers: [slot]",
            ),
            "does not compile",
        ),
        (
            MINIMAL.replace("terms: [togel]", "patterns:\n      - regex: 'slot\\d{2}'"),
            "triggers",
        ),
        (MINIMAL.replace("terms: [togel]", "terms: [togel]\n    exclusions: [nope]"), "nope"),
        (MINIMAL + MINIMAL.split("rules:\n")[1], "duplicate rule id"),
        ("rules: [\n  - id: x", "not valid YAML at line"),
    ],
)
def test_malformed_policy_gives_clear_error(bad: str, expected: str) -> None:
    with pytest.raises(PolicyError) as exc:
        load(bad)
    assert expected in str(exc.value)
    assert isinstance(exc.value, BadInput)
    assert "test.yaml" in str(exc.value)


def test_bad_exclusion_is_named() -> None:
    text = MINIMAL + textwrap.dedent(
        """
        exclusions:
          - id: campaign
            applies_to: [gambling]
            effect: downweight
            factor: 2
            terms: [stop judi]
        """
    )
    with pytest.raises(PolicyError, match="exclusion 'campaign', field 'factor'"):
        load(text)


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        RuleSet.load(tmp_path / "none.yaml")


def test_load_from_path_and_rule_level_exclusion(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        textwrap.dedent(
            """
            version: 2
            categories:
              gambling: {threshold: 0.4}
            exclusions:
              - id: quiz
                effect: veto
                terms: [kuis]
            rules:
              - id: gambling.a
                category: gambling
                weight: 0.5
                terms: [togel]
                exclusions: [quiz]
              - id: gambling.b
                category: gambling
                weight: 0.5
                patterns:
                  - regex: '\\bslot\\s?\\d{2,3}\\b'
                    triggers: [slot]
            """
        ),
        encoding="utf-8",
    )
    rs = RuleSet.load(path, normalizer=None)
    assert rs.version == "2"
    res = rs.match("kuis togel dan slot 88", "kuis togel dan slot 88")
    cat = res.categories["gambling"]
    # the veto applies to gambling.a only (named by the rule), gambling.b still counts
    assert cat.score == pytest.approx(0.5)
    assert cat.raw_score == pytest.approx(0.75)
    assert cat.flagged
    assert [x.exclusion_id for x in cat.exclusions] == ["quiz"]
    pattern_hit = next(h for h in cat.hits if h.kind == "pattern")
    assert pattern_hit.text == "slot 88"


def test_normalizer_variants_are_added() -> None:
    def fake_normalize(text: str) -> str:
        return text.replace("depo", "deposit")

    rs = RuleSet.loads(
        textwrap.dedent(
            """
            version: 1
            rules:
              - id: gambling.x
                category: gambling
                weight: 0.5
                terms: [depo, "[label]"]
            """
        ),
        normalizer=fake_normalize,
    )
    assert rs.match("deposit", "deposit").score("gambling") == pytest.approx(0.5)
    assert rs.match("depo", "depo").score("gambling") == pytest.approx(0.5)
