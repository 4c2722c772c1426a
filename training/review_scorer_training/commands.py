"""The training subcommands of ``review-scorer``: train, score, sagemaker-train, register-model.

``register(subparsers)`` adds them to the CLI's parser; each sets ``run`` (args -> exit code).
Importing this module is cheap: pandas, fastText and boto3 load only when a command runs.
Exit codes: 0 done; 1 the work failed (a file that cannot be scored, a failed training job, an
AWS error); 2 a usage problem (missing file or column, incompatible model, no region).
"""

from __future__ import annotations

import argparse
import sys
import tarfile
from pathlib import Path
from typing import Any

from review_scorer_training.cli_args import add_data_arguments, guarded, positive, train_options
from review_scorer_training.sagemaker_commands import register_sagemaker


@guarded
def run_train(args: argparse.Namespace) -> int:
    from review_scorer_training.train import run

    run(train_options(args, args.out))
    return 0


@guarded
def run_score(args: argparse.Namespace) -> int:
    from review_scorer.model.scorer import FastTextScorer
    from review_scorer.results.needs_review import threshold_for
    from review_scorer_training.score import score_file

    for path, what in ((args.model, "model"), (args.input, "input")):
        if not path.is_file():
            print(f"review-scorer: no such {what} file: {path}", file=sys.stderr)
            return 2
    try:
        scorer = FastTextScorer.from_archive(args.model, where=str(args.model))
    except (tarfile.TarError, EOFError, OSError) as exc:
        print(f"review-scorer: {args.model} is not a model.tar.gz: {exc}", file=sys.stderr)
        return 2
    threshold = threshold_for(args.review_threshold, lambda: scorer.metadata)
    tally = score_file(
        scorer,
        args.input,
        args.output,
        review_column=args.review_column,
        top_k=args.top_k,
        label_names=args.label_names,
        review_threshold=threshold,
    )
    labels = ", ".join(f"{label}: {n}" for label, n in tally.labels.most_common())
    review = "" if threshold is None else f", {tally.needs_review} to review (below {threshold})"
    print(
        f"{tally.rows} rows: {tally.scored} scored, {tally.empty} empty, "
        f"{len(tally.rejected)} rejected ({labels or 'no labels'}){review} -> {args.output}"
    )
    for line, reason in tally.rejected[:10]:
        print(f"review-scorer: rejected line {line}: {reason}", file=sys.stderr)
    if len(tally.rejected) > 10:
        print(f"review-scorer: ... and {len(tally.rejected) - 10} more", file=sys.stderr)
    return 0


def label_names(value: str) -> dict[str, str]:
    """``--label-names``, parsed as the stack's LabelNames parameter is; bad -> exit 2."""
    from review_scorer.settings import parse_label_names

    try:
        return parse_label_names(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (expected e.g. -1=negative,1=positive)") from None


def review_threshold(value: str) -> float | str | None:
    """``--review-threshold``, parsed as the stack's ReviewThreshold parameter is; bad -> 2."""
    from review_scorer.results.needs_review import parse_review_threshold

    try:
        return parse_review_threshold(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    """Add train, score, sagemaker-train and register-model to ``review-scorer``."""
    train = subparsers.add_parser("train", help="train a fastText model locally from a labeled CSV")
    add_data_arguments(train)
    train.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    train.add_argument("--cv", type=positive, metavar="K", help="also run stratified K-fold CV")
    train.set_defaults(run=run_train)

    score = subparsers.add_parser("score", help="score a CSV file directly with a model.tar.gz")
    score.add_argument("--model", type=Path, required=True, metavar="MODEL_TAR_GZ")
    score.add_argument("--input", type=Path, required=True, metavar="CSV")
    score.add_argument("--output", type=Path, required=True, metavar="CSV")
    score.add_argument("--review-column", default="review_body", help="default: %(default)s")
    score.add_argument(
        "--top-k", type=positive, default=1, metavar="K",
        help="the K best labels: also label_N and probability_N for N = 2..K",
    )  # fmt: skip
    score.add_argument(
        "--label-names", type=label_names, default={}, metavar="LABEL=NAME,...",
        help="names shown for labels, as the stack's LabelNames: -1=negative,0=neutral",
    )  # fmt: skip
    score.add_argument(
        "--review-threshold", type=review_threshold, default="model", metavar="{model,off,X}",
        help="mark rows whose printed top probability is below X for review (a needs_review "
        "column), as the stack's ReviewThreshold: model (the default) takes the threshold the "
        "model recorded, if any; off marks none",
    )  # fmt: skip
    score.set_defaults(run=run_score)

    register_sagemaker(subparsers)
