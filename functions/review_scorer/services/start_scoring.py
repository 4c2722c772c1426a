"""What StartScoring does with one uploaded object: start its job once, or refuse it once."""

from __future__ import annotations

from enum import StrEnum

from review_scorer import layout
from review_scorer.aws import s3, sagemaker
from review_scorer.errors import FileTooLargeError, InputError, ScoringError
from review_scorer.events import S3EventRecord
from review_scorer.invocation import Invocation
from review_scorer.manifest import Manifest, SourceObject
from review_scorer.observability import count, logger
from review_scorer.services.completion import write_labeled
from review_scorer.services.notify import announce, in_hand
from review_scorer.services.staging import StagingTarget, stage
from review_scorer.settings import Settings
from review_scorer.summary import Summary, failed
from review_scorer.transform_request import transform_request


class Outcome(StrEnum):
    STARTED = "started"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    FAILED = "failed"  # SageMaker would not start the job: announced, file left in place
    COMPLETED = "completed"  # nothing to send to the model: finished without a job
    IGNORED = "ignored"


def target_for(record: S3EventRecord, settings: Settings) -> StagingTarget:
    obj = record.s3.object
    source = SourceObject(
        bucket=record.s3.bucket.name,
        key=obj.decoded_key,
        version_id=obj.version_id,
        etag=obj.e_tag.strip('"'),
        size=obj.size,
    )
    version = source.version_id or source.etag
    job = layout.job_name(settings.job_name_prefix, source.bucket, source.key, version)
    return StagingTarget(job=job, name=layout.upload_name(source.key), source=source)


def handle_record(
    record: S3EventRecord, settings: Settings, invocation: Invocation | None = None
) -> Outcome:
    invocation = invocation or Invocation()
    key = record.s3.object.decoded_key
    if not layout.is_upload(key) or record.s3.bucket.name != settings.bucket_name:
        logger.info("not an upload of this app; ignored", key=key, bucket=record.s3.bucket.name)
        return Outcome.IGNORED
    target = target_for(record, settings)
    logger.set_correlation_id(target.job)
    logger.append_keys(job=target.job, source=target.source.uri)
    count("FilesReceived")
    bucket = target.source.bucket
    if sagemaker.describe_transform_job(target.job) or in_hand(
        bucket, target.job, invocation.request_id
    ):
        logger.info("already handled; duplicate event ignored")
        return Outcome.DUPLICATE
    try:
        _check_size(target.source, settings)
        manifest = stage(target, settings, invocation.remaining_ms)
    except InputError as error:
        refuse(target, error, settings, invocation)
        return Outcome.REFUSED
    if manifest.rows.scored == 0:
        summary = write_labeled(manifest, iter(()), job=None)
        _announce(target, summary, settings, invocation)
        return Outcome.COMPLETED
    return _start_job(target, manifest, settings, invocation)


def _start_job(
    target: StagingTarget, manifest: Manifest, settings: Settings, invocation: Invocation
) -> Outcome:
    request = transform_request(target.job, target.source.bucket, len(manifest.shards), settings)
    try:
        created = sagemaker.create_transform_job(
            request, backoff_seconds=settings.job_retry_seconds
        )
    except ScoringError as error:
        logger.error("transform job refused by SageMaker", error_code=error.code)
        summary = failed(target.source.uri, error, model=settings.model_name, rows=manifest.rows)
        _announce(target, summary, settings, invocation)
        return Outcome.FAILED
    logger.info(
        "transform job started" if created else "transform job existed already",
        rows=manifest.rows.model_dump(),
        shards=len(manifest.shards),
    )
    return Outcome.STARTED if created else Outcome.DUPLICATE


def _check_size(source: SourceObject, settings: Settings) -> None:
    """Refuse from the event's size, before reading a byte."""
    if source.size is not None and source.size > settings.max_upload_bytes:
        raise FileTooLargeError(
            f"the file is {source.size:,} bytes; the limit is {settings.max_upload_bytes:,} "
            "bytes (what StartScoring can read within the Lambda time limit); split it into "
            "smaller files"
        )


def refuse(
    target: StagingTarget, error: InputError, settings: Settings, invocation: Invocation
) -> None:
    """Quarantine the object with an error.json beside it and send the FAILED message."""
    source = target.source
    logger.warning("file refused", error_code=error.code, line=error.line)
    s3.copy_version(
        source.bucket, source.key, source.version_id, layout.quarantine_key(target.name, source.key)
    )
    summary = failed(source.uri, error, model=settings.model_name)
    announce(
        summary,
        bucket=source.bucket,
        job=target.job,
        summary_key=layout.quarantine_error_key(target.name),
        topic_arn=settings.topic_arn,
        invocation=invocation,
    )


def _announce(
    target: StagingTarget, summary: Summary, settings: Settings, invocation: Invocation
) -> None:
    announce(
        summary,
        bucket=target.source.bucket,
        job=target.job,
        summary_key=layout.summary_key(target.name),
        topic_arn=settings.topic_arn,
        invocation=invocation,
    )
