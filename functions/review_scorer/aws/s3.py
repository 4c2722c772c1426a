"""Every S3 call of the functions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import ClientError

from review_scorer.aws import clients
from review_scorer.errors import SourceChangedError

_GONE = {"NoSuchKey", "NoSuchVersion", "PreconditionFailed", "404", "412"}


def open_version(bucket: str, key: str, version_id: str | None, etag: str) -> IO[bytes]:
    """Stream one exact version of an object: by version id, else only if the ETag still matches.

    A GetObject of a version that is gone answers 403, not 404, to a caller without an
    unconditioned s3:ListBucket (see :func:`exists`), which the functions do not have: so the
    version is first looked for in a listing, which tells "gone" from "denied". Should it go in
    the instant between the two, the 403 fails the invocation and its retry finds it gone.
    """
    if not _version_listed(bucket, key, version_id, etag):
        raise SourceChangedError(
            f"s3://{bucket}/{key} was deleted or replaced before it could be read; upload it again"
        )
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


@dataclass(frozen=True)
class ObjectHead:
    size: int
    etag: str  # without its quotes


def head(bucket: str, key: str) -> ObjectHead:
    """Size and ETag of ``key`` (HeadObject, authorized as s3:GetObject). Raises ClientError:
    a missing key answers 403 without s3:ListBucket on the bucket (see :func:`exists`)."""
    response = clients.s3().head_object(Bucket=bucket, Key=key)
    return ObjectHead(size=int(response["ContentLength"]), etag=response["ETag"].strip('"'))


def open_if_match(bucket: str, key: str, etag: str) -> IO[bytes]:
    """Stream ``key`` only while it still has ``etag``: a replaced object answers 412
    PreconditionFailed (ClientError) instead of other bytes than were checked."""
    response = clients.s3().get_object(Bucket=bucket, Key=key, IfMatch=etag)
    return response["Body"]  # type: ignore[return-value]


def open_object(bucket: str, key: str) -> IO[bytes]:
    return clients.s3().get_object(Bucket=bucket, Key=key)["Body"]  # type: ignore[return-value]


def exists(bucket: str, key: str) -> bool:
    """Whether ``key`` exists: ListObjectsV2 with the key as prefix, not HeadObject.

    A HeadObject (or GetObject) of a missing key answers 404 only to a caller allowed
    s3:ListBucket on the whole bucket; otherwise S3 answers 403 Access Denied ("Permissions" of
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html and
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). The functions may list
    only their own prefixes (s3:ListBucket with an s3:prefix condition, which a HeadObject does
    not carry): a listing carries the prefix, so the narrow grant suffices, and it is strongly
    consistent like HeadObject. The key itself sorts first among the keys it prefixes, so one
    key is enough to answer.
    """
    response = clients.s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    return any(item["Key"] == key for item in response.get("Contents", []))


def _version_listed(bucket: str, key: str, version_id: str | None, etag: str) -> bool:
    """Whether that version of ``key`` (or, unversioned, ``key`` with that ETag) is listed:
    ListObjectVersions / ListObjectsV2 with the key as prefix (s3:ListBucketVersions /
    s3:ListBucket with s3:prefix, see :func:`exists`)."""
    if not version_id:
        response = clients.s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(
            item["Key"] == key and item["ETag"].strip('"') == etag.strip('"')
            for item in response.get("Contents", [])
        )
    pages = clients.s3().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
    for page in pages:
        for version in page.get("Versions", []):
            if version["Key"] != key:
                return False  # versions are listed key by key: past ours
            if version.get("VersionId") == version_id:
                return True
    return False


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


def claim_json(bucket: str, key: str, document: str, may_take_over: Callable[[Any], bool]) -> bool:
    """Write ``document`` if the key is absent, or over the one there if ``may_take_over`` of it
    says so (only if it is still that one): of racing writers, exactly one wins."""
    if put_json_if(bucket, key, document):
        return True
    held, etag = read_json_and_etag(bucket, key)
    return may_take_over(held) and put_json_if(bucket, key, document, etag=etag)


def read_json_and_etag(bucket: str, key: str) -> tuple[Any, str]:
    response = clients.s3().get_object(Bucket=bucket, Key=key)
    return json.loads(response["Body"].read()), response["ETag"]


def read_json(bucket: str, key: str) -> Any:
    return json.loads(open_object(bucket, key).read())


def read_json_if_exists(bucket: str, key: str) -> Any | None:
    """The JSON document at ``key``, or None if there is none (looked for as :func:`exists`
    does, so a missing key is told from a denied one with a prefix-scoped s3:ListBucket)."""
    return read_json(bucket, key) if exists(bucket, key) else None


def upload_file(path: Path, bucket: str, key: str, content_type: str) -> None:
    """Upload a finished local file (multipart when large): it appears whole or not at all."""
    clients.s3().upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})


def copy_version(bucket: str, key: str, version_id: str | None, target_key: str) -> None:
    source: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        source["VersionId"] = version_id
    clients.s3().copy(source, bucket, target_key)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ObjectVersion:
    key: str
    version_id: str | None  # None where the bucket is not versioned
    etag: str
    size: int
    last_modified: datetime


def latest_versions(bucket: str, prefix: str) -> Iterator[ObjectVersion]:
    """The current version of every object under ``prefix`` (delete markers left out).

    ListObjectVersions, because a job name derives from the version id in a versioned bucket
    (an unversioned one answers the version id "null").
    """
    pages = (
        clients.s3().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    )
    for page in pages:
        for version in page.get("Versions", []):
            if version.get("IsLatest"):
                version_id = version.get("VersionId")
                yield ObjectVersion(
                    key=version["Key"],
                    version_id=None if version_id in (None, "null") else version_id,
                    etag=version["ETag"].strip('"'),
                    size=int(version["Size"]),
                    last_modified=version["LastModified"],
                )
