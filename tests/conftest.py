"""Fixtures shared by every test layer: the demo model, a local stack, a flow through it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from review_scorer.aws import clients
from review_scorer_local.flow import LocalFlow
from review_scorer_local.moto_server import start_moto
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.stack_config import StackConfig

REPO = Path(__file__).resolve().parent.parent
EVENTS = REPO / "events"


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model, trained once per test session from the synthetic corpus."""
    from review_scorer_training.demo import demo_model as build

    return build(tmp_path_factory.mktemp("cache"))


# The review threshold the threshold model records: the demo model scores most of the sample's
# rows above it and a few below (0.73 to 0.9999).
RECORDED_THRESHOLD = 0.999


@pytest.fixture(scope="session")
def threshold_model(demo_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo model packaged again with a review threshold recorded (RECORDED_THRESHOLD), as a
    model trained for a target accuracy has one: what a stack's ``ReviewThreshold=model`` uses."""
    from review_scorer.model.artifact import package, unpack

    folder = tmp_path_factory.mktemp("threshold-model")
    model_bin, metadata = unpack(demo_model, folder / "unpacked")
    assert metadata is not None
    recorded = metadata.model_copy(update={"review_threshold": RECORDED_THRESHOLD})
    return package(model_bin, recorded, folder / "model.tar.gz")


def batch_config(**overrides: Any) -> StackConfig:
    """A stack whose files all go to transform jobs: the fast path off (most tests are about
    the jobs; the fast path's tests turn it on)."""
    return StackConfig(**{"fast_path_max_rows": 0, **overrides})


@pytest.fixture
def stack_config() -> StackConfig:
    return batch_config()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    """One moto server for the session; every stack resets it to an empty account."""
    server = start_moto()
    yield server
    server.stop()


@pytest.fixture
def stack(
    stack_config: StackConfig, demo_model: Path, moto_server: Any
) -> Iterator[LocalModeStack]:
    """A fresh local stack (moto server + local SageMaker) with the demo model registered."""
    with LocalModeStack(stack_config, moto_server=moto_server) as running:
        running.register_model(demo_model)
        yield running


@pytest.fixture
def s3_reads(stack: LocalModeStack) -> Iterator[list[dict[str, Any]]]:
    """Every GetObject the functions' S3 client sends from now on (its parameters)."""
    reads: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        reads.append(dict(params))

    events = boto3._get_default_session().events
    events.register("before-parameter-build.s3.GetObject", record)
    clients.reset()  # clients made from now on carry the hook
    yield reads
    events.unregister("before-parameter-build.s3.GetObject", record)
    clients.reset()


@pytest.fixture
def flow(stack: LocalModeStack) -> LocalFlow:
    return LocalFlow(stack)


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
