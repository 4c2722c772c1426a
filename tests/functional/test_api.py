"""The scoring API against the local stack: classify with the stack's model, exactly as the
labeled CSV scores; uploads through a presigned POST that really lands in S3; a file's status
from pending to its outcome, with downloads that work."""

from __future__ import annotations

import base64
import contextlib
import csv
import gzip
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from review_scorer import bucket_keys
from review_scorer.api import classify
from review_scorer.model import loader
from review_scorer_local.flow import LocalFlow
from review_scorer_local.stack import LocalModeStack
from tests.conftest import RECORDED_THRESHOLD, batch_config, write_csv
from tests.functional.api_client import Answer, api_event, call, error_of, post_json
from tests.functional.helpers import log_records

NAMES = "-1=negative,0=neutral,1=positive"
REVIEWS = [
    "I love this dress, it fits perfectly and the fabric is soft!",
    "",
    "The fabric feels cheap and it ripped after one wash.",
    "   \t ",
    'It is "okay". The fit is fine, but nothing special; average quality.',
    "NA",
    "Gorgeous color in person\u2028I get compliments every time.",
    "Terrible. Returned it the next day!!!",
    "runs small, order a size up",
]


@pytest.fixture(autouse=True)
def own_model_directory(tmp_path: Path) -> Iterator[None]:
    """Each test a new container: nothing loaded, its own /tmp copy of the model."""
    loader.reset(tmp_path / "model")
    yield
    loader.reset()


def api(stack: LocalModeStack, event: dict[str, Any], **env: str) -> Answer:
    """The API function, with the stack's environment (and ``env`` on top), answers ``event``."""
    return call(event, {**stack.function_environment(), **env})


def classify_texts(stack: LocalModeStack, texts: list[str], k: int | None = None) -> Answer:
    return api(stack, post_json("/api/classify", {"texts": texts, **({"k": k} if k else {})}))


# --- POST /api/classify --------------------------------------------------------------------------


def test_classify_answers_one_prediction_per_text_in_order_best_first(
    stack: LocalModeStack,
) -> None:
    answer = classify_texts(stack, REVIEWS, k=3)
    assert answer.status == 200
    assert answer.body["model"] == stack.config.model_name
    predictions = answer.body["predictions"]
    assert len(predictions) == len(REVIEWS)
    for text, prediction in zip(REVIEWS, predictions, strict=True):
        if not text.strip():
            assert prediction == {"labels": [], "probabilities": [], "scoring_status": "empty"}
            continue
        assert prediction["scoring_status"] == "scored"
        assert sorted(prediction["labels"]) == ["-1", "0", "1"]
        probabilities = prediction["probabilities"]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1.0, abs=1e-4)
        assert all(p == round(p, 6) for p in probabilities)
    # one text alone gets the prediction it got among the others: order is kept, not mixed up
    alone = classify_texts(stack, [REVIEWS[2]], k=3).body["predictions"]
    assert alone == [predictions[2]]


def test_k_defaults_to_one_and_a_model_with_fewer_classes_gives_all_it_has(
    stack: LocalModeStack,
) -> None:
    one = classify_texts(stack, ["great fit"]).body["predictions"][0]
    ten = classify_texts(stack, ["great fit"], k=10).body["predictions"][0]
    assert len(one["labels"]) == len(one["probabilities"]) == 1
    assert len(ten["labels"]) == 3
    assert ten["labels"][0] == one["labels"][0]
    assert ten["probabilities"][0] == one["probabilities"][0]


@pytest.mark.parametrize("stack_config", [batch_config(label_names=NAMES)])
def test_classify_names_labels_through_the_stacks_label_names(stack: LocalModeStack) -> None:
    prediction = classify_texts(stack, ["so soft, love it"], k=3).body["predictions"][0]
    assert sorted(prediction["labels"]) == ["negative", "neutral", "positive"]


def test_classify_accepts_a_base64_body(stack: LocalModeStack) -> None:
    body = json.dumps({"texts": ["love it", ""]}).encode()
    answer = api(stack, api_event("POST", "/api/classify", body))
    assert answer.status == 200
    assert [p["scoring_status"] for p in answer.body["predictions"]] == ["scored", "empty"]


