"""``review-scorer local run``'s options for the functions' settings reach the local stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from review_scorer.settings import Settings
from review_scorer_local import cli, local_run_args
from review_scorer_local.stack_config import StackConfig

FLAGS = ["--fast-path-max-rows", "0", "--job-max-files", "1", "--job-max-bytes", "4096"]


def parse(*args: str) -> Any:
    return cli._parser().parse_args(["local", "run", "reviews.csv", *args])


def test_the_flags_become_setting_overrides_the_stack_takes() -> None:
    overrides = local_run_args.setting_overrides(parse(*FLAGS))
    assert overrides == {"fast_path_max_rows": 0, "job_max_files": 1, "job_max_bytes": 4096}
    settings = StackConfig(**overrides).settings
    assert (settings.fast_path_max_rows, settings.job_max_files, settings.job_max_bytes) == (
        0,
        1,
        4096,
    )


def test_without_the_flags_the_settings_keep_their_defaults() -> None:
    assert local_run_args.setting_overrides(parse()) == {}
    assert local_run_args.setting_overrides(parse("--job-max-files", "3")) == {"job_max_files": 3}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--job-max-files", "0"], "argument --job-max-files: Input should be greater than or"),
        (["--fast-path-max-rows", "-1"], "argument --fast-path-max-rows: Input should be greater"),
        (["--job-max-bytes", "10"], "argument --job-max-bytes: Input should be greater than or"),
        (["--job-max-bytes", "1k"], "argument --job-max-bytes: not a whole number: '1k'"),
    ],
)
def test_a_value_the_settings_refuse_is_a_usage_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse(*args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("value", "parsed"), [("0.8", 0.8), ("off", None), ("model", "model")])
def test_review_threshold_sets_the_stacks_review_threshold(value: str, parsed: object) -> None:
    overrides = local_run_args.setting_overrides(parse("--review-threshold", value))
    assert overrides == {"review_threshold": value}
    assert StackConfig(**overrides).settings.review_threshold_choice == parsed


@pytest.mark.parametrize("value", ["0", "1.5", "often"])
def test_a_review_threshold_the_stack_would_refuse_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse("--review-threshold", value)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --review-threshold: {value!r} is not model, off or a decimal" in err


@pytest.mark.parametrize("field", list(local_run_args.SETTING_OPTIONS))
def test_the_help_names_the_settings_own_default(field: str) -> None:
    _, help_text = local_run_args.SETTING_OPTIONS[field]
    assert f"(default: {Settings.model_fields[field].default}" in help_text


class _StackStartedError(Exception):
    """Raised by the stand-in stack: the run got as far as starting the stack."""


def test_local_run_starts_the_stack_with_the_settings_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[StackConfig] = []

    def stack(config: StackConfig) -> None:
        started.append(config)
        raise _StackStartedError

    monkeypatch.setattr("review_scorer_local.stack.LocalModeStack", stack)
    monkeypatch.setattr(cli, "_check_model", lambda path: None)
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("review_body\ngreat\n", encoding="utf-8")
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    argv = ["local", "run", str(reviews), "--model", str(model), "--review-column", "text"]
    with pytest.raises(_StackStartedError):
        cli.main([*argv, *FLAGS])
    with pytest.raises(_StackStartedError):
        cli.main(argv)
    given, defaults = (config.settings for config in started)
    assert (given.fast_path_max_rows, given.job_max_files, given.job_max_bytes) == (0, 1, 4096)
    assert given.review_column == defaults.review_column == "text"
    for field in local_run_args.SETTING_OPTIONS:
        assert getattr(defaults, field) == Settings.model_fields[field].default
