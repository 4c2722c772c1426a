"""A local SageMaker endpoint for the calls this app makes, behaving like SageMaker.

moto completes a transform job the moment it is created and accepts a duplicate name, which would
hide exactly the bugs that matter here. This endpoint keeps a job InProgress until
:meth:`SageMakerEmulator.run_pending` runs it with the registered model and refuses a second job
of the same name with ``ResourceInUse``: a name is unique in the account and region, and a job
record is never deleted, so forever
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html). A job
that ends sends the "SageMaker Transform Job State Change" event to EventBridge
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
boto3 reaches it through ``AWS_ENDPOINT_URL_SAGEMAKER``; the handlers cannot tell it from SageMaker.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from review_scorer.transform.jobs import SAGEMAKER_NAME_PATTERN, is_sagemaker_name
from review_scorer_local.sagemaker_faults import ApiError, FaultInjection
from review_scorer_local.transform_quota import quota_exceeded

ACCOUNT = "123456789012"
Runner = Callable[[dict[str, Any], dict[str, Any]], None]


class SageMakerEmulator(FaultInjection):
    """State and operations; :mod:`review_scorer_local.sagemaker_http` serves them. Faults are
    injected with :class:`~review_scorer_local.sagemaker_faults.FaultInjection`'s methods."""

    def __init__(self, region: str) -> None:
        super().__init__()
        self.region = region
        self.models: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._lock = threading.Lock()
        self.instance_quota: int | None = None  # the account's, per instance type (None: none)

    # -- operations (names as in the SageMaker API) ------------------------------------------
    def create_model(self, req: dict[str, Any]) -> dict[str, Any]:
        name = req["ModelName"]
        with self._lock:
            if name in self.models:
                raise ApiError(
                    "ValidationException", f"Cannot create already existing model {name}"
                )
            arn = self._arn("model", name)
            self.models[name] = {**req, "ModelArn": arn, "CreationTime": time.time()}
        return {"ModelArn": arn}

    def describe_model(self, req: dict[str, Any]) -> dict[str, Any]:
        model = self.models.get(req["ModelName"])
        if model is None:
            raise ApiError("ValidationException", f"Could not find model {req['ModelName']}.")
        return model

    def create_transform_job(self, req: dict[str, Any]) -> dict[str, Any]:
        name = req.get("TransformJobName", "")
        if not is_sagemaker_name(name):  # pattern and 1-63 characters, as SageMaker checks
            raise ApiError(
                "ValidationException",
                f"1 validation error detected: Value '{name}' at 'transformJobName' failed to "
                "satisfy constraint: Member must have length less than or equal to 63 and "
                f"match pattern {SAGEMAKER_NAME_PATTERN}",
            )
        if req.get("ModelName") not in self.models:
            raise ApiError("ValidationException", f'Could not find model "{req.get("ModelName")}".')
        with self._lock:
            if name in self.jobs:
                raise ApiError(
                    "ResourceInUse",
                    f"Job name must be unique within an AWS account and region, and a job with "
                    f"this name already exists ({self._arn('transform-job', name)})",
                )
            exceeded = quota_exceeded(self.jobs, req, self.instance_quota)
            if exceeded:
                raise ApiError("ResourceLimitExceeded", exceeded)
            arn = self._arn("transform-job", name)
            self.jobs[name] = {
                **req,
                "TransformJobArn": arn,
                "TransformJobStatus": "InProgress",
                "CreationTime": time.time(),
            }
        return {"TransformJobArn": arn}

    def describe_transform_job(self, req: dict[str, Any]) -> dict[str, Any]:
        job = self.jobs.get(req["TransformJobName"])
        if job is None:
            raise ApiError(
                "ValidationException",
                f"Could not find requested job with name {req['TransformJobName']}",
            )
        return {k: v for k, v in job.items() if k != "Tags"}

    def list_transform_jobs(self, req: dict[str, Any]) -> dict[str, Any]:
        """Filters: StatusEquals, NameContains, CreationTimeAfter (all the app uses); newest first
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListTransformJobs.html)."""
        fields = (
            "TransformJobName", "TransformJobArn", "TransformJobStatus", "CreationTime",
            "TransformEndTime", "FailureReason",
        )  # fmt: skip
        summaries = [
            {k: job[k] for k in fields if job.get(k) is not None}
            for job in reversed(self.jobs.values())  # newest first, as SageMaker lists
            if req.get("StatusEquals") in (None, job["TransformJobStatus"])
            and req.get("NameContains", "") in job["TransformJobName"]
            and job["CreationTime"] > float(req.get("CreationTimeAfter", 0))
        ]
        return {"TransformJobSummaries": summaries}

    def stop_transform_job(self, req: dict[str, Any]) -> dict[str, Any]:
        """Stopped at once, its output not written; SageMaker passes through Stopping first
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StopTransformJob.html)."""
        job = self.describe_transform_job(req)
        if job["TransformJobStatus"] == "InProgress":
            self._finish(req["TransformJobName"], "Stopped", None)
        return {}

    # -- running jobs -------------------------------------------------------------------------
    def pending(self) -> list[str]:
        return [n for n, j in self.jobs.items() if j["TransformJobStatus"] == "InProgress"]

    def run_pending(self, runner: Runner) -> list[str]:
        """Run every InProgress job with ``runner(job, model)``; returns the names run."""
        names = self.pending()
        for name in names:
            job = self.jobs[name]
            job["TransformStartTime"] = time.time()
            try:
                runner(job, self.models[job["ModelName"]])
            except Exception as exc:
                self._finish(name, "Failed", str(exc)[:1024])
            else:
                self._finish(name, "Completed", None)
        return names

    def _finish(self, name: str, status: str, reason: str | None) -> None:
        job = self.jobs[name]
        job["TransformJobStatus"] = status
        job["TransformEndTime"] = time.time()
        if reason:
            job["FailureReason"] = reason
        for listener in self.listeners:
            listener(self.state_change_detail(name))

    def state_change_detail(self, name: str) -> dict[str, Any]:
        """The ``detail`` of the EventBridge event: the job's description, times in ms."""
        job = self.jobs[name]
        detail = {k: v for k, v in job.items() if k != "Tags"}
        for key in ("CreationTime", "TransformStartTime", "TransformEndTime"):
            if key in detail:
                detail[key] = int(detail[key] * 1000)
        detail["Tags"] = {t["Key"]: t["Value"] for t in job.get("Tags", [])}
        return detail

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{ACCOUNT}:{kind}/{name.lower()}"

    # -- the API as review_scorer_local.sagemaker_http serves it -------------------------------
    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Run one API operation as the HTTP layer does: counted, faults injected first."""
        if operation not in OPERATIONS:
            raise ApiError(
                "UnknownOperationException", f"local SageMaker does not implement {operation}"
            )
        self._count_and_fault(operation)
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        result: dict[str, Any] = getattr(self, method)(request)
        return result


OPERATIONS = {
    "CreateModel", "DescribeModel", "CreateTransformJob", "DescribeTransformJob",
    "ListTransformJobs", "StopTransformJob",
}  # fmt: skip
