"""The local transform runner behaves like Batch Transform on BlazingText."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_scorer.model.artifact import ModelCompatibilityError, ModelMetadata, package
from review_scorer.model.scorer import BadRecordError, FastTextScorer
from review_scorer_local.transform_runner import TransformJobError, mini_batches, score_file


def test_mini_batches_respect_the_payload_limit() -> None:
    lines = [b"x" * 40 + b"\n"] * 5
    assert [len(b) for b in mini_batches(iter(lines), 100)] == [2, 2, 1]


def test_a_record_over_the_payload_limit_fails_the_job() -> None:
    with pytest.raises(TransformJobError, match="MaxPayloadInMB"):
        list(mini_batches(iter([b"x" * 200]), 100))


def test_output_has_one_blazingtext_answer_per_line_in_order(demo_model: Path) -> None:
    scorer = FastTextScorer.from_archive(demo_model, where="demo")
    lines = [b'{"source": "i love this dress"}\n', b'{"source": "poor quality", "k": 2}\n']
    out = [json.loads(line) for line in score_file(iter(lines), scorer, 1024).splitlines()]
    assert out[0]["label"] == ["__label__1"]
    assert len(out[1]["label"]) == 2
    assert out[1]["label"][0] == "__label__-1"
    assert out[1]["prob"][0] >= out[1]["prob"][1]


@pytest.mark.parametrize(
    "line", [b"not json\n", b'{"text": "x"}\n', b'{"source": 3}\n', b'{"source": "a", "k": 0}\n']
)
def test_a_bad_record_fails_its_whole_file(demo_model: Path, line: bytes) -> None:
    scorer = FastTextScorer.from_archive(demo_model, where="demo")
    good = b'{"source": "great"}\n'
    with pytest.raises(TransformJobError, match="bad record"):
        score_file(iter([good, line, good]), scorer, 1024)


def test_scorer_rejects_non_objects(demo_model: Path) -> None:
    scorer = FastTextScorer.from_archive(demo_model, where="demo")
    with pytest.raises(BadRecordError):
        scorer.predict(["source"])


def test_a_model_made_with_another_tokenizer_is_refused(tmp_path: Path) -> None:
    model_bin = tmp_path / "model.bin"
    model_bin.write_bytes(b"not read before the check")
    metadata = ModelMetadata(name="old", labels=["1"], tokenizer_version="some-other-tokenizer")
    archive = package(model_bin, metadata, tmp_path / "model.tar.gz")
    with pytest.raises(ModelCompatibilityError, match="some-other-tokenizer"):
        FastTextScorer.from_archive(archive, where="s3://b/models/old/model.tar.gz")
