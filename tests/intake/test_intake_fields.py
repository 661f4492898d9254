"""Letter numbers, legal basis, urgency and follow-up hints."""

from __future__ import annotations

import pytest

from ronda.takedowns.intake.fields import (
    FollowupHint,
    Urgency,
    detect_urgency,
    find_legal_basis,
    find_letter_number,
    is_followup,
)

# --------------------------------------------------------------------------- #
# Letter numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nomor: B-1234/DJAI.5/AI.04.02/11/2026\nSifat: Segera", "B-1234/DJAI.5/AI.04.02/11/2026"),
        ("Nomor   :   B-1234/DJAI.5/AI.04.02/11/2026  ", "B-1234/DJAI.5/AI.04.02/11/2026"),
        (
            "Surat No. 123/KOMINFO/DJAI/HK.03.01/11/2026 tanggal 2 November",
            "123/KOMINFO/DJAI/HK.03.01/11/2026",
        ),
        ("Nomor Surat : R/456/XI/2026/Bareskrim", "R/456/XI/2026/Bareskrim"),
        ("Ref: TCO-2026-0001", "TCO-2026-0001"),
        ("Our ref.: TCO-2026-0002.", "TCO-2026-0002"),
        ("Letter No. 77/EU/2026", "77/EU/2026"),
        ("Fwd: Permohonan (Nomor: B-9/DJAI/2026)", "B-9/DJAI/2026"),
    ],
)
def test_letter_numbers(text: str, expected: str) -> None:
    assert find_letter_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mohon blokir kanal berikut",
        "Nomor HP: 0812-3456-7890",
        "Nomor telepon 021-555",
        "there is no 3-day grace period",
        "sesuai UU No. 19/2016 tentang ITE",
        "Nomor: -",
    ],
)
def test_no_letter_number(text: str) -> None:
    assert find_letter_number(text) is None


# --------------------------------------------------------------------------- #
# Legal basis


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Dasar hukum: UU No. 11 Tahun 2008 tentang ITE\nHal: x",
            "UU No. 11 Tahun 2008 tentang ITE",
        ),
        (
            "Legal basis: Article 3 of Regulation (EU) 2021/784.",
            "Article 3 of Regulation (EU) 2021/784.",
        ),
        (
            "Dasar Hukum:\n1. UU ITE Pasal 27 ayat (2);\n2. Permenkominfo 5/2020;\n\nHal: blokir",
            "UU ITE Pasal 27 ayat (2); Permenkominfo 5/2020",
        ),
        ("Konten melanggar UU No. 11 Tahun 2008 dan harus diblokir", "UU No. 11 Tahun 2008"),
        ("sesuai UU ITE Pasal 27 ayat (2) jo. Pasal 45", "UU ITE Pasal 27 ayat (2) jo. Pasal 45"),
        ("berdasarkan Pasal 40 ayat (2b) UU 19/2016, kami", "Pasal 40 ayat (2b) UU 19/2016"),
        ("mengacu Permenkominfo 5/2020 tentang PSE", "Permenkominfo 5/2020"),
        ("under Regulation (EU) 2021/784 on terrorist content", "Regulation (EU) 2021/784"),
        ("PP No. 71 Tahun 2019 mengatur", "PP No. 71 Tahun 2019"),
    ],
)
def test_legal_basis(text: str, expected: str) -> None:
    assert find_legal_basis(text) == expected


def test_no_legal_basis() -> None:
    assert find_legal_basis("Mohon blokir kanal https://t.me/x segera.") is None
    assert find_legal_basis("Pasal 5 dari perjanjian") is None


# --------------------------------------------------------------------------- #
# Urgency


def test_urgent_words_in_indonesian_and_english() -> None:
    assert detect_urgency("SANGAT SEGERA").urgent
    assert detect_urgency("Sifat: Mendesak").urgent
    assert detect_urgency("URGENT: removal").urgent
    assert detect_urgency("Pemblokiran segera – daftar tautan").urgent
    assert detect_urgency("dengan batas waktu 4 jam sejak surat diterima").urgent
    assert detect_urgency("please act within 1 hour").urgent


def test_negated_urgency_is_not_urgent() -> None:
    for text in (
        "Hal ini tidak mendesak.",
        "tidak perlu segera, cukup minggu ini",
        "This is not urgent.",
        "non-urgent request",
        "bukan hal yang mendesak",
    ):
        result = detect_urgency(text)
        assert result == Urgency(False, [], []), text


def test_negation_only_cancels_its_own_word() -> None:
    result = detect_urgency("Tidak mendesak? Salah: ini SANGAT SEGERA.")
    assert result.urgent
    assert result.matched == ["SANGAT SEGERA"]


