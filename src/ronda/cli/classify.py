"""``ronda classify``: score posts from stdin, one JSON object per line on stdout.

Input is read as a stream and scored in batches (the classifier is vectorised over a batch),
so arbitrarily long inputs run in constant memory and output starts before input ends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import numpy as np
import typer

BATCH = 2048


def _batches(stream: TextIO, size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in stream:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def classify(
    threshold: Annotated[
        str, typer.Option(help="Operating point for labels: review or auto.")
    ] = "review",
    model: Annotated[
        Path | None, typer.Option(help="Model directory or file (default: the shipped model).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Lines scored together.")] = BATCH,
) -> None:
    """Classify one text per stdin line; print {"labels", "scores", "language"} per line."""
    from ronda.detection.classifier.model import OPERATING_POINTS, load_default_model, load_model
    from ronda.detection.langid import detect_language_batch

    if threshold not in OPERATING_POINTS:
        raise typer.BadParameter(
            f"use one of {', '.join(OPERATING_POINTS)}", param_hint="--threshold"
        )
    try:
        clf = load_model(model) if model else load_default_model()
    except (OSError, KeyError, ValueError) as exc:
        typer.echo(f"error: cannot load model: {exc}", err=True)
        raise typer.Exit(code=1) from None
    stdin = typer.get_text_stream("stdin", errors="replace")
    out = sys.stdout
    cats = clf.categories
    dumps = json.dumps
    for batch in _batches(stdin, batch_size):
        proba = clf.predict_proba(batch)
        labels = clf.labels_from_proba(proba, threshold)
        languages = detect_language_batch(batch)
        rounded = proba.astype(np.float64).round(4).tolist()
        lines = [
            dumps({"labels": lab, "scores": dict(zip(cats, row, strict=True)), "language": lang})
            for lab, row, lang in zip(labels, rounded, languages, strict=True)
        ]
        out.write("\n".join(lines) + "\n")
        out.flush()
