"""Sweep: the schedule fired; complete finished jobs without an outcome, and give uploads that
have neither an outcome nor a job another chance."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.events import parse_scheduled_event
from review_scorer.invocation import Invocation
from review_scorer.logic.reconcile import reconcile
from review_scorer.logic.sweep import sweep
from review_scorer.observability import count, logger, metrics, tracer
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    parse_scheduled_event(event)  # anything but the schedule's event is refused, loudly
    settings = load_settings()
    invocation = Invocation(context.aws_request_id, context.get_remaining_time_in_millis)
    count("SweepRuns")
    return {"swept": sweep(settings, invocation), **reconcile(settings, invocation)}
