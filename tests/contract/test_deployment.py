"""What `sam deploy` will be given: the environments of samconfig.toml and the bundle's pins.

A parameter override that the template refuses only shows up at deploy time, after a changeset
has been computed; two environments that share a prefix only show up as one stack's IAM scopes,
rules or alarms covering the other's. Both are checked here.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from typing import Any

import cfn
import pytest
from cfn import FUNCTIONS_DIR, REPO

from review_scorer import bucket_keys

ENVIRONMENTS = ("default", "prod")
# Per-stack names: two stacks in one account and region must not share or extend them.
PER_STACK = ("BucketNamePrefix", "JobNamePrefix", "ServiceName")


def _samconfig() -> dict[str, Any]:
    with (REPO / "samconfig.toml").open("rb") as stream:
        return tomllib.load(stream)


def _overrides(environment: str) -> dict[str, str]:
    text = _samconfig()[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(text))


def _check(name: str, value: str, spec: dict[str, Any]) -> None:
    if "AllowedPattern" in spec:
        assert re.fullmatch(spec["AllowedPattern"], value), f"{name}={value!r}"
    if "AllowedValues" in spec:
        assert value in [str(v) for v in spec["AllowedValues"]], f"{name}={value!r}"
    if spec["Type"] == "Number":
        number = float(value)
        assert number >= spec.get("MinValue", number), f"{name}={value!r}"
        assert number <= spec.get("MaxValue", number), f"{name}={value!r}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_each_environment_overrides_only_parameters_the_template_accepts(
    template: dict[str, Any], environment: str
) -> None:
    parameters = template["Parameters"]
    overrides = _overrides(environment)
    for name, value in overrides.items():
        assert name in parameters, f"{environment}: no parameter {name}"
        _check(name, value, parameters[name])
    # every parameter without a default is given
    required = {name for name, spec in parameters.items() if "Default" not in spec}
    assert required <= set(overrides), f"{environment} misses {required - set(overrides)}"
    deploy = _samconfig()[environment]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"  # the model role, unnamed
    assert deploy["confirm_changeset"] is True


def test_environments_do_not_share_or_extend_each_others_names() -> None:
    config = _samconfig()
    stacks = [config[env]["global"]["parameters"]["stack_name"] for env in ENVIRONMENTS]
    assert len(set(stacks)) == len(stacks)
    for name in PER_STACK:
        values = [_overrides(env)[name] for env in ENVIRONMENTS]
        for value in values:
            others = [v for v in values if v is not value]
            for other in others:
                assert value != other, name
                # rs and rs-dev would overlap in the IAM scopes and the rule pattern (rs-*)
                assert not other.startswith(f"{value}-"), f"{name}: {value} / {other}"


# In the bundle only: fasttext-predict installs the module `fasttext` as fasttext-wheel does (the
# local and training extras), so pyproject.toml cannot list both; test_build.py checks they score
# alike.
BUNDLE_ONLY = {"fasttext-predict==0.9.2.4"}


def test_lambda_requirements_pin_exactly_what_pyproject_pins_for_the_lambdas() -> None:
    with (REPO / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)["project"]
    pinned = {d for d in project["dependencies"] if "==" in d}
    lines = (FUNCTIONS_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert requirements == pinned | BUNDLE_ONLY
    # and the same fastText (0.9.2) as local mode and training score with
    extras = {d for group in project["optional-dependencies"].values() for d in group}
    assert "fasttext-wheel==0.9.2" in extras
    assert not any(d.startswith("fasttext-predict") for d in extras | pinned)
    # the Tracer (Tracing: Active) needs the X-Ray SDK in the bundle
    assert any(r.startswith("aws-xray-sdk==") for r in requirements)


# --- what docs/DEPLOY.md says about deploying -----------------------------------------------------

DEPLOY = REPO / "docs" / "DEPLOY.md"
# Lambda keeps this many concurrent executions of the account unreserved: a function may reserve
# only what the account's limit leaves above it
# (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
UNRESERVED_MINIMUM = 100


def _reserved(template: dict[str, Any], overrides: dict[str, str]) -> int:
    """The concurrency the stack reserves with these parameter overrides (-1: none)."""
    values = cfn.stack(template, {"ModelName": "m", **overrides})
    total = 0
    for function in cfn.functions(template).values():
        reserved = cfn.resolve(function.get("ReservedConcurrentExecutions"), values)
        if reserved is not None:
            total += int(reserved)
    return total


def test_deploy_guide_gives_the_account_concurrency_each_environment_needs(
    template: dict[str, Any],
) -> None:
    text = " ".join(DEPLOY.read_text(encoding="utf-8").split())
    assert f"Lambda keeps {UNRESERVED_MINIMUM} concurrent executions" in text
    assert "configuration-concurrency.html" in text
    # the default stack reserves nothing, so any account limit will do
    assert _reserved(template, {}) == 0
    assert "the stack reserves nothing and deploys in any account" in text
    # prod, as samconfig.toml deploys it
    prod = _overrides("prod")
    starts, publishes = (
        int(prod[p])
        for p in ("StartScoringReservedConcurrency", "PublishResultsReservedConcurrency")
    )
    assert f"reserves {starts} (StartScoring) and {publishes} (PublishResults)" in text
    assert f"limit of at least {UNRESERVED_MINIMUM + _reserved(template, prod)}" in text
    assert not re.search(r"drop below 10\b|limit of 10 leaves", text)


def _policy_to_copy() -> dict[str, Any]:
    (block,) = re.findall(r"^```json\n(.*?)^```", DEPLOY.read_text(encoding="utf-8"), re.M | re.S)
    policy: dict[str, Any] = json.loads(block)
    return policy


def test_deploy_guide_gives_uploaders_and_readers_the_stack_key(template: dict[str, Any]) -> None:
    # S3 needs kms:GenerateDataKey to write an SSE-KMS object and kms:Decrypt to read one, and
    # both for a multipart upload (which `aws s3 cp` makes of larger files)
    # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
    policy = _policy_to_copy()
    text = json.dumps(policy)
    # every ${Name} is a stack output (or the region)
    named = set(re.findall(r"\$\{(\w+)\}", text))
    assert named - {"Region"} <= set(template["Outputs"]), named
    statements = {s["Sid"]: s for s in policy["Statement"]}
    bucket = "arn:aws:s3:::${BucketName}"
    allowed = {
        (action, resource)
        for s in statements.values()
        if s["Effect"] == "Allow"
        for action in cfn.as_list(s["Action"])
        for resource in cfn.as_list(s["Resource"])
    }
    assert ("s3:PutObject", f"{bucket}/{bucket_keys.INCOMING_PREFIX}*") in allowed
    assert ("s3:GetObject", f"{bucket}/{bucket_keys.RESULTS_PREFIX}*") in allowed
    # the key is the stack's output, the one that encrypts the bucket
    assert (
        template["Outputs"]["DataKeyArn"]["Value"]
        == (
            template["Resources"]["ScoringBucket"]["Properties"]["BucketEncryption"][
                "ServerSideEncryptionConfiguration"
            ][0]["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
        )
    )
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert (action, "${DataKeyArn}") in allowed, action
