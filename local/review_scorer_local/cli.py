"""The ``review-scorer`` command: local mode, the demo and tools. Not part of the Lambda bundle."""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from review_scorer.errors import ScoringError
from review_scorer.tokenizer import tokenize
from review_scorer_local.local_run_args import (
    DEFAULT_OUT,
    register_local,
    register_serve,
    setting_overrides,
)
from review_scorer_training.commands import register as register_training


def cache_dir() -> Path:
    base = os.environ.get("REVIEW_SCORER_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "review-scorer" if base else Path.home() / ".cache" / "review-scorer"


def sample_csv() -> Path:
    return Path(str(resources.files("review_scorer_local") / "samples" / "reviews.csv"))


def _default_model() -> Path:
    from review_scorer_training.demo import demo_model

    return demo_model(cache_dir())


def _check_model(path: Path) -> None:
    """Fail before starting anything if the model cannot be used."""
    import tempfile

    from review_scorer.model.artifact import check_compatible, unpack

    if not path.is_file():
        raise ScoringError(f"model file {path} does not exist")
    with tempfile.TemporaryDirectory() as tmp:
        _, metadata = unpack(path, Path(tmp))
    check_compatible(metadata, where=str(path))


def run_local(
    files: list[Path],
    *,
    model: Path | None,
    review_column: str,
    out_dir: Path,
    as_json: bool,
    show_rows: bool = False,
    transform_instance_quota: int | None = None,
    settings: dict[str, Any] | None = None,
) -> int:
    """Score ``files`` through the local flow; ``settings`` overrides the functions' settings
    (:class:`review_scorer.settings.Settings` fields, such as ``job_max_files``)."""
    from review_scorer_local.flow import LocalFlow
    from review_scorer_local.report import (
        outcome_line,
        print_metrics,
        print_notification,
        print_table,
    )
    from review_scorer_local.stack import LocalModeStack
    from review_scorer_local.stack_config import StackConfig

    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"review-scorer: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    model = model or _default_model()
    _check_model(model)
    failures = 0
    config = StackConfig(
        transform_instance_quota=transform_instance_quota,
        **{**(settings or {}), "review_column": review_column},
    )
    with LocalModeStack(config) as stack:
        stack.register_model(model)
        flow = LocalFlow(stack)
        for result in flow.run_files(files, out_dir):  # all arrive together, as a burst would
            failures += not result.ok
            if as_json:
                print(json.dumps(result.summary), flush=True)
                continue
            print(outcome_line(result))
            if result.labeled_csv:
                print(f"  labeled CSV saved to {result.labeled_csv}")
                if show_rows:
                    print("\nLabeled rows:")
                    print_table(result.labeled_csv, review_column, sys.stdout)
            if show_rows:
                print("\nSNS message:")
                print_notification(result, sys.stdout)
                print(
                    "\nMetrics emitted (CloudWatch embedded metric format, namespace ReviewScorer):"
                )
                print_metrics(result, sys.stdout)
    return 1 if failures else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="review-scorer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="train the demo model and score the sample CSV locally")
    demo.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where results are saved")

    register_local(commands)
    register_serve(commands)
    commands.add_parser("tokenize", help="tokenize stdin, one line in, one line of tokens out")
    register_training(commands)
    return parser


# Options whose values usually start with "-" (label "-1"): argparse would read such a value as
# an option, so "--label-names -1=negative" is joined into "--label-names=-1=negative" first.
_DASHED_VALUES = ("--label-names",)


def _join_dashed_values(argv: list[str]) -> list[str]:
    joined: list[str] = []
    for arg in argv:
        if joined and joined[-1] in _DASHED_VALUES and arg.startswith("-"):
            joined[-1] = f"{joined[-1]}={arg}"
        else:
            joined.append(arg)
    return joined


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(_join_dashed_values(sys.argv[1:] if argv is None else argv))
    try:
        if hasattr(args, "run"):  # the training commands carry their own entry point
            return int(args.run(args))
        if args.command == "demo":
            print(f"Sample file: {sample_csv()}")
            return run_local(
                [sample_csv()],
                model=None,
                review_column="review_body",
                out_dir=args.out,
                as_json=False,
                show_rows=True,
            )
        if args.command == "local":
            return run_local(
                args.files,
                model=args.model,
                review_column=args.review_column,
                out_dir=args.out,
                as_json=args.json,
                transform_instance_quota=args.transform_instance_quota,
                settings=setting_overrides(args),
            )
        if args.command == "serve":
            from review_scorer_local.serve import run as serve

            model = args.model or _default_model()
            _check_model(model)
            return serve(port=args.port, model=model)
        if args.command == "tokenize":
            for line in sys.stdin:
                sys.stdout.write(" ".join(tokenize(line.rstrip("\n"))) + "\n")
            return 0
    except ScoringError as error:
        print(f"review-scorer: {error.message}", file=sys.stderr)
        return 2
    return 2
