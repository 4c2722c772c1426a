"""Reading uploads: quoting, encodings, line ends and line numbers."""

from __future__ import annotations

import io

import pytest

from review_scorer.csv_input import open_text, read_table
from review_scorer.errors import (
    EmptyFileError,
    EncodingError,
    MalformedCsvError,
    MissingColumnError,
)


def rows_of(data: bytes, column: str = "review_body") -> list[list[str]]:
    return [row.fields for row in read_table(open_text(io.BytesIO(data)), column).rows]


def test_quoted_commas_quotes_and_newlines_stay_inside_one_field() -> None:
    # Given a review with a comma, doubled quotes and a line break inside quotes
    data = b'id,review_body\n1,"Soft, ""warm""\nand long"\n2,plain\n'
    # When it is read
    rows = rows_of(data)
    # Then it is one field of one row, and the next row follows
    assert rows == [["1", 'Soft, "warm"\nand long'], ["2", "plain"]]


def test_bom_is_dropped_from_the_first_header() -> None:
    table = read_table(open_text(io.BytesIO(b"\xef\xbb\xbfreview_body,x\nhi,1\n")), "review_body")
    assert table.columns == ["review_body", "x"]
    assert table.review_index == 0


@pytest.mark.parametrize("newline", [b"\r\n", b"\r", b"\n"])
def test_crlf_cr_and_lf_line_ends_give_the_same_rows(newline: bytes) -> None:
    data = newline.join([b"id,review_body", b"1,good", b"2,bad", b""])
    assert rows_of(data) == [["1", "good"], ["2", "bad"]]


def test_unicode_line_separators_inside_a_review_do_not_split_rows() -> None:
    # U+2028, U+0085 and U+000C are line breaks to str.splitlines, not to CSV
    review = "fits\u2028well\u0085really\x0cyes"
    data = f"id,review_body\n1,{review}\n2,next\n".encode()
    assert rows_of(data) == [["1", review], ["2", "next"]]


def test_each_row_knows_its_first_physical_line() -> None:
    data = b'id,review_body\n1,"two\nlines"\n2,one\n'
    rows = list(read_table(open_text(io.BytesIO(data)), "review_body").rows)
    assert [(r.ordinal, r.line) for r in rows] == [(1, 2), (2, 4)]


def test_blank_lines_are_not_rows() -> None:
    assert rows_of(b"id,review_body\n\n1,a\n\n2,b\n") == [["1", "a"], ["2", "b"]]


def test_missing_review_column_names_the_columns_found() -> None:
    with pytest.raises(MissingColumnError) as caught:
        rows_of(b"id,text\n1,a\n")
    assert caught.value.code == "MISSING_COLUMN"
    assert caught.value.line == 1
    assert "'review_body'" in caught.value.message
    assert "'id', 'text'" in caught.value.message


def test_zero_byte_file_is_an_empty_file_error() -> None:
    with pytest.raises(EmptyFileError):
        rows_of(b"")


def test_row_with_wrong_number_of_fields_names_its_line() -> None:
    with pytest.raises(MalformedCsvError) as caught:
        rows_of(b"id,review_body\n1,a\n2,b,extra\n")
    assert caught.value.line == 3
    assert "3 fields" in caught.value.message


def test_invalid_utf8_is_refused_with_the_line() -> None:
    # Given a cp1252 byte (0xe9, "é") on the third line
    data = b"id,review_body\n1,ok\n2,caf\xe9\n"
    with pytest.raises(EncodingError) as caught:
        rows_of(data)
    assert "0xe9" in caught.value.message
    assert caught.value.line is not None
