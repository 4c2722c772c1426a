"""The fast path against the batch path, and shared jobs against one job per file.

    python -m bench.fast_path_bench [--model M]

1. **Upload to message.** Files of 20, 1,000 and 10,000 rows through the local flow (a child
   process drives ``LocalModeStack`` + ``LocalFlow`` with moto's server in a process of its own,
   as ``bench.flow_bench`` does), once on the fast path and once forced onto the batch path
   (``fast_path_max_rows=0``); each twice in one container, so the first run loads the model
   (cold) and the second finds it loaded (warm). Per run: StartScoring's handler time, the
   transform job's and PublishResults' times, and the peak RSS of StartScoring.
2. **Throughput.** The warm fast path's rows per second on the 10,000-row file against the bare
   tokenizer plus bare fastText predict on the same reviews, in this process, in the same run.
3. **Memory.** StartScoring's peak RSS on the fast path with the given model and with a model of
   about 300 MB (trained here: dim 100, 750,000 buckets).
4. **Bursts.** 40 files above the fast-path limit dropped at once, with shared jobs (the
   default) and with one job per file (``job_max_files=1``): jobs, instances and instance-minutes
   at the start-up docs/COST.md takes (5 minutes a job).

What a user waits in AWS: the fast path is StartScoring's handler time (its 2,048 MB give a full
vCPU: single-threaded, it runs as here) plus the intake batching window; the batch path is
StartScoring's time plus a job's start-up (published: 3-8 minutes; 5 used) plus the scoring plus
PublishResults' time at its 0.58 vCPU (1,024 MB).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.flow_bench import _ExternalMoto, _reset_peak, vm_hwm_mb, write_reviews
from bench.local_aws import moto_process
from bench.scoring_bench import review_texts

SIZES = (20, 1_000, 10_000)
STARTUP_MIN = 5.0  # docs/COST.md: start-up billed per job (published reports: 3-8 minutes)
BATCHING_WINDOW_S = 5  # the template's IntakeBatchingWindowSeconds default
PUBLISH_CPU = 1769 / 1024  # PublishResults' 1,024 MB are 0.58 of a vCPU (1,769 MB = 1 vCPU)
BURST_FILES, BURST_ROWS = 40, 200


def child(csv_path: str, model: str, moto_url: str, fast_rows: int) -> None:
    """One file through the flow twice (a cold, then a warm container); prints JSON."""
    from review_scorer.model import loader
    from review_scorer_local.flow import LocalFlow
    from review_scorer_local.stack import LocalModeStack
    from review_scorer_local.stack_config import StackConfig

    config = StackConfig(fast_path_max_rows=fast_rows)
    runs = []
    with LocalModeStack(config, moto_server=_ExternalMoto(moto_url)) as stack:
        stack.register_model(Path(model))
        loader.reset(Path(tempfile.mkdtemp()) / "model")  # a new container: empty /tmp
        flow = LocalFlow(stack)
        flow.drain()  # the stack's set-up events (S3's test event)
        for container in ("cold", "warm"):
            times: dict[str, float] = {}
            key = f"incoming/{container}/{Path(csv_path).name}"
            flow.upload(Path(csv_path), key)
            _reset_peak()
            for stage, step in (
                ("start_scoring", flow.deliver_uploads),
                ("transform", flow.run_pending_jobs),
                ("publish_results", flow.deliver_job_events),
            ):
                started = time.perf_counter()
                step()
                times[stage] = round(time.perf_counter() - started, 4)
                if stage == "start_scoring":
                    times["start_scoring_peak_rss_mb"] = round(vm_hwm_mb(), 1)
            (note,) = flow.notifications()
            if note.body["status"] != "SUCCEEDED":
                raise RuntimeError(f"the flow did not succeed: {note.body}")
            load = loader.last_load()
            runs.append(
                {
                    "container": container,
                    **times,
                    "scored_by": note.body["scored_by"],
                    "rows_scored": note.body["rows"]["scored"],
                    "model_load": load.source if load else None,
                    "model_load_s": round(load.seconds, 3) if load else None,
                }
            )
    print(json.dumps(runs))


def _flow(csv_path: Path, model: Path, moto_url: str, fast_rows: int) -> list[dict[str, Any]]:
    args = [sys.executable, "-m", "bench.fast_path_bench", "--child", str(csv_path), str(model)]
    process = subprocess.run(
        [*args, moto_url, str(fast_rows)], capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        raise RuntimeError(f"fast path child failed: {process.stderr[-2000:]}")
    runs: list[dict[str, Any]] = json.loads(process.stdout.splitlines()[-1])
    return runs


def _bare_rows_per_s(texts: list[str], model: Path) -> float:
    """The bare tokenizer plus the bare fastText predict, one review at a time."""
    from review_scorer.model.scorer import FastTextScorer
    from review_scorer.tokenizer import tokenize

    scorer = FastTextScorer.from_archive(model, where=str(model))
    predict = scorer.predict_line
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in texts:
            tokens = tokenize(text)
            if tokens:
                predict(" ".join(tokens) + "\n", 1)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def _reviews(csv_path: Path) -> list[str]:
    """The file's reviews, as the fast path reads them (empty ones are not scored)."""
    import csv

    with csv_path.open(newline="", encoding="utf-8") as f:
        return [row["review_body"] for row in csv.DictReader(f) if row["review_body"].strip()]