@pytest.mark.parametrize(
    "stack_config", [batch_config(top_k=3, label_names=NAMES), batch_config(top_k=1)]
)
def test_classify_gives_exactly_the_labels_and_probabilities_of_the_labeled_csv(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given reviews scored by the whole flow (a transform job) into a labeled CSV
    rows_in = [[str(n), text] for n, text in enumerate(REVIEWS)]
    source = write_csv(tmp_path / "api-parity.csv", ["id", "review_body"], rows_in)
    (result,) = LocalFlow(stack).run_files([source], tmp_path / "out")
    assert result.ok and result.labeled_csv is not None
    with result.labeled_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    top_k = stack.config.settings.top_k
    # When the API classifies the same reviews with the stack's K
    predictions = classify_texts(stack, REVIEWS, k=top_k).body["predictions"]
    # Then every label and probability is the CSV's, to the last digit
    assert len(rows) == len(predictions) == len(REVIEWS)
    for row, prediction in zip(rows, predictions, strict=True):
        assert row["scoring_status"] == prediction["scoring_status"]
        label_cells = ["predicted_label"] + [f"label_{n}" for n in range(2, top_k + 1)]
        prob_cells = ["probability"] + [f"probability_{n}" for n in range(2, top_k + 1)]
        if prediction["scoring_status"] == "empty":
            assert all(row[c] == "" for c in label_cells + prob_cells)
            continue
        assert [row[c] for c in label_cells] == prediction["labels"]
        assert [float(row[c]) for c in prob_cells] == prediction["probabilities"]
        assert [row[c] for c in prob_cells] == [f"{p:.6f}" for p in prediction["probabilities"]]


def test_classify_marks_texts_whose_printed_probability_is_below_the_requested_threshold(
    stack: LocalModeStack,
) -> None:
    # Given the top probabilities of the reviews, and a threshold at their median
    plain = classify_texts(stack, REVIEWS, k=3).body
    tops = sorted(p["probabilities"][0] for p in plain["predictions"] if p["probabilities"])
    threshold = tops[len(tops) // 2]
    # When the same reviews are classified with that threshold
    request = {"texts": REVIEWS, "k": 3, "review_threshold": threshold}
    answer = api(stack, post_json("/api/classify", request)).body
    # Then the answer names it and marks each scored text below it, the same rule as the CSV's
    assert answer["review_threshold"] == threshold
    marks = []
    for before, prediction in zip(plain["predictions"], answer["predictions"], strict=True):
        if prediction["scoring_status"] == "empty":
            assert "needs_review" not in prediction
            continue
        assert {k: v for k, v in prediction.items() if k != "needs_review"} == before
        assert prediction["needs_review"] == (prediction["probabilities"][0] < threshold)
        marks.append(prediction["needs_review"])
    assert True in marks and False in marks


def test_without_a_threshold_the_answer_marks_nothing(stack: LocalModeStack) -> None:
    # the demo model recorded no threshold, and the stack is left at ReviewThreshold=model
    answer = classify_texts(stack, REVIEWS[:1]).body
    assert answer["review_threshold"] is None
    assert "needs_review" not in answer["predictions"][0]
    # "off" in the request turns a stack's threshold off too
    request = {"texts": REVIEWS[:1], "review_threshold": "off"}
    off = api(stack, post_json("/api/classify", request), REVIEW_THRESHOLD="0.9").body
    assert off["review_threshold"] is None and "needs_review" not in off["predictions"][0]


def test_the_stacks_threshold_is_the_default_and_model_asks_for_the_models(
    stack: LocalModeStack, threshold_model: Path
) -> None:
    # Given a stack whose ReviewThreshold is 0.9, and whose model recorded 0.999
    key = bucket_keys.model_key(stack.config.model_name)
    stack.client("s3").upload_file(str(threshold_model), stack.config.bucket, key)
    texts = {"texts": REVIEWS[:1]}
    # When a request names no threshold, Then the stack's applies
    default = api(stack, post_json("/api/classify", texts), REVIEW_THRESHOLD="0.9").body
    assert default["review_threshold"] == 0.9
    assert default["predictions"][0]["needs_review"] is False
    # and "model" asks for the model's own
    request = {**texts, "review_threshold": "model"}
    model = api(stack, post_json("/api/classify", request), REVIEW_THRESHOLD="0.9").body
    assert model["review_threshold"] == RECORDED_THRESHOLD
    probability = model["predictions"][0]["probabilities"][0]
    assert model["predictions"][0]["needs_review"] == (probability < RECORDED_THRESHOLD)


def test_a_missing_model_is_unavailable(stack: LocalModeStack) -> None:
    answer = api(stack, post_json("/api/classify", {"texts": ["ok"]}), MODEL_NAME="no-such-model")
    assert error_of(answer) == (503, "MODEL_UNAVAILABLE")
    assert "s3://" not in answer.raw_body


def test_a_model_larger_than_the_function_may_load_is_unavailable(stack: LocalModeStack) -> None:
    event = post_json("/api/classify", {"texts": ["ok"]})
    answer = api(stack, event, FAST_PATH_MAX_MODEL_BYTES="1024")
    assert error_of(answer) == (503, "MODEL_UNAVAILABLE")
    assert "FastPathMaxModelBytes" in answer.body["error"]["message"]


def test_an_unexpected_error_is_a_500_logged_with_its_traceback_and_shown_without(
    stack: LocalModeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a scorer that breaks
    def broken(text: str) -> list[str]:
        raise RuntimeError("internal detail of the failure")

    monkeypatch.setattr(classify, "tokenize", broken)
    # When a text is classified
    with logged_errors() as records:
        answer = classify_texts(stack, ["my private review"])
    # Then the caller gets a 500 naming the request, and nothing of what broke
    assert error_of(answer) == (500, "INTERNAL_ERROR")
    found = re.fullmatch(
        r"internal error \(request ([0-9a-f-]{36})\)", answer.body["error"]["message"]
    )
    assert found, answer.body
    assert "Traceback" not in answer.raw_body and "internal detail" not in answer.raw_body
    # and the log has the traceback under that request id, and not the review
    (record,) = records
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert record.__dict__["request_id"] == found[1]
    assert "private" not in record.getMessage()


def logged_errors() -> contextlib.AbstractContextManager[list[logging.LogRecord]]:
    """The ERROR records the app's logger writes in the block."""
    return log_records(lambda record: record.levelno >= logging.ERROR)


# --- POST /api/uploads and GET /api/files/<name> -------------------------------------------------


def new_upload(stack: LocalModeStack, name: str, **env: str) -> dict[str, Any]:
    answer = api(stack, post_json("/api/uploads", {"name": name}), **env)
    assert answer.status == 200, answer.body
    return answer.body  # type: ignore[no-any-return]


def post_file(upload: dict[str, Any], data: bytes, content_type: str) -> requests.Response:
    """What the page does: the fields, then the file last, as multipart/form-data."""
    files = {"file": (upload["name"].rsplit("/", 1)[-1], data, content_type)}
    return requests.post(upload["url"], data=upload["fields"], files=files, timeout=30)


def status(stack: LocalModeStack, upload: dict[str, Any]) -> Answer:
    return api(stack, api_event("GET", upload["status_url"]))


def good_csv(rows: int = 25, bad_row: bool = False) -> bytes:
    lines = ["id,review_body"] + [f"{n},lovely soft fabric number {n}" for n in range(rows)]
    if bad_row:
        lines.insert(3, "x,too,many,fields")
    return ("\n".join(lines) + "\n").encode()


def test_an_upload_is_posted_to_s3_through_the_presigned_post(stack: LocalModeStack) -> None:
    # Given a presigned POST for "my reviews.csv"
    upload = new_upload(stack, "my reviews.csv")
    match = re.fullmatch(r"web/([0-9a-f]{16})/my reviews\.csv", upload["name"])
    assert match, upload["name"]
    key = f"incoming/{upload['name']}"
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "text/csv"
    assert upload["expires_in"] == 300
    assert upload["max_bytes"] == stack.config.settings.max_upload_bytes
    assert upload["status_url"] == f"/api/files/web/{match[1]}/my%20reviews.csv"
    # When the browser posts the file with it
    response = post_file(upload, good_csv(), "text/csv")
    # Then the object is at the key, with that content type and those bytes
    assert response.status_code == 204, response.text
    found = stack.client("s3").get_object(Bucket=stack.config.bucket, Key=key)
    assert found["ContentType"] == "text/csv"
    assert found["Body"].read() == good_csv()
    # and each upload gets a folder of its own
    assert new_upload(stack, "my reviews.csv")["name"] != upload["name"]


def test_the_post_policy_pins_the_size_range_and_the_stacks_data_key(
    stack: LocalModeStack,
) -> None:
    # moto accepts any POST and enforces no policy, so the policy S3 would enforce is read instead
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    upload = new_upload(stack, "big.csv", MAX_UPLOAD_BYTES="10", DATA_KEY_ARN=key_arn)
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", 1, 10] in policy["conditions"]
    assert {"key": f"incoming/{upload['name']}"} in policy["conditions"]
    assert {"x-amz-server-side-encryption": "aws:kms"} in policy["conditions"]
    assert {"x-amz-server-side-encryption-aws-kms-key-id": key_arn} in policy["conditions"]
    assert upload["max_bytes"] == 10


def test_a_file_is_pending_until_scored_then_its_outcome_has_working_downloads(
    stack: LocalModeStack,
) -> None:
    # Given a file uploaded through the API, with one row that will be rejected
    upload = new_upload(stack, "reviews.csv")
    assert post_file(upload, good_csv(bad_row=True), "text/csv").status_code == 204
    # Then it is pending until the flow has run
    assert (status(stack, upload).status, status(stack, upload).body) == (
        200,
        {"status": "PENDING"},
    )
    LocalFlow(stack).drain()
    answer = status(stack, upload)
    # Then its outcome is the summary, with the labeled CSV and the rejects to download
    assert answer.status == 200
    summary = answer.body
    assert summary["status"] == "SUCCEEDED"
    assert summary["source"] == f"s3://{stack.config.bucket}/incoming/{upload['name']}"
    assert summary["rows"]["scored"] == 25 and summary["rows"]["rejected"] == 1
    name = bucket_keys.upload_name(f"incoming/{upload['name']}")
    s3 = stack.client("s3")
    for field, key in (
        ("results", bucket_keys.labeled_key(name)),
        ("rejects", bucket_keys.rejects_key(name)),
    ):
        downloaded = requests.get(summary["downloads"][field], timeout=30)
        assert downloaded.status_code == 200
        stored = s3.get_object(Bucket=stack.config.bucket, Key=key)["Body"].read()
        assert downloaded.content == stored


def test_a_refused_file_shows_its_error_and_nothing_to_download(stack: LocalModeStack) -> None:
    upload = new_upload(stack, "latin1.CSV.gz")
    assert upload["fields"]["Content-Type"] == "application/gzip"
    data = gzip.compress(b"id,review_body\n1,caf\xe9\n")
    assert post_file(upload, data, "application/gzip").status_code == 204
    head = stack.client("s3").head_object(
        Bucket=stack.config.bucket, Key=f"incoming/{upload['name']}"
    )
    assert head["ContentType"] == "application/gzip"
    LocalFlow(stack).drain()
    answer = status(stack, upload)
    assert answer.status == 200
    assert answer.body["status"] == "FAILED"
    assert answer.body["error"]["code"] == "INVALID_ENCODING"
    assert answer.body["downloads"] == {"results": None, "rejects": None}


def test_a_file_uploaded_without_the_api_has_a_status_too(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given a file put under incoming/ by other means, in a folder with a space in its name
    flow = LocalFlow(stack)
    source = tmp_path / "weekly.csv"
    source.write_bytes(good_csv())
    flow.upload(source, "incoming/team a/weekly.csv")
    # Then its status is found by its path, percent-encoded or not
    assert status(stack, {"status_url": "/api/files/team%20a/weekly.csv"}).body == {
        "status": "PENDING"
    }
    flow.drain()
    answer = status(stack, {"status_url": "/api/files/team a/weekly.csv"})
    assert answer.body["status"] == "SUCCEEDED"
    assert answer.body["downloads"]["results"] and answer.body["downloads"]["rejects"] is None


def test_an_uploads_twin_of_another_suffix_does_not_take_its_outcome(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given twin.csv scored (twin.csv.gz and twin.CSV would share its result keys)
    flow = LocalFlow(stack)
    source = tmp_path / "twin.csv"
    source.write_bytes(good_csv())
    flow.upload(source, "incoming/twin.csv")
    flow.drain()
    assert status(stack, {"status_url": "/api/files/twin.csv"}).body["status"] == "SUCCEEDED"
    # Then the twins, never uploaded, are not found
    for twin in ("twin.csv.gz", "twin.CSV"):
        answer = status(stack, {"status_url": f"/api/files/{twin}"})
        assert error_of(answer) == (404, "NOT_FOUND")


@pytest.mark.parametrize(
    "path",
    [
        "/api/files/web/0123456789abcdef/none.csv",
        "/api/files/",
        "/api/files/../x.csv",
        "/api/files/web/../../results/x.csv",
        "/api/files//x.csv",
        "/api/files/x.txt",
        "/api/files/web/0123456789abcdef",
    ],
)
def test_an_unknown_upload_is_not_found(stack: LocalModeStack, path: str) -> None:
    assert error_of(api(stack, api_event("GET", path))) == (404, "NOT_FOUND")
