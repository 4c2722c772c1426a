"""StartScoring: an object landed under incoming/; stage it and start its transform job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.events import parse_s3_event
from review_scorer.invocation import Invocation
from review_scorer.logic.start_scoring import handle_record
from review_scorer.observability import count, logger, metrics, tracer
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings()
    invocation = Invocation(context.aws_request_id, context.get_remaining_time_in_millis)
    records = parse_s3_event(event).records
    count("UploadEvents", len(records))  # duplicates and ignored keys included
    return {"outcomes": [handle_record(r, settings, invocation).value for r in records]}
