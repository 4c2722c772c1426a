"""Reading BlazingText Batch Transform output lines.

Each line is ``{"label": ["__label__X", ...], "prob": [p, ...]}``, best first. The label prefix is
removed as a prefix (``removeprefix``), never with ``lstrip``, which would eat label characters.
Checked by hand rather than by a pydantic model: this runs once per row of every result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from review_scorer.errors import InvalidPredictionError

LABEL_PREFIX = "__label__"
# fastText adds 1e-5 inside its softmax, so a sure prediction can read 1.00001.
PROB_TOLERANCE = 1e-4


@dataclass(frozen=True, slots=True)
class Prediction:
    label: list[str]
    prob: list[float]

    @property
    def labels(self) -> list[str]:
        return [label.removeprefix(LABEL_PREFIX) for label in self.label]


def prediction_from(data: object, *, where: str) -> Prediction:
    """A :class:`Prediction` from a decoded output line; ``where`` goes into the error."""
    reason = _problem(data)
    if reason:
        raise InvalidPredictionError(f"{where} is not a valid prediction ({reason})")
    assert isinstance(data, dict)
    return Prediction(label=data["label"], prob=[float(p) for p in data["prob"]])


def parse_prediction(line: str, *, where: str) -> Prediction:
    """Parse one output line; ``where`` (shard and line) goes into the error."""
    try:
        data = json.loads(line)
    except ValueError:
        raise InvalidPredictionError(f"{where} is not a valid prediction (not JSON)") from None
    return prediction_from(data, where=where)


def _problem(data: object) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    labels, probs = data.get("label"), data.get("prob")
    if not isinstance(labels, list) or not isinstance(probs, list) or not labels:
        return '"label" and "prob" must be non-empty lists'
    if len(labels) != len(probs):
        return "label and prob have different lengths"
    if not all(isinstance(label, str) for label in labels):
        return "a label is not a string"
    for p in probs:
        if isinstance(p, bool) or not isinstance(p, int | float):
            return "a probability is not a number"
        if not 0.0 <= p <= 1.0 + PROB_TOLERANCE:
            return "a probability is outside [0, 1]"
    return None
