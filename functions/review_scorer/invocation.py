"""What a service needs to know about the Lambda invocation it runs in, without Lambda types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Invocation:
    """``request_id`` is the same for Lambda's retries of one asynchronous event, so work that
    a failed attempt claimed can be taken up again by its retry."""

    request_id: str = "local"
    remaining_ms: Callable[[], int] = lambda: 900_000
