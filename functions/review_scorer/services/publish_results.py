"""What PublishResults does when a transform job of this app changes state."""

from __future__ import annotations

from typing import Any

from review_scorer import layout
from review_scorer.aws import s3, sagemaker
from review_scorer.errors import ScoringError, TransformJobFailedError, TransformJobStoppedError
from review_scorer.manifest import Manifest
from review_scorer.observability import logger
from review_scorer.services.completion import read_predictions, write_labeled
from review_scorer.services.notify import already_notified, announce
from review_scorer.settings import Settings
from review_scorer.summary import Summary, failed

REASON_MAX = 300


def handle_job(job_name: str, settings: Settings) -> Summary | None:
    """Finish one job, with DescribeTransformJob as the truth (events can be stale or repeated).

    Returns the published summary, or None when there is nothing (more) to do.
    """
    logger.append_keys(job=job_name)
    job = sagemaker.describe_transform_job(job_name)
    if job is None:
        logger.warning("no such transform job; event ignored")
        return None
    status = job["TransformJobStatus"]
    if status not in layout.TERMINAL_JOB_STATES:
        logger.info("transform job not finished; event ignored", job_status=status)
        return None
    bucket = settings.bucket_name
    if already_notified(bucket, job_name):
        logger.info("outcome already published; duplicate event ignored")
        return None
    manifest = Manifest.model_validate(s3.read_json(bucket, layout.manifest_key(job_name)))
    summary = _outcome(job, manifest, bucket)
    announce(
        summary,
        bucket=bucket,
        job=job_name,
        summary_key=layout.summary_key(manifest.name),
        topic_arn=settings.topic_arn,
    )
    return summary


def _outcome(job: dict[str, Any], manifest: Manifest, bucket: str) -> Summary:
    context = {"job": manifest.job, "model": job.get("ModelName"), "rows": manifest.rows}
    status = job["TransformJobStatus"]
    if status == "Failed":
        reason = str(job.get("FailureReason") or "no reason given")[:REASON_MAX]
        error: ScoringError = TransformJobFailedError(f"the transform job failed: {reason}")
        return failed(manifest.source.uri, error, **context)
    if status == "Stopped":
        error = TransformJobStoppedError("the transform job was stopped before it finished")
        return failed(manifest.source.uri, error, **context)
    try:
        return write_labeled(manifest, read_predictions(bucket, manifest), job=manifest.job)
    except ScoringError as exc:
        logger.warning("results refused", error_code=exc.code)
        return failed(manifest.source.uri, exc, **context)
