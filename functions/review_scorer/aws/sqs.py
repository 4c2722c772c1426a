"""Every SQS call of the functions: the intake queue, where uploads wait for capacity."""

from __future__ import annotations

from review_scorer.aws import clients

# ChangeMessageVisibility allows 0 to 43,200 seconds (12 hours)
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html).
MAX_VISIBILITY_SECONDS = 43_200


def delay_retry(queue_url: str, receipt_handle: str, seconds: int) -> None:
    """Keep a message invisible for ``seconds`` before the event source mapping retries it.

    Returned as a batch item failure, the message becomes visible again when its visibility
    timeout ends (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html);
    setting that timeout is how a waiting file backs off.
    """
    clients.sqs().change_message_visibility(
        QueueUrl=queue_url,
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=max(0, min(seconds, MAX_VISIBILITY_SECONDS)),
    )


def send(queue_url: str, body: str) -> None:
    clients.sqs().send_message(QueueUrl=queue_url, MessageBody=body)
