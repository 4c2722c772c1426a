"""Arguments and error handling shared by the training subcommands.

Exit codes: 0 done; 1 the work failed (a file that cannot be scored, a failed training job, an
AWS error); 2 a usage problem (missing file or column, incompatible model, no region).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from review_scorer.errors import InputError, ScoringError

Handler = Callable[[argparse.Namespace], int]


def guarded(handler: Handler) -> Handler:
    """Turn the errors a user can act on into a message on stderr and an exit code."""

    def run(args: argparse.Namespace) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        from review_scorer_training.errors import TrainingJobError

        try:
            return handler(args)
        except (InputError, TrainingJobError) as error:
            print(f"review-scorer: {error.message}", file=sys.stderr)
            return 1
        except ScoringError as error:
            print(f"review-scorer: {error.message}", file=sys.stderr)
            return 2
        except ClientError as error:
            e = error.response.get("Error", {})
            print(f"review-scorer: AWS: {e.get('Code')}: {e.get('Message')}", file=sys.stderr)
            return 1
        except BotoCoreError as error:
            print(f"review-scorer: {error}", file=sys.stderr)
            return 2

    return run


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {value}")
    return number


def fraction(value: str) -> float:
    number = float(value)
    if not 0.0 < number < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), not {value}")
    return number


def add_data_arguments(parser: argparse.ArgumentParser, *, s3_bucket: bool = False) -> None:
    """The data and hyperparameter options of ``train`` and (``s3_bucket``) ``sagemaker-train``.

    Local training also gets :func:`add_confidence_arguments`: sagemaker-train measures nothing
    locally, so it has no accuracy-coverage curve to choose a threshold from."""
    from review_scorer_training.fasttext_local import DEFAULT_SEED, Hyperparameters

    hp = Hyperparameters()
    data = parser.add_argument_group("data")
    data.add_argument("--data", type=Path, required=True, metavar="CSV", help="labeled CSV file")
    data.add_argument("--text-column", default="review_body", help="default: %(default)s")
    data.add_argument("--label-column", required=True, help="any column: sentiment, Rating...")
    data.add_argument(
        "--balance", action="store_true", help="sample every class down to the smallest"
    )
    data.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
    data.add_argument("--valid-fraction", type=float, default=0.1, metavar="F",
                      help="stratified validation share (default: %(default)s)")  # fmt: skip
    data.add_argument("--name", help="model name recorded in its metadata")
    tuning = parser.add_argument_group("hyperparameters (defaults: the tuned ones)")
    tuning.add_argument("--epoch", type=positive, default=hp.epoch, help="default: %(default)s")
    tuning.add_argument("--lr", type=float, default=hp.lr, help="default: %(default)s")
    tuning.add_argument("--dim", type=positive, default=hp.dim, help="default: %(default)s")
    tuning.add_argument("--word-ngrams", type=positive, default=hp.word_ngrams,
                        help="default: %(default)s")  # fmt: skip
    tuning.add_argument("--min-count", type=positive, default=hp.min_count,
                        help="default: %(default)s")  # fmt: skip
    # sagemaker-train's --bucket is the S3 bucket: there, only BlazingText's name --buckets.
    names = ["--buckets"] if s3_bucket else ["--bucket", "--buckets"]
    tuning.add_argument(
        *names, dest="ngram_buckets", type=positive, default=hp.bucket, metavar="N",
        help="word n-gram hash buckets (default: %(default)s)",
    )  # fmt: skip
    if not s3_bucket:
        add_confidence_arguments(parser)


def add_confidence_arguments(parser: argparse.ArgumentParser) -> None:
    from review_scorer_training.tune import DEFAULT_FOLDS, DEFAULT_MAX_MODEL_BYTES, DEFAULT_SECONDS

    search = parser.add_argument_group("tuning (settings searched for the data given)")
    search.add_argument(
        "--tune", action="store_true",
        help="choose the hyperparameters by a search scored on inner CV folds of the training "
        "rows (the hyperparameter options above are then not used)",
    )  # fmt: skip
    search.add_argument("--tune-seconds", type=float, default=DEFAULT_SECONDS, metavar="S",
                        help="time budget of each search (default: %(default)s)")  # fmt: skip
    search.add_argument("--tune-trials", type=positive, metavar="N",
                        help="exactly N settings, whatever the time (reproducible)")  # fmt: skip
    search.add_argument("--tune-folds", type=positive, default=DEFAULT_FOLDS, metavar="K",
                        help="inner CV folds (default: %(default)s)")  # fmt: skip
    search.add_argument(
        "--tune-max-model-bytes", type=positive, default=DEFAULT_MAX_MODEL_BYTES, metavar="B",
        help="settings whose model would be larger are not tried (default: %(default)s, the "
        "stack's FastPathMaxModelBytes)",
    )  # fmt: skip
    confidence = parser.add_argument_group("confidence")
    confidence.add_argument(
        "--target-accuracy", type=fraction, metavar="A",
        help="record in the model the lowest probability threshold whose rows reach accuracy A "
        "on held-out predictions (the stack's ReviewThreshold 'model' uses it)",
    )  # fmt: skip


def train_options(args: argparse.Namespace, out: Path) -> Any:
    from review_scorer_training.fasttext_local import Hyperparameters
    from review_scorer_training.train import TrainOptions

    return TrainOptions(
        data=args.data,
        text_column=args.text_column,
        label_column=args.label_column,
        out=out,
        hyperparameters=Hyperparameters(
            epoch=args.epoch,
            lr=args.lr,
            dim=args.dim,
            word_ngrams=args.word_ngrams,
            min_count=args.min_count,
            bucket=args.ngram_buckets,
        ),
        cv=getattr(args, "cv", None),
        balance=args.balance,
        seed=args.seed,
        valid_fraction=args.valid_fraction,
        name=args.name,
        target_accuracy=getattr(args, "target_accuracy", None),
        tune=_tune_options(args),
    )


def _tune_options(args: argparse.Namespace) -> Any:
    if not getattr(args, "tune", False):
        return None
    from review_scorer_training.tune import TuneOptions

    if args.tune_folds < 2:
        raise argparse.ArgumentTypeError("--tune-folds must be at least 2")
    return TuneOptions(
        seconds=args.tune_seconds,
        trials=args.tune_trials,
        folds=args.tune_folds,
        max_model_bytes=args.tune_max_model_bytes,
        target_accuracy=args.target_accuracy,
    )
