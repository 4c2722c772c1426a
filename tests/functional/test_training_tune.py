"""``train --tune``'s search: deterministic for a seed, inside its budgets, on the rows given."""

from __future__ import annotations

import json
import random
import tarfile
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from review_scorer.model.artifact import METADATA_FILE
from review_scorer_training.data import LABEL, TOKENS
from review_scorer_training.errors import TrainingDataError
from review_scorer_training.fasttext_local import Hyperparameters
from review_scorer_training.tune import TuneOptions, search
from review_scorer_training.tune_space import ROUND, STARTS, model_bytes, table
from tests.conftest import write_csv
from tests.functional.test_training_train import run_cli


def noisy_frame(rows_per_label: int = 120, seed: int = 5) -> pd.DataFrame:
    """Three labels told apart by a few words among many shared ones, with 15% of the labels
    flipped: no setting is right on every row, and settings differ."""
    rng = random.Random(seed)
    shared = [f"w{n}" for n in range(300)]
    cues = {label: [f"{label}{n}" for n in range(12)] for label in ("a", "b", "c")}
    rows = []
    for label, words in cues.items():
        for _ in range(rows_per_label):
            tokens = rng.sample(shared, 8) + rng.sample(words, 2)
            rng.shuffle(tokens)
            shown = rng.choice("abc") if rng.random() < 0.15 else label
            rows.append((shown, " ".join(tokens)))
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=[LABEL, TOKENS])


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return noisy_frame()


def test_the_same_seed_and_trial_count_give_the_same_trials_and_choice_with_any_workers(
    frame: pd.DataFrame,
) -> None:
    # Under 50 MB a model: no 2M-bucket table to allocate, so each fit takes a fraction of a second.
    small = TuneOptions(trials=8, workers=1, max_model_bytes=50_000_000)
    one = search(frame, small, seed=11)
    two = search(frame, replace(small, workers=2), seed=11)
    assert [t.as_dict() | {"seconds": 0} for t in one.trials] == [
        t.as_dict() | {"seconds": 0} for t in two.trials
    ]
    assert one.best == replace(two.best, seconds=one.best.seconds)
    other_seed = search(frame, small, seed=12)
    # The first round is the same starts for any seed; what follows is the seed's own.
    assert [t.hyperparameters for t in other_seed.trials[ROUND:]] != [
        t.hyperparameters for t in one.trials[ROUND:]
    ]


def test_the_defaults_come_first_and_the_best_inner_cv_mean_is_chosen(frame: pd.DataFrame) -> None:
    result = search(frame, TuneOptions(trials=12, folds=3), seed=3)
    assert result.stopped == "trials"
    assert len(result.trials) == 12
    assert result.trials[0].hyperparameters == Hyperparameters()
    assert [t.hyperparameters for t in result.trials[1:ROUND]] == list(STARTS)
    measured = [t for t in result.trials if not t.pruned]
    assert all(len(t.folds) == 3 for t in measured)
    assert all(t.accuracy == pytest.approx(sum(t.folds) / 3) for t in measured)
    assert result.best.accuracy == max(t.accuracy for t in measured)
    assert not result.best.pruned
    assert len({t.hyperparameters for t in result.trials}) == 12  # nothing tried twice
    report = result.as_dict(TuneOptions(trials=12))
    assert report["chosen"]["epoch"] == result.best.hyperparameters.epoch
    assert report["trials_run"] == 12
    assert len(report["trials"]) == 12
    lines = table(result.trials, result.best)
    assert lines[0].split()[:2] == ["trial", "inner"]
    assert sum("*" in line for line in lines) == 1


def test_the_first_round_always_runs_and_then_the_time_budget_stops_the_search(
    frame: pd.DataFrame,
) -> None:
    result = search(frame, TuneOptions(seconds=0.0), seed=3)
    assert result.stopped == "time"
    assert len(result.trials) == ROUND  # one round always runs: the defaults are measured


