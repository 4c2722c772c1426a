"""The scoring API refuses every bad request of docs/API.md's error table with its status and
code, before any AWS call or model load: run through the real handler, with no stack."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from review_scorer.api import uploads
from review_scorer.api.http import MAX_BODY_BYTES, ApiError
from tests.functional.api_client import Answer, api_event, call, error_of, post_json

CLASSIFY = "/api/classify"
UPLOADS = "/api/uploads"


@pytest.fixture(autouse=True)
def settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The two settings without a default; no endpoint: any AWS call would fail the test."""
    monkeypatch.setenv("BUCKET_NAME", "review-scorer-unit")
    monkeypatch.setenv("TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:t")
    monkeypatch.setenv("MODEL_NAME", "unit-model")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there


def refused(event: dict[str, Any]) -> tuple[int, str]:
    return error_of(call(event))


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not json", "INVALID_JSON"),
        ('{"texts": ["a"]', "INVALID_JSON"),
        ("", "INVALID_JSON"),
        ("[]", "INVALID_REQUEST"),
        ('"texts"', "INVALID_REQUEST"),
        ("{}", "INVALID_REQUEST"),
        ('{"texts": "one text"}', "INVALID_REQUEST"),
        ('{"texts": []}', "INVALID_REQUEST"),
        ('{"texts": ["ok", 3]}', "INVALID_REQUEST"),
        ('{"texts": ["ok", null]}', "INVALID_REQUEST"),
        ('{"texts": [["nested"]]}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": true}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": false}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": 0}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": 11}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": -1}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": 2.0}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": "3"}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "k": null}', "INVALID_REQUEST"),
        ('{"texts": ["ok", "lone \\ud800 surrogate"]}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": 0}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": 1.5}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": -0.5}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": true}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": "0.5"}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": "Model"}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": NaN}', "INVALID_REQUEST"),
        ('{"texts": ["ok"], "review_threshold": [0.5]}', "INVALID_REQUEST"),
        ("[" * 100_000 + "]" * 100_000, "INVALID_REQUEST"),
    ],
)
def test_a_malformed_classify_request_is_refused_with_its_code(body: str, code: str) -> None:
    assert refused(api_event("POST", CLASSIFY, body)) == (400, code)


def test_a_bad_review_threshold_is_refused_naming_the_field_and_what_it_takes() -> None:
    answer = call(post_json(CLASSIFY, {"texts": ["ok"], "review_threshold": 2}))
    assert error_of(answer) == (400, "INVALID_REQUEST")
    message = answer.body["error"]["message"]
    assert message == '"review_threshold" must be a number above 0 and at most 1, "model" or "off"'


def test_more_than_1000_texts_is_too_many() -> None:
    assert refused(post_json(CLASSIFY, {"texts": ["ok"] * 1001})) == (400, "TOO_MANY_TEXTS")


def test_a_body_over_1_mb_is_too_large_whatever_it_holds() -> None:
    text = "x" * (MAX_BODY_BYTES - len('{"texts": [""]}') + 1)
    body = json.dumps({"texts": [text]})
    assert len(body.encode()) == MAX_BODY_BYTES + 1
    assert refused(api_event("POST", CLASSIFY, body)) == (400, "REQUEST_TOO_LARGE")
    assert refused(api_event("POST", CLASSIFY, body.encode())) == (400, "REQUEST_TOO_LARGE")
    assert refused(api_event("POST", UPLOADS, "{" + " " * MAX_BODY_BYTES + "}")) == (
        400,
        "REQUEST_TOO_LARGE",
    )


