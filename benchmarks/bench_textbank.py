"""Benchmark the near-duplicate text bank (MinHash + LSH).

Builds a bank of synthetic texts in mixed scripts (Latin/Indonesian-like
syllables, Arabic with harakat, Devanagari, emoji, mathematical-bold and
full-width "styled" letters), 150-300 characters each, generated
deterministically from a seed.  Queries: half are bank texts with a few random
edits (character substitutions, insertions, deletions, a word dropped or an
emoji added, a word restyled), half are unrelated texts from another seed.

Prints build time, memory, lookups per second (one call per query, and in
batches), recall on the near-duplicates and false matches on the unrelated
texts.  With --simhash it also compares the similarity signal of a 64-bit
SimHash over the same features on a sample of pairs (why MinHash was chosen).
With --threatexchange PATH it runs python-threatexchange's raw_text matcher from
a separate virtualenv at PATH on a small bank.

    .venv/bin/python benchmarks/bench_textbank.py            # 1,000,000 texts
    .venv/bin/python benchmarks/bench_textbank.py --n 100000 --simhash
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import time
from collections.abc import Iterator

import numpy as np

from ronda.detection.hashing.text import TextIndex, _ngram_features, canonical_text

SYLLABLES = [c + v for c in "bcdfghjklmnprstwy" for v in "aiueo"] + ["ng", "ny", "an", "in", "ah"]
ARABIC = [chr(c) for c in range(0x0627, 0x064B)]
HARAKAT = [chr(c) for c in range(0x064B, 0x0651)]
DEVA_CONS = [chr(c) for c in range(0x0915, 0x093A)]
DEVA_SIGNS = [chr(c) for c in range(0x093E, 0x094D)]
EMOJI = [chr(c) for c in range(0x1F600, 0x1F650)] + [chr(c) for c in range(0x1F300, 0x1F340)]


def _styled(word: str, kind: int) -> str:
    out = []
    for ch in word:
        if "a" <= ch <= "z":
            if kind == 0:  # mathematical bold
                out.append(chr(0x1D41A + ord(ch) - 97))
            else:  # full-width
                out.append(chr(0xFF41 + ord(ch) - 97))
        else:
            out.append(ch)
    return "".join(out)


def make_vocab(rng: np.random.Generator, size: int = 30000) -> list[str]:
    words: list[str] = []
    for i in range(size):
        kind = i % 10
        if kind < 6:
            k = int(rng.integers(1, 5))
            w = "".join(SYLLABLES[j] for j in rng.integers(0, len(SYLLABLES), k))
        elif kind < 8:
            k = int(rng.integers(3, 8))
            w = "".join(
                ARABIC[j] + (HARAKAT[int(h)] if h < len(HARAKAT) else "")
                for j, h in zip(
                    rng.integers(0, len(ARABIC), k), rng.integers(0, 12, k), strict=True
                )
            )
        else:
            k = int(rng.integers(2, 5))
            w = "".join(
                DEVA_CONS[j] + DEVA_SIGNS[s]
                for j, s in zip(
                    rng.integers(0, len(DEVA_CONS), k),
                    rng.integers(0, len(DEVA_SIGNS), k),
                    strict=True,
                )
            )
        words.append(w)
    return words


def generate(n: int, seed: int, vocab: list[str]) -> list[str]:
    return list(iter_generate(n, seed, vocab))


def iter_generate(n: int, seed: int, vocab: list[str]) -> Iterator[str]:
    """n texts of about 150-300 characters: Zipf-distributed words, emoji, styled words."""
    rng = np.random.default_rng(seed)
    v = len(vocab)
    chunk = 50000
    for c0 in range(0, n, chunk):
        m = min(chunk, n - c0)
        targets = rng.integers(150, 301, m)
        words = (rng.zipf(1.3, size=(m, 80)) - 1) % v
        extras = rng.random((m, 80))
        emo = rng.integers(0, len(EMOJI), (m, 80))
        for i in range(m):
            parts: list[str] = []
            length = 0
            row = words[i]
            ex = extras[i]
            for j in range(80):
                w = vocab[row[j]]
                r = ex[j]
                if r < 0.05:
                    w = _styled(w, j % 2)
                elif r < 0.12:
                    w = w + EMOJI[emo[i, j]]
                elif r < 0.16:
                    w = w.capitalize() + ","
                parts.append(w)
                length += len(w) + 1
                if length >= targets[i]:
                    break
            yield " ".join(parts)


def mutate(text: str, rng: np.random.Generator, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        op = int(rng.integers(0, 6))
        pos = int(rng.integers(0, max(1, len(chars))))
        if op == 0 and chars:
            chars[pos] = SYLLABLES[int(rng.integers(0, len(SYLLABLES)))][0]
        elif op == 1:
            chars.insert(pos, "!")
        elif op == 2 and len(chars) > 10:
            del chars[pos]
        elif op == 3:
            chars.insert(pos, " " + EMOJI[int(rng.integers(0, len(EMOJI)))] + " ")
        elif op == 4:
            chars.insert(pos, "\u200b")  # zero-width space: must be ignored
        else:
            # restyle the word around pos into full-width letters
            s = "".join(chars)
            a = s.rfind(" ", 0, pos) + 1
            b = s.find(" ", pos)
            b = len(s) if b < 0 else b
            chars = list(s[:a] + _styled(s[a:b], 1) + s[b:])
    return "".join(chars)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def simhash64(texts: list[str]) -> np.ndarray:
    canon = [canonical_text(t) for t in texts]
    feats, starts = _ngram_features(canon, 5)
    bits = np.unpackbits(feats.view(np.uint8)).reshape(-1, 64).astype(np.int32) * 2 - 1
    sums = np.add.reduceat(bits, starts, axis=0)
    return np.packbits((sums > 0).astype(np.uint8), axis=1).view(np.uint64).ravel()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--edits", type=int, default=4, help="maximum edits per near-duplicate")
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--band-rows", type=int, default=4)
    ap.add_argument("--num-perm", type=int, default=32)
    ap.add_argument("--max-bucket", type=int, default=32)
    ap.add_argument("--simhash", action="store_true")
    ap.add_argument(
        "--threatexchange", metavar="VENV", help="virtualenv with threatexchange installed"
    )
    args = ap.parse_args()

    rng = np.random.default_rng(7)
    vocab = make_vocab(rng)
    half = args.queries // 2
    qrng = np.random.default_rng(11)
    picks = qrng.choice(args.n, size=min(half, args.n), replace=False)
    wanted = set(picks.tolist())
    kept: dict[int, str] = {}
    lengths: list[int] = []

    def stream() -> Iterator[tuple[str, str]]:
        for i, t in enumerate(iter_generate(args.n, 1, vocab)):
            if i in wanted:
                kept[i] = t
            if i < 10000:
                lengths.append(len(t))
            yield f"e{i}", t

    index = TextIndex(
        num_perm=args.num_perm,
        band_rows=args.band_rows,
        default_threshold=args.threshold,
        max_bucket=args.max_bucket,
    )
    rss0 = rss_mb()
    t0 = time.perf_counter()
    index.add_many(stream(), bank="bench")
    index.query("warm up")  # seals the segment (builds the band table)
    build_s = time.perf_counter() - t0
    gc.collect()
    print(
        f"bank: {len(index):,} synthetic texts (mean {sum(lengths) / len(lengths):.0f} chars), "
        f"generated + hashed + indexed in {build_s:.1f}s; max RSS {rss_mb():.0f} MB "
        f"(before {rss0:.0f} MB)"
    )

    originals = [kept[i] for i in picks]
    near = [mutate(t, qrng, int(qrng.integers(1, args.edits + 1))) for t in originals]
    unrelated = generate(args.queries - half, 99, vocab)
    queries = near + unrelated

    t0 = time.perf_counter()
    single = [index.query(q) for q in queries]
    single_s = time.perf_counter() - t0
    print(
        f"single lookups: {len(queries) / single_s:,.0f}/s ({len(queries):,} queries, one call each)"
    )

    t0 = time.perf_counter()
    batched: list = []
    for b in range(0, len(queries), 1000):
        batched.extend(index.query_batch(queries[b : b + 1000]))
    batch_s = time.perf_counter() - t0
    print(f"batched lookups (1000 a call): {len(queries) / batch_s:,.0f}/s")
    assert [[m.entry_id for m in r] for r in batched] == [[m.entry_id for m in r] for r in single]

    found = sum(
        1
        for i, r in zip(picks, single[:half], strict=True)
        if any(m.entry_id == f"e{i}" for m in r)
    )
    sims = [
        max((m.similarity for m in r if m.entry_id == f"e{i}"), default=0.0)
        for i, r in zip(picks, single[:half], strict=True)
    ]
    false_near = sum(
        1 for i, r in zip(picks, single[:half], strict=True) for m in r if m.entry_id != f"e{i}"
    )
    false_unrel = sum(len(r) for r in single[half:])
    print(
        f"recall on near-duplicates (1-{args.edits} edits): {found}/{half} = {found / half:.4f}; "
        f"median similarity {np.median(sims):.3f}"
    )
    print(
        f"false matches: {false_unrel} on {len(unrelated):,} unrelated texts, "
        f"{false_near} extra on near-duplicates (threshold {args.threshold})"
    )

    if args.simhash:
        sample = min(2000, half)
        a = simhash64(originals[:sample])
        b = simhash64(near[:sample])
        c = simhash64(unrelated[:sample])
        d_near = np.bitwise_count(a ^ b)
        d_unrel = np.bitwise_count(a ^ c)
        sig_a = index.signatures(originals[:sample])
        j_near = (sig_a == index.signatures(near[:sample])).mean(1)
        j_unrel = (sig_a == index.signatures(unrelated[:sample])).mean(1)
        print(
            "SimHash-64 Hamming distance, near-duplicates: "
            f"p50 {np.percentile(d_near, 50):.0f}, p90 {np.percentile(d_near, 90):.0f}, p99 {np.percentile(d_near, 99):.0f}; "
            f"unrelated: p1 {np.percentile(d_unrel, 1):.0f}, min {d_unrel.min()}"
        )
        for k in (3, 6, 10, 14):
            print(
                f"  SimHash k={k}: recall {np.mean(d_near <= k):.3f}, unrelated pairs within k {np.mean(d_unrel <= k):.5f}"
            )
        print(
            f"MinHash similarity, near-duplicates: p10 {np.percentile(j_near, 10):.3f}, p50 {np.percentile(j_near, 50):.3f}; "
            f"unrelated: max {j_unrel.max():.3f}"
        )

    if args.threatexchange:
        run_threatexchange(args.threatexchange, originals[:2000], near[:50] + unrelated[:50])


TE_SCRIPT = r"""
import json, sys, time
from threatexchange.signal_type.raw_text import RawTextSignal
data = json.load(sys.stdin)
idx = RawTextSignal.get_index_cls().build([(t, i) for i, t in enumerate(data["bank"])])
hits, failures, first_error = [], 0, ""
t0 = time.perf_counter()
for q in data["queries"]:
    try:
        hits.append(len(idx.query(q)) > 0)
    except Exception as exc:
        failures += 1
        first_error = first_error or f"{type(exc).__name__}: {exc}"[:200]
        hits.append(False)
dt = time.perf_counter() - t0
print(json.dumps({"qps": len(data["queries"]) / dt, "hits": hits, "failures": failures, "error": first_error}))
"""


def run_threatexchange(venv: str, bank: list[str], queries: list[str]) -> None:
    import json

    py = f"{venv}/bin/python"
    payload = json.dumps({"bank": bank, "queries": queries})
    try:
        res = subprocess.run(
            [py, "-c", TE_SCRIPT],
            input=payload,
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        print(f"threatexchange raw_text: failed: {exc.stderr.strip().splitlines()[-1:]}")
        return
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"threatexchange raw_text: could not run ({exc})", file=sys.stderr)
        return
    out = json.loads(res.stdout.strip().splitlines()[-1])
    near_hits = sum(out["hits"][: len(queries) // 2])
    unrel_hits = sum(out["hits"][len(queries) // 2 :])
    print(
        f"threatexchange raw_text (brute-force Levenshtein), bank {len(bank):,}: {out['qps']:.1f} lookups/s; "
        f"near-duplicates found {near_hits}/{len(queries) // 2}, unrelated matched {unrel_hits}; "
        f"queries that raised: {out['failures']} ({out['error']})"
    )


if __name__ == "__main__":
    main()
