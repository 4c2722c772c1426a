"""The metrics the handlers emit for each outcome, read from the embedded-metric documents they
really printed (``AsyncInvocation.metrics``), and the app's alarms held to those metrics.

The alarm test runs with the service the stack's functions run as (the local stack's
``POWERTOOLS_SERVICE_NAME``). It is not parametrised over other ``ServiceName`` values:
:mod:`review_scorer.observability` reads the service once, at import, into module-level
Metrics/Logger objects that other modules import by name, so changing it per test would mean
re-importing the whole package in the middle of the session (new exception classes, new
handlers) under the other tests. That the template gives every function the ``ServiceName``
its alarms watch is checked for several values in ``tests/contract/test_security.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from review_scorer import bucket_keys, observability
from review_scorer.handlers import publish_results, start_scoring, sweep
from review_scorer_local.flow import LocalFlow
from review_scorer_local.lambda_invoke import AsyncInvocation, invoke_async, invoke_once
from review_scorer_local.stack import LocalModeStack
from tests.conftest import batch_config, load_event
from tests.functional.helpers import event_for, intake_event, sns_messages, upload_for_event

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))
import cfn  # (tests/contract has no __init__.py: its modules are imported by path)

GOOD = b"id,review_body\n1,I love this dress\n2,\n3,poor quality and it ripped\n4,great fit\n"
REFUSED = b"id,review_body\n1,caf\xe9\n"  # cp1252: INVALID_ENCODING, an InputError


class Metric(NamedTuple):
    """One metric value of an embedded-metric document, as CloudWatch files it."""

    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    value: float


def emitted(invocations: list[AsyncInvocation]) -> list[Metric]:
    """Every metric value in the documents the invocations printed: for each directive of
    ``_aws.CloudWatchMetrics``, each dimension set and each metric (the document's value,
    summed when it is a list)."""
    found = []
    for invocation in invocations:
        for document in invocation.metrics:
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for dimension_set in directive["Dimensions"]:
                    dimensions = frozenset((d, str(document[d])) for d in dimension_set)
                    for metric in directive["Metrics"]:
                        values = document[metric["Name"]]
                        value = sum(values) if isinstance(values, list) else values
                        found.append(
                            Metric(directive["Namespace"], metric["Name"], dimensions, value)
                        )
    return found


def total(metrics: list[Metric], name: str, **dimensions: str) -> float:
    """The sum of ``name`` over the values whose dimensions include ``dimensions``."""
    wanted = set(dimensions.items())
    return sum(m.value for m in metrics if m.name == name and wanted <= m.dimensions)


def start(stack: LocalModeStack, body: bytes) -> tuple[AsyncInvocation, list[str]]:
    """StartScoring on an upload of ``body``, invoked as the intake queue's event source mapping
    does; the invocation and the transform jobs it started."""
    assert stack.sagemaker is not None
    before = set(stack.sagemaker.jobs)
    event = intake_event(stack, upload_for_event(stack, body))
    os.environ.update(stack.function_environment())
    invocation = invoke_once(start_scoring.lambda_handler, event, "StartScoringFunction")
    assert invocation.error is None, invocation.error
    return invocation, [name for name in stack.sagemaker.jobs if name not in before]


def publish(stack: LocalModeStack, job: str) -> AsyncInvocation:
    """PublishResults on the job's state-change event (it trusts DescribeTransformJob)."""
    event = event_for("transform_job_completed.json", TransformJobName=job)
    os.environ.update(stack.function_environment())
    invocation = invoke_async(publish_results.lambda_handler, event, "PublishResultsFunction")
    assert invocation.error is None, invocation.error
    return invocation


def run_sweep(stack: LocalModeStack) -> AsyncInvocation:
    os.environ.update(stack.function_environment())
    return invoke_async(sweep.lambda_handler, load_event("scheduled_sweep.json"), "SweepFunction")


