"""Starting a staged file's transform job within the stack's and the account's capacity.

Two limits: the stack's own (``TransformInstanceLimit``: instances its running jobs may hold
at once) and the account's quota per instance type, which SageMaker enforces with
``ResourceLimitExceeded``. Either way a file that does not fit now *waits*: its message stays
in the intake queue and comes back later, already staged. A quota of 0 can never fit: the file
fails at once with ``NO_TRANSFORM_CAPACITY``, naming the quota to raise. A file that waited
longer than ``MaxWaitSeconds`` fails with ``TRANSFORM_CAPACITY_WAIT_EXPIRED``. Either way it
gets its one message; nothing ends silently in a dead-letter queue.
"""

from __future__ import annotations

from datetime import UTC, datetime

from review_scorer.aws import sagemaker
from review_scorer.errors import CapacityWaitExpiredError, NoTransformCapacityError, ScoringError
from review_scorer.invocation import Invocation
from review_scorer.logic.file_outcome import fail
from review_scorer.logic.start_result import StartResult
from review_scorer.observability import count, logger
from review_scorer.settings import Settings
from review_scorer.transform.manifest import Manifest
from review_scorer.transform.request import transform_request
from review_scorer.upload.staging import StagingTarget


def start_job(
    target: StagingTarget,
    manifest: Manifest,
    settings: Settings,
    invocation: Invocation,
    uploaded_at: datetime | None,
) -> StartResult:
    """Start the job if it fits; WAITING if it must wait; FAILED (announced) if it never will."""
    request = transform_request(target.job, target.source.bucket, len(manifest.shards), settings)
    needed = int(request["TransformResources"]["InstanceCount"])
    in_use = sagemaker.instances_in_use(f"{settings.job_name_prefix}-")
    if in_use + needed > settings.transform_instance_limit:
        logger.info("stack's transform instances busy; the file waits", in_use=in_use)
        return _wait(target, manifest, settings, invocation, uploaded_at)
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
            fail(target, error, settings, invocation, manifest.rows)
            return StartResult.FAILED
        logger.info("account's transform quota in use; the file waits", quota=exc.quota)
        return _wait(target, manifest, settings, invocation, uploaded_at)
    except ScoringError as error:
        fail(target, error, settings, invocation, manifest.rows)
        return StartResult.FAILED
    logger.info(
        "transform job started" if created else "transform job existed already",
        rows=manifest.rows.model_dump(),
        shards=len(manifest.shards),
        instances=needed,
    )
    return StartResult.STARTED if created else StartResult.DUPLICATE


def _wait(
    target: StagingTarget,
    manifest: Manifest,
    settings: Settings,
    invocation: Invocation,
    uploaded_at: datetime | None,
) -> StartResult:
    waited = (datetime.now(UTC) - uploaded_at).total_seconds() if uploaded_at else 0.0
    if waited <= settings.max_wait_seconds:
        count("FilesWaiting")
        return StartResult.WAITING
    error = CapacityWaitExpiredError(
        f"the file waited {waited / 60:,.0f} minutes for a free transform instance, longer "
        f"than the {settings.max_wait_seconds / 60:,.0f} allowed (MaxWaitSeconds); raise the "
        "stack's TransformInstanceLimit or the account's quota, or upload it again later"
    )
    fail(target, error, settings, invocation, manifest.rows)
    return StartResult.FAILED
