"""Do the rows the pipeline trusts reach the target? The sentiment file, 20% held out.

1. The balanced file is split 80/20, stratified by label and seeded, into two CSVs in the bench's
   output folder (never the repository).
2. ``review-scorer train --cv 5 --target-accuracy A`` on the 80% chooses the review threshold on
   the out-of-fold predictions and records it in ``model.tar.gz``.
3. ``review-scorer local run --model model.tar.gz holdout.csv`` scores the 20% through the whole
   local flow with ``ReviewThreshold`` at its default, ``model``.
4. The labeled CSV keeps the file's own ``sentiment`` column: the rows marked
   ``needs_review=false`` are compared with it, beside what the CV promised (pooled, and the range
   of the five folds at the same threshold).

    python -m bench.review_bench --data ../shared/data [--out DIR] [--tune-seconds S]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

BALANCED = "womens_clothing_ecommerce_reviews_balanced.csv"
TARGETS = (0.85, 0.90)
SEED = 42
HOLDOUT = 0.2


def split_file(source: Path, out: Path) -> tuple[Path, Path]:
    """``train.csv`` and ``holdout.csv``: every label keeps its share (seeded)."""
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    shuffled = frame.sample(frac=1.0, random_state=SEED)
    rank = shuffled.groupby("sentiment").cumcount()
    size = shuffled.groupby("sentiment")["sentiment"].transform("size")
    held = rank < (size * HOLDOUT).round()
    out.mkdir(parents=True, exist_ok=True)
    train, holdout = out / "train.csv", out / "holdout.csv"
    shuffled[~held].to_csv(train, index=False)
    shuffled[held].to_csv(holdout, index=False)
    return train, holdout


def cli(*args: str | Path) -> str:
    command = [sys.executable, "-m", "review_scorer_local", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:5])} failed: {done.stderr[-2000:]}")
    return done.stdout


def trusted(labeled: Path) -> dict[str, Any]:
    """What the pipeline marked: the share of rows trusted and their accuracy, and the rest's."""
    with labeled.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    kept = [r for r in rows if r["needs_review"] == "false"]
    sent = [r for r in rows if r["needs_review"] == "true"]

    def accuracy(group: list[dict[str, str]]) -> float | None:
        right = sum(r["predicted_label"] == r["sentiment"] for r in group)
        return round(right / len(group), 4) if group else None

    return {
        "rows": len(rows),
        "trusted": len(kept),
        "coverage": round(len(kept) / len(rows), 4),
        "accuracy_trusted": accuracy(kept),
        "accuracy_needs_review": accuracy(sent),
        "accuracy_all": accuracy(rows),
    }


def run(data_dir: Path, out: Path, *, tune_seconds: float | None = None) -> dict[str, Any]:
    train_csv, holdout_csv = split_file(data_dir / BALANCED, out / "split")
    results = []
    for target in TARGETS:
        name = f"target {target:g}" + (" --tune" if tune_seconds else "")
        model_dir = out / f"model-{target:g}"
        tune = ["--tune", "--tune-seconds", str(tune_seconds)] if tune_seconds else []
        cli("train", "--data", train_csv, "--label-column", "sentiment", "--out", model_dir,
            "--cv", "5", "--target-accuracy", str(target), "--seed", str(SEED), *tune)  # fmt: skip
        metrics = json.loads((model_dir / "metrics.json").read_text(encoding="utf-8"))
        promised = metrics["coverage"]["at_accuracy"][f"{target:g}"]
        printed = cli("local", "run", holdout_csv, "--model", model_dir / "model.tar.gz",
                      "--out", out / f"run-{target:g}", "--json")  # fmt: skip
        summary = json.loads(printed.splitlines()[-1])
        labeled = out / f"run-{target:g}" / "holdout.labeled.csv"
        results.append({
            "settings": name,
            "target": target,
            "threshold": metrics["review_threshold"],
            "cv": {k: promised[k] for k in ("coverage", "accuracy")},
            "cv_folds": promised.get("folds"),
            "held_out": trusted(labeled),
            "summary": {k: summary[k] for k in ("status", "rows", "review_threshold")},
        })  # fmt: skip
    return {"benchmark": "review", "rows_train": _rows(train_csv), "results": results,
            "table": table(results)}  # fmt: skip


def _rows(path: Path) -> int:
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| model | threshold | CV coverage (folds) | CV accuracy (folds) | held-out coverage | "
        "held-out accuracy of needs_review=false | of needs_review=true |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        folds, held = r["cv_folds"] or {}, r["held_out"]
        cov, acc = folds.get("coverage", {}), folds.get("accuracy", {})
        lines.append(
            f"| {r['settings']} | {r['threshold']} | {r['cv']['coverage']:.1%} "
            f"({cov.get('min', 0):.1%}-{cov.get('max', 0):.1%}) | {r['cv']['accuracy']:.3f} "
            f"({acc.get('min', 0):.3f}-{acc.get('max', 0):.3f}) | {held['coverage']:.1%} of "
            f"{held['rows']} | {held['accuracy_trusted']} | {held['accuracy_needs_review']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--tune-seconds", type=float, help="also --tune, with this budget")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="review-bench-") as tmp:
        report = run(args.data, args.out or Path(tmp), tune_seconds=args.tune_seconds)
    print(report["table"])
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
