"""Bucket keys derived from an upload: result keys, what the trigger fires on."""

from __future__ import annotations

import posixpath

import pytest

from review_scorer import bucket_keys


def test_gzip_upload_names_drop_the_whole_suffix() -> None:
    assert bucket_keys.upload_name("incoming/a/reviews.csv.gz") == "a/reviews"


def test_result_keys_keep_the_folder_below_incoming() -> None:
    name = bucket_keys.upload_name("incoming/shop/2026/reviews.csv")
    assert name == "shop/2026/reviews"
    assert bucket_keys.labeled_key(name) == "results/shop/2026/reviews.labeled.csv"
    assert bucket_keys.summary_key(name) == "results/shop/2026/reviews.summary.json"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("incoming/a.csv", True),
        ("incoming/x/y z.csv", True),
        ("incoming/", False),
        ("incoming/folder/", False),
        ("incoming/a.CSV", True),  # S3 keys keep their case; a .CSV is a CSV too
        ("incoming/B.Csv.GZ", True),
        ("results/a.csv", False),
        ("incoming/a.csv.gz", True),
        ("incoming/a.gz", False),
    ],
)
def test_only_csv_objects_under_incoming_are_uploads(key: str, expected: bool) -> None:
    assert bucket_keys.is_upload(key) is expected


@pytest.mark.parametrize(
    ("key", "expected"),
    [("incoming/notes.txt", True), ("incoming/a.CSV", True), ("incoming/x/", False),
     ("results/a.csv", False)],
)  # fmt: skip
def test_everything_under_incoming_but_folders_gets_an_answer(key: str, expected: bool) -> None:
    assert bucket_keys.is_under_incoming(key) is expected


def test_upper_case_suffixes_are_dropped_from_the_result_name() -> None:
    assert bucket_keys.upload_name("incoming/shop/REVIEWS.CSV") == "shop/REVIEWS"
    assert bucket_keys.upload_name("incoming/a.Csv.Gz") == "a"


def test_nothing_the_app_writes_can_trigger_it_again() -> None:
    job, name = "rs-0123", "sub/reviews"
    written = [
        bucket_keys.shard_key(job, 0),
        bucket_keys.manifest_key(job),
        bucket_keys.notified_key(job),
        bucket_keys.job_claim_key(job),
        bucket_keys.job_files_key(job),
        bucket_keys.job_input_manifest_key(job),
        bucket_keys.prediction_key(job, bucket_keys.shard_key(job, 0)),
        bucket_keys.labeled_key(name),
        bucket_keys.summary_key(name),
        bucket_keys.quarantine_key(name, "incoming/sub/reviews.csv"),
        bucket_keys.quarantine_error_key(name),
    ]
    assert not any(bucket_keys.is_upload(key) for key in written)
    assert all(key.startswith(bucket_keys.WRITTEN_PREFIXES) for key in written)


def test_shards_of_every_file_have_names_of_their_own_in_one_folder() -> None:
    # a shared job's outputs are "<shard name>.out" under its output path: never two alike
    shards = [bucket_keys.shard_key(f, i) for f in ("rs-0123", "rs-4567") for i in (0, 1)]
    assert {posixpath.dirname(key) + "/" for key in shards} == {bucket_keys.SHARDS_PREFIX}
    outputs = {bucket_keys.prediction_key("rs-job", key) for key in shards}
    assert len(outputs) == 4
    assert not any(bucket_keys.is_upload(key) for key in outputs)
