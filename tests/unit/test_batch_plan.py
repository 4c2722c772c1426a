"""Which staged files share a transform job."""

from __future__ import annotations

import pytest

from review_scorer import bucket_keys
from review_scorer.settings import Settings
from review_scorer.transform import batch, jobs
from review_scorer.transform.manifest import Manifest, RowCounts, ShardEntry, SourceObject

MIB = 1024 * 1024


def staged(file: str, *sizes: int) -> Manifest:
    return Manifest(
        job=file,
        name=file,
        source=SourceObject(bucket="b", key=f"incoming/{file}.csv", etag="e"),
        model="m",
        review_column="review_body",
        max_field_chars=100_000,
        columns=["review_body"],
        rows=RowCounts(total=len(sizes), scored=len(sizes)),
        shards=[
            ShardEntry(key=bucket_keys.shard_key(file, i), rows=1, size=size)
            for i, size in enumerate(sizes)
        ],
        marks=[],
        tokenizer_version="t",
        created_at="now",
    )


def settings(**values: object) -> Settings:
    return Settings.model_validate({"bucket_name": "bkt", "topic_arn": "t", **values})


def names(groups: list[list[Manifest]]) -> list[list[str]]:
    return [[m.job for m in group] for group in groups]


def test_small_files_share_jobs_up_to_the_file_limit_in_arrival_order() -> None:
    files = [staged(f"f{i:02d}", MIB) for i in range(25)]
    groups = batch.plan(files, settings(job_max_files=10))
    assert [len(group) for group in groups] == [10, 10, 5]
    assert [name for group in names(groups) for name in group] == [f.job for f in files]


def test_the_byte_limit_closes_a_job_before_it_would_pass() -> None:
    files = [staged(f"f{i}", 40 * MIB) for i in range(5)]
    groups = batch.plan(files, settings(job_max_bytes=100 * MIB))
    assert names(groups) == [["f0", "f1"], ["f2", "f3"], ["f4"]]


def test_large_files_keep_a_job_of_their_own() -> None:
    files = [
        staged("a", MIB),
        staged("sharded", MIB, MIB),
        staged("b", MIB),
        staged("big", 300 * MIB),
    ]
    groups = batch.plan(files, settings())
    assert names(groups) == [["sharded"], ["big"], ["a", "b"]]


def test_one_file_per_job_turns_batching_off() -> None:
    groups = batch.plan([staged(f"f{i}", 10) for i in range(3)], settings(job_max_files=1))
    assert names(groups) == [["f0"], ["f1"], ["f2"]]


def test_a_lone_file_s_job_is_named_after_it_and_a_shared_one_after_its_files() -> None:
    assert batch.shared_job_name("rs", ["rs-abc"]) == "rs-abc"
    shared = batch.shared_job_name("rs", ["rs-b", "rs-a"])
    assert shared == batch.shared_job_name("rs", ["rs-a", "rs-b"])  # the set, not the order
    assert shared != batch.shared_job_name("rs", ["rs-a", "rs-c"])
    assert jobs.is_sagemaker_name(shared) and shared.startswith("rs-")


@pytest.mark.parametrize("limit", [0, 1001])
def test_file_limit_is_checked(limit: int) -> None:
    with pytest.raises(ValueError, match="job_max_files"):
        settings(job_max_files=limit)
