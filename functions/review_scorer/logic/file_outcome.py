"""Announcing one upload's outcome from StartScoring: refused, failed before a job, or done.

The same claim-guarded announcement PublishResults makes (:mod:`review_scorer.outcome`), with
the keys of an upload that never reached a job: a refused file's ``error.json`` sits beside
its quarantined copy.
"""

from __future__ import annotations

from review_scorer import bucket_keys
from review_scorer.aws import s3
from review_scorer.errors import InputError, ScoringError
from review_scorer.invocation import Invocation
from review_scorer.observability import logger
from review_scorer.outcome.announce import announce
from review_scorer.outcome.summary import Summary, failed
from review_scorer.settings import Settings
from review_scorer.transform.manifest import RowCounts
from review_scorer.upload.staging import StagingTarget


def refuse(
    target: StagingTarget, error: InputError, settings: Settings, invocation: Invocation
) -> None:
    """Quarantine the object with an error.json beside it and send the FAILED message."""
    source = target.source
    logger.warning("file refused", error_code=error.code, line=error.line)
    quarantined = bucket_keys.quarantine_key(target.name, source.key)
    s3.copy_version(source.bucket, source.key, source.version_id, quarantined)
    summary = failed(source.uri, error, model=settings.model_name)
    announce_for(
        target, summary, settings, invocation, bucket_keys.quarantine_error_key(target.name)
    )


def fail(
    target: StagingTarget,
    error: ScoringError,
    settings: Settings,
    invocation: Invocation,
    rows: RowCounts | None = None,
) -> None:
    """A FAILED message for a file that could not get a job; the upload stays where it is."""
    logger.error("no transform job for the file", error_code=error.code)
    fields = {"rows": rows} if rows else {}
    summary = failed(target.source.uri, error, model=settings.model_name, **fields)
    announce_for(target, summary, settings, invocation)


def announce_for(
    target: StagingTarget,
    summary: Summary,
    settings: Settings,
    invocation: Invocation,
    summary_key: str | None = None,
) -> None:
    announce(
        summary,
        bucket=target.source.bucket,
        job=target.job,
        summary_key=summary_key or bucket_keys.summary_key(target.name),
        topic_arn=settings.topic_arn,
        invocation=invocation,
    )
