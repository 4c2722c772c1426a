"""API Gateway's HTTP API in front of a Lambda function, as local mode runs it.

A request becomes the payload format 2.0 event, and the function's answer becomes the HTTP
response, as the Lambda proxy integration does
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
header names lower-cased, repeated headers and query parameters joined with commas, cookies in
``cookies``; an answer without ``statusCode`` is taken as a JSON body with status 200.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

ACCOUNT_ID = "123456789012"
MAX_REQUEST_BYTES = 10 * 1024 * 1024
"""HTTP API's payload quota, 10 MB
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)."""

_TEXT_TYPES = (
    "application/json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
)
_NOT_PASSED = {"content-length", "connection", "keep-alive", "transfer-encoding"}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def request_event(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    source_ip: str,
) -> dict[str, Any]:
    """The event of the request ``method target`` (``target``: path and query as sent).

    The path is given decoded (``rawPath`` and ``http.path`` alike), as HTTP APIs deliver it
    (live captures: https://github.com/middleapi/standard-server/pull/93). The body is text
    when its content type is a text type and it is UTF-8; otherwise base64 with
    ``isBase64Encoded``: HTTP APIs infer the encoding from the content type
    (https://aws.amazon.com/blogs/compute/handling-binary-data-using-amazon-api-gateway-http-apis/).
    """
    parts = urlsplit(target)
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            joined[key] = f"{joined[key]},{value}" if key in joined else value
    path = unquote(parts.path) or "/"
    now = time.time()
    host = joined.get("host", "localhost")
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": parts.query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": method.upper(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if parts.query:
        parameters: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
        event["queryStringParameters"] = parameters
    if body:
        text = _text(body, joined.get("content-type", ""))
        event["body"] = text if text is not None else base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = text is None
    return event


def http_response(result: Any, error: str | None) -> HttpResponse:
    """The response API Gateway sends for the function's ``result``, or for its ``error``
    (an invocation that raised: API Gateway answers 500 Internal Server Error)."""
    if error is not None:
        return _json(500, json.dumps({"message": "Internal Server Error"}))
    if not (isinstance(result, dict) and "statusCode" in result):
        # "If your Lambda function returns valid JSON and doesn't return a statusCode", API
        # Gateway assumes status 200 and content-type application/json, the answer as the body.
        return _json(200, result if isinstance(result, str) else json.dumps(result))
    headers = [
        (str(name).lower(), str(value))
        for name, value in (result.get("headers") or {}).items()
        if str(name).lower() not in _NOT_PASSED
    ]
    headers += [("set-cookie", str(cookie)) for cookie in result.get("cookies") or []]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, data)


def too_large() -> HttpResponse:
    """What API Gateway answers to a request over :data:`MAX_REQUEST_BYTES`."""
    return _json(413, json.dumps({"message": "Request Entity Too Large"}))


def _json(status: int, body: str) -> HttpResponse:
    return HttpResponse(status, [("content-type", "application/json")], body.encode("utf-8"))


def _text(body: bytes, content_type: str) -> str | None:
    media_type = content_type.split(";")[0].strip().lower()
    textual = (
        media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )
    if not textual:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
