"""The one Logger, Metrics and Tracer of the app. Structured keys, never review text.

Logs go to stderr: in Lambda both streams reach CloudWatch, and in local mode stdout stays free
for the command's own output. Metrics are CloudWatch embedded-metric JSON lines on stdout (the
Lambda way); local mode collects them from there and shows them.
"""

from __future__ import annotations

import os
import sys

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from review_scorer.errors import InputError
from review_scorer.summary import SUCCEEDED, Summary

# The template sets it per stack (ServiceName), so each stack's alarms see only its own files.
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "review-scorer")
NAMESPACE = "ReviewScorer"

logger = Logger(service=SERVICE, stream=sys.stderr)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
tracer = Tracer(service=SERVICE)


def _input_error_codes() -> set[str]:
    found, todo = set(), [InputError]
    while todo:
        cls = todo.pop()
        found.add(cls.code)
        todo.extend(cls.__subclasses__())
    return found


REFUSAL_CODES = _input_error_codes()


def count(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count) -> None:
    metrics.add_metric(name=name, unit=unit, value=value)


def record_outcome(summary: Summary) -> None:
    """Files scored, refused (the file itself was wrong) or failed (anything else); rows by
    fate, and rows per label (a dimension, one metric line per label)."""
    if summary.status == SUCCEEDED:
        count("FilesScored")
    elif summary.error and summary.error.code in REFUSAL_CODES:
        count("FilesRefused")
    else:
        count("FilesFailed")
    rows = summary.rows
    for name, value in (
        ("RowsScored", rows.scored),
        ("RowsEmpty", rows.empty),
        ("RowsRejected", rows.rejected),
    ):
        if value:
            count(name, value)
    for label, value in summary.labels.items():
        with single_metric(
            name="LabelRows", unit=MetricUnit.Count, value=value, namespace=NAMESPACE
        ) as metric:
            metric.add_dimension(name="service", value=SERVICE)
            metric.add_dimension(name="label", value=label)
