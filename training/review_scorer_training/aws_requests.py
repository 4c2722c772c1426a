"""Sending the requests of :mod:`blazingtext` with boto3, or printing them for ``--dry-run``.

Calls go through boto3 clients that are created on first use (never for a dry run, so a dry run
needs no credentials) or injected (the tests put a botocore Stubber on them).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from review_scorer.errors import ConfigurationError
from review_scorer_training.errors import TrainingJobError
from review_scorer_training.progress import Progress

TERMINAL_FAILURES = ("Failed", "Stopped")


@dataclass(frozen=True)
class Request:
    """One API call: ``service`` and boto3 ``operation`` (``put_object``) with its parameters.

    A ``Body`` that is a :class:`Path` is streamed from that file; a ``str`` body stands for
    content that only exists once earlier requests have run (shown by ``--dry-run``).
    """

    service: str
    operation: str
    params: dict[str, Any]
    note: str | None = None

    def describe(self) -> dict[str, Any]:
        """The request as JSON data: the API's operation name and parameters, bodies described."""
        params = dict(self.params)
        body = params.get("Body")
        if isinstance(body, Path):
            params["Body"] = f"<file {body} ({body.stat().st_size} bytes)>"
        described = {
            "service": self.service,
            "operation": "".join(part.title() for part in self.operation.split("_")),
            "params": params,
        }
        return described | ({"note": self.note} if self.note else {})


def print_dry_run(requests: list[Request], out: IO[str], **context: Any) -> None:
    """Every request that would be sent, as one JSON document; nothing is sent."""
    document = {"dry_run": True, **context, "requests": [r.describe() for r in requests]}
    out.write(json.dumps(document, indent=2) + "\n")


def resolve_region(region: str | None) -> str:
    """``--region``, else the environment or AWS config (read locally, no call made)."""
    found = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not found:
        import boto3

        found = boto3.session.Session().region_name
    if not found:
        raise ConfigurationError("no AWS region: pass --region or set AWS_REGION")
    return found


@dataclass
class Aws:
    """boto3 clients for one region; injected clients are used as they are."""

    region: str
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            import boto3

            self.clients[service] = boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
        return self.clients[service]

    def send(self, request: Request) -> dict[str, Any]:
        method = getattr(self.client(request.service), request.operation)
        body = request.params.get("Body")
        if isinstance(body, Path):
            with body.open("rb") as stream:
                return dict(method(**{**request.params, "Body": stream}))
        return dict(method(**request.params))

    def download(self, bucket: str, key: str, path: Path) -> Path:
        response = self.send(Request("s3", "get_object", {"Bucket": bucket, "Key": key}))
        with path.open("wb") as out:
            for chunk in response["Body"].iter_chunks(1 << 20):
                out.write(chunk)
        return path


def wait_for_training_job(
    aws: Aws,
    job: str,
    *,
    progress: Progress,
    poll_seconds: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll DescribeTrainingJob until the job ends; report each change of status on stderr.

    Returns the final description of a Completed job; raises :class:`TrainingJobError` for a
    Failed or Stopped one, with SageMaker's reason.
    """
    started = time.monotonic()
    shown = None
    describe = Request("sagemaker", "describe_training_job", {"TrainingJobName": job})
    while True:
        job_state = aws.send(describe)
        status = job_state["TrainingJobStatus"]
        secondary = job_state.get("SecondaryStatus", "")
        transitions = job_state.get("SecondaryStatusTransitions") or [{}]
        message = transitions[-1].get("StatusMessage", "")
        if (status, secondary, message) != shown:
            shown = (status, secondary, message)
            elapsed = time.strftime("%H:%M:%S", time.gmtime(time.monotonic() - started))
            progress.step(f"[{elapsed}] {job}: {status} / {secondary}. {message}".rstrip(". "))
        if status == "Completed":
            return job_state
        if status in TERMINAL_FAILURES:
            reason = job_state.get("FailureReason") or "no reason given"
            raise TrainingJobError(f"training job {job} ended {status}: {reason}")
        sleep(poll_seconds)
