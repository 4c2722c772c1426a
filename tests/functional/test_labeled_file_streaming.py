"""The labeled CSV goes to S3 as it is written (one multipart upload), never through /tmp.

Lambda's /tmp holds 512 MB by default
(https://docs.aws.amazon.com/lambda/latest/dg/API_EphemeralStorage.html) while uploads of 2 GiB
are accepted: a labeled file staged in /tmp first would fail with ENOSPC. The object must still
appear whole or not at all: S3 creates it only on CompleteMultipartUpload, and an aborted upload
leaves nothing behind (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html).

These tests drive ``write_labeled`` (what PublishResults and a file with nothing to score call)
against the local S3 with a manifest and predictions of their own, so that a result of a few
parts is quick to make: rows with an empty review are not sent to the model.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from review_scorer.aws import clients, s3_stream
from review_scorer.bucket_keys import labeled_key
from review_scorer.errors import PredictionCountMismatchError
from review_scorer.results.join import JoinTally, ResultColumns, write_labeled_csv
from review_scorer.results.labeled_file import write_labeled
from review_scorer.transform.manifest import Manifest, RowCounts, SourceObject
from review_scorer.transform.predictions import Prediction
from review_scorer.transform.row_status import EMPTY, MarkedRange
from review_scorer.upload.csv_reader import Limits, read_table
from review_scorer_local.stack import LocalModeStack

PART = 5 * 1024 * 1024  # S3's smallest part (all but the last)
NOTE = "x" * 1000
EMPTY_ROWS = 12_000  # ~12 MB of result: three parts of 5 MiB
SCORED = [("good and fits well", "1"), ("poor quality", "-1")]
NAME = "big/reviews"
KEY = f"incoming/{NAME}.csv"


def _csv(scored_first: bool) -> bytes:
    lines = ["id,review_body,note"]
    scored = [f"s{n},{review},{NOTE}" for n, (review, _) in enumerate(SCORED)]
    empty = [f"e{n},,{NOTE}" for n in range(EMPTY_ROWS)]
    lines += [*scored, *empty] if scored_first else [*empty, *scored]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _manifest(stack: LocalModeStack, body: bytes, scored_first: bool) -> Manifest:
    put = stack.client("s3").put_object(Bucket=stack.config.bucket, Key=KEY, Body=body)
    first = len(SCORED) + 1 if scored_first else 1
    return Manifest(
        job="rs-0123456789abcdef0123456789abcdef",
        name=NAME,
        source=SourceObject(
            bucket=stack.config.bucket,
            key=KEY,
            version_id=put.get("VersionId"),
            etag=put["ETag"].strip('"'),
            size=len(body),
        ),
        model=stack.config.model_name,
        review_column="review_body",
        max_field_chars=100_000,
        columns=["id", "review_body", "note"],
        rows=RowCounts(
            total=EMPTY_ROWS + len(SCORED), scored=len(SCORED), empty=EMPTY_ROWS, rejected=0
        ),
        shards=[],
        marks=[MarkedRange(first=first, last=first + EMPTY_ROWS - 1, status=EMPTY)],
        tokenizer_version="test",
        created_at="2026-11-01T00:00:00Z",
    )


def _predictions(count: int = len(SCORED)) -> Iterator[Prediction]:
    return iter(
        [Prediction(label=[f"__label__{label}"], prob=[0.9]) for _, label in SCORED][:count]
    )


def _expected(body: bytes, manifest: Manifest) -> bytes:
    """The join written to memory: what the labeled object must hold, byte for byte."""
    table = read_table(io.BytesIO(body), "review_body", Limits(max_field_chars=100_000))
    text = io.StringIO(newline="")
    layout = ResultColumns(top_k=manifest.top_k, names=manifest.label_names)
    write_labeled_csv(text, table, manifest.marks, _predictions(), JoinTally(), layout)
    return text.getvalue().encode("utf-8")


@pytest.fixture
def functions_s3(stack: LocalModeStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The functions' own S3 client, pointed at the local stack, with S3's smallest part size."""
    for name, value in stack.function_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(s3_stream, "STREAM_PART_BYTES", PART)
    clients.reset()
    yield clients.s3()
    clients.reset()


@pytest.fixture
def watched_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Temporary files land in a folder of the test; returns the bytes each temporary directory
    held when it was cleaned up (a staged copy of the result would show there)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    sizes: list[int] = []

    class Watched(tempfile.TemporaryDirectory):  # type: ignore[type-arg]
        def cleanup(self) -> None:
            files = [p for p in Path(self.name).rglob("*") if p.is_file()]
            sizes.append(sum(p.stat().st_size for p in files))
            super().cleanup()

    monkeypatch.setattr(tempfile, "TemporaryDirectory", Watched)
    sizes.append(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()))
    return sizes


def _open_uploads(stack: LocalModeStack) -> list[Any]:
    listed = stack.client("s3").list_multipart_uploads(Bucket=stack.config.bucket)
    return list(listed.get("Uploads", []))


