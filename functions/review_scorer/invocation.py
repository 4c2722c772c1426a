"""What a service needs to know about the Lambda invocation it runs in, without Lambda types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# A claim (an outcome's, a file's on a job) older than this was left by an invocation that died:
# longer than Lambda's 15-minute limit, so its owner cannot still be at work.
STALE_CLAIM_SECONDS = 20 * 60


@dataclass(frozen=True)
class Invocation:
    """``request_id`` is the same for Lambda's retries of one asynchronous event, so work that
    a failed attempt claimed can be taken up again by its retry."""

    request_id: str = "local"
    remaining_ms: Callable[[], int] = lambda: 900_000
