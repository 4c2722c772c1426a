"""What StartScoring does with one uploaded object: start its job once, or refuse it once."""

from __future__ import annotations

from enum import StrEnum

from review_scorer import bucket_keys
from review_scorer.aws import s3, sagemaker
from review_scorer.errors import FileTooLargeError, InputError, ScoringError
from review_scorer.events import S3EventRecord
from review_scorer.invocation import Invocation
from review_scorer.observability import count, logger
from review_scorer.outcome.announce import announce
from review_scorer.outcome.claims import is_taken
from review_scorer.outcome.summary import Summary, failed, succeeded
from review_scorer.results.labeled_file import write_labeled
from review_scorer.settings import Settings
from review_scorer.transform import jobs
from review_scorer.transform.manifest import Manifest, SourceObject
from review_scorer.transform.request import transform_request
from review_scorer.upload.staging import StagingTarget, stage


class StartResult(StrEnum):
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
    job = jobs.job_name(settings.job_name_prefix, source.bucket, source.key, version)
    return StagingTarget(job=job, name=bucket_keys.upload_name(source.key), source=source)


def handle_record(
    record: S3EventRecord, settings: Settings, invocation: Invocation | None = None
) -> StartResult:
    invocation = invocation or Invocation()
    key = record.s3.object.decoded_key
    if not bucket_keys.is_upload(key) or record.s3.bucket.name != settings.bucket_name:
        logger.info("not an upload of this app; ignored", key=key, bucket=record.s3.bucket.name)
        return StartResult.IGNORED
    target = target_for(record, settings)
    logger.set_correlation_id(target.job)
    logger.append_keys(job=target.job, source=target.source.uri)
    count("FilesReceived")
    bucket = target.source.bucket
    if sagemaker.describe_transform_job(target.job) or is_taken(
        bucket, target.job, invocation.request_id
    ):
        logger.info("already handled; duplicate event ignored")
        return StartResult.DUPLICATE
    try:
        _check_size(target.source, settings)
        manifest = stage(target, settings, invocation.remaining_ms)
    except InputError as error:
        refuse(target, error, settings, invocation)
        return StartResult.REFUSED
    if manifest.rows.scored == 0:
        summary = succeeded(manifest, write_labeled(manifest, iter(())), job=None)
        _announce(target, summary, settings, invocation)
        return StartResult.COMPLETED
    return _start_job(target, manifest, settings, invocation)


def _start_job(
    target: StagingTarget, manifest: Manifest, settings: Settings, invocation: Invocation
) -> StartResult:
    request = transform_request(target.job, target.source.bucket, len(manifest.shards), settings)
    try:
        created = sagemaker.create_transform_job(
            request, backoff_seconds=settings.job_retry_seconds
        )
    except ScoringError as error:
        logger.error("transform job refused by SageMaker", error_code=error.code)
        summary = failed(target.source.uri, error, model=settings.model_name, rows=manifest.rows)
        _announce(target, summary, settings, invocation)
        return StartResult.FAILED
    logger.info(
        "transform job started" if created else "transform job existed already",
        rows=manifest.rows.model_dump(),
        shards=len(manifest.shards),
    )
    return StartResult.STARTED if created else StartResult.DUPLICATE


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
        source.bucket,
        source.key,
        source.version_id,
        bucket_keys.quarantine_key(target.name, source.key),
    )
    summary = failed(source.uri, error, model=settings.model_name)
    announce(
        summary,
        bucket=source.bucket,
        job=target.job,
        summary_key=bucket_keys.quarantine_error_key(target.name),
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
        summary_key=bucket_keys.summary_key(target.name),
        topic_arn=settings.topic_arn,
        invocation=invocation,
    )
