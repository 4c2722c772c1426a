"""Reading the uploaded CSV as a stream of rows, with the line number of each.

The file is decoded as UTF-8 (a BOM is dropped) by ``io.TextIOWrapper`` with ``newline=""``,
which splits lines only on ``\\r``, ``\\n`` and ``\\r\\n`` and leaves U+2028, U+0085 and other
separators inside reviews alone (``str.splitlines`` would not). The ``csv`` module handles quoted
commas, quotes and newlines. The same function reads the file for staging and again for the
join, so both see exactly the same rows in the same order.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol

from review_scorer.errors import (
    EmptyFileError,
    EncodingError,
    MalformedCsvError,
    MissingColumnError,
)

READ_BUFFER_BYTES = 1024 * 1024
FIELD_SIZE_LIMIT = 16 * 1024 * 1024


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based position among data rows, its first physical line, its cells."""

    ordinal: int
    line: int
    fields: list[str]


@dataclass(frozen=True)
class CsvTable:
    """A header and a lazy iterator over the data rows that follow it."""

    columns: list[str]
    review_index: int
    rows: Iterator[Row]


def open_text(raw: IO[bytes]) -> IO[str]:
    """Wrap a binary stream (an S3 body or a file) as UTF-8 text without reading it all."""
    if not isinstance(raw, io.BufferedIOBase):
        raw = io.BufferedReader(raw, READ_BUFFER_BYTES)  # type: ignore[type-var]
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")


def find_review_column(columns: list[str], review_column: str) -> int:
    """Index of the review column; the error lists the columns that were found."""
    try:
        return columns.index(review_column)
    except ValueError:
        found = ", ".join(repr(c) for c in columns) or "none"
        raise MissingColumnError(
            f"the review column {review_column!r} is not in the header; columns found: {found}",
            line=1,
        ) from None


def read_table(text: IO[str], review_column: str) -> CsvTable:
    """Parse the header now and return the data rows as a lazy iterator."""
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(text, strict=True)
    header = _next_record(reader)
    if header is None:
        raise EmptyFileError("the file is empty: expected a header row and review rows", line=1)
    review_index = find_review_column(header, review_column)
    return CsvTable(columns=header, review_index=review_index, rows=_rows(reader, len(header)))


def _rows(reader: _Reader, width: int) -> Iterator[Row]:
    ordinal = 0
    while True:
        first_line = reader.line_num + 1
        record = _next_record(reader)
        if record is None:
            return
        if not record:  # a blank line holds no row
            continue
        if len(record) != width:
            raise MalformedCsvError(
                f"row has {len(record)} fields but the header has {width}", line=first_line
            )
        ordinal += 1
        yield Row(ordinal=ordinal, line=first_line, fields=record)


def _next_record(reader: _Reader) -> list[str] | None:
    line = reader.line_num + 1
    try:
        return next(reader)
    except StopIteration:
        return None
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"the file is not valid UTF-8 (byte 0x{exc.object[exc.start]:02x}); "
            "save it as UTF-8 and upload it again",
            line=line,
        ) from None
    except csv.Error as exc:
        raise MalformedCsvError(f"the CSV cannot be parsed: {exc}", line=line) from None