def test_one_to_four_hours_but_not_one_times_24_hours() -> None:
    assert not detect_urgency("paling lambat 1 x 24 jam").urgent
    assert not detect_urgency("paling lambat 2x24 jam").urgent
    assert detect_urgency("paling lambat 2 jam").urgent


@pytest.mark.parametrize(
    ("text", "categories", "urgent"),
    [
        ("konten propaganda teror ISIS", ["terrorism"], True),
        ("kanal radikalisme dan ekstremisme", ["terrorism"], True),
        ("materi pornografi anak", ["csam"], True),
        ("child sexual abuse material (CSAM)", ["csam"], True),
        ("konten meresahkan masyarakat dan memicu kerusuhan", ["public_order"], True),
        ("removal order pursuant to Regulation (EU) 2021/784", ["eu_removal_order"], True),
        ("TCO removal order", ["eu_removal_order"], True),
        ("situs judi online dan judol", ["gambling"], False),
        ("perjudian", ["gambling"], False),
        ("konten pornografi dan asusila", ["porn"], False),
        ("penipuan pinjol ilegal dan investasi ilegal", ["scam"], False),
        ("hoaks, berita bohong, disinformasi", ["hoax"], False),
        ("ujaran kebencian bernuansa SARA", ["hate"], False),
        ("Salam dari Sara", [], False),
        ("a removal order without the regulation", [], False),
    ],
)
def test_categories(text: str, categories: list[str], urgent: bool) -> None:
    result = detect_urgency(text)
    assert result.categories == categories
    assert result.urgent is urgent


def test_word_boundaries_and_matched_phrases() -> None:
    # "terorisme" inside a longer word, "judi" inside "judicial": no match.
    assert detect_urgency("antiterorismelah judicial").categories == []
    result = detect_urgency("Mohon SEGERA blokir kanal judi online dan teroris")
    assert result.categories == ["terrorism", "gambling"]
    assert result.matched == ["SEGERA", "judi online", "teroris"]
    assert result.urgent


def test_child_pornography_is_csam_not_porn() -> None:
    assert detect_urgency("pornografi anak").categories == ["csam"]
    assert detect_urgency("child pornography").categories == ["csam"]


# --------------------------------------------------------------------------- #
# Follow-ups


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("Re: Permohonan pemblokiran", "", FollowupHint("reply", None)),
        ("RE: FWD: Permohonan", "", FollowupHint("reply", None)),
        ("Fwd: Permohonan", "", FollowupHint("reply", None)),
        ("Balas: Permohonan", "", FollowupHint("reply", None)),
        ("Pengingat: Permohonan pemblokiran", "", FollowupHint("reminder", None)),
        ("Reminder 2 - removal order", "", FollowupHint("reminder", 2)),
        ("Second reminder", "", FollowupHint("reminder", 2)),
        ("Tindak lanjut surat Nomor B-1/2026", "", FollowupHint("reminder", None)),
        ("Re: Surat Teguran ke-2", "", FollowupHint("warning", 2)),
        ("Surat Peringatan Ketiga", "", FollowupHint("warning", 3)),
        ("ST1 Pemblokiran", "", FollowupHint("warning", 1)),
        ("[ST-3] pemblokiran", "", FollowupHint("warning", 3)),
        ("Teguran ke 2", "", FollowupHint("warning", 2)),
        ("Final warning", "", FollowupHint("warning", None)),
        ("Permohonan", "Nomor: B-1/2026\nHal: Surat Teguran ke-2\n", FollowupHint("warning", 2)),
        ("Permohonan", "Hal: Pengingat pemblokiran", FollowupHint("reminder", None)),
        ("Permohonan pemblokiran", "Mohon diblokir.", FollowupHint(None, None)),
    ],
)
def test_followups(subject: str, text: str, expected: FollowupHint) -> None:
    assert is_followup(subject, text) == expected


def test_first_letters_closing_phrases_are_not_followups() -> None:
    body = "Yth. Bapak/Ibu,\n" + "Mohon blokir kanal.\n" * 15
    body += "Demikian untuk tindak lanjut. Bila tidak, kami menerbitkan surat peringatan."
    assert is_followup("Permohonan pemblokiran", body) == FollowupHint(None, None)
    assert is_followup("Permohonan", "Demikian untuk tindak lanjut.") == FollowupHint(None, None)
    # "Restoran" does not start with a reply prefix, "Fwdx:" is not one either.
    assert is_followup("Restoran: x", "") == FollowupHint(None, None)
