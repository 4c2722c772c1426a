"""The CreateTransformJob request for one staged file (BlazingText, JSON Lines in and out)."""

from __future__ import annotations

from typing import Any

from review_scorer.bucket_keys import predictions_prefix, s3_uri, shard_input_prefix
from review_scorer.settings import Settings
from review_scorer.transform.records import JSON_LINES


def transform_request(
    job: str, bucket: str, shard_count: int, settings: Settings
) -> dict[str, Any]:
    """One line per record in, one per record out, same order; never more instances than shards
    (one input file goes to one instance, so extra instances would idle and cost). Output and
    ML volume are encrypted with the stack's keys when given (the IAM policy requires them)."""
    request: dict[str, Any] = {
        "TransformJobName": job,
        "ModelName": settings.model_name,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": settings.max_payload_mb,
        "TransformInput": {
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": s3_uri(bucket, shard_input_prefix(job)),
                }
            },
            "ContentType": JSON_LINES,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": s3_uri(bucket, predictions_prefix(job)),
            "Accept": JSON_LINES,
            "AssembleWith": "Line",
        },
        "TransformResources": {
            "InstanceType": settings.instance_type,
            "InstanceCount": instance_count(shard_count, settings),
        },
        "Tags": [{"Key": "app", "Value": "review-scorer"}],
    }
    if settings.transform_kms_key_arn:
        request["TransformOutput"]["KmsKeyId"] = settings.transform_kms_key_arn
    if settings.transform_volume_kms_key_arn:
        request["TransformResources"]["VolumeKmsKeyId"] = settings.transform_volume_kms_key_arn
    return request


def instance_count(shard_count: int, settings: Settings) -> int:
    """Never more instances than shards (one input file goes to one instance, so extra
    instances would idle and cost), nor than the stack may hold at once."""
    return max(1, min(settings.instance_count, shard_count, settings.transform_instance_limit))
