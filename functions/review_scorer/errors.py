"""Typed errors with stable codes.

A :class:`ScoringError` is an answer for the user: it ends a file's processing with a FAILED
message that carries ``code`` (stable, for subscription filters and scripts), ``message`` (what
a person can act on) and, where it applies, the line number. Anything else is unexpected and
propagates, so Lambda's retries and failure destinations apply.
"""

from __future__ import annotations


class ScoringError(Exception):
    """Base of every error that becomes a FAILED outcome instead of a crash."""

    code = "SCORING_ERROR"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "line": self.line}


class InputError(ScoringError):
    """The uploaded file cannot be scored as it is; it goes to quarantine."""

    code = "INVALID_INPUT"


class EmptyFileError(InputError):
    code = "EMPTY_FILE"


class NoRowsError(InputError):
    code = "NO_ROWS"


class MissingColumnError(InputError):
    code = "MISSING_COLUMN"


class MalformedCsvError(InputError):
    code = "MALFORMED_CSV"


class EncodingError(InputError):
    code = "INVALID_ENCODING"


class SourceChangedError(ScoringError):
    """The uploaded object changed or vanished between scoring and joining."""

    code = "SOURCE_CHANGED"


class ConfigurationError(ScoringError):
    code = "CONFIGURATION_ERROR"


class TransformJobFailedError(ScoringError):
    code = "TRANSFORM_JOB_FAILED"


class TransformJobStoppedError(ScoringError):
    code = "TRANSFORM_JOB_STOPPED"


class MissingOutputError(ScoringError):
    code = "MISSING_OUTPUT"


class PredictionCountMismatchError(ScoringError):
    code = "PREDICTION_COUNT_MISMATCH"


class InvalidPredictionError(ScoringError):
    code = "INVALID_PREDICTION"


class ManifestError(ScoringError):
    code = "MANIFEST_MISSING"


class FileTooLargeError(InputError):
    code = "FILE_TOO_LARGE"


class InvalidGzipError(InputError):
    code = "INVALID_GZIP"


class DuplicateColumnError(InputError):
    code = "DUPLICATE_COLUMN"


class TooManyRejectsError(InputError):
    code = "TOO_MANY_REJECTED_ROWS"


class TransformJobRejectedError(ScoringError):
    """SageMaker refused to start the job for a reason a retry cannot fix."""

    code = "TRANSFORM_JOB_REJECTED"


class ModelUnreadableError(ScoringError):
    """StartScoring may not or cannot read the stack model's artifact for its review threshold
    (denied, or no such object): a retry cannot fix it, the stack's configuration can."""

    code = "MODEL_UNREADABLE"


class NoTransformCapacityError(ScoringError):
    """The account's transform-instance quota for the instance type is 0: no wait can help."""

    code = "NO_TRANSFORM_CAPACITY"


class CapacityWaitExpiredError(ScoringError):
    """The file waited for a free transform instance longer than the stack allows."""

    code = "TRANSFORM_CAPACITY_WAIT_EXPIRED"


class UnsupportedFileTypeError(InputError):
    """An object under incoming/ that is not a .csv or .csv.gz file."""

    code = "UNSUPPORTED_FILE_TYPE"
