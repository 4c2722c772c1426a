"""``make bench``: every benchmark in one run, each figure beside its baseline from the same run.

    python -m bench.run [--data ../shared/data] [--quick] [--out bench/out]

Writes ``results.json`` (with the cost of a million reviews derived from the figures, see
``bench/cost.py``), ``report.md`` and ``bench.png`` (time and peak memory against input size) to
the output folder; a full run (not ``--quick``) also copies the plot to
``docs/bench.png``, the one the README shows. Without the shared data folder the tokenizer parity
is skipped (and says so), the default model is the demo model and the reviews are synthetic.
``--quick`` leaves out the 1 GB and 1,000,000-row sizes and scores fewer records.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    api_bench,
    burst_bench,
    cost,
    cv_bench,
    fast_path_bench,
    flow_bench,
    plot,
    publish_results_bench,
    review_bench,
    scoring_bench,
    start_scoring_bench,
    tokenizer_bench,
)


def _section(name: str, results: dict[str, Any], work: Callable[[], Any]) -> None:
    print(f"== {name} ...", flush=True)
    started = time.perf_counter()
    try:
        results[name] = work()
    except FileNotFoundError as missing:
        results[name] = {"skipped": f"data not found: {missing.filename}"}
    print(f"   done in {time.perf_counter() - started:.0f} s", flush=True)


def run(data: Path, quick: bool, cache: Path, out: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}",
        "quick": quick,
    }
    sizes = [10, 100] if quick else [10, 100, 1000]
    rows = [1_000, 100_000] if quick else [1_000, 100_000, 1_000_000]
    records = 25_000 if quick else 100_000
    print("== default model ...", flush=True)
    model, about = scoring_bench.default_model(data, out / "default-model", cache)
    print(f"   {about['model']}", flush=True)
    _section("tokenizer", results, lambda: tokenizer_bench.run(data))
    if not quick:  # about 12 min: 2.4 GB models (the article's) and 10 searches of 45 s
        _section("cross_validation", results, lambda: cv_bench.run(data))
        _section("review", results, lambda: review_bench.run(data, out / "review"))
    _section(
        "scoring",
        results,
        lambda: scoring_bench.run(data, out, cache, records, model=(model, about)),
    )
    _section("start_scoring", results, lambda: start_scoring_bench.run(sizes))
    _section("publish_results", results, lambda: publish_results_bench.run(sizes))
    _section("flow", results, lambda: [flow_bench.run(n, model, data=data) for n in rows])
    _section("burst", results, lambda: burst_bench.run(model))
    _section("fast_path", results, lambda: fast_path_bench.run(model, data))
    _section("api", results, lambda: api_bench.run(model, data, 200 if quick else 1000))
    return results


def _tokenizer(tok: dict[str, Any]) -> list[str]:
    if not tok:
        return []
    if "skipped" in tok:
        return ["## Tokenizer", "", f"Skipped: {tok['skipped']}", ""]
    speedup = tok.get("speedup_vs_nltk")
    return [
        "## Tokenizer",
        "",
        f"- parity with the course's nltk output: {tok['parity_matches']:,} / "
        f"{tok['parity_total']:,} ({tok['parity']:.2%})",
        f"- ours: {tok['ours_mb_s']:.2f} MB/s, {tok['ours_rows_s']:,.0f} rows/s",
        f"- nltk recipe, same texts, same run: {tok['nltk_mb_s']} MB/s"
        + (f" (ours is {speedup:.1f}x)" if speedup else " (nltk not installed)"),
        "",
    ]


def _scoring(s: dict[str, Any]) -> list[str]:
    if not s:
        return []
    model = s["model"] + (
        f": validation accuracy {s['validation_accuracy']}, model.bin {s['model_bin_mb']} MB"
        if "validation_accuracy" in s
        else ""
    )
    return [
        "## Scoring (the local transform runner against the bare fastText predictor)",
        "",
        f"Model: {model}. Records: {s['records']:,} staged JSON Lines ({s['staged_mb']} MB) "
        f"from {s['distinct_reviews']:,} distinct reviews ({s['texts']}; mean "
        f"{s['mean_review_chars']} characters, {s['mean_tokens']} tokens, "
        f"{s.get('comprehend_units_per_review')} Amazon Comprehend units of 100 characters, at "
        f"least 3 a review); best of {s['passes']} interleaved passes.",
        "",
        "| | rows/s | µs per row | ratio to the bare predictor |",
        "|---|---:|---:|---:|",
        f"| bare `model.f.predict` loop (the practical limit) | {s['bare_predict_rows_s']:,} "
        f"| {s['bare_us_per_row']} | 1 |",
        f"| local runner (`score_file` + `FastTextScorer`: JSON in, predict, JSON out) | "
        f"{s['runner_rows_s']:,} | {s['runner_us_per_row']} | {s['ratio_to_bare']} |",
        "",
    ]


def _start_scoring(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## StartScoring through local S3 (moto in its own process)",
        "",
        "| input MB | seconds | MB/s | bare tokenizer MB/s | ratio | peak RSS MB | cold start s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['input_mb']} | {r['start_scoring_s']} | {r['start_scoring_mb_s']} | "
            f"{r['bare_tokenizer_mb_s']} | {r['ratio_to_tokenizer']} | {r['peak_rss_mb']} | "
            f"{r['cold_start_s']} |"
        )
    return [*lines, ""]


def _publish_results(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## PublishResults join through local S3 (moto in its own process)",
        "",
        "| input MB | seconds | MB/s | bare CSV reader MB/s | ratio | peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['input_mb']} | {r['publish_results_s']} | {r['publish_results_mb_s']} | "
            f"{r['bare_reader_mb_s']} | {r['ratio_to_reader']} | {r['peak_rss_mb']} |"
        )
    return [*lines, ""]


def _flow(rows: list[dict[str, Any]], scoring: dict[str, Any]) -> list[str]:
    if not rows:
        return []
    names = ["upload", "StartScoring", "transform", "PublishResults", "download"]
    bare = scoring.get("bare_predict_rows_s")
    lines = [
        "## Whole local flow, stage by stage",
        "",
        f"Reviews: {rows[0]['texts']}, one row in 97 empty. Each stage is timed in a child "
        "process that drives `LocalModeStack` + `LocalFlow` (the code `review-scorer local run` "
        "uses) one step at a time, with moto in a process of its own; `local run` itself runs "
        "too, as the check. Transform rows/s is scored rows over the transform stage (S3 reads "
        "and writes and the model load included), against the bare predictor of the scoring "
        "section.",
        "",
        "| rows | input MB | " + " s | ".join(names) + " s | total s | rows/s | "
        "transform rows/s (ratio to bare) | `local run` wall s (stages / wall) | "
        "all rows back in order |",
        "|---:|---:|" + "---:|" * 9 + "---|",
    ]
    for r in rows:
        st = r["stages"]
        scored = r["row_counts"]["scored"]
        transform = scored / st["transform"]["s"]
        ratio = f" ({transform / bare:.2f})" if bare else ""
        cli = r.get("cli")
        check = f"{cli['wall_s']} ({r['stages_to_cli_wall']})" if cli else "not run"
        lines.append(
            f"| {r['rows']:,} | {r['input_mb']} | "
            + " | ".join(str(st[name]["s"]) for name in flow_bench.STAGES)
            + f" | {r['stages_s']} | {r['rows_per_s']:,} | {transform:,.0f}{ratio} | {check} | "
            f"{r['all_rows_back_in_order']} |"
        )
    lines += [
        "",
        "Upload and download are boto3 transfers to and from moto (the local S3), as "
        "`LocalFlow.run_file` does them; the download's growth at 1,000,000 rows is moto's: "
        "it serves the ranged GETs of `download_file` slowly for a large object (0.35 GB: about "
        "7 s, against 0.3 s for one plain GET).",
        "",
        "Peak RSS (MB, VmHWM) of the working process in each stage (reset to the current RSS "
        "before each stage, so a stage also carries what earlier ones left in the heap), of "
        "moto's server (the local S3, SQS, SNS; not part of the app), and of `local run` with "
        "moto inside it:",
        "",
        "| rows | " + " | ".join(names) + " | moto's server | `local run` |",
        "|---:|" + "---:|" * 7,
    ]
    for r in rows:
        st = r["stages"]
        cli = r.get("cli")
        lines.append(
            f"| {r['rows']:,} | "
            + " | ".join(str(st[name]["peak_rss_mb"]) for name in flow_bench.STAGES)
            + f" | {r['moto_peak_rss_mb']} | {cli['peak_rss_mb'] if cli else '-'} |"
        )
    return [*lines, ""]


def _cross_validation(cv: dict[str, Any]) -> list[str]:
    """Defaults, the article's settings and ``--tune``, 5-fold CV on the balanced file, for
    each label column, with the coverage at accuracy 0.85 and 0.90."""
    if not cv:
        return []
    if "skipped" in cv:
        return ["## Cross-validation", "", f"Skipped: {cv['skipped']}", ""]
    lines = ["## Cross-validation (balanced file)", ""]
    for column, found in cv["columns"].items():
        lines += [f"`{column}` ({found['classes']} classes, {found['rows']} rows):", ""]
        lines += [found["table"], ""]
    return [*lines, *(f"- {note}" for note in cv["notes"]), ""]


def _review(review: dict[str, Any]) -> list[str]:
    """What the rows the pipeline trusts (needs_review=false) scored on held-out rows."""
    if not review or "skipped" in review:
        return []
    return [
        "## Review threshold on held-out rows (sentiment)", "",
        f"`train --cv 5 --target-accuracy A` on {review['rows_train']} rows (80%, stratified); the "
        "other 20% through `local run` (ReviewThreshold `model`):", "",
        review["table"], "",
    ]  # fmt: skip


def report(results: dict[str, Any], plot_path: str | None = None) -> str:
    lines = [f"# review-scorer benchmarks ({results['when']}, {results['machine']})", ""]
    if results.get("quick"):
        lines += ["Quick run (`--quick`): the small sizes only.", ""]
    lines += _tokenizer(results.get("tokenizer", {}))
    lines += _cross_validation(results.get("cross_validation", {}))
    lines += _review(results.get("review", {}))
    lines += _scoring(results.get("scoring", {}))
    lines += _start_scoring(results.get("start_scoring", []))
    lines += _publish_results(results.get("publish_results", []))
    lines += _flow(results.get("flow", []), results.get("scoring", {}))
    lines += burst_bench.report(results.get("burst", []))
    lines += fast_path_bench.report(results.get("fast_path", {}))
    lines += api_bench.report(results.get("api", {}))
    lines += cost.report(cost.estimate(results))
    if plot_path:
        lines += [f"Plot: `{plot_path}` (time and peak memory against input size).", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--docs-plot",
        type=Path,
        default=Path("docs/bench.png"),
        help="where a full run copies the plot (the README's); quick runs leave it alone",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: redo cost, report.md and plot from the folder's results.json",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        results = json.loads((args.out / "results.json").read_text())
        args.quick = results.get("quick", False)
    else:
        results = run(args.data, args.quick, args.cache, args.out)
    results["cost"] = cost.estimate(results)  # derived from the measurements, never measured
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    png = plot.plot(results, args.out / "bench.png")
    if not args.quick:
        args.docs_plot.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, args.docs_plot)
    where = f"{png}" if args.quick else f"{png}`, copied to `{args.docs_plot}"
    text = report(results, where)
    (args.out / "report.md").write_text(text)
    print("\n" + text)


if __name__ == "__main__":
    main()
