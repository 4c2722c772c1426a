"""Property tests: any bytes give rows or a typed error; any valid CSV round-trips."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from review_scorer.errors import InputError
from review_scorer.upload.csv_reader import Limits, read_table

HEADER = b"id,review_body\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), st.booleans())
def test_random_bytes_give_rows_or_a_typed_error_never_a_traceback(
    data: bytes, with_header: bool
) -> None:
    raw = io.BytesIO((HEADER if with_header else b"") + data)
    try:
        table = read_table(raw, "review_body", Limits(max_field_chars=500))
        for row in table.rows:
            assert row.ordinal >= 1
            assert row.problem is not None or len(row.fields) == len(table.columns)
    except InputError as error:
        assert error.code != "SCORING_ERROR"
        assert error.message


text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(text, text), max_size=30),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["\r\n", "\n", "\r"]),
)
def test_any_valid_csv_round_trips_with_its_rows_in_order(
    rows: list[tuple[str, str]], delimiter: str, newline: str
) -> None:
    # Given any rows as valid CSV (any text: quotes, commas, newlines, U+2028 ...)
    lines = [["id", "review_body"], *rows]
    data = "".join(delimiter.join(quote(c, delimiter) for c in line) + newline for line in lines)
    # When the bytes are read back
    table = read_table(io.BytesIO(data.encode()), "review_body")
    got = [tuple(row.fields) for row in table.rows]
    # Then every row comes back, in order, unchanged (a row of two empty cells is written as a
    # bare delimiter, so no row is ever a blank line)
    assert got == rows


def quote(cell: str, delimiter: str) -> str:
    """RFC 4180 quoting. (csv.writer does not quote a lone CR when the line terminator is LF,
    which makes invalid CSV, so the test quotes by itself.)"""
    if any(c in cell for c in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell
