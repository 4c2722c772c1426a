"""``review-scorer score``: a CSV scored directly with a model, as the pipeline would label it."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from review_scorer.model.artifact import ModelMetadata, package, unpack
from review_scorer_local.cli import main
from review_scorer_local.flow import LocalFlow
from review_scorer_training.fasttext_local import Hyperparameters, train_model
from review_scorer_training.synthetic import corpus
from tests.conftest import RECORDED_THRESHOLD, batch_config, read_csv, write_csv
from tests.functional.helpers import SAMPLE

NAMES = "-1=negative,0=neutral,1=positive"
SMALL = Hyperparameters(epoch=10, lr=0.5, dim=10, word_ngrams=2, min_count=1, bucket=10_000)


def run_cli(*argv: str | Path) -> int:
    """``review-scorer ARGV...`` in this process: the command line's own entry point."""
    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "model.tar.gz"
    return train_model(corpus(40), out, name="test", hyperparameters=SMALL)


@pytest.fixture
def reviews(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "reviews.csv",
        ["id", "review_body", "note"],
        [
            ["1", "I love this dress, it fits perfectly!", '=HYPERLINK("x")'],
            ["2", "", "no text"],
            ["3", "Very disappointed: it ripped after one wash", "-1"],
            ["4", "   ", "+spaces only"],
        ],
    )


