"""The scanners a security review runs, offline, on every `make test`; each must pass.

- ``sam validate --lint``: the SAM CLI's validation and its cfn-lint.
- ``cfn-lint`` with the serverless rules of ``cfn-lint-serverless`` (configured in .cfnlintrc).
- ``checkov`` (configured in .checkov.yaml) on ``template.yaml`` (its SAM-aware checks) and on the
  CloudFormation SAM makes of it (the generated roles, rules and Lambda permissions).

A missing tool fails with what to run (``make tools``), never skips. Every rule skipped is listed
here with the file that gives its reason, so a new skip cannot slip in unnoticed.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from cfn import REPO, TEMPLATE

from conftest import tool

if TYPE_CHECKING:
    from conftest import SamRunner

pytestmark = pytest.mark.slow

CFNLINTRC = REPO / ".cfnlintrc"
CHECKOV_CONFIG = REPO / ".checkov.yaml"

# Every skip, where it is written down with its reason.
CHECKOV_SKIPPED_EVERYWHERE = {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"}  # .checkov.yaml
CHECKOV_SKIPPED_ON = {("AccessLogBucket", "CKV_AWS_18")}  # template.yaml metadata
CFN_LINT_SKIPPED_ON = {  # template.yaml metadata, reason in .cfnlintrc
    ("StartScoringFailureQueue", "ES6000"),
    ("PublishResultsFailureQueue", "ES6000"),
    ("SweepFailureQueue", "ES6000"),
    ("StartScoringIntake", "ES1001"),
    ("StartScoringFunction", "WS1004"),
    ("PublishResultsFunction", "WS1004"),
    ("SweepFunction", "WS1004"),
    ("ApiFunction", "WS1004"),
    ("EventDeliveryFailureQueue", "ES6000"),
}


def _run(command: list[str | Path], env: dict[str, str], timeout: float = 180) -> Any:
    return subprocess.run(
        [str(part) for part in command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_sam_validate_with_lint_passes(sam: SamRunner) -> None:
    result = sam(["validate", "--lint", "--template-file", str(TEMPLATE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_with_the_serverless_rules_passes(sam_env: dict[str, str]) -> None:
    cfn_lint = tool("sam", "cfn-lint")
    # Given the serverless rules are really loaded (a rule of theirs is listed)
    listed = _run([cfn_lint, "--list-rules"], sam_env)
    assert "ES1007" in listed.stdout, "cfn-lint-serverless is not installed: run `make tools`"
    # When cfn-lint runs with the repository's configuration (.cfnlintrc)
    result = _run([cfn_lint], sam_env)
    # Then it finds nothing, not even a warning or an informational finding
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_configuration_appends_the_serverless_rules_and_switches_none_off() -> None:
    config = yaml.safe_load(CFNLINTRC.read_text(encoding="utf-8"))
    assert config["templates"] == ["template.yaml"]
    assert config["append_rules"] == ["cfn_lint_serverless.rules"]
    assert not config.get("ignore_checks")


def test_checkov_passes_on_the_template_and_on_what_sam_makes_of_it(
    transformed_path: Path, sam_env: dict[str, str]
) -> None:
    checkov = tool("checkov", "checkov")
    result = _run(
        [
            checkov,
            "--config-file",
            CHECKOV_CONFIG,
            "--file",
            TEMPLATE,
            "--file",
            transformed_path,
            "--output",
            "json",
        ],
        {**sam_env, "BC_SKIP_MAPPING": "TRUE"},
    )
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert result.returncode == 0 and not failed, "\n".join(failed) or result.stderr
    # Both files were scanned, with many passing checks each (an empty scan would also "pass")
    passed = [c for report in reports for c in report["results"]["passed_checks"]]
    for scanned in (TEMPLATE.name, transformed_path.name):
        count = sum(c["file_path"].endswith(scanned) for c in passed)
        assert count > 30, f"{scanned}: only {count} checks passed"
    skipped = {
        (check["resource"].split(".", 1)[1], check["check_id"])
        for report in reports
        for check in report["results"]["skipped_checks"]
    }
    assert skipped == CHECKOV_SKIPPED_ON, skipped


def test_checkov_skips_are_the_documented_ones(template: dict[str, Any]) -> None:
    config = yaml.safe_load(CHECKOV_CONFIG.read_text(encoding="utf-8"))
    assert set(config["skip-check"]) == CHECKOV_SKIPPED_EVERYWHERE
    assert config["skip-download"] is True  # offline
    text = CHECKOV_CONFIG.read_text(encoding="utf-8")
    for check in CHECKOV_SKIPPED_EVERYWHERE:
        # each skipped check is preceded by its reason (a comment block)
        before = text.split(f"- {check}")[0].rstrip().splitlines()[-1]
        assert before.strip().startswith("#"), f"{check} has no reason in .checkov.yaml"
    in_template = set()
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 20, f"{name}: {skip['id']} needs its reason"
            in_template.add((name, skip["id"]))
    assert in_template == CHECKOV_SKIPPED_ON


def test_cfn_lint_skips_are_the_documented_ones(template: dict[str, Any]) -> None:
    in_template = {
        (name, rule)
        for name, resource in template["Resources"].items()
        for rule in resource.get("Metadata", {})
        .get("cfn-lint", {})
        .get("config", {})
        .get("ignore_checks", [])
    }
    assert in_template == CFN_LINT_SKIPPED_ON
    reasons = CFNLINTRC.read_text(encoding="utf-8")
    for name, rule in in_template:
        assert name in reasons and rule in reasons, f"{name}/{rule}: reason missing in .cfnlintrc"
