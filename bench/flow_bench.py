"""The whole local flow on generated CSVs: wall time split by stage, and peak memory.

    python -m bench.flow_bench [--rows 100000] [--data ../shared/data] [--model M] [--no-cli]

For each size a CSV is written (id, category, review, note; one review in 97 empty): the raw
Women's Clothing review texts when the data folder holds them (about 300 characters each, so
the figures mean "per real review"), else the project's synthetic reviews. Two runs:

1. **Stages.** A child process (``--child``) drives the same local stack and flow that
   ``review-scorer local run`` uses (``LocalModeStack`` + ``LocalFlow``, handlers unchanged) one
   stage at a time: upload to S3, the S3 event to StartScoring, the pending transform job
   (the model scoring every shard), the EventBridge event to PublishResults, the download of the
   labeled CSV. moto's server runs in a process of its own, so its object store does not count
   in the child's memory; its own peak is reported apart. Before each stage the child resets its
   high-water mark (``/proc/self/clear_refs``), so each stage has its own peak RSS (VmHWM).
2. **CLI.** ``review-scorer local run`` itself in a child process (moto inside it, as a user runs
   it): its wall time and peak RSS, as the check that the staged run measures the same thing.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.local_aws import moto_process
from bench.peak import ENV, peak_rss_mb
from bench.scoring_bench import review_texts

STAGES = ("upload", "start_scoring", "transform", "publish_results", "download")
APP_STAGES = ("start_scoring", "transform", "publish_results")  # the app's own code at work
CATEGORIES = ("Dresses", "Knits", "Jeans")


def write_reviews(path: Path, rows: int, texts: list[str] | None = None, seed: int = 11) -> int:
    """A CSV with an id, a category, the review and a note; returns its size in bytes.

    Reviews are drawn from ``texts`` when given, else generated (the synthetic corpus)."""
    from review_scorer_training.synthetic import LABELS, review

    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["review_id", "product_category", "review_body", "note"])
        for i in range(rows):
            if i % 97 == 0:
                text = ""
            elif texts:
                text = texts[rng.randrange(len(texts))]
            else:
                text = review(rng.choice(LABELS), rng)
            writer.writerow([f"r-{i:07d}", rng.choice(CATEGORIES), text, ""])
    return path.stat().st_size


def check_order(csv_path: Path, labeled: Path) -> bool:
    """Every row came back, in the original order, and every non-empty one has a label."""
    with csv_path.open(newline="", encoding="utf-8") as a, labeled.open(newline="") as b:
        for before, after in zip(csv.DictReader(a), csv.DictReader(b), strict=True):
            if before["review_id"] != after["review_id"]:
                return False
            if bool(before["review_body"].strip()) != (after["scoring_status"] == "scored"):
                return False
    return True


# -- the staged run ---------------------------------------------------------------------------


def vm_hwm_mb(pid: int | str = "self") -> float:
    """VmHWM of a process (this one by default), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def _reset_peak() -> None:
    """Set this process's VmHWM back to its current RSS (Linux 4.0+)."""
    Path("/proc/self/clear_refs").write_text("5")


class _ExternalMoto:
    """What ``LocalModeStack`` needs of a moto server it does not own: where it listens."""

    def __init__(self, url: str) -> None:
        host, _, port = url.removeprefix("http://").partition(":")
        self._address = (host, int(port))

    def get_host_and_port(self) -> tuple[str, int]:
        return self._address


def child(csv_path: str, model: str, out_dir: str, moto_url: str) -> None:
    """One file through the local flow, stage by stage; prints the timings as JSON."""
    from review_scorer_local.flow import LocalFlow
    from review_scorer_local.stack import LocalModeStack
    from review_scorer_local.stack_config import StackConfig
    from review_scorer_local.transform_inputs import S3Location

    setup_started = time.perf_counter()
    stages: dict[str, dict[str, float]] = {}
    overall_peak = 0.0

    @contextlib.contextmanager
    def stage(name: str) -> Iterator[None]:
        nonlocal overall_peak
        overall_peak = max(overall_peak, vm_hwm_mb())
        _reset_peak()
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        peak = vm_hwm_mb()
        overall_peak = max(overall_peak, peak)
        stages[name] = {"s": round(seconds, 3), "peak_rss_mb": round(peak, 1)}

    moto = _ExternalMoto(moto_url) if moto_url != "-" else None  # "-": moto in this process
    # the batch path, stage by stage (bench.fast_path_bench measures the fast path)
    config = StackConfig(fast_path_max_rows=0)
    with LocalModeStack(config, moto_server=moto) as stack:
        stack.register_model(Path(model))
        flow = LocalFlow(stack)
        s3 = stack.client("s3")
        setup_s = time.perf_counter() - setup_started
        # LocalFlow.drain, one step at a time: each step is what AWS would do next.
        with stage("upload"):
            flow.upload(Path(csv_path))
        with stage("start_scoring"):
            started = flow.deliver_uploads()
        with stage("transform"):
            jobs = flow.run_pending_jobs()
        with stage("publish_results"):
            published = flow.deliver_job_events()
        leftover = flow.drain()  # nothing is expected; a redelivery would show here
        notifications = flow.notifications()
        summary = notifications[-1].body if notifications else {}
        if summary.get("status") != "SUCCEEDED":
            raise RuntimeError(f"the flow did not succeed: {summary}")
        target = S3Location.parse(summary["results"])
        labeled = Path(out_dir) / Path(target.key).name
        labeled.parent.mkdir(parents=True, exist_ok=True)
        with stage("download"):
            s3.download_file(target.bucket, target.key, str(labeled))
    failed = [d.function for d in [*started, *published, *leftover] if d.invocation.error]
    print(
        json.dumps(
            {
                "stages": stages,
                "setup_s": round(setup_s, 2),
                "peak_rss_mb": round(max(overall_peak, peak_rss_mb()), 1),
                "jobs": len(jobs),
                "start_scoring_outcomes": [d.invocation.result for d in started],
                "publish_results_deliveries": len(published),
                "later_deliveries": len(leftover),
                "failed_invocations": failed,
                "labeled_csv": str(labeled),
                "summary": summary,
            }
        )
    )


