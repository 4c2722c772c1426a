"""Starting staged files' transform jobs, several files to a job, within the stack's and the
account's capacity.

Files that arrive together share a job (:mod:`review_scorer.transform.batch`); each is claimed
for it before it starts (:mod:`review_scorer.transform.job_claims`), so no file is ever in two
jobs. Two limits: the stack's own (``TransformInstanceLimit``: instances its running jobs may
hold at once) and the account's quota per instance type, which SageMaker enforces with
``ResourceLimitExceeded``. Either way the files of a job that does not fit now *wait*: their
messages stay in the intake queue and come back later, already staged, and their claims are
released. A quota of 0 can never fit: the files fail at once with ``NO_TRANSFORM_CAPACITY``,
naming the quota to raise. A file that waited longer than ``MaxWaitSeconds`` fails with
``TRANSFORM_CAPACITY_WAIT_EXPIRED``. Either way each file gets its one message; nothing ends
silently in a dead-letter queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from review_scorer.aws import s3, sagemaker
from review_scorer.bucket_keys import job_files_key, job_input_manifest_key
from review_scorer.errors import CapacityWaitExpiredError, NoTransformCapacityError, ScoringError
from review_scorer.invocation import Invocation
from review_scorer.logic.file_outcome import fail
from review_scorer.logic.start_result import StartResult
from review_scorer.observability import count, logger
from review_scorer.settings import Settings
from review_scorer.transform import batch, job_claims
from review_scorer.transform.manifest import Manifest
from review_scorer.transform.request import input_manifest, transform_request
from review_scorer.upload.staging import StagingTarget


@dataclass(frozen=True)
class StagedFile:
    """A file staged for a transform job, and when it was uploaded (its wait counts from then)."""

    target: StagingTarget
    manifest: Manifest
    uploaded_at: datetime | None

    @property
    def id(self) -> str:
        return self.target.job


def start_jobs(
    files: list[StagedFile], settings: Settings, invocation: Invocation
) -> dict[str, StartResult]:
    """Start jobs for ``files`` (several to a job where they fit); the result of each file id."""
    unique = list({staged.id: staged for staged in reversed(files)}.values())[::-1]
    results: dict[str, StartResult] = {}
    claimed: dict[str, StagedFile] = {}
    for staged in unique:
        if job_claims.claim(settings.bucket_name, staged.id, invocation.request_id):
            claimed[staged.id] = staged
        else:
            logger.info("file claimed for a job already; duplicate ignored", file=staged.id)
            results[staged.id] = StartResult.DUPLICATE
    for group in batch.plan([staged.manifest for staged in claimed.values()], settings):
        results.update(_start([claimed[m.job] for m in group], settings, invocation))
    return results


def _start(
    group: list[StagedFile], settings: Settings, invocation: Invocation
) -> dict[str, StartResult]:
    """Start one job for ``group``, or make its files wait, or fail them."""
    bucket, owner = settings.bucket_name, invocation.request_id
    ids = [staged.id for staged in group]
    job = batch.shared_job_name(settings.job_name_prefix, ids)
    shards = [shard.key for staged in group for shard in staged.manifest.shards]
    request = transform_request(job, bucket, len(shards), settings)
    needed = int(request["TransformResources"]["InstanceCount"])
    in_use = sagemaker.instances_in_use(f"{settings.job_name_prefix}-")
    if in_use + needed > settings.transform_instance_limit:
        logger.info("stack's transform instances busy; the files wait", in_use=in_use)
        return _wait(group, settings, invocation)
    s3.put_json(bucket, job_files_key(job), batch.JobFiles(job=job, files=ids).model_dump_json())
    s3.put_json(bucket, job_input_manifest_key(job), json.dumps(input_manifest(bucket, shards)))
    for file in ids:
        job_claims.assign(bucket, file, owner, job)
    try:
        created = sagemaker.create_transform_job(
            request, backoff_seconds=settings.job_retry_seconds
        )
    except sagemaker.CapacityUnavailableError as exc:
        if exc.limit == 0:
            error = NoTransformCapacityError(
                f"the account's SageMaker quota '{exc.quota}' is 0 instances, so no transform "
                f"job can start; ask for an increase in Service Quotas (SageMaker, "
                f"'{exc.quota}') and upload the file again"
            )
            return _fail(group, error, settings, invocation)
        logger.info("account's transform quota in use; the files wait", quota=exc.quota)
        return _wait(group, settings, invocation)
    except ScoringError as error:
        return _fail(group, error, settings, invocation)
    logger.info(
        "transform job started" if created else "transform job existed already",
        transform_job=job,
        files=len(ids),
        rows=sum(staged.manifest.rows.scored for staged in group),
        shards=len(shards),
        instances=needed,
    )
    result = StartResult.STARTED if created else StartResult.DUPLICATE
    return dict.fromkeys(ids, result)


def _wait(
    group: list[StagedFile], settings: Settings, invocation: Invocation
) -> dict[str, StartResult]:
    results = {}
    for staged in group:
        job_claims.release(settings.bucket_name, staged.id, invocation.request_id)
        waited = (
            (datetime.now(UTC) - staged.uploaded_at).total_seconds() if staged.uploaded_at else 0.0
        )
        if waited <= settings.max_wait_seconds:
            count("FilesWaiting")
            results[staged.id] = StartResult.WAITING
            continue
        error = CapacityWaitExpiredError(
            f"the file waited {waited / 60:,.0f} minutes for a free transform instance, longer "
            f"than the {settings.max_wait_seconds / 60:,.0f} allowed (MaxWaitSeconds); raise the "
            "stack's TransformInstanceLimit or the account's quota, or upload it again later"
        )
        results.update(_fail([staged], error, settings, invocation))
    return results


def _fail(
    group: list[StagedFile], error: ScoringError, settings: Settings, invocation: Invocation
) -> dict[str, StartResult]:
    for staged in group:
        logger.append_keys(job=staged.id, source=staged.target.source.uri)
        fail(staged.target, error, settings, invocation, staged.manifest.rows)
    return {staged.id: StartResult.FAILED for staged in group}
