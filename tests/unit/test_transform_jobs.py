"""Transform job names: derived from the upload, and always a name SageMaker accepts.

SageMaker's own rule for TransformJobName is read from botocore's service model (the model the
SDK validates requests with), not written down again here.
"""

from __future__ import annotations

import re

import botocore.session
import pytest
from pydantic import ValidationError

from review_scorer.settings import Settings
from review_scorer.transform import jobs

_INPUT = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateTransformJob")
    .input_shape
)
assert _INPUT is not None
_NAME_SHAPE = _INPUT.members["TransformJobName"]


def accepted_by_sagemaker(name: str) -> bool:
    rule = _NAME_SHAPE.metadata
    return rule["min"] <= len(name) <= rule["max"] and bool(re.fullmatch(rule["pattern"], name))


def test_job_name_is_the_same_for_the_same_upload() -> None:
    first = jobs.job_name("rs", "bucket", "incoming/a b.csv", "v1")
    again = jobs.job_name("rs", "bucket", "incoming/a b.csv", "v1")
    assert first == again


@pytest.mark.parametrize(
    ("bucket", "key", "version"),
    [
        ("other", "incoming/a b.csv", "v1"),
        ("bucket", "incoming/a+b.csv", "v1"),
        ("bucket", "incoming/a b.csv", "v2"),
    ],
)
def test_job_name_changes_with_bucket_key_or_version(bucket: str, key: str, version: str) -> None:
    assert jobs.job_name("rs", bucket, key, version) != jobs.job_name(
        "rs", "bucket", "incoming/a b.csv", "v1"
    )


def test_job_name_is_a_valid_sagemaker_name_with_the_stack_prefix() -> None:
    prefix = "review-scorer-production-01"
    name = jobs.job_name(prefix, "b", "incoming/" + "é" * 500 + ".csv", "v")
    assert name.startswith(prefix + "-")
    assert len(name) <= jobs.SAGEMAKER_NAME_MAX
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)


@pytest.mark.parametrize("prefix", ["", "-rs", "rs-", "r_s", "x" * 31])
def test_invalid_job_name_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        jobs.job_name(prefix, "b", "k", "v")


def test_the_longest_prefix_settings_accept_gives_a_name_sagemaker_accepts() -> None:
    # Given the longest prefix, with hyphens (the pattern's "-*" does not bound the length)
    prefix = "a-" * 14 + "bc"
    assert len(prefix) == jobs.JOB_PREFIX_MAX == 30
    Settings(bucket_name="bucket", topic_arn="arn", job_name_prefix=prefix)
    # When a job is named with it, Then SageMaker's own rule accepts the name
    assert accepted_by_sagemaker(jobs.job_name(prefix, "b", "incoming/a.csv", "v"))


@pytest.mark.parametrize("prefix", ["a" + "-" * 20 + "b" * 21, "a-" * 15 + "b"])
def test_a_prefix_that_would_make_too_long_a_job_name_is_refused_everywhere(prefix: str) -> None:
    # Given a prefix the old pattern accepted (42 characters through repeated hyphens)
    assert re.fullmatch(r"^[a-z0-9](-*[a-z0-9]){0,29}$", prefix)
    name = f"{prefix}-{'0' * 32}"
    assert not accepted_by_sagemaker(name)
    # Then the settings, the job name builder and the name check all refuse it
    with pytest.raises(ValidationError):
        Settings(bucket_name="bucket", topic_arn="arn", job_name_prefix=prefix)
    with pytest.raises(ValueError, match="prefix"):
        jobs.job_name(prefix, "b", "k", "v")
    assert not jobs.is_sagemaker_name(name)


def test_the_name_check_is_sagemakers_rule() -> None:
    for name in ("a", "rs-" + "0" * 32, "a" * 63, "a" * 64, "-a", "a-", "a_b", "a--b"):
        assert jobs.is_sagemaker_name(name) == accepted_by_sagemaker(name), name


@pytest.mark.parametrize("name", ["a" * 64, "a" + "-" * 45 + "b" * 22])
def test_local_sagemaker_refuses_a_job_name_sagemaker_would_refuse(name: str) -> None:
    from review_scorer_local.sagemaker_endpoint import SageMakerEmulator
    from review_scorer_local.sagemaker_faults import ApiError

    # Given the local SageMaker endpoint with a model
    emulator = SageMakerEmulator("us-east-1")
    emulator.create_model({"ModelName": "m", "PrimaryContainer": {"Image": "i"}})
    assert not accepted_by_sagemaker(name)
    # When a job with a name SageMaker refuses is created, Then it is refused the same way
    with pytest.raises(ApiError) as refused:
        emulator.create_transform_job({"TransformJobName": name, "ModelName": "m"})
    assert refused.value.code == "ValidationException"
    assert name not in emulator.jobs
