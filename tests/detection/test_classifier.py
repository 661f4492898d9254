"""The shipped classifier: file format, API contract and clear cases per category."""

import json
import re

import numpy as np
import pytest

from ronda.detection.classifier import (
    CATEGORIES,
    Classifier,
    default_model_dir,
    load_default_model,
    load_model,
)


@pytest.fixture(scope="module")
def clf() -> Classifier:
    return load_default_model()


def test_model_files_load_without_pickle() -> None:
    model_dir = default_model_dir()
    meta = json.loads((model_dir / "classifier.json").read_text(encoding="utf-8"))
    idf_weighted = meta["features"].get("weighting", "count") == "idf"
    with np.load(model_dir / "classifier.npz", allow_pickle=False) as data:
        assert set(data.files) == {"weights", "bias"} | ({"idf"} if idf_weighted else set())
        assert data["weights"].dtype == np.float16
        assert data["weights"].shape[1] == len(CATEGORIES)
        if idf_weighted:
            idf = data["idf"]
            assert idf.dtype == np.float32 and idf.shape == (data["weights"].shape[0],)
            assert np.all(np.isfinite(idf)) and idf.min() >= 1.0
    assert meta["categories"] == list(CATEGORIES)
    for op in ("review", "auto"):
        for cat in CATEGORIES:
            assert 0.0 <= meta["thresholds"][op][cat] <= 1.01
            assert meta["thresholds"]["auto"][cat] >= meta["thresholds"]["review"][cat]


def test_api_contract(clf: Classifier) -> None:
    assert clf.categories == CATEGORIES
    assert re.fullmatch(r"clf-\d{4}\.\d{1,2}\.\d+-[0-9a-f]{8}", clf.version)
    assert load_default_model() is clf  # cached
    assert load_model(default_model_dir()).version == clf.version
    proba = clf.predict_proba(["halo", "", "slot gacor"])
    assert proba.shape == (3, len(CATEGORIES)) and proba.dtype == np.float32
    assert np.all((proba >= 0) & (proba <= 1))
    assert clf.predict_proba([]).shape == (0, len(CATEGORIES))
    assert len(clf.labels(["a", "b"], op="auto")) == 2
    with pytest.raises(ValueError):
        clf.labels(["a"], op="sometimes")


POSITIVES = {
    "terrorism": [
        "Wahai ikhwan, berbaiatlah kepada khalifah dan tinggalkan negeri thaghut ini. Amaliyah adalah jalan menuju syahid",
        "Akhi yang siap hijrah ke Syam segera japri, daulah membutuhkan kalian. Anshar thaghut halal darahnya",
    ],
    "gambling": [
        "Main slot gacor di situs terpercaya, deposit 10rb langsung maxwin, WD cepat tanpa ribet!",
        "𝐒𝐋𝐎𝐓 𝐆𝐀𝐂𝐎𝐑 hari ini, depo kecil jp besar, buruan daftar",
    ],
    "scam": [
        "Paket anda tertahan di gudang, cek resi melalui aplikasi berikut: Cek_Resi.apk",
        "Selamat! Anda mendapat DANA kaget Rp 500.000, klik link dan masukkan PIN anda untuk klaim",
    ],
    "hate": ["Dasar cina kafir anjing, usir saja mereka semua dari negeri ini"],
    "hoax": ["SEBARKAN!! Vaksin mengandung chip pelacak, jangan bawa anak kalian ke posyandu!!!"],
    "porn": ["Open BO area Jakarta, bisa VCS juga, foto asli, DM untuk harga"],
    "spam": [
        "Jual followers Instagram murah, 1000 followers cuma 20rb, proses cepat, order sekarang"
    ],
}

NEGATIVES = {
    "terrorism": [
        "Densus 88 menangkap tiga terduga teroris jaringan JAD di Bekasi yang diduga merencanakan serangan",
        "BNPT mengajak generasi muda menolak paham radikal dan menjaga persatuan",
        "Pengajian rutin ibu-ibu majelis taklim setelah ashar membahas zakat dan sedekah",
        "Khutbah Jumat: mari perbanyak doa dan istighfar, jaga kerukunan dengan tetangga",
    ],
    "scam": ["BCA tidak pernah meminta PIN atau kode OTP melalui WhatsApp, waspada penipuan"],
    "hoax": [
        "Cek fakta: klaim vaksin mengandung chip adalah hoaks, vaksin tidak mengandung perangkat elektronik"
    ],
}

EVERYDAY = [
    "Makanan di restoran ini enak sekali, pelayanannya ramah dan harganya terjangkau",
    "Hari ini aku senang banget karena bisa ketemu teman lama",
    "Besok rapat jam 9 pagi di kantor, jangan lupa bawa laptop",
]


@pytest.mark.parametrize(("cat", "text"), [(c, t) for c, ts in POSITIVES.items() for t in ts])
def test_clear_positive_reaches_review(clf: Classifier, cat: str, text: str) -> None:
    j = CATEGORIES.index(cat)
    assert clf.predict_proba([text])[0, j] >= clf.thresholds["review"][cat]
    assert cat in clf.labels([text])[0]


@pytest.mark.parametrize(("cat", "text"), [(c, t) for c, ts in NEGATIVES.items() for t in ts])
def test_hard_negative_stays_below_review(clf: Classifier, cat: str, text: str) -> None:
    j = CATEGORIES.index(cat)
    assert clf.predict_proba([text])[0, j] < clf.thresholds["review"][cat]


def test_everyday_text_gets_no_label(clf: Classifier) -> None:
    assert clf.labels(EVERYDAY) == [[], [], []]


def test_obfuscated_gambling_is_still_found(clf: Classifier) -> None:
    text = "d4ftar s l o t g4c0r di situs t3rpercaya, d\u200beposit k3cil langsung m4xw1n"
    assert "gambling" in clf.labels([text])[0]
