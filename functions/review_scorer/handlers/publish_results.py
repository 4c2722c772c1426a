"""PublishResults: a transform job of this app finished; publish its outcome once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from review_scorer.events import parse_transform_event
from review_scorer.observability import logger
from review_scorer.services.publish_results import handle_job
from review_scorer.settings import load_settings


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = load_settings()
    job_name = parse_transform_event(event).detail.transform_job_name
    summary = handle_job(job_name, settings)
    return {"job": job_name, "status": summary.status if summary else None}
