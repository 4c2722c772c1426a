"""The model artifact: a BlazingText-style ``model.tar.gz`` holding ``model.bin``.

BlazingText hosting and open-source fastText both read ``model.bin``, so a model trained either
way scores the same. Beside it we store ``review_scorer_model.json``: what produced the model
(labels, tokenizer version, hyperparameters, metrics, data fingerprint). A model whose tokenizer
version differs from this code's is refused: its vocabulary would silently mismatch.
"""

from __future__ import annotations

import io
import posixpath
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field

from review_scorer.errors import ScoringError
from review_scorer.tokenizer import TOKENIZER_VERSION

MODEL_FILE = "model.bin"
METADATA_FILE = "review_scorer_model.json"


METADATA_MAX_BYTES = 1024 * 1024


class ModelCompatibilityError(ScoringError):
    code = "MODEL_INCOMPATIBLE"


class ModelTooLargeError(Exception):
    """``model.bin`` is larger than a limit of the one loading it: not an error of the model
    (:mod:`review_scorer.model.loader` sends the file to a transform job instead)."""

    def __init__(self, size: int, limit: int, what: str) -> None:
        super().__init__(f"the model ({size} bytes) is larger than {what} ({limit} bytes)")
        self.size = size


class ModelMetadata(BaseModel):
    name: str
    labels: list[str]
    tokenizer_version: str
    framework: str = "fasttext 0.9.2"
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    data_fingerprint: str | None = None
    # The lowest top-label probability a row needs to be trusted without a person (``train
    # --target-accuracy``); a stack whose ReviewThreshold is ``model`` marks rows below it.
    review_threshold: float | None = Field(default=None, gt=0.0, le=1.0)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())


def package(model_bin: Path, metadata: ModelMetadata, out: Path) -> Path:
    """Write ``out`` (a .tar.gz) with the metadata, then model.bin: a reader of the metadata
    alone (:func:`metadata_from_stream`) stops after its few KB. Readers of both take either
    order (artifacts packaged before had model.bin first)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        data = metadata.model_dump_json(indent=2).encode("utf-8")
        info = tarfile.TarInfo(METADATA_FILE)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(model_bin, arcname=MODEL_FILE)
    return out


def unpack(archive: Path, into: Path) -> tuple[Path, ModelMetadata | None]:
    """Extract model.bin (and metadata, if any) safely; returns the model path and metadata."""
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        if MODEL_FILE not in names:
            raise ModelCompatibilityError(
                f"{archive.name} holds no {MODEL_FILE} (found: {', '.join(names) or 'nothing'})"
            )
        members = [tar.getmember(n) for n in (MODEL_FILE, METADATA_FILE) if n in names]
        tar.extractall(into, members=members, filter="data")
    return into / MODEL_FILE, read_metadata(into, where=archive.name)


def extract_stream(archive: IO[bytes], into: Path, *, max_model_bytes: int, where: str) -> None:
    """Extract model.bin and the metadata from a ``.tar.gz`` read once as a stream (the archive
    is never stored; the rest of it is not read once both are out). A model.bin over
    ``max_model_bytes`` or the free space of ``into`` is refused from its header, before a byte
    of it is written (:class:`ModelTooLargeError`)."""
    found: set[str] = set()
    with tarfile.open(fileobj=archive, mode="r|gz") as tar:
        for member in tar:
            name = posixpath.normpath(member.name)
            if name not in (MODEL_FILE, METADATA_FILE) or not member.isfile():
                continue
            if name == MODEL_FILE:
                _refuse_above(member.size, max_model_bytes, "FastPathMaxModelBytes")
                _refuse_above(
                    member.size, shutil.disk_usage(into).free, f"the space free in {into}"
                )
            else:
                _check_metadata_size(member, where)
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            with (into / name).open("wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
            found.add(name)
            if len(found) == 2:
                break
    if MODEL_FILE not in found:
        raise ModelCompatibilityError(f"{where} holds no {MODEL_FILE}")


def metadata_from_stream(archive: IO[bytes], *, where: str) -> ModelMetadata | None:
    """The metadata of a ``.tar.gz`` read once as a stream, up to its metadata member (the
    first, in an archive :func:`package` wrote; an older one is read through model.bin, which
    is decompressed and dropped, never stored); None when there is none (plain BlazingText)."""
    with tarfile.open(fileobj=archive, mode="r|gz") as tar:
        for member in tar:
            if posixpath.normpath(member.name) == METADATA_FILE and member.isfile():
                _check_metadata_size(member, where)
                source = tar.extractfile(member)
                assert source is not None  # a regular file
                return _parse_metadata(source.read(), where)
    return None


def _check_metadata_size(member: tarfile.TarInfo, where: str) -> None:
    if member.size > METADATA_MAX_BYTES:
        raise ModelCompatibilityError(
            f"{where}: {METADATA_FILE} is larger than {METADATA_MAX_BYTES} bytes"
        )


def _refuse_above(size: int, limit: int, what: str) -> None:
    if size > limit:
        raise ModelTooLargeError(size, limit, what)


def read_metadata(directory: Path, *, where: str) -> ModelMetadata | None:
    """The metadata extracted into ``directory``; None for a plain BlazingText artifact."""
    path = directory / METADATA_FILE
    if not path.is_file():
        return None
    return _parse_metadata(path.read_bytes(), where)


def _parse_metadata(data: bytes, where: str) -> ModelMetadata:
    try:
        return ModelMetadata.model_validate_json(data)
    except ValueError as exc:
        raise ModelCompatibilityError(f"{where}: unreadable {METADATA_FILE}") from exc


def check_compatible(metadata: ModelMetadata | None, *, where: str) -> None:
    """Refuse a model trained with another tokenizer. A model without metadata (a plain
    BlazingText artifact) is accepted: nothing says it is incompatible."""
    if metadata is not None and metadata.tokenizer_version != TOKENIZER_VERSION:
        raise ModelCompatibilityError(
            f"{where} was trained with tokenizer {metadata.tokenizer_version!r} but this "
            f"review-scorer tokenizes with {TOKENIZER_VERSION!r}; retrain it with "
            "`review-scorer train`"
        )


@dataclass(frozen=True)
class Artifact:
    bucket: str
    key: str
    size: int  # of the .tar.gz object
    etag: str

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class LoadReport:
    """What one :meth:`ModelLoader.load` did. ``source``: ``memory`` (the model already loaded,
    its ETag unchanged), ``disk`` (this environment's /tmp copy) or ``s3`` (downloaded)."""

    etag: str
    source: str
    seconds: float
    model_bytes: int
