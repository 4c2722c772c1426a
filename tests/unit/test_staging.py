"""Staging shards and the marks of rows not sent."""

from __future__ import annotations

import json

from review_scorer.transform.records import ShardWriter, record
from review_scorer.transform.row_status import EMPTY, MarkedRange, RowMarker, StatusLookup


def test_record_holds_only_the_space_joined_tokens() -> None:
    assert json.loads(record(["i", "love", "it", "!"])) == {"source": "i love it !"}


def test_record_keeps_unicode_as_utf8() -> None:
    assert record(["très", "😍"]) == '{"source": "très 😍"}\n'.encode()


def test_shards_split_at_the_size_limit_and_keep_order() -> None:
    # Given a writer that flushes at 64 bytes
    flushed: dict[int, bytes] = {}
    writer = ShardWriter(64, lambda index, data: flushed.__setitem__(index, data.read()))
    # When 10 records of 24 bytes are added
    for i in range(10):
        writer.add([f"w{i:02d}", "abcdefg"])
    shards = writer.close()
    # Then shards hold 2 records each (a third would pass 64 bytes), in order
    assert [s.rows for s in shards] == [2, 2, 2, 2, 2]
    lines = [
        json.loads(line)["source"] for i in sorted(flushed) for line in flushed[i].splitlines()
    ]
    assert lines == [f"w{i:02d} abcdefg" for i in range(10)]
    assert all(len(data) <= 64 for data in flushed.values())


def test_a_record_larger_than_the_limit_gets_a_shard_of_its_own() -> None:
    flushed: list[bytes] = []
    writer = ShardWriter(16, lambda index, data: flushed.append(data.read()))
    writer.add(["short"])
    writer.add(["a-very-long-token-indeed"])
    writer.add(["x"])
    assert [s.rows for s in writer.close()] == [1, 1, 1]


def test_a_file_within_the_hold_is_held_and_never_written() -> None:
    flushed: list[bytes] = []
    writer = ShardWriter(1024, lambda index, data: flushed.append(data.read()), hold_rows=3)
    for tokens in (["a", "b"], ["c"], ["d", "e"]):
        writer.add(tokens)
    assert writer.close() == [] and flushed == []
    assert writer.held == ["a b", "c", "d e"]


def test_a_row_past_the_hold_writes_every_row_as_if_none_was_held() -> None:
    rows = [[f"w{i}", "x" * i] for i in range(12)]
    plain: list[bytes] = []
    held: list[bytes] = []
    unheld = ShardWriter(64, lambda index, data: plain.append(data.read()), k=2)
    holding = ShardWriter(64, lambda index, data: held.append(data.read()), k=2, hold_rows=5)
    for tokens in rows:
        unheld.add(tokens)
        holding.add(tokens)
    assert holding.close() == unheld.close()
    assert held == plain and holding.held is None


def test_no_records_no_shards() -> None:
    assert ShardWriter(1024, lambda i, d: None).close() == []


def test_marks_merge_neighbouring_rows_of_the_same_status() -> None:
    marker = RowMarker()
    for ordinal in (3, 4, 5, 9):
        marker.mark(ordinal, EMPTY)
    assert marker.ranges == [
        MarkedRange(first=3, last=5, status=EMPTY),
        MarkedRange(first=9, last=9, status=EMPTY),
    ]
    lookup = StatusLookup(marker.ranges)
    assert [lookup.status(n) for n in range(1, 11)] == [
        "scored",
        "scored",
        EMPTY,
        EMPTY,
        EMPTY,
        "scored",
        "scored",
        "scored",
        EMPTY,
        "scored",
    ]