def test_a_large_result_goes_up_in_parts_and_never_through_tmp(
    stack: LocalModeStack, functions_s3: Any, watched_tmp: list[int], tmp_path: Path
) -> None:
    # Given an upload whose labeled file is ~12 MB (three parts of S3's smallest size)
    body = _csv(scored_first=True)
    manifest = _manifest(stack, body, scored_first=True)
    parts: list[int] = []

    def count_part(params: dict[str, Any], **_: Any) -> None:
        parts.append(len(params["Body"]))

    functions_s3.meta.events.register("provide-client-params.s3.UploadPart", count_part)
    # When the labeled file is written
    written = write_labeled(manifest, _predictions())
    # Then nothing of it was written to /tmp
    leftovers = [p for p in (tmp_path / "tmp").rglob("*") if p.is_file()]
    assert max(watched_tmp) < 4096 and not leftovers, (watched_tmp, leftovers)
    # and it went up as parts of the configured size as it was written, the last one smaller
    assert written.key == labeled_key(NAME)
    assert len(parts) == 3 and parts[:2] == [PART, PART] and 0 < parts[2] <= PART, parts
    # and the object is exactly the join's bytes, typed as before, with no upload left open
    got = stack.client("s3").get_object(Bucket=stack.config.bucket, Key=written.key)
    assert got["Body"].read() == _expected(body, manifest)
    assert got["ContentType"] == "text/csv; charset=utf-8"
    assert got["ETag"].strip('"').endswith("-3")  # S3's ETag of a three-part object
    assert written.labels == {"1": 1, "-1": 1}
    assert _open_uploads(stack) == []


def test_a_failed_part_leaves_no_object_and_no_open_upload(
    stack: LocalModeStack, functions_s3: Any
) -> None:
    # Given an S3 that fails the second part of the upload
    body = _csv(scored_first=True)
    manifest = _manifest(stack, body, scored_first=True)
    calls: list[int] = []

    def fail_second_part(params: dict[str, Any], **_: Any) -> None:
        calls.append(params["PartNumber"])
        if params["PartNumber"] == 2:
            raise ConnectionError("connection reset while sending part 2")

    functions_s3.meta.events.register("provide-client-params.s3.UploadPart", fail_second_part)
    # When the labeled file is written, Then the error comes through
    with pytest.raises(ConnectionError):
        write_labeled(manifest, _predictions())
    # and nothing appears under results/, and the upload's parts are gone
    assert calls == [1, 2]
    listed = stack.client("s3").list_objects_v2(Bucket=stack.config.bucket, Prefix="results/")
    assert listed.get("KeyCount") == 0
    assert _open_uploads(stack) == []


def test_a_join_error_after_parts_went_up_leaves_no_object_and_no_open_upload(
    stack: LocalModeStack, functions_s3: Any
) -> None:
    # Given the scored rows at the end of the file, and one prediction too few
    body = _csv(scored_first=False)
    manifest = _manifest(stack, body, scored_first=False)
    sent: list[int] = []
    functions_s3.meta.events.register(
        "provide-client-params.s3.UploadPart", lambda params, **_: sent.append(params["PartNumber"])
    )
    # When the join finds out, parts have gone up already
    with pytest.raises(PredictionCountMismatchError):
        write_labeled(manifest, _predictions(count=1))
    assert sent == [1, 2]
    # Then no labeled file, no open upload
    listed = stack.client("s3").list_objects_v2(Bucket=stack.config.bucket, Prefix="results/")
    assert listed.get("KeyCount") == 0
    assert _open_uploads(stack) == []


def test_an_object_smaller_than_a_part_goes_up_as_one_put(
    stack: LocalModeStack, functions_s3: Any
) -> None:
    # Given a streamed object that ends before its first part is full
    sent: list[str] = []
    for operation in ("PutObject", "CreateMultipartUpload", "UploadPart"):
        functions_s3.meta.events.register(
            f"provide-client-params.s3.{operation}",
            lambda params, op=operation, **_: sent.append(op),
        )
    bucket = stack.config.bucket
    # When it is written and the block ends
    with s3_stream.StreamedObject(bucket, "results/small.csv", "text/csv") as upload:
        upload.write(b"a,b\n1,2\n")
    # Then one PutObject made it, whole, with its content type
    assert sent == ["PutObject"]
    got = functions_s3.get_object(Bucket=bucket, Key="results/small.csv")
    assert (got["Body"].read(), got["ContentType"]) == (b"a,b\n1,2\n", "text/csv")
    # and one that fails before the end sends nothing and leaves no object
    with (
        pytest.raises(RuntimeError),
        s3_stream.StreamedObject(bucket, "results/broken.csv", "text/csv") as upload,
    ):
        upload.write(b"a,b\n")
        raise RuntimeError("the join failed")
    assert sent == ["PutObject"] and _open_uploads(stack) == []
    keys = functions_s3.list_objects_v2(Bucket=bucket, Prefix="results/").get("Contents", [])
    assert [k["Key"] for k in keys] == ["results/small.csv"]
