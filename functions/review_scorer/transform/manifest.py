"""The manifest: what StartScoring sent to the model, for PublishResults to join back.

Stored as ``staging/<job>/manifest.json`` (outside the transform job's input prefix). It pins the
exact object version that was read, so the join reads the same bytes even if the key is
overwritten meanwhile.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from review_scorer.transform.row_status import MarkedRange

MANIFEST_SCHEMA_VERSION = 1


class RowCounts(BaseModel):
    """Data rows of a file by what happened to them: ``total`` = scored + empty + rejected.
    ``needs_review``: the scored rows marked for review (null when no threshold applied)."""

    total: int = 0
    scored: int = 0
    empty: int = 0
    rejected: int = 0
    needs_review: int | None = None


class SourceObject(BaseModel):
    """The uploaded object, pinned to one version (or ETag, where the bucket is unversioned)."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str
    size: int | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class ShardEntry(BaseModel):
    key: str
    rows: int = Field(ge=1)
    size: int = Field(default=0, ge=0, description="bytes")


class Manifest(BaseModel):
    schema_version: int = MANIFEST_SCHEMA_VERSION
    job: str = Field(
        description="the file's id: its staging folder, and the name of its transform job "
        "when it has one of its own (a shared job has another name)"
    )
    name: str = Field(description="upload path below incoming/ without .csv")
    source: SourceObject
    model: str
    review_column: str = Field(description="the header's name of the review column")
    delimiter: str = ","
    max_field_chars: int = Field(description="the limit staging applied; the join applies it too")
    columns: list[str]
    rows: RowCounts
    shards: list[ShardEntry]
    marks: list[MarkedRange] = Field(description="rows not sent to the model, as ranges")
    rejects_key: str | None = Field(default=None, description="line and reason of rejected rows")
    top_k: int = Field(default=1, description="labels asked per row; the result has that many")
    label_names: dict[str, str] = Field(default_factory=dict, description="model label -> name")
    review_threshold: float | None = Field(
        default=None,
        gt=0.0,
        le=1.0,
        description="rows whose printed top probability is below it are marked needs_review; "
        "decided once, when the file was staged (a model replaced later changes nothing)",
    )
    tokenizer_version: str
    created_at: str

    @property
    def staged_bytes(self) -> int:
        return sum(shard.size for shard in self.shards)
