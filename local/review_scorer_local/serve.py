"""``review-scorer serve``: the web page and its API on 127.0.0.1, over the whole local stack.

The page (``site/index.html``) is served at ``/`` and the API function's handler answers
``/api/...`` through the HTTP API's payload format 2.0 (:mod:`.site_requests`,
:mod:`.http_api`). An upload goes where a deployed one goes: the browser posts the presigned
form to the local bucket, S3's event reaches the intake queue, and a background thread pumps
the pipeline (:class:`~review_scorer_local.flow.LocalFlow`) every half second.

The presigned POST must be same-origin for the page, and moto listens on a port of its own:
``AWS_ENDPOINT_URL_S3`` (boto3's service-specific endpoint,
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html) points the API
function's S3 client at this server's ``/s3`` proxy to moto, for the API function only. The
functions share one process, one ``os.environ`` and one set of cached clients, so every handler
call holds :attr:`LocalSite.lock`: an API call between two steps of the pipeline, never inside
one.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any

from review_scorer.aws import clients
from review_scorer.errors import ScoringError
from review_scorer.handlers import api
from review_scorer_local.file_results import Delivery, Notification
from review_scorer_local.flow import LocalFlow
from review_scorer_local.http_api import HttpResponse, http_response
from review_scorer_local.lambda_invoke import invoke_once
from review_scorer_local.site_requests import S3_PREFIX, SiteServer
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.stack_config import StackConfig

API_FUNCTION = "ApiFunction"
PUMP_SECONDS = 0.5
PAGE = Path(__file__).resolve().parents[2] / "site" / "index.html"


class LockedFlow(LocalFlow):
    """The local flow whose every step (each a handler call or a transform job) holds ``lock``."""

    def __init__(self, stack: LocalModeStack, lock: threading.Lock) -> None:
        super().__init__(stack)
        self.lock = lock

    def deliver_uploads(self) -> list[Delivery]:
        with self.lock:
            return super().deliver_uploads()

    def run_pending_jobs(self) -> list[str]:
        with self.lock:
            return super().run_pending_jobs()

    def deliver_job_events(self) -> list[Delivery]:
        with self.lock:
            return super().deliver_job_events()


class LocalSite:
    """The page, the API and the pipeline, running until the ``with`` block ends."""

    def __init__(self, model: Path, *, port: int = 8080, page: Path = PAGE) -> None:
        self.model, self.port, self.page = model, port, page
        self.config = StackConfig()
        self.lock = threading.Lock()
        self._stopping = threading.Event()
        self._resources = ExitStack()
        self.stack: LocalModeStack | None = None
        self.flow: LockedFlow | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> LocalSite:
        if not self.page.is_file():
            raise ScoringError(f"the page {self.page} does not exist")
        with ExitStack() as resources:
            try:
                server = SiteServer(self.port, self)
            except OSError as error:
                raise ScoringError(f"cannot listen on 127.0.0.1:{self.port}: {error}") from None
            resources.callback(server.server_close)
            self.port = server.server_address[1]
            self.stack = resources.enter_context(LocalModeStack(self.config))
            self.stack.register_model(self.model)
            self.flow = LockedFlow(self.stack, self.lock)
            threads = [
                threading.Thread(target=server.serve_forever, name="serve-http", daemon=True),
                threading.Thread(target=self._pump, name="serve-pipeline", daemon=True),
            ]
            for thread in threads:
                thread.start()
            resources.callback(self._stop, server, threads)
            self._resources = resources.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._resources.close()

    def moto_address(self) -> tuple[str, int]:
        assert self.stack is not None, "the site is not running"
        host, port = self.stack.moto_server.get_host_and_port()
        return str(host), int(port)

    def call_api(self, event: dict[str, Any]) -> HttpResponse:
        """One request to the API function, its S3 client presigning against this server's
        ``/s3`` proxy (an IP address: path style, see :mod:`.site_requests`)."""
        assert self.stack is not None, "the site is not running"
        with self.lock:
            os.environ.update(self.stack.function_environment())
            os.environ["AWS_ENDPOINT_URL_S3"] = f"http://127.0.0.1:{self.port}{S3_PREFIX}"
            clients.reset()
            try:
                invocation = invoke_once(api.lambda_handler, event, API_FUNCTION)
            finally:
                os.environ.pop("AWS_ENDPOINT_URL_S3", None)
                clients.reset()
        if invocation.error:
            print(f"{API_FUNCTION} failed: {invocation.error}", file=sys.stderr, flush=True)
        return http_response(invocation.result, invocation.error)

    def _pump(self) -> None:
        """Move uploads through the pipeline until stopped; print each file's outcome."""
        assert self.flow is not None
        while not self._stopping.wait(PUMP_SECONDS):
            try:
                self.flow.drain()
                with self.lock:  # a handler call redirects stdout while it runs
                    for notification in self.flow.notifications():
                        print(outcome_line(notification), flush=True)
            except Exception:  # shown; the next round tries again
                traceback.print_exc()

    def _stop(self, server: SiteServer, threads: list[threading.Thread]) -> None:
        self._stopping.set()
        server.shutdown()
        for thread in threads:
            thread.join(timeout=60)


def outcome_line(notification: Notification) -> str:
    """``incoming/web/.../reviews.csv: SUCCEEDED, 20 rows scored`` (no review text)."""
    body = notification.body
    source = str(body.get("source", "")).split("/", 3)[-1]
    if body.get("status") == "SUCCEEDED":
        return f"{source}: SUCCEEDED, {body.get('rows', {}).get('scored', 0)} rows scored"
    return f"{source}: {body.get('status')} {(body.get('error') or {}).get('code', '')}"


def run(*, port: int, model: Path, page: Path = PAGE) -> int:
    """Serve until SIGINT (Ctrl-C) or SIGTERM, then stop everything and return 0."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with LocalSite(model, port=port, page=page) as site:
            print(f"review-scorer: serving {site.url} (Ctrl-C to stop)", flush=True)
            while not stop.wait(0.5):
                pass
            print("review-scorer: stopping", flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
