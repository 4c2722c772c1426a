"""Reading BlazingText Batch Transform output lines.

Each line is ``{"label": ["__label__X", ...], "prob": [p, ...]}``, best first. The label prefix is
removed as a prefix (``removeprefix``), never with ``lstrip``, which would eat label characters.
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field, ValidationError, model_validator

from review_scorer.errors import InvalidPredictionError

LABEL_PREFIX = "__label__"
# fastText adds 1e-5 inside its softmax, so a sure prediction can read 1.00001.
PROB_TOLERANCE = 1e-4


class Prediction(BaseModel):
    label: list[str] = Field(min_length=1)
    prob: list[float] = Field(min_length=1)

    @model_validator(mode="after")
    def _aligned(self) -> Prediction:
        if len(self.label) != len(self.prob):
            raise ValueError("label and prob have different lengths")
        if any(not 0.0 <= p <= 1.0 + PROB_TOLERANCE for p in self.prob):
            raise ValueError("a probability is outside [0, 1]")
        return self

    @property
    def labels(self) -> list[str]:
        return [label.removeprefix(LABEL_PREFIX) for label in self.label]


def parse_prediction(line: str, *, where: str) -> Prediction:
    """Parse one output line; ``where`` (shard and line) goes into the error."""
    try:
        return Prediction.model_validate(json.loads(line))
    except (ValueError, ValidationError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise InvalidPredictionError(
            f"{where} is not a valid prediction ({reason[:200]})"
        ) from None
