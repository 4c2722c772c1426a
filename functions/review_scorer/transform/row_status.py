"""Which data rows were not sent to the model, and why, as compact ranges.

StartScoring records the rows it did not send (an empty review, or a rejected row) so
the join knows, without tokenizing again, which rows take the next prediction. Ranges keep the
manifest small when such rows come in runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pydantic import BaseModel

SCORED = "scored"
EMPTY = "empty"
REJECTED = "rejected"


class MarkedRange(BaseModel):
    """Data rows ``first``..``last`` (1-based ordinals, inclusive) share ``status``."""

    first: int
    last: int
    status: str


class RowMarker:
    """Collects the status of rows not sent, in row order, merging neighbours into ranges."""

    def __init__(self) -> None:
        self.ranges: list[MarkedRange] = []

    def mark(self, ordinal: int, status: str) -> None:
        if self.ranges:
            last = self.ranges[-1]
            if last.status == status and last.last == ordinal - 1:
                last.last = ordinal
                return
        self.ranges.append(MarkedRange(first=ordinal, last=ordinal, status=status))


def statuses(ranges: Iterable[MarkedRange]) -> Iterator[tuple[int, str]]:
    """``(ordinal, status)`` for every marked row, in order."""
    for marked in ranges:
        for ordinal in range(marked.first, marked.last + 1):
            yield ordinal, marked.status


class StatusLookup:
    """Answers "what happened to row N?" for rows visited in increasing order."""

    def __init__(self, ranges: list[MarkedRange]) -> None:
        self._ranges = ranges
        self._next = 0

    def status(self, ordinal: int) -> str:
        while self._next < len(self._ranges) and self._ranges[self._next].last < ordinal:
            self._next += 1
        if self._next < len(self._ranges) and self._ranges[self._next].first <= ordinal:
            return self._ranges[self._next].status
        return SCORED
