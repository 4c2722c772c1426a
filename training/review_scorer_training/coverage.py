"""The accuracy-coverage curve of held-out predictions, and the review threshold chosen from it.

For a threshold t, the rows whose top-label probability is at least t are the ones a consumer
would trust without a person (the pipeline marks ``needs_review=true`` below it): coverage is
their share, accuracy how many of them are right. Per class, rows are grouped by the PREDICTED
label, what a consumer acts on: "of the rows predicted X with p >= t, how many are X".

Probabilities are those the labeled CSV prints (:func:`~.metrics.printed_probability`), and the
grid is 0.00, 0.01, ..., 1.00, so a threshold means here exactly what the pipeline compares.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from review_scorer_training.metrics import HeldOutRow

GRID = tuple(k / 100 for k in range(101))  # k / 100 is the float that "0.kk" reads as
TARGETS = (0.85, 0.90)  # always reported in metrics.json, beside the user's target
# A threshold counts only if it keeps at least this many rows (and this share of them): at 20
# rows one mistake moves accuracy by 5 points, and the standard error of an accuracy of 0.85 is
# 0.08; 1% of a large file (71 of 7,110 rows: 0.04) keeps that proportionate.
MIN_ROWS = 20
MIN_SHARE = 0.01
RULE = (
    "the lowest threshold whose rows reach the target accuracy, as do the rows of every higher "
    "threshold keeping at least min_rows rows"
)


def min_rows(total: int) -> int:
    """The fewest rows a threshold must keep to be trusted: 20, or 1% of ``total`` if more."""
    return max(MIN_ROWS, math.ceil(MIN_SHARE * total))


def _counts(rows: Sequence[HeldOutRow]) -> tuple[Any, Any]:
    """Rows kept and rows right at each threshold of the grid (two arrays of 101 counts)."""
    p = np.fromiter((r.probability for r in rows), dtype=float, count=len(rows))
    right = np.fromiter((r.truth == r.predicted for r in rows), dtype=bool, count=len(rows))
    kept = p[None, :] >= np.asarray(GRID)[:, None]
    return kept.sum(axis=1), (kept & right[None, :]).sum(axis=1)


def _points(rows: Sequence[HeldOutRow]) -> list[dict[str, Any]]:
    kept, right = _counts(rows)
    return [
        {
            "threshold": t,
            "rows": int(n),
            "coverage": round(n / len(rows), 4) if rows else 0.0,
            "accuracy": round(c / n, 4) if n else None,
        }
        for t, n, c in zip(GRID, kept, right, strict=True)
    ]


def curve(rows: Sequence[HeldOutRow], names: dict[str, str] | None = None) -> dict[str, Any]:
    """``{"overall": points, "per_class": {name: points}}``, one point per grid threshold:
    ``{"threshold", "rows", "coverage", "accuracy"}`` (accuracy None where no row is kept).
    A class's coverage is the share of the rows predicted as it; ``names`` shows the file's
    label names, as the classification report does."""
    names = names or {}
    classes = sorted({r.predicted for r in rows})
    return {
        "overall": _points(rows),
        "per_class": {
            names.get(c, c): _points([r for r in rows if r.predicted == c]) for c in classes
        },
    }


def choose_threshold(
    rows: Sequence[HeldOutRow], target: float, *, least: int | None = None
) -> float | None:
    """The lowest grid threshold t whose rows reach ``target`` accuracy, as do those of every
    higher threshold that keeps at least ``least`` rows (default :func:`min_rows`); t itself
    must keep that many. A noisy blip over the target at a low threshold is not chosen when the
    accuracy dips under it above. None when no threshold qualifies."""
    least = min_rows(len(rows)) if least is None else least
    kept, right = _counts(rows)
    chosen = None
    # kept never grows with t: the thresholds keeping enough rows are a prefix of the grid.
    for i in reversed(np.flatnonzero(kept >= max(least, 1))):
        if right[i] / kept[i] < target:
            break
        chosen = GRID[i]
    return chosen


def at_threshold(rows: Sequence[HeldOutRow], t: float | None) -> dict[str, Any]:
    """The curve's point at ``t``, a grid threshold: rows kept, their share and accuracy
    (all None for no threshold)."""
    if t is None:
        return {"threshold": None, "rows": None, "coverage": None, "accuracy": None}
    return _points(rows)[GRID.index(t)]


def _range(values: Sequence[float | None]) -> dict[str, Any]:
    """Min, max and sample std (ddof=1, as the CV figures) of per-fold values; None skipped."""
    found = np.asarray([v for v in values if v is not None], dtype=float)
    return {
        "min": round(float(found.min()), 4) if found.size else None,
        "max": round(float(found.max()), 4) if found.size else None,
        "std": round(float(found.std(ddof=1)), 4) if found.size > 1 else None,
        "folds": [None if v is None else round(v, 4) for v in values],
    }


def fold_spread(rows: Sequence[HeldOutRow], target: float, pooled: float | None) -> dict[str, Any]:
    """How the choice moves between folds: the threshold each fold's out-of-fold rows would
    choose for ``target``, and each fold's coverage and accuracy at the ``pooled`` threshold."""
    folds = sorted({r.fold for r in rows if r.fold is not None})
    per_fold = [[r for r in rows if r.fold == f] for f in folds]
    at = [at_threshold(fold, pooled) for fold in per_fold]
    return {
        "threshold": _range([choose_threshold(fold, target) for fold in per_fold]),
        "coverage": _range([a["coverage"] for a in at]),
        "accuracy": _range([a["accuracy"] for a in at]),
    }


