"""The scoring API: one function behind the HTTP API's routes (docs/API.md)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.api.routes import respond
from review_scorer.observability import logger, metrics, tracer
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
# Not the response in the trace: it holds presigned URLs, which are credentials for 300 s.
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The settings are loaded inside respond's guard: a bad configuration is a 500 answer too.
    return respond(event, load_settings, context.aws_request_id)
