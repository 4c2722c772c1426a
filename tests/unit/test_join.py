"""Joining predictions to rows by position."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_scorer.errors import InvalidPredictionError, PredictionCountMismatchError
from review_scorer.results.join import JoinTally, ResultColumns, labeled_rows, neutralise
from review_scorer.transform.predictions import (
    Prediction,
    parse_lines,
    parse_prediction,
    prediction_from,
)
from review_scorer.transform.row_status import (
    EMPTY,
    REJECTED,
    SCORED,
    MarkedRange,
    RowMarker,
    StatusLookup,
)
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


# --- the join's fast paths against the implementation they replaced --------------------------

_REFERENCE_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _reference_neutralise(cell: str) -> str:
    if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not _REFERENCE_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _reference_rows(
    rows: list[Row], marks: list[MarkedRange], predictions: list[Prediction], layout: ResultColumns
) -> tuple[list[list[str]], JoinTally]:
    """labeled_rows as it was: StatusLookup per row, Prediction.labels, min(p, 1.0)."""
    tally, lookup, queue, out = JoinTally(), StatusLookup(marks), iter(predictions), []
    for row in rows:
        tally.rows += 1
        status = lookup.status(row.ordinal)
        if status == REJECTED:
            continue
        cells = [_reference_neutralise(c) for c in row.fields]
        if status != SCORED:
            out.append([*cells, *layout.unscored(status)])
            continue
        prediction = next(queue)
        tally.scored += 1
        labels, probs = prediction.labels, prediction.prob
        ranked = [
            (layout.name(labels[n]), f"{min(probs[n], 1.0):.6f}") if n < len(labels) else ("", "")
            for n in range(layout.top_k)
        ]
        result = [*ranked[0], SCORED, *(cell for pair in ranked[1:] for cell in pair)]
        tally.labels[result[0]] += 1
        out.append([*cells, *result])
    return out, tally


_cells = st.text(alphabet=st.sampled_from("=+-@\t\r.eE0123456789 ,a'\"") | st.characters())
_labels = st.sampled_from(["__label__1", "__label__-1", "__label__0", "__label__x,y", "plain", ""])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(_cells, min_size=2, max_size=2),
            st.sampled_from([SCORED, SCORED, SCORED, EMPTY, REJECTED]),
            st.lists(st.tuples(_labels, st.floats(0, 1.0001)), max_size=3),
        ),
        max_size=25,
    ),
    st.integers(1, 3),
    st.booleans(),
)
def test_labeled_rows_match_the_reference_join(
    spec: list[tuple[list[str], str, list[tuple[str, float]]]], top_k: int, named: bool
) -> None:
    marker = RowMarker()
    rows, predictions = [], []
    for ordinal, (fields, status, pairs) in enumerate(spec, start=1):
        problem = "too long" if status == REJECTED else None
        rows.append(Row(ordinal=ordinal, line=ordinal + 1, fields=fields, problem=problem))
        if status != SCORED:
            marker.mark(ordinal, status)
        else:
            predictions.append(Prediction([p[0] for p in pairs], [p[1] for p in pairs]))
    layout = ResultColumns(top_k=top_k, names={"1": "positive", "x,y": "x"} if named else {})
    tally = JoinTally()
    got = list(labeled_rows(iter(rows), marker.ranges, iter(predictions), tally, layout))
    expected, expected_tally = _reference_rows(rows, marker.ranges, predictions, layout)
    assert got == expected
    assert (tally.rows, tally.scored, tally.labels) == (
        expected_tally.rows,
        expected_tally.scored,
        expected_tally.labels,
    )


def _reference_parse(line: str, where: str) -> Prediction:
    """parse_prediction as it was: json.loads, then the full check."""
    try:
        data = json.loads(line)
    except ValueError:
        raise InvalidPredictionError(f"{where} is not a valid prediction (not JSON)") from None
    return prediction_from(data, where=where)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 2) | st.floats(-0.5, 1.5) | _labels,
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
_probs = st.floats(0, 1) | st.sampled_from([1.00001, 1.00011, 2.0, -0.0, -1e-9, 0, 1, 7, True])
_prediction_lines = st.one_of(
    st.builds(  # well formed, but for the odd probability
        lambda pairs, space: (
            space
            + json.dumps({"label": [p[0] for p in pairs], "prob": [p[1] for p in pairs]})
            + space
        ),
        st.lists(st.tuples(_labels, _probs), min_size=1, max_size=3),
        st.sampled_from(["", "", " ", "\t", "\n", "\ufeff", "\x0c"]),
    ),
    st.builds(  # anything in the two places, and more keys
        lambda labels, probs, extra: json.dumps({"label": labels, "prob": probs, **extra}),
        st.lists(_labels, max_size=3) | _json_values,
        st.lists(_probs, max_size=3) | _json_values,
        st.dictionaries(st.sampled_from(["k", "label"]), _json_values, max_size=1),
    ),
    st.text(alphabet=st.sampled_from('{}[]",:0.1 labelprob\n\\u'), max_size=40),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_prediction_lines, max_size=6))
def test_prediction_lines_parse_as_the_reference_does(lines: list[str]) -> None:
    lines = [line if line.endswith("\n") else line + "\n" for line in lines]
    expected: list[Prediction | str] = []
    count = 0
    for line in lines:
        if line.strip():
            count += 1
            try:
                expected.append(_reference_parse(line, f"shard line {count}"))
            except InvalidPredictionError as error:
                expected.append(error.message)
                break
    got: list[Prediction | str] = []
    parsed = parse_lines(lines, where="shard")
    try:
        while True:
            got.append(next(parsed))
    except InvalidPredictionError as error:
        got.append(error.message)
    except StopIteration as done:
        assert done.value == count
    assert got == expected
    assert [type(p) for g in got if isinstance(g, Prediction) for p in g.prob] == [
        float for g in expected if isinstance(g, Prediction) for _ in g.prob
    ]
