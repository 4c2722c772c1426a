"""Fixtures of the contract tests: the template as data (as written and as SAM transforms it),
and the tools (SAM CLI, cfn-lint, checkov) run offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aws_calls
import cfn  # tests/contract is on sys.path (rootdir-relative conftest, no __init__.py)
import iam
import pytest

SamRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return cfn.load_template(cfn.TEMPLATE)


@pytest.fixture(scope="session")
def defaults(template: dict[str, Any]) -> dict[str, Any]:
    """Parameter defaults, pseudo parameters and Conditions, for :func:`cfn.resolve`."""
    return cfn.stack(template)


@pytest.fixture(scope="session")
def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return cfn.functions(template)


def tool(venv: str, name: str) -> Path:
    """A command of the project's tool environments (``make tools`` makes them), else on PATH;
    a missing tool fails the test with what to do, never skips it."""
    local = cfn.REPO / ".tools" / venv / "bin" / name
    if local.is_file():
        return local
    on_path = shutil.which(name)
    if on_path:
        return Path(on_path)
    pytest.fail(f"{name} not found at {local} nor on PATH: run `make tools` first")


@pytest.fixture(scope="session")
def sam_cli() -> Path:
    """The SAM CLI of the project (``make tools`` installs it in its own virtual environment)."""
    return tool("sam", "sam")


@pytest.fixture(scope="session")
def sam_python() -> Path:
    """The Python of the SAM CLI's environment: it has samtranslator."""
    return tool("sam", "python")


@pytest.fixture(scope="session")
def transformed_path(
    sam_python: Path, sam_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The CloudFormation template SAM makes of ours (defaults, and a model name), as JSON."""
    path = tmp_path_factory.mktemp("transformed") / "template.transformed.json"
    result = subprocess.run(
        [
            str(sam_python),
            str(cfn.REPO / "tests" / "contract" / "sam_transform.py"),
            str(cfn.TEMPLATE),
            "ModelName=reviews-sentiment-v3",
        ],
        env=sam_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"the SAM transform failed:\n{result.stderr}"
    path.write_text(result.stdout, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def transformed(transformed_path: Path) -> dict[str, Any]:
    """The transformed template: the resources CloudFormation really creates."""
    document = json.loads(transformed_path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="session")
def sam_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment for the SAM CLI that needs no network, no account and no Docker:
    dummy credentials and region, no user AWS configuration, no telemetry."""
    home = tmp_path_factory.mktemp("aws-config")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.pop("PYTHONPATH", None)
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        SAM_CLI_TELEMETRY="0",
    )
    return env


@pytest.fixture(scope="session")
def sam(sam_cli: Path, sam_env: dict[str, str]) -> SamRunner:
    """Run the SAM CLI: ``sam(args, cwd=..., extra_env=..., timeout=...)``; never raises on a
    failed command, so the test can show its output."""

    def run(
        args: Sequence[str],
        *,
        cwd: Path = cfn.REPO,
        extra_env: dict[str, str] | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(sam_cli), *args],
            cwd=cwd,
            env={**sam_env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def simulator() -> Iterator[iam.Simulator]:
    """The IAM simulator (``make tools`` installs it), one node process for the session."""
    running = iam.Simulator()
    yield running
    running.close()


@pytest.fixture(scope="session")
def recorder() -> aws_calls.Recorder:
    """Records the AWS calls the handlers make, from now on, for the whole session."""
    recording = aws_calls.Recorder()
    recording.install()
    return recording
