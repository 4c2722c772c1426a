"""PublishResults, driven by events/transform_job_*.json against the local stack."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from review_scorer import bucket_keys
from review_scorer_local.flow import LocalFlow
from review_scorer_local.stack import LocalModeStack
from tests.functional.helpers import (
    keys,
    read_object,
    run_publish_results,
    run_start_scoring,
    sns_messages,
    upload_for_event,
)

CSV = (
    b"id,review_body,note\n"
    b'1,"I love this dress, it fits perfectly",=1+2\n'
    b"2,,\n"
    b"3,Very disappointed: poor quality.,-1\n"
)
LABELED = "results/customer reviews 2026-11.labeled.csv"


@pytest.fixture
def started_job(stack: LocalModeStack) -> Iterator[str]:
    """A job started by StartScoring for CSV and run by the local SageMaker."""
    run_start_scoring(stack, upload_for_event(stack, CSV))
    assert stack.sagemaker is not None
    (name,) = stack.sagemaker.jobs
    LocalFlow(stack).run_pending_jobs()
    yield name


SOURCE = "s3://review-scorer-local/incoming/customer reviews 2026-11.csv"


def labeled_rows(stack: LocalModeStack) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_object(stack, LABELED).decode())))


def test_completed_job_writes_the_labeled_csv_and_one_message(
    stack: LocalModeStack, started_job: str
) -> None:
    result = run_publish_results(stack, started_job, "transform_job_completed.json")
    assert result == {"job": started_job, "published": {SOURCE: "SUCCEEDED"}}
    rows = labeled_rows(stack)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert [r["predicted_label"] for r in rows] == ["1", "", "-1"]
    assert [r["scoring_status"] for r in rows] == ["scored", "empty", "scored"]
    assert rows[0]["note"] == "'=1+2"  # a formula is neutralised, a number is not
    assert rows[2]["note"] == "-1"
    assert 0.5 < float(rows[0]["probability"]) <= 1.0
    (message,) = sns_messages(stack)
    assert message["status"] == "SUCCEEDED"
    assert message["attributes"] == {"status": "SUCCEEDED", "error_code": "NONE"}
    assert message["results"] == f"s3://{stack.config.bucket}/{LABELED}"
    assert message["rows"] == {
        "total": 3,
        "scored": 2,
        "empty": 1,
        "rejected": 0,
        "needs_review": None,
    }
    assert message["labels"] == {"1": 1, "-1": 1}
    assert message["job"] == started_job
    assert message["model"] == stack.config.model_name
    summary = read_object(stack, "results/customer reviews 2026-11.summary.json")
    assert summary.decode() == _without_subject(message)


def _without_subject(message: dict[str, Any]) -> str:
    from review_scorer.outcome.summary import Summary

    fields = {k: v for k, v in message.items() if k not in ("subject", "attributes")}
    return Summary.model_validate(fields).to_json()


def test_duplicate_completion_event_publishes_once(stack: LocalModeStack, started_job: str) -> None:
    run_publish_results(stack, started_job, "transform_job_completed.json")
    again = run_publish_results(stack, started_job, "transform_job_completed.json")
    assert again == {"job": started_job, "published": {}}
    assert len(sns_messages(stack)) == 1


def test_describe_is_the_truth_not_the_event(stack: LocalModeStack) -> None:
    # Given a job that is still running, and an event that claims it completed
    run_start_scoring(stack, upload_for_event(stack, CSV))
    assert stack.sagemaker is not None
    (name,) = stack.sagemaker.jobs
    # When the event arrives
    result = run_publish_results(stack, name, "transform_job_completed.json")
    # Then nothing is written or sent
    assert result == {"job": name, "published": {}}
    assert keys(stack, "results/") == []
    assert sns_messages(stack) == []


def test_failed_job_publishes_failed_with_the_reason(stack: LocalModeStack) -> None:
    run_start_scoring(stack, upload_for_event(stack, CSV))
    assert stack.sagemaker is not None
    (name,) = stack.sagemaker.jobs

    def crash(job: dict[str, Any], model: dict[str, Any]) -> None:
        raise RuntimeError("AlgorithmError: instance ran out of memory")

    stack.sagemaker.run_pending(crash)
    result = run_publish_results(stack, name, "transform_job_failed.json")
    assert result == {"job": name, "published": {SOURCE: "FAILED"}}
    (message,) = sns_messages(stack)
    assert message["attributes"] == {"status": "FAILED", "error_code": "TRANSFORM_JOB_FAILED"}
    assert "AlgorithmError: instance ran out of memory" in message["error"]["message"]
    assert message["results"] is None
    assert keys(stack, "results/") == ["results/customer reviews 2026-11.summary.json"]
    # the original stays where ops dropped it
    assert keys(stack, "incoming/") == ["incoming/customer reviews 2026-11.csv"]


def test_stopped_job_event_publishes_failed_with_transform_job_stopped(
    stack: LocalModeStack,
) -> None:
    # Given a started job that someone stopped (StopTransformJob)
    run_start_scoring(stack, upload_for_event(stack, CSV))
    assert stack.sagemaker is not None
    (name,) = stack.sagemaker.jobs
    stack.client("sagemaker").stop_transform_job(TransformJobName=name)
    # When its "Stopped" state change event arrives
    result = run_publish_results(stack, name, "transform_job_stopped.json")
    # Then one FAILED message with the stable code, no labeled file, the original left in place
    assert result == {"job": name, "published": {SOURCE: "FAILED"}}
    (message,) = sns_messages(stack)
    assert message["status"] == "FAILED"
    assert message["attributes"] == {"status": "FAILED", "error_code": "TRANSFORM_JOB_STOPPED"}
    assert message["error"]["code"] == "TRANSFORM_JOB_STOPPED"
    assert message["job"] == name and message["results"] is None
    assert LABELED not in keys(stack, "results/")
    assert keys(stack, "incoming/") == ["incoming/customer reviews 2026-11.csv"]


def test_output_with_a_missing_line_fails_and_writes_no_labeled_file(
    stack: LocalModeStack, started_job: str
) -> None:
    # Given an output file with one prediction fewer than the rows sent
    s3 = stack.client("s3")
    key = bucket_keys.prediction_key(started_job, bucket_keys.shard_key(started_job, 0))
    lines = read_object(stack, key).splitlines(keepends=True)
    s3.put_object(Bucket=stack.config.bucket, Key=key, Body=b"".join(lines[:-1]))
    # When the job's completion is handled
    run_publish_results(stack, started_job, "transform_job_completed.json")
    # Then FAILED with a stable code, and no labeled CSV
    (message,) = sns_messages(stack)
    assert message["error"]["code"] == "PREDICTION_COUNT_MISMATCH"
    assert LABELED not in keys(stack, "results/")


def test_missing_output_fails_with_missing_output(stack: LocalModeStack, started_job: str) -> None:
    stack.client("s3").delete_object(
        Bucket=stack.config.bucket,
        Key=bucket_keys.prediction_key(started_job, bucket_keys.shard_key(started_job, 0)),
    )
    run_publish_results(stack, started_job, "transform_job_completed.json")
    (message,) = sns_messages(stack)
    assert message["error"]["code"] == "MISSING_OUTPUT"
    assert LABELED not in keys(stack, "results/")


def test_unknown_job_is_ignored(stack: LocalModeStack) -> None:
    result = run_publish_results(
        stack, "rs-00000000000000000000000000000000", "transform_job_completed.json"
    )
    assert result["published"] == {}
    assert sns_messages(stack) == []
