"""Local fastText training that produces a BlazingText-compatible artifact.

Uses ``fasttext-wheel`` 0.9.2. Its ``predict()`` breaks under numpy 2, so prediction goes through
the underlying ``model.f.predict(line, k, threshold, "strict")``. One thread and a fixed seed make
training deterministic.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from review_scorer.model_artifact import ModelMetadata, package
from review_scorer.predictions import LABEL_PREFIX
from review_scorer.tokenizer import TOKENIZER_VERSION, tokenize


@dataclass(frozen=True)
class Hyperparameters:
    """fastText supervised settings (BlazingText names in comments)."""

    epoch: int = 10  # epochs
    lr: float = 0.5  # learning_rate
    dim: int = 20  # vector_dim
    word_ngrams: int = 2  # word_ngrams
    min_count: int = 1  # min_count
    bucket: int = 2_000_000  # buckets: hash slots for word n-grams (rows of the input matrix)

    def fasttext_kwargs(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "lr": self.lr,
            "dim": self.dim,
            "wordNgrams": self.word_ngrams,
            "minCount": self.min_count,
            "bucket": self.bucket,
        }


def blazingtext_line(label: str, text: str) -> str | None:
    """``__label__<label> <tokens>``, or None for a text with no tokens."""
    tokens = tokenize(text)
    return f"{LABEL_PREFIX}{label} {' '.join(tokens)}\n" if tokens else None


def write_training_file(pairs: Iterable[tuple[str, str]], path: Path) -> str:
    """Write the BlazingText/fastText training file; returns its sha256 (the data fingerprint)."""
    digest = hashlib.sha256()
    with path.open("w", encoding="utf-8") as out:
        for label, text in pairs:
            line = blazingtext_line(label, text)
            if line:
                out.write(line)
                digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def train_model(
    pairs: Iterable[tuple[str, str]],
    out: Path,
    *,
    name: str,
    hyperparameters: Hyperparameters | None = None,
    seed: int = 42,
) -> Path:
    """Train on ``(label, text)`` pairs and write ``out`` (model.tar.gz)."""
    import fasttext  # the training extra; imported here so nothing loads it by accident

    hp = hyperparameters or Hyperparameters()
    with tempfile.TemporaryDirectory(prefix="review-scorer-train-") as tmp:
        train_file = Path(tmp) / "train.txt"
        fingerprint = write_training_file(pairs, train_file)
        model = fasttext.train_supervised(
            str(train_file), thread=1, seed=seed, verbose=0, **hp.fasttext_kwargs()
        )
        model_bin = Path(tmp) / "model.bin"
        model.save_model(str(model_bin))
        labels = sorted(label.removeprefix(LABEL_PREFIX) for label in model.get_labels())
        metadata = ModelMetadata(
            name=name,
            labels=labels,
            tokenizer_version=TOKENIZER_VERSION,
            hyperparameters={**asdict(hp), "seed": seed},
            data_fingerprint=fingerprint,
        )
        return package(model_bin, metadata, out)
