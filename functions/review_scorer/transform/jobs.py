"""Transform job names, states and the event that tells their end.

SageMaker names (jobs, models) are 1-63 characters matching ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}``
(CreateTransformJob, TransformJobName:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html); the
pattern alone does not bound the length, because of the ``-*``. A job name is unique forever in
an account and region, which is what makes the name derived from an upload a duplicate check.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

SAGEMAKER_NAME_MAX = 63
SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
_DIGEST_CHARS = 32  # 128 bits: collisions are not a practical concern
# prefix + "-" + digest must fit in a job name; lower case because SageMaker writes ARNs in lower
# case and IAM compares them case-sensitively.
JOB_PREFIX_MAX = SAGEMAKER_NAME_MAX - 1 - _DIGEST_CHARS
JOB_PREFIX_PATTERN = rf"^[a-z0-9](-*[a-z0-9]){{0,{JOB_PREFIX_MAX - 1}}}$"

TRANSFORM_EVENT_SOURCE = "aws.sagemaker"
TRANSFORM_EVENT_DETAIL_TYPE = "SageMaker Transform Job State Change"
TERMINAL_JOB_STATES: tuple[Literal["Completed", "Failed", "Stopped"], ...] = (
    "Completed",
    "Failed",
    "Stopped",
)


def is_sagemaker_name(name: str) -> bool:
    return len(name) <= SAGEMAKER_NAME_MAX and re.match(SAGEMAKER_NAME_PATTERN, name) is not None


def is_job_prefix(prefix: str) -> bool:
    return len(prefix) <= JOB_PREFIX_MAX and re.match(JOB_PREFIX_PATTERN, prefix) is not None


def job_name(prefix: str, bucket: str, key: str, version: str) -> str:
    """The transform job name for one uploaded object version.

    ``version`` is the S3 version id, or the ETag where the bucket is not versioned. The same
    upload always maps to the same name (so a redelivered event finds its job), and a new upload
    to the same key maps to a new one.
    """
    if not is_job_prefix(prefix):
        raise ValueError(
            f"job name prefix {prefix!r} must be 1-{JOB_PREFIX_MAX} lower-case letters, digits "
            "or hyphens, starting and ending with a letter or digit"
        )
    return digest_name(prefix, "\n".join((bucket, key, version)))


def digest_name(prefix: str, material: str) -> str:
    """``<prefix>-<digest of material>``: a valid job name, the same for the same material."""
    digest = hashlib.sha256(material.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    return f"{prefix}-{digest}"


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
