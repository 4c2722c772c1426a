"""The settings ``train --tune`` tries: where it starts, how it moves, what may be hosted.

Six settings, the ones BlazingText supervised accepts besides ``mode`` and early stopping
(https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext_hyperparameters.html, "Text
Classification Hyperparameters"); the loss is softmax in both fastText's and BlazingText's
supervised training and is not searched.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from review_scorer_training import coverage
from review_scorer_training.data import LABEL, TOKENS
from review_scorer_training.fasttext_local import Hyperparameters
from review_scorer_training.tune_workers import FoldResult

ROUND = 4  # proposals per round: fixed, so the trials do not depend on the number of cores
# A setting whose first inner fold scores this far under the best trial's first fold is not
# measured on the other folds. Settings compared on the same rows differ far less than folds do.
RACE_MARGIN = 0.02
# Settings that do well on other text classification data (fastText's defaults for supervised
# training and its tutorials' settings), tried after the project's defaults.
STARTS = (
    Hyperparameters(epoch=5, lr=0.1, dim=100, word_ngrams=1, min_count=1, bucket=2_000_000),
    Hyperparameters(epoch=25, lr=0.5, dim=50, word_ngrams=2, min_count=1, bucket=200_000),
    Hyperparameters(epoch=20, lr=0.5, dim=20, word_ngrams=1, min_count=1, bucket=200_000),
)
DIMS = (5, 10, 16, 25, 50, 100)  # larger vectors train slower and rarely classify better
BUCKETS = (100_000, 200_000, 500_000, 1_000_000, 2_000_000)
MIN_COUNTS = (1, 2, 3, 5)


@dataclass(frozen=True)
class Trial:
    number: int
    hyperparameters: Hyperparameters
    accuracy: float  # mean over the inner folds
    folds: tuple[float, ...]
    model_bytes: int  # the largest fold model's input and output matrices
    seconds: float  # fitting and scoring, summed over the folds
    # With a target accuracy: the share of the inner folds' held-out rows the review threshold
    # chosen for it keeps (0.0 when none reaches it). What the search then maximises.
    coverage: float | None = None
    pruned: bool = False  # measured on the first inner fold only: a clear loser there

    def score(self) -> str:
        shown = f"inner-CV accuracy {self.accuracy:.4f}"
        return shown if self.coverage is None else f"coverage {self.coverage:.1%}, {shown}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "trial": self.number,
            "hyperparameters": asdict(self.hyperparameters),
            "accuracy": round(self.accuracy, 4),
            "coverage": None if self.coverage is None else round(self.coverage, 4),
            "folds": [round(a, 4) for a in self.folds],
            "model_bytes": self.model_bytes,
            "seconds": round(self.seconds, 2),
            "pruned": self.pruned,
        }


def model_bytes(hp: Hyperparameters, words: int, labels: int) -> int:
    """The input and output matrices of a fastText model (float32): what dominates its size.
    fastText keeps no n-gram buckets when ``word_ngrams`` is 1 (and no subwords are used)."""
    rows = words + (hp.bucket if hp.word_ngrams > 1 else 0)
    return 4 * hp.dim * (rows + labels)


class Proposals:
    """Where the search goes next: the starts, then perturbations of the best trials so far."""

    def __init__(self, seed: int, fits: Callable[[Hyperparameters], bool]) -> None:
        self._random = random.Random(seed)  # noqa: S311 (a seeded search, not a secret)
        self._fits = fits
        self._seen: set[Hyperparameters] = set()
        self._queue = [hp for hp in (Hyperparameters(), *STARTS) if fits(hp)]

    def round(self, trials: Sequence[Trial]) -> list[Hyperparameters]:
        out: list[Hyperparameters] = []
        for _ in range(ROUND * 50):
            if len(out) == ROUND:
                break
            hp = self._queue.pop(0) if self._queue else self._perturb(trials)
            # fastText keeps no n-gram buckets for unigrams: such settings differ in nothing else.
            same = replace(hp, bucket=0) if hp.word_ngrams == 1 else hp
            if same not in self._seen and self._fits(hp):
                self._seen.add(same)
                out.append(hp)
        return out

    def _perturb(self, trials: Sequence[Trial]) -> Hyperparameters:
        ranked = sorted(trials, key=rank, reverse=True)
        # Before any trial (every start too large for the model limit): from the defaults.
        parent = self._random.choice(ranked[:3]).hyperparameters if ranked else Hyperparameters()
        # fastText's autotune narrows its steps as time passes; here, as trials accumulate.
        scale = max(0.15, 0.8 / math.sqrt(1 + len(trials) / 8))
        r = self._random
        changes: dict[str, Any] = {}
        while not changes:
            if r.random() < 0.5:
                changes["epoch"] = _clip(round(parent.epoch * math.exp(r.gauss(0, scale))), 1, 50)
            if r.random() < 0.5:
                changes["lr"] = round(_clip(parent.lr * math.exp(r.gauss(0, scale)), 0.01, 2.0), 3)
            if r.random() < 0.4:
                changes["dim"] = _step(DIMS, parent.dim, r)
            if r.random() < 0.3:
                changes["word_ngrams"] = _clip(parent.word_ngrams + r.choice((-1, 1)), 1, 4)
            if r.random() < 0.25:
                changes["min_count"] = _step(MIN_COUNTS, parent.min_count, r)
            if r.random() < 0.25 and (changes.get("word_ngrams") or parent.word_ngrams) > 1:
                changes["bucket"] = _step(BUCKETS, parent.bucket, r)
        return replace(parent, **changes)


def _clip(value: Any, low: Any, high: Any) -> Any:
    return min(max(value, low), high)


def _step(choices: Sequence[int], current: int, r: random.Random) -> int:
    """A neighbour of ``current`` among ``choices`` (the nearest choice, if it is not one)."""
    at = min(range(len(choices)), key=lambda i: abs(choices[i] - current))
    return choices[min(max(at + r.choice((-1, 1)), 0), len(choices) - 1)]


def describe(hp: Hyperparameters) -> str:
    return (
        f"epoch {hp.epoch}, lr {hp.lr}, dim {hp.dim}, word_ngrams {hp.word_ngrams}, "
        f"min_count {hp.min_count}, bucket {hp.bucket}"
    )


def rank(trial: Trial) -> tuple[bool, float, float, int]:
    """Best first: measured on every inner fold, the higher coverage at the target accuracy
    (when there is one), the higher mean inner-fold accuracy, the earlier trial."""
    return not trial.pruned, trial.coverage or 0.0, trial.accuracy, -trial.number


def trial(
    number: int,
    hp: Hyperparameters,
    folds: list[FoldResult],
    target: float | None,
    *,
    pruned: bool = False,
) -> Trial:
    """A trial from its folds' results (every fold's, or the first fold's when pruned)."""
    accuracies = tuple(f[0] for f in folds)
    covered = None
    if target is not None:
        rows = [row for f in folds for row in f[3]]
        covered = coverage.at_threshold(rows, coverage.choose_threshold(rows, target))["coverage"]
    return Trial(
        number=number,
        hyperparameters=hp,
        accuracy=sum(accuracies) / len(accuracies),
        folds=accuracies,
        model_bytes=max(f[1] for f in folds),
        seconds=sum(f[2] for f in folds),
        coverage=covered or 0.0 if target is not None else None,
        pruned=pruned,
    )


