"""The result columns of the labeled CSV, and the cells of each row under them.

``predicted_label``, ``probability`` (6 decimals) and ``scoring_status``; ``needs_review`` when
a review threshold applies (:mod:`.needs_review`); ``label_N``, ``probability_N`` for a top-K
result. The join (:mod:`.join`) lays them out under the original rows; the cells of a scored
row are made here, once per row of every result, so the usual case is one short step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from review_scorer.results.needs_review import NEEDS_REVIEW, TRUSTED, cutoff
from review_scorer.transform.predictions import LABEL_PREFIX, Prediction
from review_scorer.transform.row_status import SCORED

RESULT_COLUMNS = ("predicted_label", "probability", "scoring_status")
NEEDS_REVIEW_COLUMN = "needs_review"


def format_probability(p: float) -> str:
    return f"{1.0 if p > 1.0 else p:.6f}"  # min(p, 1.0), without the call


@dataclass(frozen=True)
class ResultColumns:
    """The result columns: the three of every result, then ``needs_review`` when a review
    threshold applies (:mod:`.needs_review`), then ``label_N``, ``probability_N`` for N =
    2..top_k (after the status, so the first three keep their place whatever K is). Labels show
    their configured names (``-1`` -> ``negative``) where a mapping is given."""

    top_k: int = 1
    names: dict[str, str] = field(default_factory=dict)
    review_threshold: float | None = None

    def columns(self) -> list[str]:
        extra = [c for n in range(2, self.top_k + 1) for c in (f"label_{n}", f"probability_{n}")]
        return [*RESULT_COLUMNS, *self._review_cells(NEEDS_REVIEW_COLUMN), *extra]

    def _review_cells(self, cell: str) -> list[str]:
        return [] if self.review_threshold is None else [cell]

    def name(self, label: str) -> str:
        return self.names.get(label, label)

    def scored(self, prediction: Prediction) -> list[str]:
        return self.scorer(JoinTally())(prediction)

    def scorer(self, tally: JoinTally) -> Callable[[Prediction], list[str]]:
        """:meth:`scored` as a function for one file, which names each distinct label once and
        counts the rows it marks for review in ``tally``. Without a threshold the marking is
        not there at all: a function per case, not a test per row."""
        shown: dict[str, str] = {}
        top_k, threshold = self.top_k, self.review_threshold
        below = "" if threshold is None else cutoff(threshold)  # needs_review: printed < below
        review = 1 if threshold is not None else 0  # cells between the status and label_2

        def name(label: str) -> str:
            found = shown.get(label)
            if found is None:
                found = shown[label] = self.name(label.removeprefix(LABEL_PREFIX))
            return found

        def scored(prediction: Prediction) -> list[str]:
            labels, probs = prediction
            if top_k == 1 and labels:  # the usual case, in one step
                p = probs[0]
                return [name(labels[0]), f"{1.0 if p > 1.0 else p:.6f}", SCORED]
            return some(labels, probs)

        def scored_marked(prediction: Prediction) -> list[str]:
            labels, probs = prediction
            if top_k == 1 and labels:  # the usual case, in one step
                p = probs[0]
                printed = f"{1.0 if p > 1.0 else p:.6f}"
                if printed < below:
                    tally.needs_review += 1
                    return [name(labels[0]), printed, SCORED, NEEDS_REVIEW]
                return [name(labels[0]), printed, SCORED, TRUSTED]
            return some(labels, probs)

        def some(labels: list[str], probs: list[float]) -> list[str]:
            cells = ["", "", SCORED] + [""] * (review + 2 * (top_k - 1))
            for n, label in enumerate(labels[:top_k]):
                at = 1 + review + 2 * n if n else 0  # label_N, probability_N follow those
                cells[at : at + 2] = name(label), format_probability(probs[n])
            if review and labels:
                marked = cells[1] < below
                tally.needs_review += marked
                cells[3] = NEEDS_REVIEW if marked else TRUSTED
            return cells

        return scored if threshold is None else scored_marked

    def unscored(self, status: str) -> list[str]:
        return ["", "", status, *self._review_cells(""), *([""] * (2 * (self.top_k - 1)))]


@dataclass
class JoinTally:
    """What the join saw, for the summary."""

    scored: int = 0
    rows: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    needs_review: int = 0  # scored rows marked for review (0 when no threshold applies)
