"""Where everything lives in the bucket: every key the app reads or writes.

All keys the app writes are computed here, so one module answers "can anything we write match
the upload trigger?" (it cannot: only ``incoming/`` + ``.csv`` triggers, and nothing is written
under ``incoming/``). Every name is deterministic, which is what makes each step idempotent.
"""

from __future__ import annotations

import posixpath

INCOMING_PREFIX = "incoming/"
UPLOAD_SUFFIX = ".csv"
GZIP_UPLOAD_SUFFIX = ".csv.gz"
# Matched without regard to case (reviews.CSV is a CSV too). S3's suffix filters are
# case-sensitive (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html),
# so the trigger filters on the prefix only and StartScoring refuses what is not a CSV, with a
# message: no upload under incoming/ goes unanswered.
UPLOAD_SUFFIXES = (GZIP_UPLOAD_SUFFIX, UPLOAD_SUFFIX)
STAGING_PREFIX = "staging/"
PREDICTIONS_PREFIX = "predictions/"
RESULTS_PREFIX = "results/"
QUARANTINE_PREFIX = "quarantine/"
TRAINING_PREFIX = "training/"  # BlazingText training channels and output
MODELS_PREFIX = "models/"  # model artifacts registered for the stack's SageMaker Model

WRITTEN_PREFIXES = (STAGING_PREFIX, PREDICTIONS_PREFIX, RESULTS_PREFIX, QUARANTINE_PREFIX)


def upload_name(key: str) -> str:
    """The upload's path below ``incoming/`` without ``.csv`` (or ``.csv.gz``):
    ``incoming/a/b.csv`` -> ``a/b``.

    Keeping the sub-path (not only the base name) means two uploads in different folders never
    share a result key.
    """
    name = key[len(INCOMING_PREFIX) :] if key.startswith(INCOMING_PREFIX) else key
    for suffix in UPLOAD_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def staging_prefix(job: str) -> str:
    return f"{STAGING_PREFIX}{job}/"


# Every file's shards sit side by side in one folder, named after their file, so every input
# object of a job (a ManifestFile listing shards of several files) has a name of its own and no
# folder below the manifest's prefix. Batch Transform writes one ``<input name>.out`` per input
# object "in a corresponding subfolder" of the output path
# (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformOutput.html); with no
# subfolder in the inputs' relative paths, that is ``<output path>/<shard name>.out`` however the
# subfolder is read, and two files' outputs can never collide.
SHARDS_PREFIX = f"{STAGING_PREFIX}shards/"


def shard_key(file: str, index: int) -> str:
    """One staging shard of the file whose id is ``file``."""
    return f"{SHARDS_PREFIX}{file}-part-{index:05d}.jsonl"


def job_input_manifest_key(job: str) -> str:
    """The job's ``ManifestFile`` input: the shards of every file in it."""
    return f"{staging_prefix(job)}input.manifest"


def job_files_key(job: str) -> str:
    """Which files a transform job scores (:class:`review_scorer.transform.batch.JobFiles`)."""
    return f"{staging_prefix(job)}files.json"


def job_claim_key(file: str) -> str:
    """The file's claim on a job: written with a conditional write before the job starts."""
    return f"{staging_prefix(file)}job-claim.json"


def manifest_key(job: str) -> str:
    return f"{staging_prefix(job)}manifest.json"


def staged_rejects_key(job: str) -> str:
    return f"{staging_prefix(job)}rejects.csv"


def predictions_prefix(job: str) -> str:
    return f"{PREDICTIONS_PREFIX}{job}/"


def prediction_key(job: str, shard: str) -> str:
    """Batch Transform writes ``<input object name>.out`` under the output path (see
    :data:`SHARDS_PREFIX`)."""
    return f"{predictions_prefix(job)}{posixpath.basename(shard)}.out"


def labeled_key(name: str) -> str:
    return f"{RESULTS_PREFIX}{name}.labeled.csv"


def rejects_key(name: str) -> str:
    return f"{RESULTS_PREFIX}{name}.rejects.csv"


def summary_key(name: str) -> str:
    return f"{RESULTS_PREFIX}{name}.summary.json"


def quarantine_key(name: str, key: str) -> str:
    return f"{QUARANTINE_PREFIX}{name}/{posixpath.basename(key)}"


def quarantine_error_key(name: str) -> str:
    return f"{QUARANTINE_PREFIX}{name}/error.json"


def is_under_incoming(key: str) -> bool:
    """True for the objects the upload trigger fires on: anything under ``incoming/`` but the
    zero-byte "folder" placeholders the S3 console creates (their keys end in "/")."""
    return key.startswith(INCOMING_PREFIX) and not key.endswith("/")


def is_upload(key: str) -> bool:
    """True for the files the app scores: a .csv or .csv.gz under ``incoming/``, any case."""
    return is_under_incoming(key) and key.lower().endswith(UPLOAD_SUFFIXES)


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def notified_key(job: str) -> str:
    """Written after a file's one SNS message was sent; a duplicate finds it and stays quiet."""
    return f"{staging_prefix(job)}notified.json"


def model_key(model_name: str) -> str:
    """Where ``register-model`` and local mode put a model's ``model.tar.gz``."""
    return f"{MODELS_PREFIX}{model_name}/model.tar.gz"


def training_channel_key(job: str, channel: str) -> str:
    """A BlazingText training job's input file for ``channel`` (train, validation)."""
    return f"{TRAINING_PREFIX}{job}/{channel}/{channel}.txt"


def training_output_prefix(job: str) -> str:
    """The training job's S3OutputPath."""
    return f"{TRAINING_PREFIX}{job}/output"


def training_artifact_key(job: str) -> str:
    """Where SageMaker writes the job's model: ``<S3OutputPath>/<job>/output/model.tar.gz``."""
    return f"{training_output_prefix(job)}/{job}/output/model.tar.gz"
