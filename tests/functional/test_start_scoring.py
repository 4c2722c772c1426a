"""StartScoring, driven by the S3 sample events in events/ against the local stack."""

from __future__ import annotations

import gzip
import json

from review_scorer import bucket_keys
from review_scorer.tokenizer import tokenize
from review_scorer_local.stack import LocalModeStack
from tests.functional.helpers import (
    keys,
    read_object,
    run_start_scoring,
    sns_messages,
    upload_for_event,
)

CSV = b'id,review_body,stars\n1,"I love it, really",5\n2,,3\n3,Poor quality and cheap.,1\n'


def only_job(stack: LocalModeStack) -> dict:  # type: ignore[type-arg]
    assert stack.sagemaker is not None
    assert len(stack.sagemaker.jobs) == 1
    return next(iter(stack.sagemaker.jobs.values()))


def test_upload_with_a_space_in_its_key_is_staged_and_its_job_started(
    stack: LocalModeStack,
) -> None:
    # Given the sample event for "incoming/customer+reviews+2026-11.csv" and that object in S3
    event = upload_for_event(stack, CSV)
    # When StartScoring runs
    result = run_start_scoring(stack, event)
    # Then one transform job reads the staged shards of exactly the non-empty reviews
    assert result == ["started"]
    job = only_job(stack)
    name = job["TransformJobName"]
    assert job["TransformJobStatus"] == "InProgress"
    shard = read_object(stack, bucket_keys.shard_key(name, 0)).decode()
    assert [json.loads(line) for line in shard.splitlines()] == [
        {"source": " ".join(tokenize("I love it, really"))},
        {"source": " ".join(tokenize("Poor quality and cheap."))},
    ]
    manifest = json.loads(read_object(stack, f"staging/{name}/manifest.json"))
    assert manifest["source"]["key"] == "incoming/customer reviews 2026-11.csv"
    assert manifest["rows"] == {
        "total": 3,
        "scored": 2,
        "empty": 1,
        "rejected": 0,
        "needs_review": None,
    }
    assert manifest["columns"] == ["id", "review_body", "stars"]
    assert sns_messages(stack) == []  # nothing to announce until the job ends


def test_duplicate_s3_event_starts_one_job(stack: LocalModeStack) -> None:
    event = upload_for_event(stack, CSV)
    first = run_start_scoring(stack, event)
    second = run_start_scoring(stack, event)
    assert first == ["started"]
    assert second == ["duplicate"]
    only_job(stack)


def test_new_upload_to_the_same_key_starts_a_new_job(stack: LocalModeStack) -> None:
    run_start_scoring(stack, upload_for_event(stack, CSV))
    run_start_scoring(stack, upload_for_event(stack, CSV + b"4,Great fit,5\n"))
    assert stack.sagemaker is not None
    assert len(stack.sagemaker.jobs) == 2


def test_missing_review_column_is_quarantined_and_announced(stack: LocalModeStack) -> None:
    # Given a file without the review column
    event = upload_for_event(stack, b"id,text\n1,hello\n")
    # When StartScoring runs
    result = run_start_scoring(stack, event)
    # Then no job, the file and an error.json in quarantine, and one FAILED message
    assert result == ["refused"]
    assert stack.sagemaker is not None
    assert stack.sagemaker.jobs == {}
    assert sorted(keys(stack, "quarantine/")) == [
        "quarantine/customer reviews 2026-11/customer reviews 2026-11.csv",
        "quarantine/customer reviews 2026-11/error.json",
    ]
    (message,) = sns_messages(stack)
    assert message["status"] == "FAILED"
    assert message["attributes"] == {"status": "FAILED", "error_code": "MISSING_COLUMN"}
    assert message["error"]["line"] == 1
    assert "'id', 'text'" in message["error"]["message"]
    assert message["job"] is None and message["results"] is None
    error_json = json.loads(read_object(stack, "quarantine/customer reviews 2026-11/error.json"))
    assert error_json["error"] == message["error"]


def test_refused_file_redelivered_is_announced_once(stack: LocalModeStack) -> None:
    event = upload_for_event(stack, b"id,text\n1,hello\n")
    run_start_scoring(stack, event)
    assert run_start_scoring(stack, event) == ["duplicate"]
    assert len(sns_messages(stack)) == 1


