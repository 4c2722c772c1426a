"""The scheduled sweep: completes this stack's finished jobs whose completion event was lost.

SageMaker's EventBridge events are delivered at least once but not guaranteed, so a job can end
with no event; the sweep finds it with ListTransformJobs and finishes it as PublishResults would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from review_scorer.aws import sagemaker
from review_scorer.invocation import Invocation
from review_scorer.logic.publish_results import handle_job
from review_scorer.observability import count, logger
from review_scorer.outcome.claims import is_taken
from review_scorer.settings import Settings

SWEEP_LOOKBACK = timedelta(days=7)


def sweep(settings: Settings, invocation: Invocation) -> list[str]:
    """Complete this stack's finished jobs that have no outcome yet (their event was lost)."""
    since = datetime.now(UTC) - SWEEP_LOOKBACK
    completed = []
    for name in sagemaker.finished_jobs(f"{settings.job_name_prefix}-", since):
        if is_taken(settings.bucket_name, name, invocation.request_id):
            continue
        logger.warning("finished job without an outcome: completing it", job=name)
        try:
            if handle_job(name, settings, invocation):
                completed.append(name)
        except Exception:
            logger.exception("sweep could not complete a job", job=name)
            count("SweepErrors")
    count("SweptJobs", len(completed))
    return completed
