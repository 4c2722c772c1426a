"""The whole local flow on generated CSVs: wall time and peak RSS of the process doing the work.

Each size runs ``review-scorer local run`` in a child process whose own peak RSS (VmHWM, see
``bench/peak.py``) is the figure. Rows are synthetic (the
project's own generator), so this needs no data folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.peak import ENV
from review_scorer_training.demo import demo_model
from review_scorer_training.synthetic import LABELS, review


def write_reviews(path: Path, rows: int, seed: int = 11) -> int:
    """A CSV with an id, a category, the review and a note; returns its size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["review_id", "product_category", "review_body", "note"])
        for i in range(rows):
            text = "" if i % 97 == 0 else review(rng.choice(LABELS), rng)
            writer.writerow([f"r-{i:07d}", rng.choice(["Dresses", "Knits", "Jeans"]), text, ""])
    return path.stat().st_size


def run_flow(csv_path: Path, model: Path, out: Path) -> dict[str, Any]:
    """``review-scorer local run`` in a child process; its wall time and its own peak RSS."""
    peak_file = out.parent / "peak.txt"
    command = [
        "review_scorer",
        "local",
        "run",
        str(csv_path),
        "--model",
        str(model),
        "--out",
        str(out),
        "--json",
    ]
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-m", "bench.peak", *command],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, ENV: str(peak_file)},
    )
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"local run failed: {process.stderr[-2000:]}")
    summary = json.loads(process.stdout.splitlines()[-1])
    peak = float(peak_file.read_text())
    return {"wall_s": round(wall, 2), "peak_rss_mb": peak, "summary": summary}


def check_order(csv_path: Path, labeled: Path) -> bool:
    """Every row came back, in the original order, and every non-empty one has a label."""
    with csv_path.open(newline="", encoding="utf-8") as a, labeled.open(newline="") as b:
        for before, after in zip(csv.DictReader(a), csv.DictReader(b), strict=True):
            if before["review_id"] != after["review_id"]:
                return False
            if bool(before["review_body"]) != (after["scoring_status"] == "scored"):
                return False
    return True


def run(rows: int, cache: Path) -> dict[str, Any]:
    model = demo_model(cache)
    with tempfile.TemporaryDirectory(prefix="review-scorer-bench-") as tmp:
        csv_path = Path(tmp) / f"reviews_{rows}.csv"
        size = write_reviews(csv_path, rows)
        result = run_flow(csv_path, model, Path(tmp) / "out")
        in_order = check_order(csv_path, Path(tmp) / "out" / f"{csv_path.stem}.labeled.csv")
    summary = result.pop("summary")
    return {
        "rows": rows,
        "input_mb": round(size / 1e6, 2),
        **result,
        "rows_per_s": round(rows / result["wall_s"]),
        "status": summary["status"],
        "row_counts": summary["rows"],
        "all_rows_back_in_order": in_order,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--cache", type=Path, default=Path(".cache"))
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.cache), indent=2))


if __name__ == "__main__":
    main()
