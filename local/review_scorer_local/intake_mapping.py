"""The event source mapping from the intake queue to StartScoring, as Lambda runs one.

Lambda polls the queue, invokes the function synchronously with a batch of up to ``BatchSize``
messages, deletes the messages of a successful batch except those the function reports in
``batchItemFailures`` (``ReportBatchItemFailures``), and leaves a failed invocation's whole
batch to come back when its visibility timeout ends
(https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html,
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). The event is
the documented SQS event (``Records[]`` with ``messageId``, ``receiptHandle``, ``body``,
``attributes`` ...).

Time is the one thing local mode shortens: a message that waits for capacity is kept out of
sight by its visibility timeout (a minute or more); :meth:`IntakeMapping.release_waiting`
makes those messages visible at once, as if that time had passed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from review_scorer.handlers import start_scoring
from review_scorer_local.lambda_invoke import AsyncInvocation, invoke_once

# The template's IntakeBatchSize default; one ReceiveMessage returns at most 10 messages
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
# ScalingConfig.MaximumConcurrency is not emulated: here batches are handled one at a time.
BATCH_SIZE = 10


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda builds from received SQS messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m["Body"].encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class IntakeMapping:
    """Polls one queue into StartScoring, batch by batch."""

    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, region: str) -> None:
        self._sqs, self._url, self._arn, self._region = sqs, queue_url, queue_arn, region
        self._waiting: dict[str, str] = {}  # message id -> receipt handle of its last receive
        self.settled = 0
        """Messages done with (deleted after a successful batch), since the start."""

    def deliver(self) -> list[tuple[dict[str, Any], AsyncInvocation]]:
        """Every visible message, in batches; the events and their invocations."""
        delivered = []
        while batch := self._receive():
            event = sqs_event(batch, self._arn, self._region)
            invocation = invoke_once(start_scoring.lambda_handler, event, "StartScoringFunction")
            delivered.append((event, invocation))
            self._settle(batch, invocation)
        return delivered

    @property
    def waiting(self) -> int:
        """Messages the function asked to see again later (waiting for capacity)."""
        return len(self._waiting)

    def release_waiting(self) -> int:
        """Make every waiting message visible now (a visibility timeout of 0 does it:
        https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html);
        returns how many."""
        released = 0
        for handle in self._waiting.values():
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=self._url, ReceiptHandle=handle, VisibilityTimeout=0
                )
            except ClientError:  # the message is gone (deleted, purged, dead-lettered)
                continue
            released += 1
        self._waiting.clear()
        return released

    def _receive(self) -> list[dict[str, Any]]:
        """One batch: with a batching window, Lambda gathers messages until the batch is full
        or the window ends (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html,
        "Batching behavior"); here the window ends when the queue has no more visible messages
        (one ReceiveMessage may return fewer than there are)."""
        batch: list[dict[str, Any]] = []
        while len(batch) < BATCH_SIZE:
            answer = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=BATCH_SIZE - len(batch),
                AttributeNames=["All"],
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            batch.extend(messages)
        return batch

    def _settle(self, batch: list[dict[str, Any]], invocation: AsyncInvocation) -> None:
        if invocation.error:  # the whole batch comes back after its visibility timeout
            self._waiting.update({m["MessageId"]: m["ReceiptHandle"] for m in batch})
            return
        failures = {f["itemIdentifier"] for f in invocation.result["batchItemFailures"]}
        for message in batch:
            if message["MessageId"] in failures:
                self._waiting[message["MessageId"]] = message["ReceiptHandle"]
            else:
                self._waiting.pop(message["MessageId"], None)
                self.settled += 1
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
