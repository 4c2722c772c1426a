"""The local SageMaker runs a ManifestFile job the app starts as Batch Transform would: every
listed shard scored into ``<output path>/<shard>.out``, and an input object made to fail
(:meth:`SageMakerEmulator.fail_inputs`) costs only its own output, then fails the job."""

from __future__ import annotations

import json
from typing import Any

from review_scorer import bucket_keys
from review_scorer.transform.records import source_record
from review_scorer.transform.request import input_manifest, transform_request
from review_scorer_local.flow import LocalFlow
from review_scorer_local.sagemaker_faults import INPUT_FAULT
from review_scorer_local.stack import LocalModeStack

SECRET = "the words of a review nobody else may read"


def start_job(stack: LocalModeStack, job: str, shards: dict[str, list[str]]) -> list[str]:
    """Stage ``shards`` (file id -> its reviews, one shard each), write the job's manifest and
    start the job as StartScoring does; the shard keys, in the manifest's order."""
    s3, bucket = stack.client("s3"), stack.config.bucket
    keys = []
    for file, reviews in shards.items():
        key = bucket_keys.shard_key(file, 0)
        body = b"".join(source_record(review) for review in reviews)
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        keys.append(key)
    document = json.dumps(input_manifest(bucket, keys)).encode()
    s3.put_object(Bucket=bucket, Key=bucket_keys.job_input_manifest_key(job), Body=document)
    request = transform_request(job, bucket, len(keys), stack.config.settings)
    stack.client("sagemaker").create_transform_job(**request)
    return keys


def output(stack: LocalModeStack, job: str, key: str) -> list[dict[str, Any]] | None:
    s3 = stack.client("s3")
    try:
        body = s3.get_object(Bucket=stack.config.bucket, Key=bucket_keys.prediction_key(job, key))[
            "Body"
        ]
    except s3.exceptions.NoSuchKey:
        return None
    return [json.loads(line) for line in body.read().splitlines()]


SHARDS = {
    "rs-file-c": ["lovely soft dress", "torn seam", SECRET],
    "rs-file-a": ["awful fit", SECRET],
    "rs-file-b": ["perfect", "cheap", "warm", "small"],
}


def test_a_manifest_job_scores_every_listed_shard_and_completes(stack: LocalModeStack) -> None:
    keys = start_job(stack, "rs-shared-ok", SHARDS)
    assert LocalFlow(stack).run_pending_jobs() == ["rs-shared-ok"]
    described = stack.client("sagemaker").describe_transform_job(TransformJobName="rs-shared-ok")
    assert described["TransformJobStatus"] == "Completed"
    assert described["TransformInput"]["DataSource"]["S3DataSource"]["S3DataType"] == "ManifestFile"
    for key, reviews in zip(keys, SHARDS.values(), strict=True):
        answers = output(stack, "rs-shared-ok", key)
        assert answers is not None and len(answers) == len(reviews)
        assert all(a["label"][0].startswith("__label__") for a in answers)


def test_a_shard_made_to_fail_gets_no_output_the_others_do_and_the_job_fails(
    stack: LocalModeStack,
) -> None:
    # Given the local SageMaker told to fail rs-file-a's shard, in a job shared by three files
    assert stack.sagemaker is not None
    stack.sagemaker.fail_inputs("rs-file-a-")
    keys = start_job(stack, "rs-shared-one-fails", SHARDS)
    flow = LocalFlow(stack)
    # When the job runs
    flow.run_pending_jobs()
    # Then the two other files' shards have their outputs and the failed one has none
    assert [output(stack, "rs-shared-one-fails", key) is not None for key in keys] == [
        True,
        False,
        True,
    ]
    # and the job failed, its reason naming how many objects failed and which, no review text
    described = stack.client("sagemaker").describe_transform_job(
        TransformJobName="rs-shared-one-fails"
    )
    assert described["TransformJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason == (
        "ClientError: 1 of 3 input objects failed and got no output: "
        f"rs-file-a-part-00000.jsonl ({INPUT_FAULT})"
    )
    assert "review" not in reason and "words" not in reason


def test_a_bad_record_fails_its_shard_only_and_quotes_nothing(stack: LocalModeStack) -> None:
    # Given a shard whose second record is not a request (its text is a review's)
    s3, bucket = stack.client("s3"), stack.config.bucket
    keys = start_job(stack, "rs-shared-bad-record", SHARDS)
    s3.put_object(
        Bucket=bucket,
        Key=keys[2],
        Body=source_record("perfect") + b'{"text": "' + SECRET.encode() + b'"}\n',
    )
    LocalFlow(stack).run_pending_jobs()
    assert [output(stack, "rs-shared-bad-record", key) is not None for key in keys] == [
        True,
        True,
        False,
    ]
    job = stack.client("sagemaker").describe_transform_job(TransformJobName="rs-shared-bad-record")
    assert job["TransformJobStatus"] == "Failed"
    assert job["FailureReason"].startswith("ClientError: 1 of 3 input objects failed")
    assert (
        "rs-file-b-part-00000.jsonl (bad record in mini-batch 1: BadRecordError)"
        in (job["FailureReason"])
    )
    assert SECRET not in job["FailureReason"] and "nobody" not in job["FailureReason"]