def at_accuracy(rows: Sequence[HeldOutRow], target: float) -> dict[str, Any]:
    """The threshold chosen for ``target``, what it keeps, and (with CV) its per-fold spread."""
    t = choose_threshold(rows, target)
    found = {"target": target, **at_threshold(rows, t)}
    if len({r.fold for r in rows}) > 1:
        found["folds"] = fold_spread(rows, target, t)
    return found


def report(
    rows: Sequence[HeldOutRow],
    *,
    source: str,
    names: dict[str, str] | None = None,
    target: float | None = None,
    validation: Sequence[HeldOutRow] = (),
) -> dict[str, Any]:
    """``metrics.json``'s ``coverage``: the curves and the thresholds for 0.85, 0.90 and
    ``target``, keyed by the target as written (``"0.85"``). ``validation``: the packaged
    model's own held-out rows, when the curve is another's (CV): what each threshold keeps of
    them is added as a check."""
    targets = sorted({*TARGETS, *([target] if target is not None else [])})
    chosen = {f"{t:g}": at_accuracy(rows, t) for t in targets}
    if validation:
        for found in chosen.values():
            found["validation"] = at_threshold(validation, found["threshold"])
    curves = curve(rows, names)
    return {
        "source": source,
        "rows": len(rows),
        "min_rows": min_rows(len(rows)),
        "rule": RULE,
        "target_accuracy": target,
        "at_accuracy": chosen,
        "curve": curves["overall"],
        "per_class": curves["per_class"],
    }


def describe(found: dict[str, Any]) -> str:
    """One line for stderr: ``target accuracy 0.85: threshold 0.62 keeps 43.1% of rows at
    0.853 (folds: 0.58-0.66)``; the caller has checked that a threshold was found."""
    line = (
        f"target accuracy {found['target']:g}: threshold {found['threshold']:.2f} keeps "
        f"{found['coverage']:.1%} of rows at {found['accuracy']:.3f}"
    )
    folds = found.get("folds", {}).get("threshold")
    if folds and folds["min"] is not None:
        missed = sum(v is None for v in folds["folds"])
        line += f" (folds: {folds['min']:.2f}-{folds['max']:.2f}"
        line += f"; {missed} fold(s) never reach it)" if missed else ")"
    return line


def unreached(found: dict[str, Any], target: float) -> str:
    """Why ``found`` (a :func:`report`) has no threshold for ``target``, and the best there is."""
    least = found["min_rows"]
    best = max(
        (p for p in found["curve"] if p["rows"] >= least),
        key=lambda p: p["accuracy"],
        default=None,
    )
    return (
        f"no threshold reaches accuracy {target:g} on the {found['rows']} rows of the "
        f"{found['source']} (best: "
        + (f"{best['accuracy']:.3f} at threshold {best['threshold']:.2f}" if best else "none")
        + f", among thresholds keeping at least {least} rows); no review threshold recorded"
    )
