"""The fast path's model loader against the local stack: the SageMaker Model names the artifact,
S3 holds it, and StartScoring's loader finds, streams, checks and keeps it.

In-process the scorer runs on fasttext-wheel (the same FastTextScorer code as the bundle's
fasttext-predict; tests/contract/test_build.py shows they score alike). Evidence of what was
downloaded is the S3 GetObject calls the loader's client made and the report of each load,
never timing.
"""

from __future__ import annotations

import logging
import shutil
import tarfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from review_scorer import bucket_keys
from review_scorer.aws import s3
from review_scorer.model import loader
from review_scorer.model.artifact import (
    ModelCompatibilityError,
    ModelMetadata,
    ModelTooLargeError,
    package,
    unpack,
)
from review_scorer.model.scorer import fasttext_line
from review_scorer.settings import Settings, load_settings
from review_scorer.tokenizer import tokenize
from review_scorer_local.stack import BLAZINGTEXT_IMAGE, LocalModeStack

LINE = fasttext_line(" ".join(tokenize("I love this dress, it fits perfectly")))


@pytest.fixture
def settings(stack: LocalModeStack) -> Settings:
    """StartScoring's settings in the local stack (its model registered by the fixture)."""
    return load_settings(stack.function_environment())


def _variant(demo_model: Path, out: Path, **changes: Any) -> Path:
    """The demo model's model.bin packaged again with other metadata: another artifact."""
    model_bin, metadata = unpack(demo_model, out.parent / "unpacked")
    assert metadata is not None
    return package(model_bin, metadata.model_copy(update=changes), out)


def _replace_artifact(stack: LocalModeStack, settings: Settings, archive: Path) -> None:
    key = bucket_keys.model_key(settings.model_name)
    stack.client("s3").upload_file(str(archive), stack.config.bucket, key)


def _model_bin_size(archive: Path) -> int:
    with tarfile.open(archive) as tar:
        return tar.getmember("model.bin").size


def test_model_is_downloaded_once_and_reused_while_its_etag_is_unchanged(
    stack: LocalModeStack, settings: Settings, s3_reads: list[dict[str, Any]], tmp_path: Path
) -> None:
    # Given a container that has loaded nothing yet
    model_loader = loader.ModelLoader(tmp_path / "model")
    # When StartScoring asks twice for the model
    assert model_loader.fits(settings)
    first = model_loader.load(settings)
    cold = model_loader.last_load
    second = model_loader.load(settings)
    warm = model_loader.last_load
    # Then the artifact was read once, only while it had the ETag just checked
    artifact = bucket_keys.model_key(settings.model_name)
    assert [(r["Key"], "IfMatch" in r) for r in s3_reads] == [(artifact, True)]
    assert cold is not None and cold.source == "s3"
    assert warm is not None and warm.source == "memory" and warm.etag == cold.etag
    assert second is first
    # and DescribeModel was asked once: a SageMaker Model never changes
    assert stack.sagemaker is not None and stack.sagemaker.calls("DescribeModel") == 1
    # and the model scores, with the metadata it was trained with
    assert first.metadata is not None and first.metadata.name == "review-scorer-demo"
    assert first.predict_line(LINE, 1)[0][1].startswith("__label__")
    # and only model.bin and the metadata are on /tmp, with the ETag they came from
    files = {path.name for path in (tmp_path / "model").iterdir()}
    assert files == {"model.bin", "review_scorer_model.json", loader.ETAG_MARKER}
    assert (tmp_path / "model" / loader.ETAG_MARKER).read_text("utf-8") == cold.etag


