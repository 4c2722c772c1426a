"""Invoking a handler the way Lambda's asynchronous invocation does.

EventBridge invokes asynchronously: an error is retried twice, then the event goes to the
function's failure destination
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). Here the
third failure is returned to the caller instead. An event source mapping (the intake queue)
invokes synchronously and does not retry; the batch comes back through the queue
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ASYNC_ATTEMPTS = 3

running_function: str | None = None
"""The function whose handler runs now (``StartScoringFunction`` ...), else None: tests that
record the AWS calls each function makes read it. A module variable, not a contextvar: the S3
transfer manager makes its calls from threads of its own."""


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that Powertools reads
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""

    function_name: str
    memory_limit_in_mb: int = 1024
    function_version: str = "$LATEST"
    aws_request_id: str = ""

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


@dataclass
class AsyncInvocation:
    result: Any = None
    error: str | None = None
    attempts: int = 0
    metrics: list[dict[str, Any]] = field(default_factory=list)
    """The CloudWatch embedded-metric documents the function printed (as Lambda would ship)."""


Handler = Callable[[dict[str, Any], Any], Any]


def invoke_async(handler: Handler, event: dict[str, Any], function_name: str) -> AsyncInvocation:
    """Up to three attempts with one request id: Lambda keeps it across the retries of an
    asynchronous event: a retry shows in the logs as the same request id again
    (https://repost.aws/knowledge-center/lambda-function-duplicate-invocations). A retry takes up
    what its failed attempt claimed (review_scorer.invocation)."""
    return _invoke(handler, event, function_name, ASYNC_ATTEMPTS)


def invoke_once(handler: Handler, event: dict[str, Any], function_name: str) -> AsyncInvocation:
    """One synchronous attempt, as an event source mapping invokes: a failed batch is not
    retried by Lambda but comes back through the queue."""
    return _invoke(handler, event, function_name, 1)


def _invoke(
    handler: Handler, event: dict[str, Any], function_name: str, attempts: int
) -> AsyncInvocation:
    global running_function  # see running_function
    invocation = AsyncInvocation()
    context = LocalContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))
    for attempt in range(1, attempts + 1):
        invocation.attempts = attempt
        stdout = io.StringIO()
        try:
            running_function = function_name
            with contextlib.redirect_stdout(stdout):
                invocation.result = handler(event, context)
        except Exception as exc:
            invocation.error = "".join(traceback.format_exception_only(exc)).strip()
        else:
            invocation.error = None
        finally:
            running_function = None
            invocation.metrics += _metric_documents(stdout.getvalue())
        if invocation.error is None:
            return invocation
    return invocation


def _metric_documents(output: str) -> list[dict[str, Any]]:
    """Embedded-metric JSON lines among what the function printed; anything else is shown."""
    documents = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            documents.append(json.loads(line))
        elif line.strip():
            sys.stderr.write(line + "\n")
    return documents
