"""Turning any label value into a label fastText (and BlazingText) can hold, and back.

fastText reads a training line as whitespace-separated words, and a label is the word after
``__label__``: a label cannot contain a space, a tab or a newline. So surrounding whitespace is
stripped (``"Dresses "`` is ``"Dresses"``), and each whitespace character inside a label becomes
``_`` (``"Fine gauge"`` is trained, predicted and written to result files as ``"Fine_gauge"``).
The readable choice keeps result files and SNS label counts legible. Two different labels that
would become the same (``"Fine gauge"`` and ``"Fine_gauge"``) are refused rather than merged.
The mapping back to the original names is kept with the model and in ``metrics.json``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from review_scorer_training.errors import TrainingDataError

_WHITESPACE = re.compile(r"\s")


def safe_label(label: str) -> str:
    """The fastText-safe form of a (stripped, non-empty) label."""
    return _WHITESPACE.sub("_", label.strip())


def label_names(labels: Iterable[str]) -> dict[str, str]:
    """``{safe label: original label}`` for the distinct labels, refusing collisions."""
    names: dict[str, str] = {}
    for original in sorted(set(labels)):
        safe = safe_label(original)
        if names.setdefault(safe, original) != original:
            raise TrainingDataError(
                f"the labels {names[safe]!r} and {original!r} both become {safe!r} once their "
                "spaces are replaced by '_' (fastText labels cannot hold whitespace); "
                "rename one of them"
            )
    return names