def test_file_with_only_empty_reviews_completes_without_a_job(stack: LocalModeStack) -> None:
    event = upload_for_event(stack, b"id,review_body\n1,\n2,   \n")
    assert run_start_scoring(stack, event) == ["completed"]
    (message,) = sns_messages(stack)
    assert message["status"] == "SUCCEEDED"
    assert message["rows"] == {
        "total": 2,
        "scored": 0,
        "empty": 2,
        "rejected": 0,
        "needs_review": None,
    }
    assert message["job"] is None
    labeled = read_object(stack, "results/customer reviews 2026-11.labeled.csv").decode()
    assert labeled.splitlines() == [
        "id,review_body,predicted_label,probability,scoring_status",
        "1,,,,empty",
        "2,   ,,,empty",
    ]


def manifest_sources(stack: LocalModeStack) -> list[list[str]]:
    """The source key of every file of every job, in job order (a job's ``files.json``)."""
    assert stack.sagemaker is not None
    found = []
    for name in stack.sagemaker.jobs:
        files = json.loads(read_object(stack, bucket_keys.job_files_key(name)))["files"]
        found.append(
            [
                json.loads(read_object(stack, bucket_keys.manifest_key(f)))["source"]["key"]
                for f in files
            ]
        )
    return found


def assert_nothing_done(stack: LocalModeStack) -> None:
    """No job, no message, nothing staged or refused."""
    assert stack.sagemaker is not None
    assert stack.sagemaker.jobs == {}
    assert sns_messages(stack) == []
    assert keys(stack, "staging/") == [] and keys(stack, "quarantine/") == []


def test_console_folder_object_is_ignored_without_a_job_or_a_message(
    stack: LocalModeStack,
) -> None:
    # Given the console's zero-byte "incoming/november exports/" folder object and its event
    event = upload_for_event(stack, b"", "s3_folder_object.json")
    # When StartScoring runs, Then it is not taken for an (empty) upload
    assert run_start_scoring(stack, event) == ["ignored"]
    assert_nothing_done(stack)


def test_upload_to_another_bucket_is_ignored_without_a_job_or_a_message(
    stack: LocalModeStack,
) -> None:
    # Given a good CSV at incoming/ in another bucket whose notifications reach the function
    stack.client("s3").create_bucket(Bucket="partner-reviews-dropbox")
    event = upload_for_event(stack, CSV, "s3_other_bucket.json")
    # When StartScoring runs, Then only this stack's bucket is scored
    assert run_start_scoring(stack, event) == ["ignored"]
    assert_nothing_done(stack)


def test_every_record_of_a_multi_record_event_gets_its_own_outcome_in_a_shared_job(
    stack: LocalModeStack,
) -> None:
    # Given one S3 event carrying two uploads (the second key URL-encoded with "%26")
    event = upload_for_event(stack, CSV, "s3_multi_record.json")
    # When StartScoring runs once
    result = run_start_scoring(stack, event)
    # Then each record got an outcome, in order, each file staged from its own key, and the two
    # arriving together share one job
    assert result == ["started", "started"]
    assert manifest_sources(stack) == [
        ["incoming/customer reviews 2026-11.csv", "incoming/returns & exchanges 2026-11.csv"]
    ]
    # and the same event again is a duplicate of both, record by record
    assert run_start_scoring(stack, event) == ["duplicate", "duplicate"]


def test_csv_gz_upload_is_decompressed_staged_and_its_job_started(stack: LocalModeStack) -> None:
    # Given the sample event for "incoming/customer reviews 2026-11.csv.gz" and that gzip object
    event = upload_for_event(stack, gzip.compress(CSV), "s3_gzip_upload.json")
    # When StartScoring runs
    result = run_start_scoring(stack, event)
    # Then the job reads the decompressed reviews, and the result keeps the name without .csv.gz
    assert result == ["started"]
    name = only_job(stack)["TransformJobName"]
    shard = read_object(stack, bucket_keys.shard_key(name, 0)).decode()
    assert [json.loads(line)["source"] for line in shard.splitlines()] == [
        " ".join(tokenize("I love it, really")),
        " ".join(tokenize("Poor quality and cheap.")),
    ]
    manifest = json.loads(read_object(stack, f"staging/{name}/manifest.json"))
    assert manifest["source"]["key"] == "incoming/customer reviews 2026-11.csv.gz"
    assert manifest["rows"] == {
        "total": 3,
        "scored": 2,
        "empty": 1,
        "rejected": 0,
        "needs_review": None,
    }
    assert sns_messages(stack) == []
