"""Rows marked for review in the pipeline: StartScoring decides each file's threshold once (the
stack's ReviewThreshold, or the one the stack's model recorded), the labeled CSV gets a
``needs_review`` column and the summary counts the marked rows, whatever happens to the model
afterwards. The model's threshold is read from its artifact's metadata alone, never model.bin.
"""

from __future__ import annotations

import csv
import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from review_scorer import bucket_keys
from review_scorer.aws import s3
from review_scorer.handlers import start_scoring
from review_scorer.model import loader
from review_scorer.model.artifact import (
    METADATA_FILE,
    MODEL_FILE,
    ModelCompatibilityError,
    ModelMetadata,
    metadata_from_stream,
    package,
    unpack,
)
from review_scorer.settings import Settings, load_settings
from review_scorer_local.flow import LocalFlow
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.stack_config import StackConfig
from tests.conftest import RECORDED_THRESHOLD, batch_config
from tests.functional.helpers import (
    SAMPLE,
    context,
    intake_event,
    read_object,
    run_start_scoring,
    sns_messages,
    upload_for_event,
)

RESULT = ["predicted_label", "probability", "scoring_status"]


@pytest.fixture
def stack(
    stack_config: StackConfig, threshold_model: Path, moto_server: Any
) -> Iterator[LocalModeStack]:
    """A local stack whose model records a review threshold (RECORDED_THRESHOLD)."""
    with LocalModeStack(stack_config, moto_server=moto_server) as running:
        running.register_model(threshold_model)
        yield running


@pytest.fixture
def settings(stack: LocalModeStack) -> Settings:
    return load_settings(stack.function_environment())


