"""Registering a model: upload ``model.tar.gz`` under ``models/<name>/`` and CreateModel with
the BlazingText image and the execution role. The Model's name is what the stack's
``ModelName`` parameter takes. A model made with another tokenizer is refused before any call.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from botocore.exceptions import ClientError

from review_scorer.bucket_keys import model_key, s3_uri
from review_scorer.errors import ConfigurationError
from review_scorer.model.artifact import check_compatible, unpack
from review_scorer_training import blazingtext as bt
from review_scorer_training.aws_requests import Aws, Request, print_dry_run


@dataclass(frozen=True)
class Target:
    """Where and as whom: the bucket, the execution role, the model name, the image."""

    bucket: str
    role: str
    model_name: str
    image: str


def upload_request(bucket: str, key: str, body: Path | str) -> Request:
    return Request("s3", "put_object", {"Bucket": bucket, "Key": key, "Body": body})


def register_requests(target: Target, body: Path | str) -> list[Request]:
    """Upload ``model.tar.gz`` under ``models/<name>/`` and create the Model over it."""
    key = model_key(target.model_name)
    url = s3_uri(target.bucket, key)
    create = bt.create_model_request(target.model_name, target.image, url, target.role)
    return [
        upload_request(target.bucket, key, body),
        Request("sagemaker", "create_model", create),
    ]


def name_check_request(model_name: str) -> Request:
    return Request(
        "sagemaker", "describe_model", {"ModelName": model_name},
        note="checks that no model has this name yet, before any upload or training",
    )  # fmt: skip


def _name_taken(model_name: str) -> ConfigurationError:
    return ConfigurationError(
        f"a SageMaker model named {model_name!r} exists already (models cannot be replaced); "
        "choose another --model-name"
    )


def check_name_free(aws: Aws, model_name: str) -> None:
    """Fail before spending anything if the model name is taken (SageMaker models are final)."""
    try:
        aws.send(name_check_request(model_name))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ValidationException":
            return  # "Could not find model": the name is free
        raise
    raise _name_taken(model_name)


def create_model(aws: Aws, requests: list[Request], model_name: str) -> None:
    """Send the upload and CreateModel (a name taken meanwhile is reported as such)."""
    for request in requests:
        try:
            aws.send(request)
        except ClientError as exc:
            if request.operation == "create_model" and "already exist" in str(exc):
                raise _name_taken(model_name) from None
            raise


def register_model(
    archive: Path, target: Target, *, aws: Aws | None, dry_run: bool, out: IO[str]
) -> None:
    """Register a local ``model.tar.gz`` (refused if made with another tokenizer)."""
    if not archive.is_file():
        raise ConfigurationError(f"model file {archive} does not exist")
    with tempfile.TemporaryDirectory(prefix="review-scorer-model-") as tmp:
        _, metadata = unpack(archive, Path(tmp))
    check_compatible(metadata, where=str(archive))
    requests = register_requests(target, archive)
    if dry_run or aws is None:
        print_dry_run(
            [name_check_request(target.model_name), *requests], out, model_name=target.model_name
        )
        return
    check_name_free(aws, target.model_name)
    create_model(aws, requests, target.model_name)
