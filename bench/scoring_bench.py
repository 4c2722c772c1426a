"""Scoring: rows/s of the local transform runner against a bare loop of the fastText predictor.

    python -m bench.scoring_bench [--data ../shared/data] [--records 100000] [--model-dir DIR]

The model is the default one: ``review-scorer train``'s tuned defaults (``Hyperparameters()``)
on the balanced Women's Clothing reviews when the data folder holds them, else the demo model.
The records are reviews as StartScoring stages them (``{"source": "<tokens>"}`` JSON Lines,
``staging.record``): the raw file's review texts when the data folder holds it, else the
project's synthetic reviews, repeated to ``--records`` lines.

Two timings over the same records, interleaved, best of three passes each:

1. the local transform runner, ``transform.score_file`` with ``FastTextScorer``: mini-batches,
   JSON in, ``predict``, JSON out, exactly what a local job does per shard (S3 aside);
2. the bare predictor, ``FastTextScorer.predict_line(line, 1)`` (fastText's own predict and
   nothing else) over the same token lines, prepared beforehand: the practical limit of any
   runner around this model.

The ratio (runner / bare) says how much of fastText's own speed the runner keeps.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BALANCED = "womens_clothing_ecommerce_reviews_balanced.csv"
RAW = "womens_clothing_ecommerce_reviews_raw.csv"
RAW_REVIEW_COLUMN = "Review Text"
REPEATS = 3
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # the stack's MaxPayloadInMB default


def real_reviews(data: Path) -> list[str]:
    """The non-empty review texts of the raw Women's Clothing file (FileNotFoundError if absent)."""
    with (data / RAW).open(encoding="utf-8-sig", newline="") as f:
        return [
            row[RAW_REVIEW_COLUMN] for row in csv.DictReader(f) if row[RAW_REVIEW_COLUMN].strip()
        ]


def synthetic_reviews(count: int = 20_000, seed: int = 7) -> list[str]:
    from review_scorer_training.synthetic import LABELS, review

    rng = random.Random(seed)
    return [review(rng.choice(LABELS), rng) for _ in range(count)]


def review_texts(data: Path | None) -> tuple[list[str], str]:
    """Real reviews when the data folder has them, else synthetic ones; and which."""
    if data is not None and (data / RAW).is_file():
        return real_reviews(data), f"{RAW} ({RAW_REVIEW_COLUMN})"
    return synthetic_reviews(), "synthetic reviews (review_scorer_training.synthetic)"


def default_model(data: Path | None, model_dir: Path, cache: Path) -> tuple[Path, dict[str, Any]]:
    """The default model and what it is: trained with the tuned defaults on the balanced data
    when present (``review_scorer_training.train.run``, deterministic), else the demo model."""
    if data is not None and (data / BALANCED).is_file():
        from review_scorer_training.progress import Progress
        from review_scorer_training.train import TrainOptions
        from review_scorer_training.train import run as train

        options = TrainOptions(
            data=data / BALANCED, text_column="review_body", label_column="sentiment", out=model_dir
        )
        started = time.perf_counter()
        metrics = train(options, Progress(bars=False, quiet=True))
        return model_dir / "model.tar.gz", {
            "model": "tuned defaults (Hyperparameters()), trained on " + BALANCED,
            "hyperparameters": metrics["hyperparameters"],
            "validation_accuracy": metrics["validation"]["accuracy"],
            "model_bin_mb": round(metrics["model"]["model_bin_bytes"] / 1e6, 1),
            "train_s": round(time.perf_counter() - started, 1),
        }
    from review_scorer_training.demo import DEMO_HYPERPARAMETERS, demo_model

    path = demo_model(cache)
    return path, {
        "model": "demo model (no data folder: review_scorer_training.demo)",
        "hyperparameters": DEMO_HYPERPARAMETERS.fasttext_kwargs(),
    }


def _timed(work: Callable[[], object], results: list[float]) -> None:
    started = time.perf_counter()
    work()
    results.append(time.perf_counter() - started)


def run(
    data: Path | None,
    model_dir: Path,
    cache: Path,
    records: int = 100_000,
    model: tuple[Path, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Runner and bare predictor rows/s on the same records; the model is trained unless given."""
    from review_scorer.model.scorer import FastTextScorer
    from review_scorer.tokenizer import tokenize
    from review_scorer.transform.records import record
    from review_scorer_local.transform_runner import score_file

    model_path, about = model or default_model(data, model_dir, cache)
    texts, source = review_texts(data)
    token_lists = [tokens for tokens in map(tokenize, texts) if tokens]
    rows = [token_lists[i % len(token_lists)] for i in range(records)]
    staged = [record(tokens) for tokens in rows]
    lines = [" ".join(tokens) + "\n" for tokens in rows]
    scorer = FastTextScorer.from_archive(model_path, where=str(model_path))
    predict_line = scorer.predict_line  # what FastTextScorer.predict calls, and nothing else

    def bare() -> None:
        for line in lines:
            predict_line(line, 1)

    def runner() -> bytes:
        return score_file(iter(staged), scorer, MAX_PAYLOAD_BYTES)

    output = runner()  # warm-up, and a check that every record got an answer
    if output.count(b"\n") != records:
        raise RuntimeError("the runner did not answer every record")
    runner_s: list[float] = []
    bare_s: list[float] = []
    for _ in range(REPEATS):
        _timed(runner, runner_s)
        _timed(bare, bare_s)
    runner_rows_s = records / min(runner_s)
    bare_rows_s = records / min(bare_s)
    staged_mb = sum(map(len, staged)) / 1e6
    return {
        **about,
        "texts": source,
        "records": records,
        "distinct_reviews": len(token_lists),
        "mean_review_chars": round(statistics.fmean(map(len, texts)), 1),
        "mean_review_utf8_bytes": round(statistics.fmean(len(t.encode()) for t in texts), 1),
        "mean_tokens": round(statistics.fmean(map(len, token_lists)), 1),
        # Amazon Comprehend bills units of 100 characters, at least 3 per document (COST.md)
        "comprehend_units_per_review": round(
            statistics.fmean(max(3, math.ceil(len(t) / 100)) for t in texts), 3
        ),
        "staged_mb": round(staged_mb, 1),
        "runner_rows_s": round(runner_rows_s),
        "runner_mb_s": round(staged_mb / min(runner_s), 2),
        "runner_us_per_row": round(1e6 / runner_rows_s, 2),
        "bare_predict_rows_s": round(bare_rows_s),
        "bare_us_per_row": round(1e6 / bare_rows_s, 2),
        "ratio_to_bare": round(runner_rows_s / bare_rows_s, 3),
        "passes": REPEATS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--model-dir", type=Path, default=Path("bench/out/default-model"))
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    args = parser.parse_args()
    result = run(args.data, args.model_dir, args.cache, args.records)
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
