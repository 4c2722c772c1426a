"""The whole local pipeline: upload -> StartScoring -> transform -> PublishResults -> SNS."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from review_scorer.model.scorer import FastTextScorer
from review_scorer.results.join import neutralise
from review_scorer.tokenizer import tokenize
from review_scorer_local.flow import LocalFlow
from tests.conftest import batch_config, read_csv, write_csv

SAMPLE = Path(__file__).resolve().parents[2] / "local/review_scorer_local/samples/reviews.csv"
REPO = Path(__file__).resolve().parents[2]


def expected_prediction(scorer: FastTextScorer, review: str) -> tuple[str, str]:
    """What the model says when called directly, without the pipeline."""
    answer = scorer.predict({"source": " ".join(tokenize(review))})
    return answer["label"][0].removeprefix("__label__"), f"{min(answer['prob'][0], 1.0):.6f}"


def test_sample_file_comes_back_labeled_row_by_row(
    flow: LocalFlow, demo_model: Path, tmp_path: Path
) -> None:
    # When the sample CSV goes through the whole local flow
    result = flow.run_file(SAMPLE, tmp_path)
    # Then every original row comes back, in order, with the model's own answer for it
    assert result.ok, result.failed_invocations
    assert result.labeled_csv is not None
    original = read_csv(SAMPLE)
    labeled = read_csv(result.labeled_csv)
    assert len(labeled) == len(original) == 20
    scorer = FastTextScorer.from_archive(demo_model, where="demo")
    for before, after in zip(original, labeled, strict=True):
        for column, value in before.items():
            assert after[column] == neutralise(value)
        if tokenize(before["review_body"]):
            label, probability = expected_prediction(scorer, before["review_body"])
            assert (after["predicted_label"], after["probability"]) == (label, probability)
            assert after["scoring_status"] == "scored"
        else:
            assert (after["predicted_label"], after["probability"]) == ("", "")
            assert after["scoring_status"] == "empty"
    # the synthetic demo model gets the obvious ones right
    by_id = {row["review_id"]: row["predicted_label"] for row in labeled}
    assert (by_id["r-001"], by_id["r-002"], by_id["r-003"]) == ("1", "-1", "0")
    # and the one SNS message tells the outcome
    (note,) = result.notifications
    assert note.attributes == {"status": "SUCCEEDED", "error_code": "NONE"}
    assert note.body["rows"] == {
        "total": 20,
        "scored": 18,
        "empty": 2,
        "rejected": 0,
        "needs_review": None,
    }
    assert sum(note.body["labels"].values()) == 18
    assert note.body["results"] == "s3://review-scorer-local/results/reviews.labeled.csv"
    assert note.body["source"] == "s3://review-scorer-local/incoming/reviews.csv"
    assert note.body["error"] is None


@pytest.mark.parametrize("stack_config", [batch_config(shard_max_bytes=2048)])
def test_many_shards_join_back_in_the_original_order(flow: LocalFlow, tmp_path: Path) -> None:
    # Given 600 rows staged into 2 KB shards (about 30 shards)
    reviews = [
        f"review {i} i love this dress" if i % 3 else f"review {i} poor quality" for i in range(600)
    ]
    path = write_csv(
        tmp_path / "many.csv", ["n", "review_body"], [[str(i), r] for i, r in enumerate(reviews)]
    )
    # When it goes through the flow
    result = flow.run_file(path, tmp_path / "out")
    # Then the rows come back in order, each with the label of its own text
    assert result.ok
    assert result.labeled_csv is not None
    labeled = read_csv(result.labeled_csv)
    assert [row["n"] for row in labeled] == [str(i) for i in range(600)]
    assert all(row["predicted_label"] == ("1" if int(row["n"]) % 3 else "-1") for row in labeled)
    assert flow.stack.sagemaker is not None
    (job,) = flow.stack.sagemaker.jobs.values()
    listed = flow.stack.client("s3").list_objects_v2(
        Bucket="review-scorer-local", Prefix=f"predictions/{job['TransformJobName']}/"
    )
    assert listed["KeyCount"] > 10


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "review_scorer_local", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_local_run_json_prints_one_summary_per_file_and_fails_if_any_failed(
    demo_model: Path, tmp_path: Path
) -> None:
    good = write_csv(tmp_path / "good.csv", ["review_body"], [["great quality, love it"]])
    bad = write_csv(tmp_path / "bad.csv", ["comment"], [["no review column here"]])
    result = run_cli(
        "local",
        "run",
        str(good),
        str(bad),
        "--model",
        str(demo_model),
        "--out",
        str(tmp_path / "out"),
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert (first["status"], first["labels"]) == ("SUCCEEDED", {"1": 1})
    assert second["status"] == "FAILED"
    assert second["error"]["code"] == "MISSING_COLUMN"
    assert (tmp_path / "out" / "good.labeled.csv").exists()
    assert "great quality" not in result.stderr  # no review text in the logs


def test_local_run_with_another_review_column(demo_model: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["Review Text", "id"], [["terrible fit", "7"]])
    result = run_cli(
        "local",
        "run",
        str(path),
        "--model",
        str(demo_model),
        "--review-column",
        "Review Text",
        "--out",
        str(tmp_path),
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["labels"] == {"-1": 1}
    with (tmp_path / "c.labeled.csv").open(newline="") as f:
        assert next(csv.reader(f)) == [
            "Review Text",
            "id",
            "predicted_label",
            "probability",
            "scoring_status",
        ]


def test_local_run_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run_cli("local", "run", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nope.csv" in result.stderr


def test_demo_trains_its_model_and_shows_rows_and_the_sns_message(tmp_path: Path) -> None:
    # Given an empty cache, so the demo trains its model as on a fresh machine
    result = subprocess.run(
        [sys.executable, "-m", "review_scorer_local", "demo", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
        env={**os.environ, "REVIEW_SCORER_CACHE": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stderr
    assert "reviews.csv: SUCCEEDED  20 rows (18 scored, 2 empty, 0 rejected)" in result.stdout
    assert "Labeled rows:" in result.stdout
    assert "r-020" in result.stdout
    assert '"status": "SUCCEEDED"' in result.stdout
    assert (tmp_path / "out" / "reviews.labeled.csv").exists()


def test_tokenize_command_prints_one_line_of_tokens_per_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "review_scorer_local", "tokenize"],
        input="Hello, World!\n\nIt's ok\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        " ".join(tokenize("Hello, World!")),
        "",
        " ".join(tokenize("It's ok")),
    ]


LONG_NAME = "summer-collection-customer-reviews-" * 8 + "final.csv"


@pytest.mark.parametrize(
    ("name", "body", "status", "shown"),
    [
        ("reviews.csv", "review_body\ngreat fit\n", "SUCCEEDED", "reviews.csv"),
        ("ревю café 😀.csv", "review_body\ngreat fit\n", "SUCCEEDED", "caf? ?.csv"),
        ("ревю café.csv", b"review_body\ncaf\xe9\n", "FAILED", "caf?.csv"),
        (LONG_NAME, "review_body\ngreat fit\n", "SUCCEEDED", LONG_NAME[:40]),
    ],
    ids=["ascii", "non-ascii", "non-ascii-refused", "long"],
)
def test_the_sns_subject_is_one_ascii_line_under_100_chars_naming_status_and_file(
    flow: LocalFlow, tmp_path: Path, name: str, body: str | bytes, status: str, shown: str
) -> None:
    # Given a file uploaded under this name
    path = tmp_path / "upload.csv"
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8")
    else:
        path.write_bytes(body)
    flow.upload(path, f"incoming/{name}")
    # When it goes through the flow and its message reaches a subscriber
    flow.drain()
    (note,) = flow.notifications()
    subject = note.subject
    # Then the subject is what SNS accepts (ASCII, one line, under 100 characters) and tells
    # the outcome and the file
    assert note.body["status"] == status
    assert subject.isascii() and subject.isprintable(), subject
    assert 0 < len(subject) < 100, len(subject)
    assert status in subject
    assert shown in subject, subject
