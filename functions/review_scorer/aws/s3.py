"""Every S3 call of the functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import ClientError

from review_scorer.aws import clients
from review_scorer.errors import SourceChangedError

_GONE = {"NoSuchKey", "NoSuchVersion", "PreconditionFailed", "404", "412"}


def open_version(bucket: str, key: str, version_id: str | None, etag: str) -> IO[bytes]:
    """Stream one exact version of an object: by version id, else only if the ETag still matches."""
    pin: dict[str, str] = {"VersionId": version_id} if version_id else {"IfMatch": etag}
    try:
        response = clients.s3().get_object(Bucket=bucket, Key=key, **pin)  # type: ignore[arg-type]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in _GONE:
            raise SourceChangedError(
                f"s3://{bucket}/{key} was deleted or replaced before it could be read "
                f"({exc.response['Error']['Code']}); upload it again"
            ) from None
        raise
    return response["Body"]  # type: ignore[return-value]


def open_object(bucket: str, key: str) -> IO[bytes]:
    return clients.s3().get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[return-value]


def exists(bucket: str, key: str) -> bool:
    try:
        clients.s3().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
            return False
        raise
    return True


def put_bytes(bucket: str, key: str, data: bytes | IO[bytes], content_type: str) -> None:
    clients.s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)


def put_json(bucket: str, key: str, document: str) -> None:
    put_bytes(bucket, key, document.encode("utf-8"), "application/json")


_LOST_RACE = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


def put_json_if(bucket: str, key: str, document: str, *, etag: str | None = None) -> bool:
    """Write only if the key is absent (``etag`` None) or still has ``etag``; False if another
    writer got there first. S3 conditional writes make this atomic."""
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    try:
        clients.s3().put_object(
            Bucket=bucket,
            Key=key,
            Body=document.encode("utf-8"),
            ContentType="application/json",
            **condition,  # type: ignore[arg-type]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] in _LOST_RACE:
            return False
        raise
    return True


def read_json_and_etag(bucket: str, key: str) -> tuple[Any, str]:
    response = clients.s3().get_object(Bucket=bucket, Key=key)
    return json.loads(response["Body"].read()), response["ETag"]


def read_json(bucket: str, key: str) -> Any:
    return json.loads(open_object(bucket, key).read())


def upload_file(path: Path, bucket: str, key: str, content_type: str) -> None:
    """Upload a finished local file (multipart when large): it appears whole or not at all."""
    clients.s3().upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})


def copy_version(bucket: str, key: str, version_id: str | None, target_key: str) -> None:
    source: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        source["VersionId"] = version_id
    clients.s3().copy(source, bucket, target_key)  # type: ignore[arg-type]
