"""What `sam deploy` will be given: the environments of samconfig.toml and the bundle's pins.

A parameter override that the template refuses only shows up at deploy time, after a changeset
has been computed; two environments that share a prefix only show up as one stack's IAM scopes,
rules or alarms covering the other's. Both are checked here.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest
from cfn import FUNCTIONS_DIR, REPO

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


def test_lambda_requirements_pin_exactly_what_pyproject_pins_for_the_lambdas() -> None:
    with (REPO / "pyproject.toml").open("rb") as stream:
        dependencies = tomllib.load(stream)["project"]["dependencies"]
    pinned = {d for d in dependencies if "==" in d}
    lines = (FUNCTIONS_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    assert requirements == pinned
    # the Tracer (Tracing: Active) needs the X-Ray SDK in the bundle
    assert any(r.startswith("aws-xray-sdk==") for r in requirements)
