"""``GET /api/files/<name>``: how an upload is doing, for a page that cannot read SNS.

``<name>`` is the upload's path below ``incoming/``. Its outcome is the document the app wrote
when it announced the file (:mod:`review_scorer.outcome.summary`): ``results/<name>.summary.json``,
or for a refused file the ``error.json`` beside its quarantined copy
(:mod:`review_scorer.logic.file_outcome`). Only a document whose ``source`` is this upload counts:
``x.csv`` and ``x.csv.gz`` (or ``X.CSV``) share those keys. The newer wins, should there be
both (an upload replaced by a newer version). No outcome yet: PENDING while the upload exists.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from review_scorer import bucket_keys
from review_scorer.api.http import ApiError
from review_scorer.aws import s3, s3_presign
from review_scorer.settings import Settings

PENDING = "PENDING"
DOWNLOAD_URL_SECONDS = 300  # docs/API.md: the downloads' URLs are valid 300 seconds
MAX_KEY_BYTES = 1024  # S3's longest key


def handle(path: str, settings: Settings) -> dict[str, Any]:
    """The status of the upload ``path`` names (the request path below ``/api/files/``,
    percent-encoded or not)."""
    name = unquote(path)
    key = bucket_keys.INCOMING_PREFIX + name
    if not is_upload_name(name):
        raise _not_found()
    found = outcome(settings.bucket_name, key)
    if found is not None:
        return {**found, "downloads": downloads(found, settings.bucket_name)}
    if s3.exists(settings.bucket_name, key):
        return {"status": PENDING}
    raise _not_found()


def is_upload_name(name: str) -> bool:
    """Whether ``incoming/<name>`` can be an upload the app scores: a .csv or .csv.gz below
    ``incoming/``, with no empty, ``.`` or ``..`` folder and no leading ``/``."""
    key = bucket_keys.INCOMING_PREFIX + name
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: no S3 key has one
        return False
    parts = name.split("/")
    return (
        size <= MAX_KEY_BYTES
        and all(part not in ("", ".", "..") for part in parts)
        and bucket_keys.is_upload(key)
    )


def outcome(bucket: str, key: str) -> dict[str, Any] | None:
    """The outcome document of the upload at ``key``, the newer one if it has both kinds; None
    before either."""
    name, source = bucket_keys.upload_name(key), bucket_keys.s3_uri(bucket, key)
    documents = [
        document
        for at in (bucket_keys.summary_key(name), bucket_keys.quarantine_error_key(name))
        if isinstance(document := s3.read_json_if_exists(bucket, at), dict)
        and document.get("source") == source
    ]
    if not documents:
        return None
    return max(documents, key=lambda document: str(document.get("finished_at", "")))


def downloads(document: dict[str, Any], bucket: str) -> dict[str, str | None]:
    """Presigned GET URLs of the labeled CSV and the rejects CSV the document names (objects
    of ``bucket`` only)."""
    return {field: _download_url(document.get(field), bucket) for field in ("results", "rejects")}


def _download_url(uri: object, bucket: str) -> str | None:
    prefix = f"s3://{bucket}/"
    if not isinstance(uri, str) or not uri.startswith(prefix) or uri == prefix:
        return None
    return s3_presign.presigned_get(bucket, uri[len(prefix) :], expires_in=DOWNLOAD_URL_SECONDS)


def _not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "there is no such upload")
