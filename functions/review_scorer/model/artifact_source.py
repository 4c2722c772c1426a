"""The stack model's artifact as it is now: where it is, its ETag, and its metadata.

DescribeModel names the artifact (:func:`review_scorer.aws.sagemaker.model_artifact`).
SageMaker has no UpdateModel, so that is asked once per container (a name reused after
DeleteModel is only seen by new containers; register-model never reuses one). The object can
be replaced: its size and ETag are asked (HeadObject) at most every ``etag_max_age`` seconds.

The metadata (``review_scorer_model.json``: tokenizer, labels, review threshold) is read from the
archive's head, streamed from S3 only while it has the ETag just asked: ``package()`` writes
it first, so the read stops after a few KB; an older archive (model.bin first) is read through,
model.bin decompressed and dropped, never written. It is remembered per ETag.
"""

from __future__ import annotations

import time

from review_scorer.aws import s3, sagemaker
from review_scorer.model.artifact import Artifact, ModelMetadata, metadata_from_stream

# The artifact's ETag is asked at most this often: a model replaced in place is in use within
# this time, and a busy function (the scoring API answers a 1-text request in about 0.2 ms of
# scoring) does not pay a HeadObject round trip per request.
ETAG_MAX_AGE_SECONDS = 30.0


class ArtifactSource:
    """What one container knows of the stack model's artifact. Not locked: its callers are."""

    def __init__(self, etag_max_age: float = ETAG_MAX_AGE_SECONDS) -> None:
        self.etag_max_age = etag_max_age
        self._locations: dict[str, tuple[str, str]] = {}  # model name -> its bucket and key
        self._heads: dict[tuple[str, str], tuple[float, Artifact]] = {}
        self._metadata: dict[str, ModelMetadata | None] = {}  # ETag -> its metadata

    def current(self, model_name: str) -> Artifact:
        """The artifact of the SageMaker Model ``model_name`` as it is now (within
        ``etag_max_age``). Raises what DescribeModel and HeadObject raise, and ValueError for a
        model that names no s3:// artifact."""
        if model_name not in self._locations:
            self._locations[model_name] = sagemaker.model_artifact(model_name)
        bucket, key = self._locations[model_name]
        asked = self._heads.get((bucket, key))
        if asked is not None and time.monotonic() - asked[0] < self.etag_max_age:
            return asked[1]
        head = s3.head(bucket, key)
        artifact = Artifact(bucket, key, head.size, head.etag)
        self._heads[(bucket, key)] = (time.monotonic(), artifact)
        return artifact

    def metadata(self, artifact: Artifact) -> ModelMetadata | None:
        """The metadata ``artifact`` holds (None: none, a plain BlazingText artifact). Raises
        :class:`~review_scorer.model.artifact.ModelCompatibilityError` for an unreadable one,
        and what S3 raises (412 if the artifact was replaced since its ETag was asked)."""
        if artifact.etag not in self._metadata:
            body = s3.open_if_match(artifact.bucket, artifact.key, artifact.etag)
            try:
                self._metadata[artifact.etag] = metadata_from_stream(body, where=artifact.url)
            finally:
                body.close()
        return self._metadata[artifact.etag]
