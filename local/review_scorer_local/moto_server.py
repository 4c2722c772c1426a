"""moto's server in this process, made to keep the one S3 promise the app's claims rely on.

S3 conditional writes are atomic: of two concurrent ``PutObject`` calls with
``If-None-Match: *`` on one key, one succeeds and the other gets 412 Precondition Failed (or 409
ConditionalRequestConflict), and ``If-Match`` is a compare-and-swap on the ETag
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). moto checks
the condition and then writes, in two steps that concurrent requests can interleave, so two
claims could both win. Serialising moto's PutObject handling restores the atomicity; moto keeps
every object in memory, so the lock costs nothing measurable.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

_PUT_LOCK = threading.Lock()


def atomic_conditional_writes() -> None:
    """Patch moto's S3 PutObject handler (once per process) to run one request at a time."""
    from moto.s3.responses import S3Response  # the local extra

    original = S3Response.put_object
    if getattr(original, "review_scorer_atomic", False):
        return

    def put_object(self: Any) -> Any:
        with _PUT_LOCK:
            return original(self)

    put_object.review_scorer_atomic = True  # type: ignore[attr-defined]
    S3Response.put_object = put_object  # type: ignore[method-assign]


def start_moto() -> Any:
    """moto's server on a free port of 127.0.0.1, quiet, with atomic conditional writes."""
    from moto.server import ThreadedMotoServer  # the local extra

    atomic_conditional_writes()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server
