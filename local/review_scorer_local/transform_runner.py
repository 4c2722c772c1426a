"""Running one transform job the way SageMaker Batch Transform runs a BlazingText job.

The job's input objects (those under its S3Uri or those its manifest lists) are read by
:mod:`review_scorer_local.transform_inputs`.
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
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring_ascii
from json.scanner import make_scanner
from typing import Any

from review_scorer.model.scorer import BadRecordError, FastTextScorer, request_line
from review_scorer_local.transform_inputs import S3Location, TransformJobError, job_inputs

MIB = 1024 * 1024
_JSON_SPACE = " \t\n\r"
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_BACKSLASH = ord("\\")  # an int: `in` then looks for one byte, with no buffer to set up
_LABELS: dict[str, str] = {}  # a model's few labels, JSON-encoded once
_NOT_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}  # as json.dumps writes them


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
