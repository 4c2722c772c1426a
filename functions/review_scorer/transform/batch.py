"""Which staged files share a transform job, and the job's record of them.

A job's start-up is minutes of billed instance time whatever it scores (public reports: 3-8
minutes), so files that arrive together share one: files whose shards fit the limits
(``JOB_MAX_FILES``, ``JOB_MAX_BYTES``) are packed into jobs in arrival order. A file larger than
a job's bytes, or with more than one shard, keeps a job of its own, named after the file as
before, which spreads its shards over several instances.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from review_scorer.settings import Settings
from review_scorer.transform.jobs import digest_name
from review_scorer.transform.manifest import Manifest


class JobFiles(BaseModel):
    """``staging/<job>/files.json``: the files (their ids) a job scores, written before the job
    starts; PublishResults splits the job's outputs by it."""

    job: str
    files: list[str] = Field(min_length=1)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())


def plan(files: list[Manifest], settings: Settings) -> list[list[Manifest]]:
    """Group staged files into jobs, in order: large files alone, the others packed."""
    groups: list[list[Manifest]] = []
    open_group: list[Manifest] = []
    open_bytes = 0
    for manifest in files:
        size = manifest.staged_bytes
        if len(manifest.shards) > 1 or size > settings.job_max_bytes:
            groups.append([manifest])
            continue
        full = len(open_group) >= settings.job_max_files
        if open_group and (full or open_bytes + size > settings.job_max_bytes):
            groups.append(open_group)
            open_group, open_bytes = [], 0
        open_group.append(manifest)
        open_bytes += size
    if open_group:
        groups.append(open_group)
    return groups


def shared_job_name(prefix: str, files: list[str]) -> str:
    """The job of ``files``: a lone file's job is named after the file (its id is a job name);
    a shared job after the set of its files, so the same files always make the same name."""
    if len(files) == 1:
        return files[0]
    return digest_name(prefix, "shared job\n" + "\n".join(sorted(files)))
