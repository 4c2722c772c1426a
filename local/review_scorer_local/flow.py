"""Driving files through the local stack, event by event, as AWS would deliver them."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from review_scorer import bucket_keys
from review_scorer.handlers import publish_results, sweep
from review_scorer.model.scorer import FastTextScorer
from review_scorer_local.file_results import Delivery, FileResult, Notification, download
from review_scorer_local.intake_mapping import IntakeMapping
from review_scorer_local.lambda_invoke import invoke_async
from review_scorer_local.sagemaker_endpoint import Runner, SageMakerEmulator
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.transform_inputs import S3Location
from review_scorer_local.transform_runner import run_job

START_SCORING = "StartScoringFunction"
PUBLISH_RESULTS = "PublishResultsFunction"
SWEEP = "SweepFunction"


class LocalFlow:
    """Uploads files and pumps the stack's queues into the handlers until all is quiet.

    What AWS would do next, one public step each; :meth:`drain` repeats them until none has
    anything left to do:

    1. :meth:`deliver_uploads`: the S3 events waiting in the intake queue go to StartScoring in
       batches, as the event source mapping hands them over (:mod:`.intake_mapping`);
    2. :meth:`run_pending_jobs`: the transform jobs StartScoring started run, as SageMaker runs
       them, and each sends its job-state-change event;
    3. :meth:`deliver_job_events`: those events go to PublishResults (the EventBridge rule).

    Each step takes every message waiting then (in the queue's order) and returns what it did,
    an empty list if nothing; each sets the functions' environment first, as a deployed
    function has it, so the steps can be called alone, in any order.
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
        self.intake = IntakeMapping(
            self._sqs, stack.queues.intake, stack.queues.intake_arn, stack.config.region
        )

    def upload(self, path: Path, key: str | None = None) -> str:
        """Put ``path`` in the bucket (under ``incoming/`` by default); S3 queues its event."""
        key = key or f"{bucket_keys.INCOMING_PREFIX}{path.name}"
        self._s3.upload_file(str(path), self.stack.config.bucket, key)
        return key

    # -- the steps ------------------------------------------------------------------------------
    def deliver_uploads(self) -> list[Delivery]:
        """Hand every visible message of the intake queue to StartScoring, in batches; the
        deliveries. Messages StartScoring asks to see again later (a file waiting for
        transform capacity) stay in the queue, out of sight (see :meth:`drain`)."""
        os.environ.update(self.stack.function_environment())
        return [Delivery(START_SCORING, e, i) for e, i in self.intake.deliver()]

    def run_pending_jobs(self) -> list[str]:
        """Run every InProgress transform job with :attr:`job_runner` (the registered model, by
        default); returns the job names. Each job ends Completed, or Failed if the runner
        raised, and its state-change event lands in the queue :meth:`deliver_job_events` reads."""
        return self._sagemaker.run_pending(self.job_runner)

    def deliver_job_events(self) -> list[Delivery]:
        """Hand every pending transform-job state-change event to PublishResults; the
        deliveries."""
        return self._deliver(self.stack.queues.transform_events, PUBLISH_RESULTS)

    def run_sweep(self) -> Delivery:
        """The sweep's schedule fires: EventBridge's "Scheduled Event" goes to the Sweep
        (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html)."""
        os.environ.update(self.stack.function_environment())
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        return Delivery(SWEEP, event, invoke_async(sweep.lambda_handler, event, SWEEP))

    def drain(self) -> list[Delivery]:
        """Deliver every pending event and run every pending job, until nothing is left.

        Files waiting for capacity come back as soon as all else is quiet (local mode skips the
        wait, not the rule); if they still cannot start and nothing else moves, they are left
        waiting in the queue rather than retried forever."""
        deliveries: list[Delivery] = []
        just_released = False
        while True:
            settled = self.intake.settled
            batch = self.deliver_uploads()
            ran = self.run_pending_jobs()
            events = self.deliver_job_events()
            deliveries += batch + events
            if ran or events or self.intake.settled > settled:
                just_released = False
            elif self.intake.waiting and not just_released:
                self.intake.release_waiting()
                just_released = True
            else:
                return deliveries

    # -- what the steps use -----------------------------------------------------------------------
    def run_job(self, job: dict[str, Any], model: dict[str, Any]) -> None:
        """Run one transform job (a DescribeTransformJob shape) with ``model`` (a DescribeModel
        shape) as SageMaker BlazingText batch transform does: every input file scored, each
        output written; raises :class:`TransformJobError` for what would fail the job. Input
        objects made to fail with :meth:`SageMakerEmulator.fail_inputs` fail here."""
        scorer = self.scorer(model["PrimaryContainer"]["ModelDataUrl"])
        run_job(job, scorer, self._s3, input_fault=self._sagemaker.input_fault)

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
        """Every SNS message published since the last call, in order (they are consumed), as an
        SQS subscriber gets it (https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html)."""
        found = []
        for body in self._receive(self.stack.queues.notifications):
            attributes = {k: v["Value"] for k, v in body.get("MessageAttributes", {}).items()}
            message = json.loads(body["Message"])
            found.append(Notification(body.get("Subject", ""), message, attributes))
        return found

    def run_file(self, path: Path, out_dir: Path) -> FileResult:
        """One file through the whole flow; the labeled CSV is copied into ``out_dir``."""
        (result,) = self.run_files([path], out_dir)
        return result

    def run_files(self, paths: list[Path], out_dir: Path) -> list[FileResult]:
        """Files uploaded together, as a burst would arrive, then the whole flow until quiet;
        each file's messages (matched by its source), and labeled CSVs copied to ``out_dir``."""
        keys: list[str] = []
        for number, path in enumerate(paths):
            key = f"{bucket_keys.INCOMING_PREFIX}{path.name}"
            keys.append(
                key if key not in keys else f"{bucket_keys.INCOMING_PREFIX}{number}/{path.name}"
            )
        results = [
            FileResult(path=p, key=self.upload(p, k)) for p, k in zip(paths, keys, strict=True)
        ]
        deliveries = self.drain()
        notifications = self.notifications()
        bucket = self.stack.config.bucket
        for result in results:
            source = bucket_keys.s3_uri(bucket, result.key)
            result.notifications = [n for n in notifications if n.body.get("source") == source]
            result.deliveries = [d for d in deliveries if result.concerns(d)]
            if result.summary and result.summary.get("results"):
                result.labeled_csv = download(self._s3, result.summary["results"], out_dir)
        return results

    @property
    def _sagemaker(self) -> SageMakerEmulator:
        if self.stack.sagemaker is None:
            raise RuntimeError("the local stack is not running (use it as a context manager)")
        return self.stack.sagemaker

    def _deliver(self, queue: str, function: str) -> list[Delivery]:
        """Every event waiting in ``queue`` (the EventBridge rule's target) to PublishResults."""
        os.environ.update(self.stack.function_environment())
        handler = publish_results.lambda_handler
        return [
            Delivery(function, e, invoke_async(handler, e, function)) for e in self._receive(queue)
        ]

    def _receive(self, queue: str) -> Iterator[dict[str, Any]]:
        while True:
            messages = self._sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            if not messages.get("Messages"):
                return
            for message in messages["Messages"]:
                self._sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
                yield json.loads(message["Body"])