def test_score_writes_original_columns_then_label_probability_and_status(
    model: Path, reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "labeled.csv"
    assert run_cli("score", "--model", model, "--input", reviews, "--output", out) == 0
    rows = read_csv(out)
    assert list(rows[0]) == [
        "id", "review_body", "note", "predicted_label", "probability", "scoring_status"
    ]  # fmt: skip
    assert [r["scoring_status"] for r in rows] == ["scored", "empty", "scored", "empty"]
    assert [r["predicted_label"] for r in rows] == ["1", "", "-1", ""]
    assert float(rows[0]["probability"]) > 0.5 and len(rows[0]["probability"]) == 8
    assert "4 rows: 2 scored, 2 empty" in capsys.readouterr().out


def test_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_kept(
    model: Path, reviews: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labeled.csv"
    assert run_cli("score", "--model", model, "--input", reviews, "--output", out) == 0
    notes = [r["note"] for r in read_csv(out)]
    assert notes == ['\'=HYPERLINK("x")', "no text", "-1", "'+spaces only"]


def test_top_k_adds_the_next_labels_and_probabilities_best_first(
    model: Path, reviews: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labeled.csv"
    assert run_cli("score", "--model", model, "--input", reviews, "--output", out,
                   "--top-k", "3") == 0  # fmt: skip
    rows = read_csv(out)
    assert list(rows[0])[-4:] == ["label_2", "probability_2", "label_3", "probability_3"]
    first = rows[0]
    assert {first["predicted_label"], first["label_2"], first["label_3"]} == {"1", "0", "-1"}
    probs = [float(first[c]) for c in ("probability", "probability_2", "probability_3")]
    assert probs == sorted(probs, reverse=True)
    assert rows[1]["label_2"] == rows[1]["probability_3"] == ""


def test_top_k_beyond_the_model_labels_leaves_the_extra_cells_empty(
    model: Path, reviews: Path, tmp_path: Path
) -> None:
    out = tmp_path / "labeled.csv"
    assert run_cli("score", "--model", model, "--input", reviews, "--output", out,
                   "--top-k", "4") == 0  # fmt: skip
    first = read_csv(out)[0]
    assert first["label_3"] != "" and first["label_4"] == first["probability_4"] == ""


def test_another_review_column_is_used_when_named(model: Path, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "raw.csv", ["Review Text", "Rating"],
                       [["Poor quality, a waste of money", "1"]])  # fmt: skip
    out = tmp_path / "out.csv"
    assert run_cli("score", "--model", model, "--input", source, "--output", out,
                   "--review-column", "Review Text") == 0  # fmt: skip
    assert read_csv(out)[0]["predicted_label"] == "-1"


def test_a_model_made_with_another_tokenizer_is_refused_with_exit_2(
    model: Path, reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the same model, recorded as made with another tokenizer
    model_bin, metadata = unpack(model, tmp_path / "m")
    assert metadata is not None
    old = ModelMetadata(**{**metadata.model_dump(), "tokenizer_version": "whitespace-0"})
    old_model = package(model_bin, old, tmp_path / "old.tar.gz")
    # When scoring with it / Then it is refused, clearly, and nothing is written
    out = tmp_path / "labeled.csv"
    assert run_cli("score", "--model", old_model, "--input", reviews, "--output", out) == 2
    err = capsys.readouterr().err
    assert "whitespace-0" in err and "retrain" in err
    assert list(tmp_path.glob("*labeled*")) == []


def test_a_missing_input_is_a_usage_error(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    assert run_cli("score", "--model", model, "--input", tmp_path / "nope.csv",
                   "--output", out) == 2  # fmt: skip
    assert not out.exists()


def test_a_file_without_the_review_column_fails_and_leaves_no_output(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "in.csv", ["text"], [["good"]])
    out = tmp_path / "out.csv"
    assert run_cli("score", "--model", model, "--input", source, "--output", out) == 1
    assert "review_body" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_an_unclosed_quote_leaves_the_previous_result_untouched(
    model: Path, tmp_path: Path
) -> None:
    # Given a result from an earlier run, and an input whose last row never closes its quote
    out = tmp_path / "out.csv"
    out.write_text("earlier result\n", encoding="utf-8")
    source = tmp_path / "in.csv"
    source.write_text('review_body\ngood dress\n"never closed\n', encoding="utf-8")
    # When it is scored / Then it fails, and the earlier result is whole, with no partial file
    assert run_cli("score", "--model", model, "--input", source, "--output", out) == 1
    assert out.read_text("utf-8") == "earlier result\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]


def test_a_file_that_is_not_a_model_is_a_usage_error(reviews: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "model.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        tar.add(reviews, arcname="reviews.csv")
    assert run_cli("score", "--model", bogus, "--input", reviews,
                   "--output", tmp_path / "o.csv") == 2  # fmt: skip


def test_label_names_show_in_the_result_and_the_closing_line(
    model: Path, reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "labeled.csv"
    assert run_cli("score", "--model", model, "--input", reviews, "--output", out,
                   "--top-k", "2", "--label-names", NAMES) == 0  # fmt: skip
    rows = read_csv(out)
    assert [r["predicted_label"] for r in rows] == ["positive", "", "negative", ""]
    assert rows[0]["label_2"] in {"negative", "neutral"} and rows[1]["label_2"] == ""
    assert "positive: 1" in capsys.readouterr().out


@pytest.mark.parametrize("names", ["-1=negative,oops", "1=a,1=b", "=positive"])
def test_malformed_label_names_are_a_usage_error(
    model: Path, reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], names: str
) -> None:
    out = tmp_path / "labeled.csv"
    with pytest.raises(SystemExit) as exited:
        run_cli("score", "--model", model, "--input", reviews, "--output", out,
                f"--label-names={names}")  # fmt: skip
    assert exited.value.code == 2
    assert "--label-names" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("stack_config", "options"),
    [
        (batch_config(), []),
        (batch_config(top_k=3, label_names=NAMES), ["--top-k", "3", f"--label-names={NAMES}"]),
        (
            batch_config(top_k=3, review_threshold="0.9995"),
            ["--top-k", "3", "--review-threshold", "0.9995"],
        ),
    ],
    ids=["defaults", "top-3-with-label-names", "top-3-with-a-review-threshold"],
)
def test_score_writes_byte_for_byte_what_the_pipeline_writes(
    flow: LocalFlow, demo_model: Path, tmp_path: Path, options: list[str]
) -> None:
    # Given the sample file, run through the local pipeline with the demo model
    result = flow.run_file(SAMPLE, tmp_path / "pipeline")
    assert result.labeled_csv is not None
    # When the same file is scored directly with the same model and the same options
    out = tmp_path / "direct.csv"
    assert run_cli("score", "--model", demo_model, "--input", SAMPLE, "--output", out,
                   *options) == 0  # fmt: skip
    # Then both results are the same bytes
    expected = result.labeled_csv.read_bytes()
    assert out.read_bytes() == expected
    header = expected.split(b"\r\n", 1)[0]
    if "--label-names" in " ".join(options):  # and the options did show: names, third label
        assert b"positive" in expected and b"probability_3" in header
    if "--review-threshold" in options:
        assert header.endswith(
            b"scoring_status,needs_review,label_2,probability_2,label_3,probability_3"
        )


def test_a_row_with_too_many_fields_is_left_out_and_reported(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,review_body\n1,great fit\n2,bad,extra\n3,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert run_cli("score", "--model", model, "--input", source, "--output", out) == 0
    assert [r["id"] for r in read_csv(out)] == ["1", "3"]
    captured = capsys.readouterr()
    assert "3 rows: 1 scored, 1 empty, 1 rejected" in captured.out
    assert "rejected line 3:" in captured.err


def test_score_marks_rows_below_the_models_recorded_threshold_by_default(
    threshold_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a model that recorded a review threshold
    out = tmp_path / "labeled.csv"
    # When the sample is scored with it and no --review-threshold
    assert run_cli("score", "--model", threshold_model, "--input", SAMPLE, "--output", out) == 0
    # Then each scored row is marked by its printed probability, the others left blank
    rows = read_csv(out)
    assert list(rows[0])[-4:] == [
        "predicted_label",
        "probability",
        "scoring_status",
        "needs_review",
    ]
    scored = [r for r in rows if r["scoring_status"] == "scored"]
    marked = [r for r in scored if float(r["probability"]) < RECORDED_THRESHOLD]
    assert [r["needs_review"] for r in rows] == [
        ("true" if r in marked else "false") if r in scored else "" for r in rows
    ]
    assert 0 < len(marked) < len(scored)
    # and the closing line says how many need review, below which threshold
    line = capsys.readouterr().out
    assert f", {len(marked)} to review (below {RECORDED_THRESHOLD}) -> " in line


def test_score_review_threshold_off_or_a_number_overrides_the_models(
    threshold_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    off, strict = tmp_path / "off.csv", tmp_path / "strict.csv"
    common = ("score", "--model", threshold_model, "--input", SAMPLE)
    assert run_cli(*common, "--output", off, "--review-threshold", "off") == 0
    assert "to review" not in capsys.readouterr().out
    assert run_cli(*common, "--output", strict, "--review-threshold", "1") == 0
    assert "to review (below 1.0)" in capsys.readouterr().out
    # off: the file of a model without a threshold; 1: every row not printed 1.000000 marked
    assert "needs_review" not in read_csv(off)[0]
    rows = read_csv(strict)
    assert {r["needs_review"] for r in rows if r["scoring_status"] == "scored"} == {"true"}
    assert [{k: v for k, v in r.items() if k != "needs_review"} for r in rows] == read_csv(off)


@pytest.mark.parametrize("value", ["0", "1.5", "maybe", "-0.5"])
def test_a_bad_review_threshold_is_a_usage_error(
    model: Path, reviews: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    out = tmp_path / "labeled.csv"
    with pytest.raises(SystemExit) as exited:
        run_cli("score", "--model", model, "--input", reviews, "--output", out,
                "--review-threshold", value)  # fmt: skip
    assert exited.value.code == 2
    assert "--review-threshold" in capsys.readouterr().err
    assert not out.exists()
