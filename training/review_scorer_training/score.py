"""``review-scorer score``: label a CSV with a model directly, without the pipeline.

It runs the pipeline itself, in one process, so a file scored here and a file scored in AWS come
out the same, byte for byte, whatever the options (top-k, label names, any future column):
StartScoring's row loop (``upload.row_scan``) writes each request record to a temporary spool
file (memory stays bounded however big the file), ``FastTextScorer`` answers each one the way
BlazingText batch transform does, and PublishResults' join (``results.join``) lays the answers
out under the original rows, read a second time. Rows the pipeline rejects (a wrong number of
fields) are left out here too, and their lines and reasons reported. The result is written to a
temporary file beside the output and renamed at the end: never a half-written result.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from review_scorer.errors import SourceChangedError
from review_scorer.model.scorer import FastTextScorer
from review_scorer.results.join import write_labeled_csv
from review_scorer.results.result_columns import JoinTally, ResultColumns
from review_scorer.transform.predictions import Prediction, prediction_from
from review_scorer.transform.records import record
from review_scorer.upload.csv_reader import Row, read_table
from review_scorer.upload.row_scan import RowScan, scan_rows


@dataclass
class ScoreTally:
    """What scoring a file did, for the closing line."""

    rows: int = 0
    scored: int = 0
    empty: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), no text
    needs_review: int | None = None  # rows marked for review; None: no threshold applied


def _spool(
    source: Path, review_column: str, top_k: int, spool: IO[bytes]
) -> tuple[RowScan, list[tuple[int, str]]]:
    """The staging pass: one request record per row sent, written to ``spool``."""
    rejected: list[tuple[int, str]] = []

    def send(tokens: list[str]) -> None:
        spool.write(record(tokens, top_k))

    def reject(row: Row) -> None:
        rejected.append((row.line, row.problem or ""))

    with source.open("rb") as raw:
        scan = scan_rows(read_table(raw, review_column), send, reject)
    return scan, rejected


def _predictions(spool: IO[bytes], scorer: FastTextScorer) -> Iterator[Prediction]:
    """The transform job: each spooled record answered in turn, as BlazingText would."""
    spool.seek(0)
    for number, line in enumerate(spool, start=1):
        answer = scorer.predict(json.loads(line))
        yield prediction_from(answer, where=f"prediction {number}")


def score_file(
    scorer: FastTextScorer,
    source: Path,
    output: Path,
    *,
    review_column: str = "review_body",
    top_k: int = 1,
    label_names: Mapping[str, str] | None = None,
    review_threshold: float | None = None,
) -> ScoreTally:
    """Score ``source`` into ``output`` (whole, or not at all); returns the tally. With a
    ``review_threshold``, rows are marked as the stack with that ReviewThreshold marks them."""
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    layout = ResultColumns(
        top_k=top_k, names=dict(label_names or {}), review_threshold=review_threshold
    )
    joined = JoinTally()
    output.parent.mkdir(parents=True, exist_ok=True)
    # Beside the output (so the rename is atomic), named per process, created with the usual
    # permissions; "x" refuses to write over anything that exists.
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with tempfile.TemporaryFile(prefix="review-scorer-") as spool:
            scan, rejected = _spool(source, review_column, top_k, spool)
            with partial.open("x", encoding="utf-8", newline="") as out, source.open("rb") as raw:
                table = read_table(raw, review_column)
                predictions = _predictions(spool, scorer)
                write_labeled_csv(out, table, scan.marks, predictions, joined, layout)
        if joined.rows != scan.counts.total:
            raise SourceChangedError(
                f"{source} now has {joined.rows} rows but {scan.counts.total} were read"
            )
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    counts = scan.counts
    return ScoreTally(
        rows=counts.total,
        scored=counts.scored,
        empty=counts.empty,
        labels=joined.labels,
        rejected=rejected,
        needs_review=None if review_threshold is None else joined.needs_review,
    )
