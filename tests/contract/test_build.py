"""`sam build` works on this machine (no Docker, no Lambda Python) and builds the right bundle.

Two builds run side by side into a temporary folder: the real one (the template's platform and
Python, as deployed) and one for this host (``LAMBDA_PLATFORM``/``LAMBDA_PYTHON`` overridden),
because the real bundle's compiled wheels (pydantic-core for aarch64/cp313) cannot be imported
here. The real bundle is checked for content and size, the host bundle for importing.
pip needs its package index (or its cache) for these builds.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cfn import FUNCTIONS_DIR, REPO, TEMPLATE

if TYPE_CHECKING:
    from conftest import SamRunner

pytestmark = pytest.mark.slow

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # bytes, per function, code and layers
# What the Lambda Python runtime provides; the bundle must not carry it, the import check adds it.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Build:
    directory: Path
    result: subprocess.CompletedProcess[str]
    started: float  # wall clock
    seconds: float

    def check(self) -> None:
        assert self.result.returncode == 0, self.result.stdout + self.result.stderr


@pytest.fixture(scope="module")
def builds(sam: SamRunner, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """``lambda``: the deployable build; ``host``: the same bundle for this machine's Python."""
    root = tmp_path_factory.mktemp("sam-build")
    variants = {
        "lambda": {},
        "host": {
            "LAMBDA_PLATFORM": f"manylinux2014_{platform.machine()}",
            "LAMBDA_PYTHON": HOST_PYTHON,
        },
    }

    def build(variant: str) -> Build:
        started, clock = time.time(), time.monotonic()
        result = sam(
            [
                "build",
                "--template-file",
                str(TEMPLATE),
                "--base-dir",
                str(REPO),
                "--build-dir",
                str(root / variant),
                "--cache-dir",
                str(root / f"{variant}-cache"),
                "--no-cached",
                "--parallel",
            ],
            cwd=root,  # whatever SAM writes next to the working directory stays out of the repo
            # no Docker engine may be used (there is none on these machines anyway)
            extra_env={**variants[variant], "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        )
        return Build(root / variant, result, started, time.monotonic() - clock)

    with ThreadPoolExecutor(max_workers=len(variants)) as pool:
        return dict(zip(variants, pool.map(build, variants), strict=True))


@pytest.fixture(scope="module")
def function_names(functions: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(functions)


def _files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file() or path.is_symlink()]


def _size(directory: Path) -> int:
    return sum(path.lstat().st_size for path in _files(directory))


def test_sam_build_succeeds_without_docker_and_leaves_the_repo_clean(
    builds: dict[str, Build], function_names: list[str], record_property: Any
) -> None:
    for variant, build in builds.items():
        build.check()
        record_property(f"sam_build_{variant}_seconds", round(build.seconds, 1))
        print(f"sam build ({variant}): {build.seconds:.1f} s")
        for name in function_names:
            assert (build.directory / name).is_dir(), f"{variant}: {name} was not built"
        # A developer's own `.aws-sam` may exist; the builds must not have made or changed one.
        for folder in (REPO, FUNCTIONS_DIR):
            marker = folder / ".aws-sam"
            assert not marker.exists() or marker.stat().st_mtime < build.started, marker


def _requirement_name(line: str) -> str:
    return re.split(r"[\s;=<>!~\[(]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _distributions(bundle: Path) -> dict[str, Path]:
    """The distributions pip installed into the bundle, by normalised name -> dist-info."""
    found = {}
    for info in bundle.glob("*.dist-info"):
        metadata = (info / "METADATA").read_text(encoding="utf-8")
        name = re.search(r"^Name: (.+)$", metadata, re.M)
        assert name, info
        found[name.group(1).strip().lower().replace("_", "-")] = info
    return found


def _closure(requirements: set[str], distributions: dict[str, Path]) -> set[str]:
    """The requirements and, transitively, what they require (extras left out)."""
    todo, seen = list(requirements), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in distributions:
            metadata = (distributions[name] / "METADATA").read_text(encoding="utf-8")
            for line in re.findall(r"^Requires-Dist: (.+)$", metadata, re.M):
                if "extra ==" not in line:
                    todo.append(_requirement_name(line))
    return seen


def test_bundle_holds_exactly_the_lambda_package_and_its_requirements(
    builds: dict[str, Build], function_names: list[str]
) -> None:
    builds["lambda"].check()
    source = FUNCTIONS_DIR / "review_scorer"
    expected = {
        path.relative_to(FUNCTIONS_DIR).as_posix()
        for path in _files(source)
        if "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    lines = (FUNCTIONS_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = {_requirement_name(x) for x in lines if x.strip() and not x.startswith("#")}
    for name in function_names:
        bundle = builds["lambda"].directory / name
        # the package as it is in functions/, with no file left out or added
        shipped = {p.relative_to(bundle).as_posix() for p in _files(bundle / "review_scorer")}
        assert shipped == expected, f"{name}: {sorted(shipped ^ expected)}"
        # and the requirements with their dependencies, every other file recorded by pip
        distributions = _distributions(bundle)
        assert requirements <= set(distributions), f"{name}: {requirements - set(distributions)}"
        assert set(distributions) <= _closure(requirements, distributions), name
        recorded = {"review_scorer"} | {
            row.split(",", 1)[0].split("/", 1)[0]
            for info in distributions.values()
            for row in (info / "RECORD").read_text(encoding="utf-8").splitlines()
            if row
        }
        strays = {p.name for p in bundle.iterdir()} - recorded
        assert not strays, f"{name}: not from the package or a requirement: {sorted(strays)}"
        assert not [p for p in bundle.rglob("__pycache__")], f"{name}: bytecode in the bundle"
        assert not [p for p in bundle.rglob("*.pyc")], f"{name}: bytecode in the bundle"
        # what the Lambda runtime provides stays out (aws-xray-sdk pulls botocore in)
        for provided in RUNTIME_PACKAGES:
            for path in (bundle / provided, bundle / f"{provided}.py"):
                assert not path.exists(), f"{name}: {provided} comes with Lambda"
        # the Tracer's X-Ray SDK goes in (Tracing: Active)
        assert (bundle / "aws_xray_sdk").is_dir(), f"{name}: aws-xray-sdk is missing"


def test_bundle_carries_compiled_wheels_for_the_lambda_platform(
    builds: dict[str, Build], functions: dict[str, dict[str, Any]]
) -> None:
    builds["lambda"].check()
    for name, function in functions.items():
        python = function["Runtime"].removeprefix("python").replace(".", "")
        machine = {"arm64": "aarch64", "x86_64": "x86_64"}[function["Architectures"][0]]
        core = builds["lambda"].directory / name / "pydantic_core"
        extension = f"_pydantic_core.cpython-{python}-{machine}-linux-gnu.so"
        assert (core / extension).is_file(), f"{name}: {sorted(p.name for p in core.iterdir())}"


def test_bundle_unzipped_size_is_far_under_the_lambda_limit(
    builds: dict[str, Build], function_names: list[str], record_property: Any
) -> None:
    builds["lambda"].check()
    for name in function_names:
        size = _size(builds["lambda"].directory / name)
        print(f"{name}: {size / 1024 / 1024:.1f} MiB unzipped")
        record_property(f"{name}_unzipped_bytes", size)
        assert size < LAMBDA_UNZIPPED_LIMIT, f"{name}: {size} bytes"


@pytest.fixture(scope="module")
def lambda_runtime_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with only what the Lambda runtime adds to the bundle: boto3 and its dependencies
    (linked from this environment)."""
    folder = tmp_path_factory.mktemp("lambda-runtime")
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            pytest.fail(f"{name} is not installed in the test environment")
        origin = Path(spec.origin)
        target = origin.parent if origin.name == "__init__.py" else origin
        (folder / target.name).symlink_to(target)
    return folder


_IMPORT_HANDLER = """
import importlib, json, sys
bundle, runtime, handler = sys.argv[1:4]
sys.path[:0] = [bundle, runtime]
module_name, _, attribute = handler.rpartition(".")
module = importlib.import_module(module_name)
assert callable(getattr(module, attribute)), handler
print(json.dumps({"module": module.__file__, "pydantic": sys.modules["pydantic"].__file__}))
"""


def test_host_build_of_the_bundle_imports_its_handlers_with_nothing_else(
    builds: dict[str, Build], functions: dict[str, dict[str, Any]], lambda_runtime_packages: Path
) -> None:
    builds["host"].check()
    for name, function in functions.items():
        bundle = builds["host"].directory / name
        # -I -S: no site-packages, no PYTHONPATH, no user site: only the bundle, boto3, stdlib
        result = subprocess.run(
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                _IMPORT_HANDLER,
                str(bundle),
                str(lambda_runtime_packages),
                function["Handler"],
            ],
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"
        loaded = json.loads(result.stdout.strip().splitlines()[-1])
        assert Path(loaded["module"]).is_relative_to(bundle), loaded
        assert Path(loaded["pydantic"]).is_relative_to(bundle), loaded
