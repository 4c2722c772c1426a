"""``train --tune``: choose fastText settings for the data at hand, inside a time budget.

The search is scored on inner cross-validation folds of the rows it is given, which are always
training rows: ``train`` gives it the training split (never the validation rows), and nested
cross-validation gives it each outer fold's training part (never that fold's test rows), so the
figures ``train`` reports are measured on rows the search never saw.

Only what BlazingText supervised can host is searched: softmax loss (fastText's and BlazingText's
default, not a hyperparameter there) and the six settings it accepts, ``epochs``,
``learning_rate``, ``vector_dim``, ``word_ngrams``, ``min_count`` and ``buckets``
(https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext_hyperparameters.html, "Text
Classification Hyperparameters"); a setting whose model would exceed ``max_model_bytes`` is not
tried. The search starts from the defaults and a few settings known to do well on other text
(:data:`STARTS`), then perturbs the best settings found, less and less widely (as fastText's
own autotune does). Proposals come in rounds of :data:`ROUND` from a generator seeded with the
seed, so the same seed and the same number of trials give the same trials and the same choice on
any machine; the time budget only decides how many trials run (``--tune-trials`` fixes that
number instead, and ``metrics.json`` says which number reproduces a run). Each trial's folds are
fitted in parallel processes, one fastText thread each (:mod:`.tune_workers`); a setting that
loses clearly on the first inner fold is not fitted on the others (:func:`_race`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from review_scorer_training.fasttext_local import Hyperparameters
from review_scorer_training.progress import Progress
from review_scorer_training.tune_space import (
    RACE_MARGIN,
    ROUND,
    Proposals,
    Trial,
    describe,
    rank,
    size_check,
    table,
    trial,
)
from review_scorer_training.tune_workers import Workers, fold_files

DEFAULT_SECONDS = 300.0
DEFAULT_FOLDS = 3
DEFAULT_MAX_MODEL_BYTES = 512 * 1024 * 1024  # the stack's FastPathMaxModelBytes default


@dataclass(frozen=True)
class TuneOptions:
    seconds: float = DEFAULT_SECONDS
    trials: int | None = None  # exactly this many trials, whatever the time
    folds: int = DEFAULT_FOLDS
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES
    workers: int | None = None  # processes; default: the cores
    # With a target: the search maximises the rows a review threshold keeps at that accuracy.
    target_accuracy: float | None = None


@dataclass(frozen=True)
class TuneResult:
    best: Trial
    trials: list[Trial]
    seconds: float
    stopped: str  # "time", "trials", or "space" (every setting within reach was tried)
    rows: int  # the rows searched on: training rows only

    def as_dict(self, options: TuneOptions) -> dict[str, Any]:
        return {
            "chosen": asdict(self.best.hyperparameters),
            "chosen_trial": self.best.number,
            "rows": self.rows,
            "objective": (
                "inner-CV accuracy"
                if options.target_accuracy is None
                else f"inner-CV coverage at accuracy {options.target_accuracy:g}, then accuracy"
            ),
            "inner_folds": options.folds,
            "inner_accuracy": round(self.best.accuracy, 4),
            "budget_seconds": options.seconds,
            "seconds": round(self.seconds, 1),
            "stopped_by": self.stopped,
            "trials_run": len(self.trials),
            "reproduce": f"--tune-trials {len(self.trials)} with the same --seed",
            "trials": [t.as_dict() for t in self.trials],
        }


def search(
    frame: pd.DataFrame,
    options: TuneOptions,
    *,
    seed: int,
    progress: Progress | None = None,
    what: str = "tuning",
) -> TuneResult:
    """Try settings on ``options.folds`` stratified folds of ``frame`` (training rows only)
    until the budget is spent; the best by :func:`~.tune_space.rank` wins (mean inner-fold
    accuracy, or coverage at the target accuracy first when there is one; the earlier trial on
    a tie). The first round (the defaults first) is always measured whole, whatever the
    budget."""
    progress = progress or Progress(bars=False, quiet=True)
    started = time.monotonic()
    deadline = None if options.trials is not None else started + options.seconds
    trials: list[Trial] = []
    stopped = "space"
    with tempfile.TemporaryDirectory(prefix="review-scorer-tune-") as tmp:
        files = fold_files(frame, options.folds, Path(tmp))
        proposals = Proposals(seed, size_check(frame, options.max_model_bytes))
        with Workers(options.workers, files, seed) as workers:
            while True:
                wanted = ROUND if options.trials is None else options.trials - len(trials)
                if wanted <= 0:
                    stopped = "trials"
                    break
                batch = proposals.round(trials)[:wanted]
                if not batch:
                    break
                done = _race(workers, batch, trials, deadline if trials else None, options)
                trials += done
                best = max(trials, key=rank)
                progress.step(
                    f"{what}: {len(trials)} settings tried in {time.monotonic() - started:.0f} s"
                    f"{_budget(options)}; best: {best.score()} ({describe(best.hyperparameters)})"
                )
                if len(done) < len(batch) or (deadline and time.monotonic() >= deadline):
                    stopped = "time"
                    break
    seconds = time.monotonic() - started
    return TuneResult(max(trials, key=rank), trials, seconds, stopped, rows=len(frame))


def _budget(options: TuneOptions) -> str:
    if options.trials is not None:
        return f" (of {options.trials})"
    return f" (budget {options.seconds:.0f} s)"


def _race(
    workers: Workers,
    batch: list[Hyperparameters],
    trials: list[Trial],
    deadline: float | None,
    options: TuneOptions,
) -> list[Trial]:
    """Measure a round: every setting on the first inner fold, then the other folds only for
    the settings within :data:`RACE_MARGIN` of the best trial's first fold (the rest are
    *pruned*: a clear loser costs one fit, not ``folds``). The trials finished before the
    deadline, in proposal order."""
    first = workers.run([(hp, 0) for hp in batch], deadline)
    leader = max(trials, key=rank).folds[0] if trials else 0.0
    racing = [hp for hp, r in zip(batch, first, strict=False) if r[0] >= leader - RACE_MARGIN]
    rest = workers.run([(hp, k) for hp in racing for k in range(1, options.folds)], deadline)
    measured: list[Trial] = []
    for hp, result in zip(batch, first, strict=False):
        folds = [result]
        if hp in racing:
            at = racing.index(hp) * (options.folds - 1)
            folds += rest[at : at + options.folds - 1]
            if len(folds) < options.folds:
                break  # the deadline came: this trial and the later ones are dropped
        number = len(trials) + len(measured) + 1
        measured.append(trial(number, hp, folds, options.target_accuracy, pruned=hp not in racing))
    return measured


def tuned_settings(
    train: pd.DataFrame, options: TuneOptions, *, seed: int, progress: Progress
) -> tuple[Hyperparameters, dict[str, Any]]:
    """The settings chosen for ``train`` (training rows only), with the search's report for
    metrics.json; the best trials are shown as a table on stderr."""
    found = search(train, options, seed=seed, progress=progress)
    progress.step(
        f"tuning chose trial {found.best.number} of {len(found.trials)} "
        f"({found.seconds:.0f} s, stopped by {found.stopped}):"
    )
    for line in table(found.trials, found.best):
        progress.step(f"  {line}")
    return found.best.hyperparameters, found.as_dict(options)


def fold_chooser(
    options: TuneOptions, *, seed: int, progress: Progress
) -> Callable[[pd.DataFrame, int], Hyperparameters]:
    """Nested CV's choice for each outer fold: a search of its own on the fold's training rows."""

    def choose(rows: pd.DataFrame, fold: int) -> Hyperparameters:
        found = search(rows, options, seed=seed, progress=progress, what=f"fold {fold + 1} tuning")
        return found.best.hyperparameters

    return choose
