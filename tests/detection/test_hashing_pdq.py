"""PDQ index, image hashing and file-hash index."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

from ronda.detection.hashing import FileHashIndex, PdqIndex, file_digests, pdq_distance
from ronda.detection.hashing.pdq import pdq_from_image, pdq_to_words, validate_pdq
from ronda.errors import BadInput


def random_hashes(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(32).hex() for _ in range(n)]


def flip(h: str, bits: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    b = bytearray(bytes.fromhex(h))
    for pos in rng.choice(256, size=bits, replace=False):
        b[pos // 8] ^= 1 << (pos % 8)
    return b.hex()


@pytest.fixture(params=["multi", "brute"])
def index(request: pytest.FixtureRequest) -> tuple[PdqIndex, list[str]]:
    idx = PdqIndex(mode=request.param)
    hashes = random_hashes(3000)
    idx.add_many([(f"p{i}", h) for i, h in enumerate(hashes)], bank="b")
    return idx, hashes


def test_validate_and_distance() -> None:
    h = random_hashes(1)[0]
    assert validate_pdq(" " + h.upper() + "\n") == h
    assert pdq_distance(h, h) == 0
    assert pdq_distance(h, flip(h, 17)) == 17
    with pytest.raises(ValueError, match="64 hex"):
        validate_pdq("abc")
    with pytest.raises(ValueError):
        pdq_to_words(["zz" * 32])


@pytest.mark.parametrize("bits", [0, 1, 15, 16, 17, 30, 31])
def test_within_threshold_matches(index: tuple[PdqIndex, list[str]], bits: int) -> None:
    idx, hashes = index
    q = flip(hashes[123], bits, seed=bits)
    got = idx.query(q)
    assert got and got[0].entry_id == "p123"
    assert got[0].distance == bits
    assert got[0].bank == "b"


@pytest.mark.parametrize("bits", [32, 40, 80])
def test_over_threshold_does_not_match(index: tuple[PdqIndex, list[str]], bits: int) -> None:
    idx, hashes = index
    assert idx.query(flip(hashes[7], bits, seed=bits)) == []


def test_multi_and_brute_agree_with_exact_scan() -> None:
    hashes = random_hashes(5000, seed=5)
    multi, brute = PdqIndex(mode="multi"), PdqIndex(mode="brute")
    for idx in (multi, brute):
        idx.add_many([(f"p{i}", h) for i, h in enumerate(hashes)])
    rng = np.random.default_rng(9)
    queries = [
        flip(hashes[int(i)], int(k), int(i))
        for i, k in zip(rng.integers(0, 5000, 200), rng.integers(0, 40, 200), strict=True)
    ]
    queries += random_hashes(50, seed=77)
    exp = [
        sorted(f"p{i}" for i, h in enumerate(hashes) if pdq_distance(h, q) <= 31)
        for q in queries[:40]
    ]
    got_multi = multi.query_batch(queries)
    got_brute = brute.query_batch(queries)
    assert [[m.entry_id for m in r] for r in got_multi] == [
        [m.entry_id for m in r] for r in got_brute
    ]
    assert [sorted(m.entry_id for m in r) for r in got_multi[:40]] == exp


def test_threshold_per_bank() -> None:
    idx = PdqIndex(mode="multi")
    h = random_hashes(1)[0]
    idx.add("tight", h, bank="tight")
    idx.add("wide", h, bank="wide")
    idx.set_threshold("tight", 10)
    idx.set_threshold("wide", 40)
    assert idx.threshold("tight") == 10
    assert {m.entry_id for m in idx.query(flip(h, 5))} == {"tight", "wide"}
    assert {m.entry_id for m in idx.query(flip(h, 20))} == {"wide"}
    assert {m.entry_id for m in idx.query(flip(h, 38))} == {"wide"}
    assert idx.query(flip(h, 45)) == []
    with pytest.raises(ValueError):
        idx.set_threshold("x", 300)


def test_large_threshold_uses_brute_force() -> None:
    idx = PdqIndex()
    hashes = random_hashes(3000, seed=1)
    idx.add_many([(f"p{i}", h) for i, h in enumerate(hashes)])
    idx.set_threshold("default", 60)
    assert idx.query(flip(hashes[0], 55))[0].entry_id == "p0"


def test_remove_and_incremental() -> None:
    idx = PdqIndex(mode="multi")
    hashes = random_hashes(100, seed=3)
    for i, h in enumerate(hashes):
        idx.add(f"p{i}", h)
        assert idx.query(h)[0].entry_id == f"p{i}"
    assert idx.remove("p5") == 1
    assert idx.query(hashes[5]) == []
    assert len(idx) == 99


# -- images -----------------------------------------------------------------------------


def _png(seed: int, size: int = 256) -> bytes:
    image_mod = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(seed)
    small = (rng.random((16, 16, 3)) * 255).astype(np.uint8)
    img = image_mod.fromarray(small).resize((size, size), image_mod.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_pdq_from_image_bytes_and_path(tmp_path: Path) -> None:
    pytest.importorskip("pdqhash")
    data = _png(1)
    h, quality = pdq_from_image(data)
    assert validate_pdq(h) == h
    assert 0 <= quality <= 100
    path = tmp_path / "a.png"
    path.write_bytes(data)
    assert pdq_from_image(path)[0] == h
    # the same picture resized is near; another picture is far
    assert pdq_distance(h, pdq_from_image(_png(1, size=400))[0]) <= 31
    assert pdq_distance(h, pdq_from_image(_png(2))[0]) > 31


def test_pdq_from_image_rejects_non_images(tmp_path: Path) -> None:
    pytest.importorskip("pdqhash")
    with pytest.raises(BadInput, match="not a readable image"):
        pdq_from_image(b"%PDF-1.4 definitely not an image")
    text = tmp_path / "x.txt"
    text.write_text("hello")
    with pytest.raises(BadInput, match=r"x\.txt"):
        pdq_from_image(text)
    with pytest.raises(BadInput, match="no such file"):
        pdq_from_image(tmp_path / "missing.jpg")


# -- file hashes ------------------------------------------------------------------------------


def test_file_hash_index(tmp_path: Path) -> None:
    data = b"some file content \x00\x01"
    md5 = hashlib.md5(data).hexdigest()
    sha = hashlib.sha256(data).hexdigest()
    assert file_digests(data) == (md5, sha)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert file_digests(path) == (md5, sha)
    with open(path, "rb") as fh:
        assert file_digests(fh) == (md5, sha)

    idx = FileHashIndex()
    idx.add("md5", md5.upper(), "m1", bank="b1")
    idx.add("sha256", sha, "s1", bank="b2")
    got = {(m.entry_id, m.algorithm) for m in idx.match_bytes(data)}
    assert got == {("m1", "md5"), ("s1", "sha256")}
    assert [m.entry_id for m in idx.match_file(path)] == ["m1", "s1"]
    assert idx.match_bytes(b"other") == []
    assert idx.remove("m1") == 1
    assert [m.entry_id for m in idx.match(md5=md5, sha256=sha)] == ["s1"]
    with pytest.raises(ValueError, match="MD5"):
        idx.add("md5", "1234", "bad")
