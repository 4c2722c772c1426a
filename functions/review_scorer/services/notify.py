"""Announcing a file's outcome exactly once: summary document, SNS message, then a marker."""

from __future__ import annotations

from review_scorer.aws import s3, sns
from review_scorer.layout import notified_key
from review_scorer.observability import logger
from review_scorer.summary import Summary


def already_notified(bucket: str, job: str) -> bool:
    return s3.exists(bucket, notified_key(job))


def announce(summary: Summary, *, bucket: str, job: str, summary_key: str, topic_arn: str) -> None:
    """Store the summary, publish it, and record that it was published.

    The marker is written after the publish: a crash in between may repeat the message on
    retry (at least once), but never loses it.
    """
    summary.summary = f"s3://{bucket}/{summary_key}"
    document = summary.to_json()
    s3.put_json(bucket, summary_key, document)
    message_id = sns.publish(topic_arn, summary)
    s3.put_json(bucket, notified_key(job), f'{{"message_id": "{message_id}"}}')
    logger.info(
        "outcome published",
        status=summary.status,
        error_code=summary.error.code if summary.error else None,
        rows=summary.rows.model_dump(),
        message_id=message_id,
    )
