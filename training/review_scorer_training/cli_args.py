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


def add_data_arguments(parser: argparse.ArgumentParser, *, s3_bucket: bool = False) -> None:
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
    )
