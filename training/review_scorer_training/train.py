"""``review-scorer train``: from a labeled CSV to ``model.tar.gz``, ``metrics.json`` and a plot.

The steps: read and clean the CSV (every dropped row counted), balance if asked, shuffle,
optionally cross-validate, split stratified, write the BlazingText files, train fastText,
measure the model on the validation rows, draw the accuracy-coverage curve of the held-out rows
(CV's out-of-fold rows, else the validation rows), choose a review threshold if a target
accuracy is given, and package the model with everything that produced it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training import coverage
from review_scorer_training.data import Dataset, load, split
from review_scorer_training.evaluate import cross_validate, train_and_evaluate
from review_scorer_training.fasttext_local import DEFAULT_SEED, Hyperparameters
from review_scorer_training.progress import Progress
from review_scorer_training.train_outputs import MODEL_FILE, write_outputs
from review_scorer_training.tune import TuneOptions, fold_chooser, tuned_settings


@dataclass(frozen=True)
class TrainOptions:
    data: Path
    text_column: str
    label_column: str
    out: Path
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    cv: int | None = None
    balance: bool = False
    seed: int = DEFAULT_SEED
    valid_fraction: float = 0.1
    name: str | None = None
    target_accuracy: float | None = None  # choose and record a review threshold reaching it
    tune: TuneOptions | None = None  # search settings for the data (``hyperparameters`` unused)


def default_name(label_column: str) -> str:
    """``review-scorer-<label column>``, in the letters, digits and hyphens SageMaker allows."""
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", label_column).strip("-").lower() or "labels"
    return f"review-scorer-{slug}"[:63].rstrip("-")


def prepare(options: TrainOptions, progress: Progress) -> Dataset:
    """Read and clean the CSV, reporting what was dropped."""
    dataset = load(
        options.data,
        options.text_column,
        options.label_column,
        balance=options.balance,
        seed=options.seed,
    )
    c = dataset.counts
    progress.step(
        f"{c.read} rows read, {c.used} used; dropped: {c.empty_text} empty text, "
        f"{c.empty_label} empty label, {c.no_tokens} without tokens"
        + (f", {c.removed_by_balancing} by balancing" if options.balance else "")
    )
    return dataset


def run(options: TrainOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Train, write the files into ``options.out`` and return the metrics written."""
    progress = progress or Progress()
    hp = options.hyperparameters
    dataset = prepare(options, progress)
    tune = options.tune
    cv = None
    if options.cv:
        choose = fold_chooser(tune, seed=options.seed, progress=progress) if tune else None
        cv = cross_validate(
            dataset, options.cv, hp, seed=options.seed, progress=progress, choose=choose
        )
        progress.step(
            f"{options.cv}-fold CV: accuracy {cv['accuracy']['mean']:.4f} "
            f"± {cv['accuracy']['std']:.4f}, macro F1 {cv['macro_f1']['mean']:.4f} "
            f"± {cv['macro_f1']['std']:.4f}"
        )
    train, valid = split(dataset.frame, options.valid_fraction)
    tuning = None
    if tune:
        hp, tuning = tuned_settings(train, tune, seed=options.seed, progress=progress)
    options.out.mkdir(parents=True, exist_ok=True)
    progress.step(f"training on {len(train)} rows, validating on {len(valid)}")
    result = train_and_evaluate(
        train, valid, hp, options.out, names=dataset.names, seed=options.seed,
        verbose=2 if progress.bars else 0,
    )  # fmt: skip
    held_out = cv.rows if cv is not None else result.held_out
    confidence = coverage.report(
        held_out,
        source=f"{cv['folds_run']}-fold out-of-fold predictions" if cv else "validation split",
        names=dataset.names,
        target=options.target_accuracy,
        validation=result.held_out if cv is not None else (),
    )
    threshold = _review_threshold(confidence, options.target_accuracy, progress)
    metrics = {
        "name": options.name or default_name(options.label_column),
        "data": {
            "file": options.data.name,
            "sha256": dataset.source_sha256,
            "text_column": options.text_column,
            "label_column": options.label_column,
        },
        "rows": {**dataset.counts.as_dict(), "train": len(train), "validation": len(valid)},
        "labels": {safe: dataset.names[safe] for safe in result.labels},
        "validation": result.report,
        "cross_validation": cv.summary if cv is not None else None,
        "review_threshold": threshold,
        "coverage": confidence,
        "hyperparameters": asdict(hp),
        "tuning": tuning,
        "seed": options.seed,
        "balance": options.balance,
        "valid_fraction": options.valid_fraction,
        "tokenizer_version": TOKENIZER_VERSION,
        "model": {"file": MODEL_FILE, "model_bin_bytes": result.model_bytes},
        "train_seconds": result.train_seconds,
    }
    write_outputs(options, metrics, result.model_bin, result.labels, result.fingerprint)
    progress.step(
        f"validation accuracy {result.report['accuracy']:.4f}, macro F1 "
        f"{result.report['macro_f1']:.4f}; wrote {options.out / MODEL_FILE}"
    )
    return metrics


def _review_threshold(
    confidence: dict[str, Any], target: float | None, progress: Progress
) -> float | None:
    """The threshold chosen for ``target`` (None without one), told on stderr; a warning when
    none reaches it. A threshold of 0.00 is none: every row already reaches the target."""
    if target is None:
        return None
    found = confidence["at_accuracy"][f"{target:g}"]
    if found["threshold"] is None:
        print(f"review-scorer: warning: {coverage.unreached(confidence, target)}", file=sys.stderr)
        return None
    if not found["threshold"]:  # 0.00: no row would be marked; the metadata takes > 0 only
        progress.step(f"{coverage.describe(found)}: no review threshold needed or recorded")
        return None
    progress.step(coverage.describe(found))
    return float(found["threshold"])
