"""The confusion matrix and the accuracy-coverage curve as PNGs (matplotlib's Agg backend: no
display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_CLASS_CURVES = 10  # beyond this, per-class curves are a tangle: the overall one only
ANNOTATED = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # thresholds written beside the overall curve


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def confusion_matrix_png(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], out: Path, *, title: str
) -> Path:
    """Counts in each cell, rows = true label, columns = predicted; sized for 3 or 30 labels."""
    plt = _pyplot()
    n = len(labels)
    side = max(4.5, 0.55 * n + 2.5)
    fig, ax = plt.subplots(figsize=(side, side), dpi=100)
    try:
        image = ax.imshow(matrix, cmap="Blues")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set_xticks(
            range(n), labels=list(labels), rotation=45, ha="right", rotation_mode="anchor"
        )
        ax.set_yticks(range(n), labels=list(labels))
        ax.set_xlabel("predicted label")
        ax.set_ylabel("true label")
        ax.set_title(title)
        top = max((max(row) for row in matrix), default=0)
        for i, row in enumerate(matrix):
            for j, count in enumerate(row):
                color = "white" if top and count > top / 2 else "black"
                ax.text(j, i, str(count), ha="center", va="center", color=color, fontsize=8)
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out


def _xy(points: Sequence[dict[str, Any]]) -> tuple[list[float], list[float]]:
    kept = [p for p in points if p["accuracy"] is not None]
    return [p["coverage"] for p in kept], [p["accuracy"] for p in kept]


def coverage_png(
    coverage: dict[str, Any], out: Path, *, title: str, chosen: dict[str, Any] | None = None
) -> Path:
    """Accuracy (y) against coverage (x) as the threshold rises from 0 (right) to 1 (left):
    overall, with some thresholds written on it, per predicted class when there are at most
    ``MAX_CLASS_CURVES``, and ``chosen`` (an ``at_accuracy`` entry) marked with its target."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10.5, 5.5), dpi=100)
    try:
        classes = coverage["per_class"]
        if len(classes) <= MAX_CLASS_CURVES:
            for name, points in classes.items():
                ax.plot(*_xy(points), linewidth=1, alpha=0.7, label=f"predicted {name}")
        ax.plot(*_xy(coverage["curve"]), color="black", linewidth=2.2, label="all rows")
        for p in coverage["curve"]:
            if p["threshold"] in ANNOTATED and p["accuracy"] is not None:
                ax.annotate(f"t={p['threshold']:.1f}", (p["coverage"], p["accuracy"]), fontsize=8,
                            textcoords="offset points", xytext=(4, -10))  # fmt: skip
                ax.plot(p["coverage"], p["accuracy"], "k.", markersize=5)
        if chosen and chosen["threshold"] is not None:
            ax.axhline(chosen["target"], color="tab:red", linestyle="--", linewidth=1)
            ax.plot(chosen["coverage"], chosen["accuracy"], "o", color="tab:red", markersize=8,
                    label=f"threshold {chosen['threshold']:.2f}: {chosen['coverage']:.1%} of "
                    f"rows at {chosen['accuracy']:.3f} (target {chosen['target']:g})")  # fmt: skip
        ax.set_xlim(0, 1.02)
        ax.set_xlabel("coverage: share of rows with top probability >= t "
                      "(a class's curve: of the rows predicted that class)")  # fmt: skip
        ax.set_ylabel("accuracy of those rows")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # beside
        fig.tight_layout()
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out
