"""Announcing a file's outcome exactly once: the summary document and the SNS message.

Publishing happens under the job's claim (:mod:`review_scorer.outcome.claims`); the outcome is
counted in the metrics once, by the invocation that sent it.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from review_scorer.aws import s3, sns
from review_scorer.errors import InputError
from review_scorer.invocation import Invocation
from review_scorer.observability import NAMESPACE, SERVICE, count, logger
from review_scorer.outcome.claims import claim, mark_published
from review_scorer.outcome.summary import SUCCEEDED, Summary


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
    if not claim(bucket, job, invocation.request_id):
        logger.info("outcome announced by another invocation; nothing sent")
        return False
    summary.location = f"s3://{bucket}/{summary_key}"
    s3.put_json(bucket, summary_key, summary.to_json())
    message_id = sns.publish(topic_arn, summary)
    mark_published(bucket, job, invocation.request_id, message_id)
    record_outcome(summary)
    logger.info(
        "outcome published",
        status=summary.status,
        error_code=summary.error.code if summary.error else None,
        rows=summary.rows.model_dump(),
        message_id=message_id,
    )
    return True


def _input_error_codes() -> set[str]:
    found, todo = set(), [InputError]
    while todo:
        cls = todo.pop()
        found.add(cls.code)
        todo.extend(cls.__subclasses__())
    return found


REFUSAL_CODES = _input_error_codes()


def record_outcome(summary: Summary) -> None:
    """Files scored, refused (the file itself was wrong) or failed (anything else); rows by
    fate, rows marked for review, and rows per label (a dimension, one metric line per
    label)."""
    if summary.status == SUCCEEDED:
        count("FilesScored")
    elif summary.error and summary.error.code in REFUSAL_CODES:
        count("FilesRefused")
    else:
        count("FilesFailed")
    rows = summary.rows
    for name, value in (
        ("RowsScored", rows.scored),
        ("RowsEmpty", rows.empty),
        ("RowsRejected", rows.rejected),
        ("RowsNeedReview", rows.needs_review),  # None: no review threshold applied
    ):
        if value:
            count(name, value)
    for label, value in summary.labels.items():
        with single_metric(
            name="LabelRows", unit=MetricUnit.Count, value=value, namespace=NAMESPACE
        ) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            metric.add_dimension(name="label", value=label)
