"""Where everything lives in the bucket, and the names derived from an upload.

All keys the app writes are computed here, so one module answers "can anything we write match
the upload trigger?" (it cannot: only ``incoming/`` + ``.csv`` triggers, and nothing is written
under ``incoming/``). Every name is deterministic, which is what makes each step idempotent.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

INCOMING_PREFIX = "incoming/"
UPLOAD_SUFFIX = ".csv"
GZIP_UPLOAD_SUFFIX = ".csv.gz"
UPLOAD_SUFFIXES = (GZIP_UPLOAD_SUFFIX, UPLOAD_SUFFIX)  # one S3 trigger each
STAGING_PREFIX = "staging/"
PREDICTIONS_PREFIX = "predictions/"
RESULTS_PREFIX = "results/"
QUARANTINE_PREFIX = "quarantine/"

WRITTEN_PREFIXES = (STAGING_PREFIX, PREDICTIONS_PREFIX, RESULTS_PREFIX, QUARANTINE_PREFIX)

TRANSFORM_JOB_NAME_MAX = 63
_JOB_PREFIX_RE = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,29}$")  # lower case: ARNs are
_DIGEST_CHARS = 32  # 128 bits: collisions are not a practical concern


def job_name(prefix: str, bucket: str, key: str, version: str) -> str:
    """The transform job name for one uploaded object version.

    ``version`` is the S3 version id, or the ETag where the bucket is not versioned. The same
    upload always maps to the same name (so a redelivered event finds its job), and a new upload
    to the same key maps to a new one.
    """
    if not _JOB_PREFIX_RE.match(prefix):
        raise ValueError(
            f"job name prefix {prefix!r} must be 1-30 lower-case letters, digits or hyphens, "
            "starting and ending with a letter or digit"
        )
    material = "\n".join((bucket, key, version)).encode("utf-8")
    return f"{prefix}-{hashlib.sha256(material).hexdigest()[:_DIGEST_CHARS]}"


def upload_name(key: str) -> str:
    """The upload's path below ``incoming/`` without ``.csv`` (or ``.csv.gz``):
    ``incoming/a/b.csv`` -> ``a/b``.

    Keeping the sub-path (not only the base name) means two uploads in different folders never
    share a result key.
    """
    name = key[len(INCOMING_PREFIX) :] if key.startswith(INCOMING_PREFIX) else key
    for suffix in UPLOAD_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def staging_prefix(job: str) -> str:
    return f"{STAGING_PREFIX}{job}/"


def shard_key(job: str, index: int) -> str:
    return f"{staging_prefix(job)}part-{index:05d}.jsonl"


def shard_input_prefix(job: str) -> str:
    """The S3Prefix handed to the transform job: shards only, never the manifest."""
    return f"{staging_prefix(job)}part-"


def manifest_key(job: str) -> str:
    return f"{staging_prefix(job)}manifest.json"


def staged_rejects_key(job: str) -> str:
    return f"{staging_prefix(job)}rejects.csv"


def predictions_prefix(job: str) -> str:
    return f"{PREDICTIONS_PREFIX}{job}/"


def prediction_key(job: str, shard: str) -> str:
    """Batch Transform writes ``<input file name>.out`` under the output path."""
    return f"{predictions_prefix(job)}{posixpath.basename(shard)}.out"


def labeled_key(name: str) -> str:
    return f"{RESULTS_PREFIX}{name}.labeled.csv"


def rejects_key(name: str) -> str:
    return f"{RESULTS_PREFIX}{name}.rejects.csv"


def summary_key(name: str) -> str:
    return f"{RESULTS_PREFIX}{name}.summary.json"


def quarantine_key(name: str, key: str) -> str:
    return f"{QUARANTINE_PREFIX}{name}/{posixpath.basename(key)}"


def quarantine_error_key(name: str) -> str:
    return f"{QUARANTINE_PREFIX}{name}/error.json"


def is_upload(key: str) -> bool:
    """True for the keys the upload trigger fires on (folder placeholders excluded)."""
    return (
        key.startswith(INCOMING_PREFIX)
        and key.endswith(UPLOAD_SUFFIXES)
        and key.rstrip("/") == key  # S3 console folder placeholders end in "/"
    )


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


TRANSFORM_EVENT_SOURCE = "aws.sagemaker"
TRANSFORM_EVENT_DETAIL_TYPE = "SageMaker Transform Job State Change"
TERMINAL_JOB_STATES = ("Completed", "Failed", "Stopped")


def transform_event_pattern(prefix: str) -> dict[str, object]:
    """EventBridge pattern for this stack's finished transform jobs.

    The template's rule and local mode's rule are both this pattern (a contract test checks).
    """
    return {
        "source": [TRANSFORM_EVENT_SOURCE],
        "detail-type": [TRANSFORM_EVENT_DETAIL_TYPE],
        "detail": {
            "TransformJobName": [{"prefix": f"{prefix}-"}],
            "TransformJobStatus": list(TERMINAL_JOB_STATES),
        },
    }


def notified_key(job: str) -> str:
    """Written after a file's one SNS message was sent; a duplicate finds it and stays quiet."""
    return f"{staging_prefix(job)}notified.json"
