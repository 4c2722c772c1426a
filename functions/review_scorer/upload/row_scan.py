"""The one row loop: which rows go to the model, which are empty, which are rejected.

StartScoring stages what it sends into S3 shards; ``review-scorer score`` spools it to a local
file. Both run this loop, so they agree row for row on what is sent, and the join
(``results.join``) lines the predictions up the same way. It knows nothing of S3 and holds no
policy: what to do with too many rejects, or when time runs short, is the caller's to decide.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from review_scorer.tokenizer import tokenize
from review_scorer.transform.manifest import RowCounts
from review_scorer.transform.row_status import EMPTY, REJECTED, MarkedRange, RowMarker
from review_scorer.upload.csv_reader import CsvTable, Row

CHECK_EVERY = 2_000  # rows between two calls of the checkpoint


@dataclass(frozen=True)
class RowScan:
    """What the loop saw: the row counts, and the rows not sent as ranges for the join."""

    counts: RowCounts
    marks: list[MarkedRange]


def scan_rows(
    table: CsvTable,
    send: Callable[[list[str]], None],
    reject: Callable[[Row], None],
    checkpoint: Callable[[Row], None] | None = None,
) -> RowScan:
    """Tokenize each row's review and hand the tokens of every non-empty one to ``send``.

    A row with a problem goes to ``reject`` (it cannot be laid out under the header); an empty
    review is only marked. ``checkpoint`` (if given) sees every ``CHECK_EVERY``-th row before it
    is handled, and may raise to stop the scan (StartScoring's time guard).
    """
    marker = RowMarker()
    total = scored = empty = rejected = 0  # plain ints: a pydantic attribute set costs ~1 us
    review = table.review_index
    for row in table.rows:
        total += 1
        if checkpoint is not None and total % CHECK_EVERY == 0:
            checkpoint(row)
        if row.problem:
            reject(row)
            marker.mark(row.ordinal, REJECTED)
            rejected += 1
            continue
        tokens = tokenize(row.fields[review])
        if tokens:
            send(tokens)
            scored += 1
        else:
            marker.mark(row.ordinal, EMPTY)
            empty += 1
    counts = RowCounts(total=total, scored=scored, empty=empty, rejected=rejected)
    return RowScan(counts=counts, marks=marker.ranges)
