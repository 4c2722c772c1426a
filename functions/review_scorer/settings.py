"""The functions' configuration: the one place that reads ``os.environ``.

The template sets these variables (see ``template.yaml`` Globals); local mode sets the same ones.
Read per invocation, which costs microseconds and lets local mode change them between runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from review_scorer.errors import ConfigurationError
from review_scorer.results.needs_review import (
    MODEL,
    ReviewThresholdChoice,
    parse_review_threshold,
)
from review_scorer.transform.jobs import JOB_PREFIX_MAX, JOB_PREFIX_PATTERN
from review_scorer.upload.csv_reader import Limits

MIB = 1024 * 1024


class Settings(BaseModel):
    """Environment of every function. Field names map to upper-case environment variables."""

    model_config = ConfigDict(frozen=True)

    bucket_name: str = Field(min_length=3)
    topic_arn: str = Field(min_length=1)
    model_name: str = Field(default="", description="SageMaker model for transform jobs")
    job_name_prefix: str = Field(
        default="rs", max_length=JOB_PREFIX_MAX, pattern=JOB_PREFIX_PATTERN
    )
    instance_type: str = "ml.m5.large"
    instance_count: int = Field(default=1, ge=1, le=100)
    review_column: str = Field(default="review_body", min_length=1)
    shard_max_bytes: int = Field(default=32 * MIB, ge=1024, description="staging shard size")
    max_payload_mb: int = Field(default=6, ge=1, le=100)
    max_upload_bytes: int = Field(
        default=2 * 1024**3, ge=1, description="larger uploads are refused from the event's size"
    )
    max_uncompressed_bytes: int = Field(default=2 * 1024**3, ge=1, description="after gunzip")
    max_field_chars: int = Field(default=100_000, ge=100, description="longer fields: row rejected")
    job_retry_seconds: float = Field(
        default=1.0, ge=0.0, le=60.0, description="first backoff when SageMaker is busy"
    )
    transform_kms_key_arn: str = Field(default="", description="encrypts the job's output")
    transform_volume_kms_key_arn: str = Field(default="", description="encrypts its ML volume")
    top_k: int = Field(default=1, ge=1, le=10, description="labels asked of the model per row")
    label_names: str = Field(
        default="", description="optional mapping of model labels to names: -1=negative,0=neutral"
    )
    review_threshold: str = Field(
        default=MODEL,
        description="rows whose printed top probability is below it are marked needs_review: "
        "model (the threshold the model recorded, if any), off, or a decimal in (0, 1]",
    )
    max_reject_share: float = Field(
        default=0.05, ge=0.0, le=1.0, description="more rejected rows than this: file refused"
    )
    # --- waiting for transform capacity (the intake queue is the waiting room) ---------------
    intake_queue_url: str = Field(default="", description="where uploads wait; the sweep re-sends")
    transform_instance_limit: int = Field(
        default=4, ge=1, le=100, description="transform instances this stack may use at once"
    )
    max_wait_seconds: int = Field(
        default=6 * 3600, ge=60, le=16 * 3600, description="longest wait for capacity"
    )
    wait_backoff_seconds: int = Field(
        default=60, ge=0, le=900, description="first wait before a file tries again"
    )
    reconcile_after_seconds: int = Field(
        default=3600, ge=0, description="an upload with no outcome and no job this old is re-sent"
    )
    # --- the fast path and batched jobs ------------------------------------------------------
    fast_path_max_rows: int = Field(
        default=10_000, ge=0, le=1_000_000, description="rows scored in StartScoring; 0: off"
    )
    fast_path_max_model_bytes: int = Field(
        default=512 * MIB, ge=0, description="a larger model.bin never takes the fast path"
    )
    job_max_files: int = Field(
        default=10, ge=1, le=1000, description="files sharing one transform job; 1: no batching"
    )
    job_max_bytes: int = Field(
        default=256 * MIB, ge=1024, description="staged bytes of one shared transform job"
    )
    # --- the scoring API (docs/API.md) ------------------------------------------------------
    upload_url_seconds: int = Field(
        default=300, ge=30, le=3600, description="life of the API's presigned upload POST"
    )
    data_key_arn: str = Field(
        default="", description="KMS key the API's uploads are encrypted with; empty: none"
    )

    @field_validator("label_names")
    @classmethod
    def _mapping_parses(cls, value: str) -> str:
        parse_label_names(value)
        return value

    @field_validator("review_threshold")
    @classmethod
    def _threshold_parses(cls, value: str) -> str:
        parse_review_threshold(value)  # REVIEW_THRESHOLD_PATTERN, the template's too
        return value

    @property
    def review_threshold_choice(self) -> ReviewThresholdChoice:
        """``review_threshold`` parsed: a number, ``"model"``, or None for ``off``."""
        return parse_review_threshold(self.review_threshold)

    @property
    def label_map(self) -> dict[str, str]:
        return parse_label_names(self.label_names)

    @property
    def limits(self) -> Limits:
        return Limits(
            max_field_chars=self.max_field_chars,
            max_uncompressed_bytes=self.max_uncompressed_bytes,
        )


def parse_label_names(text: str) -> dict[str, str]:
    """``"-1=negative, 0=neutral"`` -> ``{"-1": "negative", "0": "neutral"}``."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        label, sep, name = (x.strip() for x in item.partition("="))
        if not sep or not label or not name:
            raise ValueError(f"{item!r} is not label=name")
        if label in mapping:
            raise ValueError(f"label {label!r} is named twice")
        mapping[label] = name
    return mapping


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from the environment, naming every bad or missing variable."""
    env = os.environ if environ is None else environ
    values = {name: env[name.upper()] for name in Settings.model_fields if name.upper() in env}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid function configuration: {problems}") from exc
