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
    top = f', "k": {k}' if k > 1 else ""
    return ('{"source": ' + _encode_string(" ".join(tokens)) + top + "}\n").encode("utf-8")


class ShardWriter:
    """Packs records into shards and hands each full one to ``flush(index, data)``.

    ``data`` is the shard's buffer itself, rewound: no copy of a shard is ever made.
    """

    def __init__(
        self, max_bytes: int, flush: Callable[[int, io.BytesIO], None], k: int = 1
    ) -> None:
        self._max_bytes = max_bytes
        self._k = k
        self._flush = flush
        self._buffer = io.BytesIO()
        self._rows = 0
        self.shards: list[Shard] = []

    def add(self, tokens: list[str]) -> None:
        line = record(tokens, self._k)
        if self._rows and self._buffer.tell() + len(line) > self._max_bytes:
            self._emit()
        self._buffer.write(line)
        self._rows += 1

    def close(self) -> list[Shard]:
        """Flush the last shard and return all of them, in order."""
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
