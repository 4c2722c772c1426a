"""Every sample event in events/ parses with the models the handlers use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from review_scorer import bucket_keys
from review_scorer.events import (
    parse_s3_event,
    parse_scheduled_event,
    parse_transform_event,
)
from review_scorer.transform import jobs

EVENTS = Path(__file__).resolve().parents[2] / "events"
ALL_EVENTS = sorted(EVENTS.glob("*.json"))


def test_there_are_sample_events() -> None:
    assert {p.name for p in ALL_EVENTS} >= {
        "s3_object_created.json",
        "transform_job_completed.json",
        "transform_job_failed.json",
    }


@pytest.mark.parametrize("path", ALL_EVENTS, ids=lambda p: p.name)
def test_every_sample_event_parses_with_the_handler_models(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    if "Records" in event:
        parsed = parse_s3_event(event)
        assert parsed.records
    elif event.get("source") == "aws.events":
        assert parse_scheduled_event(event).detail_type == "Scheduled Event"
    else:
        detail = parse_transform_event(event).detail
        assert detail.transform_job_status in jobs.TERMINAL_JOB_STATES


def test_s3_sample_key_is_url_encoded_and_decodes_to_an_upload() -> None:
    event = parse_s3_event(json.loads((EVENTS / "s3_object_created.json").read_text()))
    obj = event.records[0].s3.object
    assert "+" in obj.key
    assert obj.decoded_key == "incoming/customer reviews 2026-11.csv"
    assert bucket_keys.is_upload(obj.decoded_key)


@pytest.mark.parametrize("name", ["transform_job_completed.json", "transform_job_failed.json"])
def test_transform_samples_match_the_rule_of_the_stack(name: str) -> None:
    event = json.loads((EVENTS / name).read_text())
    pattern = jobs.transform_event_pattern("rs")
    assert event["source"] in pattern["source"]  # type: ignore[operator]
    assert event["detail-type"] in pattern["detail-type"]  # type: ignore[operator]
    assert event["detail"]["TransformJobName"].startswith("rs-")


def test_failed_sample_carries_a_failure_reason() -> None:
    event = json.loads((EVENTS / "transform_job_failed.json").read_text())
    assert event["detail"]["FailureReason"]
