"""PublishResults can be trusted: one message per file through duplicates, races, lost events,
failures on the way; top-k and label names; no review text anywhere."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from review_scorer import bucket_keys
from review_scorer.aws import clients
from review_scorer.handlers import publish_results, sweep
from review_scorer.logic.publish_results import failure_reason
from review_scorer.model.scorer import FastTextScorer
from review_scorer.observability import logger
from review_scorer.tokenizer import tokenize
from review_scorer_local.flow import LocalFlow
from review_scorer_local.lambda_invoke import LocalContext, invoke_async
from review_scorer_local.stack import LocalModeStack
from tests.conftest import batch_config, load_event, read_csv, write_csv
from tests.functional.helpers import (
    event_for,
    keys,
    read_object,
    run_start_scoring,
    sns_messages,
    upload_for_event,
)

CSV = (
    b"id,review_body\n"
    b'1,"I love this dress, it fits perfectly"\n'
    b"2,\n"
    b"3,Very disappointed: poor quality.\n"
    b"4,it is okay but nothing special\n"
)


def finished_job(stack: LocalModeStack, body: bytes = CSV) -> str:
    """StartScoring staged ``body`` and the local SageMaker ran its job (no event delivered)."""
    run_start_scoring(stack, upload_for_event(stack, body))
    assert stack.sagemaker is not None
    (name,) = [
        n for n, j in stack.sagemaker.jobs.items() if j["TransformJobStatus"] == "InProgress"
    ]
    LocalFlow(stack).run_pending_jobs()
    stack.client("sqs").purge_queue(QueueUrl=stack.queues.transform_events)  # events "lost"
    return name


def completion_event(job: str, file: str = "transform_job_completed.json") -> dict[str, Any]:
    return event_for(file, TransformJobName=job)


def deliver(stack: LocalModeStack, event: dict[str, Any]) -> Any:
    os.environ.update(stack.function_environment())
    return invoke_async(publish_results.lambda_handler, event, "PublishResultsFunction")


def run_sweep(stack: LocalModeStack) -> Any:
    os.environ.update(stack.function_environment())
    return invoke_async(sweep.lambda_handler, load_event("scheduled_sweep.json"), "SweepFunction")


def emitted(invocation: Any, name: str) -> float:
    """The sum of one metric over the embedded-metric documents an invocation printed."""
    total = 0.0
    for document in invocation.metrics:
        values = document.get(name, 0)
        total += sum(values) if isinstance(values, list) else values
    return total


def test_two_completion_events_at_once_give_one_result_and_one_message(
    stack: LocalModeStack,
) -> None:
    # Given a finished job
    job = finished_job(stack)
    os.environ.update(stack.function_environment())
    event = completion_event(job)
    # When two invocations (two owners) get its completion event at the same moment
    owners = ("first", "second")
    start = threading.Barrier(len(owners))
    results: list[dict[str, Any]] = []

    def deliver(owner: str) -> None:
        start.wait()
        context = LocalContext("PublishResultsFunction", aws_request_id=owner)
        results.append(publish_results.lambda_handler(event, context))

    threads = [threading.Thread(target=deliver, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then both finish, one message goes out, and the claim names one of the two owners
    assert len(results) == len(owners), "an invocation raised"
    assert len(sns_messages(stack)) == 1
    claim = json.loads(read_object(stack, bucket_keys.notified_key(job)))
    assert claim["state"] == "published" and claim["owner"] in owners
    assert "results/customer reviews 2026-11.labeled.csv" in keys(stack, "results/")


def test_late_event_with_another_status_changes_nothing(stack: LocalModeStack) -> None:
    job = finished_job(stack)
    deliver(stack, completion_event(job))
    # a stale "Failed" event for the same job arrives later: DescribeTransformJob says Completed
    later = deliver(stack, completion_event(job, "transform_job_failed.json"))
    assert later.result == {"job": job, "published": {}}
    (message,) = sns_messages(stack)
    assert message["status"] == "SUCCEEDED"


def test_sweep_completes_a_job_whose_event_was_lost_and_only_once(stack: LocalModeStack) -> None:
    # Given a finished job whose EventBridge event never arrived
    job = finished_job(stack)
    assert sns_messages(stack) == []
    # When the scheduled sweep runs (twice)
    first = run_sweep(stack)
    second = run_sweep(stack)
    # Then the job was completed by the first, and one message went out
    assert first.result == {"swept": [job], "staged": [], "resent": []}
    assert second.result == {"swept": [], "staged": [], "resent": []}
    (message,) = sns_messages(stack)
    assert message["status"] == "SUCCEEDED" and message["job"] == job


def test_sweep_ignores_running_jobs_and_other_stacks_finished_jobs(stack: LocalModeStack) -> None:
    # Given this stack's job still running
    run_start_scoring(stack, upload_for_event(stack, CSV))
    assert stack.sagemaker is not None
    (own,) = stack.sagemaker.jobs.values()
    # and another stack's job, ended without an outcome, whose name contains ours ("rs-"): it
    # passes ListTransformJobs' NameContains, so only the sweep's own prefix check keeps it out
    other = "ors-other-stack-0001"
    stack.sagemaker.create_transform_job({**own, "TransformJobName": other})
    stack.sagemaker.stop_transform_job({"TransformJobName": other})
    # When the sweep runs
    swept = run_sweep(stack)
    # Then it completes neither, and does not even try the other stack's (no error, no message)
    assert swept.result == {"swept": [], "staged": [], "resent": []}
    assert emitted(swept, "SweepErrors") == 0
    assert sns_messages(stack) == []


def fail_once(client: Any, operation: str) -> None:
    """Fault injection at the botocore layer: the next call of ``operation`` fails."""
    state = {"failed": False}

    def boom(**_: Any) -> None:
        if not state["failed"]:
            state["failed"] = True
            raise ConnectionError(f"injected failure of {operation}")

    client.meta.events.register(
        f"before-call.{client.meta.service_model.service_name}.{operation}", boom
    )


def test_sns_publish_failing_once_is_retried_without_a_duplicate(stack: LocalModeStack) -> None:
    job = finished_job(stack)
    fail_once(clients.sns(), "Publish")
    invocation = deliver(stack, completion_event(job))
    assert invocation.attempts == 2 and invocation.error is None
    assert len(sns_messages(stack)) == 1


def test_result_write_failing_once_is_retried_without_a_duplicate(stack: LocalModeStack) -> None:
    job = finished_job(stack)
    fail_once(clients.s3(), "PutObject")
    invocation = deliver(stack, completion_event(job))
    assert invocation.attempts == 2
    assert len(sns_messages(stack)) == 1


def test_claim_of_a_dead_invocation_is_taken_over_once_stale(stack: LocalModeStack) -> None:
    job = finished_job(stack)
    claim = {"state": "claimed", "owner": "dead-invocation", "at": time.time()}
    key = f"staging/{job}/notified.json"
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.config.bucket, Key=key, Body=json.dumps(claim).encode())
    # a fresh claim of another invocation: the sweep leaves the job alone
    assert deliver(stack, completion_event(job)).result["published"] == {}
    # once older than any invocation can run, the claim is taken over and the outcome sent
    claim["at"] = time.time() - 3600
    s3.put_object(Bucket=stack.config.bucket, Key=key, Body=json.dumps(claim).encode())
    deliver(stack, completion_event(job))
    assert len(sns_messages(stack)) == 1


@pytest.mark.parametrize("stack_config", [batch_config(top_k=3)])
def test_top_k_adds_ranked_label_and_probability_columns(
    flow: LocalFlow, demo_model: Path, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "k.csv", ["review_body"], [["i love it"], [""], ["poor quality"]])
    result = flow.run_file(path, tmp_path / "out")
    assert result.labeled_csv is not None
    with result.labeled_csv.open(newline="") as f:
        header = next(iter(f)).strip().split(",")
    assert header == [
        "review_body",
        "predicted_label",
        "probability",
        "scoring_status",
        "label_2",
        "probability_2",
        "label_3",
        "probability_3",
    ]
    rows = read_csv(result.labeled_csv)
    scorer = FastTextScorer.from_archive(demo_model, where="demo")
    for row in (rows[0], rows[2]):
        answer = scorer.predict({"source": " ".join(tokenize(row["review_body"])), "k": 3})
        labels = [label.removeprefix("__label__") for label in answer["label"]]
        assert [row["predicted_label"], row["label_2"], row["label_3"]] == labels
        probs = [float(row[c]) for c in ("probability", "probability_2", "probability_3")]
        assert probs == sorted(probs, reverse=True)
    assert rows[1]["scoring_status"] == "empty" and rows[1]["label_3"] == ""


@pytest.mark.parametrize(
    "stack_config", [batch_config(label_names="-1=negative, 0=neutral, 1=positive")]
)
def test_label_names_apply_to_the_result_and_the_summary(flow: LocalFlow, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "n.csv", ["review_body"], [["i love it"], ["poor quality"]])
    result = flow.run_file(path, tmp_path / "out")
    assert result.labeled_csv is not None
    assert [r["predicted_label"] for r in read_csv(result.labeled_csv)] == ["positive", "negative"]
    assert result.summary is not None
    assert result.summary["labels"] == {"positive": 1, "negative": 1}


def test_failure_reason_is_cut_before_any_quoted_text() -> None:
    reason = 'ClientError: Unable to parse record "I hated the zipper" (line 3)'
    assert failure_reason(reason) == "ClientError: Unable to parse record"
    assert failure_reason('AlgorithmError: {"source": "secret words"}') == "AlgorithmError:"
    assert failure_reason(None) == "no reason given"
    assert len(failure_reason("x" * 5000)) == 300


def test_no_review_text_in_any_log_line_or_message(
    flow: LocalFlow, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # Every log line, formatted exactly as CloudWatch would receive it
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    # Given reviews with words found nowhere else, one good file and one whose job fails with
    # a reason that quotes a review
    secret = ["zebracorn velvet", "quokka seams", "marzipan hem"]
    good = write_csv(tmp_path / "good.csv", ["review_body"], [[s] for s in secret])
    flow.run_file(good, tmp_path / "out")
    bad = write_csv(tmp_path / "bad.csv", ["review_body"], [[s + " again"] for s in secret])

    def crash(job: dict[str, Any], model: dict[str, Any]) -> None:
        raise RuntimeError(f'ClientError: bad record "{secret[0]}"')

    flow.job_runner = crash
    flow.upload(bad)
    deliveries = flow.drain()
    # When everything logged and published is collected
    captured = capfd.readouterr()
    messages = [json.dumps(m) for m in sns_messages(flow.stack)]
    documents = [
        read_object(flow.stack, k).decode()
        for k in keys(flow.stack, "results/")
        if k.endswith(".summary.json")
    ]
    metrics = [json.dumps(m) for d in deliveries for m in d.invocation.metrics]
    # Then no review word appears in any of it (the labeled CSV itself holds the reviews)
    logger.removeHandler(handler)  # type: ignore[attr-defined]  # Powertools forwards to logging
    everything = "\n".join(
        [logs.getvalue(), captured.out, captured.err, *messages, *documents, *metrics]
    )
    assert '"message":"outcome published"' in logs.getvalue()  # the logs were captured
    assert "TRANSFORM_JOB_FAILED" in everything
    for word in ("zebracorn", "quokka", "marzipan"):
        assert word not in everything


def staged_then_replaced(stack: LocalModeStack) -> tuple[str, str, str]:
    """StartScoring staged CSV (version 1), its job ran, then a different file was uploaded at
    the same key before PublishResults: the job, the key and version 1's id."""
    event = upload_for_event(stack, CSV)
    run_start_scoring(stack, event)
    obj = event["Records"][0]["s3"]["object"]
    key, version = unquote_plus(obj["key"]), obj["versionId"]
    replacement = b"id,review_body\n9,a different file\n8,with other rows\n7,three of them\n"
    stack.client("s3").put_object(Bucket=stack.config.bucket, Key=key, Body=replacement)
    assert stack.sagemaker is not None
    (job,) = stack.sagemaker.pending()
    LocalFlow(stack).run_pending_jobs()
    return job, key, version


