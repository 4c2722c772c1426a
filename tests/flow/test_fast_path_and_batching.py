"""Small files are scored in StartScoring, and files that arrive together share a job.

The fast path's labeled CSV is the batch path's, byte for byte: the same file is run both ways.
A burst of files above the fast-path limit is scored by a few shared jobs, and a shard that fails
inside a shared job fails its own file only.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from review_scorer import bucket_keys
from review_scorer.transform import jobs
from review_scorer_local.flow import LocalFlow
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.stack_config import StackConfig
from tests.conftest import RECORDED_THRESHOLD, write_csv
from tests.functional.helpers import SAMPLE

WORDS = ["soft", "warm", "cheap", "torn", "lovely", "awful", "fits", "small", "large", "perfect"]


def store_files(folder: Path, count: int, rows: int) -> list[Path]:
    """``count`` CSV files of ``rows`` reviews each, with an empty review and a quoted comma."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        body = []
        for i in range(rows):
            words = [WORDS[(n * 7 + i * j) % len(WORDS)] for j in range(1, 4 + i % 5)]
            body.append([f"{n}-{i}", "" if i == 3 else ", ".join(words) + "!", str(1 + i % 5)])
        path = folder / f"store-{n:02d}.csv"
        write_csv(path, ["id", "review_body", "stars"], body)
        paths.append(path)
    return paths


def local_run(files: list[Path], model: Path, out: Path, *options: str) -> list[dict[str, object]]:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "review_scorer_local", "local", "run", *map(str, files)),
            *("--model", str(model), "--out", str(out), "--json", *options),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.mark.slow
def test_small_files_are_scored_in_the_function_exactly_as_a_job_scores_them(
    tmp_path: Path, demo_model: Path
) -> None:
    # Given 10 files of 20 rows each
    files = store_files(tmp_path / "in", 10, 20)
    # When they are dropped at once, with the fast path on (the default) and then off
    fast = local_run(files, demo_model, tmp_path / "fast")
    batch = local_run(files, demo_model, tmp_path / "batch", "--fast-path-max-rows", "0")
    # Then every file was scored inside StartScoring, with no transform job
    assert len(fast) == len(batch) == 10
    assert {(m["status"], m["scored_by"], m["job"]) for m in fast} == {
        ("SUCCEEDED", "lambda", None)
    }
    assert {(m["status"], m["scored_by"]) for m in batch} == {("SUCCEEDED", "batch-transform")}
    assert all(m["job"] for m in batch)
    # and their labeled CSVs are byte for byte those the transform jobs gave
    for path in files:
        name = f"{path.stem}.labeled.csv"
        assert (tmp_path / "fast" / name).read_bytes() == (tmp_path / "batch" / name).read_bytes()
    # and the summaries agree on everything but where the rows were scored
    varying = {"job", "scored_by", "finished_at"}
    assert [{k: v for k, v in m.items() if k not in varying} for m in fast] == [
        {k: v for k, v in m.items() if k not in varying} for m in batch
    ]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_rows_marked_for_review_are_the_same_on_the_fast_path_and_in_a_job(
    tmp_path: Path, threshold_model: Path
) -> None:
    # Given the sample and 2 other files, and a model that recorded a review threshold
    files = [SAMPLE, *store_files(tmp_path / "in", 2, 20)]
    # When they are scored on the fast path and by transform jobs, the stack left at "model",
    fast = local_run(files, threshold_model, tmp_path / "fast")
    batch = local_run(files, threshold_model, tmp_path / "batch", "--fast-path-max-rows", "0")
    # and once more with the threshold off
    off = local_run(files, threshold_model, tmp_path / "off", "--review-threshold", "off")
    assert [m["scored_by"] for m in fast + batch] == ["lambda"] * 3 + ["batch-transform"] * 3
    # Then both paths wrote the same bytes, needs_review column and all
    for path in files:
        name = f"{path.stem}.labeled.csv"
        marked = (tmp_path / "fast" / name).read_bytes()
        assert marked == (tmp_path / "batch" / name).read_bytes()
        assert marked.split(b"\r\n", 1)[0].endswith(b",scoring_status,needs_review")
        # and without a threshold the file is the same but for that column
        rows = csv_rows(tmp_path / "fast" / name)
        unmarked = [{k: v for k, v in row.items() if k != "needs_review"} for row in rows]
        assert unmarked == csv_rows(tmp_path / "off" / name)
    # and the summaries count the same rows, below the model's threshold
    counted = [review_counts(m) for m in fast]
    assert counted == [review_counts(m) for m in batch]
    assert {t for t, _ in counted} == {RECORDED_THRESHOLD} and counted[0][1] > 0
    assert {review_counts(m) for m in off} == {(None, None)}


