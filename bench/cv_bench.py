"""5-fold stratified cross-validation on the balanced Women's Clothing reviews: the tuned
defaults of ``review-scorer train`` beside the article's BlazingText hyperparameters, same run,
same folds, same tokenizer.

    python bench/cv_bench.py --data ../shared/data [--json OUT] [--article-folds K]

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
from review_scorer_training.data import load
from review_scorer_training.evaluate import cross_validate
from review_scorer_training.fasttext_local import Hyperparameters
from review_scorer_training.progress import Progress

BALANCED = "womens_clothing_ecommerce_reviews_balanced.csv"
FOLDS = 5
SEED = 42
TUNED = Hyperparameters()
# The article: epochs 10, learning_rate 0.01, min_count 2, vector_dim 300, word_ngrams 3; buckets
# not set, so BlazingText's default of 2,000,000.
ARTICLE = Hyperparameters(epoch=10, lr=0.01, dim=300, word_ngrams=3, min_count=2, bucket=2_000_000)


def measure(name: str, hp: Hyperparameters, dataset: Any, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    progress = Progress(bars=False)
    progress.step(f"{name}: {runs} of {FOLDS} folds")
    cv = cross_validate(dataset, FOLDS, hp, seed=SEED, progress=progress, run_folds=runs)
    return {
        "settings": name,
        "hyperparameters": asdict(hp),
        "folds": f"{cv['folds_run']} of {FOLDS}" if cv["folds_run"] != FOLDS else FOLDS,
        "accuracy": cv["accuracy"],
        "macro_f1": cv["macro_f1"],
        "model_mb": round(cv["model_bytes"] / 1e6, 1),
        "train_seconds_per_fold": cv["train_seconds"]["mean"],
        "wall_seconds": round(time.perf_counter() - started, 1),
    }


def run(data_dir: Path, *, article_folds: int = FOLDS) -> dict[str, Any]:
    """Both settings on the same shuffled, seeded, stratified folds; figures and a table."""
    dataset = load(data_dir / BALANCED, "review_body", "sentiment", seed=SEED)
    results = [
        measure("tuned defaults", TUNED, dataset, FOLDS),
        measure("article", ARTICLE, dataset, article_folds),
    ]
    notes = [
        f"{dataset.counts.used} rows, shuffled (seed {SEED}), stratified folds; fastText "
        f"(fasttext-wheel 0.9.2) with one thread; tokenizer {TOKENIZER_VERSION}.",
        "std is the sample standard deviation over the folds; model size is model.bin; train "
        "time is one fold's fastText training (5,688 rows for 5 folds), without scoring.",
    ]
    if article_folds != FOLDS:
        notes.append(
            f"The article's settings ran on the first {article_folds} of the {FOLDS} folds only "
            "(same split), to keep the benchmark short: its figures average fewer folds."
        )
    return {"benchmark": "cv", "rows": dataset.counts.used, "results": results,
            "notes": notes, "table": table(results)}  # fmt: skip


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| settings | folds | accuracy (mean ± std) | macro F1 (mean ± std) | model.bin | "
        "train time / fold |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        acc, f1 = r["accuracy"], r["macro_f1"]
        lines.append(
            f"| {r['settings']} | {r['folds']} | {acc['mean']:.4f} ± {acc['std']:.4f} | "
            f"{f1['mean']:.4f} ± {f1['std']:.4f} | {r['model_mb']:,} MB | "
            f"{r['train_seconds_per_fold']:.1f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--article-folds", type=int, default=FOLDS,
                        help="folds run for the article's settings (default: all)")  # fmt: skip
    args = parser.parse_args(argv)
    if not (args.data / BALANCED).is_file():
        print(f"cv_bench: {args.data / BALANCED} not found", file=sys.stderr)
        return 2
    report = run(args.data, article_folds=args.article_folds)
    print(report["table"])
    for note in report["notes"]:
        print(f"- {note}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
