"""moto's server in a process of its own, so its object store never counts in a measurement."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

import boto3

DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MODEL_NAME = "bench-model"
"""The SageMaker model the handlers' settings name (create it on the local endpoint)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoServer(NamedTuple):
    url: str
    pid: int


@contextlib.contextmanager
def moto_process() -> Iterator[MotoServer]:
    """Start ``moto.server`` on a free port; yields its URL and process id once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        client = s3_client(url)
        for _ in range(100):
            try:
                client.list_buckets()
                break
            except Exception:
                time.sleep(0.1)
        yield MotoServer(url, server.pid)
    finally:
        server.terminate()
        server.wait()


def client(service: str, url: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", **DUMMY)  # type: ignore[call-overload]


def s3_client(url: str) -> Any:
    return client("s3", url)


def function_env(
    url: str, sagemaker_url: str, bucket: str, topic_arn: str, **settings: Any
) -> dict[str, str]:
    """The environment of a handler run against the local endpoints: the local stack's
    ``function_environment`` of :class:`Settings` (the one source of every default) with
    ``settings`` (Settings fields, such as ``max_upload_bytes``) over those defaults."""
    from review_scorer.settings import Settings
    from review_scorer_local.stack_config import function_environment

    config = Settings(bucket_name=bucket, topic_arn=topic_arn, model_name=MODEL_NAME, **settings)
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": url,
        "AWS_ENDPOINT_URL_SAGEMAKER": sagemaker_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        **function_environment(config),
    }
