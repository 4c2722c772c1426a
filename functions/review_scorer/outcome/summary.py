"""The one document that tells the outcome of a file.

The same JSON is written to ``results/<name>.summary.json`` (or beside a quarantined file), sent
as the SNS message and printed by ``review-scorer local run --json``. It never holds review text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from review_scorer.bucket_keys import s3_uri
from review_scorer.errors import ScoringError
from review_scorer.results.labeled_file import LabeledFile
from review_scorer.transform.manifest import Manifest, RowCounts
from review_scorer.upload.csv_reader import delimiter_name

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
NO_ERROR_CODE = "NONE"


class ErrorInfo(BaseModel):
    code: str
    message: str
    line: int | None = None


class Summary(BaseModel):
    """The outcome document of one file (the data contract in the README)."""

    # ``location`` is the JSON field "summary" (kept for subscribers), named for what it holds.
    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    status: Literal["SUCCEEDED", "FAILED"]
    source: str
    results: str | None = None
    rejects: str | None = None
    rows: RowCounts = Field(default_factory=RowCounts)
    labels: dict[str, int] = Field(default_factory=dict)
    job: str | None = None
    scored_by: Literal["lambda", "batch-transform"] | None = Field(
        default=None, description="where the rows were scored: StartScoring itself or a job"
    )
    model: str | None = None
    review_threshold: float | None = Field(
        default=None, description="rows below it are needs_review (rows.needs_review); null: none"
    )
    error: ErrorInfo | None = None
    delimiter: str | None = Field(default=None, description="as detected: comma, semicolon, tab")
    review_column: str | None = Field(default=None, description="the header's name for it")
    location: str | None = Field(
        default=None, alias="summary", description="where this document is stored"
    )
    finished_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())

    def to_json(self) -> str:
        return self.model_dump_json()

    def message_attributes(self) -> dict[str, dict[str, str]]:
        """SNS message attributes for subscription filter policies."""
        code = self.error.code if self.error else NO_ERROR_CODE
        return {
            "status": {"DataType": "String", "StringValue": self.status},
            "error_code": {"DataType": "String", "StringValue": code},
        }

    def subject(self) -> str:
        """An SNS subject: ASCII, one line, under 100 characters."""
        name = self.source.rsplit("/", 1)[-1]
        ascii_name = "".join(c if 32 <= ord(c) < 127 else "?" for c in name)
        return f"review-scorer {self.status}: {ascii_name}"[:99]


def failed(source: str, error: ScoringError, **fields: object) -> Summary:
    """A FAILED summary carrying the error's code, message and line."""
    info = ErrorInfo(code=error.code, message=error.message, line=error.line)
    return Summary.model_validate({"status": FAILED, "source": source, "error": info, **fields})


def succeeded(manifest: Manifest, written: LabeledFile, job: str | None) -> Summary:
    """The SUCCEEDED summary of a file whose labeled CSV was written: by a transform job
    (``job``), or by StartScoring itself (``job`` None)."""
    bucket = manifest.source.bucket
    return Summary(
        status=SUCCEEDED,
        source=manifest.source.uri,
        results=s3_uri(bucket, written.key),
        rejects=s3_uri(bucket, written.rejects_key) if written.rejects_key else None,
        delimiter=delimiter_name(manifest.delimiter),
        review_column=manifest.review_column,
        rows=manifest.rows.model_copy(update={"needs_review": written.needs_review}),
        labels=dict(written.labels.most_common()),
        job=job,
        scored_by="batch-transform" if job else "lambda",
        model=manifest.model,
        review_threshold=manifest.review_threshold,
    )
