"""The join's CSV writer gives csv.writer's bytes (default dialect), row for row."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_scorer.results import csv_text

# Every character csv.writer treats apart (delimiter, quote, line ends), spaces, formula starts,
# and others: the properties below draw fields mostly from these.
SPECIAL = ",\"\r\n \t=+-@'\\;|\x00\x0b\x0c\x1c\x85\u2028é"
cells = st.text(alphabet=st.sampled_from(SPECIAL) | st.characters(blacklist_categories=["Cs"]))
rows = st.lists(st.lists(cells, max_size=6), max_size=40)


def _csv_writer(table: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(table)
    return out.getvalue()


@settings(max_examples=500, deadline=None)
@given(rows)
def test_rows_are_written_as_csv_writer_writes_them(table: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    csv_text.write_rows(out, table)
    assert out.getvalue() == _csv_writer(table)


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, max_size=6))
def test_one_line_is_csv_writer_s_line_without_its_end(cells: list[str]) -> None:
    assert csv_text.csv_line(cells) + "\r\n" == _csv_writer([cells])


def test_edge_rows_and_blocks_of_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    table = [[], [""], ["", ""], ['"'], ["a,b"], ["x\r"], [" lead", "trail "], ["plain", "row"]]
    table *= 3  # across several writes of LINES_PER_WRITE rows
    monkeypatch.setattr(csv_text, "LINES_PER_WRITE", 5)
    out = io.StringIO(newline="")
    csv_text.write_rows(out, table)
    assert out.getvalue() == _csv_writer(table)