def run_stages(csv_path: Path, model: Path, out: Path) -> dict[str, Any]:
    with moto_process() as (url, moto_pid):
        started = time.perf_counter()
        process = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.flow_bench",
                "--child",
                str(csv_path),
                str(model),
                str(out),
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        moto_peak = vm_hwm_mb(moto_pid)
    if process.returncode != 0:
        raise RuntimeError(f"staged flow failed: {process.stderr[-2000:]}")
    measured: dict[str, Any] = json.loads(process.stdout.splitlines()[-1])
    if measured["failed_invocations"]:
        raise RuntimeError(f"failed invocations: {measured['failed_invocations']}")
    measured["child_wall_s"] = round(wall, 2)
    measured["moto_peak_rss_mb"] = round(moto_peak, 1)
    return measured


# -- the CLI run ------------------------------------------------------------------------------


def run_cli(csv_path: Path, model: Path, out: Path) -> dict[str, Any]:
    """``review-scorer local run`` in a child process; its wall time and its own peak RSS."""
    peak_file = out.parent / "peak.txt"
    command = ["review_scorer_local", "local", "run", str(csv_path), "--model", str(model)]
    command += ["--fast-path-max-rows", "0"]  # the batch path, as the staged run
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-m", "bench.peak", *command, "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, ENV: str(peak_file)},
    )
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"local run failed: {process.stderr[-2000:]}")
    summary = json.loads(process.stdout.splitlines()[-1])
    if summary["status"] != "SUCCEEDED":
        raise RuntimeError(f"local run did not succeed: {summary}")
    return {"wall_s": round(wall, 2), "peak_rss_mb": float(peak_file.read_text())}


# -- one size ---------------------------------------------------------------------------------


def run(
    rows: int,
    model: Path,
    *,
    data: Path | None = None,
    cli: bool = True,
) -> dict[str, Any]:
    """Both runs on one generated CSV of ``rows`` rows (real reviews when ``data`` has them)."""
    texts, source = review_texts(data)
    with tempfile.TemporaryDirectory(prefix="review-scorer-bench-") as tmp:
        csv_path = Path(tmp) / f"reviews_{rows}.csv"
        size = write_reviews(csv_path, rows, texts)
        staged = run_stages(csv_path, model, Path(tmp) / "staged")
        in_order = check_order(csv_path, Path(staged.pop("labeled_csv")))
        cli_run = run_cli(csv_path, model, Path(tmp) / "cli" / "out") if cli else None
    summary = staged.pop("summary")
    stages = staged.pop("stages")
    total = sum(s["s"] for s in stages.values())
    app_peak = max(stages[name]["peak_rss_mb"] for name in APP_STAGES)
    result: dict[str, Any] = {
        "rows": rows,
        "texts": source,
        "input_mb": round(size / 1e6, 2),
        "stages": stages,
        "stages_s": round(total, 2),
        "rows_per_s": round(rows / total),
        "mb_per_s": round(size / 1e6 / total, 2),
        "app_peak_rss_mb": app_peak,
        **staged,
        "status": summary["status"],
        "row_counts": summary["rows"],
        "all_rows_back_in_order": in_order,
    }
    if cli_run:
        result["cli"] = cli_run
        result["stages_to_cli_wall"] = round(total / cli_run["wall_s"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", type=Path, help="model.tar.gz (default: the default model)")
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--no-cli", action="store_true", help="skip the `local run` cross-check")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.model is None:  # as make bench: the tuned defaults on the data, else the demo model
        from bench.scoring_bench import default_model

        args.model, _ = default_model(args.data, Path("bench/out/default-model"), args.cache)
    results = [run(n, args.model, data=args.data, cli=not args.no_cli) for n in args.rows]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
