"""How local mode shows results to a person: short, aligned, no surprises."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any, TextIO

from review_scorer.results.result_columns import NEEDS_REVIEW_COLUMN, RESULT_COLUMNS
from review_scorer_local.file_results import FileResult


def outcome_line(result: FileResult) -> str:
    summary = result.summary
    if summary is None:
        errors = "; ".join(d.invocation.error or "" for d in result.failed_invocations)
        if not errors:  # its message is still in the intake queue
            return f"{result.path.name}: NO OUTCOME YET (waiting for transform capacity)"
        return f"{result.path.name}: NO OUTCOME (a function failed: {errors})"
    rows = summary["rows"]
    text = (
        f"{result.path.name}: {summary['status']}  {rows['total']} rows "
        f"({rows['scored']} scored, {rows['empty']} empty, {rows['rejected']} rejected)"
    )
    if summary["labels"]:
        text += "  labels: " + ", ".join(f"{k}={v}" for k, v in summary["labels"].items())
    if rows.get("needs_review") is not None:
        text += f"  needs review: {rows['needs_review']} (below {summary['review_threshold']})"
    if summary.get("error"):
        error = summary["error"]
        where = f" (line {error['line']})" if error.get("line") else ""
        text += f"\n  {error['code']}: {error['message']}{where}"
    return text


def print_table(path: Path, review_column: str, out: TextIO, limit: int = 25) -> None:
    """The labeled CSV's first rows: first column, review (shortened) and the result columns."""
    width = max(40, min(70, shutil.get_terminal_size((110, 20)).columns - 60))
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        shown = [*RESULT_COLUMNS, *([NEEDS_REVIEW_COLUMN] if NEEDS_REVIEW_COLUMN in header else [])]
        picks = [0, header.index(review_column), *(header.index(c) for c in shown)]
        rows = [[header[i] for i in picks]]
        for number, row in enumerate(reader):
            if number == limit:
                break
            cells = [row[i] for i in picks]
            review = " ".join(cells[1].split())
            cells[1] = review if len(review) <= width else review[: width - 1] + "…"
            rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(picks))]
    for row in rows:
        out.write("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + "\n")


def print_notification(result: FileResult, out: TextIO) -> None:
    for note in result.notifications:
        out.write(f"  Subject: {note.subject}\n")
        out.write(f"  MessageAttributes: {json.dumps(note.attributes)}\n")
        body: dict[str, Any] = note.body
        out.write("  " + json.dumps(body, indent=2).replace("\n", "\n  ") + "\n")


def emitted_metrics(result: FileResult) -> dict[str, float]:
    """Every metric the functions emitted for the file, summed, keyed ``Name`` or
    ``Name{dimension=value}`` for dimensions other than the service."""
    totals: dict[str, float] = {}
    for delivery in result.deliveries:
        for document in delivery.invocation.metrics:
            for directive in document["_aws"]["CloudWatchMetrics"]:
                dims = [d for group in directive["Dimensions"] for d in group if d != "service"]
                suffix = ",".join(f"{d}={document[d]}" for d in dims)
                for metric in directive["Metrics"]:
                    values = document[metric["Name"]]
                    value = sum(values) if isinstance(values, list) else values
                    key = f"{metric['Name']}{{{suffix}}}" if suffix else metric["Name"]
                    totals[key] = totals.get(key, 0) + value
    return totals


def print_metrics(result: FileResult, out: TextIO) -> None:
    for name, value in emitted_metrics(result).items():
        out.write(f"  {name}: {value:g}\n")
