"""The demo model: fastText trained on the synthetic corpus, cached on disk."""

from __future__ import annotations

import hashlib
from pathlib import Path

from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training.fasttext_local import Hyperparameters, train_model
from review_scorer_training.synthetic import corpus

DEMO_MODEL_NAME = "review-scorer-demo"
# 100k n-gram buckets instead of 2M: the corpus is small, and the model stays ~8 MB, not 160 MB.
DEMO_HYPERPARAMETERS = Hyperparameters(
    epoch=10, lr=0.5, dim=20, word_ngrams=2, min_count=1, bucket=100_000
)
CORPUS_VERSION = "1"


def demo_model(cache_dir: Path) -> Path:
    """The demo ``model.tar.gz``, trained on first use (about a second) and reused after.

    The cache key covers the corpus, the tokenizer and the settings: a change to any retrains.
    """
    settings = f"{CORPUS_VERSION}|{TOKENIZER_VERSION}|{DEMO_HYPERPARAMETERS}".encode()
    out = cache_dir / f"demo-model-{hashlib.sha256(settings).hexdigest()[:12]}" / "model.tar.gz"
    if not out.exists():
        partial = out.with_suffix(".partial")
        train_model(corpus(), partial, name=DEMO_MODEL_NAME, hyperparameters=DEMO_HYPERPARAMETERS)
        partial.replace(out)
    return out