def fail_job(job: dict[str, Any], model: dict[str, Any]) -> None:
    raise RuntimeError("ClientError: See job logs for more information")


def outcome_counts(metrics: list[Metric]) -> dict[str, float]:
    return {name: total(metrics, name) for name in ("FilesScored", "FilesRefused", "FilesFailed")}


# --- one outcome, its metrics -------------------------------------------------------------------


def test_a_scored_file_counts_files_scored_its_rows_and_its_rows_per_label(
    stack: LocalModeStack,
) -> None:
    # Given a file with three reviews and one empty review, staged and scored by its job
    started, (job,) = start(stack, GOOD)
    LocalFlow(stack).run_pending_jobs()
    # When PublishResults completes the job
    published = publish(stack, job)
    # Then the file is counted once as scored, its rows by fate, and each label's rows under a
    # "label" dimension, exactly as the summary tells them
    (message,) = sns_messages(stack)
    assert message["status"] == "SUCCEEDED"
    metrics = emitted([started, published])
    assert outcome_counts(metrics) == {"FilesScored": 1, "FilesRefused": 0, "FilesFailed": 0}
    assert total(metrics, "RowsScored") == message["rows"]["scored"] == 3
    assert total(metrics, "RowsEmpty") == message["rows"]["empty"] == 1
    service = observability.SERVICE
    per_label = {
        dict(m.dimensions)["label"]: m.value
        for m in metrics
        if m.name == "LabelRows" and m.namespace == "ReviewScorer"
    }
    assert per_label == message["labels"] and sum(per_label.values()) == 3
    for m in metrics:
        if m.name == "LabelRows":
            assert dict(m.dimensions) == {"service": service, "label": dict(m.dimensions)["label"]}


@pytest.mark.parametrize("stack_config", [batch_config(review_threshold="0.9999")])
def test_rows_marked_for_review_are_counted_as_the_summary_counts_them(
    stack: LocalModeStack,
) -> None:
    # Given a stack that marks every row scored below 0.9999, and a file scored by its job
    started, (job,) = start(stack, GOOD)
    LocalFlow(stack).run_pending_jobs()
    published = publish(stack, job)
    # Then RowsNeedReview is the summary's rows.needs_review
    (message,) = sns_messages(stack)
    assert message["review_threshold"] == 0.9999 and message["rows"]["needs_review"] >= 1
    metrics = emitted([started, published])
    assert total(metrics, "RowsNeedReview") == message["rows"]["needs_review"]


def test_no_review_threshold_emits_no_rows_need_review(stack: LocalModeStack) -> None:
    started, (job,) = start(stack, GOOD)
    LocalFlow(stack).run_pending_jobs()
    metrics = emitted([started, publish(stack, job)])
    assert [m for m in metrics if m.name == "RowsNeedReview"] == []


def test_a_refused_file_counts_files_refused_and_nothing_scored(stack: LocalModeStack) -> None:
    # Given an upload in cp1252, When StartScoring reads it
    refused, jobs = start(stack, REFUSED)
    # Then it is refused (no job), and counted once as refused, never as failed or scored
    assert jobs == []
    (message,) = sns_messages(stack)
    assert message["error"]["code"] == "INVALID_ENCODING"
    metrics = emitted([refused])
    assert outcome_counts(metrics) == {"FilesScored": 0, "FilesRefused": 1, "FilesFailed": 0}
    assert total(metrics, "RowsScored") == 0 and total(metrics, "LabelRows") == 0


def test_a_failed_job_counts_files_failed_and_nothing_scored(stack: LocalModeStack) -> None:
    # Given a staged file whose transform job fails
    started, (job,) = start(stack, GOOD)
    assert stack.sagemaker is not None
    stack.sagemaker.run_pending(fail_job)
    # When PublishResults completes the job
    published = publish(stack, job)
    # Then the file is counted once as failed (the file was fine: not refused)
    (message,) = sns_messages(stack)
    assert message["error"]["code"] == "TRANSFORM_JOB_FAILED"
    metrics = emitted([started, published])
    assert outcome_counts(metrics) == {"FilesScored": 0, "FilesRefused": 0, "FilesFailed": 1}
    assert total(metrics, "LabelRows") == 0