def review_counts(summary: dict[str, Any]) -> tuple[Any, Any]:
    """A summary's threshold and the rows it marked."""
    return summary["review_threshold"], summary["rows"]["needs_review"]


@pytest.mark.parametrize("stack_config", [StackConfig(fast_path_max_rows=20)])
def test_the_fast_path_creates_no_transform_job(stack: LocalModeStack, tmp_path: Path) -> None:
    results = LocalFlow(stack).run_files(store_files(tmp_path, 3, 20), tmp_path / "out")
    assert [r.summary and r.summary["scored_by"] for r in results] == ["lambda"] * 3
    assert stack.sagemaker is not None and stack.sagemaker.jobs == {}


@pytest.mark.parametrize("stack_config", [StackConfig(fast_path_max_rows=19)])
def test_a_file_over_the_fast_path_limit_goes_to_a_job(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # 20 rows of which 19 to score (one review is empty): at the limit, so scored here ...
    (at_limit,) = LocalFlow(stack).run_files(store_files(tmp_path / "a", 1, 20), tmp_path / "o")
    assert at_limit.summary and at_limit.summary["scored_by"] == "lambda"
    # ... and one row more to score goes to a job
    (over,) = LocalFlow(stack).run_files(store_files(tmp_path / "b", 1, 21), tmp_path / "o")
    assert over.summary and over.summary["scored_by"] == "batch-transform"


def file_id(stack: LocalModeStack, key: str) -> str:
    """The id StartScoring gives the upload at ``key`` (its staging folder)."""
    head = stack.client("s3").head_object(Bucket=stack.config.bucket, Key=key)
    version = head.get("VersionId") or head["ETag"].strip('"')
    return jobs.job_name(stack.config.settings.job_name_prefix, stack.config.bucket, key, version)


BURST = StackConfig(fast_path_max_rows=5)  # the files have 19 rows to score: all go to jobs


@pytest.mark.slow
@pytest.mark.parametrize("stack_config", [BURST])
def test_forty_files_dropped_at_once_share_at_most_four_jobs(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given a stack whose set-up is done: S3 sent its s3:TestEvent when the bucket's notification
    # was configured (it would take a place in the first batch)
    flow = LocalFlow(stack)
    flow.drain()
    # When 40 files above the fast-path limit are dropped at once
    results = flow.run_files(store_files(tmp_path, 40, 20), tmp_path / "out")
    # Then 40 SUCCEEDED messages, one per file, from at most 4 transform jobs
    assert [len(r.notifications) for r in results] == [1] * 40
    assert Counter(r.summary and r.summary["status"] for r in results) == {"SUCCEEDED": 40}
    assert stack.sagemaker is not None and len(stack.sagemaker.jobs) <= 4
    assert {r.summary and r.summary["job"] for r in results} == set(stack.sagemaker.jobs)
    # and each labeled CSV has its own file's rows
    for result in results:
        assert result.labeled_csv is not None
        ids = [line.split(",", 1)[0] for line in result.labeled_csv.read_text().splitlines()[1:]]
        assert ids == [f"{result.path.stem[-2:].lstrip('0') or '0'}-{i}" for i in range(20)]


@pytest.mark.slow
@pytest.mark.parametrize("stack_config", [BURST])
def test_a_shard_failing_inside_a_shared_job_fails_its_own_file_only(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given 40 files uploaded together, and the local SageMaker made to fail store-07's shard
    flow = LocalFlow(stack)
    flow.drain()
    paths = store_files(tmp_path, 40, 20)
    keys = [flow.upload(path) for path in paths]
    broken = file_id(stack, keys[7])
    assert stack.sagemaker is not None
    stack.sagemaker.fail_inputs(broken)
    # When the flow runs
    flow.drain()
    messages = {n.body["source"]: n.body for n in flow.notifications()}
    # Then store-07 alone is FAILED, with the job's reason; the others SUCCEEDED
    uri = bucket_keys.s3_uri(stack.config.bucket, keys[7])
    assert len(messages) == 40
    assert messages[uri]["status"] == "FAILED"
    assert messages[uri]["error"]["code"] == "TRANSFORM_JOB_FAILED"
    assert messages[uri]["results"] is None
    others = [m for source, m in messages.items() if source != uri]
    assert Counter(m["status"] for m in others) == {"SUCCEEDED": 39}
    # including the files that shared its job
    its_job = messages[uri]["job"]
    assert stack.sagemaker.jobs[its_job]["TransformJobStatus"] == "Failed"
    assert sum(m["job"] == its_job for m in others) >= 1
