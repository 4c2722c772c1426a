"""Joining predictions back to the original rows, by position.

Rows that were sent take the next prediction, in order; rows that were not (an empty review)
keep their place with an empty label and their status. Any disagreement in counts is an error:
a labeled file is either complete and aligned, or not written at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from review_scorer.errors import PredictionCountMismatchError, SourceChangedError
from review_scorer.results.csv_text import write_rows
from review_scorer.results.result_columns import (
    RESULT_COLUMNS,
    JoinTally,
    ResultColumns,
    format_probability,
)
from review_scorer.transform.predictions import Prediction
from review_scorer.transform.row_status import REJECTED, SCORED, MarkedRange, StatusLookup
from review_scorer.upload.csv_reader import CsvTable, Row

# The result columns' layout and cells are :mod:`.result_columns`'; named here too, where the
# join's callers have always found them.
__all__ = [
    "RESULT_COLUMNS",
    "JoinTally",
    "ResultColumns",
    "format_probability",
    "labeled_rows",
    "neutralise",
    "write_labeled_csv",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(_FORMULA_START)  # cell[:1] in it: one test per cell, "" included
_NEVER = float("inf")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(cell: str) -> str:
    """Defuse a cell a spreadsheet would run as a formula, by prefixing a quote.

    Plain numbers such as ``-1`` or ``+3.5`` are left alone: they are data, not formulas.
    """
    if cell[:1] in _FORMULA_FIRST and not _NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


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
    scored_cells, formula, defuse = layout.scorer(tally), _FORMULA_FIRST, neutralise
    labels = tally.labels
    # Below ``bound`` (the least first row of the ranges not yet passed) every row is scored,
    # and StatusLookup, which answers the rest, need not be asked.
    lookup = StatusLookup(marks)
    after: list[float] = [m.first for m in marks]
    for n in range(len(after) - 2, -1, -1):
        after[n] = min(after[n], after[n + 1])
    after.append(_NEVER)
    bound, passed = after[0], 0
    for row in rows:
        ordinal, line, fields, problem = row
        tally.rows += 1
        if ordinal >= bound:
            status = lookup.status(ordinal)
            while passed < len(marks) and marks[passed].last < ordinal:
                passed += 1
            bound = after[passed]
            if status != SCORED:
                if (status == REJECTED) != (problem is not None):
                    raise _changed(line)
                if status != REJECTED:
                    yield [*map(defuse, fields), *layout.unscored(status)]
                continue
        if problem is not None:
            raise _changed(line)
        cells = [c if c[:1] not in formula else defuse(c) for c in fields]
        prediction = next(predictions, None)
        if prediction is None:
            raise PredictionCountMismatchError(
                f"the model returned fewer predictions than the {tally.scored + 1}+ rows sent",
                line=line,
            )
        tally.scored += 1
        result = scored_cells(prediction)
        labels[result[0]] += 1
        cells += result
        yield cells
    if next(predictions, None) is not None:
        raise PredictionCountMismatchError(
            f"the model returned more predictions than the {tally.scored} rows sent"
        )


def _changed(line: int) -> SourceChangedError:
    return SourceChangedError(f"line {line} is not the row that was staged", line=line)


def write_labeled_csv(
    out: IO[str],
    table: CsvTable,
    marks: list[MarkedRange],
    predictions: Iterator[Prediction],
    tally: JoinTally,
    layout: ResultColumns,
) -> None:
    """The labeled CSV onto ``out``: the header (neutralised, then the result columns), then
    :func:`labeled_rows`, in csv.writer's default dialect (:mod:`.csv_text`). PublishResults and
    ``review-scorer score`` both write it this way."""
    header = [*(neutralise(c) for c in table.columns), *layout.columns()]
    write_rows(out, [header])
    write_rows(out, labeled_rows(table.rows, marks, predictions, tally, layout))
