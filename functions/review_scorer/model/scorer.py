"""Scoring one record the way BlazingText batch transform does.

BlazingText does no tokenizing: it splits ``source`` on whitespace, runs fastText's predict with
``k`` (default 1) and answers ``{"label": [...], "prob": [...]}``, best first.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from review_scorer.model.artifact import ModelMetadata, check_compatible, unpack


class BadRecordError(ValueError):
    """A request line BlazingText would reject (not JSON, no string ``source``, bad ``k``)."""


class FastTextScorer:
    """A loaded ``model.bin``; ``predict`` mirrors one BlazingText inference."""

    def __init__(self, model_bin: Path, metadata: ModelMetadata | None = None) -> None:
        from fasttext.FastText import _FastText  # the local extra (fasttext-wheel)

        # _FastText directly: fasttext.load_model only adds a warning printed to stderr.
        self._model = _FastText(model_path=str(model_bin))
        self.metadata = metadata

    @classmethod
    def from_archive(cls, archive: Path, *, where: str) -> FastTextScorer:
        """Load ``model.tar.gz``; refuses a model made with another tokenizer."""
        with tempfile.TemporaryDirectory(prefix="review-scorer-model-") as tmp:
            model_bin, metadata = unpack(archive, Path(tmp))
            check_compatible(metadata, where=where)
            return cls(model_bin, metadata)

    @property
    def labels(self) -> list[str]:
        return list(self._model.get_labels())

    def predict(self, record: Any) -> dict[str, list[Any]]:
        if not isinstance(record, dict) or not isinstance(record.get("source"), str):
            raise BadRecordError('each line must be a JSON object with a string "source"')
        k = record.get("k", 1)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise BadRecordError('"k" must be a positive integer')
        # fastText's predict reads one line: a newline inside would end it early.
        line = " ".join(record["source"].split()) + "\n"
        pairs = self.predict_line(line, k)
        return {"label": [label for _, label in pairs], "prob": [prob for prob, _ in pairs]}

    def predict_line(self, line: str, k: int = 1) -> list[tuple[float, str]]:
        """fastText's own predict and nothing else: the ``k`` best ``(probability, label)``
        pairs, best first, for ``line``, space-separated tokens ending in one newline. No
        checks: :meth:`predict` is this behind BlazingText's request checks and answer shape."""
        pairs: list[tuple[float, str]] = self._model.f.predict(line, k, 0.0, "strict")
        return pairs