def test_a_replaced_artifact_is_loaded_again_in_place_of_the_old_one(
    stack: LocalModeStack,
    settings: Settings,
    demo_model: Path,
    s3_reads: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    # Given a loaded model (its ETag asked on every load)
    model_loader = loader.ModelLoader(tmp_path / "model", etag_max_age=0)
    old = model_loader.load(settings)
    old_etag = model_loader.last_load.etag if model_loader.last_load else ""
    # When the artifact is replaced by another (a new ETag)
    _replace_artifact(stack, settings, _variant(demo_model, tmp_path / "v2.tar.gz", name="v2"))
    new = model_loader.load(settings)
    # Then it is downloaded again and replaces the old one
    report = model_loader.last_load
    assert report is not None and report.source == "s3" and report.etag != old_etag
    assert new is not old and new.metadata is not None and new.metadata.name == "v2"
    assert len(s3_reads) == 2
    assert (tmp_path / "model" / loader.ETAG_MARKER).read_text("utf-8") == report.etag


def test_a_restarted_runtime_loads_the_model_from_tmp_without_downloading_it(
    settings: Settings, s3_reads: list[dict[str, Any]], tmp_path: Path
) -> None:
    # Given a model extracted to /tmp by an earlier process of the same execution environment
    loader.ModelLoader(tmp_path / "model").load(settings)
    # When a new process (Lambda's reset after a timeout keeps /tmp) loads it
    restarted = loader.ModelLoader(tmp_path / "model")
    scorer = restarted.load(settings)
    # Then it reads it from disk: no second download
    assert restarted.last_load is not None and restarted.last_load.source == "disk"
    assert len(s3_reads) == 1
    assert scorer.predict_line(LINE, 3)


def test_a_model_bin_over_the_limit_falls_back_to_the_batch_path_and_is_remembered(
    settings: Settings, demo_model: Path, s3_reads: list[dict[str, Any]], tmp_path: Path
) -> None:
    # Given a limit that the compressed artifact is under but its model.bin is over
    archive_bytes, model_bytes = demo_model.stat().st_size, _model_bin_size(demo_model)
    assert archive_bytes < 1024 * 1024 < model_bytes
    small = settings.model_copy(update={"fast_path_max_model_bytes": 1024 * 1024})
    model_loader = loader.ModelLoader(tmp_path / "model")
    assert model_loader.fits(small)  # the object's size is all that is known yet
    # When StartScoring loads it
    with pytest.raises(ModelTooLargeError) as refused:
        model_loader.load(small)
    # Then it is refused from its tar header, before a byte of model.bin is written
    assert refused.value.size == model_bytes
    assert not (tmp_path / "model").exists()
    # and from now on the fast path is off for that artifact, without another download
    assert not model_loader.fits(small)
    with pytest.raises(ModelTooLargeError):
        model_loader.load(small)
    assert len(s3_reads) == 1
    # while a limit it fits in loads it
    assert model_loader.fits(settings)
    model_loader.load(settings)


def test_an_artifact_over_the_limit_is_never_downloaded(
    stack: LocalModeStack, settings: Settings, s3_reads: list[dict[str, Any]], tmp_path: Path
) -> None:
    model_loader = loader.ModelLoader(tmp_path / "model")
    tiny = settings.model_copy(update={"fast_path_max_model_bytes": 1024})
    assert not model_loader.fits(tiny)
    with pytest.raises(ModelTooLargeError):
        model_loader.load(tiny)
    assert s3_reads == []
    # and 0 switches the fast path off without asking AWS anything
    assert stack.sagemaker is not None
    asked = stack.sagemaker.calls("DescribeModel")
    off = settings.model_copy(update={"fast_path_max_model_bytes": 0})
    assert not loader.ModelLoader(tmp_path / "other").fits(off)
    assert stack.sagemaker.calls("DescribeModel") == asked


def test_a_model_made_with_another_tokenizer_is_refused_with_its_code(
    stack: LocalModeStack, settings: Settings, demo_model: Path, tmp_path: Path
) -> None:
    # Given the stack's artifact replaced by one trained with another tokenizer
    other = _variant(demo_model, tmp_path / "old.tar.gz", tokenizer_version="0-legacy")
    _replace_artifact(stack, settings, other)
    model_loader = loader.ModelLoader(tmp_path / "model")
    # When StartScoring loads it, Then it is refused with a stable code, naming the artifact
    assert model_loader.fits(settings)  # its size is fine: the refusal is the loader's
    with pytest.raises(ModelCompatibilityError) as refused:
        model_loader.load(settings)
    assert refused.value.code == "MODEL_INCOMPATIBLE"
    assert "0-legacy" in refused.value.message
    assert bucket_keys.model_key(settings.model_name) in refused.value.message


def test_an_artifact_without_model_bin_is_refused(
    stack: LocalModeStack, settings: Settings, tmp_path: Path
) -> None:
    archive = tmp_path / "empty.tar.gz"
    metadata = tmp_path / "review_scorer_model.json"
    metadata.write_text(ModelMetadata(name="x", labels=[], tokenizer_version="1").model_dump_json())
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(metadata, arcname="review_scorer_model.json")
    _replace_artifact(stack, settings, archive)
    with pytest.raises(ModelCompatibilityError, match=r"holds no model\.bin"):
        loader.ModelLoader(tmp_path / "model").load(settings)


def test_no_model_or_no_artifact_means_no_fast_path_with_a_warning(
    stack: LocalModeStack,
    settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model_loader = loader.ModelLoader(tmp_path / "model", etag_max_age=0)
    # a SageMaker Model that does not exist
    missing = settings.model_copy(update={"model_name": "no-such-model"})
    with caplog.at_level(logging.WARNING):
        assert not model_loader.fits(missing)
    assert "model artifact unreadable" in caplog.text
    # the stack's model, its artifact deleted
    s3 = stack.client("s3")
    s3.delete_object(Bucket=stack.config.bucket, Key=bucket_keys.model_key(settings.model_name))
    assert not model_loader.fits(settings)
    # no model name at all
    assert not model_loader.fits(settings.model_copy(update={"model_name": ""}))


def test_a_model_made_of_containers_is_found_by_its_first_container(
    stack: LocalModeStack, settings: Settings, tmp_path: Path
) -> None:
    # Given a SageMaker Model made with Containers (no PrimaryContainer) on the same artifact
    url = bucket_keys.s3_uri(stack.config.bucket, bucket_keys.model_key(settings.model_name))
    stack.client("sagemaker").create_model(
        ModelName="pipeline-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/review-scorer-sagemaker",
        Containers=[{"Image": BLAZINGTEXT_IMAGE, "ModelDataUrl": url}],
    )
    pipeline = settings.model_copy(update={"model_name": "pipeline-model"})
    # Then the loader finds and loads it
    model_loader = loader.ModelLoader(tmp_path / "model")
    assert model_loader.fits(pipeline)
    assert model_loader.load(pipeline).predict_line(LINE, 1)


def test_the_containers_loader_reports_each_load_for_benchmarks(
    settings: Settings, tmp_path: Path
) -> None:
    loader.reset(tmp_path / "model")
    try:
        assert loader.fits(settings)
        first = loader.load(settings)
        cold = loader.last_load()
        assert loader.load(settings) is first
        warm = loader.last_load()
    finally:
        loader.reset()
    assert cold is not None and warm is not None
    assert (cold.source, warm.source) == ("s3", "memory")
    assert cold.model_bytes == warm.model_bytes > 0
    assert cold.seconds >= 0 and warm.seconds >= 0


def test_an_artifact_replaced_between_its_check_and_its_read_is_not_read(
    stack: LocalModeStack,
    settings: Settings,
    demo_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the artifact's size and ETag as checked, and then the artifact replaced
    key = bucket_keys.model_key(settings.model_name)
    checked = s3.head(stack.config.bucket, key)
    _replace_artifact(stack, settings, _variant(demo_model, tmp_path / "v2.tar.gz", name="v2"))
    monkeypatch.setattr(s3, "head", lambda bucket, key: checked)
    # When the loader reads what it checked, Then S3 refuses (IfMatch): no other bytes are read
    with pytest.raises(ClientError) as refused:
        loader.ModelLoader(tmp_path / "model").load(settings)
    assert refused.value.response["Error"]["Code"] in ("PreconditionFailed", "412")
    assert not (tmp_path / "model").exists()


def test_a_model_bin_larger_than_the_free_space_of_tmp_falls_back_to_the_batch_path(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a /tmp with 1 MiB free (EphemeralStorage too small for the model)
    full = SimpleNamespace(total=2 * 1024 * 1024, used=1024 * 1024, free=1024 * 1024)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)
    # When the model is loaded, Then it is refused before it fills the disk, and nothing stays
    with pytest.raises(ModelTooLargeError, match="space free"):
        loader.ModelLoader(tmp_path / "model").load(settings)
    assert not (tmp_path / "model").exists()
