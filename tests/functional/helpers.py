"""Putting the sample events in front of real objects: S3 sends the identity of the object
it saw (version id, ETag, size), so the tests upload an object and take those from it."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from review_scorer.handlers import publish_results, start_scoring
from review_scorer_local.lambda_invoke import LocalContext
from review_scorer_local.stack import LocalModeStack
from tests.conftest import load_event


def upload_for_event(
    stack: LocalModeStack, body: bytes, event_file: str = "s3_object_created.json"
) -> dict[str, Any]:
    """Upload ``body`` at the event's key and return the event describing that upload."""
    event = copy.deepcopy(load_event(event_file))
    obj = event["Records"][0]["s3"]["object"]
    s3 = stack.client("s3")
    put = s3.put_object(Bucket=stack.config.bucket, Key=unquote_plus(obj["key"]), Body=body)
    obj.update(versionId=put["VersionId"], eTag=put["ETag"].strip('"'), size=len(body))
    return event


def run_start_scoring(stack: LocalModeStack, event: dict[str, Any]) -> dict[str, Any]:
    os.environ.update(stack.function_environment())
    return start_scoring.lambda_handler(event, LocalContext("StartScoringFunction"))  # type: ignore[no-any-return]


def run_publish_results(stack: LocalModeStack, job: str, event_file: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event(event_file))
    event["detail"]["TransformJobName"] = job
    os.environ.update(stack.function_environment())
    return publish_results.lambda_handler(event, LocalContext("PublishResultsFunction"))  # type: ignore[no-any-return]


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
