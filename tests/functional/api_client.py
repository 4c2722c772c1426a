"""Calling the scoring API's handler as API Gateway's HTTP API does: payload format 2.0 events
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html),
one synchronous invocation each, and the answer read back as a client would read it."""

from __future__ import annotations

import base64
import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from review_scorer.handlers import api
from review_scorer_local.lambda_invoke import invoke_once

API_FUNCTION = "ApiFunction"


def api_event(
    method: str,
    path: str,
    body: str | bytes | None = None,
    *,
    base64_body: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A payload format 2.0 event for ``method path`` on the ``$default`` stage; a ``bytes``
    body, or ``base64_body``, is sent base64-encoded as API Gateway sends a binary body."""
    encoded = isinstance(body, bytes) or base64_body
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode("ascii")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "tests",
            },
            "requestId": "request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1767225600000,
        },
        "isBase64Encoded": encoded,
    }
    if body is not None:
        event["body"] = body
    return event


def post_json(path: str, document: Any) -> dict[str, Any]:
    return api_event("POST", path, json.dumps(document))


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    raw_body: str


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in the process environment for the block, then as before."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def call(event: dict[str, Any], env: dict[str, str] | None = None) -> Answer:
    """One invocation of the API handler with ``env`` set; the handler must never raise."""
    with environment(env or {}):
        invocation = invoke_once(api.lambda_handler, event, API_FUNCTION)
    assert invocation.error is None, invocation.error
    result = invocation.result
    assert set(result) == {"statusCode", "headers", "body"}, result
    assert result["headers"]["content-type"] == "application/json"
    return Answer(
        result["statusCode"], result["headers"], json.loads(result["body"]), result["body"]
    )


def error_of(answer: Answer) -> tuple[int, str]:
    """The status and code of an error answer, which has exactly ``code`` and ``message``."""
    assert set(answer.body) == {"error"}, answer.body
    assert set(answer.body["error"]) == {"code", "message"}, answer.body
    return answer.status, answer.body["error"]["code"]
