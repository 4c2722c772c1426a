"""Local mode's S3 keeps S3's promise that conditional writes are atomic.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html: of concurrent
writes with ``If-None-Match: *`` to one key, exactly one succeeds. The claims that make each
outcome one message depend on it, so the emulator must not let two writers win.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from moto.s3.models import S3Backend

from review_scorer.aws import s3
from review_scorer_local.stack import LocalModeStack

WRITERS = 16


@pytest.fixture(autouse=True)
def slow_existence_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between moto's condition check and its write (both run in this
    process), so that writes which are not serialised would certainly interleave."""
    original = S3Backend.get_object

    def get_object(self: S3Backend, bucket_name: str, key_name: str, *a: Any, **kw: Any) -> Any:
        found = original(self, bucket_name, key_name, *a, **kw)
        if key_name.startswith("staging/race/"):
            time.sleep(0.02)
        return found

    monkeypatch.setattr(S3Backend, "get_object", get_object)


def race(write: Callable[[int], bool]) -> list[bool]:
    """``write(n)`` by WRITERS threads let go at the same moment; who won, sorted."""
    start = threading.Barrier(WRITERS)
    won: list[bool] = []

    def writer(n: int) -> None:
        start.wait()
        won.append(write(n))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(won)


def test_of_concurrent_create_only_writes_exactly_one_wins(stack: LocalModeStack) -> None:
    # Given many writers ready to create the same key at the same moment
    os.environ.update(stack.function_environment())
    bucket, key = stack.config.bucket, "staging/race/claim.json"
    # When they all write with If-None-Match
    won = race(lambda n: s3.put_json_if(bucket, key, f'{{"n": {n}}}'))
    # Then exactly one succeeded
    assert won == [False] * (WRITERS - 1) + [True]


def test_of_concurrent_compare_and_swap_writes_exactly_one_wins(stack: LocalModeStack) -> None:
    # Given a key and its ETag, and many writers holding that ETag
    os.environ.update(stack.function_environment())
    bucket, key = stack.config.bucket, "staging/race/swap.json"
    assert s3.put_json_if(bucket, key, '{"n": -1}')
    _, etag = s3.read_json_and_etag(bucket, key)
    # When they all write with If-Match on that ETag
    won = race(lambda n: s3.put_json_if(bucket, key, f'{{"n": {n}}}', etag=etag))
    # Then exactly one replaced it
    assert won == [False] * (WRITERS - 1) + [True]