def labeled(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    return list(reader.fieldnames or []), list(reader)


def repackaged(archive: Path, out: Path, **changes: Any) -> Path:
    """``archive``'s model.bin packaged again with other metadata."""
    model_bin, metadata = unpack(archive, out.parent / f"{out.stem}-unpacked")
    assert metadata is not None
    return package(model_bin, metadata.model_copy(update=changes), out)


def replace_artifact(stack: LocalModeStack, archive: Path) -> None:
    key = bucket_keys.model_key(stack.config.model_name)
    stack.client("s3").upload_file(str(archive), stack.config.bucket, key)


def assert_marked(rows: list[dict[str, str]], threshold: float) -> int:
    """Every scored row is marked by its printed probability, every other row is blank; the
    number marked true."""
    for row in rows:
        if row["scoring_status"] == "scored":
            below = float(row["probability"]) < threshold
            assert row["needs_review"] == ("true" if below else "false"), row
        else:
            assert row["needs_review"] == "", row
    return sum(row["needs_review"] == "true" for row in rows)


# --- the labeled CSV and the summary -----------------------------------------------------------


@pytest.mark.parametrize("stack_config", [batch_config(), batch_config(top_k=3)])
def test_the_models_recorded_threshold_marks_the_rows_below_it(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    # Given a stack left at ReviewThreshold=model, whose model recorded a threshold
    # When the sample (18 reviews, 2 empty) goes through the batch path
    (result,) = LocalFlow(stack).run_files([SAMPLE], tmp_path / "out")
    assert result.ok and result.labeled_csv and result.summary
    header, rows = labeled(result.labeled_csv.read_bytes())
    # Then needs_review follows scoring_status, before any label_2, probability_2 ...
    top_k = stack.config.settings.top_k
    extra = [c for n in range(2, top_k + 1) for c in (f"label_{n}", f"probability_{n}")]
    assert header[-(4 + len(extra)) :] == [*RESULT, "needs_review", *extra]
    # and marks the rows scored below the model's threshold, some but not all of them
    marked = assert_marked(rows, RECORDED_THRESHOLD)
    assert 0 < marked < 18
    # and the summary counts them and names the threshold used
    summary = result.summary
    assert summary["review_threshold"] == RECORDED_THRESHOLD
    assert summary["rows"] == {
        "total": 20, "scored": 18, "empty": 2, "rejected": 0, "needs_review": marked
    }  # fmt: skip


@pytest.mark.parametrize(
    "stack_config",
    [batch_config(review_threshold="0.9995"), batch_config(review_threshold="off")],
    ids=["number", "off"],
)
def test_the_stacks_own_threshold_or_off_overrides_the_models(
    stack: LocalModeStack, tmp_path: Path
) -> None:
    (result,) = LocalFlow(stack).run_files([SAMPLE], tmp_path / "out")
    assert result.ok and result.labeled_csv and result.summary
    header, rows = labeled(result.labeled_csv.read_bytes())
    summary = result.summary
    if stack.config.settings.review_threshold == "off":
        # no column at all, and nothing counted: the file of a stack without thresholds
        assert header[-3:] == RESULT and "needs_review" not in header
        assert summary["review_threshold"] is None and summary["rows"]["needs_review"] is None
        return
    marked = assert_marked(rows, 0.9995)
    scored = [float(row["probability"]) for row in rows if row["scoring_status"] == "scored"]
    assert marked > sum(p < RECORDED_THRESHOLD for p in scored)  # more than the model's would
    assert (summary["review_threshold"], summary["rows"]["needs_review"]) == (0.9995, marked)


def test_a_model_replaced_after_staging_changes_nothing_for_the_file_staged(
    stack: LocalModeStack, threshold_model: Path, tmp_path: Path
) -> None:
    # Given a file staged, its transform job started, while the model recorded 0.999
    flow = LocalFlow(stack)
    flow.upload(SAMPLE, "incoming/first.csv")
    flow.deliver_uploads()
    # When the model is replaced by one recording another threshold before the job ends
    replace_artifact(
        stack, repackaged(threshold_model, tmp_path / "m.tar.gz", review_threshold=0.5)
    )
    loader.reset(tmp_path / "model")  # a new container: it sees the new artifact at once
    flow.drain()
    # Then the file is marked with the threshold decided when it was staged
    (first,) = sns_messages(stack)
    assert first["review_threshold"] == RECORDED_THRESHOLD
    _, rows = labeled(read_object(stack, "results/first.labeled.csv"))
    assert assert_marked(rows, RECORDED_THRESHOLD) == first["rows"]["needs_review"] > 0
    # and a file uploaded now takes the new model's
    flow.upload(SAMPLE, "incoming/second.csv")
    flow.drain()
    second = sns_messages(stack)[-1]
    assert (second["review_threshold"], second["rows"]["needs_review"]) == (0.5, 0)


# --- reading the model's threshold -------------------------------------------------------------


def test_the_threshold_is_read_from_the_metadata_without_extracting_model_bin(
    stack: LocalModeStack, settings: Settings, s3_reads: list[dict[str, Any]], tmp_path: Path
) -> None:
    # Given a container that has loaded no model
    model_loader = loader.ModelLoader(tmp_path / "model")
    # When the artifact's metadata is asked for, twice
    first = model_loader.metadata(settings)
    second = model_loader.metadata(settings)
    # Then it was read once, only while the artifact had the ETag just checked
    key = bucket_keys.model_key(settings.model_name)
    assert [(r["Key"], "IfMatch" in r) for r in s3_reads] == [(key, True)]
    assert first is not None and first.review_threshold == RECORDED_THRESHOLD
    assert second == first
    # and nothing was written: no model.bin on /tmp, no model in memory
    assert not (tmp_path / "model").exists()
    assert model_loader.last_load is None
    # and once the model is loaded, its metadata answers without another read
    model_loader.load(settings)
    reads = len(s3_reads)
    assert model_loader.metadata(settings) == first
    assert len(s3_reads) == reads


class CountingReader(io.RawIOBase):
    """A stream that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        self._data, self.read_bytes = io.BytesIO(data), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._data.readinto(buffer)
        self.read_bytes += n
        return n


def members(archive: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        return tar.getnames()


def test_an_archive_packaged_now_is_read_only_up_to_its_metadata(threshold_model: Path) -> None:
    data = threshold_model.read_bytes()
    stream = CountingReader(data)
    metadata = metadata_from_stream(io.BufferedReader(stream), where="model.tar.gz")
    assert members(threshold_model) == [METADATA_FILE, MODEL_FILE]
    assert metadata is not None and metadata.review_threshold == RECORDED_THRESHOLD
    assert stream.read_bytes < 64 * 1024 < len(data) // 4


def old_order(archive: Path, out: Path, metadata: ModelMetadata | None) -> Path:
    """``archive`` as packaged before: model.bin first, then the metadata (if any)."""
    model_bin, _ = unpack(archive, out.parent / f"{out.stem}-unpacked")
    with tarfile.open(out, "w:gz") as tar:
        tar.add(model_bin, arcname=MODEL_FILE)
        if metadata is not None:
            data = metadata.model_dump_json().encode("utf-8")
            info = tarfile.TarInfo(METADATA_FILE)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_an_older_archive_with_model_bin_first_is_read_through_and_still_scores(
    stack: LocalModeStack, settings: Settings, threshold_model: Path, tmp_path: Path
) -> None:
    # Given the stack's artifact replaced by one packaged the old way (model.bin first)
    _, metadata = unpack(threshold_model, tmp_path / "unpacked")
    recorded = metadata.model_copy(update={"review_threshold": 0.75}) if metadata else None
    old = old_order(threshold_model, tmp_path / "old.tar.gz", recorded)
    assert members(old) == [MODEL_FILE, METADATA_FILE]
    replace_artifact(stack, old)
    # When its metadata is asked for, Then it is found after model.bin, and nothing is written
    model_loader = loader.ModelLoader(tmp_path / "model")
    found = model_loader.metadata(settings)
    assert found is not None and found.review_threshold == 0.75
    assert not (tmp_path / "model").exists()
    # and the model loads from it as before, with the same metadata
    assert model_loader.load(settings).metadata == found
    # and a plain BlazingText archive (model.bin alone) has no metadata: no threshold
    replace_artifact(stack, old_order(threshold_model, tmp_path / "plain.tar.gz", None))
    assert loader.ModelLoader(tmp_path / "other").metadata(settings) is None


def test_a_model_made_with_another_tokenizer_fails_the_file_even_on_the_batch_path(
    stack: LocalModeStack, settings: Settings, threshold_model: Path, tmp_path: Path
) -> None:
    # Given the stack's model replaced by one trained with another tokenizer (fast path off)
    other = repackaged(threshold_model, tmp_path / "other.tar.gz", tokenizer_version="0")
    replace_artifact(stack, other)
    with pytest.raises(ModelCompatibilityError):
        loader.ModelLoader(tmp_path / "model").metadata(settings)
    # When a file is uploaded, Then it fails as the fast path fails it, with no job
    assert run_start_scoring(stack, upload_for_event(stack, SAMPLE.read_bytes())) == ["failed"]
    (note,) = sns_messages(stack)
    assert note["attributes"]["error_code"] == "MODEL_INCOMPATIBLE"
    assert stack.sagemaker is not None and stack.sagemaker.jobs == {}


def test_a_stack_whose_model_does_not_exist_has_its_jobs_refused_as_before(
    stack: LocalModeStack,
) -> None:
    # Given the stack's SageMaker Model gone
    assert stack.sagemaker is not None
    del stack.sagemaker.models[stack.config.model_name]
    # When a file is uploaded, Then CreateTransformJob refuses it, naming the cause
    assert run_start_scoring(stack, upload_for_event(stack, SAMPLE.read_bytes())) == ["failed"]
    (note,) = sns_messages(stack)
    assert note["attributes"]["error_code"] == "TRANSFORM_JOB_REJECTED"
    assert "ModelName" in note["error"]["message"]


def test_an_artifact_that_cannot_be_read_fails_the_file_naming_the_fix(
    stack: LocalModeStack,
) -> None:
    # Given the model's artifact deleted (S3 answers 404 to HeadObject: no retry can help)
    key = bucket_keys.model_key(stack.config.model_name)
    stack.client("s3").delete_object(Bucket=stack.config.bucket, Key=key)
    # When a file is uploaded, Then it fails with a code and a message saying what to change
    assert run_start_scoring(stack, upload_for_event(stack, SAMPLE.read_bytes())) == ["failed"]
    (note,) = sns_messages(stack)
    assert note["attributes"]["error_code"] == "MODEL_UNREADABLE"
    assert "ReviewThreshold to off or a number" in note["error"]["message"]
    assert stack.sagemaker is not None and stack.sagemaker.jobs == {}


def test_an_error_reading_the_artifact_that_a_retry_may_fix_sends_the_upload_back(
    stack: LocalModeStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given S3 throttling StartScoring's read of the artifact
    def slow_down(*args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "Reduce"}}, "HeadObject")

    monkeypatch.setattr(s3, "head", slow_down)
    loader.reset(loader.MODEL_DIR)
    # When a file is uploaded
    message = intake_event(stack, upload_for_event(stack, SAMPLE.read_bytes()))
    os.environ.update(stack.function_environment())
    response = start_scoring.lambda_handler(message, context("StartScoringFunction"))
    # Then its message comes back later, as for any AWS error, and nothing is announced yet
    assert response["batchItemFailures"] == [
        {"itemIdentifier": record["messageId"]} for record in message["Records"]
    ]
    assert sns_messages(stack) == []
