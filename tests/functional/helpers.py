"""Putting the sample events in front of real objects: S3 sends the identity of the object
it saw (version id, ETag, size), so the tests upload an object and take those from it."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from review_scorer.handlers import publish_results, start_scoring
from review_scorer.observability import logger
from review_scorer_local.intake_mapping import sqs_event
from review_scorer_local.lambda_invoke import LocalContext
from review_scorer_local.stack import LocalModeStack
from tests.conftest import load_event

S3_OBJECT_FIELDS = ("key", "size", "eTag", "versionId", "sequencer")
S3_RECORD_FIELDS = ("eventTime",)
TRANSFORM_DETAIL_FIELDS = ("TransformJobName", "TransformJobStatus", "FailureReason")


def event_for(event_file: str, **replacements: Any) -> dict[str, Any]:
    """The sample ``events/<event_file>`` with documented fields replaced: the one way a test
    points a sample at what it created at run time.

    S3 events: ``key`` (URL-encoded, as S3 sends it), ``size``, ``eTag``, ``versionId``,
    ``sequencer`` of ``Records[].s3.object``; a list gives one value per record, in order;
    ``eventTime`` of every record.
    Transform job events: ``TransformJobName`` (its ARN and ``resources`` follow),
    ``TransformJobStatus``, ``FailureReason`` of ``detail``. Any other name is an error.
    """
    event = load_event(event_file)  # a fresh copy: read from the file each time
    if "Records" in event:
        objects = [record["s3"]["object"] for record in event["Records"]]
        for field, value in replacements.items():
            if field in S3_RECORD_FIELDS:
                for record in event["Records"]:
                    record[field] = value
                continue
            if field not in S3_OBJECT_FIELDS:
                raise KeyError(f"{field} is not an S3 object field of {event_file}")
            values = value if isinstance(value, list) else [value] * len(objects)
            if len(values) != len(objects):
                raise ValueError(f"{field}: {len(values)} values for {len(objects)} records")
            for obj, one in zip(objects, values, strict=True):
                obj[field] = one
        return event
    detail = event["detail"]
    for field, value in replacements.items():
        if field not in TRANSFORM_DETAIL_FIELDS or "TransformJobName" not in detail:
            raise KeyError(f"{field} is not a transform job field of {event_file}")
        detail[field] = value
    if "TransformJobName" in replacements:
        arn = detail["TransformJobArn"].rsplit("/", 1)[0] + "/" + detail["TransformJobName"]
        detail["TransformJobArn"] = arn
        event["resources"] = [arn]
    return event


def upload_for_event(
    stack: LocalModeStack,
    body: bytes,
    event_file: str = "s3_object_created.json",
    **replacements: Any,
) -> dict[str, Any]:
    """Upload ``body`` at each record's bucket and key and return the sample event describing
    those uploads (their version id, ETag and size); ``replacements`` as for ``event_for``."""
    s3 = stack.client("s3")
    puts = [
        s3.put_object(
            Bucket=record["s3"]["bucket"]["name"],
            Key=unquote_plus(record["s3"]["object"]["key"]),
            Body=body,
        )
        for record in load_event(event_file)["Records"]
    ]
    identity: dict[str, Any] = {
        "eTag": [put["ETag"].strip('"') for put in puts],
        "size": len(body),
        "eventTime": datetime.now(UTC).isoformat(),  # the upload just made
    }
    if all("VersionId" in put for put in puts):  # S3 leaves versionId out when unversioned
        identity["versionId"] = [put["VersionId"] for put in puts]
    return event_for(event_file, **{**identity, **replacements})


def context(function_name: str, request_id: str | None = None) -> LocalContext:
    """A Lambda context with its own request id, as every new invocation gets one. Pass
    ``request_id`` only to model Lambda's retry of one asynchronous event (it keeps the id)."""
    return LocalContext(function_name, aws_request_id=request_id or str(uuid.uuid4()))


def intake_event(stack: LocalModeStack, s3_event: dict[str, Any]) -> dict[str, Any]:
    """The event the intake queue's event source mapping hands StartScoring for one message
    carrying ``s3_event``: the message is really sent and received, so its receipt handle works
    (a waiting upload changes its visibility)."""
    sqs = stack.client("sqs")
    url = stack.queues.intake
    sent = sqs.send_message(QueueUrl=url, MessageBody=json.dumps(s3_event))["MessageId"]
    for _ in range(50):  # S3's own notifications of the test's uploads may come first
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        for message in answer.get("Messages", []):
            if message["MessageId"] == sent:
                return sqs_event([message], stack.queues.intake_arn, stack.config.region)
    raise AssertionError("the intake message never arrived")


@contextlib.contextmanager
def log_records(keep: Callable[[logging.LogRecord], bool]) -> Iterator[list[logging.LogRecord]]:
    """The records the app's logger writes in the block that ``keep`` accepts."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if keep(record):
                records.append(record)

    collector = Collect()
    logger.addHandler(collector)  # Powertools forwards to logging
    try:
        yield records
    finally:
        logger.removeHandler(collector)  # type: ignore[attr-defined]


@contextlib.contextmanager
def handled_uploads() -> Iterator[list[str]]:
    """What StartScoring did with each upload, as its "upload message handled" log lines say."""
    results: list[str] = []
    with log_records(lambda r: r.getMessage() == "upload message handled") as records:
        yield results
    for record in records:
        results.extend(record.__dict__["results"])


def run_start_scoring(
    stack: LocalModeStack, event: dict[str, Any], request_id: str | None = None
) -> list[str]:
    """StartScoring on one intake message carrying the S3 ``event``; what it did with each
    upload (``started``, ``duplicate``, ``refused``, ``waiting`` ...)."""
    os.environ.update(stack.function_environment())
    message = intake_event(stack, event)
    with handled_uploads() as results:
        response = start_scoring.lambda_handler(
            message, context("StartScoringFunction", request_id)
        )
    waiting = "waiting" in results
    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": r["messageId"]} for r in message["Records"] if waiting
        ]
    }
    return results


def run_publish_results(
    stack: LocalModeStack, job: str, event_file: str, request_id: str | None = None
) -> dict[str, Any]:
    event = event_for(event_file, TransformJobName=job)
    os.environ.update(stack.function_environment())
    return publish_results.lambda_handler(event, context("PublishResultsFunction", request_id))  # type: ignore[no-any-return]


def sns_messages(stack: LocalModeStack) -> list[dict[str, Any]]:
    from review_scorer_local.flow import LocalFlow

    return [
        {"subject": n.subject, "attributes": n.attributes, **n.body}
        for n in LocalFlow(stack).notifications()
    ]


def keys(stack: LocalModeStack, prefix: str) -> list[str]:
    listed = stack.client("s3").list_objects_v2(Bucket=stack.config.bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def read_object(stack: LocalModeStack, key: str) -> bytes:
    return stack.client("s3").get_object(Bucket=stack.config.bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]


SAMPLE = Path(__file__).resolve().parents[2] / "local/review_scorer_local/samples/reviews.csv"
