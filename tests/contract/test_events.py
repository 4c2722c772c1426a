"""Every sample event in events/ parses with the models its handler uses, and means what its
name says. A file added to events/ without a case here fails the first test."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from review_scorer import bucket_keys
from review_scorer.events import (
    S3Event,
    SqsEvent,
    parse_intake_event,
    parse_s3_event,
    parse_scheduled_event,
    parse_transform_event,
)
from review_scorer.handlers import publish_results, start_scoring, sweep
from review_scorer.transform import jobs
from review_scorer_local.stack_config import StackConfig

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLE_FILES = sorted(EVENTS.glob("*.json"))
STACK_BUCKET = StackConfig().bucket  # the bucket of the local stack the tests run against
JOB_PREFIX = "rs"  # JobNamePrefix's default in template.yaml

# Every sample and the kind of event it is: which handler receives it. The S3 samples are the
# bodies of intake messages (S3 -> SQS -> StartScoring); "intake" is what StartScoring receives.
EXPECTED = {
    "sqs_intake_batch.json": "intake",
    "s3_object_created.json": "s3",
    "s3_multi_record.json": "s3",
    "s3_folder_object.json": "s3",
    "s3_gzip_upload.json": "s3",
    "s3_other_bucket.json": "s3",
    "transform_job_completed.json": "transform",
    "transform_job_failed.json": "transform",
    "transform_job_stopped.json": "transform",
    "scheduled_sweep.json": "schedule",
}
# The handler of each kind and the name of the parser it calls.
HANDLERS: dict[str, tuple[ModuleType, str]] = {
    "intake": (start_scoring, "parse_intake_event"),
    "transform": (publish_results, "parse_transform_event"),
    "schedule": (sweep, "parse_scheduled_event"),
}


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def kind_of(event: dict[str, Any]) -> str:
    """Dispatch by shape, as the triggers do: SQS and S3 send Records (SQS records carry a
    body), EventBridge source/detail-type."""
    if "Records" in event:
        return "intake" if "body" in event["Records"][0] else "s3"
    shape = (event.get("source"), event.get("detail-type"))
    if shape == (jobs.TRANSFORM_EVENT_SOURCE, jobs.TRANSFORM_EVENT_DETAIL_TYPE):
        return "transform"
    if shape == ("aws.events", "Scheduled Event"):
        return "schedule"
    raise AssertionError(f"no handler receives an event of shape {shape}")


def handler_parser(kind: str) -> Callable[[dict[str, Any]], BaseModel]:
    """The parser the handler of ``kind`` calls; for an S3 body, the one the intake message's
    body goes through (``SqsRecord.uploads``)."""
    if kind == "s3":
        return parse_s3_event
    module, name = HANDLERS[kind]
    return getattr(module, name)  # type: ignore[no-any-return]


def s3_sample(name: str) -> S3Event:
    return parse_s3_event(load(name))


def matches(pattern: Any, value: Any) -> bool:
    """EventBridge matching for the operators transform_event_pattern uses (values, prefix)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            key in value and matches(sub, value[key]) for key, sub in pattern.items()
        )
    for option in pattern:
        if isinstance(option, dict):
            (operator, operand), *others = option.items()
            assert operator == "prefix" and not others, f"unsupported operator {option}"
            if isinstance(value, str) and value.startswith(operand):
                return True
        elif option == value:
            return True
    return False


# --- every file: known, parsed by its handler's models, by no other --------------------------


