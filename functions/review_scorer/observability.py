"""The one Logger of the app. Structured keys, never review text.

Logs go to stderr: in Lambda both streams reach CloudWatch, and in local mode stdout stays free
for the command's own output (``--json`` prints exactly one document per file there).
"""

from __future__ import annotations

import sys

from aws_lambda_powertools import Logger

logger = Logger(service="review-scorer", stream=sys.stderr)
