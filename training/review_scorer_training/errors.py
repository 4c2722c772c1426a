"""Typed errors of the training commands: each ends a command with a message to act on."""

from __future__ import annotations

from review_scorer.errors import ScoringError


class TrainingDataError(ScoringError):
    """The training CSV cannot be used as it is (missing column, too few rows or labels)."""

    code = "INVALID_TRAINING_DATA"


class TrainingJobError(ScoringError):
    """A SageMaker training job ended without a model (Failed or Stopped)."""

    code = "TRAINING_JOB_FAILED"


class ImageLookupError(ScoringError):
    """The BlazingText image of a region could not be found."""

    code = "IMAGE_NOT_FOUND"
