"""Claims that make each file's outcome one message, under races and retries.

Before anything is published, the invocation claims ``staging/<job>/notified.json`` with an S3
conditional write (``IfNoneMatch``, or ``IfMatch`` to take a claim over), so of two deliveries
at once only one publishes. The claim names its owner (the Lambda request id, which Lambda's
retries of an event keep): if publishing fails, the retry takes its own claim up again; a claim
left by an invocation that died is taken over once it is older than any invocation can run.
After the message is sent, the claim records it.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel

from review_scorer.aws import s3
from review_scorer.bucket_keys import notified_key
from review_scorer.invocation import STALE_CLAIM_SECONDS


class Claim(BaseModel):
    state: Literal["claimed", "published"]
    owner: str
    at: float
    message_id: str | None = None


def is_taken(bucket: str, job: str, owner: str) -> bool:
    """True if the outcome of ``job`` was published, or another live invocation is at it.

    False when nothing was claimed, when the claim is the caller's own (a retry), or when its
    owner must have died: then the caller should do the work.
    """
    if not s3.exists(bucket, notified_key(job)):
        return False
    document, _ = s3.read_json_and_etag(bucket, notified_key(job))
    return not _may_take_over(Claim.model_validate(document), owner)


def claim(bucket: str, job: str, owner: str) -> bool:
    """Take the claim for ``owner``; False if someone else holds it or it was published."""
    mine = Claim(state="claimed", owner=owner, at=time.time()).model_dump_json()
    return s3.claim_json(
        bucket,
        notified_key(job),
        mine,
        lambda held: _may_take_over(Claim.model_validate(held), owner),
    )


def mark_published(bucket: str, job: str, owner: str, message_id: str) -> None:
    done = Claim(state="published", owner=owner, at=time.time(), message_id=message_id)
    s3.put_json(bucket, notified_key(job), done.model_dump_json())


def _may_take_over(claim: Claim, owner: str) -> bool:
    if claim.state == "published":
        return False
    return claim.owner == owner or time.time() - claim.at > STALE_CLAIM_SECONDS
