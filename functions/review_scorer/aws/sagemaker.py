"""Every SageMaker call of the functions."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from review_scorer.aws import clients
from review_scorer.errors import TransformJobRejectedError
from review_scorer.transform.jobs import TERMINAL_JOB_STATES

# Worth a retry within seconds: botocore's standard mode already retries throttling and 5xx a
# few times. ResourceLimitExceeded is not one of them: it is the account's instance quota for
# the instance type, which nothing retries for you and which frees up only when a job ends
# (https://docs.aws.amazon.com/sagemaker/latest/dg/regions-quotas.html): the file waits in the
# intake queue instead (CapacityUnavailableError).
TRANSIENT = {
    "ThrottlingException",
    "ServiceUnavailable",
    "InternalFailure",
    "InternalServerError",
    "InternalServerException",
}
RETRIES = 3
# SageMaker's message names the quota and its value: "The account-level service limit
# 'ml.m5.large for transform job usage' is 0 Instances, with current utilization of 0 Instances
# and a request delta of 1 Instances. ..."
_QUOTA = re.compile(r"limit '(?P<quota>[^']+)' is (?P<limit>\d+) Instances")


class CapacityUnavailableError(Exception):
    """The account has no free transform instance now; ``quota`` names the limit, ``limit`` its
    value (0: none will ever be free until the quota is raised)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        found = _QUOTA.search(message)
        self.quota = found["quota"] if found else "transform job usage"
        self.limit = int(found["limit"]) if found else None


def create_transform_job(request: dict[str, Any], *, backoff_seconds: float = 1.0) -> bool:
    """Create the job; False if a job of that name exists already (a duplicate event).

    Transient errors are retried with jittered exponential backoff and then raised, so Lambda's
    own retry applies. Errors a retry cannot fix raise :class:`TransformJobRejectedError`.
    """
    for attempt in range(RETRIES + 1):
        try:
            clients.sagemaker().create_transform_job(**request)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "ResourceInUse":
                return False
            if code == "ResourceLimitExceeded":
                raise CapacityUnavailableError(exc.response["Error"].get("Message", "")) from None
            if code not in TRANSIENT:
                raise _rejected(code, exc.response["Error"].get("Message", "")) from None
            if attempt == RETRIES:
                raise
            time.sleep(backoff_seconds * 2**attempt * (0.5 + random.random() / 2))  # noqa: S311
        else:
            return True
    raise AssertionError("unreachable")


def _rejected(code: str, message: str) -> TransformJobRejectedError:
    hint = ""
    if "model" in message.lower() and code == "ValidationException":
        hint = " Check the stack's ModelName parameter: the model must exist in this region."
    elif "AccessDenied" in code:
        hint = " Check the StartScoring role's sagemaker:CreateTransformJob permission."
    return TransformJobRejectedError(
        f"SageMaker refused to start the transform job ({code}: {message[:300]}).{hint}"
    )


def finished_jobs(name_prefix: str, since: datetime) -> Iterator[str]:
    """Names of this stack's jobs created after ``since`` that have ended (any terminal state)."""
    pages = clients.sagemaker().get_paginator("list_transform_jobs")
    for status in TERMINAL_JOB_STATES:
        for page in pages.paginate(
            NameContains=name_prefix, CreationTimeAfter=since, StatusEquals=status
        ):
            for job in page["TransformJobSummaries"]:
                if job["TransformJobName"].startswith(name_prefix):
                    yield job["TransformJobName"]


def describe_transform_job(name: str) -> dict[str, Any] | None:
    """The job as SageMaker sees it, or None if there is no such job."""
    try:
        return dict(clients.sagemaker().describe_transform_job(TransformJobName=name))
    except ClientError as exc:
        if not_found(exc):
            return None
        raise


def not_found(exc: ClientError) -> bool:
    """Whether SageMaker answered that the model or job named does not exist. Its Describe
    calls answer a ValidationException "Could not find ..." where ResourceNotFound would be
    expected (https://github.com/aws/aws-sdk/issues/165), so both are taken."""
    error = exc.response.get("Error", {})
    code, message = error.get("Code"), error.get("Message") or ""
    return code == "ResourceNotFound" or (
        code == "ValidationException" and "could not find" in message.lower()
    )


def model_artifact(model_name: str) -> tuple[str, str]:
    """Bucket and key of the ``model.tar.gz`` of the SageMaker Model ``model_name``: the
    ``ModelDataUrl`` of its primary container, else of its first container (a model made with
    ``Containers``).

    DescribeModel answers ``PrimaryContainer`` and/or ``Containers``, each a
    ContainerDefinition whose ``ModelDataUrl`` is the S3 path of the model's ``model.tar.gz``
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html).
    Raises ClientError as DescribeModel does (ValidationException "Could not find model" when
    there is none), ValueError when the model names no s3:// artifact.
    """
    model = clients.sagemaker().describe_model(ModelName=model_name)
    for container in (model.get("PrimaryContainer"), *model.get("Containers", [])[:1]):
        url = (container or {}).get("ModelDataUrl", "")
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if url.startswith("s3://") and bucket and key:
            return bucket, key
    raise ValueError(f"the SageMaker model {model_name} names no s3:// ModelDataUrl")


def instances_in_use(name_prefix: str) -> int:
    """Transform instances this stack's running jobs hold (InstanceCount of each InProgress job)."""
    pages = clients.sagemaker().get_paginator("list_transform_jobs")
    total = 0
    for page in pages.paginate(NameContains=name_prefix, StatusEquals="InProgress"):
        for summary in page["TransformJobSummaries"]:
            name = summary["TransformJobName"]
            job = describe_transform_job(name) if name.startswith(name_prefix) else None
            if job and job["TransformJobStatus"] == "InProgress":
                total += int(job["TransformResources"]["InstanceCount"])
    return total
