"""Writing a new S3 object as a stream: one multipart upload, completed or aborted (or, for an
object smaller than one part, one PutObject)."""

from __future__ import annotations

import contextlib
import io
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from review_scorer.aws import clients

if TYPE_CHECKING:
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

# Parts of a streamed upload: at least S3's 5 MiB minimum for every part but the last, and 16 MiB
# x 10,000 parts (S3's maximum) = 160 GiB, far above any labeled file of a 2 GiB upload. One part
# is held in memory at a time; nothing is written to /tmp (512 MB by default).
STREAM_PART_BYTES = 16 * 1024 * 1024


class StreamedObject(io.RawIOBase):
    """A new object written as a stream, as one S3 multipart upload: each ``part_bytes`` written
    go up as one part (UploadPart), so neither memory nor /tmp grows with the object. A part goes
    up on a thread of its own while the writer carries on (the upload waits on the network, the
    writer on the CPU); the next part waits for it, so at most one is in flight and they go up
    in order.

    An object that ends before its first part is full goes up as one PutObject at the end
    instead: one request rather than three, and as atomic (a PutObject creates the object whole
    or not at all). Used as a context manager: leaving the block normally completes the upload
    (CompleteMultipartUpload), which creates the object whole; leaving it with an exception
    aborts the upload (AbortMultipartUpload), and no object is created. S3 only assembles an
    object when the upload is completed
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html), so a reader
    never sees part of it. CreateMultipartUpload, UploadPart and CompleteMultipartUpload are
    authorized as s3:PutObject on the key, AbortMultipartUpload as s3:AbortMultipartUpload;
    with an SSE-KMS bucket the caller also needs kms:GenerateDataKey and kms:Decrypt (same page,
    "Multipart upload API and permissions").
    """

    def __init__(
        self, bucket: str, key: str, content_type: str, *, part_bytes: int | None = None
    ) -> None:
        super().__init__()
        self.bucket, self.key = bucket, key
        self.part_bytes = part_bytes or STREAM_PART_BYTES
        self.content_type = content_type
        self._pending = bytearray()
        self._parts: list[CompletedPartTypeDef] = []
        self._upload_id: str | None = None
        self._open = False
        self._in_flight: Future[CompletedPartTypeDef] | None = None
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-part")
        self.size = 0

    def __enter__(self) -> StreamedObject:
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self._complete()
                return
        except BaseException:
            self._abort()
            raise
        finally:
            super().close()
            self._sender.shutdown()
        self._abort()

    @property
    def name(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if not self._open:
            raise ValueError("write outside the upload's with block")
        chunk = bytes(data)
        self._pending += chunk
        self.size += len(chunk)
        while len(self._pending) >= self.part_bytes:
            self._send(bytes(self._pending[: self.part_bytes]))
            del self._pending[: self.part_bytes]
        return len(chunk)

    def _send(self, body: bytes) -> None:
        """Start the next part's upload once the one before it is up (its error raised here)."""
        self._sent()
        if self._upload_id is None:
            response = clients.s3().create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )
            self._upload_id = response["UploadId"]
        number = len(self._parts) + 1
        self._in_flight = self._sender.submit(self._upload_part, number, body)

    def _sent(self) -> None:
        """Wait for the part in flight, if any, and record it; raises what its upload raised."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            self._parts.append(in_flight.result())

    def _upload_part(self, number: int, body: bytes) -> CompletedPartTypeDef:
        response = clients.s3().upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id or "",
            PartNumber=number,
            Body=body,
        )
        return {"PartNumber": number, "ETag": response["ETag"]}

    def _complete(self) -> None:
        self._open = False
        self._sent()
        if self._upload_id is None:  # smaller than one part: one PutObject
            clients.s3().put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=bytes(self._pending),
                ContentType=self.content_type,
            )
            return
        if self._pending or not self._parts:  # the last part (or the only one, even empty)
            self._send(bytes(self._pending))
            self._pending.clear()
            self._sent()
        clients.s3().complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id or "",
            MultipartUpload={"Parts": self._parts},
        )

    def _abort(self) -> None:
        """Drop the parts, leaving whatever exception is on its way out to be raised. Should the
        abort itself fail, the bucket's AbortIncompleteMultipartUploads lifecycle rule removes the
        parts later; no object was created either way."""
        self._open = False
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is None:
            return
        with contextlib.suppress(Exception):  # a part still going up is dropped with the rest
            self._sent()
        with contextlib.suppress(ClientError, BotoCoreError):
            clients.s3().abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=upload_id
            )
