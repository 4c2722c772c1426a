"""The account's transform-instance quota, as SageMaker enforces it on CreateTransformJob.

Each instance type has its own quota, "<type> for transform job usage", counted in instances
of the jobs in progress; a request that would pass it fails with ``ResourceLimitExceeded``
(SageMaker quotas: https://docs.aws.amazon.com/sagemaker/latest/dg/regions-quotas.html; new
accounts often have 0-4; the error:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html#API_CreateTransformJob_Errors).
Nothing retries it for you. The message is the one SageMaker sends, which names the quota, its
value, the use and the request; no AWS page documents its wording, which the functions parse:
docs/DEPLOY.md, "Check in a real account", checks it.
"""

from __future__ import annotations

from typing import Any


def quota_exceeded(
    jobs: dict[str, dict[str, Any]], request: dict[str, Any], quota: int | None
) -> str | None:
    """SageMaker's message if ``request`` would pass ``quota``; None if it fits (or no quota)."""
    if quota is None:
        return None
    resources = request.get("TransformResources", {})
    instance_type = resources.get("InstanceType", "")
    wanted = int(resources.get("InstanceCount", 1))
    in_use = sum(
        int(job["TransformResources"]["InstanceCount"])
        for job in jobs.values()
        if job["TransformJobStatus"] == "InProgress"
        and job["TransformResources"]["InstanceType"] == instance_type
    )
    if in_use + wanted <= quota:
        return None
    return (
        f"The account-level service limit '{instance_type} for transform job usage' is {quota} "
        f"Instances, with current utilization of {in_use} Instances and a request delta of "
        f"{wanted} Instances. Please use AWS Service Quotas to request an increase for this quota."
    )
