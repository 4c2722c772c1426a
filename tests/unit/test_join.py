"""Joining predictions to rows by position."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from review_scorer.errors import InvalidPredictionError, PredictionCountMismatchError
from review_scorer.results.join import JoinTally, labeled_rows, neutralise
from review_scorer.transform.predictions import Prediction, parse_prediction
from review_scorer.transform.row_status import EMPTY, RowMarker
from review_scorer.upload.csv_reader import Row


def rows(*reviews: str) -> Iterator[Row]:
    for i, review in enumerate(reviews, start=1):
        yield Row(ordinal=i, line=i + 1, fields=[f"id{i}", review])


def prediction(label: str, prob: float) -> Prediction:
    return Prediction(label=[f"__label__{label}"], prob=[prob])


def test_predictions_fill_sent_rows_in_order_and_skip_marked_ones() -> None:
    # Given rows 2 and 3 were not sent (empty reviews)
    marker = RowMarker()
    marker.mark(2, EMPTY)
    marker.mark(3, EMPTY)
    tally = JoinTally()
    # When two predictions come back for rows 1 and 4
    out = list(
        labeled_rows(
            rows("good", "", " ", "bad"),
            marker.ranges,
            iter([prediction("1", 0.9), prediction("-1", 0.8)]),
            tally,
        )
    )
    # Then each lands on its row and the empty rows are kept and marked
    assert out == [
        ["id1", "good", "1", "0.900000", "scored"],
        ["id2", "", "", "", "empty"],
        ["id3", " ", "", "", "empty"],
        ["id4", "bad", "-1", "0.800000", "scored"],
    ]
    assert tally.scored == 2
    assert dict(tally.labels) == {"1": 1, "-1": 1}


def test_label_prefix_is_removed_as_a_prefix_not_as_characters() -> None:
    # "__label__label_a".lstrip("__label__") would give "a"
    p = parse_prediction('{"label": ["__label__label_a"], "prob": [0.5]}', where="x")
    assert p.labels == ["label_a"]


def test_fewer_predictions_than_rows_sent_is_an_error() -> None:
    with pytest.raises(PredictionCountMismatchError):
        list(labeled_rows(rows("a", "b"), [], iter([prediction("1", 0.5)]), JoinTally()))


def test_more_predictions_than_rows_sent_is_an_error() -> None:
    extra = iter([prediction("1", 0.5), prediction("0", 0.5)])
    with pytest.raises(PredictionCountMismatchError):
        list(labeled_rows(rows("a"), [], extra, JoinTally()))


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"label": [], "prob": []}',
        '{"label": ["__label__1"], "prob": [0.5, 0.4]}',
        '{"label": ["__label__1"], "prob": [7]}',
        '{"prob": [0.5]}',
    ],
)
def test_invalid_prediction_lines_are_refused_with_where(line: str) -> None:
    with pytest.raises(InvalidPredictionError) as caught:
        parse_prediction(line, where="part-00000.jsonl.out line 3")
    assert "part-00000.jsonl.out line 3" in caught.value.message


def test_fasttext_probability_just_over_one_is_accepted_and_printed_as_one() -> None:
    tally = JoinTally()
    out = list(labeled_rows(rows("great"), [], iter([prediction("1", 1.00001)]), tally))
    assert out[0][3] == "1.000000"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+cmd", "'+cmd"),
        ("-x", "'-x"),
        ("@ops", "'@ops"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-1", "-1"),
        ("+3.5", "+3.5"),
        ("-2e3", "-2e3"),
        ("plain", "plain"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised_but_numbers_are_not(
    cell: str, expected: str
) -> None:
    assert neutralise(cell) == expected
