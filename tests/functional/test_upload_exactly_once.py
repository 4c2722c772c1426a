"""Every upload starts one job, whatever is delivered twice, retried or refused by SageMaker."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from review_scorer.handlers import start_scoring
from review_scorer.logic import start_scoring as start_scoring_logic
from review_scorer.upload import staging
from review_scorer_local.flow import LocalFlow
from review_scorer_local.lambda_invoke import LocalContext
from review_scorer_local.stack import LocalModeStack
from tests.conftest import batch_config, read_csv, write_csv
from tests.functional.helpers import (
    context,
    handled_uploads,
    intake_event,
    keys,
    read_object,
    run_start_scoring,
    sns_messages,
    upload_for_event,
)

CSV = b"id,review_body\n1,I love it\n2,poor quality\n"
FAST_RETRIES = batch_config(job_retry_seconds=0.01)


def jobs(stack: LocalModeStack) -> list[str]:
    assert stack.sagemaker is not None
    return list(stack.sagemaker.jobs)


def deliver_at_once(stack: LocalModeStack, event: dict[str, Any]) -> list[str]:
    """Two invocations of StartScoring, each with its own request id and its own message (two
    owners, as two deliveries of one event are), let go at the same moment; what they did."""
    os.environ.update(stack.function_environment())
    contexts = [context("StartScoringFunction") for _ in range(2)]
    assert contexts[0].aws_request_id != contexts[1].aws_request_id
    messages = [intake_event(stack, event) for _ in contexts]
    start = threading.Barrier(len(contexts))
    responses: list[dict[str, Any]] = []

    def deliver(message: dict[str, Any], lambda_context: LocalContext) -> None:
        start.wait()
        responses.append(start_scoring.lambda_handler(message, lambda_context))

    threads = [
        threading.Thread(target=deliver, args=p) for p in zip(messages, contexts, strict=True)
    ]
    with handled_uploads() as results:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert responses == [{"batchItemFailures": []}] * len(contexts), "a delivery failed"
    return sorted(results)


def test_two_deliveries_at_once_start_one_job(stack: LocalModeStack) -> None:
    # Given one upload, When its event is delivered twice at the same moment
    results = deliver_at_once(stack, upload_for_event(stack, CSV))
    # Then one job, and exactly one of the two deliveries says it started it
    assert len(jobs(stack)) == 1
    assert results == ["duplicate", "started"]


def test_two_deliveries_at_once_of_a_refused_file_send_one_message(stack: LocalModeStack) -> None:
    # Given an upload that will be refused (cp1252 bytes)
    event = upload_for_event(stack, b"id,review_body\n1,caf\xe9\n")
    # When its event is delivered twice at the same moment (two owners race for the claim)
    results = deliver_at_once(stack, event)
    # Then both refuse it, but only the claim's owner announces it: one message
    assert results == ["refused", "refused"]
    (note,) = sns_messages(stack)
    assert note["error"]["code"] == "INVALID_ENCODING"


@pytest.mark.parametrize("stack_config", [FAST_RETRIES])
def test_throttling_is_retried_and_the_job_starts_once(stack: LocalModeStack) -> None:
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ThrottlingException", "Rate exceeded", times=2)
    assert run_start_scoring(stack, upload_for_event(stack, CSV)) == ["started"]
    assert len(jobs(stack)) == 1
    assert stack.sagemaker.calls("CreateTransformJob") == 3


QUOTA_FULL = (
    "The account-level service limit 'ml.m5.large for transform job usage' is 1 Instances, with "
    "current utilization of 1 Instances and a request delta of 1 Instances. Please use AWS "
    "Service Quotas to request an increase for this quota."
)


def test_a_full_quota_makes_the_file_wait_in_the_queue_then_start_without_reading_it_again(
    stack: LocalModeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SageMaker answers ResourceLimitExceeded once (the account's quota is in use)
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ResourceLimitExceeded", QUOTA_FULL)
    staged: list[str] = []
    real_stage = staging.stage

    def counting_stage(target: staging.StagingTarget, *args: Any, **kwargs: Any) -> Any:
        staged.append(target.job)
        return real_stage(target, *args, **kwargs)

    monkeypatch.setattr(start_scoring_logic, "stage", counting_stage)
    event = upload_for_event(stack, CSV)
    # When StartScoring handles the upload, and the queue delivers it again
    first = run_start_scoring(stack, event)
    second = run_start_scoring(stack, event)
    # Then it waited (its message returned as a batch item failure: no retry inside Lambda, no
    # message), and the redelivery started its job from the same staging: the file was read once
    assert (first, second) == (["waiting"], ["started"]), sns_messages(stack)
    assert len(jobs(stack)) == 1 and len(staged) == 1
    assert sns_messages(stack) == []


def test_a_quota_of_zero_fails_at_once_naming_the_quota_to_raise(stack: LocalModeStack) -> None:
    # Given an account whose quota for the instance type is 0
    assert stack.sagemaker is not None
    stack.sagemaker.instance_quota = 0
    # When a file is uploaded
    result = run_start_scoring(stack, upload_for_event(stack, CSV))
    # Then it fails at once (no wait can help), with one message that names the quota
    assert result == ["failed"]
    (note,) = sns_messages(stack)
    assert note["error"]["code"] == "NO_TRANSFORM_CAPACITY"
    assert "'ml.m5.large for transform job usage' is 0 instances" in note["error"]["message"]
    assert jobs(stack) == []


@pytest.mark.parametrize("stack_config", [batch_config(max_wait_seconds=60)])
def test_a_file_that_waited_too_long_fails_with_its_own_code(stack: LocalModeStack) -> None:
    # Given an upload made two minutes ago, with MaxWaitSeconds 60, and the quota still in use
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ResourceLimitExceeded", QUOTA_FULL)
    old = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    event = upload_for_event(stack, CSV, eventTime=old)
    # When StartScoring tries again, Then the file fails with its own code, and one message
    assert run_start_scoring(stack, event) == ["failed"]
    (note,) = sns_messages(stack)
    assert note["error"]["code"] == "TRANSFORM_CAPACITY_WAIT_EXPIRED"


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
    assert run_start_scoring(stack, event) == ["failed"]
    (note,) = sns_messages(stack)
    assert note["attributes"] == {"status": "FAILED", "error_code": "TRANSFORM_JOB_REJECTED"}
    assert code in note["error"]["message"]
    assert hint in note["error"]["message"]
    assert note["rows"]["scored"] == 2
    assert keys(stack, "quarantine/") == []  # the file is fine; it stays in incoming/
    assert run_start_scoring(stack, event) == ["duplicate"]
    assert len(sns_messages(stack)) == 0


@pytest.mark.parametrize("stack_config", [batch_config(max_upload_bytes=1_000_000)])
def test_file_over_the_size_limit_is_refused_from_the_event_alone(stack: LocalModeStack) -> None:
    # Given an event announcing a 5 GB object (the object itself is small: it is never read)
    event = upload_for_event(stack, CSV, size=5 * 1024**3)
    assert run_start_scoring(stack, event) == ["refused"]
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

    with handled_uploads() as result:
        start_scoring.lambda_handler(
            intake_event(stack, event), ShortContext("StartScoringFunction")
        )
    assert result == ["refused"]
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
    assert result.summary["rows"] == {
        "total": 41,
        "scored": 40,
        "empty": 0,
        "rejected": 1,
        "needs_review": None,
    }
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
