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
from review_scorer_local.transform_quota import quota_exceeded

ACCOUNT = "123456789012"


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Runner = Callable[[dict[str, Any], dict[str, Any]], None]
INPUT_FAULT = "AlgorithmError: injected fault"


class SageMakerEmulator:
    """State and operations; :mod:`review_scorer_local.sagemaker_http` serves them."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.models: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self._faults: dict[str, list[ApiError]] = {}
        self._input_faults: dict[str, str] = {}  # part of an input key -> its failure
        self._calls: dict[str, int] = {}
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

    # -- fault injection ----------------------------------------------------------------------
    def inject(self, operation: str, code: str, message: str, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` fail with ``code`` (for tests)."""
        self._faults.setdefault(operation, []).extend([ApiError(code, message)] * times)

    def fail_inputs(self, name_contains: str, message: str = INPUT_FAULT) -> None:
        """Make every input object whose S3 key contains ``name_contains`` fail inside any job
        that reads it from now on (for tests), as an object with a bad record does: the job
        writes no output for it, still scores the others and writes theirs, and ends Failed
        with a FailureReason naming it and ``message``
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html).
        Applied by the runner the flow runs jobs with
        (:func:`review_scorer_local.transform_runner.run_job`'s ``input_fault``)."""
        if not name_contains:
            raise ValueError("name_contains must not be empty: it would fail every input")
        with self._lock:
            self._input_faults[name_contains] = message

    def input_fault(self, key: str) -> str | None:
        """The injected failure of the input object at ``key``, or None."""
        with self._lock:
            faults = list(self._input_faults.items())
        return next((message for part, message in faults if part in key), None)

    def calls(self, operation: str) -> int:
        return self._calls.get(operation, 0)

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
        self._calls[operation] = self._calls.get(operation, 0) + 1
        if self._faults.get(operation):
            raise self._faults[operation].pop(0)
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        result: dict[str, Any] = getattr(self, method)(request)
        return result


OPERATIONS = {
    "CreateModel", "DescribeModel", "CreateTransformJob", "DescribeTransformJob",
    "ListTransformJobs", "StopTransformJob",
}  # fmt: skip
