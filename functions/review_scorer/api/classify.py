"""``POST /api/classify``: texts scored as the labeled CSV would score them.

The fast path's scorer (:mod:`review_scorer.model.loader`: the stack's own model artifact,
loaded once per container), the same tokenizer, the same line to fastText
(:func:`review_scorer.model.scorer.fasttext_line` of the space-joined tokens, as staging writes
it), and the same rounding and label names as the join
(:func:`review_scorer.results.result_columns.format_probability`, ``LabelNames``): a text's
labels and probabilities are exactly the cells of its row in the labeled CSV, and so is its
``needs_review`` (the rule of :mod:`review_scorer.results.needs_review`, with the request's
threshold or the stack's ``ReviewThreshold``).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from review_scorer.api.http import ApiError, Request, json_object
from review_scorer.errors import ScoringError
from review_scorer.model import loader
from review_scorer.model.scorer import FastTextScorer, fasttext_line
from review_scorer.observability import count, logger
from review_scorer.results.needs_review import (
    MODEL,
    OFF,
    ReviewThresholdChoice,
    needs_review,
    threshold_for,
)
from review_scorer.results.result_columns import format_probability
from review_scorer.settings import Settings
from review_scorer.tokenizer import tokenize
from review_scorer.transform.predictions import LABEL_PREFIX
from review_scorer.transform.row_status import EMPTY, SCORED

MAX_TEXTS = 1000
MAX_K = 10


def handle(request: Request, settings: Settings) -> dict[str, Any]:
    body = json_object(request)
    texts, k = parse(body)
    choice = requested_threshold(body, settings.review_threshold_choice)
    scorer = _scorer(settings)
    threshold = threshold_for(choice, lambda: scorer.metadata)
    count("TextsClassified", len(texts))
    names = settings.label_map
    return {
        "model": settings.model_name,
        "review_threshold": threshold,
        "predictions": [predict(scorer, text, k, names, threshold) for text in texts],
    }


def parse(body: dict[str, Any]) -> tuple[list[str], int]:
    """``texts`` and ``k`` of a request, checked; errors name the field, never its text."""
    texts = body.get("texts")
    if not isinstance(texts, list):
        raise ApiError(400, "INVALID_REQUEST", '"texts" must be a list of strings')
    if not texts:
        raise ApiError(400, "INVALID_REQUEST", '"texts" is empty: send 1 to 1000 strings')
    if len(texts) > MAX_TEXTS:
        raise ApiError(
            400, "TOO_MANY_TEXTS", f'"texts" has {len(texts)} items; at most {MAX_TEXTS} are scored'
        )
    for n, text in enumerate(texts):
        if not isinstance(text, str):
            raise ApiError(400, "INVALID_REQUEST", f'"texts"[{n}] is not a string')
        if not text.isascii() and not _encodable(text):
            raise ApiError(
                400, "INVALID_REQUEST", f'"texts"[{n}] holds a lone surrogate (\\ud800-\\udfff)'
            )
    k = body.get("k", 1)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise ApiError(400, "INVALID_REQUEST", f'"k" must be an integer from 1 to {MAX_K}')
    return texts, k


def requested_threshold(
    body: dict[str, Any], default: ReviewThresholdChoice
) -> ReviewThresholdChoice:
    """The request's ``review_threshold``: a number in (0, 1], ``"model"`` or ``"off"``;
    absent or null, the stack's (``default``)."""
    value = body.get("review_threshold")
    if value is None:
        return default
    if value in (MODEL, OFF):
        return MODEL if value == MODEL else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ApiError(
            400,
            "INVALID_REQUEST",
            '"review_threshold" must be a number above 0 and at most 1, "model" or "off"',
        )
    return float(value)


def _encodable(text: str) -> bool:
    """Whether ``text`` is UTF-8 text: JSON may escape a lone surrogate, which fastText cannot
    take (an uploaded CSV, decoded from UTF-8, never holds one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def predict(
    scorer: FastTextScorer,
    text: str,
    k: int,
    names: dict[str, str],
    threshold: float | None = None,
) -> dict[str, Any]:
    """One text's prediction; ``names`` maps model labels (without ``__label__``) to names;
    with a ``threshold``, whether its printed top probability is below it (``needs_review``)."""
    tokens = tokenize(text)
    if not tokens:
        return {"labels": [], "probabilities": [], "scoring_status": EMPTY}
    pairs = scorer.predict_line(fasttext_line(" ".join(tokens)), k)
    labels = [label.removeprefix(LABEL_PREFIX) for _, label in pairs]
    printed = [format_probability(prob) for prob, _ in pairs]
    answer: dict[str, Any] = {
        "labels": [names.get(label, label) for label in labels],
        "probabilities": [float(p) for p in printed],
        "scoring_status": SCORED,
    }
    if threshold is not None and printed:
        answer["needs_review"] = needs_review(printed[0], threshold)
    return answer


def _scorer(settings: Settings) -> FastTextScorer:
    """The model, or ``503 MODEL_UNAVAILABLE`` when it cannot be had here: none configured,
    DescribeModel or S3 cannot find or read it, larger than ``FastPathMaxModelBytes``, or made
    with another tokenizer. The answer names the kind of problem; the log line has the detail
    (an artifact's location is not for the caller)."""
    if not settings.model_name:
        raise _unavailable("the stack names no model (ModelName)")
    try:
        return loader.load(settings)
    except loader.ModelTooLargeError as exc:
        raise _unavailable(f"{exc}; transform jobs score it") from None
    except ScoringError as exc:
        raise _unavailable(exc.code, exc.message) from None
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise _unavailable(f"{exc.operation_name} answered {code}", str(exc)) from None
    except (BotoCoreError, ValueError, OSError) as exc:
        raise _unavailable(type(exc).__name__, str(exc)) from None


def _unavailable(reason: str, detail: str = "") -> ApiError:
    logger.warning("model unavailable", reason=reason, detail=detail[:300])
    return ApiError(503, "MODEL_UNAVAILABLE", f"the model cannot be loaded here: {reason}")
