"""What local mode tells about a file: the deliveries that concerned it, its SNS messages, and
where its labeled CSV was saved."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from review_scorer_local.lambda_invoke import AsyncInvocation
from review_scorer_local.transform_inputs import S3Location


@dataclass
class Delivery:
    """One event handed to a function (``START_SCORING`` or ``PUBLISH_RESULTS``) and how the
    asynchronous invocation went."""

    function: str
    event: dict[str, Any]
    invocation: AsyncInvocation


@dataclass
class Notification:
    """One SNS message as a subscriber receives it."""

    subject: str
    body: dict[str, Any]
    attributes: dict[str, str]


@dataclass
class FileResult:
    path: Path
    key: str
    notifications: list[Notification] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    labeled_csv: Path | None = None

    @property
    def summary(self) -> dict[str, Any] | None:
        return self.notifications[-1].body if self.notifications else None

    def concerns(self, delivery: Delivery) -> bool:
        """Was ``delivery`` about this file: its upload event, or its job's event?"""
        if "detail" in delivery.event:
            job = self.summary.get("job") if self.summary else None
            return bool(job) and delivery.event["detail"].get("TransformJobName") == job
        return any(  # S3 URL-encodes the key in its event records
            # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)
            unquote_plus(upload["s3"]["object"]["key"]) == self.key
            for record in delivery.event.get("Records", [])
            for upload in json.loads(record.get("body", "{}")).get("Records", [])
        )

    @property
    def failed_invocations(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.invocation.error]

    @property
    def ok(self) -> bool:
        summary = self.summary
        return bool(summary and summary["status"] == "SUCCEEDED" and not self.failed_invocations)


def download(s3: Any, uri: str, out_dir: Path) -> Path:
    """Copy the object at ``uri`` (an S3 URI, a labeled CSV) into ``out_dir`` under its own
    name; the copy."""
    target = S3Location.parse(uri)
    local = out_dir / Path(target.key).name
    out_dir.mkdir(parents=True, exist_ok=True)
    # one streamed GET: moto answers download_file's ranged GETs slowly for big objects
    body = s3.get_object(Bucket=target.bucket, Key=target.key)["Body"]
    with local.open("wb") as out:
        shutil.copyfileobj(body, out, 1024 * 1024)
    return local
