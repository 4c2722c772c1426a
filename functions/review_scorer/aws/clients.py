"""boto3 clients, created on first use and reused across warm invocations.

Never at import, so importing a handler costs nothing and tests or local mode can point the
clients at another endpoint (``AWS_ENDPOINT_URL``) and call :func:`reset`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)
# Presigned URLs are handed to browsers, so they are signed as S3 needs them to work there:
# Signature Version 4, which every request for an SSE-KMS object requires
# (https://repost.aws/knowledge-center/s3-kms-signature-version-error; botocore presigns with
# version 2 unless told), at the bucket's regional virtual-hosted endpoint
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html): the global
# endpoint answers a young bucket of another region with a redirect, which a browser's upload
# does not follow. Against a local endpoint (an IP address) botocore keeps path style.
_PRESIGN_CONFIG = _CONFIG.merge(
    Config(
        signature_version="s3v4",
        s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"},
    )
)


@cache
def _client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


def s3() -> S3Client:
    return _client("s3")  # type: ignore[no-any-return]


@cache
def _presigner() -> Any:
    return boto3.client("s3", config=_PRESIGN_CONFIG)


def s3_presigner() -> S3Client:
    """The S3 client that signs URLs for others (:mod:`review_scorer.aws.s3_presign`)."""
    return _presigner()  # type: ignore[no-any-return]


def sagemaker() -> SageMakerClient:
    return _client("sagemaker")  # type: ignore[no-any-return]


def sns() -> SNSClient:
    return _client("sns")  # type: ignore[no-any-return]


def sqs() -> SQSClient:
    return _client("sqs")  # type: ignore[no-any-return]


def reset() -> None:
    """Forget the clients, so the next call reads the environment (endpoint, region) again."""
    _client.cache_clear()
    _presigner.cache_clear()
