"""Training corpus: the shared public datasets and the project's written examples.

Every row gets one value per category: 1 (positive), 0 (negative) or -1 (unknown: the source
does not say, so the row is left out of that category's training and evaluation). The mapping
is the project's labelling policy; docs/detection-classifier.md explains each choice:

============================  ==============================================================
source                        mapping
============================  ==============================================================
judol-youtube-comments        label 1 -> gambling; otherwise negative everywhere
id-multilabel-hatespeech      HS -> hate; porn unknown (sexual insults are not porn offers)
netifier-toxicity             pornografi -> porn; sara -> hate; a row with radikalisme=1 is
                              unknown for terrorism (a weak, mostly religious-incitement
                              proxy) and, unless sara=1, unknown for hate; a defamation-only
                              row is unknown for hate
sms-spam-id                   1 (fraud) -> scam; 2 (promo) -> spam
hoax-indonesia-false-news     1 -> hoax (judul + narasi); hoax rows unknown for scam and spam
                              (fake give-aways are both)
indonlu-smsa/-emot, nusax     everyday text: negative everywhere
datasets/ronda-written        label column: a category, several joined by "|", or "none"
============================  ==============================================================
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ronda.detection.classifier.evaluate import wide_csv_fields
from ronda.detection.classifier.model import CATEGORIES

__all__ = ["EVERYDAY_SOURCES", "Corpus", "load_corpus", "written_dir"]

EVERYDAY_SOURCES = ("indonlu-smsa", "indonlu-emot", "nusax")

_CAT = {c: i for i, c in enumerate(CATEGORIES)}
Row = tuple[str, dict[str, int]]  # text, {category: 1/0/-1}; categories not named are 0


@dataclass
class Corpus:
    """Texts with a (n, k) int8 label matrix (1/0/-1) and the source of each row."""

    texts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    labels: npt.NDArray[np.int8] = field(
        default_factory=lambda: np.zeros((0, len(CATEGORIES)), dtype=np.int8)
    )

    def __len__(self) -> int:
        return len(self.texts)


def _read_csv(path: Path) -> Iterator[dict[str, str]]:
    with wide_csv_fields(), path.open(encoding="utf-8", errors="replace", newline="") as f:
        yield from csv.DictReader(f)


def _flag(value: str) -> int:
    return 1 if value.strip() == "1" else 0


def _judol(d: Path) -> Iterator[Row]:
    for r in _read_csv(d / "judol-youtube-comments" / "train.csv"):
        yield r["comment_text"], {"gambling": _flag(r["label"])}


def _hatespeech(d: Path) -> Iterator[Row]:
    for r in _read_csv(d / "id-multilabel-hatespeech" / "train.csv"):
        yield r["Tweet"], {"hate": _flag(r["HS"]), "porn": -1}


def _netifier(d: Path) -> Iterator[Row]:
    for r in _read_csv(d / "netifier-toxicity" / "train.csv"):
        sara, radical = _flag(r["sara"]), _flag(r["radikalisme"])
        defamation = _flag(r["pencemaran_nama_baik"])
        hate = 1 if sara else (-1 if radical or defamation else 0)
        labels = {"porn": _flag(r["pornografi"]), "hate": hate, "terrorism": -radical}
        yield r["original_text"], labels


def _sms(d: Path) -> Iterator[Row]:
    for r in _read_csv(d / "sms-spam-id" / "train.csv"):
        label = r["label"].strip()
        yield r["Teks"], {"scam": int(label == "1"), "spam": int(label == "2")}


def _hoax(d: Path) -> Iterator[Row]:
    for r in _read_csv(d / "hoax-indonesia-false-news" / "train.csv"):
        text = f"{r['judul'].strip()}. {r['narasi'].strip()}"
        hoax = _flag(r["label"])
        yield text, {"hoax": hoax, "scam": -hoax, "spam": -hoax}


def _everyday(path: str, column: str) -> Callable[[Path], Iterator[Row]]:
    def read(d: Path) -> Iterator[Row]:
        for r in _read_csv(d / path):
            yield r[column], {}

    return read


PUBLIC_SOURCES: dict[str, Callable[[Path], Iterator[Row]]] = {
    "judol": _judol,
    "hatespeech": _hatespeech,
    "netifier": _netifier,
    "sms-spam": _sms,
    "hoax": _hoax,
    "indonlu-smsa": _everyday("indonlu-smsa/train.csv", "text"),
    "indonlu-emot": _everyday("indonlu-emot/train.csv", "tweet"),
    "nusax": _everyday("nusax-senti-indonesian/train.csv", "text"),
}


def written_dir() -> Path:
    """datasets/ronda-written in a source checkout (the package does not ship it)."""
    return Path(__file__).resolve().parents[4] / "datasets" / "ronda-written"


_SPLIT_RE = re.compile(r"[|,;+ ]+")


def parse_written_label(value: str) -> dict[str, int]:
    """``"scam"``, ``"scam|spam"`` or ``"none"`` -> {category: 1}; unknown names raise."""
    labels: dict[str, int] = {}
    for name in _SPLIT_RE.split(value.strip().lower()):
        if not name or name == "none":
            continue
        if name not in _CAT:
            raise ValueError(f"unknown category {name!r} in written label {value!r}")
        labels[name] = 1
    return labels


def _written(d: Path) -> Iterator[tuple[str, Row]]:
    for path in sorted(d.glob("*.csv")):
        for r in _read_csv(path):
            if r.get("kind", "written") == "langid":
                continue
            yield f"written:{path.stem}", (r["text"], parse_written_label(r["label"]))


def load_corpus(data_dir: Path, written: Path | None = None) -> Corpus:
    """Read every source under ``data_dir`` plus the written examples into one corpus."""
    texts: list[str] = []
    sources: list[str] = []
    rows: list[list[int]] = []

    def add(source: str, row: Row) -> None:
        text, labels = row
        text = text.strip()
        if not text:
            return
        vector = [0] * len(CATEGORIES)
        for name, value in labels.items():
            vector[_CAT[name]] = value
        texts.append(text)
        sources.append(source)
        rows.append(vector)

    for name, reader in PUBLIC_SOURCES.items():
        for row in reader(data_dir):
            add(name, row)
    written = written if written is not None else written_dir()
    if written.is_dir():
        for source, row in _written(written):
            add(source, row)
    labels = np.array(rows, dtype=np.int8).reshape(-1, len(CATEGORIES))
    return Corpus(texts=texts, sources=sources, labels=labels)
