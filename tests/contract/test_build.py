"""`sam build` works on this machine (no Docker, no Lambda Python) and builds the right bundle.

Two builds run side by side into a temporary folder: the real one (the template's platform and
Python, as deployed) and one for this host (``LAMBDA_PLATFORM``/``LAMBDA_PYTHON`` overridden),
because the real bundle's compiled wheels (pydantic-core for aarch64/cp313) cannot be imported
here. The real bundle is checked for content and size, the host bundle for importing.
pip needs its package index (or its cache) for these builds.

The bundle carries its own boto3 and botocore, pinned: the code sends parameters an older
runtime SDK does not know (S3 conditional writes), and AWS recommends packaging the SDK
(https://docs.aws.amazon.com/lambda/latest/dg/best-practices.html). The bundled botocore is checked
against every call the code makes.
"""

from __future__ import annotations

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

import cfn
import pytest
from cfn import FUNCTIONS_DIR, REPO, TEMPLATE
from code_calls import S3_TRANSFER, ServiceModels, presigned_post_parameters, sdk_calls

if TYPE_CHECKING:
    from conftest import SamRunner

pytestmark = pytest.mark.slow

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024  # bytes, per function, code and layers
# The SDK goes into the bundle (the runtime's copy may be older than what the code sends).
SDK_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3")
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
        # the SDK is bundled at the pinned versions, not left to the Lambda runtime
        for package in SDK_PACKAGES:
            assert (bundle / package).is_dir(), f"{name}: {package} is not in the bundle"
        for line in lines:
            if line.startswith(("boto3==", "botocore==")):
                package, version = line.strip().split("==")
                metadata = (distributions[package] / "METADATA").read_text(encoding="utf-8")
                assert f"\nVersion: {version}\n" in metadata, f"{name}: {package} is not {version}"
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
        # fasttext-predict's extension sits at the top of the bundle, beside its `fasttext`
        fasttext = f"fasttext_pybind.cpython-{python}-{machine}-linux-gnu.so"
        assert (builds["lambda"].directory / name / fasttext).is_file(), f"{name}: no {fasttext}"


def test_bundle_unzipped_size_is_far_under_the_lambda_limit(
    builds: dict[str, Build], function_names: list[str], record_property: Any
) -> None:
    builds["lambda"].check()
    for name in function_names:
        size = _size(builds["lambda"].directory / name)
        print(f"{name}: {size / 1024 / 1024:.1f} MiB unzipped")
        record_property(f"{name}_unzipped_bytes", size)
        assert size < LAMBDA_UNZIPPED_LIMIT, f"{name}: {size} bytes"


_IMPORT_HANDLER = """
import importlib, json, sys
bundle, handler = sys.argv[1:3]
sys.path[:0] = [bundle]
module_name, _, attribute = handler.rpartition(".")
module = importlib.import_module(module_name)
assert callable(getattr(module, attribute)), handler
import boto3, botocore
names = ("pydantic", "boto3", "botocore")
print(json.dumps({"module": module.__file__, **{n: sys.modules[n].__file__ for n in names}}))
"""


