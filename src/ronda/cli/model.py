"""``ronda model``: train and evaluate the text classifier.

``train`` needs the development dependencies (scikit-learn, scipy) and the shared datasets;
``eval`` needs only the runtime (numpy). Commands parse options, call the classifier
package and render; the work lives in ``ronda.detection.classifier``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Train and evaluate the text classifier.", no_args_is_help=True)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


@app.command()
def train(
    data_dir: Annotated[Path, typer.Option(help="Shared datasets directory (read only).")] = Path(
        "../shared/data"
    ),
    out: Annotated[
        Path | None,
        typer.Option(help="Directory to write classifier.npz/.json to (default var/model)."),
    ] = None,
    install: Annotated[
        bool, typer.Option("--install", help="Write into the package's default model directory.")
    ] = False,
    written: Annotated[
        Path | None,
        typer.Option(help="Written examples directory (default datasets/ronda-written)."),
    ] = None,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds.")] = 5,
    bits: Annotated[int, typer.Option(min=16, max=24, help="log2 of hashed buckets.")] = 20,
    weighting: Annotated[
        str, typer.Option(help="Feature weighting: idf (default) or count.")
    ] = "idf",
    release: Annotated[
        str, typer.Option(help="Dated release part of the version, e.g. 2026.11.1.")
    ] = "",
    nb: Annotated[
        bool,
        typer.Option(
            "--nb/--no-nb",
            help="Scale features per category by their log-count ratio (default on; "
            "--no-nb trains on plain features, for comparison).",
        ),
    ] = True,
) -> None:
    """Train on the shared data and the written examples, cross-validate, write the model."""
    try:
        from ronda.detection.classifier.features import FeatureSpec
        from ronda.detection.classifier.model import CATEGORIES, default_model_dir
        from ronda.detection.classifier.train import TrainConfig
        from ronda.detection.classifier.train import train as run_training
    except ImportError as exc:  # pragma: no cover - depends on the environment
        _fail(f"training needs the dev dependencies (scikit-learn, scipy): {exc}")
        return
    if not data_dir.is_dir():
        _fail(f"data directory {data_dir} not found")
    if install and out is not None:
        _fail("use either --install or --out, not both")
    target = default_model_dir() if install else (out or Path("var/model"))
    if weighting not in ("idf", "count"):
        _fail(f"unknown weighting {weighting!r}; use idf or count")
    cfg = TrainConfig(
        spec=FeatureSpec(bits=bits, weighting=weighting), folds=folds, release=release
    )
    if not nb:
        cfg.nb_alpha = dict.fromkeys(CATEGORIES)
    steps = {
        "features": 1,
        **{f"fold {i + 1}": len(CATEGORIES) for i in range(folds)},
        "final": len(CATEGORIES),
    }
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks = {name: progress.add_task(name, total=total) for name, total in steps.items()}

        def report(step: str, done: int, total: int) -> None:
            progress.update(tasks[step], completed=done, total=total)

        meta = run_training(data_dir, target / "classifier", cfg, written=written, progress=report)
    _print_summary(console, meta, target)


def _print_summary(console: Console, meta: dict[str, Any], target: Path) -> None:
    quality = meta["quality"]
    table = Table(title=f"{meta['version']} -> {target}")
    for column in ("category", "review", "auto", "P/R/F1 @review (cross-fitted)"):
        table.add_column(column)
    for cat, thr in meta["thresholds"]["review"].items():
        m = quality["per_category_all_sources"][cat]["review"]
        table.add_row(
            cat,
            f"{thr:.4f}",
            f"{meta['thresholds']['auto'][cat]:.4f}",
            f"{m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}",
        )
    console.print(table)
    rate = quality["everyday"]["review"]["any_label_rate"]
    console.print(f"everyday texts with any label at review: {rate:.2%}")


def _parse_threshold(value: str) -> str | float:
    if value in ("review", "auto"):
        return value
    try:
        number = float(value)
    except ValueError:
        raise typer.BadParameter("use review, auto or a probability") from None
    if not 0.0 <= number <= 1.01:
        raise typer.BadParameter("a probability threshold must be within 0..1.01")
    return number


@app.command("eval")
def evaluate(
    data: Annotated[Path, typer.Option(help="CSV file with a header row.")],
    text_column: Annotated[str, typer.Option(help="Column holding the text.")],
    label_column: Annotated[str, typer.Option(help="Column holding the label value.")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="VALUE=CATEGORY (repeatable); CATEGORY may be none."),
    ] = None,
    threshold: Annotated[str, typer.Option(help="review, auto or a probability.")] = "review",
    model: Annotated[Path | None, typer.Option(help="Model directory or file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Precision, recall, F1 and support per category on a labelled CSV.

    Rows whose label value is not mapped are negatives for every category.
    """
    from ronda.detection.classifier.evaluate import evaluate_csv, parse_mapping
    from ronda.detection.classifier.model import load_default_model, load_model

    op = _parse_threshold(threshold)
    if not data.is_file():
        _fail(f"{data} not found")
    clf = load_model(model) if model else load_default_model()
    try:
        mapping = parse_mapping(map_ or [], clf.categories)
        result = evaluate_csv(
            clf,
            data,
            text_column=text_column,
            label_column=label_column,
            mapping=mapping,
            threshold=op,
        )
    except ValueError as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{clf.version} on {data.name} ({result['rows']} rows, {threshold})")
    for column in ("category", "precision", "recall", "f1", "support", "threshold"):
        table.add_column(column)
    for cat, m in result["categories"].items():
        table.add_row(
            cat,
            f"{m['precision']:.4f}",
            f"{m['recall']:.4f}",
            f"{m['f1']:.4f}",
            str(m["support"]),
            f"{m['threshold']:.4f}",
        )
    Console().print(table)
