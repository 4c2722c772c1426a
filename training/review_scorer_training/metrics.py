"""Classification metrics, computed with numpy: accuracy, macro F1, per class, confusion matrix.

Macro F1 is the unweighted mean of the per-class F1 scores, so on an unbalanced file a model that
ignores a small class is not flattered. A class that is never predicted has precision 0 (as
scikit-learn reports it with ``zero_division=0``). Also the held-out rows these are computed
from, and the layout of ``metrics.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from review_scorer.results.join import format_probability


class HeldOutRow(NamedTuple):
    """One held-out row as a model answered it: labels are the model's (fastText-safe)."""

    truth: str
    predicted: str
    probability: float  # the top label's, as the labeled CSV prints it (see printed_probability)
    fold: int | None = None  # the CV fold it was held out of; None for the validation split


def printed_probability(p: float) -> float:
    """``p`` as the labeled CSV prints it (6 decimals, at most 1.0): the number the pipeline
    compares with the review threshold, so a threshold chosen here means the same there."""
    return float(format_probability(p))


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def confusion(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Any:
    """Counts, rows = true label, columns = predicted label, in the order of ``labels``."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(truth, predicted, strict=True):
        matrix[index[t], index[p]] += 1
    return matrix


def classification_report(
    truth: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix.

    ``labels`` are the model's labels; ``names`` maps them to the names shown (the file's).
    """
    names = names or {}
    shown = [names.get(label, label) for label in labels]
    matrix = confusion(truth, predicted, labels)
    correct = np.diag(matrix)
    per_class: dict[str, dict[str, float | int]] = {}
    f1s = []
    for i, name in enumerate(shown):
        precision = _ratio(correct[i], matrix[:, i].sum())
        recall = _ratio(correct[i], matrix[i, :].sum())
        f1 = _ratio(2 * precision * recall, precision + recall)
        f1s.append(f1)
        per_class[name] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": int(matrix[i, :].sum()),
        }
    return {
        "accuracy": round(_ratio(correct.sum(), matrix.sum()), 4),
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "rows": int(matrix.sum()),
        "per_class": per_class,
        "confusion_matrix": {"labels": shown, "matrix": matrix.tolist()},
    }


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Mean and sample standard deviation (ddof=1) of per-fold figures, with the figures."""
    array = np.asarray(values, dtype=float)
    std = float(array.std(ddof=1)) if len(array) > 1 else 0.0
    return {
        "mean": round(float(array.mean()), 4),
        "std": round(std, 4),
        "folds": [round(float(v), 4) for v in array],
    }


def to_json(value: Any, indent: str = "", width: int = 100) -> str:
    """JSON indented by 2, except that a list or object holding only plain values (a curve
    point, a matrix row) stays on one line, as does anything that fits in ``width``: a
    30-class curve stays readable."""
    line = json.dumps(value)
    children = value.values() if isinstance(value, dict) else value
    if (
        not isinstance(value, dict | list)
        or len(indent) + len(line) <= width
        or not any(isinstance(c, dict | list) for c in children)
    ):
        return line
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner, width)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    return "[\n" + ",\n".join(inner + to_json(v, inner, width) for v in value) + f"\n{indent}]"
