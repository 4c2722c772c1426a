"""The accuracy-coverage curve and the review threshold chosen from it, on hand-made rows."""

from __future__ import annotations

import pytest

from review_scorer_training.coverage import (
    GRID,
    at_accuracy,
    choose_threshold,
    curve,
    min_rows,
    report,
)
from review_scorer_training.metrics import HeldOutRow, printed_probability


def rows_of(n: int, p: float, *, right: int, fold: int | None = None) -> list[HeldOutRow]:
    """``n`` rows predicted "a" with probability ``p``, the first ``right`` of them truly "a"."""
    return [HeldOutRow("a" if i < right else "b", "a", p, fold) for i in range(n)]


FIVE_ROWS = [
    HeldOutRow("a", "a", 0.95),
    HeldOutRow("b", "a", 0.70),
    HeldOutRow("b", "b", 0.62),
    HeldOutRow("a", "b", 0.40),
    HeldOutRow("b", "b", 0.62),
]


def point(points: list[dict[str, object]], threshold: float) -> dict[str, object]:
    return next(p for p in points if p["threshold"] == threshold)


def test_curve_counts_rows_at_or_above_each_threshold_and_their_accuracy() -> None:
    # Given five rows, two of them exactly at 0.62
    rows = FIVE_ROWS
    overall = curve(rows)["overall"]
    # Then there is one point per hundredth, and a row at the threshold counts as kept
    assert [p["threshold"] for p in overall] == list(GRID) and len(GRID) == 101
    assert GRID[0] == 0.0 and GRID[62] == 0.62 and GRID[-1] == 1.0
    assert point(overall, 0.0) == {"threshold": 0.0, "rows": 5, "coverage": 1.0, "accuracy": 0.6}
    assert point(overall, 0.62) == {"threshold": 0.62, "rows": 4, "coverage": 0.8,
                                    "accuracy": 0.75}  # fmt: skip
    assert point(overall, 0.63) == {"threshold": 0.63, "rows": 2, "coverage": 0.4,
                                    "accuracy": 0.5}  # fmt: skip
    assert point(overall, 0.96) == {"threshold": 0.96, "rows": 0, "coverage": 0.0,
                                    "accuracy": None}  # fmt: skip


def test_per_class_curves_group_rows_by_predicted_label_under_the_files_names() -> None:
    rows = FIVE_ROWS
    per_class = curve(rows, {"a": "alpha"})["per_class"]
    assert set(per_class) == {"alpha", "b"}
    # Of the rows predicted "a", one of two is right; at 0.71 only the right one is kept
    assert point(per_class["alpha"], 0.0) == {"threshold": 0.0, "rows": 2, "coverage": 1.0,
                                              "accuracy": 0.5}  # fmt: skip
    assert point(per_class["alpha"], 0.71) == {"threshold": 0.71, "rows": 1, "coverage": 0.5,
                                               "accuracy": 1.0}  # fmt: skip
    # Of the three predicted "b", the two at 0.62 are kept at 0.5, both right
    assert point(per_class["b"], 0.5) == {"threshold": 0.5, "rows": 2, "coverage": 0.6667,
                                          "accuracy": 1.0}  # fmt: skip


def test_probabilities_are_the_ones_the_labeled_csv_prints() -> None:
    # fastText's 1.00001 prints as 1.000000; 0.6199996 prints as 0.620000 and so meets 0.62
    assert printed_probability(1.00001) == 1.0
    assert printed_probability(0.6199996) == 0.62 == GRID[62]
    assert printed_probability(0.6199994) == 0.619999 < GRID[62]


def blip_rows() -> list[HeldOutRow]:
    """Right at 0.95 (40 of 40), half right at 0.75 (10 of 20), right at 0.35 (40 of 40): over
    0.85 above 0.75, under it from 0.75 down to 0.36 (50 of 60), over it again at 0.35 and
    below (90 of 100)."""
    return rows_of(40, 0.95, right=40) + rows_of(20, 0.75, right=10) + rows_of(40, 0.35, right=40)


