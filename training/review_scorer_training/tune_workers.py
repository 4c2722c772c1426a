"""The fits of a search: each trial's inner folds, fitted in worker processes.

One fastText thread per fit keeps every fit deterministic; parallel processes give the speed
(fastText's own threads would make training depend on scheduling). At the deadline the running
fits are stopped (``multiprocessing.Pool.terminate``) and the trials not finished are dropped,
so a search never overruns its budget by more than the moment it takes to stop.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path

import pandas as pd

from review_scorer_training.data import lines, stratified_folds
from review_scorer_training.errors import TrainingDataError
from review_scorer_training.fasttext_local import Hyperparameters, fit, write_lines
from review_scorer_training.metrics import HeldOutRow, printed_probability

FoldResult = tuple[float, int, float, list[HeldOutRow]]  # accuracy, bytes, seconds, the rows
FoldFiles = list[tuple[str, str]]  # (training file, held-out file) of each inner fold


def fold_files(frame: pd.DataFrame, k: int, tmp: Path) -> FoldFiles:
    """The fastText files of ``k`` stratified inner folds of ``frame``, written once a search."""
    folds = stratified_folds(frame, k)
    if len(set(folds.tolist())) < k:
        raise TrainingDataError(
            f"--tune needs at least {k} training rows for its {k} inner folds; "
            f"there are {len(frame)} (use more data, or fewer --tune-folds)"
        )
    files = []
    for fold in range(k):
        train, valid = tmp / f"train-{fold}.txt", tmp / f"valid-{fold}.txt"
        write_lines(lines(frame[folds != fold]), train)
        write_lines(lines(frame[folds == fold]), valid)
        files.append((str(train), str(valid)))
    return files


def fold_trial(train: str, valid: str, hp: Hyperparameters, seed: int, fold: int) -> FoldResult:
    """Fit on one inner fold's training file and score its held-out file (in a worker process):
    accuracy, the model's input and output matrices in bytes, seconds, the held-out rows."""
    started = time.perf_counter()
    model = fit(Path(train), hp, seed=seed)
    held_out = []
    with Path(valid).open(encoding="utf-8") as rows:
        for line in rows:
            label, tokens = line.split(" ", 1)
            ((p, predicted),) = model.f.predict(tokens, 1, 0.0, "strict")
            held_out.append(HeldOutRow(label, predicted, printed_probability(p), fold))
    right = sum(row.truth == row.predicted for row in held_out)
    words, labels = len(model.f.getVocab("strict")[0]), len(model.f.getLabels("strict")[0])
    size = 4 * hp.dim * (words + model.f.getArgs().bucket + labels)
    return right / len(held_out), size, time.perf_counter() - started, held_out


class Workers:
    """Runs trials' folds: in ``count`` processes, or in this one when ``count`` is 1."""

    def __init__(self, count: int | None, files: FoldFiles, seed: int) -> None:
        self.count = max(1, count or os.cpu_count() or 1)
        self.files = files
        self.seed = seed
        self._pool: Pool | None = None

    def __enter__(self) -> Workers:
        if self.count > 1:
            self._pool = multiprocessing.get_context("fork").Pool(self.count)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.terminate()  # stops fits still running after a deadline
            self._pool.join()

    def run(
        self, tasks: Sequence[tuple[Hyperparameters, int]], deadline: float | None
    ) -> list[FoldResult]:
        """The result of each ``(setting, inner fold)`` task, in order; at ``deadline``
        (monotonic clock), only those finished before the first unfinished one."""
        if self._pool is None:
            return self._inline(tasks, deadline)
        pending: list[AsyncResult[FoldResult]] = [
            self._pool.apply_async(fold_trial, (*self.files[fold], hp, self.seed, fold))
            for hp, fold in tasks
        ]
        done: list[FoldResult] = []
        for result in pending:
            result.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if not result.ready():
                break
            done.append(result.get())
        return done

    def _inline(
        self, tasks: Sequence[tuple[Hyperparameters, int]], deadline: float | None
    ) -> list[FoldResult]:
        done: list[FoldResult] = []
        for hp, fold in tasks:
            if deadline is not None and time.monotonic() >= deadline:
                break
            done.append(fold_trial(*self.files[fold], hp, self.seed, fold))
        return done
