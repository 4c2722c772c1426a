"""StartScoring's work: read the upload as a stream, tokenize, stage shards, write the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from review_scorer.aws import s3
from review_scorer.csv_input import open_text, read_table
from review_scorer.errors import NoRowsError
from review_scorer.layout import manifest_key, shard_key
from review_scorer.manifest import Manifest, RowCounts, ShardEntry, SourceObject
from review_scorer.row_marks import EMPTY, RowMarker
from review_scorer.settings import Settings
from review_scorer.staging import ShardWriter
from review_scorer.tokenizer import TOKENIZER_VERSION, tokenize

JSON_LINES = "application/jsonlines"


@dataclass(frozen=True)
class StagingTarget:
    job: str
    name: str
    source: SourceObject


def stage(target: StagingTarget, settings: Settings) -> Manifest:
    """Stream the upload into staging shards; memory is bounded by one shard."""
    source, job = target.source, target.job
    body = s3.open_version(source.bucket, source.key, source.version_id, source.etag)
    table = read_table(open_text(body), settings.review_column)

    def flush(index: int, data: bytes) -> None:
        s3.put_bytes(source.bucket, shard_key(job, index), data, JSON_LINES)

    writer = ShardWriter(settings.shard_max_bytes, flush)
    counts, marker = RowCounts(), RowMarker()
    for row in table.rows:
        counts.total += 1
        tokens = tokenize(row.fields[table.review_index])
        if tokens:
            writer.add(tokens)
            counts.scored += 1
        else:
            marker.mark(row.ordinal, EMPTY)
            counts.empty += 1
    shards = writer.close()
    if counts.total == 0:
        raise NoRowsError("the file has a header but no rows to score", line=2)
    manifest = Manifest(
        job=job,
        name=target.name,
        source=source,
        model=settings.model_name,
        review_column=settings.review_column,
        columns=table.columns,
        rows=counts,
        shards=[ShardEntry(key=shard_key(job, s.index), rows=s.rows) for s in shards],
        marks=marker.ranges,
        tokenizer_version=TOKENIZER_VERSION,
        created_at=datetime.now(UTC).isoformat(),
    )
    s3.put_json(source.bucket, manifest_key(job), manifest.model_dump_json())
    return manifest