def test_host_build_of_the_bundle_imports_its_handlers_with_nothing_else(
    builds: dict[str, Build], functions: dict[str, dict[str, Any]]
) -> None:
    builds["host"].check()
    for name, function in functions.items():
        bundle = builds["host"].directory / name
        # -I -S: no site-packages, no PYTHONPATH, no user site: only the bundle and the stdlib
        result = subprocess.run(
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                _IMPORT_HANDLER,
                str(bundle),
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
        for module in ("module", "pydantic", "boto3", "botocore"):
            assert Path(loaded[module]).is_relative_to(bundle), loaded


def _transform_request() -> dict[str, Any]:
    """The CreateTransformJob request the code builds, with the stack's settings."""
    from review_scorer.settings import Settings
    from review_scorer.transform import jobs
    from review_scorer.transform.request import transform_request

    template = cfn.load_template(TEMPLATE)
    values = cfn.stack(template, {"ModelName": "reviews-sentiment-v3"})
    function = cfn.functions(template)["StartScoringFunction"]
    env = cfn.resolve(function["Environment"]["Variables"], values)
    settings = Settings.model_validate({f: env[f.upper()] for f in Settings.model_fields})
    job = jobs.job_name(settings.job_name_prefix, settings.bucket_name, "incoming/a.csv", "v1")
    return transform_request(job, settings.bucket_name, 3, settings)


# Calls whose parameters are built elsewhere (``**name``): the request the code really sends.
DYNAMIC_REQUESTS = {("sagemaker", "create_transform_job", "request"): _transform_request}


def test_the_bundled_botocore_knows_every_operation_and_parameter_the_code_sends(
    builds: dict[str, Build], function_names: list[str]
) -> None:
    # Given every SDK call of the Lambda package (aws/*.py), read from the source
    calls = sdk_calls(sorted((FUNCTIONS_DIR / "review_scorer" / "aws").glob("*.py")))
    found = {(c.service, c.method, p) for c in calls for p in c.params}
    # (the claims' conditional writes among them: botocore >= 1.35.36 and >= 1.35.76)
    assert {("s3", "put_object", "IfNoneMatch"), ("s3", "put_object", "IfMatch")} <= found
    builds["lambda"].check()
    for name in function_names:
        bundle = builds["lambda"].directory / name
        # When each is looked up in the service models of the botocore inside the bundle
        models = ServiceModels(bundle / "botocore" / "data")
        inject = (bundle / "boto3" / "s3" / "inject.py").read_text(encoding="utf-8")
        for call in calls:
            if call.presigned_post:  # botocore's signer for browser uploads, no API operation
                accepted = presigned_post_parameters(bundle / "botocore" / "signers.py")
                assert call.params <= accepted, f"{name}: {call}: {call.params - accepted}"
                continue
            # Then the operation exists and takes every parameter the code passes
            if call.transfer:
                assert f"def {call.method}(" in inject, f"{name}: {call}"
                operation = S3_TRANSFER[call.method]
            else:
                operation = models.operation(call.service, call.method)
            members = models.input_members(call.service, operation)
            assert call.params <= members, f"{name}: {call}: {sorted(call.params - members)}"
            if call.dynamic is not None:
                build = DYNAMIC_REQUESTS.get((call.service, call.method, call.dynamic))
                assert build is not None, f"{call}: add how to build **{call.dynamic}"
                unknown = models.unknown(call.service, operation, build())
                assert not unknown, f"{name}: {call}: {unknown}"


# --- the bundle's fastText scores exactly as local mode's -----------------------------------------

_SCORE_WITH_THE_BUNDLE = """
import json, sys
from importlib import metadata
from pathlib import Path
model_bin, lines_file = sys.argv[1:3]
import fasttext
from review_scorer.model.scorer import FastTextScorer
scorer = FastTextScorer(Path(model_bin))
lines = json.loads(Path(lines_file).read_text(encoding="utf-8"))
print(json.dumps({
    "fasttext": fasttext.__file__,
    "scorer": sys.modules["review_scorer.model.scorer"].__file__,
    "distributions": sorted(d.metadata["Name"] for d in metadata.distributions()),
    "get_labels": hasattr(scorer._model, "get_labels"),
    "predictions": {k: [scorer.predict_line(line, int(k)) for line in lines] for k in ("1", "3")},
}))
"""


def _lines() -> list[str]:
    """A few hundred lines as fastText's predict reads them: the synthetic reviews, tokenized,
    and the odd ones (no token, unknown words only, non-ASCII, very long)."""
    from review_scorer.model.scorer import fasttext_line
    from review_scorer.tokenizer import tokenize
    from review_scorer_training.synthetic import corpus

    texts = [text for _, text in corpus(rows_per_label=100, seed=11)]
    texts += ["", "zzqx wwvy", "Très beau, ça taille grand 👗", "love it " * 500]
    return [fasttext_line(" ".join(tokenize(text))) for text in texts]


def test_the_bundles_fasttext_predict_scores_exactly_as_fasttext_wheel(
    builds: dict[str, Build], demo_model: Path, tmp_path: Path
) -> None:
    # Given the demo model and a few hundred lines
    from review_scorer.model.artifact import unpack
    from review_scorer.model.scorer import FastTextScorer

    model_bin, _ = unpack(demo_model, tmp_path / "model")
    lines = _lines()
    assert len(lines) > 300
    (tmp_path / "lines.json").write_text(json.dumps(lines), encoding="utf-8")
    builds["host"].check()
    bundle = builds["host"].directory / "StartScoringFunction"
    # When the host bundle's scorer runs them with nothing but the bundle importable (-S: no
    # site-packages, so fasttext-wheel of this environment cannot be found)
    result = subprocess.run(
        [sys.executable, "-S", "-c", _SCORE_WITH_THE_BUNDLE, str(model_bin), "lines.json"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": str(bundle)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    bundled = json.loads(result.stdout.strip().splitlines()[-1])
    # Then it really was the bundle's fasttext-predict (which has no get_labels)
    assert Path(bundled["fasttext"]).is_relative_to(bundle), bundled["fasttext"]
    assert Path(bundled["scorer"]).is_relative_to(bundle), bundled["scorer"]
    assert "fasttext-predict" in bundled["distributions"], bundled["distributions"]
    assert "fasttext-wheel" not in bundled["distributions"], bundled["distributions"]
    assert bundled["get_labels"] is False
    # and the same model through fasttext-wheel, in this process, gives the same labels and
    # exactly the same probabilities (JSON keeps a float's every bit: repr round-trips)
    import fasttext

    assert "site-packages" in fasttext.__file__  # fasttext-wheel, this environment's
    scorer = FastTextScorer(model_bin)
    for k in ("1", "3"):
        expected = [[list(pair) for pair in scorer.predict_line(line, int(k))] for line in lines]
        assert bundled["predictions"][k] == expected, f"k={k}"
    assert len({pairs[0][1] for pairs in bundled["predictions"]["1"]}) > 1  # not one label for all
