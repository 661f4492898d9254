"""Language identification for routing: id, ms, jv, su, en, ar or other.

Moderator queues are split by language, so this only has to be right often enough to put a
post in front of someone who reads it, and it must be cheap enough to run on every post.
It is a word-list vote written for this project:

* the script decides first: mostly Arabic letters -> ``ar``; mostly letters of another
  non-Latin script (Chinese, Cyrillic, Thai...) -> ``other``; no letters at all -> ``other``;
* Latin text is split into lower-case words; each word found in the lists below votes for
  the languages it belongs to (a word shared by several languages splits its vote), and the
  language with most votes wins. Words that mark Malay, Javanese or Sundanese against
  Indonesian are the deciding evidence, so they weigh more. Text with less than half a vote
  (names, codes, unknown words) is ``other``; one shared Indonesian/Malay word is enough
  and ties go to Indonesian. Colloquial Indonesian spellings from the slang
  table count as weak Indonesian evidence.

Accuracy on the project's held-out sentences is documented in docs/detection-classifier.md.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

from ronda.detection.normalize import fold_unicode, slang_table

__all__ = ["LANGUAGES", "detect_language", "detect_language_batch"]

LANGUAGES = ("id", "ms", "jv", "su", "en", "ar", "other")
_LATIN_LANGS = ("id", "ms", "jv", "su", "en")


def _words(text: str) -> list[str]:
    return text.split()


# Shared Indonesian/Malay function words: they show the text is Malay-family, not which one.
_ID_MS = _words(
    """
yang dan di ke dari ini itu dengan untuk pada tidak akan ada saya kami kita mereka dia anda
apa siapa mana bila juga sudah belum lagi atau tetapi tapi karena jika kalau bisa boleh
harus perlu sangat banyak semua setiap hanya masih sedang baru lebih paling oleh bagi
tentang seperti sebagai dalam antara hari tahun orang rumah anak kerja makan minum baik
besar kecil buat jadi mahu mau ingin tahu lihat kata sini sana situ pun lah kah terima kasih
selamat pagi malam siang petang minggu bulan waktu masa negara agama berita beri bayar harga
jalan kota sekolah guru murid ibu bapak ayah adik kakak abang teman kawan hidup mati sakit
sehat senang sedih cinta rindu hati diri sendiri sama
"""
)

_ID = _words(
    """
tidak nggak enggak gak ga gk engga kagak udah udh aja saja banget bgt kalo gimana bagaimana
kenapa mengapa sih dong deh nih tuh kok yuk ayo loh lho emang memang bikin kayak kaya uang
mobil gratis pemerintah setelah besok kemarin pikir paham telepon toko perusahaan adalah
karena ingin mau bilang ngga nya lagi pengen pengin gue gua lu lo elo kamu aku makasih
terimakasih banget sekali bener benar beneran sangat kerja kantor rumah sakit polisi
presiden jokowi prabowo jakarta indonesia rupiah rp ribu juta mending terus apalagi soalnya
pokoknya pas abis habis cuma cuman doang kan kok gitu begitu begini gini sudah belum pernah
lagi masih mulai sampai hingga supaya agar biar walaupun meskipun halo hai kabar kak mas
mbak bang pak bu om tante iya oke mantap wkwk wkwkwk tetap saat ketika sebelum sesudah
kemudian lalu lantas namun bahwa yaitu yakni serta
"""
)

_MS = _words(
    """
tak nak kerana sahaja mahu awak korang kat dekat ni tu jom sikit ramai bila faham fikir
beritahu bercakap cakap kerajaan wang percuma jabatan cuti bas teksi polis majlis
perkahwinan hospital universiti kolej selepas semasa ialah iaitu syarikat kedai ringgit
malaysia encik puan tahniah maklumat kenyataan telefon lelaki isteri budak pejabat rakan
esok semalam kelmarin boleh betul hendak nanti dah belaja dapatkan pula sekiranya walau
bagaimanapun manakala disebabkan dengar tengok baca kena pergi balik naik turun lepas
"""
)

_JV = _words(
    """
