"""Preparing training data: fastText-safe labels, cleaning, seeded balancing, stratified splits."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from review_scorer_training.data import LABEL, TOKENS, load, split, stratified_folds
from review_scorer_training.errors import TrainingDataError
from review_scorer_training.labels import label_names, safe_label
from tests.conftest import write_csv


def test_label_whitespace_becomes_underscore_and_surrounding_spaces_go() -> None:
    assert safe_label(" Fine gauge ") == "Fine_gauge"
    assert safe_label("Jackets\t& Coats") == "Jackets_&_Coats"
    assert safe_label("-1") == "-1"


def test_label_names_map_safe_labels_back_to_the_file_names() -> None:
    assert label_names(["Fine gauge", "Dresses", "Fine gauge"]) == {
        "Dresses": "Dresses",
        "Fine_gauge": "Fine gauge",
    }


def test_two_labels_that_would_merge_are_refused() -> None:
    with pytest.raises(TrainingDataError, match="'Fine gauge' and 'Fine_gauge'"):
        label_names(["Fine gauge", "Fine_gauge"])


def frame(labels: str) -> pd.DataFrame:
    return pd.DataFrame({LABEL: list(labels), TOKENS: [f"t{i}" for i in range(len(labels))]})


def test_split_is_stratified_and_keeps_a_training_row_for_every_class() -> None:
    rows = frame("a" * 50 + "b" * 20 + "c" * 2 + "d")
    train, valid = split(rows, 0.1)
    assert valid[LABEL].value_counts().to_dict() == {"a": 5, "b": 2}
    assert set(train[LABEL]) == {"a", "b", "c", "d"}
    assert len(train) + len(valid) == len(rows)


def test_a_large_validation_share_still_leaves_each_class_in_training() -> None:
    train, _ = split(frame("aabbb"), 0.9)
    assert sorted(train[LABEL]) == ["a", "b"]


def test_folds_deal_each_class_evenly() -> None:
    rows = frame("ab" * 10 + "c" * 5)
    folds = stratified_folds(rows, 5)
    for fold in range(5):
        part = rows[folds == fold][LABEL].value_counts().to_dict()
        assert part == {"a": 2, "b": 2, "c": 1}


def test_fewer_than_two_folds_is_refused() -> None:
    with pytest.raises(TrainingDataError, match="at least 2 folds"):
        stratified_folds(frame("ab"), 1)


def test_balancing_and_shuffling_are_seeded(tmp_path: Path) -> None:
    rows = [[f"review number {i}", "pos" if i % 3 else "neg"] for i in range(60)]
    path = write_csv(tmp_path / "r.csv", ["text", "label"], rows)
    first = load(path, "text", "label", balance=True, seed=5)
    again = load(path, "text", "label", balance=True, seed=5)
    other = load(path, "text", "label", balance=True, seed=6)
    assert first.frame[LABEL].value_counts().to_dict() == {"pos": 20, "neg": 20}
    assert first.counts.removed_by_balancing == 20
    assert first.frame.equals(again.frame)
    assert not first.frame.equals(other.frame)


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,label\ncaf\xe9,1\nok,0\n".encode("latin-1"))
    with pytest.raises(TrainingDataError, match="not valid UTF-8"):
        load(path, "text", "label")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="no such file"):
        load(tmp_path / "nope.csv", "text", "label")
