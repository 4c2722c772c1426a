"""The local transform runner reads a job's input as Batch Transform does: a ManifestFile's
objects in the listed order, an S3Prefix's objects, and fails the job (never half-writing an
object) as the TransformOutput page describes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from review_scorer.model.scorer import FastTextScorer
from review_scorer.transform.records import source_record
from review_scorer_local.sagemaker_endpoint import SageMakerEmulator
from review_scorer_local.sagemaker_faults import INPUT_FAULT
from review_scorer_local.transform_inputs import TransformJobError
from review_scorer_local.transform_runner import (
    failed_objects_reason,
    output_key,
    run_job,
    score_file,
)

BUCKET = "review-scorer-local"
SECRET = "my neighbour's private words"  # review text that must reach no failure reason


class FakeS3:
    """The four S3 calls the runner makes, over a dict, with S3's error codes."""

    def __init__(self, objects: dict[tuple[str, str], bytes] | None = None) -> None:
        self.objects = dict(objects or {})
        self.puts: list[str] = []

    def put(self, key: str, data: bytes, bucket: str = BUCKET) -> None:
        self.objects[(bucket, key)] = data

    def _get(self, bucket: str, key: str, operation: str) -> bytes:
        if (bucket, key) not in self.objects:
            code = "404" if operation == "HeadObject" else "NoSuchKey"
            raise ClientError({"Error": {"Code": code, "Message": "Not Found"}}, operation)
        return self.objects[(bucket, key)]

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803 (boto3's names)
        data = self._get(Bucket, Key, "GetObject")
        return {"Body": StreamingBody(io.BytesIO(data), len(data))}

    def head_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # noqa: N803
        return {"ContentLength": len(self._get(Bucket, Key, "HeadObject"))}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:  # noqa: N803
        self.objects[(Bucket, Key)] = Body
        self.puts.append(Key)
        return {}

    def get_paginator(self, name: str) -> Any:
        assert name == "list_objects_v2"
        objects = self.objects

        class Paginator:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:  # noqa: N803
                keys = sorted(k for b, k in objects if b == Bucket and k.startswith(Prefix))
                return [{"Contents": [{"Key": k} for k in keys]}] if keys else [{}]

        return Paginator()

    def outputs(self, prefix: str = "predictions/") -> list[str]:
        return sorted(k for b, k in self.objects if b == BUCKET and k.startswith(prefix))


def job(s3_uri: str, data_type: str = "ManifestFile") -> dict[str, Any]:
    return {
        "TransformJobName": "rs-job",
        "MaxPayloadInMB": 6,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": s3_uri}}
        },
        "TransformOutput": {"S3OutputPath": f"s3://{BUCKET}/predictions/rs-job/"},
    }


MANIFEST_URI = f"s3://{BUCKET}/staging/rs-job/input.manifest"


def shard(*reviews: str) -> bytes:
    return b"".join(source_record(review) for review in reviews)


GOOD = {
    "rs-b-part-00000.jsonl": shard("lovely soft dress", "torn seam"),
    "rs-a-part-00000.jsonl": shard("awful fit"),
    "deeper/rs-c-part-00001.jsonl": shard("perfect", "cheap", "warm"),
}


def with_manifest(paths: list[str], objects: dict[str, bytes]) -> FakeS3:
    s3 = FakeS3()
    for path, data in objects.items():
        s3.put(f"staging/shards/{path}", data)
    s3.put("staging/rs-job/input.manifest", manifest(paths))
    return s3


def manifest(paths: list[str], prefix: str = f"s3://{BUCKET}/staging/shards/") -> bytes:
    return json.dumps([{"prefix": prefix}, *paths]).encode()


@pytest.fixture(scope="module")
def scorer(demo_model: Path) -> FastTextScorer:
    return FastTextScorer.from_archive(demo_model, where="demo")


def test_a_manifests_objects_are_scored_in_order_into_their_documented_keys(
    scorer: FastTextScorer,
) -> None:
    # Given a manifest listing three shards, not in key order, one in a subfolder
    paths = list(GOOD)
    s3 = with_manifest(paths, GOOD)
    scored: list[str] = []
    # When the job runs
    run_job(job(MANIFEST_URI), scorer, s3, on_file=scored.append)
    # Then each object was scored in the manifest's order ...
    assert scored == [f"staging/shards/{path}" for path in paths]
    # ... into <output path>/<relative path>.out, subfolder kept, one answer per record
    assert s3.puts == [f"predictions/rs-job/{path}.out" for path in paths]
    for path, data in GOOD.items():
        out = s3.objects[(BUCKET, f"predictions/rs-job/{path}.out")]
        assert out == score_file(iter(data.splitlines(keepends=True)), scorer, 6 * 1024 * 1024)
        assert len(out.splitlines()) == len(data.splitlines())


