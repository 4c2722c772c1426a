"""Every upload starts one job, whatever is delivered twice, retried or refused by SageMaker."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from review_scorer.handlers import start_scoring
from review_scorer_local.flow import LocalFlow
from review_scorer_local.lambda_invoke import LocalContext, invoke_async
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.stack_config import StackConfig
from tests.conftest import read_csv, write_csv
from tests.functional.helpers import (
    context,
    keys,
    read_object,
    run_start_scoring,
    sns_messages,
    upload_for_event,
)

CSV = b"id,review_body\n1,I love it\n2,poor quality\n"
FAST_RETRIES = StackConfig(job_retry_seconds=0.01)


def jobs(stack: LocalModeStack) -> list[str]:
    assert stack.sagemaker is not None
    return list(stack.sagemaker.jobs)


def deliver_at_once(stack: LocalModeStack, event: dict[str, Any]) -> list[dict[str, Any]]:
    """Two invocations of StartScoring, each with its own request id (two owners, as two
    deliveries of one event are), let go at the same moment; their results."""
    os.environ.update(stack.function_environment())
    contexts = [context("StartScoringFunction") for _ in range(2)]
    assert contexts[0].aws_request_id != contexts[1].aws_request_id
    start = threading.Barrier(len(contexts))
    results: list[dict[str, Any]] = []

    def deliver(lambda_context: LocalContext) -> None:
        start.wait()
        results.append(start_scoring.lambda_handler(event, lambda_context))

    threads = [threading.Thread(target=deliver, args=(c,)) for c in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(contexts), "a delivery raised"
    return results


def test_two_deliveries_at_once_start_one_job(stack: LocalModeStack) -> None:
    # Given one upload, When its event is delivered twice at the same moment
    results = deliver_at_once(stack, upload_for_event(stack, CSV))
    # Then one job, and exactly one of the two deliveries says it started it
    assert len(jobs(stack)) == 1
    assert sorted(r["outcomes"][0] for r in results) == ["duplicate", "started"]


def test_two_deliveries_at_once_of_a_refused_file_send_one_message(stack: LocalModeStack) -> None:
    # Given an upload that will be refused (cp1252 bytes)
    event = upload_for_event(stack, b"id,review_body\n1,caf\xe9\n")
    # When its event is delivered twice at the same moment (two owners race for the claim)
    results = deliver_at_once(stack, event)
    # Then both refuse it, but only the claim's owner announces it: one message
    assert [r["outcomes"] for r in results] == [["refused"], ["refused"]]
    (note,) = sns_messages(stack)
    assert note["error"]["code"] == "INVALID_ENCODING"


@pytest.mark.parametrize("stack_config", [FAST_RETRIES])
def test_throttling_is_retried_and_the_job_starts_once(stack: LocalModeStack) -> None:
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ThrottlingException", "Rate exceeded", times=2)
    assert run_start_scoring(stack, upload_for_event(stack, CSV)) == {"outcomes": ["started"]}
    assert len(jobs(stack)) == 1
    assert stack.sagemaker.calls("CreateTransformJob") == 3


@pytest.mark.parametrize("stack_config", [FAST_RETRIES])
def test_capacity_error_that_persists_is_raised_for_lambda_to_retry(stack: LocalModeStack) -> None:
    # Given SageMaker answers ResourceLimitExceeded to every attempt of the first invocation
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ResourceLimitExceeded", "too many jobs", 4)
    event = upload_for_event(stack, CSV)
    # When Lambda invokes asynchronously (an error is retried by Lambda itself)
    os.environ.update(stack.function_environment())
    invocation = invoke_async(start_scoring.lambda_handler, event, "StartScoringFunction")
    # Then the first invocation failed, Lambda's retry started the job, and nothing was announced
    assert invocation.attempts == 2
    assert invocation.error is None
    assert len(jobs(stack)) == 1
    assert sns_messages(stack) == []


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        (
            "AccessDeniedException",
            "not authorized to perform sagemaker:CreateTransformJob",
            "permission",
        ),
        ("ValidationException", 'Could not find model "reviews-v9".', "ModelName"),
    ],
)
def test_permanent_sagemaker_errors_end_in_one_failed_message(
    stack: LocalModeStack, code: str, message: str, hint: str
) -> None:
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", code, message)
    event = upload_for_event(stack, CSV)
    assert run_start_scoring(stack, event) == {"outcomes": ["failed"]}
    (note,) = sns_messages(stack)
    assert note["attributes"] == {"status": "FAILED", "error_code": "TRANSFORM_JOB_REJECTED"}
    assert code in note["error"]["message"]
    assert hint in note["error"]["message"]
    assert note["rows"]["scored"] == 2
    assert keys(stack, "quarantine/") == []  # the file is fine; it stays in incoming/
    assert run_start_scoring(stack, event) == {"outcomes": ["duplicate"]}
    assert len(sns_messages(stack)) == 0


@pytest.mark.parametrize("stack_config", [StackConfig(max_upload_bytes=1_000_000)])
def test_file_over_the_size_limit_is_refused_from_the_event_alone(stack: LocalModeStack) -> None:
    # Given an event announcing a 5 GB object (the object itself is small: it is never read)
    event = upload_for_event(stack, CSV, size=5 * 1024**3)
    assert run_start_scoring(stack, event) == {"outcomes": ["refused"]}
    (note,) = sns_messages(stack)
    assert note["error"]["code"] == "FILE_TOO_LARGE"
    assert "1,000,000 bytes" in note["error"]["message"]
    assert keys(stack, "staging/") == [k for k in keys(stack, "staging/") if "notified" in k]


def test_file_that_would_outlast_the_lambda_is_refused_not_cut_off(stack: LocalModeStack) -> None:
    body = b"id,review_body\n" + b"".join(b"%d,great fit\n" % i for i in range(5000))
    event = upload_for_event(stack, body)
    os.environ.update(stack.function_environment())

    class ShortContext(LocalContext):
        def get_remaining_time_in_millis(self) -> int:
            return 30_000

    result = start_scoring.lambda_handler(event, ShortContext("StartScoringFunction"))
    assert result == {"outcomes": ["refused"]}
    (note,) = sns_messages(stack)
    assert note["error"]["code"] == "FILE_TOO_LARGE"
    assert "run out of time" in note["error"]["message"]
    assert jobs(stack) == []


@pytest.mark.parametrize(
    "key",
    ["incoming/a b+c.csv", "incoming/deep/er/path/reviews.csv", "incoming/ünï cødé/ревю 😀.csv"],
)
def test_awkward_keys_are_scored_and_keep_their_path(
    flow: LocalFlow, tmp_path: Path, key: str
) -> None:
    path = write_csv(tmp_path / "r.csv", ["review_body"], [["great fit"], ["poor quality"]])
    flow.upload(path, key)
    flow.drain()
    (note,) = flow.notifications()
    assert note.body["status"] == "SUCCEEDED"
    assert note.body["source"] == f"s3://review-scorer-local/{key}"
    name = key.removeprefix("incoming/").removesuffix(".csv")
    assert note.body["results"] == f"s3://review-scorer-local/results/{name}.labeled.csv"


def test_rejected_rows_are_listed_with_line_and_reason_and_left_out_of_results(
    flow: LocalFlow, tmp_path: Path
) -> None:
    rows = "".join(f"{i},great fit {i}\n" for i in range(1, 40))
    path = tmp_path / "bad.csv"
    path.write_text(f"id,review_body\n{rows}40,too,many\n41,last one\n", encoding="utf-8")
    result = flow.run_file(path, tmp_path / "out")
    assert result.summary is not None
    assert result.summary["rows"] == {"total": 41, "scored": 40, "empty": 0, "rejected": 1}
    rejects = read_object(flow.stack, "results/bad.rejects.csv").decode()
    assert rejects.splitlines() == ["line,reason", "41,the row has 3 fields but the header has 2"]
    assert result.labeled_csv is not None
    labeled = read_csv(result.labeled_csv)
    assert [row["id"] for row in labeled] == [str(i) for i in range(1, 40)] + ["41"]


def test_refused_file_is_copied_to_quarantine_with_its_error(
    flow: LocalFlow, tmp_path: Path
) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"id,review_body\n1,caf\xe9\n")
    result = flow.run_file(path, tmp_path / "out")
    assert sorted(keys(flow.stack, "quarantine/")) == [
        "quarantine/latin/error.json",
        "quarantine/latin/latin.csv",
    ]
    assert read_object(flow.stack, "quarantine/latin/latin.csv") == path.read_bytes()
    assert result.summary is not None
    assert result.summary["error"]["code"] == "INVALID_ENCODING"
