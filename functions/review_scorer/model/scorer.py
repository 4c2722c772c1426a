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
    """A loaded ``model.bin``; ``predict`` mirrors one BlazingText inference.

    Works with either build of the ``fasttext`` module: ``fasttext-predict`` in the Lambda
    bundle (functions/requirements.txt: small, no numpy) and ``fasttext-wheel`` in local mode
    and training. Both have the same ``_FastText`` class and ``f.predict(line, k, threshold,
    on_unicode_error)``, which is all scoring uses, and give the same labels and probabilities
    (tests/contract/test_build.py compares them). Only :attr:`labels` needs fasttext-wheel.
    """

    def __init__(self, model_bin: Path, metadata: ModelMetadata | None = None) -> None:
        # _FastText of fasttext-predict (the Lambda) or fasttext-wheel (local mode, training)
        from fasttext.FastText import _FastText

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
        """The model's labels, ``__label__`` prefix and all. Training's only: fasttext-predict,
        the Lambda's build, has no ``get_labels`` (AttributeError there)."""
        return list(self._model.get_labels())

    def predict(self, record: Any) -> dict[str, list[Any]]:
        line, k = request_line(record)
        pairs = self.predict_line(line, k)
        return {"label": [label for _, label in pairs], "prob": [prob for prob, _ in pairs]}

    def predict_line(self, line: str, k: int = 1) -> list[tuple[float, str]]:
        """fastText's own predict and nothing else: the ``k`` best ``(probability, label)``
        pairs, best first, for ``line``, space-separated tokens ending in one newline. No
        checks: :meth:`predict` is this behind BlazingText's request checks and answer shape."""
        pairs: list[tuple[float, str]] = self._model.f.predict(line, k, 0.0, "strict")
        return pairs


def request_line(record: Any, *, spaces_only: bool = False) -> tuple[str, int]:
    """BlazingText's checks of one request, then the line fastText's predict reads and ``k``;
    ``spaces_only`` as for :func:`fasttext_line`."""
    source = record.get("source") if isinstance(record, dict) else None
    if not isinstance(source, str):
        raise BadRecordError('each line must be a JSON object with a string "source"')
    k = record.get("k", 1)
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise BadRecordError('"k" must be a positive integer')
    return fasttext_line(source, spaces_only=spaces_only), k


def fasttext_line(source: str, *, spaces_only: bool = False) -> str:
    """``source``'s whitespace-separated tokens joined by single spaces, ending in one newline:
    fastText's predict reads one line, so a newline inside would end it early.

    Staging writes the tokens that way already, which one pass over the text confirms
    (:meth:`str.isprintable` is False for every character :meth:`str.split` splits on but the
    ASCII space), sparing the split and join. ``spaces_only``: the caller knows that the only
    whitespace ``source`` can hold is the ASCII space, and that pass is spared too."""
    edges = source.startswith(" ") or source.endswith(" ")
    if not edges and "  " not in source and (spaces_only or source.isprintable()):
        return source + "\n"
    return " ".join(source.split()) + "\n"
