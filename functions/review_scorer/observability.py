"""The one Logger, Metrics and Tracer of the app. Structured keys, never review text.

Logs go to stderr: in Lambda both streams reach CloudWatch, and in local mode stdout stays free
for the command's own output. Metrics are CloudWatch embedded-metric JSON lines on stdout (the
Lambda way); local mode collects them from there and shows them.
"""

from __future__ import annotations

import os
import sys

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# The template sets it per stack (ServiceName), so each stack's alarms see only its own files.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "review-scorer")
NAMESPACE = "ReviewScorer"

logger = Logger(service=SERVICE, stream=sys.stderr)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
tracer = Tracer(service=SERVICE)


def count(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
    metrics.add_metric(name=name, unit=unit, value=value)