def test_events_folder_holds_exactly_the_samples_these_tests_know() -> None:
    assert [p.name for p in SAMPLE_FILES] == sorted(EXPECTED)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_is_of_its_expected_kind_and_parses_with_its_handler_models(path: Path) -> None:
    # Given a sample event
    event = json.loads(path.read_text(encoding="utf-8"))
    # When its shape picks the handler, and that handler's parser reads it
    kind = kind_of(event)
    parsed = handler_parser(kind)(event)
    # Then it is the kind its name says, and the parsed model holds what the handler reads
    assert kind == EXPECTED[path.name]
    if kind == "intake":
        assert isinstance(parsed, SqsEvent) and parsed.records
        assert all(r.event_source_arn.startswith("arn:aws:sqs:") for r in parsed.records)
    elif kind == "s3":
        assert isinstance(parsed, S3Event) and parsed.records
        assert all(r.event_source == "aws:s3" for r in parsed.records)
        assert all(r.event_name.startswith("ObjectCreated:") for r in parsed.records)
    elif kind == "transform":
        assert parse_transform_event(event).detail.transform_job_name
    else:
        assert parse_scheduled_event(event).detail_type == "Scheduled Event"


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_is_refused_by_the_parsers_of_the_other_handlers(path: Path) -> None:
    # Given a sample event of one kind
    event = json.loads(path.read_text(encoding="utf-8"))
    kind = EXPECTED[path.name]
    # When each other handler's parser reads it, Then it refuses it (an S3 body is refused by
    # all three: S3 never invokes a function of this app directly)
    for other in sorted(set(HANDLERS) - {kind}):
        with pytest.raises(ValidationError):
            handler_parser(other)(event)


def test_every_s3_sample_is_of_the_documented_event_version() -> None:
    for name, kind in EXPECTED.items():
        if kind == "s3":
            records = load(name)["Records"]
            assert {r["eventVersion"] for r in records} == {"2.1"}, name
            assert {r["s3"]["s3SchemaVersion"] for r in records} == {"1.0"}, name


# --- the intake batch: S3 events inside SQS messages ----------------------------------------------


def test_intake_sample_carries_an_upload_and_s3s_test_event() -> None:
    records = parse_intake_event(load("sqs_intake_batch.json")).records
    # the first message's body is the single-upload sample, read through the same model
    assert records[0].uploads() == parse_s3_event(load("s3_object_created.json")).records
    assert records[0].attributes.approximate_receive_count == 1
    # the second is the s3:TestEvent S3 sends when the notification is configured: no upload
    assert records[1].uploads() == []


@pytest.mark.parametrize("name", [n for n, k in EXPECTED.items() if k == "s3"])
def test_every_s3_sample_reaches_start_scoring_inside_an_intake_message(name: str) -> None:
    # Given the intake sample with this S3 event as its message body
    batch = load("sqs_intake_batch.json")
    batch["Records"] = batch["Records"][:1]
    batch["Records"][0]["body"] = json.dumps(load(name))
    # Then StartScoring's parser gives the same uploads as the S3 body parsed alone
    (record,) = parse_intake_event(batch).records
    assert record.uploads() == parse_s3_event(load(name)).records


# --- S3 samples: what each one means ------------------------------------------------------------


def test_single_upload_key_is_url_encoded_and_decodes_to_an_upload_of_the_stack() -> None:
    (record,) = s3_sample("s3_object_created.json").records
    assert record.s3.object.key == "incoming/customer+reviews+2026-11.csv"
    assert record.s3.object.decoded_key == "incoming/customer reviews 2026-11.csv"
    assert bucket_keys.is_upload(record.s3.object.decoded_key)
    assert record.s3.bucket.name == STACK_BUCKET
    assert record.s3.object.version_id  # the stack's bucket is versioned


def test_multi_record_sample_holds_distinct_uploads_each_decoded_on_its_own() -> None:
    records = s3_sample("s3_multi_record.json").records
    keys = [r.s3.object.decoded_key for r in records]
    assert len(records) >= 2
    assert keys == [
        "incoming/customer reviews 2026-11.csv",
        "incoming/returns & exchanges 2026-11.csv",  # "%26" and "+" decoded
    ]
    assert all(bucket_keys.is_upload(k) for k in keys)
    assert {r.s3.bucket.name for r in records} == {STACK_BUCKET}
    assert len({r.s3.object.version_id for r in records}) == len(records)


