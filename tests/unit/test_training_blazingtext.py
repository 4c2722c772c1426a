"""The BlazingText request data: names, hyperparameters, keys out of the upload trigger's way."""

from __future__ import annotations

import sys

import pytest

from review_scorer import bucket_keys
from review_scorer.bucket_keys import INCOMING_PREFIX, model_key
from review_scorer_training import blazingtext as bt
from review_scorer_training.errors import ImageLookupError
from review_scorer_training.fasttext_local import Hyperparameters


def test_fasttext_settings_map_to_blazingtext_names_as_strings() -> None:
    hp = Hyperparameters(epoch=12, lr=0.25, dim=20, word_ngrams=2, min_count=3, bucket=400_000)
    assert bt.blazingtext_hyperparameters(hp) == {
        "mode": "supervised", "epochs": "12", "learning_rate": "0.25", "vector_dim": "20",
        "word_ngrams": "2", "min_count": "3", "buckets": "400000", "early_stopping": "True",
        "patience": "4", "min_epochs": "5",
    }  # fmt: skip


def test_without_early_stopping_no_patience_is_sent_and_min_epochs_never_exceeds_epochs() -> None:
    plain = bt.blazingtext_hyperparameters(Hyperparameters(), early_stopping=False)
    assert plain["early_stopping"] == "False" and "patience" not in plain
    short = bt.blazingtext_hyperparameters(Hyperparameters(epoch=3), min_epochs=5)
    assert short["min_epochs"] == "3"


def test_nothing_written_for_training_can_trigger_scoring() -> None:
    keys = [bucket_keys.training_channel_key("job", c) for c in bt.CHANNELS]
    keys += [bucket_keys.training_artifact_key("job"), model_key("model")]
    keys += [bucket_keys.training_output_prefix("job")]
    assert all(not key.startswith(INCOMING_PREFIX) for key in keys)
    assert all(not key.endswith(".csv") for key in keys)


def test_training_job_request_names_both_channels_under_the_jobs_prefix() -> None:
    spec = bt.TrainingJobSpec(job="j", bucket="b", role="r", image="i", hyperparameters={})
    request = bt.training_job_request(spec)
    uris = [c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]]
    assert uris == [
        "s3://b/training/j/train/train.txt",
        "s3://b/training/j/validation/validation.txt",
    ]
    assert request["OutputDataConfig"] == {"S3OutputPath": "s3://b/training/j/output"}


def test_without_the_sdk_the_image_lookup_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sagemaker.core.image_uris", None)  # as if not installed
    with pytest.raises(ImageLookupError, match=r"'sagemaker' extra .* or pass --image"):
        bt.blazingtext_image("eu-west-1")


def test_an_unknown_region_has_no_image() -> None:
    pytest.importorskip("sagemaker.core")
    with pytest.raises(ImageLookupError, match="xx-nowhere-1"):
        bt.blazingtext_image("xx-nowhere-1")
