"""The labeled CSV: predictions joined back to the original rows, written whole or not at all.

PublishResults writes it when a job ends; StartScoring writes it directly for a file with no row
to send to the model (every review empty), so both paths give the same file.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from review_scorer.aws import s3, s3_stream
from review_scorer.bucket_keys import labeled_key, prediction_key, rejects_key
from review_scorer.errors import (
    MissingOutputError,
    PredictionCountMismatchError,
    SourceChangedError,
)
from review_scorer.results.join import write_labeled_csv
from review_scorer.results.result_columns import JoinTally, ResultColumns
from review_scorer.transform.manifest import Manifest
from review_scorer.transform.predictions import Prediction, parse_lines
from review_scorer.upload.csv_reader import Limits, read_table


def outputs_complete(bucket: str, manifest: Manifest, job: str) -> bool:
    """True when ``job`` wrote an output for every shard of the file (a failed job still
    uploads the outputs of the objects it processed whole)."""
    return all(s3.exists(bucket, prediction_key(job, shard.key)) for shard in manifest.shards)


def read_predictions(bucket: str, manifest: Manifest, job: str) -> Iterator[Prediction]:
    """Every prediction ``job`` made for the file, shard by shard in staging order, each shard's
    count checked."""
    for shard in manifest.shards:
        key = prediction_key(job, shard.key)
        if not s3.exists(bucket, key):
            raise MissingOutputError(f"the transform job wrote no output {key} for {shard.key}")
        lines = io.TextIOWrapper(s3.open_object(bucket, key), encoding="utf-8", newline="\n")
        count = yield from parse_lines(lines, where=key)
        if count != shard.rows:
            raise PredictionCountMismatchError(
                f"{key} holds {count} predictions for the {shard.rows} rows of {shard.key}"
            )


@dataclass(frozen=True)
class LabeledFile:
    """What was written: the labeled CSV's key, the rejects CSV's key (if any), label counts,
    and the rows marked for review (None when no threshold applied)."""

    key: str
    rejects_key: str | None
    labels: Counter[str]
    needs_review: int | None = None


def write_labeled(manifest: Manifest, predictions: Iterator[Prediction]) -> LabeledFile:
    """Write ``results/<name>.labeled.csv`` whole, or raise and write nothing."""
    source = manifest.source
    body = s3.open_version(source.bucket, source.key, source.version_id, source.etag)
    limits = Limits(max_field_chars=manifest.max_field_chars, max_uncompressed_bytes=2**62)
    table = read_table(body, manifest.review_column, limits)
    tally = JoinTally()
    key = labeled_key(manifest.name)
    # Streamed to S3 as it is written, part by part: no copy in /tmp (512 MB by default, less
    # than the labeled file of a large upload). Any error below aborts the upload and no object
    # appears; the object appears whole when the block ends (s3_stream.StreamedObject).
    with s3_stream.StreamedObject(source.bucket, key, "text/csv; charset=utf-8") as upload:
        out = io.TextIOWrapper(upload, encoding="utf-8", newline="")
        layout = ResultColumns(
            top_k=manifest.top_k,
            names=manifest.label_names,
            review_threshold=manifest.review_threshold,
        )
        write_labeled_csv(out, table, manifest.marks, predictions, tally, layout)
        out.flush()
        out.detach()  # the upload, not the wrapper, decides when it ends
        if tally.rows != manifest.rows.total:
            raise SourceChangedError(
                f"the file now has {tally.rows} rows but {manifest.rows.total} were staged"
            )
    rejects = None
    if manifest.rejects_key:
        rejects = rejects_key(manifest.name)
        s3.copy_version(source.bucket, manifest.rejects_key, None, rejects)
    marked = None if manifest.review_threshold is None else tally.needs_review
    return LabeledFile(key=key, rejects_key=rejects, labels=tally.labels, needs_review=marked)
