"""Classification metrics computed by hand-checkable examples."""

from __future__ import annotations

import json

import pytest

from review_scorer_training.metrics import classification_report, spread, to_json


def test_report_matches_a_hand_computed_example() -> None:
    # Given 6 reviews: a is right twice of three, b once of two, c never predicted
    truth = ["a", "a", "a", "b", "b", "c"]
    predicted = ["a", "a", "b", "b", "a", "a"]
    report = classification_report(truth, predicted, ["a", "b", "c"])
    assert report["accuracy"] == pytest.approx(3 / 6, abs=1e-4)
    a, b, c = (report["per_class"][k] for k in "abc")
    assert (a["precision"], a["recall"], a["support"]) == (0.5, pytest.approx(0.6667, abs=1e-4), 3)
    assert a["f1"] == pytest.approx(0.5714, abs=1e-4)
    assert (b["precision"], b["recall"], b["f1"]) == (0.5, 0.5, 0.5)
    assert (c["precision"], c["recall"], c["f1"], c["support"]) == (0.0, 0.0, 0.0, 1)
    assert report["macro_f1"] == pytest.approx((0.5714 + 0.5 + 0.0) / 3, abs=1e-4)
    assert report["confusion_matrix"] == {
        "labels": ["a", "b", "c"],
        "matrix": [[2, 1, 0], [1, 1, 0], [1, 0, 0]],
    }


def test_names_show_the_files_labels_instead_of_the_model_labels() -> None:
    report = classification_report(["Fine_gauge"], ["Fine_gauge"], ["Fine_gauge"],
                                   {"Fine_gauge": "Fine gauge"})  # fmt: skip
    assert list(report["per_class"]) == ["Fine gauge"]
    assert report["confusion_matrix"]["labels"] == ["Fine gauge"]


def test_spread_is_the_mean_and_sample_standard_deviation() -> None:
    assert spread([0.6, 0.7, 0.8]) == {"mean": 0.7, "std": 0.1, "folds": [0.6, 0.7, 0.8]}
    assert spread([0.5])["std"] == 0.0


def test_metrics_json_keeps_each_curve_point_on_one_line_and_reads_back_the_same() -> None:
    # Given metrics with a long curve and a nested report
    points = [{"threshold": k / 100, "rows": 100 - k, "coverage": 1 - k / 100,
               "accuracy": None if k == 100 else 0.5} for k in range(101)]  # fmt: skip
    metrics = {"name": "m", "coverage": {"curve": points, "per_class": {"a": points}},
               "data": {"file": "x" * 120, "rows": 3}}  # fmt: skip
    text = to_json(metrics)
    # Then it is the same JSON, one line per point, the points indented under their list
    assert json.loads(text) == metrics
    lines = text.splitlines()
    assert '      {"threshold": 0.62, "rows": 38, "coverage": 0.38, "accuracy": 0.5},' in lines
    assert len(lines) < 2 * 101 + 20
