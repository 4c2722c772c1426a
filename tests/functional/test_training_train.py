"""``review-scorer train``: what a user gets in the output folder, on data written here."""

from __future__ import annotations

import argparse
import csv
import json
import random
import tarfile
from pathlib import Path

import pytest

from review_scorer.model.artifact import MODEL_FILE, unpack
from review_scorer.model.scorer import FastTextScorer
from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training.commands import register
from review_scorer_training.synthetic import corpus
from tests.conftest import read_csv, write_csv

# Small and fast: a few hundred rows, 10-dimensional vectors, 10k n-gram buckets.
FAST = ["--epoch", "10", "--lr", "0.5", "--dim", "10", "--bucket", "10000"]


def run_cli(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="review-scorer")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return int(args.run(args))


def sentiment_csv(path: Path, rows_per_label: int = 40, *, extra: list[list[str]] | None = None
                  ) -> Path:  # fmt: skip
    rows = [[text, label, "Dresses"] for label, text in corpus(rows_per_label)]
    return write_csv(path, ["review_body", "sentiment", "product_category"], rows + (extra or []))


CATEGORY_WORDS = {
    "Dresses": "dress gown hem",
    "Fine gauge": "sweater knit gauge",
    "Jeans": "denim jeans rise",
    "Swim": "swimsuit bikini beach",
    "Jackets & Coats": "coat jacket zipper",
}


