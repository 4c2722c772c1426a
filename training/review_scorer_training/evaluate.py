"""Training one model and measuring it, and K-fold cross-validation.

Predictions go through ``FastTextScorer`` on the saved ``model.bin``: the same path that scores
files (``review-scorer score``, the local transform job), so what is measured is what runs.
Every held-out row is kept with its top probability as the labeled CSV prints it, for the
accuracy-coverage curve (:mod:`review_scorer_training.coverage`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
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
from review_scorer_training.metrics import (
    HeldOutRow,
    classification_report,
    printed_probability,
    spread,
)
from review_scorer_training.progress import Progress

# Settings for one fold from its training rows and its number (nested CV's inner search).
Chooser = Callable[[pd.DataFrame, int], Hyperparameters]


@dataclass(frozen=True)
class Evaluation:
    """A trained model on disk and how it did on held-out rows."""

    model_bin: Path
    labels: list[str]  # the model's labels (fastText-safe), sorted
    report: dict[str, Any]
    fingerprint: str  # sha256 of the training file
    train_seconds: float
    model_bytes: int
    held_out: tuple[HeldOutRow, ...] = ()  # the validation rows, in order, as predicted


@dataclass(frozen=True)
class CrossValidation(Mapping[str, Any]):
    """What :func:`cross_validate` measured. It reads as ``summary`` (``cv["accuracy"]``), the
    dict ``metrics.json`` holds; ``rows`` are the out-of-fold rows of every fold run, in fold
    order, each with its fold number."""

    summary: dict[str, Any]
    rows: tuple[HeldOutRow, ...]

    def __getitem__(self, key: str) -> Any:
        return self.summary[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.summary)

    def __len__(self) -> int:
        return len(self.summary)


def predict_top(model_bin: Path, token_lines: Iterable[str]) -> list[tuple[str, float]]:
    """The best label for each space-joined token line, as the transform job would answer,
    with its probability as the labeled CSV prints it."""
    scorer = FastTextScorer(model_bin)
    found = []
    for n, tokens in enumerate(token_lines, start=1):
        prediction = prediction_from(scorer.predict({"source": tokens}), where=f"row {n}")
        found.append((prediction.labels[0], printed_probability(prediction.prob[0])))
    return found


def predict_labels(model_bin: Path, token_lines: Iterable[str]) -> list[str]:
    """The best label for each space-joined token line, as the transform job would answer."""
    return [label for label, _ in predict_top(model_bin, token_lines)]


def train_and_evaluate(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    hp: Hyperparameters,
    workdir: Path,
    *,
    names: dict[str, str],
    seed: int = DEFAULT_SEED,
    verbose: int = 0,
    fold: int | None = None,
) -> Evaluation:
    """Write ``workdir/train.txt`` and ``validation.txt``, train, save ``model.bin``, score.

    ``fold`` is recorded in the held-out rows (the CV fold they were held out of)."""
    fingerprint = write_lines(lines(train), workdir / "train.txt")
    write_lines(lines(valid), workdir / "validation.txt")
    started = time.perf_counter()
    model = fit(workdir / "train.txt", hp, seed=seed, verbose=verbose)
    train_seconds = time.perf_counter() - started
    labels = model_labels(model)
    model_bin = workdir / "model.bin"
    model.save_model(str(model_bin))
    del model  # an article-sized model is 2.4 GB: never hold two
    top = predict_top(model_bin, valid[TOKENS])
    predicted = [label for label, _ in top]
    all_labels = sorted({*labels, *valid[LABEL]})
    return Evaluation(
        model_bin=model_bin,
        labels=labels,
        report=classification_report(list(valid[LABEL]), predicted, all_labels, names),
        fingerprint=fingerprint,
        train_seconds=round(train_seconds, 3),
        model_bytes=model_bin.stat().st_size,
        held_out=tuple(
            HeldOutRow(truth, label, p, fold)
            for truth, (label, p) in zip(valid[LABEL], top, strict=True)
        ),
    )


def cross_validate(
    dataset: Dataset,
    k: int,
    hp: Hyperparameters,
    *,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    run_folds: int | None = None,
    choose: Chooser | None = None,
) -> CrossValidation:
    """Stratified K-fold CV on the (shuffled) rows: mean and spread of accuracy and macro F1,
    and the out-of-fold rows.

    Each fold's model is trained, saved, scored and deleted before the next one starts.
    ``run_folds`` runs only the first folds of the same K-fold split (to save time).
    ``choose`` picks each fold's settings from that fold's training rows alone (``--tune``):
    nested cross-validation, so the held-out rows measure the whole procedure, search included.
    """
    progress = progress or Progress(bars=False, quiet=True)
    frame = dataset.frame
    folds = stratified_folds(frame, k)
    results: list[Evaluation] = []
    runs = min(run_folds or k, k)
    chosen: list[Hyperparameters] = []
    for fold in progress.bar(range(runs), desc=f"{k}-fold cross-validation"):
        settings = choose(frame[folds != fold], fold) if choose else hp
        chosen.append(settings)
        with tempfile.TemporaryDirectory(prefix="review-scorer-cv-") as tmp:
            result = train_and_evaluate(
                frame[folds != fold], frame[folds == fold], settings, Path(tmp),
                names=dataset.names, seed=seed, fold=fold,
            )  # fmt: skip
        results.append(result)
        progress.step(
            f"fold {fold + 1}/{runs}: accuracy {result.report['accuracy']:.4f}, "
            f"macro F1 {result.report['macro_f1']:.4f}, {result.train_seconds:.1f} s"
        )
    summary = {
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
    if choose:
        summary["tuned"] = {"hyperparameters_by_fold": [asdict(c) for c in chosen]}
    return CrossValidation(summary, tuple(row for r in results for row in r.held_out))
