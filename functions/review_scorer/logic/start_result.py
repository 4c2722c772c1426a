"""What StartScoring did with one uploaded object (logged, and what the tests see)."""

from __future__ import annotations

from enum import StrEnum


class StartResult(StrEnum):
    STARTED = "started"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    FAILED = "failed"  # no job will run: announced, file left in place
    COMPLETED = "completed"  # nothing to send to the model: finished without a job
    WAITING = "waiting"  # staged; no transform capacity now: the message comes back later
    IGNORED = "ignored"