# --- the alarms ---------------------------------------------------------------------------------


def app_alarms(service: str) -> dict[str, tuple[str, str, frozenset[tuple[str, str]]]]:
    """The template's alarms on the app's own metrics (not AWS/...), resolved for a stack whose
    ServiceName is ``service``: alarm -> (namespace, metric name, dimensions)."""
    template = cfn.load_template(cfn.TEMPLATE)
    values = cfn.stack(template, {"ModelName": "reviews-sentiment-v3", "ServiceName": service})
    alarms: dict[str, tuple[str, str, frozenset[tuple[str, str]]]] = {}
    for name, resource in cfn.resources_of_type(template, "AWS::CloudWatch::Alarm").items():
        if "Condition" in resource and not cfn.condition(values, resource["Condition"]):
            continue
        alarm = cfn.resolve(resource["Properties"], values)
        if alarm["Namespace"].startswith("AWS/"):
            continue
        dimensions = frozenset((d["Name"], str(d["Value"])) for d in alarm["Dimensions"])
        alarms[name] = (alarm["Namespace"], alarm["MetricName"], dimensions)
    return alarms


@pytest.mark.parametrize("stack_config", [batch_config(job_retry_seconds=0.01)])
def test_app_metric_alarms_watch_the_metrics_the_code_emits(stack: LocalModeStack) -> None:
    assert stack.sagemaker is not None
    # Given the service the stack's functions run as (what the code read at import)
    service = os.environ["POWERTOOLS_SERVICE_NAME"]
    assert service == observability.SERVICE
    # When a refused file, a failed job and a sweep that cannot complete a job go through the
    # handlers: the refusal ...
    refused, _ = start(stack, REFUSED)
    # ... a job that fails, completed by PublishResults ...
    failing, (failed_job,) = start(stack, GOOD)
    stack.sagemaker.run_pending(fail_job)
    failed = publish(stack, failed_job)
    # ... and a finished job of this stack whose event was lost and whose manifest is gone
    lost, (lost_job,) = start(stack, GOOD + b"5,one more\n")
    stack.sagemaker.stop_transform_job({"TransformJobName": lost_job})
    stack.client("s3").delete_object(
        Bucket=stack.config.bucket, Key=bucket_keys.manifest_key(lost_job)
    )
    swept = run_sweep(stack)
    assert swept.error is None and swept.result == {"swept": [], "staged": [], "resent": []}
    # ... and an upload whose handling raises (SageMaker unavailable through every retry)
    stack.sagemaker.inject("CreateTransformJob", "ServiceUnavailable", "try later", times=50)
    broken, _ = start(stack, GOOD + b"6,and another\n")
    metrics = emitted([refused, failing, failed, lost, swept, broken])
    assert outcome_counts(metrics) == {"FilesScored": 0, "FilesRefused": 1, "FilesFailed": 1}
    assert total(metrics, "SweepErrors") == 1
    assert total(metrics, "UploadErrors") == 1
    # Then every alarm on the app's metrics watches a metric (namespace, name and its exact
    # dimensions: CloudWatch matches the whole set) that the code really emitted
    watched = app_alarms(service)
    seen = {(m.namespace, m.name, m.dimensions) for m in metrics if m.value > 0}
    for alarm, key in watched.items():
        assert key in seen, f"{alarm} watches {key}, which no handler emitted: {sorted(seen)}"
    # (and the scenario covered every app alarm there is: none was left out of the check)
    assert sorted(metric for _, metric, _ in watched.values()) == [
        "FilesFailed",
        "FilesRefused",
        "SweepErrors",
        "UploadErrors",
    ]