def big_model(folder: Path) -> Path:
    """A model of about 300 MB (dim 100, 750,000 buckets) on the synthetic corpus."""
    from review_scorer_training.fasttext_local import Hyperparameters, train_model
    from review_scorer_training.synthetic import corpus

    hp = Hyperparameters(dim=100, bucket=750_000, epoch=1)
    return train_model(corpus(), folder / "model.tar.gz", name="bench-300mb", hyperparameters=hp)


def _burst(model: Path, job_max_files: int, folder: Path) -> dict[str, Any]:
    from review_scorer_local.flow import LocalFlow
    from review_scorer_local.stack import LocalModeStack
    from review_scorer_local.stack_config import StackConfig

    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n in range(BURST_FILES):
        path = folder / f"store-{n:02d}.csv"
        write_reviews(path, BURST_ROWS, seed=n)
        files.append(path)
    config = StackConfig(fast_path_max_rows=0, job_max_files=job_max_files)
    with LocalModeStack(config) as stack:
        stack.register_model(model)
        flow = LocalFlow(stack)
        flow.drain()
        results = flow.run_files(files, folder / f"out-{job_max_files}")
        assert stack.sagemaker is not None
        jobs = stack.sagemaker.jobs.values()
        instances = sum(int(j["TransformResources"]["InstanceCount"]) for j in jobs)
        scoring_min = sum(
            int(j["TransformResources"]["InstanceCount"])
            * (j["TransformEndTime"] - j["TransformStartTime"])
            / 60
            for j in jobs
        )
    succeeded = sum(1 for r in results if r.summary and r.summary["status"] == "SUCCEEDED")
    return {
        "job_max_files": job_max_files,
        "succeeded": succeeded,
        "jobs": len(jobs),
        "instances": instances,
        "instance_minutes": round(instances * STARTUP_MIN + scoring_min, 2),
    }


def run(model: Path, data: Path | None = None) -> dict[str, Any]:
    texts, source = review_texts(data)
    with tempfile.TemporaryDirectory(prefix="review-scorer-fast-") as tmp:
        folder = Path(tmp)
        flows: list[dict[str, Any]] = []
        with moto_process() as (url, _):
            for rows in SIZES:
                csv_path = folder / f"reviews-{rows}.csv"
                write_reviews(csv_path, rows, texts)
                for path, fast_rows in (("fast", 10_000), ("batch", 0)):
                    for one in _flow(csv_path, model, url, fast_rows):
                        flows.append({"rows": rows, "path": path, **one})
            big = big_model(folder / "big")
            big_mb = round(big_bin_mb(big), 1)
            heavy = _flow(folder / f"reviews-{SIZES[-1]}.csv", big, url, 10_000)
        bare = _bare_rows_per_s(_reviews(folder / f"reviews-{SIZES[-1]}.csv"), model)
        bursts = [_burst(model, n, folder / f"burst-{n}") for n in (10, 1)]
        shutil.rmtree(folder / "big", ignore_errors=True)
    warm_fast = next(
        f
        for f in flows
        if f["rows"] == SIZES[-1] and f["path"] == "fast" and f["container"] == "warm"
    )
    fast_rows_s = warm_fast["rows_scored"] / warm_fast["start_scoring"]
    return {
        "reviews": source,
        "flows": flows,
        "aws_wait": [_aws_wait(f) for f in flows if f["container"] == "warm"],
        "throughput": {
            "fast_path_rows_s": round(fast_rows_s),
            "bare_tokenize_predict_rows_s": round(bare),
            "ratio": round(fast_rows_s / bare, 3),
        },
        "memory": {
            "model_peak_rss_mb": warm_fast["start_scoring_peak_rss_mb"],
            "model_300mb_bin_mb": big_mb,
            "model_300mb_peak_rss_mb": max(r["start_scoring_peak_rss_mb"] for r in heavy),
            "model_300mb_load_s": heavy[0]["model_load_s"],
        },
        "bursts": bursts,
    }


