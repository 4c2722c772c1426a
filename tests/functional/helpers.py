"""Putting the sample events in front of real objects: S3 sends the identity of the object
it saw (version id, ETag, size), so the tests upload an object and take those from it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from review_scorer.handlers import publish_results, start_scoring
from review_scorer_local.lambda_invoke import LocalContext
from review_scorer_local.stack import LocalModeStack
from tests.conftest import load_event

S3_OBJECT_FIELDS = ("key", "size", "eTag", "versionId", "sequencer")
TRANSFORM_DETAIL_FIELDS = ("TransformJobName", "TransformJobStatus", "FailureReason")


def event_for(event_file: str, **replacements: Any) -> dict[str, Any]:
    """The sample ``events/<event_file>`` with documented fields replaced: the one way a test
    points a sample at what it created at run time.

    S3 events: ``key`` (URL-encoded, as S3 sends it), ``size``, ``eTag``, ``versionId``,
    ``sequencer`` of ``Records[].s3.object``; a list gives one value per record, in order.
    Transform job events: ``TransformJobName`` (its ARN and ``resources`` follow),
    ``TransformJobStatus``, ``FailureReason`` of ``detail``. Any other name is an error.
    """
    event = load_event(event_file)  # a fresh copy: read from the file each time
    if "Records" in event:
        objects = [record["s3"]["object"] for record in event["Records"]]
        for field, value in replacements.items():
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
    }
    if all("VersionId" in put for put in puts):  # S3 leaves versionId out when unversioned
        identity["versionId"] = [put["VersionId"] for put in puts]
    return event_for(event_file, **{**identity, **replacements})


def context(function_name: str, request_id: str | None = None) -> LocalContext:
    """A Lambda context with its own request id, as every new invocation gets one. Pass
    ``request_id`` only to model Lambda's retry of one asynchronous event (it keeps the id)."""
    return LocalContext(function_name, aws_request_id=request_id or str(uuid.uuid4()))


def run_start_scoring(
    stack: LocalModeStack, event: dict[str, Any], request_id: str | None = None
) -> dict[str, Any]:
    os.environ.update(stack.function_environment())
    return start_scoring.lambda_handler(event, context("StartScoringFunction", request_id))  # type: ignore[no-any-return]


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
