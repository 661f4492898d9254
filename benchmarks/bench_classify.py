"""Throughput of the classifier against a plain scikit-learn pipeline, on one core.

100,000 posts of about 200 characters (built from the shared datasets, or from the written
examples if those are absent) go through

1. the in-process API: ``predict_proba`` + ``labels_from_proba`` (normalisation included);
2. the full ``ronda classify`` path in process: the above plus language identification and
   one JSON line per post;
3. the CLI with a pipe: ``ronda classify < posts.txt > /dev/null`` (process start and model
   load included);
4. a reference: ``TfidfVectorizer`` (word 1-2) + ``TfidfVectorizer`` (char 2-5) +
   one-vs-rest ``LogisticRegression`` over the same categories, fitted on a sample, timed
   on the same posts with the same batching.

The process is pinned to one CPU and BLAS/OpenMP threads are set to 1. Figures are printed,
not asserted. Run from the repository root:

    python benchmarks/bench_classify.py [--posts 100000] [--data-dir ../shared/data]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

BATCH = 2048


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build_posts(n: int, data_dir: Path, seed: int) -> tuple[list[str], list[str], np.ndarray]:
    """``n`` posts of ~200 chars, plus a labelled sample (texts, label matrix) for the reference."""
    from ronda.detection.classifier.data import load_corpus

    corpus = load_corpus(data_dir) if data_dir.is_dir() else None
    if corpus is None or len(corpus) == 0:
        from ronda.detection.classifier.data import Corpus, _written, written_dir

        texts, labels = [], []
        for _, (text, lab) in _written(written_dir()):
            texts.append(text)
            labels.append(lab)
        from ronda.detection.classifier.model import CATEGORIES

        matrix = np.array([[int(lab.get(c, 0) == 1) for c in CATEGORIES] for lab in labels])
        corpus = Corpus(
            texts=texts, sources=["written"] * len(texts), labels=matrix.astype(np.int8)
        )
    rng = random.Random(seed)
    pool = corpus.texts
    posts = []
    for _ in range(n):
        parts: list[str] = []
        size = 0
        while size < 200:
            t = rng.choice(pool).replace("\n", " ").strip()
            parts.append(t)
            size += len(t) + 1
        posts.append(" ".join(parts)[:200])
    sample = rng.sample(range(len(pool)), min(15000, len(pool)))
    return posts, [pool[i] for i in sample], (corpus.labels[sample] == 1).astype(np.int8)


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:10,.0f} posts/s  ({seconds:6.1f} s)"


def time_api(clf, posts: list[str]) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for i in range(0, len(posts), BATCH):
        proba = clf.predict_proba(posts[i : i + BATCH])
        clf.labels_from_proba(proba, "review")
    return time.perf_counter() - start


def time_classify_path(clf, posts: list[str]) -> float:  # type: ignore[no-untyped-def]
    from ronda.detection.langid import detect_language_batch

    cats = clf.categories
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    start = time.perf_counter()
    for i in range(0, len(posts), BATCH):
        batch = posts[i : i + BATCH]
        proba = clf.predict_proba(batch)
        labels = clf.labels_from_proba(proba, "review")
        langs = detect_language_batch(batch)
        rows = proba.astype(np.float64).round(4).tolist()
        sink.write(
            "\n".join(
                json.dumps(
                    {"labels": lab, "scores": dict(zip(cats, r, strict=True)), "language": g}
                )
                for lab, r, g in zip(labels, rows, langs, strict=True)
            )
            + "\n"
        )
    elapsed = time.perf_counter() - start
    sink.close()
    return elapsed


def time_cli(posts: list[str]) -> tuple[float, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(posts) + "\n")
        path = f.name
    ronda = shutil.which("ronda") or str(Path(sys.executable).parent / "ronda")
    if Path(ronda).exists():
        cmd = [ronda, "classify"]
    else:  # the main CLI is not installed: run the same command function directly
        cmd = [
            sys.executable,
            "-c",
            "import typer; from ronda.cli.classify import classify; typer.run(classify)",
        ]
    cpu = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    start = time.perf_counter()
    with open(path, "rb") as src, open(os.devnull, "wb") as dst:
        subprocess.run(cpu + cmd, stdin=src, stdout=dst, check=True)
    elapsed = time.perf_counter() - start
    os.unlink(path)
    return elapsed, " ".join(cpu + cmd[:2])


def time_reference(train_texts: list[str], y: np.ndarray, posts: list[str]) -> tuple[float, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline, make_union

    keep = y.sum(axis=0) > 0
    pipe = make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2)),
            TfidfVectorizer(analyzer="char", ngram_range=(2, 5)),
        ),
        OneVsRestClassifier(LogisticRegression(max_iter=300)),
    )
    start = time.perf_counter()
    pipe.fit(train_texts, y[:, keep])
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(0, len(posts), BATCH):
        pipe.predict_proba(posts[i : i + BATCH])
    return time.perf_counter() - start, fit_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(f"load average at start: {os.getloadavg()}  cpus visible: {os.cpu_count()}")
    posts, train_texts, y = build_posts(args.posts, args.data_dir, args.seed)
    print(f"{len(posts):,} posts, mean {np.mean([len(p) for p in posts]):.0f} chars")

    from ronda.detection.classifier.model import load_default_model, load_model

    before = rss_mb()
    t0 = time.perf_counter()
    clf = load_model(args.model) if args.model else load_default_model()
    load_s = time.perf_counter() - t0
    after = rss_mb()
    print(
        f"model {clf.version}: load {load_s:.2f} s, arrays {clf.nbytes / 2**20:.1f} MiB, "
        f"process RSS +{after - before:.1f} MiB (now {after:.0f} MiB)"
    )
    clf.predict_proba(posts[:BATCH])  # warm up lazily built tables

    api = time_api(clf, posts)
    print(f"in-process API (predict_proba + labels):       {rate(len(posts), api)}")
    path = time_classify_path(clf, posts)
    print(f"in-process classify path (+ langid + JSON):     {rate(len(posts), path)}")
    if not args.skip_cli:
        cli, how = time_cli(posts)
        print(f"CLI with a pipe ({how}):  {rate(len(posts), cli)}")
    if not args.skip_reference:
        ref, fit_s = time_reference(train_texts, y, posts)
        print(
            f"sklearn TF-IDF word1-2+char2-5 + LR (fit {fit_s:.0f} s on {len(train_texts):,}): "
            f"{rate(len(posts), ref)}"
        )
        print(
            f"speed-up, in-process API vs sklearn: {ref / api:.1f}x; classify path vs sklearn: "
            f"{ref / path:.1f}x"
        )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
