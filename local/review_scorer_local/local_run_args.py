"""The arguments of ``review-scorer local run`` (and the settings they override) and ``serve``.

Importing this module is cheap: pydantic loads only when a settings option is parsed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("review-scorer-output")

# `local run` options that set one of the functions' settings, as the stack's parameters do;
# not given, Settings' default applies (the defaults named here are Settings', a unit test checks:
# importing Settings here would cost every command pydantic's start-up).
SETTING_OPTIONS = {
    "fast_path_max_rows": (
        "--fast-path-max-rows",
        "files with at most N rows to score are scored inside StartScoring, with no transform "
        "job (default: 10000; 0: every file goes to a job)",
    ),
    "job_max_files": (
        "--job-max-files",
        "files that may share one transform job (default: 10; 1: each file has a job of its own)",
    ),
    "job_max_bytes": (
        "--job-max-bytes",
        "staged bytes one shared transform job may take (default: 268435456, 256 MiB)",
    ),
    "review_threshold": (
        "--review-threshold",
        "mark rows whose printed top probability is below X for review: a needs_review "
        "column, and rows.needs_review in the summary (default: model, the threshold the model "
        "recorded, if any; off: none; X: a number in (0, 1])",
    ),
}
# Settings given as text, not as whole numbers: their metavar.
TEXT_SETTINGS = {"review_threshold": "{model,off,X}"}


def register_local(commands: Any) -> None:
    """Add ``local`` and its ``run`` subcommand to the CLI's subparsers."""
    local = commands.add_parser("local", help="run the whole flow on this machine (no AWS)")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    run = local_commands.add_parser("run", help="score CSV files through the local flow")
    run.add_argument("files", nargs="+", type=Path, metavar="FILE")
    run.add_argument("--model", type=Path, help="model.tar.gz (default: the demo model)")
    run.add_argument("--review-column", default="review_body")
    run.add_argument(
        "--transform-instance-quota", type=int, metavar="N",
        help="the account's transform-instance quota the local SageMaker enforces, as AWS does "
        "with ResourceLimitExceeded (default: unlimited; 0: no job can start)",
    )  # fmt: skip
    for field, (option, help_text) in SETTING_OPTIONS.items():
        metavar = TEXT_SETTINGS.get(field, "N")
        run.add_argument(option, dest=field, type=_setting(field), metavar=metavar, help=help_text)
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where results are saved")
    run.add_argument(
        "--json",
        action="store_true",
        help="print each file's summary (the SNS message) as one JSON line",
    )


def register_serve(commands: Any) -> None:
    """Add ``serve``: the web page and its API on 127.0.0.1 over the local stack."""
    serve = commands.add_parser(
        "serve", help="serve the web page and its API on 127.0.0.1, over the whole local flow"
    )
    serve.add_argument(
        "--port", type=_port, default=8080, help="port on 127.0.0.1 (default: 8080; 0: any free)"
    )
    serve.add_argument("--model", type=Path, help="model.tar.gz (default: the demo model)")


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return int(text)


def setting_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings ``local run`` was given (those of :data:`SETTING_OPTIONS` passed)."""
    return {f: getattr(args, f) for f in SETTING_OPTIONS if getattr(args, f, None) is not None}


def _setting(field: str) -> Callable[[str], int | str]:
    """The argparse type of the option for ``field``: an int (the text, for
    :data:`TEXT_SETTINGS`) that Settings takes for it (checked by the StackConfig it goes to, so
    argparse reports a refused value as a usage error)."""

    def parse(text: str) -> int | str:
        from pydantic import ValidationError

        from review_scorer_local.stack_config import StackConfig

        try:
            value = text if field in TEXT_SETTINGS else int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        override: dict[str, Any] = {field: value}
        try:
            StackConfig(**override)
        except ValidationError as error:
            message = error.errors()[0]["msg"].removeprefix("Value error, ")
            raise argparse.ArgumentTypeError(message) from None
        return value

    return parse
