"""The HTTP side of the scoring API: API Gateway HTTP API events in, JSON answers out.

API Gateway's HTTP API hands a Lambda integration the request as payload format 2.0 and reads
the function's answer as ``statusCode``, ``headers`` and ``body``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
the method is ``requestContext.http.method``, the path ``rawPath`` (the stage's name in front
unless the stage is ``$default``), header names are lower case, and a body API Gateway did not
take for text arrives base64-encoded with ``isBase64Encoded`` true.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"
MAX_BODY_BYTES = 1024 * 1024  # docs/API.md: a request body of at most 1 MB, after base64


class ApiError(Exception):
    """An answer other than 200: ``{"error": {"code", "message"}}`` with ``status``. The
    message names the problem and where it is, never a review's text."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> dict[str, Any]:
        document = {"error": {"code": self.code, "message": self.message}}
        return json_response(self.status, document, self.headers)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None
    base64_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def parse_event(event: dict[str, Any]) -> Request:
    """The parts of a payload format 2.0 event the routes use (missing parts: empty)."""
    context = event.get("requestContext") or {}
    path = str(event.get("rawPath") or "")
    stage = str(context.get("stage") or "$default")
    if stage != "$default" and path.startswith(f"/{stage}/"):
        path = path[len(stage) + 1 :]
    body = event.get("body")
    return Request(
        method=str((context.get("http") or {}).get("method") or "").upper(),
        path=path,
        body=body if isinstance(body, str) else None,
        base64_body=event.get("isBase64Encoded") is True,
        headers={str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()},
    )


def body_bytes(request: Request) -> bytes:
    """The body as sent: base64-decoded where API Gateway encoded it."""
    if request.body is None:
        return b""
    if not request.base64_body:
        return request.body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(request.body, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, "INVALID_JSON", "the body is marked base64 but is not") from None


def json_body(request: Request) -> Any:
    """The body's JSON value; ``REQUEST_TOO_LARGE`` past :data:`MAX_BODY_BYTES`,
    ``INVALID_JSON`` if it is not UTF-8 JSON."""
    data = body_bytes(request)
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(
            400,
            "REQUEST_TOO_LARGE",
            f"the body is {len(data)} bytes; at most {MAX_BODY_BYTES} are accepted",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "INVALID_JSON", f"the body is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:  # its message gives the position, never the text
        raise ApiError(400, "INVALID_JSON", f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "INVALID_REQUEST", "the body is nested too deeply") from None


def json_object(request: Request) -> dict[str, Any]:
    """The body, which must be a JSON object."""
    value = json_body(request)
    if not isinstance(value, dict):
        raise ApiError(400, "INVALID_REQUEST", "the body must be a JSON object")
    return value


def json_response(
    status: int, document: Any, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": JSON_TYPE, **(headers or {})},
        "body": json.dumps(document, ensure_ascii=False),
    }
