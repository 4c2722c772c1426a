"""Reading uploads: quoting, encodings, delimiters, headers, line numbers, row problems."""

from __future__ import annotations

import gzip
import io

import pytest

from review_scorer.errors import (
    DuplicateColumnError,
    EmptyFileError,
    EncodingError,
    FileTooLargeError,
    InvalidGzipError,
    MalformedCsvError,
    MissingColumnError,
)
from review_scorer.upload.byte_stream import CheckedStream
from review_scorer.upload.csv_reader import READ_BUFFER_BYTES, Limits, Row, read_table


def read_rows(data: bytes, column: str = "review_body", limits: Limits | None = None) -> list[Row]:
    return list(read_table(io.BytesIO(data), column, limits).rows)


def rows_of(data: bytes, column: str = "review_body") -> list[list[str]]:
    return [row.fields for row in read_rows(data, column)]


def test_quoted_commas_quotes_and_newlines_stay_inside_one_field() -> None:
    # Given a review with a comma, doubled quotes and a line break inside quotes
    data = b'id,review_body\n1,"Soft, ""warm""\nand long"\n2,plain\n'
    # When it is read, then it is one field of one row, and the next row follows
    assert rows_of(data) == [["1", 'Soft, "warm"\nand long'], ["2", "plain"]]


def test_bom_is_dropped_from_the_first_header() -> None:
    table = read_table(io.BytesIO(b"\xef\xbb\xbfreview_body,x\nhi,1\n"), "review_body")
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
    assert [(r.ordinal, r.line) for r in read_rows(data)] == [(1, 2), (2, 4)]


def test_blank_lines_are_not_rows() -> None:
    assert rows_of(b"id,review_body\n\n1,a\n\n2,b\n") == [["1", "a"], ["2", "b"]]


@pytest.mark.parametrize("text", ["NA", "null", "None", "N/A", "nan", "NaN", "#N/A"])
def test_reviews_that_look_like_missing_values_are_text(text: str) -> None:
    assert rows_of(f"id,review_body\n1,{text}\n".encode()) == [["1", text]]


@pytest.mark.parametrize(("delimiter", "name"), [(b";", ";"), (b"\t", "\t"), (b"|", "|")])
def test_semicolon_tab_and_pipe_exports_are_detected_from_the_header(
    delimiter: bytes, name: str
) -> None:
    data = delimiter.join([b"id", b"review_body"]) + b"\n1" + delimiter + b"ok, fine\n"
    table = read_table(io.BytesIO(data), "review_body")
    assert table.delimiter == name
    assert [r.fields for r in table.rows] == [["1", "ok, fine"]]


@pytest.mark.parametrize("header", ["Review_Body", " review_body ", "REVIEW_BODY"])
def test_header_differing_only_by_case_or_spaces_is_found(header: str) -> None:
    table = read_table(io.BytesIO(f"id,{header}\n1,hi\n".encode()), "review_body")
    assert table.review_column == header


def test_two_columns_that_could_be_the_review_column_are_refused() -> None:
    with pytest.raises(DuplicateColumnError, match="more than one column"):
        rows_of(b"Review_Body,review_body \n1,2\n")


def test_duplicate_column_names_are_refused_and_named() -> None:
    with pytest.raises(DuplicateColumnError) as caught:
        rows_of(b"id,review_body,id\n1,a,2\n")
    assert "'id'" in caught.value.message
    assert caught.value.line == 1


def test_missing_review_column_names_the_columns_found() -> None:
    with pytest.raises(MissingColumnError) as caught:
        rows_of(b"id,text\n1,a\n")
    assert caught.value.code == "MISSING_COLUMN"
    assert caught.value.line == 1
    assert "'review_body'" in caught.value.message
    assert "'id', 'text'" in caught.value.message


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n"])
def test_empty_file_is_an_empty_file_error(data: bytes) -> None:
    with pytest.raises(EmptyFileError):
        rows_of(data)


def test_rows_with_too_many_or_too_few_fields_are_marked_not_fatal() -> None:
    rows = read_rows(b"id,review_body\n1,a\n2,b,extra\n3\n4,d\n")
    assert [(r.line, r.problem) for r in rows] == [
        (2, None),
        (3, "the row has 3 fields but the header has 2"),
        (4, "the row has 1 fields but the header has 2"),
        (5, None),
    ]


def test_a_field_over_the_limit_marks_its_row() -> None:
    rows = read_rows(
        b"id,review_body\n1," + b"x" * 150 + b"\n2,ok\n", limits=Limits(max_field_chars=100)
    )
    assert rows[0].problem == "the 'review_body' field is 150 characters, over the 100 limit"
    assert rows[1].problem is None


def test_unterminated_quote_is_refused_naming_the_line_where_it_opened() -> None:
    data = b'id,review_body\n1,fine\n2,"never closed\n3,more\n4,rows\n'
    with pytest.raises(MalformedCsvError) as caught:
        rows_of(data)
    assert caught.value.line == 3
    assert "line 3" in caught.value.message


def test_cp1252_bytes_are_refused_with_line_and_byte_offset() -> None:
    # Given "café" saved as cp1252 on the third line
    data = b"id,review_body\n1,ok\n2,caf\xe9\n"
    with pytest.raises(EncodingError) as caught:
        rows_of(data)
    assert caught.value.line == 3
    assert "0xe9" in caught.value.message
    assert f"byte offset {data.index(0xE9)}" in caught.value.message


# --- chunk boundaries: the bytes are checked chunk by chunk as they stream past ---------------

