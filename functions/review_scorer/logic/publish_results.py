"""What PublishResults does when a transform job of this app ends: one outcome per file.

A job may score several files (:mod:`review_scorer.transform.batch`): each gets its own labeled
CSV, summary and message, under its own claim. A failed job still uploads the outputs of the
input objects it processed whole (TransformOutput,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html): a file whose
every shard has its output is SUCCEEDED; the others FAILED with the job's reason.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from review_scorer import bucket_keys
from review_scorer.aws import s3, sagemaker
from review_scorer.errors import ScoringError, TransformJobFailedError, TransformJobStoppedError
from review_scorer.invocation import Invocation
from review_scorer.observability import count, logger
from review_scorer.outcome.announce import announce
from review_scorer.outcome.claims import is_taken
from review_scorer.outcome.summary import Summary, failed, succeeded
from review_scorer.results.labeled_file import outputs_complete, read_predictions, write_labeled
from review_scorer.settings import Settings
from review_scorer.transform import jobs
from review_scorer.transform.batch import JobFiles
from review_scorer.transform.manifest import Manifest

REASON_MAX = 300
# A failure reason may quote the record that failed: keep only what comes before any quote,
# brace or line break, so no review text can reach a message.
_QUOTED = re.compile(r"[\"'{\[\n\r].*", re.DOTALL)


def handle_job(job_name: str, settings: Settings, invocation: Invocation) -> list[Summary]:
    """Finish one job, with DescribeTransformJob as the truth (events can be stale or repeated).

    Returns the summaries published, one per file not announced before (none: nothing to do).
    """
    logger.set_correlation_id(job_name)
    logger.append_keys(job=job_name)
    job = sagemaker.describe_transform_job(job_name)
    if job is None:
        logger.warning("no such transform job; event ignored")
        return []
    status = job["TransformJobStatus"]
    if status not in jobs.TERMINAL_JOB_STATES:
        logger.info("transform job not finished; event ignored", job_status=status)
        return []
    bucket = settings.bucket_name
    files = JobFiles.model_validate(s3.read_json(bucket, bucket_keys.job_files_key(job_name)))
    published = []
    for file in files.files:
        logger.append_keys(job=file, transform_job=job_name)
        if is_taken(bucket, file, invocation.request_id):
            logger.info("outcome published or in hand elsewhere; duplicate event ignored")
            continue
        manifest = Manifest.model_validate(s3.read_json(bucket, bucket_keys.manifest_key(file)))
        summary = _outcome(job, manifest, bucket)
        sent = announce(
            summary,
            bucket=bucket,
            job=file,
            summary_key=bucket_keys.summary_key(manifest.name),
            topic_arn=settings.topic_arn,
            invocation=invocation,
        )
        if sent:
            published.append(summary)
    if published:
        _job_duration(job)
    return published


def failure_reason(reason: object) -> str:
    text = _QUOTED.sub("", str(reason or "")).strip() or "no reason given"
    return text[:REASON_MAX]


def _outcome(job: dict[str, Any], manifest: Manifest, bucket: str) -> Summary:
    name = job["TransformJobName"]
    context = {
        "job": name,
        "scored_by": "batch-transform",
        "model": job.get("ModelName"),
        "rows": manifest.rows,
    }
    status = job["TransformJobStatus"]
    if status == "Failed" and not outputs_complete(bucket, manifest, name):
        reason = failure_reason(job.get("FailureReason"))
        error: ScoringError = TransformJobFailedError(f"the transform job failed: {reason}")
        return failed(manifest.source.uri, error, **context)
    if status == "Stopped":
        error = TransformJobStoppedError("the transform job was stopped before it finished")
        return failed(manifest.source.uri, error, **context)
    try:
        written = write_labeled(manifest, read_predictions(bucket, manifest, name))
        return succeeded(manifest, written, job=name)
    except ScoringError as exc:
        logger.warning("results refused", error_code=exc.code)
        return failed(manifest.source.uri, exc, **context)


def _job_duration(job: dict[str, Any]) -> None:
    start, end = job.get("TransformStartTime"), job.get("TransformEndTime")
    if isinstance(start, datetime) and isinstance(end, datetime):
        count("JobDurationSeconds", (end - start).total_seconds(), MetricUnit.Seconds)
