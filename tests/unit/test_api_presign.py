"""The presigned requests the API hands browsers, as signed for real AWS (signing makes no call):
Signature Version 4, which SSE-KMS objects require, at the bucket's regional virtual-hosted
endpoint, with a POST policy pinning what docs/API.md says it pins."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from review_scorer.aws import clients, s3_presign

KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def real_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    clients.reset()
    yield
    clients.reset()


def policy(fields: dict[str, str]) -> dict[str, Any]:
    return json.loads(base64.b64decode(fields["policy"]))  # type: ignore[no-any-return]


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_an_upload_post_goes_to_the_buckets_regional_endpoint_signed_with_sigv4(
    real_aws: None, monkeypatch: pytest.MonkeyPatch, region: str
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_REGION", region)
    post = s3_presign.presigned_post(
        "my-bucket",
        "incoming/web/0123456789abcdef/r.csv",
        content_type="text/csv",
        max_bytes=2 * 1024**3,
        kms_key_arn=KEY_ARN,
        expires_in=300,
    )
    assert post.url == f"https://my-bucket.s3.{region}.amazonaws.com/"
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert f"/{region}/s3/aws4_request" in post.fields["x-amz-credential"]
    url = s3_presign.presigned_get("my-bucket", "results/a.labeled.csv", expires_in=300)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", f"my-bucket.s3.{region}.amazonaws.com")
    query = parse_qs(parts.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]


def test_the_post_policy_pins_key_type_size_and_sse_kms(real_aws: None) -> None:
    post = s3_presign.presigned_post(
        "my-bucket",
        "incoming/web/0123456789abcdef/r.csv.gz",
        content_type="application/gzip",
        max_bytes=1000,
        kms_key_arn=KEY_ARN,
        expires_in=300,
    )
    conditions = policy(post.fields)["conditions"]
    assert {"bucket": "my-bucket"} in conditions
    assert {"key": "incoming/web/0123456789abcdef/r.csv.gz"} in conditions
    assert {"Content-Type": "application/gzip"} in conditions
    assert ["content-length-range", 1, 1000] in conditions
    assert {"x-amz-server-side-encryption": "aws:kms"} in conditions
    assert {"x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN} in conditions
    # and every field the browser must send is in the form it gets
    assert post.fields["key"] == "incoming/web/0123456789abcdef/r.csv.gz"
    assert post.fields["Content-Type"] == "application/gzip"
    assert post.fields["x-amz-server-side-encryption"] == "aws:kms"
    assert post.fields["x-amz-server-side-encryption-aws-kms-key-id"] == KEY_ARN


def test_without_a_data_key_the_post_asks_for_no_encryption(real_aws: None) -> None:
    post = s3_presign.presigned_post(
        "my-bucket",
        "incoming/web/x/r.csv",
        content_type="text/csv",
        max_bytes=5,
        kms_key_arn="",
        expires_in=60,
    )
    assert not [f for f in post.fields if f.startswith("x-amz-server-side")]
    assert not [c for c in policy(post.fields)["conditions"] if "x-amz-server-side" in str(c)]
