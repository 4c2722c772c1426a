"""Training one model and measuring it, and K-fold cross-validation.

Predictions go through ``FastTextScorer`` on the saved ``model.bin``: the same path that scores
files (``review-scorer score``, the local transform job), so what is measured is what runs.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from review_scorer.model.scorer import FastTextScorer
from review_scorer.transform.predictions import prediction_from
from review_scorer_training.data import LABEL, TOKENS, Dataset, lines, stratified_folds
from review_scorer_training.fasttext_local import (
    DEFAULT_SEED,
    Hyperparameters,
    fit,
    model_labels,
    write_lines,
)
from review_scorer_training.metrics import classification_report, spread
from review_scorer_training.progress import Progress


@dataclass(frozen=True)
class Evaluation:
    """A trained model on disk and how it did on held-out rows."""

    model_bin: Path
    labels: list[str]  # the model's labels (fastText-safe), sorted
    report: dict[str, Any]
    fingerprint: str  # sha256 of the training file
    train_seconds: float
    model_bytes: int


def predict_labels(model_bin: Path, token_lines: Iterable[str]) -> list[str]:
    """The best label for each space-joined token line, as the transform job would answer."""
    scorer = FastTextScorer(model_bin)
    return [
        prediction_from(scorer.predict({"source": tokens}), where=f"row {n}").labels[0]
        for n, tokens in enumerate(token_lines, start=1)
    ]


def train_and_evaluate(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    hp: Hyperparameters,
    workdir: Path,
    *,
    names: dict[str, str],
    seed: int = DEFAULT_SEED,
    verbose: int = 0,
) -> Evaluation:
    """Write ``workdir/train.txt`` and ``validation.txt``, train, save ``model.bin``, score."""
    fingerprint = write_lines(lines(train), workdir / "train.txt")
    write_lines(lines(valid), workdir / "validation.txt")
    started = time.perf_counter()
    model = fit(workdir / "train.txt", hp, seed=seed, verbose=verbose)
    train_seconds = time.perf_counter() - started
    labels = model_labels(model)
    model_bin = workdir / "model.bin"
    model.save_model(str(model_bin))
    del model  # an article-sized model is 2.4 GB: never hold two
    predicted = predict_labels(model_bin, valid[TOKENS])
    all_labels = sorted({*labels, *valid[LABEL]})
    return Evaluation(
        model_bin=model_bin,
        labels=labels,
        report=classification_report(list(valid[LABEL]), predicted, all_labels, names),
        fingerprint=fingerprint,
        train_seconds=round(train_seconds, 3),
        model_bytes=model_bin.stat().st_size,
    )


def cross_validate(
    dataset: Dataset,
    k: int,
    hp: Hyperparameters,
    *,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    run_folds: int | None = None,
) -> dict[str, Any]:
    """Stratified K-fold CV on the (shuffled) rows: mean and spread of accuracy and macro F1.

    Each fold's model is trained, saved, scored and deleted before the next one starts.
    ``run_folds`` runs only the first folds of the same K-fold split (to save time).
    """
    progress = progress or Progress(bars=False, quiet=True)
    frame = dataset.frame
    folds = stratified_folds(frame, k)
    results: list[Evaluation] = []
    runs = min(run_folds or k, k)
    for fold in progress.bar(range(runs), desc=f"{k}-fold cross-validation"):
        with tempfile.TemporaryDirectory(prefix="review-scorer-cv-") as tmp:
            result = train_and_evaluate(
                frame[folds != fold], frame[folds == fold], hp, Path(tmp),
                names=dataset.names, seed=seed,
            )  # fmt: skip
        results.append(result)
        progress.step(
            f"fold {fold + 1}/{runs}: accuracy {result.report['accuracy']:.4f}, "
            f"macro F1 {result.report['macro_f1']:.4f}, {result.train_seconds:.1f} s"
        )
    return {
        "folds": k,
        "folds_run": runs,
        "stratified": True,
        "seed": seed,
        "accuracy": spread([r.report["accuracy"] for r in results]),
        "macro_f1": spread([r.report["macro_f1"] for r in results]),
        "train_seconds": spread([r.train_seconds for r in results]),
        "model_bytes": max(r.model_bytes for r in results),
        "std": "sample standard deviation over the folds (ddof=1)",
    }