def test_folder_object_is_zero_bytes_under_incoming_and_not_an_upload() -> None:
    (record,) = s3_sample("s3_folder_object.json").records
    key = record.s3.object.decoded_key
    assert key == "incoming/november exports/"
    assert record.s3.object.size == 0
    assert record.s3.bucket.name == STACK_BUCKET
    assert not bucket_keys.is_upload(key)


def test_gzip_sample_decodes_to_an_upload_ending_csv_gz() -> None:
    (record,) = s3_sample("s3_gzip_upload.json").records
    key = record.s3.object.decoded_key
    assert key == "incoming/customer reviews 2026-11.csv.gz"
    assert key.endswith(bucket_keys.GZIP_UPLOAD_SUFFIX)
    assert bucket_keys.is_upload(key)
    assert bucket_keys.upload_name(key) == "customer reviews 2026-11"


def test_other_bucket_sample_is_an_upload_key_in_a_bucket_not_the_stacks() -> None:
    (record,) = s3_sample("s3_other_bucket.json").records
    assert record.s3.bucket.name != STACK_BUCKET
    # only the bucket tells it apart: its key would be an upload of the stack
    assert bucket_keys.is_upload(record.s3.object.decoded_key)
    assert record.s3.object.version_id is None  # unversioned: S3 sends no versionId


# --- transform job samples ------------------------------------------------------------------------

TRANSFORM_STATUS = {
    "transform_job_completed.json": "Completed",
    "transform_job_failed.json": "Failed",
    "transform_job_stopped.json": "Stopped",
}


def test_transform_samples_cover_exactly_the_terminal_job_states() -> None:
    assert set(TRANSFORM_STATUS) == {n for n, k in EXPECTED.items() if k == "transform"}
    assert sorted(TRANSFORM_STATUS.values()) == sorted(jobs.TERMINAL_JOB_STATES)


@pytest.mark.parametrize(("name", "status"), TRANSFORM_STATUS.items())
def test_transform_sample_has_its_status_and_matches_the_rule_of_the_stack(
    name: str, status: str
) -> None:
    # Given a transform job sample
    event = load(name)
    detail = parse_transform_event(event).detail
    pattern = jobs.transform_event_pattern(JOB_PREFIX)
    # Then its status is its name's, it names one of this stack's jobs, and the rule matches it
    assert detail.transform_job_status == status
    assert detail.transform_job_name.startswith(f"{JOB_PREFIX}-")
    assert jobs.is_sagemaker_name(detail.transform_job_name)
    arn = event["detail"]["TransformJobArn"]
    assert arn.endswith(f":transform-job/{detail.transform_job_name}")
    assert event["resources"] == [arn]
    assert matches(pattern, event)
    # and the same event in a non-terminal state or of another stack's job would not be matched
    assert not matches(
        pattern, {**event, "detail": {**event["detail"], "TransformJobStatus": "InProgress"}}
    )
    other = {**event["detail"], "TransformJobName": "ors-" + detail.transform_job_name}
    assert not matches(pattern, {**event, "detail": other})


def test_only_the_failed_sample_carries_a_failure_reason() -> None:
    reasons = {name: load(name)["detail"].get("FailureReason") for name in TRANSFORM_STATUS}
    assert reasons.pop("transform_job_failed.json")
    assert set(reasons.values()) == {None}


# --- the schedule ---------------------------------------------------------------------------------


def test_scheduled_sample_is_the_sweep_rules_scheduled_event() -> None:
    event = load("scheduled_sweep.json")
    parsed = parse_scheduled_event(event)
    assert (parsed.source, parsed.detail_type) == ("aws.events", "Scheduled Event")
    assert event["detail"] == {}
    (rule,) = event["resources"]
    assert rule.endswith(f":rule/{JOB_PREFIX}-review-scorer-sweep")  # the template's rule name