def test_a_blip_over_the_target_at_a_low_threshold_is_not_chosen() -> None:
    rows = blip_rows()
    overall = curve(rows)["overall"]
    assert point(overall, 0.0)["accuracy"] == 0.9 and point(overall, 0.5)["accuracy"] == 0.8333
    # Then the threshold is the lowest one above the dip, not 0.00
    assert choose_threshold(rows, 0.85) == 0.76
    # and a target every kept row reaches from the bottom is met at 0.00
    assert choose_threshold(rows, 0.8) == 0.0


def test_thresholds_keeping_too_few_rows_do_not_count() -> None:
    # Given 5 wrong rows at 0.99 above the 40 right ones at 0.95 (45 rows: 0.889 at 0.76-0.95)
    rows = blip_rows() + rows_of(5, 0.99, right=0)
    # Then the 5 rows alone (fewer than the minimum) do not veto the thresholds below them
    assert min_rows(len(rows)) == 20
    assert choose_threshold(rows, 0.85) == 0.76
    # but counted as a threshold of their own they would, and nothing would qualify
    assert choose_threshold(rows, 0.85, least=1) is None


def test_the_minimum_is_twenty_rows_or_one_percent() -> None:
    assert (min_rows(100), min_rows(2000), min_rows(7110)) == (20, 20, 72)


def test_no_threshold_when_the_target_is_out_of_reach_or_the_rows_too_few() -> None:
    assert choose_threshold(rows_of(100, 0.9, right=50), 0.85) is None
    assert choose_threshold(rows_of(19, 0.9, right=19), 0.85) is None  # all right, too few
    assert choose_threshold([], 0.85) is None
    found = at_accuracy(rows_of(100, 0.9, right=50), 0.85)
    assert found == {"target": 0.85, "threshold": None, "rows": None, "coverage": None,
                     "accuracy": None}  # fmt: skip


def test_each_folds_own_threshold_and_its_coverage_at_the_pooled_one_are_reported() -> None:
    # Given fold 0 right only above 0.75 and fold 1 right everywhere
    fold0 = rows_of(40, 0.95, right=40, fold=0) + rows_of(20, 0.75, right=10, fold=0)
    fold1 = rows_of(40, 0.95, right=40, fold=1) + rows_of(40, 0.55, right=40, fold=1)
    # When a threshold is chosen for 0.95 on their pooled rows (0.9286 at 0.55, 0.9 at 0.75)
    found = at_accuracy(fold0 + fold1, 0.95)
    # Then it is 0.76, keeping the 80 rows at 0.95 of 140
    assert (found["threshold"], found["rows"], found["coverage"]) == (0.76, 80, 0.5714)
    # and fold 0 alone would choose 0.76, fold 1 alone 0.00 (all its rows are right)
    spread = found["folds"]
    assert spread["threshold"] == {"min": 0.0, "max": 0.76, "std": 0.5374, "folds": [0.76, 0.0]}
    # and at 0.76 fold 0 keeps 40 of 60 rows, fold 1 40 of 80, all right
    assert spread["coverage"]["folds"] == [0.6667, 0.5]
    assert spread["accuracy"] == {"min": 1.0, "max": 1.0, "std": 0.0, "folds": [1.0, 1.0]}


def test_the_report_holds_085_090_and_the_users_target() -> None:
    rows = blip_rows()
    found = report(rows, source="validation split", target=0.875)
    assert set(found["at_accuracy"]) == {"0.85", "0.875", "0.9"}
    assert found["at_accuracy"]["0.875"]["threshold"] == 0.76
    assert (found["source"], found["rows"], found["min_rows"]) == ("validation split", 100, 20)
    assert found["target_accuracy"] == 0.875
    assert "folds" not in found["at_accuracy"]["0.85"]  # no folds in a validation split
    assert len(found["curve"]) == 101 and set(found["per_class"]) == {"a"}


@pytest.mark.parametrize("target", [0.85, 0.9, 0.95])
def test_the_chosen_thresholds_rows_reach_the_target_at_every_higher_counted_threshold(
    target: float,
) -> None:
    rows = blip_rows() + rows_of(30, 0.6, right=29) + rows_of(25, 0.45, right=15)
    t = choose_threshold(rows, target)
    assert t is not None
    least = min_rows(len(rows))
    for p in curve(rows)["overall"]:
        if p["threshold"] >= t and p["rows"] >= least:
            assert p["accuracy"] >= target
