"""A burst of uploads under a small transform quota: every file gets its one answer.

The intake queue is the waiting room: a file whose job does not fit the account's quota (the
local SageMaker answers ``ResourceLimitExceeded`` as SageMaker does) stays in the queue, staged,
and starts when an instance frees up. Nothing ends in a dead-letter queue, no file is read for
staging twice, and bad files among them are refused as always.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from review_scorer_local import lambda_invoke
from review_scorer_local.flow import START_SCORING, LocalFlow
from review_scorer_local.stack import LocalModeStack
from tests.conftest import batch_config, write_csv

FILES = 40
BAD = {3: b"id,review_body\n1,caf\xe9\n", 11: b"", 19: b"id,text\n1,no review column\n",
       27: b"id,review_body\n", 35: b'id,review_body\n1,"never closed\n'}  # fmt: skip
BAD_CODES = ["EMPTY_FILE", "INVALID_ENCODING", "MALFORMED_CSV", "MISSING_COLUMN", "NO_ROWS"]


def burst(tmp_path: Path, bad: dict[int, bytes]) -> list[Path]:
    files = []
    for n in range(FILES):
        path = tmp_path / f"store-{n:02d}.csv"
        if n in bad:
            path.write_bytes(bad[n])
        else:
            rows = [[f"{n}-{i}", f"review {i} of store {n}: fits well, love it"] for i in range(5)]
            write_csv(path, ["id", "review_body"], rows)
        files.append(path)
    return files


@pytest.fixture
def source_reads() -> Iterator[Counter[str]]:
    """The GetObject requests StartScoring sends for each upload under incoming/ (counted by a
    botocore hook on the session its clients are made from, as they are made)."""
    reads: Counter[str] = Counter()

    def count(params: dict[str, Any], **_: Any) -> None:
        key = params.get("Key", "")
        if lambda_invoke.running_function == START_SCORING and key.startswith("incoming/"):
            reads[key] += 1

    events = boto3._get_default_session().events
    events.register("before-parameter-build.s3.GetObject", count)
    yield reads
    events.unregister("before-parameter-build.s3.GetObject", count)


def dead_letters(stack: LocalModeStack) -> int:
    sqs = stack.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=stack.queues.intake_dead_letters,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(v) for v in attributes.values())


@pytest.mark.slow
@pytest.mark.parametrize(
    "stack_config", [batch_config(transform_instance_quota=1, job_max_files=1)]
)
def test_forty_files_at_once_under_a_quota_of_one_each_get_one_success(
    stack: LocalModeStack, tmp_path: Path, source_reads: Counter[str]
) -> None:
    # Given 40 files dropped at once and an account that may run one transform instance
    flow = LocalFlow(stack)
    # When the local flow runs until quiet
    results = flow.run_files(burst(tmp_path, {}), tmp_path / "out")
    # Then every file has exactly one message, SUCCEEDED, and nothing is left waiting or dead
    assert [len(r.notifications) for r in results] == [1] * FILES
    assert all(r.summary and r.summary["status"] == "SUCCEEDED" for r in results)
    assert flow.intake.waiting == 0 and dead_letters(stack) == 0
    # and files really waited: never more than one job ran at once, so most waited their turn
    assert stack.sagemaker is not None and len(stack.sagemaker.jobs) == FILES
    # and StartScoring read each file from S3 once, however often its message came back
    assert sorted(source_reads.values()) == [1] * FILES


@pytest.mark.slow
@pytest.mark.parametrize("stack_config", [batch_config(transform_instance_quota=1)])
def test_bad_files_in_a_burst_are_refused_and_the_rest_scored(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given 40 files dropped at once, 5 of them bad, under a quota of one instance
    flow = LocalFlow(stack)
    results = flow.run_files(burst(tmp_path, BAD), tmp_path / "out")
    # Then 35 SUCCEEDED and the 5 bad ones FAILED with their codes, one message each
    statuses = Counter(r.summary["status"] for r in results if r.summary)
    assert statuses == {"SUCCEEDED": FILES - len(BAD), "FAILED": len(BAD)}
    codes = sorted(r.summary["error"]["code"] for r in results if r.summary and r.summary["error"])
    assert codes == BAD_CODES
    assert [len(r.notifications) for r in results] == [1] * FILES
    assert dead_letters(stack) == 0


@pytest.mark.parametrize("stack_config", [batch_config(transform_instance_quota=0)])
def test_with_a_quota_of_zero_every_file_fails_with_no_transform_capacity(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    results = LocalFlow(stack).run_files(burst(tmp_path, {})[:3], tmp_path / "out")
    assert [r.summary and r.summary["error"]["code"] for r in results] == [
        "NO_TRANSFORM_CAPACITY"
    ] * 3
    assert dead_letters(stack) == 0
