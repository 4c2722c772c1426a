"""Preparing a labeled CSV for training: read, clean, balance, shuffle, split.

pandas reads the file with ``keep_default_na=False``: a review that says "NA" or "null" stays
text. Every row that cannot be used is counted by reason (empty text, empty label, no tokens,
removed by balancing), never dropped silently. Shuffling, balancing and splits are seeded, so a
run can be repeated exactly; splits are stratified, so every class keeps its share.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from review_scorer.tokenizer import tokenize
from review_scorer_training.errors import TrainingDataError
from review_scorer_training.fasttext_local import format_line
from review_scorer_training.labels import label_names, safe_label

LABEL = "label"  # the fastText-safe label
TOKENS = "tokens"  # the review's tokens, space-joined


@dataclass
class RowCounts:
    """What happened to the rows of the file."""

    read: int = 0
    empty_text: int = 0
    empty_label: int = 0
    no_tokens: int = 0
    removed_by_balancing: int = 0
    used: int = 0

    def as_dict(self) -> dict[str, Any]:
        counts = asdict(self)
        dropped = {k: counts.pop(k) for k in ("empty_text", "empty_label", "no_tokens")}
        return {**counts, "dropped": dropped}


@dataclass(frozen=True)
class Dataset:
    """Usable rows (``label``, ``tokens``), shuffled; the counts; the label names."""

    frame: pd.DataFrame
    counts: RowCounts
    names: dict[str, str]  # safe label -> label as written in the file
    source_sha256: str


def read_columns(path: Path, text_column: str, label_column: str) -> pd.DataFrame:
    """The two columns as text, ``""`` for an empty cell; clear errors for a bad file."""
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        missing = [c for c in (text_column, label_column) if c not in header]
        if missing:
            found = ", ".join(repr(c) for c in header)
            raise TrainingDataError(f"{path.name} has no column {missing[0]!r}; found: {found}")
        frame = pd.read_csv(
            path,
            usecols=[text_column, label_column],
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
        )
    except FileNotFoundError:
        raise TrainingDataError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise TrainingDataError(f"{path.name} is not valid UTF-8; save it as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise TrainingDataError(f"{path.name} cannot be read as CSV: {exc}") from None
    return pd.DataFrame(
        {"text": frame[text_column].fillna(""), "original": frame[label_column].fillna("")}
    )


def load(
    path: Path, text_column: str, label_column: str, *, balance: bool = False, seed: int = 42
) -> Dataset:
    """Read, clean, tokenize, optionally balance (seeded), and shuffle (seeded)."""
    frame = read_columns(path, text_column, label_column)
    counts = RowCounts(read=len(frame))
    empty_text = frame["text"].str.strip() == ""
    empty_label = ~empty_text & (frame["original"].str.strip() == "")
    counts.empty_text, counts.empty_label = int(empty_text.sum()), int(empty_label.sum())
    frame = frame[~empty_text & ~empty_label].copy()
    frame[TOKENS] = [" ".join(tokenize(text)) for text in frame["text"]]
    no_tokens = frame[TOKENS] == ""
    counts.no_tokens = int(no_tokens.sum())
    frame = frame[~no_tokens]
    originals = frame["original"].str.strip()
    names = label_names(originals)
    frame[LABEL] = originals.map(safe_label)
    if balance and len(frame):
        smallest = int(frame[LABEL].value_counts().min())
        balanced = frame.groupby(LABEL, group_keys=False).sample(n=smallest, random_state=seed)
        counts.removed_by_balancing = len(frame) - len(balanced)
        frame = balanced
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)[[LABEL, TOKENS]]
    counts.used = len(frame)
    if frame[LABEL].nunique() < 2:
        raise TrainingDataError(
            f"{path.name} has {frame[LABEL].nunique()} distinct label(s) in {label_column!r} "
            f"among {counts.used} usable rows; a classifier needs at least 2"
        )
    return Dataset(frame=frame, counts=counts, names=names, source_sha256=sha256_file(path))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stratified_folds(frame: pd.DataFrame, k: int) -> Any:
    """Fold number (0..k-1) of each row: within each class, rows are dealt out in turn."""
    if k < 2:
        raise TrainingDataError(f"cross-validation needs at least 2 folds, not {k}")
    return (frame.groupby(LABEL).cumcount() % k).to_numpy(dtype=np.int64)


def split(frame: pd.DataFrame, valid_fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified train/validation split of shuffled rows; every class keeps a training row."""
    if not 0.0 < valid_fraction < 1.0:
        raise TrainingDataError(f"the validation fraction must be in (0, 1), not {valid_fraction}")
    rank = frame.groupby(LABEL).cumcount()
    size = frame.groupby(LABEL)[LABEL].transform("size")
    wanted = np.minimum(np.floor(size * valid_fraction + 0.5), size - 1)
    is_valid = rank < wanted
    return frame[~is_valid], frame[is_valid]


def lines(frame: pd.DataFrame) -> list[str]:
    """The BlazingText/fastText lines of the rows: ``__label__<label> <tokens>``."""
    return [
        format_line(label, tokens)
        for label, tokens in zip(frame[LABEL], frame[TOKENS], strict=True)
    ]