def test_a_source_replaced_after_staging_is_joined_from_the_staged_version(
    stack: LocalModeStack,
) -> None:
    # Given a file staged as version 1 and overwritten with other rows before its job ended
    job, key, _ = staged_then_replaced(stack)
    assert read_object(stack, key).startswith(b"id,review_body\n9,a different file")
    # When PublishResults completes the job
    deliver(stack, completion_event(job))
    # Then the labeled file holds version 1's rows (the manifest pins the version), not the new
    (message,) = sns_messages(stack)
    assert message["status"] == "SUCCEEDED"
    labeled_key = message["results"].removeprefix(f"s3://{stack.config.bucket}/")
    labeled = list(csv.DictReader(io.StringIO(read_object(stack, labeled_key).decode())))
    assert [row["id"] for row in labeled] == ["1", "2", "3", "4"]
    assert labeled[0]["review_body"] == "I love this dress, it fits perfectly"
    assert message["rows"]["total"] == 4


def test_a_staged_version_deleted_before_the_join_fails_as_source_changed(
    stack: LocalModeStack,
) -> None:
    # Given a file staged as version 1, overwritten, and version 1 itself deleted
    job, key, version = staged_then_replaced(stack)
    stack.client("s3").delete_object(Bucket=stack.config.bucket, Key=key, VersionId=version)
    # When PublishResults completes the job
    invocation = deliver(stack, completion_event(job))
    # Then one FAILED message says the source changed, and no labeled file was written
    assert invocation.error is None
    (message,) = sns_messages(stack)
    assert message["status"] == "FAILED"
    assert message["error"]["code"] == "SOURCE_CHANGED"
    assert "upload it again" in message["error"]["message"]
    assert not [k for k in keys(stack, "results/") if k.endswith(".labeled.csv")]
