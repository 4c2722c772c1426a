"""``review-scorer train``'s accuracy-coverage curve and ``--target-accuracy``, on data written
here: clear reviews, and ambiguous ones (phrases of two sentiments, labeled with either) that the
model is less sure of and more often wrong about, so a threshold has rows to leave out."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from review_scorer.model.artifact import unpack
from review_scorer_local.cli import main
from review_scorer_training.data import load
from review_scorer_training.evaluate import cross_validate
from review_scorer_training.fasttext_local import Hyperparameters
from review_scorer_training.synthetic import LABELS, corpus, review
from tests.conftest import write_csv

FAST = ["--epoch", "10", "--lr", "0.5", "--dim", "10", "--bucket", "10000"]


def run_cli(*argv: str | Path) -> int:
    """``review-scorer ARGV...`` through the command line's own entry point and parser."""
    return main([str(a) for a in argv])


def mixed_csv(path: Path, *, clear: int = 60, ambiguous: int = 90) -> Path:
    rng = random.Random(5)
    rows = [[text, label] for label, text in corpus(clear)]
    for _ in range(ambiguous):
        a, b = rng.sample(LABELS, 2)
        rows.append([f"{review(a, rng)} {review(b, rng)}", rng.choice((a, b))])
    rng.shuffle(rows)
    return write_csv(path, ["review_body", "sentiment"], rows)


def noise_csv(path: Path, rows: int = 150) -> Path:
    """Reviews whose labels are drawn at random: no threshold makes them right."""
    rng = random.Random(11)
    return write_csv(path, ["review_body", "sentiment"],
                     [[review(rng.choice(LABELS), rng), rng.choice(LABELS)]
                      for _ in range(rows)])  # fmt: skip


