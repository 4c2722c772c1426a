"""Joining predictions back to the original rows, by position.

Rows that were sent take the next prediction, in order; rows that were not (an empty review)
keep their place with an empty label and their status. Any disagreement in counts is an error:
a labeled file is either complete and aligned, or not written at all.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from review_scorer.errors import PredictionCountMismatchError, SourceChangedError
from review_scorer.transform.predictions import Prediction
from review_scorer.transform.row_status import REJECTED, SCORED, MarkedRange, StatusLookup
from review_scorer.upload.csv_reader import CsvTable, Row

RESULT_COLUMNS = ("predicted_label", "probability", "scoring_status")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(cell: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula, by prefixing a quote.

    Plain numbers such as ``-1`` or ``+3.5`` are left alone: they are data, not formulas.
    """
    if cell.startswith(_FORMULA_START) and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def format_probability(p: float) -> str:
    return f"{min(p, 1.0):.6f}"


@dataclass(frozen=True)
class ResultColumns:
    """The result columns: the three of every result, then ``label_N``, ``probability_N`` for
    N = 2..top_k (after ``scoring_status``, so the first three keep their place whatever K is).
    Labels show their configured names (``-1`` -> ``negative``) where a mapping is given."""

    top_k: int = 1
    names: dict[str, str] = field(default_factory=dict)

    def columns(self) -> list[str]:
        extra = [c for n in range(2, self.top_k + 1) for c in (f"label_{n}", f"probability_{n}")]
        return [*RESULT_COLUMNS, *extra]

    def name(self, label: str) -> str:
        return self.names.get(label, label)

    def scored(self, prediction: Prediction) -> list[str]:
        labels, probs = prediction.labels, prediction.prob
        ranked = [
            (self.name(labels[n]), format_probability(probs[n])) if n < len(labels) else ("", "")
            for n in range(self.top_k)
        ]
        return [*ranked[0], SCORED, *(cell for pair in ranked[1:] for cell in pair)]

    def unscored(self, status: str) -> list[str]:
        return ["", "", status, *([""] * (2 * (self.top_k - 1)))]


@dataclass
class JoinTally:
    """What the join saw, for the summary."""

    scored: int = 0
    rows: int = 0
    labels: Counter[str] = field(default_factory=Counter)


def labeled_rows(
    rows: Iterator[Row],
    marks: list[MarkedRange],
    predictions: Iterator[Prediction],
    tally: JoinTally,
    layout: ResultColumns | None = None,
) -> Iterator[list[str]]:
    """The result rows: original cells (neutralised), then the result columns.

    Rejected rows (a wrong number of fields, an over-long field) cannot be laid out under the
    header: they are left out here and listed, with line and reason, in the rejects CSV.
    """
    layout = layout or ResultColumns()
    lookup = StatusLookup(marks)
    for row in rows:
        tally.rows += 1
        status = lookup.status(row.ordinal)
        if (status == REJECTED) != (row.problem is not None):
            raise SourceChangedError(
                f"line {row.line} is not the row that was staged", line=row.line
            )
        if status == REJECTED:
            continue
        cells = [neutralise(c) for c in row.fields]
        if status != SCORED:
            yield [*cells, *layout.unscored(status)]
            continue
        prediction = next(predictions, None)
        if prediction is None:
            raise PredictionCountMismatchError(
                f"the model returned fewer predictions than the {tally.scored + 1}+ rows sent",
                line=row.line,
            )
        tally.scored += 1
        result = layout.scored(prediction)
        tally.labels[result[0]] += 1
        yield [*cells, *result]
    if next(predictions, None) is not None:
        raise PredictionCountMismatchError(
            f"the model returned more predictions than the {tally.scored} rows sent"
        )


def write_labeled_csv(
    out: IO[str],
    table: CsvTable,
    marks: list[MarkedRange],
    predictions: Iterator[Prediction],
    tally: JoinTally,
    layout: ResultColumns,
) -> None:
    """The labeled CSV onto ``out``: the header (neutralised, then the result columns), then
    :func:`labeled_rows`. PublishResults and ``review-scorer score`` both write it this way."""
    writer = csv.writer(out)
    writer.writerow([*(neutralise(c) for c in table.columns), *layout.columns()])
    writer.writerows(labeled_rows(table.rows, marks, predictions, tally, layout))
