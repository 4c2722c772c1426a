"""The local SageMaker endpoint's HTTP side: the AWS JSON 1.1 protocol botocore speaks.

botocore sends ``POST /`` with ``X-Amz-Target: SageMaker.<Operation>`` and a JSON body, and reads
errors from ``__type`` and ``message`` (the awsJson1_1 protocol of the SageMaker service model:
https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html). The operations themselves are
:class:`~review_scorer_local.sagemaker_endpoint.SageMakerEmulator`'s.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from review_scorer_local.sagemaker_endpoint import SageMakerEmulator
from review_scorer_local.sagemaker_faults import ApiError


def status_of(error: ApiError) -> int:
    """The HTTP status SageMaker answers the error with: 503 ServiceUnavailable, 500 internal
    failures, 400 the rest, throttling included
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html)."""
    if error.code == "ServiceUnavailable":
        return 503
    return 500 if "Internal" in error.code else 400


class SageMakerHttpServer:
    """Serves one emulator on a free port of 127.0.0.1 from a daemon thread."""

    def __init__(self, emulator: SageMakerEmulator) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                operation = self.headers.get("X-Amz-Target", "").partition(".")[2]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    status, payload = 200, emulator.call(operation, json.loads(body or b"{}"))
                except ApiError as exc:
                    status, payload = status_of(exc), {"__type": exc.code, "message": exc.message}
                data = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
