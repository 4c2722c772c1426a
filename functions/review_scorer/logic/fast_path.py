"""The fast path: a file with few rows is scored inside StartScoring, in seconds, instead of by
a transform job whose start-up alone takes minutes.

The model is the transform job's own artifact (:mod:`review_scorer.model.loader`), each row goes
through fastText's predict exactly as the batch path's BlazingText does, and the labeled CSV is
written by the same join from the same predictions: byte for byte the file the batch path
writes. A model too large for the function, or none to be had, sends the file to the batch path.
"""

from __future__ import annotations

from collections.abc import Iterator

from review_scorer.errors import ScoringError
from review_scorer.invocation import Invocation
from review_scorer.logic.file_outcome import announce_for, fail
from review_scorer.logic.start_result import StartResult
from review_scorer.model import loader
from review_scorer.model.scorer import FastTextScorer, fasttext_line
from review_scorer.observability import count, logger
from review_scorer.outcome.summary import succeeded
from review_scorer.results.labeled_file import write_labeled
from review_scorer.settings import Settings
from review_scorer.transform.predictions import Prediction
from review_scorer.upload.staging import Staged, StagingTarget


def rows_to_hold(settings: Settings) -> int:
    """How many rows staging may hold back for the fast path (0: the file goes to a job)."""
    if settings.fast_path_max_rows == 0 or not loader.fits(settings):
        return 0
    return settings.fast_path_max_rows


def score_here(
    target: StagingTarget, staged: Staged, settings: Settings, invocation: Invocation
) -> StartResult | None:
    """Score the held rows, write the labeled CSV and announce it; None when the model cannot
    be loaded here (too large), and the file must go to a job after all."""
    manifest, held = staged.manifest, staged.held or []
    try:
        scorer = loader.load(settings)
    except loader.ModelTooLargeError:
        logger.info("model too large for the fast path; the file goes to a transform job")
        return None
    except ScoringError as error:
        fail(target, error, settings, invocation, manifest.rows)
        return StartResult.FAILED
    try:
        written = write_labeled(manifest, _predictions(scorer, held, manifest.top_k))
    except ScoringError as error:
        logger.warning("results refused", error_code=error.code)
        fail(target, error, settings, invocation, manifest.rows)
        return StartResult.FAILED
    count("FilesScoredInFunction")
    announce_for(target, succeeded(manifest, written, job=None), settings, invocation)
    return StartResult.COMPLETED


def _predictions(scorer: FastTextScorer, sources: list[str], k: int) -> Iterator[Prediction]:
    for source in sources:
        pairs = scorer.predict_line(fasttext_line(source), k)
        yield Prediction(label=[label for _, label in pairs], prob=[prob for prob, _ in pairs])