def category_csv(path: Path, per_label: int = 30) -> Path:
    """Reviews whose words tell the product category (5 labels, some with spaces)."""
    rng = random.Random(3)
    rows: list[list[str]] = []
    for _ in range(per_label):
        for label, words in CATEGORY_WORDS.items():
            text = " ".join(rng.choice(words.split()) for _ in range(6)) + " i love it"
            rows.append([str(len(rows)), text, label])
    return write_csv(path, ["id", "Review Text", "Category"], rows)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model trained with --cv, shared by the tests that only read its outputs."""
    folder = tmp_path_factory.mktemp("train")
    data = sentiment_csv(folder / "reviews.csv")
    assert run_cli("train", "--data", data, "--label-column", "sentiment", "--out",
                   folder / "out", "--cv", "3", *FAST) == 0  # fmt: skip
    return folder / "out"


def test_train_writes_model_metrics_plot_and_the_files_it_trained_on(trained: Path) -> None:
    # Given a trained output folder / Then every promised file is there
    names = {p.name for p in trained.iterdir()}
    assert names == {"model.tar.gz", "metrics.json", "confusion_matrix.png", "coverage.png",
                     "train.txt", "validation.txt"}  # fmt: skip
    assert (trained / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    assert (trained / "coverage.png").read_bytes().startswith(b"\x89PNG")
    first = (trained / "train.txt").read_text("utf-8").splitlines()[0]
    assert first.startswith("__label__") and first == first.lower()
    with tarfile.open(trained / "model.tar.gz") as tar:
        assert MODEL_FILE in tar.getnames()


def test_metrics_report_accuracy_macro_f1_per_class_confusion_rows_and_cv(trained: Path) -> None:
    metrics = json.loads((trained / "metrics.json").read_text("utf-8"))
    validation = metrics["validation"]
    assert 0.0 <= validation["accuracy"] <= 1.0 and 0.0 <= validation["macro_f1"] <= 1.0
    assert set(validation["per_class"]) == {"-1", "0", "1"}
    for figures in validation["per_class"].values():
        assert set(figures) == {"precision", "recall", "f1", "support"}
    matrix = validation["confusion_matrix"]["matrix"]
    assert sum(map(sum, matrix)) == metrics["rows"]["validation"] == validation["rows"]
    assert metrics["rows"]["train"] + metrics["rows"]["validation"] == metrics["rows"]["used"]
    cv = metrics["cross_validation"]
    assert cv["folds"] == 3 and len(cv["accuracy"]["folds"]) == 3
    assert {"mean", "std"} <= set(cv["accuracy"]) and {"mean", "std"} <= set(cv["macro_f1"])


def test_model_records_labels_tokenizer_hyperparameters_metrics_and_fingerprint(
    trained: Path, tmp_path: Path
) -> None:
    _, metadata = unpack(trained / "model.tar.gz", tmp_path)
    assert metadata is not None
    assert metadata.labels == ["-1", "0", "1"]
    assert metadata.tokenizer_version == TOKENIZER_VERSION
    assert metadata.hyperparameters["dim"] == 10 and metadata.hyperparameters["seed"] == 42
    assert metadata.metrics["validation"]["accuracy"] > 0.5
    assert metadata.data_fingerprint and len(metadata.data_fingerprint) == 64


def test_rows_with_empty_text_or_label_are_dropped_and_counted_and_na_stays_text(
    tmp_path: Path,
) -> None:
    # Given reviews reading "NA" and "null", an empty review, an empty label, a review of commas
    extra = [["NA", "1", "x"], ["null", "0", "x"], ["", "1", "x"], ["  ", "0", "x"],
             ["fine", "", "x"], [",,", "1", "x"]]  # fmt: skip
    data = sentiment_csv(tmp_path / "reviews.csv", 20, extra=extra)
    # When it is trained on
    assert run_cli("train", "--data", data, "--label-column", "sentiment",
                   "--out", tmp_path / "out", *FAST) == 0  # fmt: skip
    # Then the dropped rows are counted by reason, and "NA" / "null" were kept as text
    rows = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))["rows"]
    assert rows["read"] == 66 and rows["used"] == 62
    assert rows["dropped"] == {"empty_text": 2, "empty_label": 1, "no_tokens": 1}
    lines = (tmp_path / "out" / "train.txt").read_text("utf-8").splitlines()
    lines += (tmp_path / "out" / "validation.txt").read_text("utf-8").splitlines()
    assert {"__label__1 na", "__label__0 null"} <= set(lines)


def test_training_twice_with_the_same_seed_gives_the_same_model_bytes(tmp_path: Path) -> None:
    data = sentiment_csv(tmp_path / "reviews.csv", 30)
    models = []
    for run in ("a", "b"):
        assert run_cli("train", "--data", data, "--label-column", "sentiment",
                       "--out", tmp_path / run, *FAST) == 0  # fmt: skip
        model_bin, _ = unpack(tmp_path / run / "model.tar.gz", tmp_path / f"{run}-model")
        models.append(model_bin.read_bytes())
    assert models[0] == models[1]
    assert (tmp_path / "a" / "train.txt").read_bytes() == (
        tmp_path / "b" / "train.txt"
    ).read_bytes()


def test_any_label_column_trains_including_labels_with_spaces(tmp_path: Path) -> None:
    # Given a raw-style file: other column names, 5 categories, two with spaces or "&"
    data = category_csv(tmp_path / "raw.csv")
    # When trained on the Category column
    assert run_cli("train", "--data", data, "--text-column", "Review Text", "--label-column",
                   "Category", "--out", tmp_path / "out", "--cv", "2", *FAST) == 0  # fmt: skip
    # Then the model's labels are fastText-safe, mapped back to the file's names
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))
    assert metrics["labels"]["Fine_gauge"] == "Fine gauge"
    assert metrics["labels"]["Jackets_&_Coats"] == "Jackets & Coats"
    assert set(metrics["validation"]["per_class"]) == set(CATEGORY_WORDS)
    assert metrics["validation"]["accuracy"] >= 0.8
    _, metadata = unpack(tmp_path / "out" / "model.tar.gz", tmp_path / "m")
    assert metadata is not None and "Fine_gauge" in metadata.labels
    assert metadata.metrics["labels"]["Fine_gauge"] == "Fine gauge"


def test_balance_samples_every_class_down_to_the_smallest(tmp_path: Path) -> None:
    # Given 30 rows of each class, and 5 more of class "0"
    rows = [[t, lab, "c"] for lab, t in corpus(30)]
    rows += [[t, "0", "c"] for lab, t in corpus(5, seed=9) if lab == "0"]
    data = write_csv(tmp_path / "r.csv", ["review_body", "sentiment", "c"], rows)
    assert run_cli("train", "--data", data, "--label-column", "sentiment", "--balance",
                   "--out", tmp_path / "out", *FAST) == 0  # fmt: skip
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text("utf-8"))
    assert metrics["rows"]["removed_by_balancing"] == 5
    supports = {s["support"] for s in metrics["validation"]["per_class"].values()}
    assert supports == {3}


def test_trained_model_scores_a_csv_through_score_and_fast_text_scorer(
    trained: Path, tmp_path: Path
) -> None:
    # Given reviews to score, one of them empty
    source = write_csv(tmp_path / "in.csv", ["id", "review_body"],
                       [["a", "I love this dress, it fits perfectly"], ["b", ""],
                        ["c", "Terrible fit, poor quality, I returned it"]])  # fmt: skip
    # When scored with the trained model
    assert run_cli("score", "--model", trained / "model.tar.gz", "--input", source,
                   "--output", tmp_path / "out.csv") == 0  # fmt: skip
    # Then the labels are what FastTextScorer answers for the same tokens
    rows = read_csv(tmp_path / "out.csv")
    assert [r["scoring_status"] for r in rows] == ["scored", "empty", "scored"]
    scorer = FastTextScorer.from_archive(trained / "model.tar.gz", where="test")
    expected = scorer.predict({"source": "i love this dress it fits perfectly"})
    assert rows[0]["predicted_label"] == expected["label"][0].removeprefix("__label__") == "1"
    assert rows[2]["predicted_label"] == "-1"


def test_missing_label_column_is_a_usage_error_naming_the_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = sentiment_csv(tmp_path / "reviews.csv", 5)
    code = run_cli("train", "--data", data, "--label-column", "Rating", "--out", tmp_path / "o")
    assert code == 2
    err = capsys.readouterr().err
    assert "'Rating'" in err and "'sentiment'" in err
    assert not (tmp_path / "o").exists()


def test_a_single_label_cannot_train_a_classifier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "one.csv", ["review_body", "s"], [["good", "1"], ["ok", "1"]])
    assert run_cli("train", "--data", data, "--label-column", "s", "--out", tmp_path / "o") == 2
    assert "at least 2" in capsys.readouterr().err


def test_progress_goes_to_stderr_and_names_each_fold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = sentiment_csv(tmp_path / "reviews.csv", 10)
    assert run_cli("train", "--data", data, "--label-column", "sentiment", "--cv", "2",
                   "--out", tmp_path / "o", *FAST) == 0  # fmt: skip
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "fold 1/2" in captured.err and "fold 2/2" in captured.err


def test_bom_and_quoted_newlines_in_the_training_file_are_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    rows = [[f'line one\nline {i}, "quoted"', str(i % 2)] for i in range(20)]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["review_body", "label"], *rows])
    assert run_cli("train", "--data", path, "--label-column", "label", "--out",
                   tmp_path / "o", *FAST) == 0  # fmt: skip
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text("utf-8"))
    assert metrics["rows"]["used"] == 20
