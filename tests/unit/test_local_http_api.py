"""``review-scorer serve`` hands the API function what API Gateway's HTTP API would: payload
format 2.0 events, and responses read back the way API Gateway reads them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from review_scorer_local import cli
from review_scorer_local.http_api import http_response, request_event

HEADERS = [
    ("Host", "127.0.0.1:8080"),
    ("Content-Type", "application/json"),
    ("Accept", "text/html"),
    ("accept", "application/json"),
    ("Cookie", "a=1; b=2"),
    ("User-Agent", "test"),
]


def event(target: str = "/api/classify", body: bytes = b"", **headers: str) -> dict[str, Any]:
    extra = [(name.replace("_", "-"), value) for name, value in headers.items()]
    return request_event("post", target, [*HEADERS, *extra], body, source_ip="127.0.0.1")


def test_the_event_is_payload_format_2_0_as_powertools_parses_it() -> None:
    parsed = APIGatewayProxyEventV2Model.model_validate(event("/api/files/a.csv?x=1&x=2&y="))

    assert (parsed.version, parsed.routeKey, parsed.rawPath) == (
        "2.0",
        "$default",
        "/api/files/a.csv",
    )
    assert parsed.rawQueryString == "x=1&x=2&y="
    assert parsed.queryStringParameters == {"x": "1,2", "y": ""}
    assert parsed.requestContext.http.method == "POST"
    assert parsed.requestContext.http.path == "/api/files/a.csv"
    assert str(parsed.requestContext.http.sourceIp) == "127.0.0.1/32"  # an IPvAnyNetwork
    assert parsed.requestContext.stage == "$default"
    assert parsed.requestContext.requestId


def test_header_names_are_lower_case_and_repeated_headers_joined_with_commas() -> None:
    headers = event()["headers"]

    assert headers["accept"] == "text/html,application/json"
    assert headers["content-type"] == "application/json"
    assert all(name == name.lower() for name in headers)


def test_cookies_are_given_apart_from_the_headers() -> None:
    found = event()

    assert found["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in found["headers"]


def test_the_path_is_given_decoded_as_http_apis_give_it() -> None:
    found = event("/api/files/web/0123456789abcdef/my%20reviews.csv")

    assert found["rawPath"] == "/api/files/web/0123456789abcdef/my reviews.csv"


def test_a_utf8_json_body_is_text_and_any_other_body_base64() -> None:
    text = event(body='{"texts": ["é"]}'.encode())
    binary = event(body=b"\x00\xff", Content_Type="application/octet-stream")
    not_utf8 = event(body=b'{"texts": ["\xe9"]}')

    assert (text["body"], text["isBase64Encoded"]) == ('{"texts": ["é"]}', False)
    assert (binary["body"], binary["isBase64Encoded"]) == ("AP8=", True)
    assert base64.b64decode(not_utf8["body"]) == b'{"texts": ["\xe9"]}'
    assert not_utf8["isBase64Encoded"] is True
    assert "body" not in event()


def test_the_answer_is_the_functions_status_headers_and_body() -> None:
    answer = {
        "statusCode": 405,
        "headers": {"Content-Type": "application/json", "allow": "POST"},
        "cookies": ["c=3"],
        "body": json.dumps({"error": {"code": "METHOD_NOT_ALLOWED", "message": "POST only"}}),
    }
    response = http_response(answer, None)

    assert response.status == 405
    assert ("content-type", "application/json") in response.headers
    assert ("allow", "POST") in response.headers
    assert ("set-cookie", "c=3") in response.headers
    assert json.loads(response.body)["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_a_base64_answer_is_decoded() -> None:
    answer = {"statusCode": 200, "body": "AP8=", "isBase64Encoded": True}

    assert http_response(answer, None).body == b"\x00\xff"


def test_an_answer_without_status_code_is_200_with_itself_as_json() -> None:
    response = http_response({"ok": True}, None)

    assert (response.status, json.loads(response.body)) == (200, {"ok": True})
    assert response.headers == [("content-type", "application/json")]


def test_a_function_that_raised_is_api_gateways_internal_server_error() -> None:
    response = http_response(None, "RuntimeError: boom")

    assert response.status == 500
    assert json.loads(response.body) == {"message": "Internal Server Error"}


def test_serve_takes_a_port_and_a_model() -> None:
    args = cli._parser().parse_args(["serve", "--port", "0", "--model", "m.tar.gz"])

    assert (args.command, args.port, str(args.model)) == ("serve", 0, "m.tar.gz")
    assert cli._parser().parse_args(["serve"]).port == 8080


@pytest.mark.parametrize("port", ["65536", "-1", "http"])
def test_a_port_that_is_none_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli._parser().parse_args(["serve", "--port", port])

    assert exit_.value.code == 2
    assert "not a port number" in capsys.readouterr().err
