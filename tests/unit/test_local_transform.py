"""The local transform runner behaves like Batch Transform on BlazingText."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_scorer.model.artifact import ModelCompatibilityError, ModelMetadata, package
from review_scorer.model.scorer import BadRecordError, FastTextScorer, fasttext_line
from review_scorer.transform.records import record
from review_scorer_local.transform_inputs import TransformJobError
from review_scorer_local.transform_runner import (
    _request,
    answer_line,
    mini_batches,
    score_file,
)


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


# --- the runner's fast paths against the implementation they replaced -------------------------


def _reference_score_file(lines: list[bytes], scorer: FastTextScorer, max_payload: int) -> bytes:
    """score_file as it was: json.loads, the checks, split and join, predict, json.dumps."""
    out = []
    for number, batch in enumerate(mini_batches(iter(lines), max_payload), start=1):
        for line in batch:
            try:
                pairs = scorer.predict_line(*_reference_request(line))
            except (ValueError, BadRecordError) as exc:
                raise TransformJobError(
                    f"ClientError: bad record in mini-batch {number}: {type(exc).__name__}"
                ) from None
            answer = {"label": [label for _, label in pairs], "prob": [p for p, _ in pairs]}
            out.append(json.dumps(answer).encode("utf-8") + b"\n")
    return b"".join(out)


# Every character str.split splits on, what JSON escapes, and others.
def _reference_request(line: bytes) -> tuple[str, int]:
    record = json.loads(line)
    if not isinstance(record, dict) or not isinstance(record.get("source"), str):
        raise BadRecordError("source")
    k = record.get("k", 1)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise BadRecordError("k")
    return " ".join(record["source"].split()) + "\n", k


_SPLIT_AND_ESCAPED = ' \t\n\x0b\x1c\x85\xa0\u2028\u3000"\\/\x00\x7f'
_sources = st.text(alphabet=st.sampled_from(_SPLIT_AND_ESCAPED + "é€😀abc  ") | st.characters())
_request_lines = st.one_of(
    st.builds(record, st.lists(st.text(min_size=1), max_size=6), st.integers(1, 3)),
    st.builds(
        lambda source, k, space: (
            space + json.dumps({"source": source, **k}, ensure_ascii=False) + space
        ).encode("utf-8", "surrogatepass"),
        _sources,
        st.sampled_from([{}, {"k": 2}, {"k": 0}, {"k": True}, {"k": "1"}]),
        st.sampled_from(["", " ", "\n", "\ufeff"]),
    ),
    st.builds(lambda s: json.dumps({"source": s}).encode(), _sources),  # \\u escapes
    st.binary(max_size=30).map(lambda raw: b'{"source": "' + raw + b'"}\n'),
    st.sampled_from([b"not json\n", b"[1]\n", b'{"source": 3}\n', b'{"source": "a"} x\n']),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_request_lines, min_size=1, max_size=6), st.integers(40, 400))
def test_runner_output_and_errors_match_the_reference(
    demo_model: Path, lines: list[bytes], max_payload: int
) -> None:
    scorer = _scorer(demo_model)
    lines = [line if line.endswith(b"\n") else line + b"\n" for line in lines]
    try:
        got: bytes | str = score_file(iter(lines), scorer, max_payload)
    except TransformJobError as error:
        got = str(error)
    try:
        expected: bytes | str = _reference_score_file(lines, scorer, max_payload)
    except TransformJobError as error:
        expected = str(error)
    assert got == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True) | st.sampled_from([1.00001, 0.5, 1e-5]),
            st.text() | st.sampled_from(["__label__1", "__label__é", '__label__"q"']),
        ),
        max_size=4,
    )
)
def test_answer_lines_are_json_dumps_character_for_character(
    pairs: list[tuple[float, str]],
) -> None:
    answer = {"label": [label for _, label in pairs], "prob": [p for p, _ in pairs]}
    assert answer_line(pairs) == json.dumps(answer) + "\n"


@settings(max_examples=500, deadline=None)
@given(_sources)
def test_the_fasttext_line_is_the_tokens_joined_by_single_spaces(source: str) -> None:
    expected = " ".join(source.split()) + "\n"
    assert fasttext_line(source) == expected
    if source.isascii() and not any(c < " " for c in source):  # what spaces_only promises
        assert fasttext_line(source, spaces_only=True) == expected


_SCORERS: dict[Path, FastTextScorer] = {}


def _scorer(model: Path) -> FastTextScorer:
    if model not in _SCORERS:
        _SCORERS[model] = FastTextScorer.from_archive(model, where="demo")
    return _SCORERS[model]


@settings(max_examples=1000, deadline=None)
@given(_request_lines)
def test_requests_read_as_json_loads_and_split_would(line: bytes) -> None:
    outcomes: list[tuple[str, int] | str] = []
    for read in (_request, _reference_request):
        try:
            outcomes.append(read(line))
        except (ValueError, BadRecordError) as error:
            outcomes.append(type(error).__name__)
    assert outcomes[0] == outcomes[1]
