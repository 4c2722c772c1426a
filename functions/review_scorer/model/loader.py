"""The fast path's model: the transform jobs' own ``model.tar.gz``, loaded into StartScoring.

A small file is scored inside StartScoring (:mod:`review_scorer.logic.fast_path`) with the
artifact of the stack's SageMaker Model, so both paths score with one model. Where it is, its
ETag and its metadata alone (the model's review threshold) come from
:mod:`review_scorer.model.artifact_source`; a loaded model is reused while its ETag is unchanged.

Only ``model.bin`` and ``review_scorer_model.json`` are taken from the archive, streamed from S3
through :mod:`tarfile` (no copy of the ``.tar.gz`` on disk) into ``/tmp/review-scorer-model/``,
the previous model's files deleted first. /tmp belongs to the execution environment and stays
across its invocations, even across the runtime's reset after a timeout or crash ("Failures
during the invoke phase",
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so a marker
naming the ETag lets a new process load from disk instead of S3. Its size is the function's
``EphemeralStorage`` (512 MB unless set, up to 10,240 MB:
https://docs.aws.amazon.com/lambda/latest/dg/configuration-ephemeral-storage.html); the template
gives StartScoring room for one ``model.bin`` of ``FastPathMaxModelBytes``.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from review_scorer.aws import s3
from review_scorer.model.artifact import (
    MODEL_FILE,
    Artifact,
    LoadReport,
    ModelMetadata,
    ModelTooLargeError,
    check_compatible,
    extract_stream,
    read_metadata,
)
from review_scorer.model.artifact_source import ETAG_MAX_AGE_SECONDS, ArtifactSource
from review_scorer.model.scorer import FastTextScorer
from review_scorer.observability import logger
from review_scorer.settings import Settings

__all__ = [
    "LoadReport",
    "ModelLoader",
    "ModelTooLargeError",
    "fits",
    "last_load",
    "load",
    "metadata",
    "reset",
]

MODEL_DIR = Path(tempfile.gettempdir()) / "review-scorer-model"
ETAG_MARKER = "artifact-etag"  # the ETag the files were extracted from; written last


class ModelLoader:
    """The model of one container (execution environment); tests make their own."""

    def __init__(
        self, directory: Path = MODEL_DIR, etag_max_age: float = ETAG_MAX_AGE_SECONDS
    ) -> None:
        self.directory = directory
        self._source = ArtifactSource(etag_max_age)
        self.last_load: LoadReport | None = None
        self._model_bytes: dict[str, int] = {}  # ETag -> size of its model.bin, once seen
        self._loaded: tuple[str, FastTextScorer] | None = None
        self._lock = threading.Lock()

    def fits(self, settings: Settings) -> bool:
        """Whether the model may be scored here; False, with a warning, when it cannot be found
        or read (the batch path then reports any real problem). Never raises."""
        limit = settings.fast_path_max_model_bytes
        if limit == 0 or not settings.model_name:
            return False
        try:
            artifact = self._source.current(settings.model_name)
        except (ClientError, BotoCoreError, ValueError) as exc:
            reason = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else str(exc)
            logger.warning(
                "fast path off: model artifact unreadable",
                model=settings.model_name,
                error=reason[:300],
            )
            return False
        largest = max(artifact.size, self._model_bytes.get(artifact.etag, 0))
        if largest > limit:
            logger.info("fast path off: model too large", model_bytes=largest, limit=limit)
            return False
        return True

    def load(self, settings: Settings) -> FastTextScorer:
        """The model, loaded once per ETag. Raises :class:`ModelTooLargeError` (score in a job
        instead), :class:`ModelCompatibilityError` (another tokenizer, no model.bin), and what
        S3 and SageMaker raise (412 if the artifact is replaced while it is read)."""
        with self._lock:
            started = time.monotonic()
            artifact = self._source.current(settings.model_name)
            scorer, source = self._scorer(artifact, settings.fast_path_max_model_bytes)
            model_bytes = self._model_bytes[artifact.etag]
            report = LoadReport(artifact.etag, source, time.monotonic() - started, model_bytes)
            self.last_load = report
        if source != "memory":
            logger.info(
                "model loaded",
                model=settings.model_name,
                source=source,
                seconds=round(report.seconds, 3),
                model_bytes=model_bytes,
                archive_bytes=artifact.size,
            )
        return scorer

    def metadata(self, settings: Settings) -> ModelMetadata | None:
        """The metadata of the stack model's artifact as it is now (None: plain BlazingText),
        checked as a loaded model's: the loaded model's if it is that artifact, else read
        without model.bin. Raises ModelCompatibilityError, and what S3 and SageMaker raise."""
        with self._lock:
            artifact = self._source.current(settings.model_name)
            if self._loaded is not None and self._loaded[0] == artifact.etag:
                return self._loaded[1].metadata
            found = self._source.metadata(artifact)
        check_compatible(found, where=artifact.url)
        return found

    def _scorer(self, artifact: Artifact, limit: int) -> tuple[FastTextScorer, str]:
        if self._loaded is not None and self._loaded[0] == artifact.etag:
            return self._loaded[1], "memory"
        _refuse_above(max(artifact.size, self._model_bytes.get(artifact.etag, 0)), limit)
        self._loaded = None  # never two models in memory at once
        source = "disk"
        if self._extracted_etag() != artifact.etag:
            source = "s3"
            self._download(artifact, limit)
        model_bin = self.directory / MODEL_FILE
        self._model_bytes[artifact.etag] = model_bin.stat().st_size
        _refuse_above(self._model_bytes[artifact.etag], limit)
        metadata = read_metadata(self.directory, where=artifact.url)
        check_compatible(metadata, where=artifact.url)
        scorer = FastTextScorer(model_bin, metadata)
        self._loaded = (artifact.etag, scorer)
        return scorer, source

    def _extracted_etag(self) -> str | None:
        marker = self.directory / ETAG_MARKER
        return marker.read_text("utf-8") if marker.is_file() else None

    def _download(self, artifact: Artifact, limit: int) -> None:
        body = s3.open_if_match(artifact.bucket, artifact.key, artifact.etag)
        try:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory.mkdir(parents=True)
            extract_stream(body, self.directory, max_model_bytes=limit, where=artifact.url)
        except BaseException as exc:
            if isinstance(exc, ModelTooLargeError):
                self._model_bytes[artifact.etag] = exc.size  # fits() says no from now on
            shutil.rmtree(self.directory, ignore_errors=True)
            raise
        finally:
            body.close()
        (self.directory / ETAG_MARKER).write_text(artifact.etag, "utf-8")


def _refuse_above(size: int, limit: int) -> None:
    if size > limit:
        raise ModelTooLargeError(size, limit, "FastPathMaxModelBytes")


_CONTAINER = ModelLoader()


def fits(settings: Settings) -> bool:
    """:meth:`ModelLoader.fits` of this container's loader."""
    return _CONTAINER.fits(settings)


def load(settings: Settings) -> FastTextScorer:
    """:meth:`ModelLoader.load` of this container's loader."""
    return _CONTAINER.load(settings)


def metadata(settings: Settings) -> ModelMetadata | None:
    """:meth:`ModelLoader.metadata` of this container's loader."""
    return _CONTAINER.metadata(settings)


def last_load() -> LoadReport | None:
    """What the last :func:`load` did (cold or warm, how long): for benchmarks and tests."""
    return _CONTAINER.last_load


def reset(directory: Path = MODEL_DIR) -> None:
    """A new container: nothing loaded or remembered (tests and local mode, between stacks)."""
    global _CONTAINER
    _CONTAINER = ModelLoader(directory)
