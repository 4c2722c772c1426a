"""PublishResults: a transform job of this app ended; publish the outcome of its file."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.events import parse_transform_event
from review_scorer.invocation import Invocation
from review_scorer.logic.publish_results import handle_job
from review_scorer.observability import count, logger, metrics, tracer
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings()
    invocation = Invocation(context.aws_request_id, context.get_remaining_time_in_millis)
    count("JobEvents")  # duplicates included: compare with FilesScored + FilesFailed
    job_name = parse_transform_event(event).detail.transform_job_name
    published = handle_job(job_name, settings, invocation)
    return {"job": job_name, "published": {s.source: s.status for s in published}}