def table(trials: Sequence[Trial], best: Trial, top: int = 10) -> list[str]:
    """The best ``top`` trials and the defaults' trial, best first: the stderr summary."""
    ranked = sorted(trials, key=rank, reverse=True)
    shown = ranked[:top] + [t for t in ranked[top:] if t.hyperparameters == Hyperparameters()]
    out = [f"{'trial':>5} {'inner acc':>9} {'± folds':>8} {'coverage':>8} {'MB':>7}  settings"]
    for t in shown:
        spread = (max(t.folds) - min(t.folds)) / 2
        mark = "*" if t is best else " "
        covered = "-" if t.coverage is None else f"{t.coverage:.1%}"
        out.append(
            f"{t.number:>4}{mark} {t.accuracy:>9.4f} {spread:>8.4f} {covered:>8} "
            f"{t.model_bytes / 1e6:>7.1f}  {describe(t.hyperparameters)}"
        )
    return out


def size_check(frame: pd.DataFrame, limit: int) -> Callable[[Hyperparameters], bool]:
    """Whether a setting's model stays within ``limit`` bytes, from the vocabulary of all the
    rows (an upper bound of any fold's)."""
    counts = Counter(token for tokens in frame[TOKENS] for token in tokens.split())
    labels = frame[LABEL].nunique()

    def fits(hp: Hyperparameters) -> bool:
        words = 1 + sum(1 for n in counts.values() if n >= hp.min_count)  # and </s>
        return model_bytes(hp, words, labels) <= limit

    return fits
