"""What StartScoring does with one uploaded object: score it here (a small file), stage it for a
transform job (started once, maybe shared, maybe after a wait for capacity), or refuse it once."""

from __future__ import annotations

from botocore.exceptions import ClientError

from review_scorer import bucket_keys
from review_scorer.aws import s3, sagemaker
from review_scorer.errors import (
    FileTooLargeError,
    InputError,
    ModelUnreadableError,
    UnsupportedFileTypeError,
)
from review_scorer.events import S3EventRecord
from review_scorer.invocation import Invocation
from review_scorer.logic import fast_path
from review_scorer.logic.file_outcome import announce_for, fail, refuse
from review_scorer.logic.job_start import StagedFile, start_jobs
from review_scorer.logic.start_result import StartResult
from review_scorer.model import loader
from review_scorer.model.artifact import ModelCompatibilityError
from review_scorer.observability import count, logger
from review_scorer.outcome.claims import is_taken
from review_scorer.outcome.summary import succeeded
from review_scorer.results.labeled_file import write_labeled
from review_scorer.results.needs_review import MODEL, threshold_for
from review_scorer.settings import Settings
from review_scorer.transform import job_claims, jobs
from review_scorer.transform.manifest import Manifest, SourceObject
from review_scorer.upload.staging import Staged, StagingTarget, spill, stage

# S3's answers for an artifact that this role may not read or that is not there. HeadObject
# answers with the bare status code ("a generic code, such as 400 Bad Request, 403 Forbidden or
# 404 Not Found": a HEAD response has no body), and a missing object is a 403, not a 404, to a
# role without s3:ListBucket, as StartScoring's is
# (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
UNREADABLE = frozenset({"AccessDenied", "403", "NoSuchKey", "404", "NoSuchBucket"})


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
    """Everything StartScoring does for one upload, alone (a batch shares jobs: see intake)."""
    invocation = invocation or Invocation()
    prepared = prepare(record, settings, invocation)
    if isinstance(prepared, StartResult):
        return prepared
    return start_jobs([prepared], settings, invocation)[prepared.id]


def prepare(
    record: S3EventRecord, settings: Settings, invocation: Invocation
) -> StartResult | StagedFile:
    """Finish the upload here (ignored, duplicate, refused, scored in the function), or stage
    it for a transform job: then the caller starts the jobs of all its staged files."""
    key = record.s3.object.decoded_key
    if not bucket_keys.is_under_incoming(key) or record.s3.bucket.name != settings.bucket_name:
        logger.info("not an upload of this app; ignored", key=key, bucket=record.s3.bucket.name)
        return StartResult.IGNORED
    target = target_for(record, settings)
    logger.set_correlation_id(target.job)
    logger.append_keys(job=target.job, source=target.source.uri)
    count("FilesReceived")
    bucket = target.source.bucket
    if is_taken(bucket, target.job, invocation.request_id) or job_claims.job_of(bucket, target.job):
        logger.info("already handled; duplicate event ignored")
        return StartResult.DUPLICATE
    try:
        staged = _staged(target, settings, invocation)
    except InputError as error:
        refuse(target, error, settings, invocation)
        return StartResult.REFUSED
    except (ModelCompatibilityError, ModelUnreadableError) as error:  # read for its threshold
        fail(target, error, settings, invocation)
        return StartResult.FAILED
    manifest = staged.manifest
    if manifest.rows.scored == 0:
        summary = succeeded(manifest, write_labeled(manifest, iter(())), job=None)
        announce_for(target, summary, settings, invocation)
        return StartResult.COMPLETED
    if staged.held is not None:
        done = fast_path.score_here(target, staged, settings, invocation)
        if done is not None:
            return done
        manifest = spill(staged, settings)
    return StagedFile(target, manifest, record.event_time)


def _staged(target: StagingTarget, settings: Settings, invocation: Invocation) -> Staged:
    """The file staged by an earlier attempt that waited for capacity (the manifest is written
    last, so its presence means complete staging), or staged now, its rows held back for the
    fast path if it has few enough."""
    key = bucket_keys.manifest_key(target.job)
    if s3.exists(target.source.bucket, key):
        logger.info("staged by an earlier attempt; not read again")
        return Staged(Manifest.model_validate(s3.read_json(target.source.bucket, key)))
    if not bucket_keys.is_upload(target.source.key):
        raise UnsupportedFileTypeError(
            f"{target.source.key.rsplit('/', 1)[-1]} is not a .csv or .csv.gz file; "
            "upload CSV files (a .csv.gz is decompressed)"
        )
    _check_size(target.source, settings)
    threshold = decide_review_threshold(settings)
    hold = fast_path.rows_to_hold(settings)
    return stage(
        target, settings, invocation.remaining_ms, hold_rows=hold, review_threshold=threshold
    )


def decide_review_threshold(settings: Settings) -> float | None:
    """The review threshold of a file staged now, kept in its manifest for the join wherever it
    runs: the stack's number, none (``off``), or (``model``) the one the stack model's artifact
    recorded, its metadata read without model.bin. A stack whose SageMaker Model does not exist
    has none: its files go on to be refused by CreateTransformJob (TRANSFORM_JOB_REJECTED), as
    before. An artifact StartScoring may not read (its role allows ``models/<ModelName>/`` only)
    or that is gone fails the file (MODEL_UNREADABLE): redelivery cannot fix that. Other AWS
    errors raise, and the upload's message is delivered again."""
    choice = settings.review_threshold_choice
    if choice == MODEL and not settings.model_name:
        return None
    try:
        threshold = threshold_for(choice, lambda: loader.metadata(settings))
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in UNREADABLE:
            raise ModelUnreadableError(
                f"StartScoring cannot read the model's artifact for its review threshold "
                f"({code}); register the model with `review-scorer register-model`, or set "
                "ReviewThreshold to off or a number"
            ) from None
        if not sagemaker.not_found(exc):
            raise
        logger.warning("no such model: no review threshold", model=settings.model_name)
        return None
    logger.info("review threshold", review_threshold=threshold, setting=settings.review_threshold)
    return threshold


def _check_size(source: SourceObject, settings: Settings) -> None:
    """Refuse from the event's size, before reading a byte."""
    if source.size is not None and source.size > settings.max_upload_bytes:
        raise FileTooLargeError(
            f"the file is {source.size:,} bytes; the limit is {settings.max_upload_bytes:,} "
            "bytes (what StartScoring can read within the Lambda time limit); split it into "
            "smaller files"
        )
