"""Reading the uploaded CSV as a stream of rows, with the line number of each.

Bytes are checked first (:mod:`review_scorer.upload.byte_stream`), then decoded by
``io.TextIOWrapper`` with ``newline=""``, which splits lines only on ``\\r``, ``\\n`` and
``\\r\\n`` and leaves U+2028, U+0085 and other separators inside reviews alone (``str.splitlines``
would not). The ``csv`` module handles quoted commas, quotes and newlines. Staging and the join
read a file through this same function, so both see the same rows in the same order.

File-level problems raise an :class:`~review_scorer.errors.InputError` (the file is refused);
row-level problems (a wrong number of fields, an over-long field) mark the row with ``problem``
and the caller rejects that row alone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, NamedTuple, Protocol

from review_scorer.errors import (
    DuplicateColumnError,
    EmptyFileError,
    MalformedCsvError,
    MissingColumnError,
)
from review_scorer.upload.byte_stream import open_checked

READ_BUFFER_BYTES = 1024 * 1024
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


@dataclass(frozen=True)
class Limits:
    """Configurable bounds on what a file may hold."""

    max_field_chars: int = 100_000
    max_uncompressed_bytes: int = 10 * 1024**3


class Row(NamedTuple):
    """One data row: its 1-based position among data rows, its first physical line, its cells,
    and what is wrong with it (None for a good row). A tuple: one is made per row."""

    ordinal: int
    line: int
    fields: list[str]
    problem: str | None = None


@dataclass(frozen=True)
class CsvTable:
    """A header and a lazy iterator over the data rows that follow it."""

    columns: list[str]
    review_index: int
    delimiter: str
    rows: Iterator[Row]

    @property
    def review_column(self) -> str:
        return self.columns[self.review_index]


def read_table(raw: IO[bytes], review_column: str, limits: Limits | None = None) -> CsvTable:
    """Check the bytes, parse the header now and return the data rows as a lazy iterator."""
    limits = limits or Limits()
    checked = open_checked(raw, max_uncompressed_bytes=limits.max_uncompressed_bytes)
    text = io.TextIOWrapper(
        io.BufferedReader(checked, READ_BUFFER_BYTES), encoding="utf-8-sig", newline=""
    )
    header, header_lines = _header_text(text)
    if not header.strip():
        raise EmptyFileError("the file is empty: expected a header row and review rows", line=1)
    delimiter, columns = _split_header(header, review_column)
    _check_unique(columns)
    review_index = find_review_column(columns, review_column)
    csv.field_size_limit(max(limits.max_field_chars * 4, READ_BUFFER_BYTES))
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    rows = _rows(reader, len(columns), header_lines, limits.max_field_chars, columns)
    return CsvTable(columns, review_index, delimiter, rows)


def find_review_column(columns: list[str], review_column: str) -> int:
    """Index of the review column: exact, else the one column equal to it ignoring case and
    surrounding spaces. The error lists the columns that were found."""
    if review_column in columns:
        return columns.index(review_column)
    wanted = _normal(review_column)
    loose = [i for i, column in enumerate(columns) if _normal(column) == wanted]
    if len(loose) == 1:
        return loose[0]
    found = ", ".join(repr(c) for c in columns) or "none"
    if loose:
        raise DuplicateColumnError(
            f"more than one column could be the review column {review_column!r}: {found}", line=1
        )
    raise MissingColumnError(
        f"the review column {review_column!r} is not in the header; columns found: {found}",
        line=1,
    )


def _normal(name: str) -> str:
    return name.strip().strip("\ufeff").strip().casefold()


def _header_text(text: IO[str]) -> tuple[str, int]:
    """The header's text (more than one line if a quoted name holds a newline)."""
    header, lines = text.readline(), 1
    while header.count('"') % 2 and (more := text.readline()):
        header, lines = header + more, lines + 1
    return header, lines


def _split_header(header: str, review_column: str) -> tuple[str, list[str]]:
    """Pick the delimiter: the one whose split holds the review column, else the one giving
    the most columns (so the error lists them). Spreadsheets export ``;`` and tab too."""
    candidates = {d: _parse_header(header, d) for d in DELIMITERS}
    for delimiter, columns in candidates.items():
        try:
            find_review_column(columns, review_column)
        except (MissingColumnError, DuplicateColumnError):
            continue
        return delimiter, columns
    return max(candidates.items(), key=lambda item: len(item[1]))


def _parse_header(header: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([header], delimiter=delimiter, strict=True), [])
    except csv.Error as exc:
        raise MalformedCsvError(f"the header row cannot be parsed: {exc}", line=1) from None


def _check_unique(columns: list[str]) -> None:
    seen: set[str] = set()
    repeated = [c for c in columns if c in seen or seen.add(c)]  # type: ignore[func-returns-value]
    if repeated:
        names = ", ".join(repr(c) for c in dict.fromkeys(repeated))
        raise DuplicateColumnError(
            f"the header repeats column names: {names}; every column needs its own name", line=1
        )


def _rows(
    reader: _Reader, width: int, offset: int, max_chars: int, columns: list[str]
) -> Iterator[Row]:
    ordinal = 0
    while True:
        first_line = offset + reader.line_num + 1
        record = _next_record(reader, first_line, max_chars)
        if record is None:
            return
        if not record:  # a blank line holds no row
            continue
        ordinal += 1
        yield Row(ordinal, first_line, record, _problem(record, width, max_chars, columns))


def _problem(record: list[str], width: int, max_chars: int, columns: list[str]) -> str | None:
    if len(record) != width:
        return f"the row has {len(record)} fields but the header has {width}"
    if max(map(len, record)) <= max_chars:  # the common case, checked at C speed
        return None
    for name, value in zip(columns, record, strict=True):
        if len(value) > max_chars:
            return f"the {name!r} field is {len(value):,} characters, over the {max_chars:,} limit"
    return None


def _next_record(reader: _Reader, line: int, max_chars: int) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        reason = str(exc)
        if "unexpected end of data" in reason or "field larger than field limit" in reason:
            raise MalformedCsvError(
                f"a quoted field that starts on line {line} is never closed (or is over "
                f"{max_chars:,} characters): check the quotes on that line",
                line=line,
            ) from None
        raise MalformedCsvError(
            f"the CSV cannot be parsed on line {line}: {reason}", line=line
        ) from None


def delimiter_name(delimiter: str) -> str:
    """``","`` -> ``comma``: how the summary names the delimiter it detected."""
    return DELIMITERS.get(delimiter, repr(delimiter))
