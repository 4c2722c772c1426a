"""Turning tokenized reviews into Batch Transform input: JSON Lines shards of bounded size.

One ``{"source": "<space separated tokens>"}`` per line, nothing else (BlazingText documents only
``source`` and ``k``). A shard is flushed when it would pass ``max_bytes``, so memory stays bounded
by one shard whatever the file size, and a job with InstanceCount > 1 gets several files to spread.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

JSON_LINES = "application/jsonlines"  # ContentType and Accept of every transform job


@dataclass(frozen=True)
class Shard:
    index: int
    rows: int
    size: int


# json.dumps of a one-key dict, without building the dict: the C string encoder does the escaping.
_encode_string: Callable[[str], str] = json.encoder.encode_basestring


def record(tokens: list[str], k: int = 1) -> bytes:
    """One BlazingText request line for a review's tokens (``k`` labels wanted, default 1)."""
    return source_record(" ".join(tokens), k)


def source_record(source: str, k: int = 1) -> bytes:
    """One BlazingText request line for ``source``, tokens joined by single spaces."""
    top = f', "k": {k}' if k > 1 else ""
    return ('{"source": ' + _encode_string(source) + top + "}\n").encode("utf-8")


class ShardWriter:
    """Packs records into shards and hands each full one to ``flush(index, data)``.

    ``data`` is the shard's buffer itself, rewound: no copy of a shard is ever made.

    With ``hold_rows`` > 0 the first rows are held back, as their space-joined tokens, until a
    row past ``hold_rows`` arrives; then they are written as usual. A file that ends first was
    never written anywhere: :attr:`held` has its rows, for scoring in the function itself.
    """

    def __init__(
        self,
        max_bytes: int,
        flush: Callable[[int, io.BytesIO], None],
        k: int = 1,
        hold_rows: int = 0,
    ) -> None:
        self._max_bytes = max_bytes
        self._k = k
        self._flush = flush
        self._buffer = io.BytesIO()
        self._rows = 0
        self._hold_rows = hold_rows
        self.held: list[str] | None = [] if hold_rows > 0 else None
        self.shards: list[Shard] = []

    def add(self, tokens: list[str]) -> None:
        source = " ".join(tokens)
        if self.held is None:
            self._write(source_record(source, self._k))
            return
        self.held.append(source)
        if len(self.held) > self._hold_rows:
            held, self.held = self.held, None
            for each in held:
                self._write(source_record(each, self._k))

    def _write(self, line: bytes) -> None:
        if self._rows and self._buffer.tell() + len(line) > self._max_bytes:
            self._emit()
        self._buffer.write(line)
        self._rows += 1

    def close(self) -> list[Shard]:
        """Flush the last shard and return all of them, in order (none while rows are held)."""
        if self._rows:
            self._emit()
        return self.shards

    def _emit(self) -> None:
        size = self._buffer.tell()
        index = len(self.shards)
        self._buffer.seek(0)
        self._flush(index, self._buffer)
        self.shards.append(Shard(index=index, rows=self._rows, size=size))
        self._buffer = io.BytesIO()
        self._rows = 0