def _load(flow: dict[str, Any]) -> str:
    if flow["path"] == "batch" or flow["model_load"] is None:
        return "-"
    return f"{flow['model_load_s']} s ({flow['model_load']})"


def big_bin_mb(archive: Path) -> float:
    import tarfile

    with tarfile.open(archive) as tar:
        return tar.getmember("model.bin").size / 2**20


def _aws_wait(flow: dict[str, Any]) -> dict[str, Any]:
    if flow["path"] == "fast":
        seconds = flow["start_scoring"] + BATCHING_WINDOW_S
    else:
        seconds = (
            flow["start_scoring"]
            + BATCHING_WINDOW_S
            + STARTUP_MIN * 60
            + flow["transform"]
            + flow["publish_results"] * PUBLISH_CPU
        )
    return {"rows": flow["rows"], "path": flow["path"], "aws_wait_s": round(seconds, 1)}


def report(result: dict[str, Any]) -> list[str]:
    if not result or "flows" not in result:
        return []
    lines = [
        "## The fast path and shared jobs",
        "",
        f"Reviews: {result['reviews']}. Each file twice in one container: cold (the model is "
        "loaded) and warm.",
        "",
        "| rows | path | container | StartScoring s | model load (from) | transform s "
        "| PublishResults s | StartScoring peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in result["flows"]:
        lines.append(
            f"| {f['rows']:,} | {f['path']} | {f['container']} | {f['start_scoring']:.3f} "
            f"| {_load(f)} | {f['transform']:.3f} | {f['publish_results']:.3f} "
            f"| {f['start_scoring_peak_rss_mb']} |"
        )
    lines += ["", "What a user waits in AWS (warm container; see the module docstring):", ""]
    lines += ["| rows | fast path | batch path |", "|---|---|---|"]
    waits = {(w["rows"], w["path"]): w["aws_wait_s"] for w in result["aws_wait"]}
    for rows in SIZES:
        lines.append(f"| {rows:,} | {waits[(rows, 'fast')]} s | {waits[(rows, 'batch')]} s |")
    t, m = result["throughput"], result["memory"]
    lines += [
        "",
        f"Fast-path throughput (warm, {SIZES[-1]:,} rows, the whole handler): "
        f"{t['fast_path_rows_s']:,} rows/s against {t['bare_tokenize_predict_rows_s']:,} rows/s "
        f"for the bare tokenizer plus predict: **{t['ratio']}**.",
        f"StartScoring's peak RSS on the fast path: {m['model_peak_rss_mb']} MB with this model, "
        f"{m['model_300mb_peak_rss_mb']} MB with a {m['model_300mb_bin_mb']} MB model.bin "
        f"(loaded in {m['model_300mb_load_s']} s).",
        "",
        f"Burst: {BURST_FILES} files of {BURST_ROWS} rows above the fast-path limit, at once:",
        "",
        "| files per job | SUCCEEDED | jobs | instances | instance-minutes |",
        "|---|---|---|---|---|",
    ]
    for b in result["bursts"]:
        lines.append(
            f"| {b['job_max_files']} | {b['succeeded']}/{BURST_FILES} | {b['jobs']} "
            f"| {b['instances']} | {b['instance_minutes']} |"
        )
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, metavar=("CSV", "MODEL", "MOTO_URL", "FAST_ROWS"))
    parser.add_argument("--model", type=Path)
    parser.add_argument("--data", type=Path)
    args = parser.parse_args()
    if args.child:
        csv_path, model, url, fast_rows = args.child
        child(csv_path, model, url, int(fast_rows))
        return
    if args.model is None:
        from review_scorer_training.demo import demo_model

        args.model = demo_model(Path(tempfile.mkdtemp()))
    print("\n".join(report(run(args.model, args.data))))


if __name__ == "__main__":
    main()