kowe sampeyan panjenengan awakmu ora ra ndak mboten boten iki kuwi kui iku niki niku nika
menika punika opo piye kepiye pripun sing seng karo kalih lan wis uwis wes sampun durung
dereng arep ape badhe ning neng ing teko tekan saka soko seko marang mung wae ae wong tiyang
apik becik elek akeh kathah sithik sitik gedhe cilik omah griya mangan nedha dhahar ngombe
turu lunga tindak mulih wangsul ngerti weruh matur nggih inggih yo ojo sek dhisik disik
saiki sakniki mengko mangke wingi sesuk benjing esuk bengi dalu jeneng tenan temenan pancen
rak tho nek yen menawa amarga merga mergo dadi dados iso isa saged pengin seneng nesu ngapa
ngopo ngene ngono kabeh sedaya sopo sinten endi pundi pira pinten dhuwit simbah mbah dulur
konco kanca rek cak lek nduk gusti maturnuwun suwun sugeng rawuh wonten enek onok ono kados
kaliyan sami nopo menapa mekaten ngaten
"""
)

_SU = _words(
    """
abdi anjeun maneh kuring teu henteu moal acan tacan aya euweuh naon kumaha kunaon iraha saha
mah atuh euy oge deui keneh pisan teh nu ieu eta kana jeung sareng keur nuju geus tos
parantos bade rek arek hoyong hayang meureun sigana tiasa kedah hiji tilu opat genep dalapan
salapan sapuluh imah tuang nginum kulem indit uih mulang nyaho terang ningali nempo nyarios
carios hatur nuhun punten mangga wilujeng enjing sonten wengi barudak lalaki awewe pamajikan
salaki indung bapa akang teteh ceu alus saeutik sakedik loba seueur ageung leutik alit kieu
kitu sanes mun lamun upami margi janten ayeuna kamari isukan engke heula ulah tong eweuh
kacida bageur geulis kasep lieur hareudang tiris sae sare dahar urang
"""
)

_EN = _words(
    """
i the and is are was were be been being have has had you your yours we they he she it its
this that these those of to in on for with at by from as but or not no yes what which who
whom when where why how can could will would should shall might must do does did done my our
their his her him them us there here just very so if then than about all some more most any
get got make made know think good great love like thank thanks please people time day today
tomorrow yesterday new one two because also only really dont cant wont im ive youre thats
whats let lets want need going go come see look
"""
)

# Words that exist in Indonesian too must not count as Malay/Javanese/Sundanese markers.
_SHARED_WITH_ID = {
    "boleh",
    "nanti",
    "dah",
    "dekat",
    "betul",
    "pergi",
    "balik",
    "naik",
    "turun",
    "lepas",
    "baca",
    "dengar",
    "tengok",
    "kena",
    "pula",
    "bila",
    "cakap",
    "budak",
    "dapatkan",
    "walau",
    "manakala",
    "ramai",
    "urang",
    "sae",
    "sare",
    "dahar",
    "wae",
    "ae",
    "yo",
    "sek",
    "rek",
    "nek",
    "iso",
    "mbah",
    "cak",
    "ono",
    "tos",
    "engke",
    "ulah",
    "tong",
    "loba",
    "teh",
}

_MARKER_WEIGHT = 2.0  # a word that only one Malay-family language uses
_MIN_VOTES = 0.5  # less evidence than one shared word: not a language we know
_WORD_RE = re.compile(r"[a-z]+")
_ARABIC_RE = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LETTER_RE = re.compile(r"[^\W\d_]")
# Letters of scripts that are neither Latin nor Arabic (Greek, Cyrillic, Indic, Thai, CJK...).
_FOREIGN_RE = re.compile(
    r"[\u0370-\u058f\u0590-\u05ff\u0900-\u0dff\u0e00-\u0eff\u1100-\u11ff"
    r"\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]"
)
_NON_LATIN_RE = re.compile(_ARABIC_RE.pattern[:-1] + _FOREIGN_RE.pattern[1:])
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|[@#]\w+")
# Indonesian/Malay affixation, used only when the word lists give too little evidence.
_AFFIX_RE = re.compile(
    r"\b(?:me[mny]?g?|ber|ter|di|pe[mn]g?|per|ke)[a-z]{3,}|\b[a-z]{3,}(?:kan|nya|an)\b"
)


@lru_cache(maxsize=1)
def _vote_table() -> tuple[dict[str, int], list[tuple[float, ...]]]:
    """word -> vote class, and each class's vote vector over ``_LATIN_LANGS``."""
    return _build_vote_table()


