"""``review-scorer sagemaker-train``: a BlazingText model trained on SageMaker, registered.

sagemaker-train prepares the same files as ``train`` (same cleaning, balancing, shuffle and
stratified split, same tokenizer), uploads them as the train and validation channels, runs the
BlazingText built-in algorithm (supervised, early stopping on validation accuracy), waits, then
repackages the job's ``model.tar.gz`` with review-scorer's metadata (labels, tokenizer version,
hyperparameters, data fingerprint) and registers it as a SageMaker Model: the name to give the
stack's ``ModelName`` parameter (:mod:`registry` does the registering, for local models too).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from review_scorer.bucket_keys import training_artifact_key, training_channel_key
from review_scorer.model.artifact import ModelMetadata, package, unpack
from review_scorer.model.scorer import FastTextScorer
from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer.transform.predictions import LABEL_PREFIX
from review_scorer_training import blazingtext as bt
from review_scorer_training.aws_requests import Aws, Request, print_dry_run, wait_for_training_job
from review_scorer_training.data import lines, split
from review_scorer_training.fasttext_local import write_lines
from review_scorer_training.progress import Progress
from review_scorer_training.registry import (
    Target,
    check_name_free,
    create_model,
    name_check_request,
    register_requests,
    upload_request,
)
from review_scorer_training.train import TrainOptions, prepare


@dataclass(frozen=True)
class JobSettings:
    spec: bt.TrainingJobSpec
    model_name: str
    poll_seconds: float = 30.0


def sagemaker_train(
    options: TrainOptions,
    settings: JobSettings,
    *,
    aws: Aws | None,
    dry_run: bool,
    out: IO[str],
    progress: Progress,
) -> str:
    """Prepare, upload, train on SageMaker, repackage and register; returns the model name."""
    spec = settings.spec
    target = Target(spec.bucket, spec.role, settings.model_name, spec.image)
    dataset = prepare(options, progress)
    train, valid = split(dataset.frame, options.valid_fraction)
    options.out.mkdir(parents=True, exist_ok=True)
    files = {name: options.out / f"{name}.txt" for name in bt.CHANNELS}
    fingerprint = write_lines(lines(train), files["train"])
    write_lines(lines(valid), files["validation"])
    uploads = [
        upload_request(spec.bucket, training_channel_key(spec.job, name), path)
        for name, path in files.items()
    ]
    create_job = Request("sagemaker", "create_training_job", bt.training_job_request(spec))
    if dry_run or aws is None:
        describe = Request(
            "sagemaker", "describe_training_job", {"TrainingJobName": spec.job},
            note=f"repeated every {settings.poll_seconds:g} s until the job ends",
        )  # fmt: skip
        artifact = {"Bucket": spec.bucket, "Key": training_artifact_key(spec.job)}
        fetch = Request("s3", "get_object", artifact)
        repacked = "<the job's model.tar.gz with review-scorer metadata added>"
        check = name_check_request(settings.model_name)
        register = register_requests(target, repacked)
        requests = [check, *uploads, create_job, describe, fetch, *register]
        print_dry_run(requests, out, model_name=settings.model_name, training_job=spec.job)
        return settings.model_name
    check_name_free(aws, settings.model_name)
    for request in [*uploads, create_job]:
        aws.send(request)
    progress.step(f"training job {spec.job} created; waiting for it to end")
    job = wait_for_training_job(
        aws, spec.job, progress=progress, poll_seconds=settings.poll_seconds
    )
    metrics = {
        "training_job": spec.job,
        "final_metrics": {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])},
        "rows": {**dataset.counts.as_dict(), "train": len(train), "validation": len(valid)},
        "labels": dataset.names,
    }
    with tempfile.TemporaryDirectory(prefix="review-scorer-sagemaker-") as tmp:
        archive = _repackage(aws, job, settings, options, metrics, fingerprint, Path(tmp))
        create_model(aws, register_requests(target, archive), settings.model_name)
    return settings.model_name


def _repackage(
    aws: Aws,
    job: dict[str, Any],
    settings: JobSettings,
    options: TrainOptions,
    metrics: dict[str, Any],
    fingerprint: str,
    workdir: Path,
) -> Path:
    """The job's ``model.tar.gz`` again, with the metadata every review-scorer model carries."""
    artifact_url = job["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, _, key = artifact_url.removeprefix("s3://").partition("/")
    downloaded = aws.download(bucket, key, workdir / "job-model.tar.gz")
    model_bin, _ = unpack(downloaded, workdir / "job")
    labels = sorted(label.removeprefix(LABEL_PREFIX) for label in FastTextScorer(model_bin).labels)
    spec = settings.spec
    metadata = ModelMetadata(
        name=settings.model_name,
        labels=labels,
        tokenizer_version=TOKENIZER_VERSION,
        framework=f"sagemaker blazingtext ({spec.image})",
        hyperparameters={
            **spec.hyperparameters,
            "seed": options.seed,
            "balance": options.balance,
            "valid_fraction": options.valid_fraction,
        },
        metrics=metrics,
        data_fingerprint=fingerprint,
    )
    return package(model_bin, metadata, workdir / "model.tar.gz")
