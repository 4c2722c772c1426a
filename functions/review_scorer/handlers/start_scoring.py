"""StartScoring: uploads arrived through the intake queue; stage each and start its job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.events import parse_intake_event
from review_scorer.invocation import Invocation
from review_scorer.logic.intake import handle_batch
from review_scorer.observability import logger, metrics, tracer
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings()
    invocation = Invocation(context.aws_request_id, context.get_remaining_time_in_millis)
    retry = handle_batch(parse_intake_event(event), settings, invocation)
    # The partial batch response: only these messages come back (ReportBatchItemFailures).
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in retry]}
