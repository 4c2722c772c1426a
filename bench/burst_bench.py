"""A burst of uploads under the account's transform quota: 40 files dropped at once.

Measured through the local flow in this process (moto's server, the local SageMaker with its
quota, the intake queue's event source mapping), with no quota, a quota of 4 and a quota of 1,
in one run: the wall time and files per minute here, how often StartScoring saw each file (a
file that must wait comes back through the queue), how many jobs ran and how many at most at
once. Local mode skips the waiting itself (a waiting file is released as soon as all else is
quiet), so the local wall time measures the work, not the queueing; what a user waits in AWS is
the jobs run in rounds of ``quota`` at the start-up docs/COST.md takes (5 minutes a job).
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import Any

from review_scorer.settings import Settings

FILES = 40
ROWS = 200
JOB_MINUTES = 5.0  # docs/COST.md: start-up billed per job (published reports: 3-8 minutes)


def _files(folder: Path) -> list[Path]:
    paths = []
    for n in range(FILES):
        lines = [
            f"{n}-{i},store {n} review {i}: fits well and I love the colour" for i in range(ROWS)
        ]
        path = folder / f"store-{n:02d}.csv"
        path.write_text("id,review_body\n" + "\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _one(quota: int | None, model: Path, files: list[Path], out: Path) -> dict[str, Any]:
    from review_scorer_local.flow import START_SCORING, LocalFlow
    from review_scorer_local.stack import LocalModeStack
    from review_scorer_local.stack_config import StackConfig

    most_at_once = 0
    # files above the fast-path limit: they go to jobs (shared, as by default)
    config = StackConfig(transform_instance_quota=quota, fast_path_max_rows=ROWS - 1)
    with LocalModeStack(config) as stack:
        stack.register_model(model)
        flow = LocalFlow(stack)
        flow.drain()  # the set-up's s3:TestEvent, which would take a place in the first batch
        assert stack.sagemaker is not None
        run_jobs = flow.run_pending_jobs

        def counting_run() -> list[str]:
            nonlocal most_at_once
            most_at_once = max(most_at_once, len(stack.sagemaker.pending()))  # type: ignore[union-attr]
            return run_jobs()

        flow.run_pending_jobs = counting_run  # type: ignore[method-assign]
        started = time.perf_counter()
        results = flow.run_files(files, out)
        seconds = time.perf_counter() - started
        jobs = len(stack.sagemaker.jobs)
    succeeded = sum(1 for r in results if r.summary and r.summary["status"] == "SUCCEEDED")
    deliveries = {id(d): d for r in results for d in r.deliveries if d.function == START_SCORING}
    handed = sum(len(d.event["Records"]) for d in deliveries.values())
    limit = Settings.model_fields["transform_instance_limit"].default
    at_once = min(quota if quota is not None else math.inf, limit)
    rounds = math.ceil(jobs / at_once)
    return {
        "quota": quota,
        "files": FILES,
        "succeeded": succeeded,
        "seconds": round(seconds, 2),
        "files_per_minute": round(FILES / seconds * 60, 1),
        "jobs": jobs,
        "most_jobs_at_once": most_at_once,
        "start_scoring_messages_per_file": round(handed / FILES, 2),
        "aws_minutes_estimate": rounds * JOB_MINUTES,
    }


def run(model: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="review-scorer-burst-") as tmp:
        folder = Path(tmp)
        files = _files(folder)
        return [_one(q, model, files, folder / f"out-{q}") for q in (None, 4, 1)]


def report(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    base = next(r for r in rows if r["quota"] is None)
    lines = [
        f"## Burst: {FILES} files of {ROWS} rows dropped at once, by the account's quota",
        "",
        f"The stack's TransformInstanceLimit is its default, "
        f"{Settings.model_fields['transform_instance_limit'].default}: without a quota it still "
        "runs at most that many instances at once.",
        "",
        "| account quota | SUCCEEDED | local wall s | files/min | vs no quota "
        "| messages per file | jobs | most at once | AWS wait estimate |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        quota = "none" if r["quota"] is None else r["quota"]
        ratio = base["seconds"] / r["seconds"] if r["seconds"] else 0
        lines.append(
            f"| {quota} | {r['succeeded']}/{r['files']} | {r['seconds']} | {r['files_per_minute']} "
            f"| {ratio:.2f} | {r['start_scoring_messages_per_file']} | {r['jobs']} "
            f"| {r['most_jobs_at_once']} "
            f"| {r['aws_minutes_estimate']:.0f} min |"
        )
    lines += [
        "",
        "AWS wait estimate: the jobs in rounds of min(quota, limit) at "
        f"{JOB_MINUTES:.0f} minutes a job (start-up dominates; docs/COST.md). Local mode "
        "releases waiting files at once, so its wall time is the work done, including the "
        "retries of waiting files.",
        "",
    ]
    return lines
