"""The model artifact: a BlazingText-style ``model.tar.gz`` holding ``model.bin``.

BlazingText hosting and open-source fastText both read ``model.bin``, so a model trained either
way scores the same. Beside it we store ``review_scorer_model.json``: what produced the model
(labels, tokenizer version, hyperparameters, metrics, data fingerprint). A model whose tokenizer
version differs from this code's is refused: its vocabulary would silently mismatch.
"""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from review_scorer.errors import ScoringError
from review_scorer.tokenizer import TOKENIZER_VERSION

MODEL_FILE = "model.bin"
METADATA_FILE = "review_scorer_model.json"


class ModelCompatibilityError(ScoringError):
    code = "MODEL_INCOMPATIBLE"


class ModelMetadata(BaseModel):
    name: str
    labels: list[str]
    tokenizer_version: str
    framework: str = "fasttext 0.9.2"
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    data_fingerprint: str | None = None
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())


def package(model_bin: Path, metadata: ModelMetadata, out: Path) -> Path:
    """Write ``out`` (a .tar.gz) with model.bin and the metadata, deterministically ordered."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(model_bin, arcname=MODEL_FILE)
        data = metadata.model_dump_json(indent=2).encode("utf-8")
        info = tarfile.TarInfo(METADATA_FILE)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
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
    metadata_path = into / METADATA_FILE
    metadata = (
        ModelMetadata.model_validate_json(metadata_path.read_text("utf-8"))
        if metadata_path.exists()
        else None
    )
    return into / MODEL_FILE, metadata


def check_compatible(metadata: ModelMetadata | None, *, where: str) -> None:
    """Refuse a model trained with another tokenizer. A model without metadata (a plain
    BlazingText artifact) is accepted: nothing says it is incompatible."""
    if metadata is not None and metadata.tokenizer_version != TOKENIZER_VERSION:
        raise ModelCompatibilityError(
            f"{where} was trained with tokenizer {metadata.tokenizer_version!r} but this "
            f"review-scorer tokenizes with {TOKENIZER_VERSION!r}; retrain it with "
            "`review-scorer train`"
        )
