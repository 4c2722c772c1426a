"""Announcing a file's outcome exactly once: summary document and SNS message, under a claim.

Before anything is published, the invocation claims ``staging/<job>/notified.json`` with an S3
conditional write, so of two deliveries at once only one publishes. The claim names its owner
(the Lambda request id, which Lambda's retries of an event keep): if publishing fails, the
retry takes its own claim up again; a claim left by an invocation that died is taken over once
it is older than any invocation can run. After the message is sent, the claim records it.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel

from review_scorer.aws import s3, sns
from review_scorer.invocation import Invocation
from review_scorer.layout import notified_key
from review_scorer.observability import logger, record_outcome
from review_scorer.summary import Summary

STALE_CLAIM_SECONDS = 20 * 60  # longer than the 15-minute Lambda limit


class Claim(BaseModel):
    state: Literal["claimed", "published"]
    owner: str
    at: float
    message_id: str | None = None


def in_hand(bucket: str, job: str, owner: str) -> bool:
    """True if the outcome of ``job`` was published, or another live invocation is at it.

    False when nothing was claimed, when the claim is the caller's own (a retry), or when its
    owner must have died: then the caller should do the work.
    """
    if not s3.exists(bucket, notified_key(job)):
        return False
    document, _ = s3.read_json_and_etag(bucket, notified_key(job))
    return not _may_take_over(Claim.model_validate(document), owner)


def _may_take_over(claim: Claim, owner: str) -> bool:
    if claim.state == "published":
        return False
    return claim.owner == owner or time.time() - claim.at > STALE_CLAIM_SECONDS


def announce(
    summary: Summary,
    *,
    bucket: str,
    job: str,
    summary_key: str,
    topic_arn: str,
    invocation: Invocation,
) -> bool:
    """Store the summary and publish it, unless another invocation has that job in hand."""
    if not _claim(bucket, job, invocation.request_id):
        logger.info("outcome announced by another invocation; nothing sent")
        return False
    summary.summary = f"s3://{bucket}/{summary_key}"
    s3.put_json(bucket, summary_key, summary.to_json())
    message_id = sns.publish(topic_arn, summary)
    done = Claim(
        state="published", owner=invocation.request_id, at=time.time(), message_id=message_id
    )
    s3.put_json(bucket, notified_key(job), done.model_dump_json())
    record_outcome(summary)
    logger.info(
        "outcome published",
        status=summary.status,
        error_code=summary.error.code if summary.error else None,
        rows=summary.rows.model_dump(),
        message_id=message_id,
    )
    return True


def _claim(bucket: str, job: str, owner: str) -> bool:
    key = notified_key(job)
    mine = Claim(state="claimed", owner=owner, at=time.time()).model_dump_json()
    if s3.put_json_if(bucket, key, mine):
        return True
    document, etag = s3.read_json_and_etag(bucket, key)
    if _may_take_over(Claim.model_validate(document), owner):
        return s3.put_json_if(bucket, key, mine, etag=etag)
    return False
