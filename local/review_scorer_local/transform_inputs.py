"""A transform job's input objects, read as SageMaker Batch Transform reads them.

The job's input objects are those under its S3Uri (``S3Prefix``) or those its manifest lists
(``ManifestFile``: a JSON list ``[{"prefix": "s3://bucket/some/prefix/"}, "relative/path", ...]``,
each object being the prefix followed by a relative path, in the listed order; every object
listed must be readable,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html).
Each object keeps its path below the input's prefix, which names its output (for an
``S3Prefix`` input the app's shards sit directly under the prefix, so the name alone is kept).
No input, or a manifest that cannot be used, fails the job with :class:`TransformJobError`;
its messages name objects and the manifest, never a record.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError


class TransformJobError(Exception):
    """Ends the job as Failed; the message becomes its FailureReason."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        if not uri.startswith("s3://"):
            raise TransformJobError(f"ClientError: {uri} is not an S3 URI")
        bucket, _, key = uri[len("s3://") :].partition("/")
        return cls(bucket, key)


@dataclass(frozen=True)
class InputObject:
    """One input object of a job, and its path below the input's prefix (``relative``): its
    output is ``<output path>/<relative>.out``."""

    bucket: str
    key: str
    relative: str


def job_inputs(job: dict[str, Any], s3: Any) -> list[InputObject]:
    """The job's input objects, in the order they are scored; :class:`TransformJobError` if
    there are none or the manifest cannot be used."""
    source = job["TransformInput"]["DataSource"]["S3DataSource"]
    data_type = source.get("S3DataType", "S3Prefix")
    where = S3Location.parse(source["S3Uri"])
    if data_type == "S3Prefix":
        return prefix_inputs(where, s3)
    if data_type == "ManifestFile":
        return manifest_inputs(where, s3)
    raise TransformJobError(
        f"ClientError: S3DataType {data_type} is not supported by this batch transform"
    )


def prefix_inputs(source: S3Location, s3: Any) -> list[InputObject]:
    """``S3Prefix``: every object whose key starts with the prefix, in key order."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=source.key)
    keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    if not keys:
        raise TransformJobError(
            f"ClientError: no input found under s3://{source.bucket}/{source.key}"
        )
    return [InputObject(source.bucket, key, posixpath.basename(key)) for key in keys]


def manifest_inputs(manifest: S3Location, s3: Any) -> list[InputObject]:
    """``ManifestFile``: the objects the manifest lists, each the prefix followed by a relative
    path, in the listed order; each must exist and be readable
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html)."""
    uri = f"s3://{manifest.bucket}/{manifest.key}"
    try:
        raw = s3.get_object(Bucket=manifest.bucket, Key=manifest.key)["Body"].read()
    except ClientError as error:
        raise TransformJobError(
            f"ClientError: cannot read the input manifest {uri}: {_error_code(error)}"
        ) from None
    try:
        entries = json.loads(raw)
    except ValueError:
        raise TransformJobError(f"ClientError: the input manifest {uri} is not JSON") from None
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        raise TransformJobError(
            f"ClientError: the input manifest {uri} is not a JSON list that starts with an "
            "object holding the prefix"
        )
    prefix = entries[0].get("prefix")
    if not isinstance(prefix, str) or not prefix.startswith("s3://"):
        raise TransformJobError(
            f"ClientError: the first element of the input manifest {uri} holds no prefix "
            "that is an S3 URI"
        )
    base = S3Location.parse(prefix)
    if not base.bucket:
        raise TransformJobError(
            f"ClientError: the prefix in the input manifest {uri} names no bucket"
        )
    paths = entries[1:]
    if not paths:
        raise TransformJobError(f"ClientError: the input manifest {uri} lists no input objects")
    inputs: list[InputObject] = []
    for number, relative in enumerate(paths, start=1):
        if not isinstance(relative, str) or not relative:
            raise TransformJobError(
                f"ClientError: entry {number} of the input manifest {uri} is not a relative path"
            )
        inputs.append(InputObject(base.bucket, base.key + relative, relative))
    for item in inputs:  # all of them readable before any is scored
        try:
            s3.head_object(Bucket=item.bucket, Key=item.key)
        except ClientError as error:
            raise TransformJobError(
                f"ClientError: s3://{item.bucket}/{item.key}, listed in the input manifest "
                f"{uri}, cannot be read: {_error_code(error)}"
            ) from None
    return inputs


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "unknown error")
