"""Running one transform job the way SageMaker Batch Transform runs a BlazingText job.

The job's input objects are those under its S3Uri (``S3Prefix``) or those its manifest lists
(``ManifestFile``: a JSON list ``[{"prefix": "s3://bucket/some/prefix/"}, "relative/path", ...]``,
each object being the prefix followed by a relative path, in the listed order; every object
listed must be readable,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html).
Each object is one file; with SplitType Line every line is a record, and with BatchStrategy
MultiRecord records are sent in mini-batches of at most MaxPayloadInMB
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html); a record
over that limit is an error
(https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform-errors.html). The answers are
assembled line by line into one ``.out`` object per input object "in a corresponding subfolder in
the location in the output prefix": ``<output path>/<relative path>.out`` for a manifest's object
(for an ``S3Prefix`` input the app's shards sit directly under the prefix, so the name alone is
used). Batch Transform "doesn't upload partially processed objects": an object with a bad record
gets no output at all, the other objects are still scored and their outputs written, and then the
job fails (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html).
Each record is a JSON line ``{"source": ...}`` and each answer a JSON line with ``label`` and
``prob`` lists, BlazingText's JSON Lines format for batch transform
(https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html).

No failure reason quotes a record: it names objects (their relative paths), mini-batch numbers
and exception types only.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from json.scanner import make_scanner
from typing import Any

from botocore.exceptions import ClientError

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


@dataclass(frozen=True)
class InputObject:
    """One input object of a job, and its path below the input's prefix (``relative``): its
    output is ``<output path>/<relative>.out``."""

    bucket: str
    key: str
    relative: str


InputFault = Callable[[str], str | None]
"""Asked with each input object's key once it is scored: a message makes that object fail (as a
bad record would) with this message; ``None`` lets it through. Local mode's fault injection
(:meth:`review_scorer_local.sagemaker_endpoint.SageMakerEmulator.fail_inputs`)."""


def run_job(
    job: dict[str, Any],
    scorer: FastTextScorer,
    s3: Any,
    on_file: Callable[[str], None] | None = None,
    input_fault: InputFault | None = None,
) -> None:
    """Score every input object of ``job`` (a DescribeTransformJob shape) and write the outputs.

    An object that fails (a bad record, a record over the payload limit, an injected fault) gets
    no output; the others are still scored and written, and then :class:`TransformJobError`
    fails the job, naming how many objects failed and which (never their records)."""
    inputs = job_inputs(job, s3)
    output = S3Location.parse(job["TransformOutput"]["S3OutputPath"])
    max_payload = int(job.get("MaxPayloadInMB", 6)) * MIB
    failed: list[tuple[str, str]] = []
    for item in inputs:
        body = s3.get_object(Bucket=item.bucket, Key=item.key)["Body"]
        lines = (line for line in body.iter_lines(keepends=True) if line.strip())
        try:
            result = score_file(lines, scorer, max_payload)
        except TransformJobError as error:
            failed.append((item.relative, str(error)))
            continue
        finally:
            body.close()  # read only in part if a record failed
        fault = input_fault(item.key) if input_fault else None
        if fault is not None:
            failed.append((item.relative, fault))
            continue
        s3.put_object(Bucket=output.bucket, Key=output_key(output.key, item.relative), Body=result)
        if on_file:
            on_file(item.key)
    if failed:
        raise TransformJobError(failed_objects_reason(failed, len(inputs)))


def output_key(output_prefix: str, relative: str) -> str:
    """``<output path>/<relative path>.out``: the input's path below its prefix, kept below the
    output path (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html)."""
    if output_prefix and not output_prefix.endswith("/"):
        output_prefix += "/"
    return f"{output_prefix}{relative}.out"


FAILED_NAMED = 3  # failed objects named in the reason; the count says how many more


def failed_objects_reason(failed: list[tuple[str, str]], total: int) -> str:
    """The job's FailureReason when some input objects failed: how many, and the first few by
    their relative path with what went wrong (messages that quote no record)."""
    named = ", ".join(
        f"{relative} ({reason.removeprefix('ClientError: ')})"
        for relative, reason in failed[:FAILED_NAMED]
    )
    more = f" and {len(failed) - FAILED_NAMED} more" if len(failed) > FAILED_NAMED else ""
    return (
        f"ClientError: {len(failed)} of {total} input objects failed and got no output: "
        f"{named}{more}"
    )


def job_inputs(job: dict[str, Any], s3: Any) -> list[InputObject]:
    """The job's input objects, in the order they are scored; :class:`TransformJobError` if
    there are none or the manifest cannot be used."""
    source = job["TransformInput"]["DataSource"]["S3DataSource"]
    data_type = source.get("S3DataType", "S3Prefix")
    where = S3Location.parse(source["S3Uri"])
    if data_type == "S3Prefix":
        return prefix_inputs(where, s3)
    if data_type == "ManifestFile":
        return manifest_inputs(where, s3)
    raise TransformJobError(
        f"ClientError: S3DataType {data_type} is not supported by this batch transform"
    )


def prefix_inputs(source: S3Location, s3: Any) -> list[InputObject]:
    """``S3Prefix``: every object whose key starts with the prefix, in key order."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=source.bucket, Prefix=source.key)
    keys = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    if not keys:
        raise TransformJobError(
            f"ClientError: no input found under s3://{source.bucket}/{source.key}"
        )
    return [InputObject(source.bucket, key, posixpath.basename(key)) for key in keys]


def manifest_inputs(manifest: S3Location, s3: Any) -> list[InputObject]:
    """``ManifestFile``: the objects the manifest lists, each the prefix followed by a relative
    path, in the listed order; each must exist and be readable
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html)."""
    uri = f"s3://{manifest.bucket}/{manifest.key}"
    try:
        raw = s3.get_object(Bucket=manifest.bucket, Key=manifest.key)["Body"].read()
    except ClientError as error:
        raise TransformJobError(
            f"ClientError: cannot read the input manifest {uri}: {_error_code(error)}"
        ) from None
    try:
        entries = json.loads(raw)
    except ValueError:
        raise TransformJobError(f"ClientError: the input manifest {uri} is not JSON") from None
    if not isinstance(entries, list) or not entries or not isinstance(entries[0], dict):
        raise TransformJobError(
            f"ClientError: the input manifest {uri} is not a JSON list that starts with an "
            "object holding the prefix"
        )
    prefix = entries[0].get("prefix")
    if not isinstance(prefix, str) or not prefix.startswith("s3://"):
        raise TransformJobError(
            f"ClientError: the first element of the input manifest {uri} holds no prefix "
            "that is an S3 URI"
        )
    base = S3Location.parse(prefix)
    if not base.bucket:
        raise TransformJobError(
            f"ClientError: the prefix in the input manifest {uri} names no bucket"
        )
    paths = entries[1:]
    if not paths:
        raise TransformJobError(f"ClientError: the input manifest {uri} lists no input objects")
    inputs: list[InputObject] = []
    for number, relative in enumerate(paths, start=1):
        if not isinstance(relative, str) or not relative:
            raise TransformJobError(
                f"ClientError: entry {number} of the input manifest {uri} is not a relative path"
            )
        inputs.append(InputObject(base.bucket, base.key + relative, relative))
    for item in inputs:  # all of them readable before any is scored
        try:
            s3.head_object(Bucket=item.bucket, Key=item.key)
        except ClientError as error:
            raise TransformJobError(
                f"ClientError: s3://{item.bucket}/{item.key}, listed in the input manifest "
                f"{uri}, cannot be read: {_error_code(error)}"
            ) from None
    return inputs


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or "unknown error")
