"""Driving files through the local stack, event by event, as AWS would deliver them."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from review_scorer import bucket_keys
from review_scorer.handlers import publish_results, start_scoring
from review_scorer.model.scorer import FastTextScorer
from review_scorer_local.lambda_invoke import AsyncInvocation, invoke_async
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.transform_runner import S3Location, run_job


@dataclass
class Delivery:
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

    @property
    def failed_invocations(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.invocation.error]

    @property
    def ok(self) -> bool:
        summary = self.summary
        return bool(summary and summary["status"] == "SUCCEEDED" and not self.failed_invocations)


class LocalFlow:
    """Uploads files and pumps the stack's queues into the handlers until all is quiet."""

    def __init__(self, stack: LocalModeStack) -> None:
        self.stack = stack
        self._scorers: dict[str, FastTextScorer] = {}
        self._s3 = stack.client("s3")
        self._sqs = stack.client("sqs")

    def upload(self, path: Path, key: str | None = None) -> str:
        key = key or f"{bucket_keys.INCOMING_PREFIX}{path.name}"
        self._s3.upload_file(str(path), self.stack.config.bucket, key)
        return key

    def drain(self) -> list[Delivery]:
        """Deliver every pending event and run every pending job, until nothing is left."""
        os.environ.update(self.stack.function_environment())
        deliveries: list[Delivery] = []
        while True:
            batch = [*self._deliver(self.stack.queues.uploads, "StartScoringFunction")]
            assert self.stack.sagemaker is not None
            ran = self.stack.sagemaker.run_pending(self._run_job)
            batch += self._deliver(self.stack.queues.transform_events, "PublishResultsFunction")
            deliveries += batch
            if not batch and not ran:
                return deliveries

    def notifications(self) -> list[Notification]:
        found = []
        for body in self._receive(self.stack.queues.notifications):
            attributes = {k: v["Value"] for k, v in body.get("MessageAttributes", {}).items()}
            found.append(
                Notification(body.get("Subject", ""), json.loads(body["Message"]), attributes)
            )
        return found

    def run_file(self, path: Path, out_dir: Path) -> FileResult:
        """One file through the whole flow; the labeled CSV is copied into ``out_dir``."""
        result = FileResult(path=path, key=self.upload(path))
        result.deliveries = self.drain()
        result.notifications = self.notifications()
        summary = result.summary
        if summary and summary.get("results"):
            target = S3Location.parse(summary["results"])
            local = out_dir / Path(target.key).name
            out_dir.mkdir(parents=True, exist_ok=True)
            # one streamed GET: moto answers download_file's ranged GETs slowly for big objects
            body = self._s3.get_object(Bucket=target.bucket, Key=target.key)["Body"]
            with local.open("wb") as out:
                shutil.copyfileobj(body, out, 1024 * 1024)
            result.labeled_csv = local
        return result

    def _deliver(self, queue: str, function: str) -> Iterator[Delivery]:
        handler = (
            start_scoring if function.startswith("Start") else publish_results
        ).lambda_handler
        for event in self._receive(queue):
            if "Records" not in event and "detail" not in event:
                continue  # S3's s3:TestEvent goes to queues, never to a Lambda trigger
            yield Delivery(function, event, invoke_async(handler, event, function))

    def _receive(self, queue: str) -> Iterator[dict[str, Any]]:
        while True:
            messages = self._sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            if not messages.get("Messages"):
                return
            for message in messages["Messages"]:
                self._sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                yield json.loads(message["Body"])

    def _run_job(self, job: dict[str, Any], model: dict[str, Any]) -> None:
        run_job(job, self._scorer(model["PrimaryContainer"]["ModelDataUrl"]), self._s3)

    def _scorer(self, model_data_url: str) -> FastTextScorer:
        if model_data_url not in self._scorers:
            where = S3Location.parse(model_data_url)
            with tempfile.TemporaryDirectory(prefix="review-scorer-model-") as tmp:
                archive = Path(tmp) / "model.tar.gz"
                self._s3.download_file(where.bucket, where.key, str(archive))
                self._scorers[model_data_url] = FastTextScorer.from_archive(
                    archive, where=model_data_url
                )
        return self._scorers[model_data_url]
