"""Classification metrics computed by hand-checkable examples."""

from __future__ import annotations

import pytest

from review_scorer_training.metrics import classification_report, spread


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
