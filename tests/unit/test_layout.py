"""Names derived from an upload: job names, result keys, what the trigger fires on."""

from __future__ import annotations

import re

import pytest

from review_scorer import layout


def test_job_name_is_the_same_for_the_same_upload() -> None:
    first = layout.job_name("rs", "bucket", "incoming/a b.csv", "v1")
    again = layout.job_name("rs", "bucket", "incoming/a b.csv", "v1")
    assert first == again


@pytest.mark.parametrize(
    ("bucket", "key", "version"),
    [
        ("other", "incoming/a b.csv", "v1"),
        ("bucket", "incoming/a+b.csv", "v1"),
        ("bucket", "incoming/a b.csv", "v2"),
    ],
)
def test_job_name_changes_with_bucket_key_or_version(bucket: str, key: str, version: str) -> None:
    assert layout.job_name("rs", bucket, key, version) != layout.job_name(
        "rs", "bucket", "incoming/a b.csv", "v1"
    )


def test_job_name_is_a_valid_sagemaker_name_with_the_stack_prefix() -> None:
    prefix = "review-scorer-production-01"
    name = layout.job_name(prefix, "b", "incoming/" + "é" * 500 + ".csv", "v")
    assert name.startswith(prefix + "-")
    assert len(name) <= layout.TRANSFORM_JOB_NAME_MAX
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", name)


@pytest.mark.parametrize("prefix", ["", "-rs", "rs-", "r_s", "x" * 31])
def test_invalid_job_name_prefix_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        layout.job_name(prefix, "b", "k", "v")


def test_gzip_upload_names_drop_the_whole_suffix() -> None:
    assert layout.upload_name("incoming/a/reviews.csv.gz") == "a/reviews"


def test_result_keys_keep_the_folder_below_incoming() -> None:
    name = layout.upload_name("incoming/shop/2026/reviews.csv")
    assert name == "shop/2026/reviews"
    assert layout.labeled_key(name) == "results/shop/2026/reviews.labeled.csv"
    assert layout.summary_key(name) == "results/shop/2026/reviews.summary.json"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("incoming/a.csv", True),
        ("incoming/x/y z.csv", True),
        ("incoming/", False),
        ("incoming/folder/", False),
        ("incoming/a.CSV", False),
        ("results/a.csv", False),
        ("incoming/a.csv.gz", True),
        ("incoming/a.gz", False),
    ],
)
def test_only_csv_objects_under_incoming_are_uploads(key: str, expected: bool) -> None:
    assert layout.is_upload(key) is expected


def test_nothing_the_app_writes_can_trigger_it_again() -> None:
    job, name = "rs-0123", "sub/reviews"
    written = [
        layout.shard_key(job, 0),
        layout.manifest_key(job),
        layout.notified_key(job),
        layout.prediction_key(job, layout.shard_key(job, 0)),
        layout.labeled_key(name),
        layout.summary_key(name),
        layout.quarantine_key(name, "incoming/sub/reviews.csv"),
        layout.quarantine_error_key(name),
    ]
    assert not any(layout.is_upload(key) for key in written)
    assert all(key.startswith(layout.WRITTEN_PREFIXES) for key in written)


def test_transform_input_prefix_matches_shards_but_not_the_manifest() -> None:
    job = "rs-0123"
    assert layout.shard_key(job, 3).startswith(layout.shard_input_prefix(job))
    assert not layout.manifest_key(job).startswith(layout.shard_input_prefix(job))
    assert not layout.notified_key(job).startswith(layout.shard_input_prefix(job))
