"""What ``review-scorer train`` leaves in its output folder: the model, metrics.json, two plots.

``model.tar.gz`` is written under a temporary name and renamed whole, so a folder never holds a
half-written model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from review_scorer.model.artifact import ModelMetadata, package
from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training.metrics import to_json
from review_scorer_training.plots import confusion_matrix_png, coverage_png

if TYPE_CHECKING:
    from review_scorer_training.train import TrainOptions

MODEL_FILE = "model.tar.gz"
METRICS_FILE = "metrics.json"
PLOT_FILE = "confusion_matrix.png"
COVERAGE_PLOT_FILE = "coverage.png"
CURVES = ("curve", "per_class")  # left out of the model's metadata: metrics.json has them


def write_outputs(
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
        metrics={
            **{k: metrics[k] for k in ("validation", "cross_validation", "rows", "labels")},
            "coverage": {k: v for k, v in metrics["coverage"].items() if k not in CURVES},
        },
        data_fingerprint=fingerprint,
        review_threshold=metrics["review_threshold"],
    )
    partial = out / f"{MODEL_FILE}.partial"
    package(model_bin, metadata, partial)
    partial.replace(out / MODEL_FILE)
    model_bin.unlink()
    (out / METRICS_FILE).write_text(to_json(metrics) + "\n", encoding="utf-8")
    matrix = metrics["validation"]["confusion_matrix"]
    confusion_matrix_png(
        matrix["matrix"],
        matrix["labels"],
        out / PLOT_FILE,
        title=f"{options.label_column}: validation accuracy {metrics['validation']['accuracy']}",
    )
    confidence = metrics["coverage"]
    target = confidence["target_accuracy"]
    coverage_png(
        confidence,
        out / COVERAGE_PLOT_FILE,
        title=f"{options.label_column}: accuracy vs coverage ({confidence['source']})",
        chosen=None if target is None else confidence["at_accuracy"][f"{target:g}"],
    )
