"""The events the functions receive, as pydantic models: S3 notifications (StartScoring), the
SageMaker transform job state change (PublishResults) and the schedule (Sweep).

Shapes: S3 event message structure
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
SageMaker events (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html#eventbridge-transform),
scheduled events (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).

Our own models rather than Powertools' parser models (``S3Model``, ``EventBridgeModel``): those
require every field AWS documents (``eventTime``, ``userIdentity``, ``requestParameters``,
``responseElements``, ``eTag`` ...), so one missing field the app never reads would fail the
whole batch of records. Only the fields this app uses are declared; everything else is ignored,
so a new or absent field never breaks a function. Every file in ``events/`` is parsed by these
models in the contract tests.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field

_LENIENT = ConfigDict(extra="ignore", populate_by_name=True)


class S3Bucket(BaseModel):
    model_config = _LENIENT
    name: str


class S3Object(BaseModel):
    model_config = _LENIENT
    key: str
    size: int | None = None
    e_tag: str = Field(default="", alias="eTag")
    version_id: str | None = Field(default=None, alias="versionId")
    sequencer: str | None = None

    @property
    def decoded_key(self) -> str:
        """Keys arrive URL-encoded, a space as ``+``: the real key."""
        return unquote_plus(self.key)


class S3Entity(BaseModel):
    model_config = _LENIENT
    bucket: S3Bucket
    object: S3Object


class S3EventRecord(BaseModel):
    model_config = _LENIENT
    event_source: str = Field(alias="eventSource")
    event_name: str = Field(alias="eventName")
    event_time: datetime | None = Field(default=None, alias="eventTime")
    s3: S3Entity


class S3Event(BaseModel):
    model_config = _LENIENT
    records: list[S3EventRecord] = Field(alias="Records")


class SqsAttributes(BaseModel):
    model_config = _LENIENT
    approximate_receive_count: int = Field(default=1, alias="ApproximateReceiveCount")
    sent_timestamp: int | None = Field(default=None, alias="SentTimestamp")


class SqsRecord(BaseModel):
    """One message of the intake queue; its body is what S3 sent (an S3 event, or the
    ``s3:TestEvent`` S3 sends once when the notification is configured)."""

    model_config = _LENIENT
    message_id: str = Field(alias="messageId")
    receipt_handle: str = Field(alias="receiptHandle")
    body: str
    attributes: SqsAttributes = Field(default_factory=SqsAttributes)
    event_source_arn: str = Field(default="", alias="eventSourceARN")

    def uploads(self) -> list[S3EventRecord]:
        """The S3 records in the body; none for S3's test event."""
        document = json.loads(self.body)
        if "Records" not in document:
            return []
        return S3Event.model_validate(document).records


class SqsEvent(BaseModel):
    """What the event source mapping hands StartScoring: a batch of intake messages
    (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""

    model_config = _LENIENT
    records: list[SqsRecord] = Field(alias="Records")


class TransformJobDetail(BaseModel):
    model_config = _LENIENT
    transform_job_name: str = Field(alias="TransformJobName")
    transform_job_status: str = Field(alias="TransformJobStatus")


class TransformJobStateChange(BaseModel):
    """EventBridge "SageMaker Transform Job State Change". Only the name is trusted."""

    model_config = _LENIENT
    source: str
    detail_type: str = Field(alias="detail-type")
    detail: TransformJobDetail


class ScheduledEvent(BaseModel):
    """EventBridge's "Scheduled Event": the sweep's clock."""

    model_config = _LENIENT
    source: Literal["aws.events"]
    detail_type: Literal["Scheduled Event"] = Field(alias="detail-type")


def parse_s3_event(event: dict[str, Any]) -> S3Event:
    return S3Event.model_validate(event)


def parse_intake_event(event: dict[str, Any]) -> SqsEvent:
    return SqsEvent.model_validate(event)


def parse_transform_event(event: dict[str, Any]) -> TransformJobStateChange:
    return TransformJobStateChange.model_validate(event)


def parse_scheduled_event(event: dict[str, Any]) -> ScheduledEvent:
    return ScheduledEvent.model_validate(event)
