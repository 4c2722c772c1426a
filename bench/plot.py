"""The benchmark plot: time and peak memory against input size, from ``results.json``.

    python -m bench.plot [--results bench/out/results.json] [--out bench/out/bench.png]

Left, seconds against input MB (log-log; each dotted line is "time proportional to size"
through its series' largest point, so a series on its line scales linearly). Right, peak RSS of
the process doing the work against input MB (log x): flat is the goal. ``review-scorer local
run`` is drawn on the left only: its memory holds moto's in-memory S3 store (local mode only),
which the right panel would otherwise be about; a note gives its figures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

# results.json part -> (label, seconds field, peak field, style)
PARTS = {
    "start_scoring": ("StartScoring handler", "start_scoring_s", "peak_rss_mb", ("o", "tab:blue")),
    "publish_results": (
        "PublishResults join handler",
        "publish_results_s",
        "peak_rss_mb",
        ("s", "tab:orange"),
    ),
    # the flow's memory: the peak of its StartScoring, transform and PublishResults stages
    "flow": ("whole local flow (moto apart)", "stages_s", "app_peak_rss_mb", ("^", "tab:green")),
}


def _rows(results: dict[str, Any], part: str) -> list[dict[str, Any]]:
    rows = results.get(part)
    return rows if isinstance(rows, list) else []


def plot(results: dict[str, Any], out: Path) -> Path:
    """Write the PNG to ``out``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (times, memory) = plt.subplots(1, 2, figsize=(12, 4.8))
    for part, (label, seconds_field, peak_field, (marker, color)) in PARTS.items():
        rows = _rows(results, part)
        if not rows:
            continue
        sizes = [r["input_mb"] for r in rows]
        seconds = [r[seconds_field] for r in rows]
        times.plot(sizes, seconds, marker=marker, color=color, label=label)
        rate = seconds[-1] / sizes[-1]
        times.plot([sizes[0], sizes[-1]], [sizes[0] * rate, sizes[-1] * rate], ":", color=color)
        if part == "flow":
            label = "local flow: its StartScoring, transform, PublishResults stages"
        memory.plot(
            sizes,
            [r.get(peak_field, r["peak_rss_mb"]) for r in rows],
            marker=marker,
            color=color,
            label=label,
        )
    cli = [r for r in _rows(results, "flow") if r.get("cli")]
    if cli:
        times.plot(
            [r["input_mb"] for r in cli],
            [r["cli"]["wall_s"] for r in cli],
            "v--",
            color="grey",
            label="`review-scorer local run` (wall)",
        )
        peaks = ", ".join(f"{r['cli']['peak_rss_mb']:,.0f}" for r in cli)
        memory.annotate(
            f"`local run`, moto's S3 store inside: {peaks} MB\n(local mode only)",
            xy=(0.02, 0.04),
            xycoords="axes fraction",
            fontsize=8,
            color="grey",
        )
    times.set(
        xscale="log",
        yscale="log",
        xlabel="input CSV (MB)",
        ylabel="seconds",
        title="Time (dotted: proportional to size)",
    )
    memory.set(
        xscale="log",
        xlabel="input CSV (MB)",
        ylabel="peak RSS, VmHWM (MB)",
        title="Peak memory of the process doing the work",
    )
    memory.set_ylim(bottom=0, top=max(400.0, memory.get_ylim()[1]))
    for axes in (times, memory):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize=8, loc="upper left")
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
