"""The requests that train and register a BlazingText model on SageMaker, built as plain data.

Everything sent to AWS is computed here, without a client: ``--dry-run`` prints exactly these
requests, the tests compare them with what the clients receive, and nothing here needs
credentials. Keys live under ``training/`` and ``models/``: nothing matches the upload trigger
(``incoming/*.csv``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from review_scorer.bucket_keys import s3_uri, training_channel_key, training_output_prefix
from review_scorer.transform.jobs import is_sagemaker_name
from review_scorer_training.errors import ImageLookupError
from review_scorer_training.fasttext_local import Hyperparameters

CHANNELS = ("train", "validation")
DEFAULT_INSTANCE_TYPE = "ml.c5.xlarge"
# BlazingText's own defaults for early stopping: stop once validation accuracy has not improved
# for `patience` epochs, but never before `min_epochs`.
DEFAULT_PATIENCE = 4
DEFAULT_MIN_EPOCHS = 5


def blazingtext_hyperparameters(
    hp: Hyperparameters,
    *,
    early_stopping: bool = True,
    patience: int = DEFAULT_PATIENCE,
    min_epochs: int = DEFAULT_MIN_EPOCHS,
) -> dict[str, str]:
    """The fastText settings under BlazingText's names, as the strings the API takes."""
    values: dict[str, Any] = {
        "mode": "supervised",
        "epochs": hp.epoch,
        "learning_rate": hp.lr,
        "vector_dim": hp.dim,
        "word_ngrams": hp.word_ngrams,
        "min_count": hp.min_count,
        "buckets": hp.bucket,
        "early_stopping": "True" if early_stopping else "False",
    }
    if early_stopping:
        values |= {"patience": patience, "min_epochs": min(min_epochs, hp.epoch)}
    return {key: str(value) for key, value in values.items()}


def check_name(name: str, what: str) -> str:
    if not is_sagemaker_name(name):
        raise ValueError(
            f"{what} {name!r} must be 1-63 letters, digits or hyphens, starting and ending with "
            "a letter or digit"
        )
    return name


def job_name(model_name: str, now: datetime | None = None) -> str:
    """``<model name>-<UTC yyyymmdd-HHMMSS>``: training job names are unique forever."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{model_name[: 63 - len(stamp) - 1].rstrip('-')}-{stamp}"


@dataclass(frozen=True)
class TrainingJobSpec:
    job: str
    bucket: str
    role: str
    image: str
    hyperparameters: dict[str, str]
    instance_type: str = DEFAULT_INSTANCE_TYPE
    volume_gb: int = 10
    max_runtime_seconds: int = 3600


def training_job_request(spec: TrainingJobSpec) -> dict[str, Any]:
    """CreateTrainingJob: the BlazingText image, File mode, train and validation channels."""
    channels = [
        {
            "ChannelName": channel,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": s3_uri(spec.bucket, training_channel_key(spec.job, channel)),
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "ContentType": "text/plain",
            "CompressionType": "None",
        }
        for channel in CHANNELS
    ]
    return {
        "TrainingJobName": spec.job,
        "AlgorithmSpecification": {"TrainingImage": spec.image, "TrainingInputMode": "File"},
        "RoleArn": spec.role,
        "HyperParameters": spec.hyperparameters,
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": s3_uri(spec.bucket, training_output_prefix(spec.job))},
        "ResourceConfig": {
            "InstanceType": spec.instance_type,
            "InstanceCount": 1,
            "VolumeSizeInGB": spec.volume_gb,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": spec.max_runtime_seconds},
    }


def create_model_request(
    model_name: str, image: str, model_data_url: str, role: str
) -> dict[str, Any]:
    """CreateModel: what the stack's ModelName parameter names and its transform jobs run."""
    return {
        "ModelName": model_name,
        "ExecutionRoleArn": role,
        "PrimaryContainer": {"Image": image, "ModelDataUrl": model_data_url},
    }


def blazingtext_image(region: str) -> str:
    """The BlazingText image of ``region``, from the SageMaker SDK's image table (offline)."""
    try:  # the optional 'sagemaker' extra, untyped: imported by name
        image_uris = importlib.import_module("sagemaker.core.image_uris")
    except ImportError:
        raise ImageLookupError(
            "finding the BlazingText image needs the SageMaker SDK: install the 'sagemaker' "
            "extra (pip install 'review-scorer[sagemaker]') or pass --image"
        ) from None
    try:
        return str(image_uris.retrieve("blazingtext", region))
    except ValueError as exc:
        raise ImageLookupError(f"no BlazingText image for region {region!r}: {exc}") from None