def test_only_the_objects_listed_are_read(scorer: FastTextScorer) -> None:
    s3 = with_manifest(["rs-a-part-00000.jsonl"], GOOD)
    run_job(job(MANIFEST_URI), scorer, s3)
    assert s3.outputs() == ["predictions/rs-job/rs-a-part-00000.jsonl.out"]


def test_an_s3_prefix_input_still_reads_every_object_under_it(scorer: FastTextScorer) -> None:
    s3 = FakeS3()
    for name, data in GOOD.items():
        s3.put(f"staging/rs-job/{name.replace('/', '-')}", data)
    run_job(job(f"s3://{BUCKET}/staging/rs-job/", "S3Prefix"), scorer, s3)
    assert s3.outputs() == sorted(
        f"predictions/rs-job/{name.replace('/', '-')}.out" for name in GOOD
    )


@pytest.mark.parametrize(
    "bad_record",
    [
        b"{" + SECRET.encode() + b"\n",  # not JSON
        source_record(SECRET)[:-2] + b', "k": 0}\n',  # k must be at least 1
        b'{"text": "' + SECRET.encode() + b'"}\n',  # no source
    ],
)
def test_an_object_with_a_bad_record_gets_no_output_and_the_others_do(
    scorer: FastTextScorer, bad_record: bytes
) -> None:
    # Given a manifest whose second object holds a bad record after good ones
    objects = {**GOOD, "rs-a-part-00000.jsonl": shard("fits well", SECRET) + bad_record}
    s3 = with_manifest(list(objects), objects)
    scored: list[str] = []
    # When the job runs, it fails ...
    with pytest.raises(TransformJobError) as failure:
        run_job(job(MANIFEST_URI), scorer, s3, on_file=scored.append)
    # ... after writing the other objects' outputs, and none of the failed one's
    assert s3.outputs() == sorted(
        f"predictions/rs-job/{path}.out" for path in objects if path != "rs-a-part-00000.jsonl"
    )
    assert scored == [
        "staging/shards/rs-b-part-00000.jsonl",
        "staging/shards/deeper/rs-c-part-00001.jsonl",
    ]
    # with a reason that counts and names the failed object, and quotes none of its text
    reason = str(failure.value)
    assert reason.startswith("ClientError: 1 of 3 input objects failed and got no output: ")
    assert "rs-a-part-00000.jsonl (bad record in mini-batch 1: " in reason
    assert "neighbour" not in reason and "fits" not in reason


def test_a_record_over_the_payload_limit_fails_its_object_only(scorer: FastTextScorer) -> None:
    objects = {**GOOD, "rs-b-part-00000.jsonl": shard("x " * (1024 * 1024))}
    s3 = with_manifest(list(objects), objects)
    limited = {**job(MANIFEST_URI), "MaxPayloadInMB": 1}
    with pytest.raises(TransformJobError, match=r"1 of 3 .* rs-b-part-00000.jsonl \(a record"):
        run_job(limited, scorer, s3)
    assert len(s3.outputs()) == 2


def test_an_injected_fault_fails_the_one_object_it_names(scorer: FastTextScorer) -> None:
    # Given the local SageMaker told to fail the input whose key contains rs-b
    sagemaker = SageMakerEmulator("us-east-1")
    sagemaker.fail_inputs("rs-b-")
    s3 = with_manifest(list(GOOD), GOOD)
    # When the job runs with the emulator's faults
    with pytest.raises(TransformJobError) as failure:
        run_job(job(MANIFEST_URI), scorer, s3, input_fault=sagemaker.input_fault)
    # Then rs-b's shard has no output, the others have theirs, and the reason says why
    assert s3.outputs() == [
        "predictions/rs-job/deeper/rs-c-part-00001.jsonl.out",
        "predictions/rs-job/rs-a-part-00000.jsonl.out",
    ]
    assert str(failure.value) == (
        "ClientError: 1 of 3 input objects failed and got no output: "
        f"rs-b-part-00000.jsonl ({INPUT_FAULT})"
    )


