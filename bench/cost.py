"""The measured throughput turned into the cost of scoring one million reviews (docs/COST.md).

    python -m bench.cost [--results bench/out/results.json]

Prices are us-east-1 on-demand list prices; docs/COST.md says where each comes from and when.
The assumptions, all stated in docs/COST.md:

- a vCPU of a SageMaker instance or of a Lambda function does what one core of the benchmark
  machine does (both the runner and the handlers are single-threaded Python);
- BlazingText's container scores at the local runner's rate (JSON in, predict, JSON out) on ONE
  vCPU: the conservative case (the bare predictor is 2-3x faster, and more vCPUs can only help);
- a Batch Transform job is billed for STARTUP_S of start-up (instance, image, model) as well;
- a Lambda function with M MB (MEMORY_MB) gets M / FULL_VCPU_MB of a vCPU, and the handlers are
  CPU-bound and single-threaded, so they take FULL_VCPU_MB / M times longer than here (never less
  than here: more than one vCPU does not help one thread).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

REVIEWS = 1_000_000
# SageMaker Batch Transform, on-demand, per instance-hour: (vCPUs, USD)
INSTANCES = {"ml.m5.large": (2, 0.115), "ml.c5.xlarge": (4, 0.204)}
STARTUP_S = 300  # assumed start-up billed per job (docs/COST.md: "several minutes")
COMPREHEND_UNIT_USD = 0.0005  # custom classification, asynchronous, per unit of 100 characters
LAMBDA_GB_S_USD = 0.0000133334  # arm64, first tier, per GB-second
LAMBDA_REQUEST_USD = 0.20 / 1e6
MEMORY_MB = {"start_scoring": 2048, "publish_results": 1024}  # the template's MemorySize
FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB
START_SCORING_TIMEOUT_S = 900  # the template's Timeout values
PUBLISH_RESULTS_TIMEOUT_S = 900
MAX_UPLOAD_MB = 2 * 1024**3 / 1e6  # MaxUploadBytes default, 2 GiB


def _largest(rows: Any) -> dict[str, Any] | None:
    return max(rows, key=lambda r: r["input_mb"]) if isinstance(rows, list) and rows else None


def estimate(results: dict[str, Any]) -> dict[str, Any]:
    """Cost and limits from a ``results.json``; parts whose figures are missing are left out."""
    out: dict[str, Any] = {"reviews": REVIEWS, "startup_s": STARTUP_S}
    scoring = results.get("scoring", {})
    share = {name: min(1.0, mb / FULL_VCPU_MB) for name, mb in MEMORY_MB.items()}  # of a vCPU
    if "runner_rows_s" in scoring:
        score_s = REVIEWS / scoring["runner_rows_s"]
        out["scoring_s_one_vcpu"] = round(score_s, 1)
        out["batch_transform"] = [
            {
                "instance": name,
                "vcpus": vcpus,
                "usd_per_hour": price,
                "job_s": round(STARTUP_S + score_s),
                "usd": round((STARTUP_S + score_s) / 3600 * price, 4),
                "usd_if_startup_10_min": round((600 + score_s) / 3600 * price, 4),
            }
            for name, (vcpus, price) in INSTANCES.items()
        ]
        # where scoring would take as long as the start-up: below it, one instance is right
        out["rows_per_vcpu_in_startup_time"] = round(STARTUP_S * scoring["runner_rows_s"])
    if "comprehend_units_per_review" in scoring:
        units = scoring["comprehend_units_per_review"] * REVIEWS
        out["comprehend"] = {
            "units": round(units),
            "usd": round(units * COMPREHEND_UNIT_USD),
            "usd_without_per_review_rounding": round(
                scoring["mean_review_chars"] / 100 * REVIEWS * COMPREHEND_UNIT_USD
            ),
        }
    flow = _largest(results.get("flow"))
    if flow:
        per_review = REVIEWS / flow["rows"]
        lambdas = {}
        for stage in ("start_scoring", "publish_results"):
            seconds = flow["stages"][stage]["s"] * per_review / share[stage]
            gb_s = seconds * MEMORY_MB[stage] / 1024
            lambdas[stage] = {"lambda_s": round(seconds), "gb_s": round(gb_s)}
        total_gb_s = sum(v["gb_s"] for v in lambdas.values())
        out["lambda"] = {
            **lambdas,
            "measured_on_rows": flow["rows"],
            "usd": round(total_gb_s * LAMBDA_GB_S_USD + 2 * LAMBDA_REQUEST_USD, 4),
        }
        join_mb_s = flow["input_mb"] / flow["stages"]["publish_results"]["s"]
        out["publish_results_real_reviews"] = _limit(
            join_mb_s * share["publish_results"], PUBLISH_RESULTS_TIMEOUT_S
        )
    if "batch_transform" in out and "lambda" in out:
        design = min(b["usd"] for b in out["batch_transform"]) + out["lambda"]["usd"]
        out["design_usd"] = round(design, 4)
        if "comprehend" in out:
            ratio = out["comprehend"]["usd"] / design
            out["comprehend_to_design"] = round(ratio, -len(str(int(ratio))) + 2)  # 2 digits
    start = _largest(results.get("start_scoring"))
    if start:
        out["start_scoring_limit"] = _limit(
            start["start_scoring_mb_s"] * share["start_scoring"], START_SCORING_TIMEOUT_S
        )
    join = _largest(results.get("publish_results"))
    if join:
        out["publish_results_short_reviews"] = _limit(
            join["publish_results_mb_s"] * share["publish_results"], PUBLISH_RESULTS_TIMEOUT_S
        )
    bursts = {b["job_max_files"]: b for b in results.get("fast_path", {}).get("bursts", [])}
    if len(bursts) == 2 and "batch_transform" in out:
        shared, alone = bursts[max(bursts)], bursts[1]
        price = min(b["usd_per_hour"] for b in out["batch_transform"])
        saved_min = (alone["instances"] - shared["instances"]) * STARTUP_S / 60
        out["shared_jobs"] = {
            "files": alone["jobs"],
            "jobs_alone": alone["jobs"],
            "jobs_shared": shared["jobs"],
            "startup_instance_minutes_saved": round(saved_min),
            "usd_saved": round(saved_min / 60 * price, 4),
            "usd_saved_per_file": round(saved_min / 60 * price / alone["jobs"], 5),
        }
    return out


def _limit(lambda_mb_s: float, timeout_s: int) -> dict[str, float]:
    return {
        "lambda_mb_s": round(lambda_mb_s, 2),
        "mb_in_timeout": round(lambda_mb_s * timeout_s),
        "s_for_max_upload": round(MAX_UPLOAD_MB / lambda_mb_s),
        "timeout_s": timeout_s,
    }


def report(cost: dict[str, Any]) -> list[str]:
    """The markdown section of report.md."""
    lines = [
        f"## What {cost['reviews']:,} reviews cost (from these figures; docs/COST.md)",
        "",
    ]
    if "batch_transform" in cost:
        lines += [
            f"Batch Transform, one instance, scoring at the local runner's rate on one vCPU "
            f"({cost['scoring_s_one_vcpu']} s) plus {cost['startup_s'] // 60} minutes of "
            "start-up billed:",
            "",
            "| instance | vCPUs | USD/hour | job s | USD | USD with 10 min start-up |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for b in cost["batch_transform"]:
            lines.append(
                f"| {b['instance']} | {b['vcpus']} | {b['usd_per_hour']} | {b['job_s']} | "
                f"{b['usd']} | {b['usd_if_startup_10_min']} |"
            )
        lines.append("")
    if "comprehend" in cost:
        c = cost["comprehend"]
        lines += [
            f"- Amazon Comprehend custom classification, asynchronous: {c['units']:,} units, "
            f"USD {c['usd']:,} (USD {c['usd_without_per_review_rounding']:,} if characters "
            "were billed without the per-review rounding and minimum).",
        ]
    if "lambda" in cost:
        lam = cost["lambda"]
        lines.append(
            f"- Lambda (arm64): StartScoring ({MEMORY_MB['start_scoring']:,} MB) "
            f"{lam['start_scoring']['gb_s']} GB-s, PublishResults "
            f"({MEMORY_MB['publish_results']:,} MB) "
            f"{lam['publish_results']['gb_s']} GB-s, USD {lam['usd']} (scaled from the "
            f"{lam['measured_on_rows']:,}-row flow)."
        )
    if "shared_jobs" in cost:
        shared = cost["shared_jobs"]
        lines.append(
            f"- Shared jobs: {shared['files']} files dropped at once take {shared['jobs_shared']} "
            f"jobs instead of {shared['jobs_alone']}: {shared['startup_instance_minutes_saved']} "
            f"instance-minutes of start-up saved, USD {shared['usd_saved']} "
            f"(USD {shared['usd_saved_per_file']} a file) on the cheapest instance."
        )
    if "comprehend_to_design" in cost:
        lines.append(
            f"- This design, cheapest instance plus Lambda: USD {cost['design_usd']}; Comprehend "
            f"costs about {cost['comprehend_to_design']:,.0f} times as much."
        )
    for key, name in (
        ("start_scoring_limit", "StartScoring"),
        ("publish_results_short_reviews", "PublishResults, short reviews (join bench)"),
        ("publish_results_real_reviews", "PublishResults, real reviews (flow)"),
    ):
        if key in cost:
            limit = cost[key]
            lines.append(
                f"- {name} on Lambda: about {limit['lambda_mb_s']} MB/s, "
                f"{limit['mb_in_timeout']:,} MB in its {limit['timeout_s']} s; a 2 GiB upload "
                f"takes about {limit['s_for_max_upload']} s."
            )
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("bench/out/results.json"))
    args = parser.parse_args()
    cost = estimate(json.loads(args.results.read_text()))
    print(json.dumps(cost, indent=2))
    print("\n".join(report(cost)))


if __name__ == "__main__":
    main()
