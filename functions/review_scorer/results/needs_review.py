"""Rows marked for review: whose top probability, as the labeled CSV prints it, is below a
threshold.

The threshold is the stack's ``ReviewThreshold`` (``model``: the one the model recorded;
``off``; or a number in (0, 1]), decided once per file at StartScoring and kept in its manifest.
The rule reads the printed probability (6 decimals), not the model's float, so a reader of the
CSV can check every mark against the cell beside it, and the API's rounded probabilities agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Final, Literal

from review_scorer.model.artifact import ModelMetadata

MODEL: Final = "model"
OFF: Final = "off"
NEEDS_REVIEW = "true"
TRUSTED = "false"
DECIMALS = 6
_SCALE = 10**DECIMALS
# The values ReviewThreshold takes (the template's AllowedPattern is this, a contract test
# checks): a plain decimal above 0 and at most 1, no sign, exponent or spaces.
REVIEW_THRESHOLD_PATTERN = r"^(model|off|1(\.0*)?|0?\.[0-9]*[1-9][0-9]*)$"

ReviewThresholdChoice = float | Literal["model"] | None
"""A parsed ``ReviewThreshold``: a number, ``"model"`` (the model's own) or None (``off``)."""


def parse_review_threshold(text: str) -> ReviewThresholdChoice:
    """``"model"``, ``"off"`` or a decimal in (0, 1] (``"0.7"``, ``".05"``, ``"1"``), as
    :data:`REVIEW_THRESHOLD_PATTERN` spells them; ValueError for anything else."""
    if not re.fullmatch(REVIEW_THRESHOLD_PATTERN, text):
        raise ValueError(f"{text[:40]!r} is not model, off or a decimal number in (0, 1]")
    if text == MODEL:
        return MODEL
    if text == OFF:
        return None
    number = float(text)
    if number == 0.0:  # 0.000...1 with hundreds of zeros: a float cannot hold it
        raise ValueError(f"{text[:40]!r}... is too small for a review threshold")
    return number


def threshold_for(
    choice: ReviewThresholdChoice, model: Callable[[], ModelMetadata | None]
) -> float | None:
    """The threshold a choice gives: the number, none (``off``), or the one ``model()``'s
    metadata recorded (none for a model without metadata or threshold). ``model`` is only
    called for ``"model"``: reading an artifact costs a request."""
    if choice != MODEL:
        return choice if isinstance(choice, float) else None
    metadata = model()
    return None if metadata is None else metadata.review_threshold


def cutoff(threshold: float) -> str:
    """The least printed probability (``format_probability``: ``d.dddddd``) that is *not* below
    ``threshold``: ``printed < cutoff(t)`` is ``float(printed) < t``, compared as strings.

    Printed probabilities are ``0.000000`` .. ``1.000000`` (``-0.000000`` for a negative zero,
    below every cutoff, as its value is): one length, digits at the same places, so their
    string order is their numeric order. The decimal at or just above ``threshold`` is found
    exactly, then lowered while the one below still reads as a float that is not below it (the
    float 0.1 is a little above 1/10, and ``0.100000`` reads as that very float: not below)."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"a review threshold is in (0, 1], not {threshold!r}")
    k = math.ceil(Fraction(threshold) * _SCALE)  # Fraction(float): the float's exact value
    while k > 0 and float(_printed(k - 1)) >= threshold:
        k -= 1
    return _printed(k)


def _printed(k: int) -> str:
    return f"{k // _SCALE}.{k % _SCALE:0{DECIMALS}d}"


def needs_review(printed: str, threshold: float) -> bool:
    """Whether a row whose ``probability`` cell reads ``printed`` is marked for review."""
    return float(printed) < threshold
