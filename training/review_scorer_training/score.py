"""``review-scorer score``: label a CSV with a model directly, without the pipeline.

The same pieces as the pipeline, in one process: the CSV reader of StartScoring, the project
tokenizer, ``FastTextScorer`` (one BlazingText inference per row), and the result columns and
cell neutralisation of PublishResults. So a file scored here and a file scored in AWS come out
the same. Rows the pipeline rejects (a wrong number of fields) are left out here too, and their
lines and reasons reported. The result is written to a temporary file beside the output and
renamed at the end: there is never a half-written result under the output name.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from review_scorer.model.scorer import FastTextScorer
from review_scorer.results.join import ResultColumns, neutralise
from review_scorer.results.row_status import EMPTY
from review_scorer.tokenizer import tokenize
from review_scorer.transform.predictions import prediction_from
from review_scorer.upload.csv_reader import CsvTable, read_table


@dataclass
class ScoreTally:
    """What scoring a file did, for the closing line."""

    rows: int = 0
    scored: int = 0
    empty: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), no text


def result_columns(top_k: int) -> list[str]:
    """The pipeline's result columns for ``top_k`` labels."""
    return ResultColumns(top_k=top_k).columns()


def _scored_rows(
    table: CsvTable, scorer: FastTextScorer, top_k: int, tally: ScoreTally
) -> Iterator[list[str]]:
    layout = ResultColumns(top_k=top_k)
    for row in table.rows:
        tally.rows += 1
        if row.problem:  # like the pipeline: cannot be laid out under the header, left out
            tally.rejected.append((row.line, row.problem))
            continue
        cells = [neutralise(c) for c in row.fields]
        tokens = tokenize(row.fields[table.review_index])
        if not tokens:
            tally.empty += 1
            yield [*cells, *layout.unscored(EMPTY)]
            continue
        answer = scorer.predict({"source": " ".join(tokens), "k": top_k})
        result = layout.scored(prediction_from(answer, where=f"line {row.line}"))
        tally.scored += 1
        tally.labels[result[0]] += 1
        yield [*cells, *result]


def score_file(
    scorer: FastTextScorer,
    source: Path,
    output: Path,
    *,
    review_column: str = "review_body",
    top_k: int = 1,
) -> ScoreTally:
    """Score ``source`` into ``output`` (whole, or not at all); returns the tally."""
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    tally = ScoreTally()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Beside the output (so the rename is atomic), named per process, created with the usual
    # permissions; "x" refuses to write over anything that exists.
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with partial.open("x", encoding="utf-8", newline="") as out, source.open("rb") as raw:
            table = read_table(raw, review_column)
            writer = csv.writer(out)
            writer.writerow([*(neutralise(c) for c in table.columns), *result_columns(top_k)])
            writer.writerows(_scored_rows(table, scorer, top_k, tally))
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return tally