@lru_cache(maxsize=1)
def _class_votes() -> list[tuple[tuple[int, float], ...]]:
    """Each vote class's non-zero votes as ``(language index, vote)`` pairs.

    Most classes vote for one or two languages; skipping the zeros leaves every score
    exactly as adding them would (``x + 0.0 == x``) at a fraction of the work.
    """
    _, vectors = _vote_table()
    return [tuple((i, v) for i, v in enumerate(vector) if v) for vector in vectors]


def _build_vote_table() -> tuple[dict[str, int], list[tuple[float, ...]]]:
    votes: dict[str, dict[str, float]] = {}

    def add(words: Iterable[str], lang: str, weight: float) -> None:
        for w in words:
            votes.setdefault(w, {})[lang] = max(votes.get(w, {}).get(lang, 0.0), weight)

    for w in slang_table():
        if w.isalpha():
            add([w], "id", 0.5)
    add(_ID_MS, "id", 1.0)
    add(_ID_MS, "ms", 1.0)
    add(_ID, "id", 1.0)
    add(_SHARED_WITH_ID, "id", 1.0)
    for lang, words in (("ms", _MS), ("jv", _JV), ("su", _SU)):
        for w in words:
            shared = w in votes and "id" in votes[w]
            add([w], lang, 1.0 if shared else _MARKER_WEIGHT)
    add(_EN, "en", 1.0)

    classes: dict[tuple[float, ...], int] = {}
    table: dict[str, int] = {}
    for word, langs in votes.items():
        total = sum(langs.values())
        # a shared word's vote is split; a marker keeps its full weight
        vector = tuple(
            round(langs.get(lang, 0.0) * (1.0 if len(langs) == 1 else 1.0 / total), 3)
            for lang in _LATIN_LANGS
        )
        table[word] = classes.setdefault(vector, len(classes))
    vectors = [v for v, _ in sorted(classes.items(), key=lambda kv: kv[1])]
    return table, vectors


def _latin_vote(text: str) -> str:
    table, _ = _vote_table()
    votes = _class_votes()
    counts = Counter(map(table.get, _WORD_RE.findall(text)))
    counts.pop(None, None)
    scores = [0.0] * len(_LATIN_LANGS)
    for cls, n in counts.items():
        for i, v in votes[cls]:  # type: ignore[index]
            scores[i] += v * n
    top = max(scores)  # the first language with the most votes wins
    if top < _MIN_VOTES:
        affixed = 0.5 * len(_AFFIX_RE.findall(text))
        scores[0] += affixed  # ties go to Indonesian, the first language
        top = max(scores)
        if top < _MIN_VOTES:
            return "other"
    return _LATIN_LANGS[scores.index(top)]


def detect_language(text: str) -> str:
    """One of ``LANGUAGES`` for ``text``."""
    if "//" in text or "@" in text or "#" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    if not text.isascii():
        if _NON_LATIN_RE.search(text):  # count scripts only when one could win
            letters = len(_LETTER_RE.findall(text))
            if len(_ARABIC_RE.findall(text)) * 2 >= letters:
                return "ar" if letters else "other"
            if len(_FOREIGN_RE.findall(text)) * 2 >= letters:
                return "other"
        text = fold_unicode(text)
    return _latin_vote(text.lower())


def detect_language_batch(texts: Sequence[str]) -> list[str]:
    """``detect_language`` for each text."""
    return [detect_language(t) for t in texts]