def metrics_of(out: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((out / "metrics.json").read_text("utf-8"))
    return found


@pytest.fixture(scope="module")
def targeted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained with --cv 3 --target-accuracy 0.9 on the mixed reviews."""
    folder = tmp_path_factory.mktemp("targeted")
    assert run_cli("train", "--data", mixed_csv(folder / "mixed.csv"), "--label-column",
                   "sentiment", "--cv", "3", "--target-accuracy", "0.9", "--out",
                   folder / "out", *FAST) == 0  # fmt: skip
    return folder / "out"


def test_cross_validation_returns_every_row_out_of_fold_once_with_its_fold(
    tmp_path: Path,
) -> None:
    dataset = load(mixed_csv(tmp_path / "m.csv"), "review_body", "sentiment")
    cv = cross_validate(dataset, 3, Hyperparameters(epoch=10, lr=0.5, dim=10, bucket=10_000))
    assert len(cv.rows) == len(dataset.frame) == 270
    assert {r.fold for r in cv.rows} == {0, 1, 2}
    assert all(0.0 < r.probability <= 1.0 and round(r.probability, 6) == r.probability
               for r in cv.rows)  # fmt: skip
    # The summary reads as before (bench/cv_bench.py indexes it), and fits the rows
    assert cv["folds"] == 3 and cv.summary["folds_run"] == 3
    right = [r.truth == r.predicted for r in cv.rows]
    assert cv["accuracy"]["mean"] == pytest.approx(sum(right) / len(right), abs=0.01)


def test_cv_training_writes_the_out_of_fold_curve_and_no_threshold_without_a_target(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    assert run_cli("train", "--data", mixed_csv(tmp_path / "m.csv"), "--label-column",
                   "sentiment", "--cv", "3", "--out", out, *FAST) == 0  # fmt: skip
    coverage = metrics_of(out)["coverage"]
    assert (coverage["source"], coverage["rows"]) == ("3-fold out-of-fold predictions", 270)
    assert len(coverage["curve"]) == 101 and set(coverage["per_class"]) == {"-1", "0", "1"}
    assert coverage["curve"][0] == {"threshold": 0.0, "rows": 270, "coverage": 1.0,
                                    "accuracy": coverage["curve"][0]["accuracy"]}  # fmt: skip
    assert set(coverage["at_accuracy"]) == {"0.85", "0.9"}
    assert set(coverage["at_accuracy"]["0.9"]["folds"]) == {"threshold", "coverage", "accuracy"}
    # what the threshold keeps of the packaged model's own validation rows, as a check
    check = coverage["at_accuracy"]["0.9"]["validation"]
    assert check["threshold"] == coverage["at_accuracy"]["0.9"]["threshold"]
    assert check["rows"] is None or check["rows"] <= metrics_of(out)["rows"]["validation"]
    assert metrics_of(out)["review_threshold"] is None and coverage["target_accuracy"] is None
    assert (out / "coverage.png").read_bytes().startswith(b"\x89PNG")
    _, metadata = unpack(out / "model.tar.gz", tmp_path / "m")
    assert metadata is not None and metadata.review_threshold is None


def test_without_cv_the_curve_comes_from_the_validation_split(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("train", "--data", mixed_csv(tmp_path / "m.csv"), "--label-column",
                   "sentiment", "--valid-fraction", "0.3", "--out", out, *FAST) == 0  # fmt: skip
    metrics = metrics_of(out)
    coverage = metrics["coverage"]
    assert coverage["source"] == "validation split"
    assert coverage["rows"] == metrics["rows"]["validation"] == 81
    assert coverage["curve"][0]["accuracy"] == metrics["validation"]["accuracy"]
    assert "folds" not in coverage["at_accuracy"]["0.85"]
    assert "validation" not in coverage["at_accuracy"]["0.85"]  # the curve's own rows already
    assert (out / "coverage.png").read_bytes().startswith(b"\x89PNG")


def test_target_accuracy_records_the_threshold_in_the_models_metadata(
    targeted: Path, tmp_path: Path
) -> None:
    metrics = metrics_of(targeted)
    chosen = metrics["coverage"]["at_accuracy"]["0.9"]
    _, metadata = unpack(targeted / "model.tar.gz", tmp_path)
    assert metadata is not None
    assert metadata.review_threshold == metrics["review_threshold"] == chosen["threshold"]
    assert 0.0 < chosen["threshold"] < 1.0 and chosen["coverage"] < 1.0
    assert metadata.metrics["coverage"]["at_accuracy"]["0.9"]["threshold"] == chosen["threshold"]


def test_the_recorded_thresholds_out_of_fold_rows_reach_the_target(targeted: Path) -> None:
    coverage = metrics_of(targeted)["coverage"]
    threshold, least = coverage["at_accuracy"]["0.9"]["threshold"], coverage["min_rows"]
    counted = [p for p in coverage["curve"] if p["rows"] >= least]
    # At the threshold and every higher one keeping enough rows, the rows reach 0.9
    assert all(p["accuracy"] >= 0.9 for p in counted if p["threshold"] >= threshold)
    # and the threshold just below it does not (else it would have been chosen)
    below = [p for p in counted if p["threshold"] < threshold]
    assert below and below[-1]["accuracy"] < 0.9


def test_the_threshold_its_coverage_and_the_folds_range_are_told_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("train", "--data", mixed_csv(tmp_path / "m.csv"), "--label-column",
                   "sentiment", "--cv", "3", "--target-accuracy", "0.9", "--out",
                   tmp_path / "out", *FAST) == 0  # fmt: skip
    chosen = metrics_of(tmp_path / "out")["coverage"]["at_accuracy"]["0.9"]
    folds = chosen["folds"]["threshold"]
    assert (
        f"target accuracy 0.9: threshold {chosen['threshold']:.2f} keeps "
        f"{chosen['coverage']:.1%} of rows at {chosen['accuracy']:.3f} (folds: "
        f"{folds['min']:.2f}-{folds['max']:.2f}"
    ) in capsys.readouterr().err


def test_an_unreachable_target_warns_records_no_threshold_and_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given labels drawn at random, which no confidence makes right 95% of the time
    out = tmp_path / "out"
    assert run_cli("train", "--data", noise_csv(tmp_path / "n.csv"), "--label-column",
                   "sentiment", "--cv", "2", "--target-accuracy", "0.95", "--out", out,
                   *FAST) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "warning: no threshold reaches accuracy 0.95" in err
    assert "no review threshold recorded" in err
    metrics = metrics_of(out)
    assert metrics["review_threshold"] is None
    assert metrics["coverage"]["at_accuracy"]["0.95"]["threshold"] is None
    _, metadata = unpack(out / "model.tar.gz", tmp_path / "m")
    assert metadata is not None and metadata.review_threshold is None


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.2", "nan"])
def test_target_accuracy_must_lie_strictly_between_0_and_1(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli("train", "--data", tmp_path / "x.csv", "--label-column", "s",
                "--target-accuracy", value, "--out", tmp_path / "o")  # fmt: skip
    assert exit_.value.code == 2
    assert "must be between 0 and 1" in capsys.readouterr().err


def test_sagemaker_train_has_no_target_accuracy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # sagemaker-train measures nothing locally: it has no curve to choose a threshold from
    with pytest.raises(SystemExit) as exit_:
        run_cli("sagemaker-train", "--data", tmp_path / "x.csv", "--label-column", "s",
                "--bucket", "b", "--role", "r", "--dry-run",
                "--target-accuracy", "0.9")  # fmt: skip
    assert exit_.value.code == 2
    assert "unrecognized arguments: --target-accuracy" in capsys.readouterr().err
