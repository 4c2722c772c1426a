"""``POST /api/uploads``: a presigned POST for one CSV, straight from the browser to S3.

The file lands at ``incoming/web/<16 hex>/<name>``: under ``incoming/``, so the upload trigger
scores it like any other upload, and in a folder of its own, so two browsers sending
``reviews.csv`` never replace each other's file (nor share a result). The function never sees
the file's bytes: S3 enforces the POST policy (key, type, size, encryption).
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import quote

from review_scorer import bucket_keys
from review_scorer.api.http import ApiError, Request, json_object
from review_scorer.aws import s3_presign
from review_scorer.observability import count
from review_scorer.settings import Settings

WEB_FOLDER = "web"
FILES_PATH = "/api/files/"
MAX_NAME_CHARS = 200
# docs/API.md: ASCII letters, digits, spaces, ".", "_", "-", starting with a letter or digit
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]*")
CSV_TYPE = "text/csv"
GZIP_TYPE = "application/gzip"


def handle(request: Request, settings: Settings) -> dict[str, Any]:
    body = json_object(request)
    if "name" not in body:
        raise ApiError(400, "INVALID_REQUEST", 'the body has no "name"')
    name = check_name(body["name"])
    upload = f"{WEB_FOLDER}/{secrets.token_hex(8)}/{name}"
    post = s3_presign.presigned_post(
        settings.bucket_name,
        bucket_keys.INCOMING_PREFIX + upload,
        content_type=content_type(name),
        max_bytes=settings.max_upload_bytes,
        kms_key_arn=settings.data_key_arn,
        expires_in=settings.upload_url_seconds,
    )
    count("UploadUrlsIssued")
    return {
        "name": upload,
        "url": post.url,
        "fields": post.fields,
        "expires_in": settings.upload_url_seconds,
        "max_bytes": settings.max_upload_bytes,
        "status_url": FILES_PATH + quote(upload),
    }


def check_name(name: object) -> str:
    """``name`` if it is a plain ``.csv``/``.csv.gz`` file name (docs/API.md's rule)."""
    if not isinstance(name, str):
        raise ApiError(400, "INVALID_REQUEST", '"name" must be a string')
    plain = (
        len(name) <= MAX_NAME_CHARS
        and _NAME.fullmatch(name) is not None
        and name.lower().endswith(bucket_keys.UPLOAD_SUFFIXES)
    )
    if not plain:
        raise ApiError(
            400,
            "INVALID_FILE_NAME",
            f'"name" must be a file name of 1-{MAX_NAME_CHARS} letters, digits, spaces, ".", "_"'
            ' or "-", starting with a letter or digit, ending in .csv or .csv.gz, no folder',
        )
    return name


def content_type(name: str) -> str:
    return GZIP_TYPE if name.lower().endswith(bucket_keys.GZIP_UPLOAD_SUFFIX) else CSV_TYPE
