"""StartScoring's batch: the intake queue's messages, each an S3 event, each upload handled.

Uploads that arrive together come in one batch (the event source mapping's ``BatchSize`` and
``MaximumBatchingWindowInSeconds``): each is finished here or staged first, then the staged ones
share transform jobs (:func:`review_scorer.logic.job_start.start_jobs`).

A message whose upload must wait for transform capacity is reported as a batch item failure
(the event source mapping's ``ReportBatchItemFailures``), after its visibility timeout was set
to the backoff: SQS keeps it out of sight that long, then Lambda delivers it again
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). Its staging is
kept, so the retry does not read the file again. A message whose handling raised is retried the
same way; after the queue's ``maxReceiveCount`` receives it moves to the dead-letter queue,
whose alarm calls a person.
"""

from __future__ import annotations

import random

from review_scorer.aws import sqs
from review_scorer.events import SqsEvent, SqsRecord
from review_scorer.invocation import Invocation
from review_scorer.logic.job_start import StagedFile, start_jobs
from review_scorer.logic.start_result import StartResult
from review_scorer.logic.start_scoring import prepare
from review_scorer.observability import count, logger
from review_scorer.settings import Settings

MAX_BACKOFF_SECONDS = 900
# The intake queue's redrive policy (template and local mode): receives before the dead-letter
# queue. With the backoff above they outlast the longest MaxWaitSeconds, so a waiting file ends
# in its own FAILED message first (a contract test checks).
MAX_RECEIVES = 100
# Lambda's advice for a queue behind a function: a visibility timeout of at least six times the
# function's timeout (900 s) (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
VISIBILITY_TIMEOUT_SECONDS = 6 * 900


Prepared = list[StartResult | StagedFile]


def handle_batch(event: SqsEvent, settings: Settings, invocation: Invocation) -> list[str]:
    """Handle every message; returns the ids of those to deliver again later."""
    prepared = {m.message_id: _prepared(m, settings, invocation) for m in event.records}
    staged = [i for items in prepared.values() for i in items or [] if isinstance(i, StagedFile)]
    started = _started(staged, settings, invocation)
    retry = []
    for message in event.records:
        items = prepared[message.message_id]
        results = [None] if items is None else [_result(item, started) for item in items]
        if None not in results:
            logger.info("upload message handled", results=[r.value for r in results if r])
        if None in results or StartResult.WAITING in results:
            delay = backoff(
                settings.wait_backoff_seconds, message.attributes.approximate_receive_count
            )
            sqs.delay_retry(settings.intake_queue_url, message.receipt_handle, delay)
            retry.append(message.message_id)
    return retry


def _prepared(message: SqsRecord, settings: Settings, invocation: Invocation) -> Prepared | None:
    """Each upload of the message finished or staged; None when its handling raised."""
    try:
        uploads = message.uploads()
        count("UploadEvents", len(uploads))  # duplicates and ignored keys included
        return [prepare(upload, settings, invocation) for upload in uploads]
    except Exception:
        logger.exception("upload message failed; it will be delivered again")
        count("UploadErrors")
        return None


def _started(
    staged: list[StagedFile], settings: Settings, invocation: Invocation
) -> dict[str, StartResult] | None:
    """The jobs of every staged file of the batch; None when starting them raised."""
    if not staged:
        return {}
    try:
        return start_jobs(staged, settings, invocation)
    except Exception:
        logger.exception("starting transform jobs failed; their uploads will be delivered again")
        count("UploadErrors")
        return None


def _result(
    item: StartResult | StagedFile, started: dict[str, StartResult] | None
) -> StartResult | None:
    if isinstance(item, StartResult):
        return item
    return None if started is None else started[item.id]


def backoff(base_seconds: int, receive_count: int) -> int:
    """Exponential from ``base_seconds`` per receive, capped, with jitter so that files that
    waited together do not all come back at the same moment."""
    delay = min(base_seconds * 2 ** max(0, receive_count - 1), MAX_BACKOFF_SECONDS)
    spread = random.uniform(0.75, 1.0)  # noqa: S311 (spreading retries, not a secret)
    return int(delay * spread)
