"""Spaced-out training copies: what they look like and that they never reach the report."""

import numpy as np

from ronda.detection.classifier.data import Corpus
from ronda.detection.classifier.train import (
    TrainConfig,
    add_spaced_copies,
    folds_for,
    prepare,
    space_out,
)
from ronda.detection.normalize import normalize_batch


def test_space_out_spells_out_only_words_of_three_letters_or_more() -> None:
    rng = np.random.default_rng(0)
    out = space_out("ayo main slot di situs gacor 88 ya", rng, p=1.0)
    assert out == "a y o m a i n s l o t di s i t u s g a c o r 88 ya"
    assert space_out("ayo main slot", rng, p=0.0) == "ayo main slot"


def test_normalised_copy_merges_spelled_out_neighbours() -> None:
    rng = np.random.default_rng(0)
    [copy] = normalize_batch([space_out("main slot gacor", rng, p=1.0)])
    assert copy == "mainslotgacor"  # the merged form the copies teach the model


def _corpus() -> Corpus:
    # a distinct letter tag per row: near-duplicate groups ignore digits
    tags = [chr(97 + i // 26) + chr(97 + i % 26) + "x" for i in range(80)]
    texts = [f"slot gacor hari ini {tags[i]} maxwin besar" for i in range(40)]
    texts += [f"kajian rutin malam jumat {tags[40 + i]} di masjid" for i in range(40)]
    labels = np.zeros((80, 7), dtype=np.int8)
    labels[:40, 1] = 1
    return Corpus(texts=texts, sources=["judol"] * 80, labels=labels)


def test_copies_keep_labels_source_and_group_and_are_flagged() -> None:
    data = prepare(_corpus())
    full = add_spaced_copies(data, share=0.5, seed=1)
    assert full.copies is not None
    n = len(data.texts)
    assert full.copies[:n].sum() == 0 and full.copies[n:].all()
    assert 0 < int(full.copies.sum()) <= n
    for k in range(n, len(full.texts)):
        (same,) = np.flatnonzero(data.groups == full.groups[k])
        assert full.texts[k] != data.texts[same]
        assert (full.labels[k] == data.labels[same]).all()
        assert full.sources[k] == data.sources[same]
    # a copy and its original always land in the same fold
    for _train, test in folds_for(full, TrainConfig(folds=3)):
        in_test = set(full.groups[test].tolist())
        assert not in_test & set(full.groups[_train].tolist())
    # originals() gives back exactly the rows before the copies
    back = full.originals()
    assert back.texts == data.texts and (back.labels == data.labels).all()
    assert add_spaced_copies(data, share=0.5, seed=1).texts == full.texts  # deterministic
