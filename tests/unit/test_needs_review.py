"""Rows marked for review: the ReviewThreshold setting, the rule on the printed probability, and
the ``needs_review`` column of the labeled CSV (placed after ``scoring_status``, counted)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from review_scorer.errors import ConfigurationError
from review_scorer.model.artifact import ModelMetadata
from review_scorer.results.join import JoinTally, ResultColumns, labeled_rows
from review_scorer.results.needs_review import (
    cutoff,
    needs_review,
    parse_review_threshold,
    threshold_for,
)
from review_scorer.results.result_columns import format_probability
from review_scorer.settings import load_settings
from review_scorer.transform.predictions import Prediction
from review_scorer.transform.row_status import EMPTY, RowMarker
from review_scorer.upload.csv_reader import Row

ENV = {"BUCKET_NAME": "review-scorer-unit", "TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}


def rows(*reviews: str) -> Iterator[Row]:
    for i, review in enumerate(reviews, start=1):
        yield Row(ordinal=i, line=i + 1, fields=[f"id{i}", review])


def top(label: str, prob: float, *more: tuple[str, float]) -> Prediction:
    pairs = [(label, prob), *more]
    return Prediction(label=[f"__label__{lb}" for lb, _ in pairs], prob=[p for _, p in pairs])


# --- the setting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("model", "model"), ("off", None), ("0.7", 0.7), (".05", 0.05), ("1", 1.0), ("1.00", 1.0)],
)
def test_the_review_threshold_setting_reads_model_off_or_a_probability(
    value: str, parsed: object
) -> None:
    settings = load_settings({**ENV, "REVIEW_THRESHOLD": value})
    assert settings.review_threshold_choice == parsed


def test_the_review_threshold_defaults_to_the_models_own() -> None:
    assert load_settings(ENV).review_threshold_choice == "model"


@pytest.mark.parametrize("value", ["0", "0.0", "1.5", "-0.5", "1e-3", "Model", "", " 0.7", "0,7"])
def test_a_review_threshold_outside_0_to_1_or_misspelt_is_a_configuration_error(
    value: str,
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings({**ENV, "REVIEW_THRESHOLD": value})
    assert "REVIEW_THRESHOLD" in refused.value.message
    assert "model, off or a decimal number in (0, 1]" in refused.value.message


def test_a_threshold_too_small_for_a_float_is_refused_not_read_as_zero() -> None:
    with pytest.raises(ValueError, match="too small"):
        parse_review_threshold("0." + "0" * 400 + "1")


def test_model_takes_the_models_recorded_threshold_and_reads_the_model_only_then() -> None:
    recorded = ModelMetadata(name="m", labels=[], tokenizer_version="1", review_threshold=0.8)
    plain = recorded.model_copy(update={"review_threshold": None})
    asked: list[str] = []

    def model() -> ModelMetadata:
        asked.append("model")
        return recorded

    assert threshold_for(0.6, model) == 0.6
    assert threshold_for(None, model) is None
    assert asked == []  # a number or off never reads the artifact
    assert threshold_for("model", model) == 0.8
    assert threshold_for("model", lambda: plain) is None
    assert threshold_for("model", lambda: None) is None  # a plain BlazingText artifact


# --- the rule ----------------------------------------------------------------------------------


@given(
    threshold=st.floats(min_value=0.0, max_value=1.0, exclude_min=True),
    probability=st.floats(min_value=0.0, max_value=1.0001),
)
@example(threshold=0.1, probability=0.1)  # 0.1 as a float is a little above 1/10
@example(threshold=0.7, probability=0.7)
@example(threshold=0.1234565, probability=0.1234565)
@example(threshold=1.0, probability=1.00001)  # fastText's sure prediction, printed 1.000000
@example(threshold=1e-300, probability=0.0)
@example(threshold=0.5, probability=-0.0)  # printed -0.000000
def test_the_string_cutoff_marks_exactly_the_printed_probabilities_below_the_threshold(
    threshold: float, probability: float
) -> None:
    printed = format_probability(probability)
    assert (printed < cutoff(threshold)) == needs_review(printed, threshold)
    assert needs_review(printed, threshold) == (float(printed) < threshold)


def test_the_mark_follows_the_printed_probability_not_the_models_float() -> None:
    # 0.6999996 prints as 0.700000: not below 0.7, although the model's float is
    assert format_probability(0.6999996) == "0.700000"
    assert not needs_review(format_probability(0.6999996), 0.7)
    assert needs_review(format_probability(0.6999994), 0.7)  # 0.699999


# --- the labeled CSV's column --------------------------------------------------------------------


def test_without_a_threshold_the_result_columns_are_todays() -> None:
    layout = ResultColumns(top_k=2)
    assert layout.columns() == [
        "predicted_label", "probability", "scoring_status", "label_2", "probability_2"
    ]  # fmt: skip
    assert layout.scored(top("1", 0.5, ("0", 0.3))) == ["1", "0.500000", "scored", "0", "0.300000"]
    assert layout.unscored(EMPTY) == ["", "", "empty", "", ""]


def test_needs_review_follows_scoring_status_and_is_empty_for_rows_not_scored() -> None:
    # Given rows 2 and 3 not sent to the model (empty reviews) and a threshold of 0.7
    marker = RowMarker()
    marker.mark(2, EMPTY)
    marker.mark(3, EMPTY)
    tally = JoinTally()
    layout = ResultColumns(review_threshold=0.7)
    predictions = [top("1", 0.9), top("0", 0.6999994), top("-1", 0.6999996), top("1", 0.7)]
    # When the predictions are joined
    out = list(
        labeled_rows(
            rows("a", "", " ", "b", "c", "d"), marker.ranges, iter(predictions), tally, layout
        )
    )
    # Then the column follows the status: true below 0.7 as printed, empty where not scored
    assert layout.columns() == ["predicted_label", "probability", "scoring_status", "needs_review"]
    assert out == [
        ["id1", "a", "1", "0.900000", "scored", "false"],
        ["id2", "", "", "", "empty", ""],
        ["id3", " ", "", "", "empty", ""],
        ["id4", "b", "0", "0.699999", "scored", "true"],
        ["id5", "c", "-1", "0.700000", "scored", "false"],
        ["id6", "d", "1", "0.700000", "scored", "false"],
    ]
    # and the marked rows are counted for the summary
    assert (tally.scored, tally.needs_review) == (4, 1)


def test_with_top_k_the_column_comes_before_the_next_labels_and_reads_the_top_one() -> None:
    layout = ResultColumns(top_k=3, names={"1": "positive"}, review_threshold=0.6)
    tally = JoinTally()
    scored = layout.scorer(tally)
    assert layout.columns() == [
        "predicted_label", "probability", "scoring_status", "needs_review",
        "label_2", "probability_2", "label_3", "probability_3",
    ]  # fmt: skip
    assert scored(top("1", 0.5, ("0", 0.3), ("-1", 0.2))) == [
        "positive", "0.500000", "scored", "true", "0", "0.300000", "-1", "0.200000"
    ]  # fmt: skip
    assert scored(top("0", 0.9)) == ["0", "0.900000", "scored", "false", "", "", "", ""]
    assert layout.unscored(EMPTY) == ["", "", "empty", "", "", "", "", ""]
    assert tally.needs_review == 1
