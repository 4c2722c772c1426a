"""Presigned S3 requests for browsers: the scoring API's uploads and downloads.

Signed by the function's own credentials (so its role needs the rights a browser uses: PutObject
under the upload prefix, GetObject of the results, KMS GenerateDataKey/Decrypt on the data key)
with :func:`review_scorer.aws.clients.s3_presigner`, whose configuration says why SigV4 and the
regional endpoint. Signing makes no AWS call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from review_scorer.aws import clients

SSE_KMS = "aws:kms"


@dataclass(frozen=True)
class PresignedPost:
    """Where to post (``url``) and the form fields to send before the file."""

    url: str
    fields: dict[str, str]


def presigned_post(
    bucket: str,
    key: str,
    *,
    content_type: str,
    max_bytes: int,
    kms_key_arn: str,
    expires_in: int,
) -> PresignedPost:
    """A browser-based upload of exactly ``key``: its POST policy
    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html) pins
    the bucket and key (boto3's ``generate_presigned_post`` adds both), ``Content-Type``, a size
    of 1 to ``max_bytes`` bytes and, with ``kms_key_arn``, SSE-KMS with that key.

    boto3 puts a field given in ``Fields`` into the form but not into the policy: each is
    repeated in ``Conditions``
    (https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/s3/client/generate_presigned_post.html).
    """
    fields = {"Content-Type": content_type}
    if kms_key_arn:
        fields["x-amz-server-side-encryption"] = SSE_KMS
        fields["x-amz-server-side-encryption-aws-kms-key-id"] = kms_key_arn
    conditions: list[Any] = [{name: value} for name, value in fields.items()]
    conditions.append(["content-length-range", 1, max_bytes])
    answer = clients.s3_presigner().generate_presigned_post(
        Bucket=bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
    )
    return PresignedPost(url=answer["url"], fields=dict(answer["fields"]))


def presigned_get(bucket: str, key: str, *, expires_in: int) -> str:
    """A URL that downloads ``key`` for ``expires_in`` seconds."""
    return clients.s3_presigner().generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
    )
