"""The demo model: fastText trained on the synthetic corpus, cached on disk."""

from __future__ import annotations

from pathlib import Path

from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training.fasttext_local import Hyperparameters, train_model
from review_scorer_training.synthetic import corpus

DEMO_MODEL_NAME = "review-scorer-demo"
DEMO_HYPERPARAMETERS = Hyperparameters(epoch=10, lr=0.5, dim=20, word_ngrams=2, min_count=1)
CORPUS_VERSION = "1"


def demo_model(cache_dir: Path) -> Path:
    """The demo ``model.tar.gz``, trained on first use (about a second) and reused after.

    The cache key holds the tokenizer and corpus versions, so a change to either retrains.
    """
    out = cache_dir / f"demo-model-c{CORPUS_VERSION}-{TOKENIZER_VERSION}" / "model.tar.gz"
    if not out.exists():
        partial = out.with_suffix(".partial")
        train_model(corpus(), partial, name=DEMO_MODEL_NAME, hyperparameters=DEMO_HYPERPARAMETERS)
        partial.replace(out)
    return out
