"""The CreateTransformJob request for a job over one or more staged files (BlazingText, JSON
Lines in and out), and its ``ManifestFile`` input.

Every job reads a manifest listing its shards, whether they belong to one large file or to
several small ones: one code path, and the job reads exactly the objects listed
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html).
"""

from __future__ import annotations

import posixpath
from typing import Any

from review_scorer.bucket_keys import (
    SHARDS_PREFIX,
    job_input_manifest_key,
    predictions_prefix,
    s3_uri,
)
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
                    "S3DataType": "ManifestFile",
                    "S3Uri": s3_uri(bucket, job_input_manifest_key(job)),
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


def input_manifest(bucket: str, shard_keys: list[str]) -> list[object]:
    """The job's manifest document: ``[{"prefix": "s3://bucket/staging/shards/"}, "<shard
    name>", ...]``, every shard by its name below the prefix, in the order given."""
    entries: list[object] = [{"prefix": s3_uri(bucket, SHARDS_PREFIX)}]
    for key in shard_keys:
        if posixpath.dirname(key) + "/" != SHARDS_PREFIX:
            raise ValueError(f"{key} is not a staging shard")
        entries.append(posixpath.basename(key))
    return entries
