"""StartScoring: an object landed under incoming/; stage it and start its transform job."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.events import parse_s3_event
from review_scorer.observability import logger
from review_scorer.services.start_scoring import handle_record
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings()
    records = parse_s3_event(event).records
    remaining = context.get_remaining_time_in_millis
    return {"outcomes": [handle_record(r, settings, remaining).value for r in records]}
