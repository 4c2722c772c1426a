"""The benchmark plot: time and peak memory against input size, from ``results.json``.

    python -m bench.plot [--results bench/out/results.json] [--out bench/out/bench.png]

Left, seconds against input MB (log-log; the dotted lines are "time proportional to size"
through each series' largest point, so a series on its line scales linearly). Right, peak RSS of
the process doing the work against input MB (log x): flat is the goal.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

Series = tuple[str, list[float], list[float], list[float], dict[str, Any]]


def _series(results: dict[str, Any]) -> list[Series]:
    """(label, input MB, seconds, peak RSS MB, style) for each measured part."""
    series: list[Series] = []

    def ok(part: str) -> list[dict[str, Any]]:
        rows = results.get(part)
        return rows if isinstance(rows, list) else []

    if rows := ok("start_scoring"):
        series.append(
            (
                "StartScoring (Lambda handler)",
                [r["input_mb"] for r in rows],
                [r["start_scoring_s"] for r in rows],
                [r["peak_rss_mb"] for r in rows],
                {"marker": "o", "color": "tab:blue"},
            )
        )
    if rows := ok("publish_results"):
        series.append(
            (
                "PublishResults join (Lambda handler)",
                [r["input_mb"] for r in rows],
                [r["publish_results_s"] for r in rows],
                [r["peak_rss_mb"] for r in rows],
                {"marker": "s", "color": "tab:orange"},
            )
        )
    if rows := ok("flow"):
        series.append(
            (
                "whole local flow (5 stages, moto apart)",
                [r["input_mb"] for r in rows],
                [r["stages_s"] for r in rows],
                [r["peak_rss_mb"] for r in rows],
                {"marker": "^", "color": "tab:green"},
            )
        )
        cli = [r for r in rows if r.get("cli")]
        if cli:
            series.append(
                (
                    "`local run` CLI (moto's S3 store inside)",
                    [r["input_mb"] for r in cli],
                    [r["cli"]["wall_s"] for r in cli],
                    [r["cli"]["peak_rss_mb"] for r in cli],
                    {"marker": "v", "color": "grey", "linestyle": "--"},
                )
            )
    return series


def plot(results: dict[str, Any], out: Path) -> Path:
    """Write the PNG to ``out``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (times, memory) = plt.subplots(1, 2, figsize=(12, 4.8))
    for label, sizes, seconds, peaks, style in _series(results):
        times.plot(sizes, seconds, label=label, **style)
        top = max(range(len(sizes)), key=sizes.__getitem__)
        rate = seconds[top] / sizes[top]
        low, high = min(sizes), max(sizes)
        times.plot([low, high], [low * rate, high * rate], ":", color=style["color"], alpha=0.6)
        memory.plot(sizes, peaks, label=label, **style)
    times.set(
        xscale="log",
        yscale="log",
        xlabel="input CSV (MB)",
        ylabel="seconds",
        title="Time (dotted: linear in size)",
    )
    memory.set(
        xscale="log",
        xlabel="input CSV (MB)",
        ylabel="peak RSS (MB, VmHWM)",
        title="Peak memory of the working process",
    )
    memory.set_ylim(bottom=0)
    for axes in (times, memory):
        axes.grid(True, which="both", alpha=0.3)
    memory.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"review-scorer `make bench`, {results.get('when', '')}, {results.get('machine', '')}",
        fontsize=10,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=Path("bench/out/results.json"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/bench.png"))
    args = parser.parse_args()
    print(plot(json.loads(args.results.read_text()), args.out))


if __name__ == "__main__":
    main()
