"""A file's claim on a transform job: one file is never in two jobs.

Before a job starts, the invocation starting it claims each of its files with an S3 conditional
write of ``staging/<file>/job-claim.json`` (``IfNoneMatch``; ``IfMatch`` to take a claim over,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html). The claim names
its owner (the Lambda request id) and, once the files are grouped, the job. A claim is taken
over only when it was released (the job could not start: the file waits), is the caller's own
(a Lambda retry of the same invocation), or was left by an invocation that died before its job
started; never while it names a job that exists. So a redelivered message, or two deliveries
of one upload in two invocations at once, cannot put one file into two jobs.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel

from review_scorer.aws import s3, sagemaker
from review_scorer.bucket_keys import job_claim_key
from review_scorer.invocation import STALE_CLAIM_SECONDS


class JobClaim(BaseModel):
    state: Literal["claimed", "released"]
    owner: str
    at: float
    job: str | None = None


def claim(bucket: str, file: str, owner: str) -> bool:
    """Claim ``file`` for a job ``owner`` is about to start; False when it is in a job already,
    or another live invocation holds it."""
    mine = JobClaim(state="claimed", owner=owner, at=time.time()).model_dump_json()
    return s3.claim_json(bucket, job_claim_key(file), mine, lambda held: _free(held, owner))


def _free(document: object, owner: str) -> bool:
    """A claim may be taken over unless it names a job that exists, or another live invocation
    holds it."""
    held = JobClaim.model_validate(document)
    if held.job and sagemaker.describe_transform_job(held.job):
        return False
    free = held.state == "released" or held.owner == owner
    return free or time.time() - held.at > STALE_CLAIM_SECONDS


def assign(bucket: str, file: str, owner: str, job: str) -> None:
    """Record the job the caller's claim on ``file`` is for, before the job is created."""
    done = JobClaim(state="claimed", owner=owner, at=time.time(), job=job)
    s3.put_json(bucket, job_claim_key(file), done.model_dump_json())


def release(bucket: str, file: str, owner: str) -> None:
    """Give the claim up: the job did not start, and the file will come back."""
    freed = JobClaim(state="released", owner=owner, at=time.time())
    s3.put_json(bucket, job_claim_key(file), freed.model_dump_json())


def job_of(bucket: str, file: str) -> str | None:
    """The existing transform job ``file`` is in, if any."""
    key = job_claim_key(file)
    if not s3.exists(bucket, key):
        return None
    held = JobClaim.model_validate(s3.read_json(bucket, key))
    if held.job and sagemaker.describe_transform_job(held.job):
        return held.job
    return None