def test_input_faults_match_by_part_of_the_key() -> None:
    sagemaker = SageMakerEmulator("us-east-1")
    assert sagemaker.input_fault("staging/shards/rs-b-part-00000.jsonl") is None
    sagemaker.fail_inputs("rs-b", "AlgorithmError: out of memory")
    assert sagemaker.input_fault("staging/shards/rs-b-part-00000.jsonl") == (
        "AlgorithmError: out of memory"
    )
    assert sagemaker.input_fault("staging/shards/rs-a-part-00000.jsonl") is None
    with pytest.raises(ValueError, match="every input"):
        sagemaker.fail_inputs("")


def test_a_failure_reason_names_at_most_three_objects() -> None:
    failed = [
        (f"f{i}.jsonl", "ClientError: bad record in mini-batch 1: ValueError") for i in range(5)
    ]
    assert failed_objects_reason(failed, 9) == (
        "ClientError: 5 of 9 input objects failed and got no output: "
        "f0.jsonl (bad record in mini-batch 1: ValueError), "
        "f1.jsonl (bad record in mini-batch 1: ValueError), "
        "f2.jsonl (bad record in mini-batch 1: ValueError) and 2 more"
    )


@pytest.mark.parametrize(
    ("prefix", "relative", "expected"),
    [
        ("predictions/j/", "a.jsonl", "predictions/j/a.jsonl.out"),
        ("predictions/j", "a.jsonl", "predictions/j/a.jsonl.out"),
        ("predictions/j/", "sub/a.jsonl", "predictions/j/sub/a.jsonl.out"),
        ("", "a.jsonl", "a.jsonl.out"),
    ],
)
def test_output_keys_keep_the_relative_path_below_the_output_path(
    prefix: str, relative: str, expected: str
) -> None:
    assert output_key(prefix, relative) == expected


OBJECT = "rs-a-part-00000.jsonl"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"not json", "is not JSON"),
        (b'{"prefix": "s3://b/p/"}', "is not a JSON list"),
        (b"[]", "is not a JSON list"),
        (json.dumps(["s3://b/p/", OBJECT]).encode(), "is not a JSON list"),
        (json.dumps([{"Prefix": "s3://b/p/"}, OBJECT]).encode(), "holds no prefix"),
        (json.dumps([{"prefix": 3}, OBJECT]).encode(), "holds no prefix"),
        (manifest([OBJECT], prefix="staging/shards/"), "holds no prefix that is an S3 URI"),
        (manifest([OBJECT], prefix="https://b.s3.amazonaws.com/p/"), "holds no prefix"),
        (manifest([OBJECT], prefix="s3:///staging/shards/"), "names no bucket"),
        (manifest([]), "lists no input objects"),
        (json.dumps([{"prefix": f"s3://{BUCKET}/staging/shards/"}, 7]).encode(), "entry 1 "),
        (manifest([OBJECT, ""]), "entry 2 of the input manifest .* is not a relative path"),
        (
            manifest([OBJECT, "rs-missing-part-00000.jsonl"]),
            "staging/shards/rs-missing-part-00000.jsonl, listed in the input manifest "
            ".* cannot be read: 404",
        ),
        (
            manifest([OBJECT], prefix="s3://another-bucket/staging/shards/"),
            "s3://another-bucket/staging/shards/rs-a-part-00000.jsonl, listed .* cannot be read",
        ),
    ],
)
def test_a_manifest_that_cannot_be_used_fails_the_job_before_any_output(
    scorer: FastTextScorer, document: bytes, message: str
) -> None:
    s3 = with_manifest([], GOOD)
    s3.put("staging/rs-job/input.manifest", document)
    with pytest.raises(TransformJobError, match=f"^ClientError: .*{message}"):
        run_job(job(MANIFEST_URI), scorer, s3)
    assert s3.puts == []


def test_a_missing_manifest_fails_the_job(scorer: FastTextScorer) -> None:
    with pytest.raises(TransformJobError, match=f"cannot read the input manifest {MANIFEST_URI}"):
        run_job(job(MANIFEST_URI), scorer, FakeS3())


def test_an_input_type_batch_transform_does_not_take_fails_the_job(
    scorer: FastTextScorer,
) -> None:
    with pytest.raises(TransformJobError, match="S3DataType AugmentedManifestFile"):
        run_job(job(MANIFEST_URI, "AugmentedManifestFile"), scorer, FakeS3())
