"""5-fold stratified cross-validation on the balanced Women's Clothing reviews, for two label
columns (3-class ``sentiment`` and the 18 ``product_category`` classes): the defaults of
``review-scorer train``, the article's BlazingText hyperparameters and ``--tune`` (nested: each
outer fold's settings are searched on that fold's training rows only), same folds, same
tokenizer; with the coverage a review threshold keeps at accuracy 0.85 and 0.90.

    python bench/cv_bench.py --data ../shared/data [--json OUT] [--tune-seconds S]
                             [--article-folds K] [--labels sentiment product_category]

The article's settings (epochs 10, lr 0.01, min_count 2, vector_dim 300, word_ngrams 3, and
BlazingText's default 2M buckets) make a 2.4 GB model: each fold's model is trained, saved,
measured, scored and deleted before the next, so only one exists at a time, in memory or on disk.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training import coverage
from review_scorer_training.data import Dataset, load
from review_scorer_training.evaluate import Chooser, cross_validate
from review_scorer_training.fasttext_local import Hyperparameters
from review_scorer_training.progress import Progress
from review_scorer_training.tune import TuneOptions, fold_chooser

BALANCED = "womens_clothing_ecommerce_reviews_balanced.csv"
LABEL_COLUMNS = ("sentiment", "product_category")
FOLDS = 5
SEED = 42
TUNE_SECONDS = 45.0  # per outer fold's search: 5 searches per label column
TARGETS = (0.85, 0.90)
TUNED = Hyperparameters()
# The article: epochs 10, learning_rate 0.01, min_count 2, vector_dim 300, word_ngrams 3; buckets
# not set, so BlazingText's default of 2,000,000.
ARTICLE = Hyperparameters(epoch=10, lr=0.01, dim=300, word_ngrams=3, min_count=2, bucket=2_000_000)


def measure(
    name: str,
    hp: Hyperparameters,
    dataset: Dataset,
    runs: int,
    choose: Chooser | None = None,
) -> dict[str, Any]:
    started = time.perf_counter()
    progress = Progress(bars=False)
    progress.step(f"{name}: {runs} of {FOLDS} folds")
    cv = cross_validate(
        dataset, FOLDS, hp, seed=SEED, progress=progress, run_folds=runs, choose=choose
    )
    tuned = cv.summary.get("tuned")
    return {
        "settings": name,
        "hyperparameters": tuned["hyperparameters_by_fold"] if tuned else asdict(hp),
        "folds": f"{cv['folds_run']} of {FOLDS}" if cv["folds_run"] != FOLDS else FOLDS,
        "accuracy": cv["accuracy"],
        "macro_f1": cv["macro_f1"],
        "coverage": {f"{t:g}": coverage.at_accuracy(cv.rows, t) for t in TARGETS},
        "model_mb": round(cv["model_bytes"] / 1e6, 1),
        "train_seconds_per_fold": cv["train_seconds"]["mean"],
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def run(
    data_dir: Path,
    *,
    article_folds: int = FOLDS,
    tune_seconds: float = TUNE_SECONDS,
    label_columns: tuple[str, ...] = LABEL_COLUMNS,
) -> dict[str, Any]:
    """Every setting on the same shuffled, seeded, stratified folds, per label column."""
    tune = TuneOptions(seconds=tune_seconds)
    columns: dict[str, Any] = {}
    for column in label_columns:
        dataset = load(data_dir / BALANCED, "review_body", column, seed=SEED)
        chooser = fold_chooser(tune, seed=SEED, progress=Progress(bars=False))
        results = [
            measure("defaults", TUNED, dataset, FOLDS),
            measure("article", ARTICLE, dataset, article_folds),
            measure(f"--tune ({tune_seconds:g} s a fold)", TUNED, dataset, FOLDS, chooser),
        ]
        columns[column] = {
            "rows": dataset.counts.used,
            "classes": len(dataset.names),
            "results": results,
            "table": table(results),
        }
    notes = [
        f"{BALANCED}, shuffled (seed {SEED}), stratified folds; fastText (fasttext-wheel 0.9.2) "
        f"with one thread; tokenizer {TOKENIZER_VERSION}.",
        "std is the sample standard deviation over the folds; model size is the largest fold's "
        "model.bin; train time is one fold's fastText training, without scoring (for --tune, "
        "without the search).",
        f"--tune is nested: each outer fold runs its own {tune_seconds:g} s search on its "
        "training rows (3 inner folds), so its held-out rows never took part in choosing.",
        "coverage at A: the share of the out-of-fold rows a review threshold keeps at accuracy A "
        "(the lowest threshold on a 0.01 grid from which every higher one keeps A, on at least 1% "
        "of the rows), with the range of the five folds' own coverage at that threshold.",
    ]
    if article_folds != FOLDS:
        notes.append(
            f"The article's settings ran on the first {article_folds} of the {FOLDS} folds only "
            "(same split), to keep the benchmark short: its figures average fewer folds."
        )
    return {"benchmark": "cv", "columns": columns, "notes": notes}


def _covered(found: dict[str, Any]) -> str:
    if found["coverage"] is None:
        return "not reached"
    folds = found.get("folds", {}).get("coverage", {})
    spread = f" ({folds['min']:.1%}-{folds['max']:.1%})" if folds.get("min") is not None else ""
    return f"{found['coverage']:.1%} at t={found['threshold']:.2f}{spread}"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| settings | folds | accuracy (mean ± std) | macro F1 (mean ± std) | coverage at 0.85 | "
        "coverage at 0.90 | model.bin | train time / fold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        acc, f1 = r["accuracy"], r["macro_f1"]
        lines.append(
            f"| {r['settings']} | {r['folds']} | {acc['mean']:.4f} ± {acc['std']:.4f} | "
            f"{f1['mean']:.4f} ± {f1['std']:.4f} | {_covered(r['coverage']['0.85'])} | "
            f"{_covered(r['coverage']['0.9'])} | {r['model_mb']:,} MB | "
            f"{r['train_seconds_per_fold']:.1f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--article-folds", type=int, default=FOLDS,
                        help="folds run for the article's settings (default: all)")  # fmt: skip
    parser.add_argument("--tune-seconds", type=float, default=TUNE_SECONDS,
                        help="each outer fold's search budget (default: %(default)s)")  # fmt: skip
    parser.add_argument("--labels", nargs="+", default=list(LABEL_COLUMNS),
                        help="label columns (default: %(default)s)")  # fmt: skip
    args = parser.parse_args(argv)
    if not (args.data / BALANCED).is_file():
        print(f"cv_bench: {args.data / BALANCED} not found", file=sys.stderr)
        return 2
    report = run(
        args.data,
        article_folds=args.article_folds,
        tune_seconds=args.tune_seconds,
        label_columns=tuple(args.labels),
    )
    for column, found in report["columns"].items():
        print(f"\n{column} ({found['classes']} classes, {found['rows']} rows)\n")
        print(found["table"])
    for note in report["notes"]:
        print(f"- {note}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
