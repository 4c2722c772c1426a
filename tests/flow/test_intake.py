"""Every object under incoming/ gets its answer, even when its S3 event is lost.

Upper-case suffixes are scored (S3's suffix filters are case-sensitive, so the trigger has
none); anything else is refused with a message; an upload whose event never reached
StartScoring, or whose message was lost while it waited for capacity, is found by the sweep
and sent to the intake queue again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from review_scorer_local.flow import LocalFlow
from review_scorer_local.stack import LocalModeStack
from tests.conftest import batch_config, write_csv

QUOTA_FULL = (
    "The account-level service limit 'ml.m5.large for transform job usage' is 1 Instances, with "
    "current utilization of 1 Instances and a request delta of 1 Instances."
)


def reviews(path: Path) -> Path:
    return write_csv(path, ["id", "review_body"], [["1", "love it"], ["2", "too small"]])


def lose_the_intake_messages(stack: LocalModeStack) -> None:
    """What a lost S3 event, or a message gone to the dead-letter queue, leaves behind."""
    stack.client("sqs").purge_queue(QueueUrl=stack.queues.intake)


def test_an_upper_case_csv_is_scored(flow: LocalFlow, tmp_path: Path) -> None:
    (result,) = flow.run_files([reviews(tmp_path / "REVIEWS.CSV")], tmp_path / "out")
    assert result.summary and result.summary["status"] == "SUCCEEDED"
    assert result.summary["results"].endswith("results/REVIEWS.labeled.csv")


def test_a_file_that_is_not_a_csv_is_refused_with_a_message(
    flow: LocalFlow, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not reviews\n", encoding="utf-8")
    (result,) = flow.run_files([notes], tmp_path / "out")
    assert result.summary and result.summary["status"] == "FAILED"
    assert result.summary["error"]["code"] == "UNSUPPORTED_FILE_TYPE"
    assert "notes.txt is not a .csv or .csv.gz file" in result.summary["error"]["message"]


@pytest.mark.parametrize("stack_config", [batch_config(reconcile_after_seconds=0)])
def test_an_upload_whose_event_was_lost_is_sent_again_by_the_sweep(
    stack: LocalModeStack, flow: LocalFlow, tmp_path: Path
) -> None:
    # Given an upload whose event never reached StartScoring
    key = flow.upload(reviews(tmp_path / "lost.csv"))
    lose_the_intake_messages(stack)
    assert flow.drain() == [] and flow.notifications() == []
    # When the sweep runs, Then it sends the upload to the intake queue again
    sweep = flow.run_sweep()
    assert sweep.invocation.result == {"swept": [], "staged": [], "resent": [key]}
    # and the flow scores it, with one message
    flow.drain()
    (note,) = flow.notifications()
    assert note.body["status"] == "SUCCEEDED" and note.body["source"].endswith(key)
    # and a second sweep finds nothing left to do
    assert flow.run_sweep().invocation.result == {"swept": [], "staged": [], "resent": []}


@pytest.mark.parametrize("stack_config", [batch_config(reconcile_after_seconds=0)])
def test_a_staged_upload_whose_message_was_lost_is_started_without_staging_again(
    stack: LocalModeStack, flow: LocalFlow, tmp_path: Path
) -> None:
    # Given an upload that was staged and then waited for capacity, and whose message was lost
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ResourceLimitExceeded", QUOTA_FULL)
    key = flow.upload(reviews(tmp_path / "waited.csv"))
    flow.deliver_uploads()
    assert flow.intake.waiting == 1 and stack.sagemaker.jobs == {}
    lose_the_intake_messages(stack)
    # When the sweep runs, Then it finds the staged upload and sends it again
    sweep = flow.run_sweep()
    assert sweep.invocation.result == {"swept": [], "staged": [key], "resent": []}
    # and StartScoring starts its job from the staging it has: one job, one SUCCEEDED message
    flow.drain()
    (note,) = flow.notifications()
    assert note.body["status"] == "SUCCEEDED"
    assert len(stack.sagemaker.jobs) == 1
