"""Print the CloudFormation template that SAM makes of ``template.yaml``, offline, as JSON.

Run with the SAM CLI's own Python (``.tools/sam/bin/python``), which has ``samtranslator``:
the transform that CloudFormation applies at deploy time, run here without an account. Two
readers need it: checkov, whose checks of IAM roles, EventBridge targets and Lambda permissions
only see the resources SAM generates, and the contract tests of the deployed roles.

Usage: ``python sam_transform.py TEMPLATE [Name=Value ...]`` (parameter overrides).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# What `sam build`/`sam deploy` would put in place of the local CodeUri.
PACKAGED_CODE = "s3://packaged-code/review-scorer.zip"


class _NoManagedPolicies:
    """The template names no managed policy by name, so none is looked up (no IAM call)."""

    def load(self) -> dict[str, str]:
        return {}


def _packaged(template: dict[str, Any]) -> dict[str, Any]:
    """Local CodeUri paths become an S3 URI, as after `sam package` (the translator needs one)."""
    function_globals = template.get("Globals", {}).get("Function", {})
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = PACKAGED_CODE
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.setdefault("Properties", {})
            if "CodeUri" in properties:
                properties["CodeUri"] = PACKAGED_CODE
    return template


def main(argv: list[str]) -> int:
    path, *overrides = argv
    # The region only picks the partition of the ARNs SAM writes itself (aws, aws-cn, ...);
    # the translator reads it from a boto3 session, which makes no call.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = _packaged(yaml_parse(Path(path).read_text(encoding="utf-8")))
    parameters = dict(item.split("=", 1) for item in overrides)
    transformed = transform(template, parameters, _NoManagedPolicies())
    json.dump(transformed, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
