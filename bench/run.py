"""``make bench``: every benchmark in one run, each figure beside its baseline from the same run.

    python -m bench.run [--data ../shared/data] [--quick] [--out bench/out]

Writes ``results.json`` and ``report.md`` to the output folder. Parts that need the shared data
folder (tokenizer parity, cross-validation) are skipped, and say so, when it is absent.
``--quick`` leaves out the 1 GB and 1,000,000-row sizes.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import flow_bench, publish_results_bench, start_scoring_bench, tokenizer_bench


def _section(name: str, results: dict[str, Any], work: Callable[[], Any]) -> None:
    print(f"== {name} ...", flush=True)
    started = time.perf_counter()
    try:
        results[name] = work()
    except FileNotFoundError as missing:
        results[name] = {"skipped": f"data not found: {missing.filename}"}
    print(f"   done in {time.perf_counter() - started:.0f} s", flush=True)


def run(data: Path, quick: bool, cache: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    sizes = [10, 100] if quick else [10, 100, 1000]
    rows = [1_000, 50_000] if quick else [1_000, 50_000, 1_000_000]
    _section("tokenizer", results, lambda: tokenizer_bench.run(data))
    _section("start_scoring", results, lambda: start_scoring_bench.run(sizes))
    _section("publish_results", results, lambda: publish_results_bench.run(sizes))
    _section("flow", results, lambda: [flow_bench.run(n, cache) for n in rows])
    return results


def report(results: dict[str, Any]) -> str:
    lines = [f"# review-scorer benchmarks ({results['when']}, {results['machine']})", ""]
    tok = results.get("tokenizer", {})
    if "skipped" in tok:
        lines += ["## Tokenizer", "", f"Skipped: {tok['skipped']}", ""]
    elif tok:
        speedup = tok.get("speedup_vs_nltk")
        lines += [
            "## Tokenizer",
            "",
            f"- parity with the course's nltk output: {tok['parity_matches']:,} / "
            f"{tok['parity_total']:,} ({tok['parity']:.2%})",
            f"- ours: {tok['ours_mb_s']:.2f} MB/s, {tok['ours_rows_s']:,.0f} rows/s",
            f"- nltk recipe, same texts, same run: {tok['nltk_mb_s']} MB/s"
            + (f" (ours is {speedup:.1f}x)" if speedup else " (nltk not installed)"),
            "",
        ]
    lines += [
        "## StartScoring through local S3 (moto in its own process)",
        "",
        "| input MB | seconds | MB/s | bare tokenizer MB/s | ratio | peak RSS MB | cold start s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results.get("start_scoring", []):
        lines.append(
            f"| {r['input_mb']} | {r['start_scoring_s']} | {r['start_scoring_mb_s']} | "
            f"{r['bare_tokenizer_mb_s']} | {r['ratio_to_tokenizer']} | {r['peak_rss_mb']} | "
            f"{r['cold_start_s']} |"
        )
    lines += [
        "",
        "## PublishResults join through local S3 (moto in its own process)",
        "",
        "| input MB | seconds | MB/s | bare CSV reader MB/s | ratio | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results.get("publish_results", []):
        lines.append(
            f"| {r['input_mb']} | {r['publish_results_s']} | {r['publish_results_mb_s']} | "
            f"{r['bare_reader_mb_s']} | {r['ratio_to_reader']} | {r['peak_rss_mb']} |"
        )
    lines += [
        "",
        "## Whole local flow (`review-scorer local run`, one process)",
        "",
        "| rows | input MB | wall s | rows/s | peak RSS MB | all rows back in order |",
        "|---:|---:|---:|---:|---:|---|",
    ]
    for r in results.get("flow", []):
        lines.append(
            f"| {r['rows']:,} | {r['input_mb']} | {r['wall_s']} | {r['rows_per_s']:,} | "
            f"{r['peak_rss_mb']} | {r['all_rows_back_in_order']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    results = run(args.data, args.quick, args.cache)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    text = report(results)
    (args.out / "report.md").write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