_HEADER = b"id,review_body\n"
_FILLER = b"9," + b"f" * 61 + b"\n"  # one 64-byte row


class ChunkRecorder:
    """Where each chunk the byte checker reads ends (its running byte offset after the read)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ends: list[int] = []
        original = CheckedStream.readinto

        def recording(stream: CheckedStream, buffer: bytearray | memoryview) -> int:
            read = original(stream, buffer)
            self.ends.append(stream.offset)
            return read

        monkeypatch.setattr(CheckedStream, "readinto", recording)


def first_chunk_end(monkeypatch: pytest.MonkeyPatch) -> int:
    """The end of the checker's first chunk, found by reading plain ASCII rows (the chunks are
    the readers' request sizes, whatever the bytes)."""
    chunks = ChunkRecorder(monkeypatch)
    rows = (READ_BUFFER_BYTES + 4096) // len(_FILLER)
    read_rows(_HEADER + _FILLER * rows)
    monkeypatch.undo()
    assert chunks.ends, "the byte checker read nothing"
    return chunks.ends[0]


def with_bytes_at(offset: int, middle: bytes, after: bytes = b" fits") -> bytes:
    """A CSV whose review on one row holds ``middle`` starting at byte ``offset``: filler rows,
    then ``1,aaa...<middle><after>``, then ``2,ok`` and filler past the next chunk."""
    filler = _FILLER * ((offset - len(_HEADER) - 16) // len(_FILLER))
    start = _HEADER + filler + b"1,"
    row = start + b"a" * (offset - len(start)) + middle + after + b"\n"
    return row + b"2,ok\n" + _FILLER * 200


@pytest.mark.parametrize("char", ["é", "€", "😍"], ids=["2-byte", "3-byte", "4-byte"])
def test_a_character_split_across_two_chunks_reads_whole(
    monkeypatch: pytest.MonkeyPatch, char: str
) -> None:
    encoded = char.encode()
    boundary = first_chunk_end(monkeypatch)
    for before in range(1, len(encoded)):  # bytes of the character in the first chunk
        # Given a review whose character starts ``before`` bytes ahead of the chunk boundary
        data = with_bytes_at(boundary - before, encoded)
        # When the file is read
        chunks = ChunkRecorder(monkeypatch)
        rows = read_rows(data)
        monkeypatch.undo()
        # Then the character really straddled the boundary, and the review holds it whole
        assert boundary in chunks.ends
        review = rows[-202].fields[1]
        assert review.endswith("a" + char + " fits"), (before, review[-8:])
        assert [row.problem for row in rows] == [None] * len(rows)


@pytest.mark.parametrize(
    ("bad", "before", "byte"),
    [
        (b"\xe9", 1, 0xE9),  # a cp1252 "é" as the first chunk's last byte, ASCII after it
        (b"\xe2\x82", 2, 0xE2),  # two bytes of a 3-byte character, cut short in the next chunk
        (b"\xff", 0, 0xFF),  # never valid, as the next chunk's first byte
        (b"\x80", 0, 0x80),  # a continuation byte with no lead, as the next chunk's first byte
    ],
    ids=["lead-byte-last", "cut-sequence", "invalid-first", "continuation-first"],
)
def test_an_invalid_byte_at_a_chunk_boundary_is_refused_with_its_line_and_offset(
    monkeypatch: pytest.MonkeyPatch, bad: bytes, before: int, byte: int
) -> None:
    # Given a file whose bad bytes start ``before`` bytes ahead of the chunk boundary
    boundary = first_chunk_end(monkeypatch)
    data = with_bytes_at(boundary - before, bad, after=b"x fits")
    offset = boundary - before
    # When it is read
    with pytest.raises(EncodingError) as caught:
        read_rows(data)
    # Then the error names the byte, its offset in the file and its line
    assert caught.value.code == "INVALID_ENCODING"
    assert f"byte 0x{byte:02x} at byte offset {offset} " in caught.value.message
    assert caught.value.line == data[:offset].count(b"\n") + 1 > 2


def test_utf16_with_bom_is_refused_as_utf16() -> None:
    with pytest.raises(EncodingError, match="UTF-16"):
        rows_of("id,review_body\n1,ok\n".encode("utf-16"))


def test_nul_bytes_are_refused_with_line_and_offset() -> None:
    data = b"id,review_body\n1,ok\n2,b\x00ad\n"
    with pytest.raises(EncodingError) as caught:
        rows_of(data)
    assert caught.value.line == 3
    assert f"byte offset {data.index(0)}" in caught.value.message


def test_utf16_without_bom_is_refused_by_its_nul_bytes() -> None:
    with pytest.raises(EncodingError, match="NUL"):
        rows_of("id,review_body\n1,ok\n".encode("utf-16-le"))


def test_gzip_content_is_read_as_a_stream() -> None:
    data = gzip.compress(b"id,review_body\n1,good\n2,bad\n")
    assert rows_of(data) == [["1", "good"], ["2", "bad"]]


def test_gzip_expanding_past_the_cap_is_refused() -> None:
    data = gzip.compress(b"id,review_body\n" + b"1,aaaaaaaaaa\n" * 10_000)
    with pytest.raises(FileTooLargeError, match="decompressed"):
        read_rows(data, limits=Limits(max_uncompressed_bytes=50_000))


def test_truncated_gzip_is_refused() -> None:
    data = gzip.compress(b"id,review_body\n" + b"1,some text\n" * 1000)
    with pytest.raises(InvalidGzipError):
        rows_of(data[: len(data) // 2])
