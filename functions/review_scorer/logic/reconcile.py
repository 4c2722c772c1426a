"""Reconciliation: uploads that have neither an outcome nor a job get another chance.

An S3 event can be lost, and a message can still reach the intake queue's dead-letter queue.
The sweep lists the current uploads under ``incoming/`` and puts an S3-shaped event for each
one older than ``RECONCILE_AFTER_SECONDS`` with no outcome and no transform job back in the
intake queue. StartScoring then does what it always does: a staged file (it waited for
capacity) is not read again and starts under the same capacity rules; an unstaged one is
staged. Sending rather than starting keeps the sweep's permissions small and the capacity rules
in one place; a duplicate of a message still waiting is harmless (every step is idempotent).
Each is counted in a metric.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

from review_scorer import bucket_keys
from review_scorer.aws import s3, sqs
from review_scorer.events import S3EventRecord
from review_scorer.invocation import Invocation
from review_scorer.logic.start_scoring import target_for
from review_scorer.observability import count, logger
from review_scorer.outcome.claims import is_taken
from review_scorer.settings import Settings
from review_scorer.transform import job_claims


def reconcile(settings: Settings, invocation: Invocation) -> dict[str, list[str]]:
    """Send every upload without outcome or job back to the intake queue; returns their keys
    (``staged``: staged and waiting for capacity, or its message lost; ``resent``: never
    staged)."""
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.reconcile_after_seconds)
    done: dict[str, list[str]] = {"staged": [], "resent": []}
    for upload in s3.latest_versions(settings.bucket_name, bucket_keys.INCOMING_PREFIX):
        if upload.last_modified <= cutoff and bucket_keys.is_under_incoming(upload.key):
            state = _state(upload, settings, invocation)
            if state:
                record = upload_record(settings.bucket_name, upload)
                event = {
                    "Records": [record.model_dump(by_alias=True, mode="json", exclude_none=True)]
                }
                sqs.send(settings.intake_queue_url, json.dumps(event))
                done[state].append(upload.key)
    if done["staged"] or done["resent"]:
        logger.warning("uploads without outcome or job sent to the intake queue again", sent=done)
    count("ReconciledStaged", len(done["staged"]))
    count("ReconciledUploads", len(done["resent"]))
    return done


def _state(upload: s3.ObjectVersion, settings: Settings, invocation: Invocation) -> str | None:
    """None when the upload has an outcome (or one in hand) or a job; else staged or not."""
    bucket = settings.bucket_name
    target = target_for(upload_record(bucket, upload), settings)
    if is_taken(bucket, target.job, invocation.request_id):
        return None
    if job_claims.job_of(bucket, target.job):
        return None
    return "staged" if s3.exists(bucket, bucket_keys.manifest_key(target.job)) else "resent"


def upload_record(bucket: str, upload: s3.ObjectVersion) -> S3EventRecord:
    """The S3 event record S3 would have sent for this upload (key URL-encoded as S3 does)."""
    obj: dict[str, object] = {
        "key": quote_plus(upload.key, safe="/"),
        "size": upload.size,
        "eTag": upload.etag,
    }
    if upload.version_id:
        obj["versionId"] = upload.version_id
    return S3EventRecord.model_validate(
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "eventTime": upload.last_modified.isoformat(),
            "s3": {"bucket": {"name": bucket}, "object": obj},
        }
    )


def upload_event(bucket: str, upload: s3.ObjectVersion) -> str:
    """The body S3 would have sent to the intake queue for this upload."""
    record = upload_record(bucket, upload)
    return json.dumps(
        {"Records": [record.model_dump(by_alias=True, mode="json", exclude_none=True)]}
    )
