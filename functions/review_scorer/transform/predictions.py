"""Reading BlazingText Batch Transform output lines.

Each line is ``{"label": ["__label__X", ...], "prob": [p, ...]}``, best first. The label prefix is
removed as a prefix (``removeprefix``), never with ``lstrip``, which would eat label characters.
Checked by hand rather than by a pydantic model: this runs once per row of every result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterable
from json.scanner import make_scanner
from typing import Any, NamedTuple, TypeGuard

from review_scorer.errors import InvalidPredictionError

LABEL_PREFIX = "__label__"
# fastText adds 1e-5 inside its softmax, so a sure prediction can read 1.00001.
PROB_TOLERANCE = 1e-4
_PROB_MAX = 1.0 + PROB_TOLERANCE
# json.loads is this scanner behind a Python wrapper that costs three times the scan itself:
# _decode calls the scanner directly and falls back to json.loads for anything but a line that
# starts with a value and ends with JSON whitespace, so it accepts and returns what json.loads does.
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_JSON_SPACE = " \t\n\r"


class Prediction(NamedTuple):
    """One output line: labels and probabilities, best first. A tuple: one is made per row."""

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
        data = _decode(line)
    except ValueError:
        raise InvalidPredictionError(f"{where} is not a valid prediction (not JSON)") from None
    if _plain(data):  # the usual line, checked in one pass; anything else by the full check
        return Prediction(label=data["label"], prob=data["prob"])
    return prediction_from(data, where=where)


def parse_lines(lines: Iterable[str], *, where: str) -> Generator[Prediction, None, int]:
    """The prediction of every non-blank line, as :func:`parse_prediction` reads one, with
    ``where line N`` in an error; returns how many there were (``count = yield from ...``).

    The usual line (one JSON object, valid, float probabilities) is decoded and checked inline,
    since this runs once per row of every result; any other goes through parse_prediction."""
    count = 0
    scan, plain, prediction = _scan, _plain, Prediction
    for line in lines:
        if line.strip():
            count += 1
            try:
                data, end = scan(line, 0)
                whole = end == len(line) or not line[end:].strip(_JSON_SPACE)
            except (StopIteration, ValueError):
                whole = False
            if whole and plain(data):
                yield prediction(data["label"], data["prob"])
            else:
                yield parse_prediction(line, where=f"{where} line {count}")
    return count


def _decode(line: str) -> object:
    try:
        data, end = _scan(line, 0)
    except StopIteration:
        return json.loads(line)  # no value at the start: leading space, a BOM, or not JSON
    if end == len(line) or not line[end:].strip(_JSON_SPACE):
        return data
    return json.loads(line)


def _plain(data: object) -> TypeGuard[dict[str, Any]]:
    """Whether ``data`` is a valid prediction whose probabilities are all floats, so that
    :func:`prediction_from` would return its lists unchanged (``float(p) is p`` for a float)."""
    if type(data) is not dict:
        return False
    labels, probs = data.get("label"), data.get("prob")
    if type(labels) is not list or type(probs) is not list or not labels:
        return False
    if len(labels) != len(probs):
        return False
    for label in labels:
        if type(label) is not str:
            return False
    for p in probs:  # a loop: at two items, all() over a generator costs twice as much
        if type(p) is not float or not 0.0 <= p <= _PROB_MAX:
            break
    else:
        return True
    return False


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
