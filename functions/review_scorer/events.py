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
    s3: S3Entity


class S3Event(BaseModel):
    model_config = _LENIENT
    records: list[S3EventRecord] = Field(alias="Records")


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


def parse_transform_event(event: dict[str, Any]) -> TransformJobStateChange:
    return TransformJobStateChange.model_validate(event)


def parse_scheduled_event(event: dict[str, Any]) -> ScheduledEvent:
    return ScheduledEvent.model_validate(event)
