"""Invoking a handler the way Lambda's asynchronous invocation does.

S3 and EventBridge invoke asynchronously: an error is retried twice, then the event goes to the
function's failure destination. Here the third failure is returned to the caller instead.
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


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that Powertools reads."""

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
    asynchronous event."""
    invocation = AsyncInvocation()
    context = LocalContext(function_name=function_name, aws_request_id=str(uuid.uuid4()))
    for attempt in range(1, ASYNC_ATTEMPTS + 1):
        invocation.attempts = attempt
        stdout = io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout):
                invocation.result = handler(event, context)
        except Exception as exc:
            invocation.error = "".join(traceback.format_exception_only(exc)).strip()
        else:
            invocation.error = None
        finally:
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
