"""moto's server in this process, made to keep two S3 promises the app relies on.

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


def versioned_event_records() -> None:
    """Patch moto's S3 event records (once per process) to carry ``versionId``.

    S3 puts the object's ``versionId`` in the event when the bucket is versioned
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html);
    moto leaves it out. Job names derive from it, so the sweep (which lists versions) and
    StartScoring (which reads the event) must see the same.
    """
    from moto.s3 import notifications  # the local extra

    original = notifications._get_s3_event
    if getattr(original, "review_scorer_versioned", False):
        return

    def with_version(event_name: str, bucket: Any, key: Any, notification_id: str) -> Any:
        event = original(event_name, bucket, key, notification_id)
        version = getattr(key, "version_id", None)
        if version and version != "null":
            for record in event["Records"]:
                record["s3"]["object"]["versionId"] = version
        return event

    with_version.review_scorer_versioned = True  # type: ignore[attr-defined]
    notifications._get_s3_event = with_version


def start_moto() -> Any:
    """moto's server on a free port of 127.0.0.1, quiet, with S3 as documented: atomic
    conditional writes, version ids in event records."""
    from moto.server import ThreadedMotoServer  # the local extra

    atomic_conditional_writes()
    versioned_event_records()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server