def test_settings_whose_model_would_be_too_large_are_not_tried(frame: pd.DataFrame) -> None:
    limit = 2_000_000  # bytes: rules out every setting with a large n-gram table
    result = search(frame, TuneOptions(trials=8, max_model_bytes=limit), seed=3)
    assert result.trials
    assert all(t.model_bytes <= limit for t in result.trials)
    assert Hyperparameters() not in {t.hyperparameters for t in result.trials}  # 8 MB


def test_model_bytes_counts_ngram_buckets_only_with_word_ngrams() -> None:
    hp = Hyperparameters(dim=10, bucket=1000, word_ngrams=2)
    assert model_bytes(hp, words=100, labels=3) == 4 * 10 * (100 + 1000 + 3)
    assert model_bytes(replace(hp, word_ngrams=1), words=100, labels=3) == 4 * 10 * 103


def noisy_csv(path: Path) -> Path:
    rows = [[tokens, label] for label, tokens in noisy_frame(rows_per_label=60).itertuples(False)]
    return write_csv(path, ["review_body", "topic"], rows)


def test_train_tune_reports_its_trials_and_packages_the_settings_it_chose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = noisy_csv(tmp_path / "topics.csv")
    out = tmp_path / "out"
    assert run_cli("train", "--data", data, "--label-column", "topic", "--out", out,
                   "--tune", "--tune-trials", "6", "--tune-max-model-bytes", "50000000",
                   "--cv", "2") == 0  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    tuning = metrics["tuning"]
    assert tuning["trials_run"] == 6 and tuning["stopped_by"] == "trials"
    assert tuning["objective"] == "inner-CV accuracy"
    assert tuning["rows"] == metrics["rows"]["train"]  # the validation rows are never searched
    assert metrics["hyperparameters"] == tuning["chosen"]
    best = max(tuning["trials"], key=lambda t: (t["accuracy"], -t["trial"]))
    assert tuning["chosen_trial"] == best["trial"]
    assert tuning["chosen"] == best["hyperparameters"]
    # Nested CV: each outer fold searched its own training rows and chose for itself.
    assert len(metrics["cross_validation"]["tuned"]["hyperparameters_by_fold"]) == 2
    with tarfile.open(out / "model.tar.gz") as tar:
        member = tar.extractfile(METADATA_FILE)
        assert member is not None
        metadata = json.loads(member.read())
    assert {k: metadata["hyperparameters"][k] for k in tuning["chosen"]} == tuning["chosen"]
    err = capsys.readouterr().err
    assert "fold 1 tuning: " in err and "fold 2 tuning: " in err
    assert f"tuning chose trial {best['trial']} of 6" in err
    assert "inner acc" in err  # the table of the best trials


def test_with_a_target_accuracy_the_search_maximises_coverage_at_it(tmp_path: Path) -> None:
    data = noisy_csv(tmp_path / "topics.csv")
    out = tmp_path / "out"
    assert run_cli("train", "--data", data, "--label-column", "topic", "--out", out,
                   "--tune", "--tune-trials", "4", "--tune-max-model-bytes", "50000000",
                   "--target-accuracy", "0.9") == 0  # fmt: skip
    tuning = json.loads((out / "metrics.json").read_text())["tuning"]
    assert tuning["objective"] == "inner-CV coverage at accuracy 0.9, then accuracy"
    assert all(t["coverage"] is not None for t in tuning["trials"])
    best = max(tuning["trials"], key=lambda t: (t["coverage"], t["accuracy"], -t["trial"]))
    assert tuning["chosen_trial"] == best["trial"]


def test_too_few_rows_for_the_inner_folds_is_a_clear_error(tmp_path: Path) -> None:
    tiny = noisy_frame(rows_per_label=120).head(2)
    with pytest.raises(TrainingDataError, match="--tune needs at least 3 training rows"):
        search(tiny, TuneOptions(trials=4), seed=1)
