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
from review_scorer_local.sagemaker_endpoint import Runner, SageMakerEmulator
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.transform_runner import S3Location, run_job

START_SCORING = "StartScoringFunction"
PUBLISH_RESULTS = "PublishResultsFunction"


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

    @property
    def failed_invocations(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.invocation.error]

    @property
    def ok(self) -> bool:
        summary = self.summary
        return bool(summary and summary["status"] == "SUCCEEDED" and not self.failed_invocations)


class LocalFlow:
    """Uploads files and pumps the stack's queues into the handlers until all is quiet.

    What AWS would do next, one public step each; :meth:`drain` repeats them until none has
    anything left to do:

    1. :meth:`deliver_uploads`: the S3 events waiting in the uploads queue go to StartScoring
       (the S3 trigger);
    2. :meth:`run_pending_jobs`: the transform jobs StartScoring started run, as SageMaker runs
       them, and each sends its job-state-change event;
    3. :meth:`deliver_job_events`: those events go to PublishResults (the EventBridge rule).

    Each step takes every message waiting at that point, not only the first: the order within a
    step is the queue's, and a test that wants one file at a time uploads one file at a time.
    A step with nothing to do returns an empty list. Each delivery step sets the functions'
    environment (:meth:`LocalModeStack.function_environment`) first, as a deployed function
    has it, so the steps can be called alone, in any order.
    """

    def __init__(self, stack: LocalModeStack, job_runner: Runner | None = None) -> None:
        self.stack = stack
        self.job_runner: Runner = job_runner or self.run_job
        """What :meth:`run_pending_jobs` runs each job with, ``runner(job, model)``: by default
        :meth:`run_job`. A runner that raises fails the job with the exception's message as its
        FailureReason (a test can set one to make a job fail)."""
        self._scorers: dict[str, FastTextScorer] = {}
        self._s3 = stack.client("s3")
        self._sqs = stack.client("sqs")

    def upload(self, path: Path, key: str | None = None) -> str:
        """Put ``path`` in the bucket (under ``incoming/`` by default); S3 queues its event."""
        key = key or f"{bucket_keys.INCOMING_PREFIX}{path.name}"
        self._s3.upload_file(str(path), self.stack.config.bucket, key)
        return key

    # -- the steps ------------------------------------------------------------------------------
    def deliver_uploads(self) -> list[Delivery]:
        """Hand every pending S3 event of the uploads queue to StartScoring; the deliveries.

        S3's ``s3:TestEvent`` (sent when the notification is configured) is consumed and
        skipped: it goes to queues, never to a Lambda trigger."""
        return self._deliver(self.stack.queues.uploads, START_SCORING)

    def run_pending_jobs(self) -> list[str]:
        """Run every InProgress transform job with :attr:`job_runner` (the registered model, by
        default); returns the job names. Each job ends Completed, or Failed if the runner
        raised, and its state-change event lands in the queue :meth:`deliver_job_events` reads."""
        return self._sagemaker.run_pending(self.job_runner)

    def deliver_job_events(self) -> list[Delivery]:
        """Hand every pending transform-job state-change event to PublishResults; the
        deliveries."""
        return self._deliver(self.stack.queues.transform_events, PUBLISH_RESULTS)

    def drain(self) -> list[Delivery]:
        """Deliver every pending event and run every pending job, until nothing is left."""
        deliveries: list[Delivery] = []
        while True:
            batch = self.deliver_uploads()
            ran = self.run_pending_jobs()
            batch += self.deliver_job_events()
            deliveries += batch
            if not batch and not ran:
                return deliveries

    # -- what the steps use -----------------------------------------------------------------------
    def run_job(self, job: dict[str, Any], model: dict[str, Any]) -> None:
        """Run one transform job (a DescribeTransformJob shape) with ``model`` (a DescribeModel
        shape) as SageMaker BlazingText batch transform does: every input file scored, each
        output written; raises :class:`TransformJobError` for what would fail the job."""
        run_job(job, self.scorer(model["PrimaryContainer"]["ModelDataUrl"]), self._s3)

    def scorer(self, model_data_url: str) -> FastTextScorer:
        """The scorer of the ``model.tar.gz`` at ``model_data_url`` (an S3 URI), loaded once."""
        if model_data_url not in self._scorers:
            where = S3Location.parse(model_data_url)
            with tempfile.TemporaryDirectory(prefix="review-scorer-model-") as tmp:
                archive = Path(tmp) / "model.tar.gz"
                self._s3.download_file(where.bucket, where.key, str(archive))
                self._scorers[model_data_url] = FastTextScorer.from_archive(
                    archive, where=model_data_url
                )
        return self._scorers[model_data_url]

    def notifications(self) -> list[Notification]:
        """Every SNS message published since the last call, in order (they are consumed)."""
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

    @property
    def _sagemaker(self) -> SageMakerEmulator:
        if self.stack.sagemaker is None:
            raise RuntimeError("the local stack is not running (use it as a context manager)")
        return self.stack.sagemaker

    def _deliver(self, queue: str, function: str) -> list[Delivery]:
        os.environ.update(self.stack.function_environment())
        handler = (start_scoring if function == START_SCORING else publish_results).lambda_handler
        return [
            Delivery(function, event, invoke_async(handler, event, function))
            for event in self._receive(queue)
            if "Records" in event or "detail" in event  # S3's s3:TestEvent: no Lambda trigger
        ]

    def _receive(self, queue: str) -> Iterator[dict[str, Any]]:
        while True:
            messages = self._sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            if not messages.get("Messages"):
                return
            for message in messages["Messages"]:
                self._sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                yield json.loads(message["Body"])
