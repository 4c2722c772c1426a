"""Running one transform job the way SageMaker Batch Transform runs a BlazingText job.

Each object under the input prefix is one file; with SplitType Line every line is a record, and
with BatchStrategy MultiRecord records are sent in mini-batches of at most MaxPayloadInMB
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html); a record
over that limit is an error
(https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-errors.html). The answers are
assembled line by line into ``<output path>/<file name>.out``; a file with a bad record gets no
output at all, and the job fails
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html: the output
keeps the input's path below the prefix; the app's shards sit directly under it, so the name
alone is used). Each record is a JSON line ``{"source": ...}`` and each answer a JSON line with
``label`` and ``prob`` lists, BlazingText's JSON Lines format for batch transform
(https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from json.scanner import make_scanner
from typing import Any

from review_scorer.model.scorer import BadRecordError, FastTextScorer, request_line

MIB = 1024 * 1024
_JSON_SPACE = " \t\n\r"
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_BACKSLASH = ord("\\")  # an int: `in` then looks for one byte, with no buffer to set up
_LABELS: dict[str, str] = {}  # a model's few labels, JSON-encoded once
_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # as json.dumps writes them


class TransformJobError(Exception):
    """Ends the job as Failed; the message becomes its FailureReason."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Location:
        if not uri.startswith("s3://"):
            raise TransformJobError(f"ClientError: {uri} is not an S3 URI")
        bucket, _, key = uri[len("s3://") :].partition("/")
        return cls(bucket, key)


def mini_batches(lines: Iterator[bytes], max_payload_bytes: int) -> Iterator[list[bytes]]:
    """Group records into requests no larger than the payload limit."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if len(line) > max_payload_bytes:
            raise TransformJobError(
                "ClientError: a record is larger than MaxPayloadInMB; raise it or shorten the input"
            )
        if batch and size + len(line) > max_payload_bytes:
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield batch


def score_file(data: Iterator[bytes], scorer: FastTextScorer, max_payload_bytes: int) -> bytes:
    """The ``.out`` content for one input file, or :class:`TransformJobError` for a bad record."""
    out: list[str] = []
    predict = scorer.predict_line
    for number, batch in enumerate(mini_batches(data, max_payload_bytes), start=1):
        try:  # record by record, in order: the first bad one names the error
            out += [answer_line(predict(*_request(line))) for line in batch]
        except (ValueError, BadRecordError) as exc:
            raise TransformJobError(
                f"ClientError: bad record in mini-batch {number}: {type(exc).__name__}"
            ) from None
    return "".join(out).encode("utf-8")


def _request(line: bytes) -> tuple[str, int]:
    """``request_line(json.loads(line))``. An all-ASCII line with no backslash holds no escape,
    and JSON holds no control character unescaped: then the only whitespace ``source`` can hold
    is the space, which spares request_line a pass over the text."""
    return request_line(_record(line), spaces_only=line.isascii() and _BACKSLASH not in line)


def _record(line: bytes) -> Any:
    """``json.loads(line)``: the JSON scanner called directly (json.loads's own wrapper costs as
    much as the scan) for a line that starts with ``{`` and holds one value; any other line, or
    one the scan refuses, goes to json.loads, which returns the same or raises its own error."""
    if line.startswith(b"{"):
        try:
            text = line.decode("utf-8")
            record, end = _scan(text, 0)
        except (ValueError, StopIteration):
            return json.loads(line)
        if end == len(text) or not text[end:].strip(_JSON_SPACE):
            return record
    return json.loads(line)


def answer_line(pairs: list[tuple[float, str]]) -> str:
    """``json.dumps({"label": [...], "prob": [...]}) + "\\n"`` for fastText's ``(prob, label)``
    pairs, character for character, without building the dict: labels through json's own string
    encoder (ASCII only), probabilities as json writes a float (``repr``, or NaN/Infinity)."""
    if len(pairs) == 1:  # k = 1, the usual request, in one step
        ((prob, label),) = pairs
        text = float.__repr__(prob)
        encoded = _LABELS.get(label) or _label(label)
        return f'{{"label": [{encoded}], "prob": [{_NOT_FINITE.get(text, text)}]}}\n'
    labels = ", ".join([_label(label) for _, label in pairs])
    probs = ", ".join([_float(prob) for prob, _ in pairs])
    return '{"label": [' + labels + '], "prob": [' + probs + "]}\n"


def _label(label: str) -> str:
    encoded = _LABELS.get(label)
    if encoded is None:
        encoded = _LABELS[label] = encode_basestring_ascii(label)
    return encoded


def _float(prob: float) -> str:
    text = float.__repr__(prob)
    return _NOT_FINITE.get(text, text)


def run_job(
    job: dict[str, Any],
    scorer: FastTextScorer,
    s3: Any,
    on_file: Callable[[str], None] | None = None,
) -> None:
    """Score every input file of ``job`` (a DescribeTransformJob shape) and write the outputs."""
    source = S3Location.parse(job["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"])
    output = S3Location.parse(job["TransformOutput"]["S3OutputPath"])
    max_payload = int(job.get("MaxPayloadInMB", 6)) * MIB
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=source.key)
    keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    if not keys:
        raise TransformJobError(
            f"ClientError: no input found under s3://{source.bucket}/{source.key}"
        )
    for key in keys:
        body = s3.get_object(Bucket=source.bucket, Key=key)["Body"]
        lines = (line for line in body.iter_lines(keepends=True) if line.strip())
        result = score_file(lines, scorer, max_payload)
        out_key = posixpath.join(output.key, posixpath.basename(key) + ".out")
        s3.put_object(Bucket=output.bucket, Key=out_key, Body=result)
        if on_file:
            on_file(key)
