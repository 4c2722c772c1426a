"""The confusion matrix as a PNG (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def confusion_matrix_png(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], out: Path, *, title: str
) -> Path:
    """Counts in each cell, rows = true label, columns = predicted; sized for 3 or 30 labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
