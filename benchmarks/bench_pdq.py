"""Benchmark the PDQ index (and pdqhash image hashing when installed).

100,000 random 256-bit hashes in a bank; 10,000 queries, half made from a bank
entry by flipping 1..31 random bits (must match at threshold 31), half random
(must not).  Measures lookups per second for the multi-index (16 chunks of 16
bits) and the numpy brute-force scan, one call per query and in batches, and
checks both against an exact scan.  Then hashes 512x512 images with pdqhash.

    .venv/bin/python benchmarks/bench_pdq.py
    .venv/bin/python benchmarks/bench_pdq.py --n 1000000 --queries 2000
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np

from ronda.detection.hashing.pdq import PdqIndex, pdq_from_image


def to_hex(words: np.ndarray) -> list[str]:
    raw = words.astype(">u8").tobytes()
    return [raw[i * 32 : (i + 1) * 32].hex() for i in range(words.shape[0])]


def flip_bits(words: np.ndarray, rng: np.random.Generator, max_flips: int) -> np.ndarray:
    out = words.copy()
    for i in range(out.shape[0]):
        k = int(rng.integers(1, max_flips + 1))
        for b in rng.choice(256, size=k, replace=False):
            out[i, b // 64] ^= np.uint64(1) << np.uint64(b % 64)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--threshold", type=int, default=31)
    ap.add_argument("--images", type=int, default=200)
    args = ap.parse_args()

    rng = np.random.default_rng(3)
    bank = rng.integers(0, 2**64, size=(args.n, 4), dtype=np.uint64)
    ids = [f"p{i}" for i in range(args.n)]
    half = args.queries // 2
    src = rng.choice(args.n, size=half, replace=False)
    near = flip_bits(bank[src], rng, args.threshold)
    far = rng.integers(0, 2**64, size=(args.queries - half, 4), dtype=np.uint64)
    queries = np.concatenate([near, far])
    qhex = to_hex(queries)
    print(
        f"bank {args.n:,} random PDQ hashes; {args.queries:,} queries "
        f"({half:,} within 1..{args.threshold} bits of an entry); threshold {args.threshold}"
    )

    # exact answer, by a chunked scan
    truth: list[set[str]] = []
    for q in queries:
        d = np.bitwise_count(bank ^ q).sum(axis=1)
        truth.append({ids[i] for i in np.flatnonzero(d <= args.threshold)})

    for mode in ("multi", "brute"):
        index = PdqIndex(default_threshold=args.threshold, mode=mode)
        t0 = time.perf_counter()
        index.add_words(ids, bank, bank="bench")
        index.query(qhex[0])
        build = time.perf_counter() - t0
        nq = args.queries if mode == "multi" else min(args.queries, 2000)
        t0 = time.perf_counter()
        single = [index.query(h) for h in qhex[:nq]]
        single_rate = nq / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        batched: list = []
        for b in range(0, nq, 1000):
            batched.extend(index.query_batch(qhex[b : b + 1000]))
        batch_rate = nq / (time.perf_counter() - t0)
        correct = sum({m.entry_id for m in r} == truth[i] for i, r in enumerate(single))
        same = all(
            [m.entry_id for m in a] == [m.entry_id for m in b]
            for a, b in zip(single, batched, strict=True)
        )
        found = sum(
            1 for i in range(min(half, nq)) if f"p{src[i]}" in {m.entry_id for m in single[i]}
        )
        print(
            f"{mode:5s}: build {build:.2f}s; single {single_rate:,.0f} lookups/s; "
            f"batched {batch_rate:,.0f}/s; exact results {correct}/{nq}; "
            f"planted matches found {found}/{min(half, nq)}; batch==single {same}"
        )

    try:
        import pdqhash  # noqa: F401
        from PIL import Image
    except ImportError:
        print("Pillow/pdqhash not installed: image hashing not measured")
        return
    blobs = []
    for i in range(args.images):
        arr = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
        img = Image.fromarray(arr).resize((512, 512), Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        blobs.append(buf.getvalue())
        if i == 0:
            img.save(buf := io.BytesIO(), format="JPEG", quality=90)
            jpeg = buf.getvalue()
    t0 = time.perf_counter()
    hashes = [pdq_from_image(b) for b in blobs]
    rate = len(blobs) / (time.perf_counter() - t0)
    h_png, _ = hashes[0]
    h_jpg, _ = pdq_from_image(jpeg)
    d = int(
        np.bitwise_count(
            np.frombuffer(bytes.fromhex(h_png), np.uint8)
            ^ np.frombuffer(bytes.fromhex(h_jpg), np.uint8)
        ).sum()
    )
    print(
        f"pdq_from_image: {rate:.0f} images/s (512x512 PNG, decode + hash); "
        f"PNG vs JPEG q90 of the same image: distance {d}"
    )


if __name__ == "__main__":
    main()
