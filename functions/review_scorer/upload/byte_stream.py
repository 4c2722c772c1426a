"""The bytes of an upload, checked as they stream past.

Every problem is reported with the byte offset and line where it is, before the CSV parser sees
the bytes: invalid UTF-8 (a cp1252 or latin-1 export), NUL bytes (UTF-16 without a BOM, or a
binary file), a UTF-16/32 byte order mark. Gzip content (a ``.csv.gz`` upload, or plain gzip
bytes under a ``.csv`` name) is decompressed as a stream, with a cap on the decompressed size
so a small upload cannot expand without limit.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from typing import IO, Protocol

from review_scorer.errors import EncodingError, FileTooLargeError, InvalidGzipError

GZIP_MAGIC = b"\x1f\x8b"
_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}
_SAVE_AS = "save it as 'CSV UTF-8' and upload it again"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class CheckedStream(io.RawIOBase):
    """A readable raw stream that raises a typed error at the first bad byte."""

    def __init__(self, raw: Readable, *, max_bytes: int | None = None, label: str = "") -> None:
        self._raw = raw
        self._max_bytes = max_bytes
        self._label = label
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.offset = 0
        self._lf = 0
        self._cr = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._raw.read(len(buffer))
        if not chunk:
            self._check_utf8(b"", final=True)
            return 0
        if self.offset == 0:
            self._check_start(chunk)
        self._check_nul(chunk)
        self._check_utf8(chunk, final=False)
        self._count(chunk)
        if self._max_bytes is not None and self.offset > self._max_bytes:
            raise FileTooLargeError(
                f"the {self._label or 'file'} is larger than {self._max_bytes:,} bytes "
                "once decompressed; split it into smaller files"
            )
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def line_at(self, data: bytes, position: int) -> int:
        """The 1-based line of ``position`` in ``data`` (the chunk being checked)."""
        before = data[:position]
        lf, cr = self._lf + before.count(b"\n"), self._cr + before.count(b"\r")
        return (lf if lf else cr) + 1  # CR-only files count CRs

    def _count(self, chunk: bytes) -> None:
        self.offset += len(chunk)
        self._lf += chunk.count(b"\n")
        self._cr += chunk.count(b"\r")

    def _check_start(self, chunk: bytes) -> None:
        for bom, name in _WIDE_BOMS.items():
            if chunk.startswith(bom):
                raise EncodingError(f"the file is {name}, not UTF-8; {_SAVE_AS}", line=1)

    def _check_nul(self, chunk: bytes) -> None:
        position = chunk.find(b"\x00")
        if position >= 0:
            raise EncodingError(
                f"the file contains a NUL byte at byte offset {self.offset + position} "
                f"(UTF-16 without a byte order mark, or not a text file); {_SAVE_AS}",
                line=self.line_at(chunk, position),
            )

    def _check_utf8(self, chunk: bytes, *, final: bool) -> None:
        pending = self._decoder.getstate()[0]
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's pending bytes followed by this chunk
            offset = self.offset - len(pending) + exc.start
            bad = exc.object[exc.start]
            raise EncodingError(
                f"the file is not valid UTF-8: byte 0x{bad:02x} at byte offset {offset} "
                f"(cp1252/latin-1 exports look like this); {_SAVE_AS}",
                line=self.line_at(chunk, max(0, exc.start - len(pending))),
            ) from None


class _GzipErrors(io.RawIOBase):
    """Turns a corrupt or truncated gzip stream into :class:`InvalidGzipError`."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        try:
            return self._gzip.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise InvalidGzipError(f"the gzip content cannot be decompressed: {exc}") from None


def open_checked(raw: IO[bytes], *, max_uncompressed_bytes: int) -> CheckedStream:
    """Checked bytes of an upload, gunzipped when the content is gzip (detected by its magic)."""
    buffered = io.BufferedReader(raw, 1024 * 1024)  # type: ignore[type-var]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return CheckedStream(
            _GzipErrors(buffered),
            max_bytes=max_uncompressed_bytes,
            label="gzip content",
        )
    return CheckedStream(buffered)