def test_a_base64_body_is_read_after_decoding_and_a_bad_one_is_invalid_json() -> None:
    # Given bodies API Gateway marked base64: one not base64, one not UTF-8, one not JSON
    not_base64 = api_event("POST", CLASSIFY, "{not base64!}", base64_body=True)
    not_utf8 = api_event("POST", CLASSIFY, b'{"texts": ["caf\xe9"]}')
    not_json = api_event("POST", CLASSIFY, base64.b64encode(b"nope").decode(), base64_body=True)
    # Then each is INVALID_JSON, and a decoded body is checked like any other
    assert refused(not_base64) == (400, "INVALID_JSON")
    assert refused(not_utf8) == (400, "INVALID_JSON")
    assert refused(not_json) == (400, "INVALID_JSON")
    assert refused(api_event("POST", CLASSIFY, b'{"texts": [1]}')) == (400, "INVALID_REQUEST")


BAD_NAMES = [
    "../x.csv",
    "a/b.csv",
    "x.txt",
    "",
    ".csv",
    "a" * 197 + ".csv",  # 201 characters
    "x.csv ",
    " x.csv",
    "-x.csv",
    "x.csv.zip",
    "x.csvgz",
    "x\n.csv",
    "x.csv\n",
    "caf\u00e9.csv",
    "x:y.csv",
    "a\\b.csv",
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_an_upload_name_that_is_not_a_plain_csv_file_name_is_refused(name: str) -> None:
    assert refused(post_json(UPLOADS, {"name": name})) == (400, "INVALID_FILE_NAME")


@pytest.mark.parametrize(
    "name", ["reviews.csv", "R.CSV", "a.Csv.Gz", "my reviews 2026-11_v2.csv", "a" * 196 + ".csv"]
)
def test_a_plain_csv_file_name_of_up_to_200_characters_is_accepted(name: str) -> None:
    assert uploads.check_name(name) == name


@pytest.mark.parametrize("body", [{}, {"name": None}, {"name": 3}, {"name": ["x.csv"]}])
def test_an_upload_request_without_a_string_name_is_invalid(body: dict[str, Any]) -> None:
    assert refused(post_json(UPLOADS, body)) == (400, "INVALID_REQUEST")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/api"),
        ("POST", "/api/classify/"),
        ("POST", "/api/Classify"),
        ("GET", "/api/files"),
        ("POST", "/classify"),
    ],
)
def test_an_unknown_path_is_not_found(method: str, path: str) -> None:
    assert refused(api_event(method, path)) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/classify", "POST"),
        ("PUT", "/api/uploads", "POST"),
        ("DELETE", "/api/files/web/0123456789abcdef/x.csv", "GET"),
        ("POST", "/api/files/x.csv", "GET"),
        ("OPTIONS", "/api/classify", "POST"),
    ],
)
def test_a_known_path_with_another_method_is_not_allowed(
    method: str, path: str, allowed: str
) -> None:
    answer = call(api_event(method, path))
    assert error_of(answer) == (405, "METHOD_NOT_ALLOWED")
    assert answer.headers["allow"] == allowed


def test_a_named_stage_in_front_of_the_path_is_not_part_of_the_route() -> None:
    event = api_event("GET", "/prod/api/classify")
    event["requestContext"]["stage"] = "prod"
    assert refused(event) == (405, "METHOD_NOT_ALLOWED")


def test_a_bad_configuration_is_an_internal_error_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BUCKET_NAME")
    answer: Answer = call(post_json(CLASSIFY, {"texts": ["fine"]}))
    assert error_of(answer) == (500, "INTERNAL_ERROR")
    assert "Traceback" not in answer.raw_body and "BUCKET_NAME" not in answer.raw_body


def test_error_messages_never_quote_the_review() -> None:
    secret = "my very private review"
    for body in (
        {"texts": [secret, 5]},
        {"texts": [secret], "k": 99},
        {"texts": [secret] * 1001},
        {"name": secret + ".txt"},
    ):
        path = UPLOADS if "name" in body else CLASSIFY
        answer = call(post_json(path, body))
        assert answer.status == 400
        assert secret not in answer.raw_body


def test_api_error_answers_carry_only_code_and_message() -> None:
    response = ApiError(400, "INVALID_REQUEST", "why").response()
    assert response == {
        "statusCode": 400,
        "headers": {"content-type": "application/json"},
        "body": '{"error": {"code": "INVALID_REQUEST", "message": "why"}}',
    }
