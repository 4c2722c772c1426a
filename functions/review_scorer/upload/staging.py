"""StartScoring's work: read the upload as a stream, tokenize, stage shards, write the manifest.

A file with few rows to score may be held back instead (``hold_rows``): then nothing is
written but its rejects, and the caller scores the held rows itself or :func:`spill` stages them.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from review_scorer import bucket_keys
from review_scorer.aws import s3
from review_scorer.errors import FileTooLargeError, NoRowsError, TooManyRejectsError
from review_scorer.settings import Settings
from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer.transform.manifest import Manifest, RowCounts, ShardEntry, SourceObject
from review_scorer.transform.records import JSON_LINES, Shard, ShardWriter
from review_scorer.upload.csv_reader import Row, read_table
from review_scorer.upload.row_scan import scan_rows

TIME_RESERVE_MS = 60_000  # kept for writing the manifest and starting the job


@dataclass(frozen=True)
class StagingTarget:
    job: str
    name: str
    source: SourceObject


@dataclass(frozen=True)
class Staged:
    """A read file: its manifest (written, with its shards) or, when it had at most
    ``hold_rows`` rows to score, the manifest without shards (not written) and ``held``: every
    scored row's tokens joined by spaces, in order."""

    manifest: Manifest
    held: list[str] | None = None


class _Rejects:
    """Line and reason of each rejected row, spooled to a temporary file (never review text)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: Row | None = None
        self.count = 0
        self._out: IO[str] | None = None

    def add(self, row: Row) -> None:
        if self._out is None:
            self._out = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._out)
            self._writer.writerow(["line", "reason"])
            self.first = row
        self._writer.writerow([row.line, row.problem])
        self.count += 1

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def stage(
    target: StagingTarget,
    settings: Settings,
    remaining_ms: Callable[[], int] = lambda: 900_000,
    hold_rows: int = 0,
    review_threshold: float | None = None,
) -> Staged:
    """Stream the upload into staging shards; memory is bounded by one shard (and the held
    rows: at most ``hold_rows``). ``review_threshold``, decided by the caller, goes into the
    manifest: the join marks rows with it whenever and wherever it runs.

    Raises an InputError when the file cannot be scored, including when the function would
    run out of time: a file is refused whole, never cut off half-way.
    """
    source, job = target.source, target.job
    body = s3.open_version(source.bucket, source.key, source.version_id, source.etag)
    table = read_table(body, settings.review_column, settings.limits)

    def time_guard(row: Row) -> None:
        if remaining_ms() < TIME_RESERVE_MS:
            raise _out_of_time(row, source)

    writer = _writer(job, source.bucket, settings, hold_rows)
    with tempfile.TemporaryDirectory(prefix="review-scorer-") as tmp:
        rejects = _Rejects(Path(tmp) / "rejects.csv")
        scan = scan_rows(table, writer.add, rejects.add, time_guard)
        shards = writer.close()
        rejects.close()
        counts = scan.counts
        _check_counts(counts, rejects, settings.max_reject_share)
        rejects_key = None
        if rejects.count:
            rejects_key = bucket_keys.staged_rejects_key(job)
            s3.upload_file(rejects.path, source.bucket, rejects_key, "text/csv; charset=utf-8")
    manifest = Manifest(
        job=job,
        name=target.name,
        source=source,
        model=settings.model_name,
        review_column=table.review_column,
        delimiter=table.delimiter,
        max_field_chars=settings.max_field_chars,
        columns=table.columns,
        rows=counts,
        shards=_entries(job, shards),
        marks=scan.marks,
        rejects_key=rejects_key,
        top_k=settings.top_k,
        label_names=settings.label_map,
        review_threshold=review_threshold,
        tokenizer_version=TOKENIZER_VERSION,
        created_at=datetime.now(UTC).isoformat(),
    )
    if writer.held is not None:
        return Staged(manifest, writer.held)
    s3.put_json(source.bucket, bucket_keys.manifest_key(job), manifest.model_dump_json())
    return Staged(manifest)


def spill(staged: Staged, settings: Settings) -> Manifest:
    """Stage held rows after all (the function could not score them): shards and manifest
    exactly as :func:`stage` without holding would have written them."""
    manifest = staged.manifest
    if staged.held is None:
        return manifest
    writer = _writer(manifest.job, manifest.source.bucket, settings, hold_rows=0)
    for source in staged.held:
        writer.add([source])
    spilled = manifest.model_copy(update={"shards": _entries(manifest.job, writer.close())})
    s3.put_json(
        manifest.source.bucket, bucket_keys.manifest_key(manifest.job), spilled.model_dump_json()
    )
    return spilled


def _writer(job: str, bucket: str, settings: Settings, hold_rows: int) -> ShardWriter:
    def flush(index: int, data: IO[bytes]) -> None:
        s3.put_bytes(bucket, bucket_keys.shard_key(job, index), data, JSON_LINES)

    return ShardWriter(settings.shard_max_bytes, flush, k=settings.top_k, hold_rows=hold_rows)


def _entries(job: str, shards: list[Shard]) -> list[ShardEntry]:
    return [
        ShardEntry(key=bucket_keys.shard_key(job, s.index), rows=s.rows, size=s.size)
        for s in shards
    ]


def _check_counts(counts: RowCounts, rejects: _Rejects, max_share: float) -> None:
    if counts.total == 0:
        raise NoRowsError("the file has a header but no rows to score", line=2)
    if rejects.first and counts.rejected > max_share * counts.total:
        raise TooManyRejectsError(
            f"{counts.rejected:,} of {counts.total:,} rows are malformed, more than the "
            f"{max_share:.0%} allowed; the first, on line {rejects.first.line}: "
            f"{rejects.first.problem}",
            line=rejects.first.line,
        )


def _out_of_time(row: Row, source: SourceObject) -> FileTooLargeError:
    size = f"{source.size:,} bytes" if source.size is not None else "this file"
    return FileTooLargeError(
        f"StartScoring would run out of time before the end of the file ({size}; reached "
        f"line {row.line}); split it into smaller files",
        line=row.line,
    )
