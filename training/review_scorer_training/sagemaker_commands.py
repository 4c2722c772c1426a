"""``review-scorer sagemaker-train`` and ``review-scorer register-model``: their arguments.

``--dry-run`` prints every request as JSON on stdout and makes no AWS call (no credentials
needed). Without it the calls use the usual AWS credential chain.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from review_scorer_training.cli_args import add_data_arguments, guarded, positive, train_options

ROLE_HELP = "execution role ARN SageMaker assumes (S3 read/write, ECR, CloudWatch Logs)"


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    aws = parser.add_argument_group("AWS")
    aws.add_argument("--bucket", required=True, help="S3 bucket for data and models")
    aws.add_argument("--role", required=True, metavar="ROLE_ARN", help=ROLE_HELP)
    aws.add_argument("--region", help="default: AWS_REGION or the AWS config")
    aws.add_argument("--image", help="BlazingText image URI (default: the SDK's, for the region)")
    aws.add_argument("--dry-run", action="store_true", help="print the requests, send nothing")


def _target(args: argparse.Namespace) -> tuple[Any, str]:
    """The region's clients (None for a dry run: no client, no credentials) and the image."""
    from review_scorer_training.aws_requests import Aws, resolve_region
    from review_scorer_training.blazingtext import blazingtext_image

    if args.dry_run and args.image:
        return None, str(args.image)
    region = resolve_region(args.region)
    image = args.image or blazingtext_image(region)
    return (None if args.dry_run else Aws(region)), image


@guarded
def run_register_model(args: argparse.Namespace) -> int:
    from review_scorer_training.blazingtext import check_name
    from review_scorer_training.registry import Target, register_model

    name = check_name(args.model_name, "model name")
    aws, image = _target(args)
    register_model(
        args.model, Target(args.bucket, args.role, name, image),
        aws=aws, dry_run=args.dry_run, out=sys.stdout,
    )  # fmt: skip
    if not args.dry_run:
        print(f"registered SageMaker model {name}; deploy with ModelName={name}")
    return 0


@guarded
def run_sagemaker_train(args: argparse.Namespace) -> int:
    from review_scorer_training import blazingtext as bt
    from review_scorer_training.progress import Progress
    from review_scorer_training.sagemaker_train import JobSettings, sagemaker_train
    from review_scorer_training.train import default_name

    job = bt.check_name(args.job_name or bt.job_name(default_name(args.label_column)), "job name")
    name = bt.check_name(args.model_name or job, "model name")
    aws, image = _target(args)
    with tempfile.TemporaryDirectory(prefix="review-scorer-sagemaker-") as tmp:
        options = train_options(args, args.out or Path(tmp))
        if args.settings_from:
            options = replace(options, hyperparameters=settings_from(args.settings_from))
        spec = bt.TrainingJobSpec(
            job=job,
            bucket=args.bucket,
            role=args.role,
            image=image,
            hyperparameters=bt.blazingtext_hyperparameters(
                options.hyperparameters,
                early_stopping=not args.no_early_stopping,
                patience=args.patience,
                min_epochs=args.min_epochs,
            ),
            instance_type=args.instance_type,
            max_runtime_seconds=args.max_runtime,
        )
        settings = JobSettings(spec=spec, model_name=name, poll_seconds=args.poll_seconds)
        sagemaker_train(
            options, settings, aws=aws, dry_run=args.dry_run, out=sys.stdout, progress=Progress()
        )
    if not args.dry_run:
        print(f"registered SageMaker model {name}; deploy with ModelName={name}")
    return 0


def settings_from(metrics_json: Path) -> Any:
    """The ``hyperparameters`` a local ``train`` recorded in its metrics.json (the search's choice
    after ``--tune``), to be sent under BlazingText's names."""
    from review_scorer_training.errors import TrainingDataError
    from review_scorer_training.fasttext_local import Hyperparameters

    try:
        recorded = json.loads(metrics_json.read_text(encoding="utf-8"))["hyperparameters"]
        return Hyperparameters(**recorded)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrainingDataError(
            f"--settings-from {metrics_json}: not the metrics.json of `review-scorer train` "
            f"({type(exc).__name__}: {exc})"
        ) from None


def register_sagemaker(subparsers: Any) -> None:
    from review_scorer_training.blazingtext import (
        DEFAULT_INSTANCE_TYPE,
        DEFAULT_MIN_EPOCHS,
        DEFAULT_PATIENCE,
    )

    train = subparsers.add_parser(
        "sagemaker-train", help="train with SageMaker BlazingText and register the model"
    )
    add_data_arguments(train, s3_bucket=True)
    _add_target_arguments(train)
    job = train.add_argument_group("training job")
    job.add_argument("--instance-type", default=DEFAULT_INSTANCE_TYPE, help="default: %(default)s")
    job.add_argument("--model-name", help="SageMaker model to create (default: the job name)")
    job.add_argument("--job-name", help="default: review-scorer-<label column>-<UTC time>")
    job.add_argument("--out", type=Path, metavar="DIR", help="keep the prepared files here")
    job.add_argument(
        "--settings-from", type=Path, metavar="METRICS_JSON",
        help="the hyperparameters a local `train` chose (with --tune, say), from its metrics.json",
    )  # fmt: skip
    job.add_argument("--no-early-stopping", action="store_true")
    job.add_argument(
        "--patience", type=positive, default=DEFAULT_PATIENCE,
        help="epochs without a validation gain before stopping (default: %(default)s)",
    )  # fmt: skip
    job.add_argument("--min-epochs", type=positive, default=DEFAULT_MIN_EPOCHS,
                     help="default: %(default)s")  # fmt: skip
    job.add_argument("--max-runtime", type=positive, default=3600, metavar="SECONDS",
                     help="the job's stopping condition (default: %(default)s)")  # fmt: skip
    job.add_argument("--poll-seconds", type=float, default=30.0, help=argparse.SUPPRESS)
    train.set_defaults(run=run_sagemaker_train)

    reg = subparsers.add_parser(
        "register-model", help="upload a local model.tar.gz and create the SageMaker Model"
    )
    reg.add_argument("--model", type=Path, required=True, metavar="MODEL_TAR_GZ")
    reg.add_argument("--model-name", required=True, help="the stack's ModelName parameter")
    _add_target_arguments(reg)
    reg.set_defaults(run=run_register_model)
