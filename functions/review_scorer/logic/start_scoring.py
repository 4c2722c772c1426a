"""What StartScoring does with one uploaded object: start its job once, make it wait for
capacity, or refuse it once."""

from __future__ import annotations

from review_scorer import bucket_keys
from review_scorer.aws import s3, sagemaker
from review_scorer.errors import FileTooLargeError, InputError, UnsupportedFileTypeError
from review_scorer.events import S3EventRecord
from review_scorer.invocation import Invocation
from review_scorer.logic.file_outcome import announce_for, refuse
from review_scorer.logic.job_start import start_job
from review_scorer.logic.start_result import StartResult
from review_scorer.observability import count, logger
from review_scorer.outcome.claims import is_taken
from review_scorer.outcome.summary import succeeded
from review_scorer.results.labeled_file import write_labeled
from review_scorer.settings import Settings
from review_scorer.transform import jobs
from review_scorer.transform.manifest import Manifest, SourceObject
from review_scorer.upload.staging import StagingTarget, stage


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
    if not bucket_keys.is_under_incoming(key) or record.s3.bucket.name != settings.bucket_name:
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
        manifest = _staged(target, settings, invocation)
    except InputError as error:
        refuse(target, error, settings, invocation)
        return StartResult.REFUSED
    if manifest.rows.scored == 0:
        summary = succeeded(manifest, write_labeled(manifest, iter(())), job=None)
        announce_for(target, summary, settings, invocation)
        return StartResult.COMPLETED
    return start_job(target, manifest, settings, invocation, record.event_time)


def _staged(target: StagingTarget, settings: Settings, invocation: Invocation) -> Manifest:
    """The file's manifest: staged by an earlier attempt that waited for capacity (the manifest
    is written last, so its presence means complete staging), or staged now."""
    key = bucket_keys.manifest_key(target.job)
    if s3.exists(target.source.bucket, key):
        logger.info("staged by an earlier attempt; not read again")
        return Manifest.model_validate(s3.read_json(target.source.bucket, key))
    if not bucket_keys.is_upload(target.source.key):
        raise UnsupportedFileTypeError(
            f"{target.source.key.rsplit('/', 1)[-1]} is not a .csv or .csv.gz file; "
            "upload CSV files (a .csv.gz is decompressed)"
        )
    _check_size(target.source, settings)
    return stage(target, settings, invocation.remaining_ms)


def _check_size(source: SourceObject, settings: Settings) -> None:
    """Refuse from the event's size, before reading a byte."""
    if source.size is not None and source.size > settings.max_upload_bytes:
        raise FileTooLargeError(
            f"the file is {source.size:,} bytes; the limit is {settings.max_upload_bytes:,} "
            "bytes (what StartScoring can read within the Lambda time limit); split it into "
            "smaller files"
        )
