"""``review-scorer train``: from a labeled CSV to ``model.tar.gz``, ``metrics.json`` and a plot.

The steps: read and clean the CSV (every dropped row counted), balance if asked, shuffle,
optionally cross-validate, split stratified, write the BlazingText files, train fastText,
measure the model on the validation rows, and package it with everything that produced it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from review_scorer.model.artifact import ModelMetadata, package
from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training.data import Dataset, load, split
from review_scorer_training.evaluate import cross_validate, train_and_evaluate
from review_scorer_training.fasttext_local import DEFAULT_SEED, Hyperparameters
from review_scorer_training.plots import confusion_matrix_png
from review_scorer_training.progress import Progress

MODEL_FILE = "model.tar.gz"
METRICS_FILE = "metrics.json"
PLOT_FILE = "confusion_matrix.png"


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
    cv = None
    if options.cv:
        cv = cross_validate(dataset, options.cv, hp, seed=options.seed, progress=progress)
        progress.step(
            f"{options.cv}-fold CV: accuracy {cv['accuracy']['mean']:.4f} "
            f"± {cv['accuracy']['std']:.4f}, macro F1 {cv['macro_f1']['mean']:.4f} "
            f"± {cv['macro_f1']['std']:.4f}"
        )
    train, valid = split(dataset.frame, options.valid_fraction)
    options.out.mkdir(parents=True, exist_ok=True)
    progress.step(f"training on {len(train)} rows, validating on {len(valid)}")
    result = train_and_evaluate(
        train, valid, hp, options.out, names=dataset.names, seed=options.seed,
        verbose=2 if progress.bars else 0,
    )  # fmt: skip
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
        "cross_validation": cv,
        "hyperparameters": asdict(hp),
        "seed": options.seed,
        "balance": options.balance,
        "valid_fraction": options.valid_fraction,
        "tokenizer_version": TOKENIZER_VERSION,
        "model": {"file": MODEL_FILE, "model_bin_bytes": result.model_bytes},
        "train_seconds": result.train_seconds,
    }
    _write_outputs(options, metrics, result.model_bin, result.labels, result.fingerprint)
    progress.step(
        f"validation accuracy {result.report['accuracy']:.4f}, macro F1 "
        f"{result.report['macro_f1']:.4f}; wrote {options.out / MODEL_FILE}"
    )
    return metrics


def _write_outputs(
    options: TrainOptions,
    metrics: dict[str, Any],
    model_bin: Path,
    labels: list[str],
    fingerprint: str,
) -> None:
    out = options.out
    metadata = ModelMetadata(
        name=metrics["name"],
        labels=labels,
        tokenizer_version=TOKENIZER_VERSION,
        hyperparameters={
            **metrics["hyperparameters"],
            "seed": options.seed,
            "balance": options.balance,
            "valid_fraction": options.valid_fraction,
        },
        metrics={k: metrics[k] for k in ("validation", "cross_validation", "rows", "labels")},
        data_fingerprint=fingerprint,
    )
    partial = out / f"{MODEL_FILE}.partial"
    package(model_bin, metadata, partial)
    partial.replace(out / MODEL_FILE)
    model_bin.unlink()
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    matrix = metrics["validation"]["confusion_matrix"]
    confusion_matrix_png(
        matrix["matrix"],
        matrix["labels"],
        out / PLOT_FILE,
        title=f"{options.label_column}: validation accuracy {metrics['validation']['accuracy']}",
    )
