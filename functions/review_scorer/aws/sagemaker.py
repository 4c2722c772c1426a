"""Every SageMaker call of the functions."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from review_scorer.aws import clients


def create_transform_job(request: dict[str, Any]) -> bool:
    """Create the job; False if a job of that name exists already (a duplicate event)."""
    try:
        clients.sagemaker().create_transform_job(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceInUse":
            return False
        raise
    return True


def describe_transform_job(name: str) -> dict[str, Any] | None:
    """The job as SageMaker sees it, or None if there is no such job."""
    try:
        return dict(clients.sagemaker().describe_transform_job(TransformJobName=name))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationException" and "not" in str(exc).lower():
            return None
        raise
