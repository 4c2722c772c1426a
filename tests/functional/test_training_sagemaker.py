"""SageMaker training and model registration, offline: the requests are asserted with botocore's
Stubber, and ``--dry-run`` is shown to send nothing and need no credentials."""

from __future__ import annotations

import argparse
import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from review_scorer.model.artifact import ModelMetadata, package, unpack
from review_scorer.tokenizer import TOKENIZER_VERSION
from review_scorer_training import blazingtext as bt
from review_scorer_training.aws_requests import Aws
from review_scorer_training.commands import register
from review_scorer_training.errors import TrainingJobError
from review_scorer_training.fasttext_local import Hyperparameters, train_model
from review_scorer_training.progress import Progress
from review_scorer_training.registry import Target, register_model
from review_scorer_training.sagemaker_train import JobSettings, sagemaker_train
from review_scorer_training.synthetic import corpus
from review_scorer_training.train import TrainOptions
from tests.conftest import write_csv

REGION = "eu-west-1"
IMAGE = "685385470294.dkr.ecr.eu-west-1.amazonaws.com/blazingtext:1"
ROLE = "arn:aws:iam::123456789012:role/review-scorer-sagemaker"
BUCKET = "reviews-bucket"
JOB = "review-scorer-sentiment-20261121-094500"
SMALL = Hyperparameters(epoch=10, lr=0.5, dim=10, word_ngrams=2, min_count=1, bucket=10_000)
NOW = datetime(2026, 11, 21, 9, 45, tzinfo=UTC)
JOB_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:training-job/{JOB}"
MODEL_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:model/m"


def run_cli(*argv: str | Path) -> int:
    parser = argparse.ArgumentParser(prog="review-scorer")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([str(a) for a in argv])
    return int(args.run(args))


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials at all, and any attempt to make a client fails the test."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a dry run must not create an AWS client")

    monkeypatch.setattr(boto3, "client", refuse)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rows = [[text, label] for label, text in corpus(20)]
    return write_csv(tmp_path / "reviews.csv", ["review_body", "sentiment"], rows)


@pytest.fixture(scope="module")
def local_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "model.tar.gz"
    return train_model(corpus(30), out, name="local", hyperparameters=SMALL)


class StubbedAws:
    """Stubbed S3 and SageMaker clients in an :class:`Aws`, checked for leftovers at the end."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.s3_stub, self.sm_stub = Stubber(self.s3), Stubber(self.sagemaker)
        self.aws = Aws(REGION, {"s3": self.s3, "sagemaker": self.sagemaker})

    def name_is_free(self, name: str) -> None:
        self.sm_stub.add_client_error(
            "describe_model", "ValidationException", f"Could not find model {name}",
            expected_params={"ModelName": name},
        )  # fmt: skip

    def upload(self, key: str) -> None:
        self.s3_stub.add_response(
            "put_object", {"ETag": '"e"'}, {"Bucket": BUCKET, "Key": key, "Body": ANY}
        )


@pytest.fixture
def stubbed() -> Iterator[StubbedAws]:
    fake = StubbedAws()
    with fake.s3_stub, fake.sm_stub:
        yield fake
        fake.s3_stub.assert_no_pending_responses()
        fake.sm_stub.assert_no_pending_responses()


def describe(status: str, secondary: str, **extra: Any) -> dict[str, Any]:
    return {
        "TrainingJobName": JOB,
        "TrainingJobArn": JOB_ARN,
        "ModelArtifacts": {"S3ModelArtifacts": ""},
        "TrainingJobStatus": status,
        "SecondaryStatus": secondary,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                           "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "CreationTime": NOW,
        **extra,
    }  # fmt: skip


def blazingtext_artifact(local_model: Path, tmp_path: Path) -> bytes:
    """A model.tar.gz as a BlazingText job writes it: model.bin alone, no metadata."""
    model_bin, _ = unpack(local_model, tmp_path / "bt")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(model_bin, arcname="model.bin")
    return buffer.getvalue()


def options(data: Path, out: Path) -> TrainOptions:
    return TrainOptions(data=data, text_column="review_body", label_column="sentiment",
                        out=out, hyperparameters=SMALL)  # fmt: skip


def settings(model_name: str = "reviews-sentiment-v4") -> JobSettings:
    spec = bt.TrainingJobSpec(
        job=JOB, bucket=BUCKET, role=ROLE, image=IMAGE,
        hyperparameters=bt.blazingtext_hyperparameters(SMALL),
    )  # fmt: skip
    return JobSettings(spec=spec, model_name=model_name, poll_seconds=0)


def test_sagemaker_train_uploads_channels_trains_waits_and_registers_the_model(
    stubbed: StubbedAws, data: Path, local_model: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # Given: the name is free; the job goes Starting -> Training -> Completed
    stubbed.name_is_free("reviews-sentiment-v4")
    for channel in ("train", "validation"):
        stubbed.upload(f"training/{JOB}/{channel}/{channel}.txt")
    expected_job = {
        "TrainingJobName": JOB,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "HyperParameters": {
            "mode": "supervised", "epochs": "10", "learning_rate": "0.5", "vector_dim": "10",
            "word_ngrams": "2", "min_count": "1", "buckets": "10000", "early_stopping": "True",
            "patience": "4", "min_epochs": "5",
        },
        "InputDataConfig": [
            {
                "ChannelName": channel,
                "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{BUCKET}/training/{JOB}/{channel}/{channel}.txt",
                    "S3DataDistributionType": "FullyReplicated",
                }},
                "ContentType": "text/plain",
                "CompressionType": "None",
            }
            for channel in ("train", "validation")
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/training/{JOB}/output"},
        "ResourceConfig": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 1,
                           "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }  # fmt: skip
    stubbed.sm_stub.add_response("create_training_job", {"TrainingJobArn": JOB_ARN}, expected_job)
    artifact_key = f"training/{JOB}/output/{JOB}/output/model.tar.gz"
    done = describe(
        "Completed", "Completed",
        ModelArtifacts={"S3ModelArtifacts": f"s3://{BUCKET}/{artifact_key}"},
        FinalMetricDataList=[{"MetricName": "validation:accuracy", "Value": 0.9, "Timestamp": NOW}],
    )  # fmt: skip
    for state in (describe("InProgress", "Starting"), describe("InProgress", "Training"), done):
        stubbed.sm_stub.add_response("describe_training_job", state, {"TrainingJobName": JOB})
    body = blazingtext_artifact(local_model, tmp_path)
    stubbed.s3_stub.add_response(
        "get_object", {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": BUCKET, "Key": artifact_key},
    )  # fmt: skip
    uploaded: dict[str, Any] = {}

    def keep_upload(params: dict[str, Any], **_: Any) -> None:
        if params.get("Key", "").startswith("models/"):
            uploaded["body"] = params["Body"].read()

    stubbed.s3.meta.events.register("before-parameter-build.s3.PutObject", keep_upload)
    stubbed.upload("models/reviews-sentiment-v4/model.tar.gz")
    stubbed.sm_stub.add_response(
        "create_model", {"ModelArn": MODEL_ARN},
        {
            "ModelName": "reviews-sentiment-v4",
            "ExecutionRoleArn": ROLE,
            "PrimaryContainer": {
                "Image": IMAGE,
                "ModelDataUrl": f"s3://{BUCKET}/models/reviews-sentiment-v4/model.tar.gz",
            },
        },
    )  # fmt: skip
    # When
    name = sagemaker_train(
        options(data, tmp_path / "prepared"), settings(), aws=stubbed.aws, dry_run=False,
        out=io.StringIO(), progress=Progress(bars=False),
    )  # fmt: skip
    # Then the model is registered, progress was shown, and the registered artifact carries
    # review-scorer's metadata around BlazingText's model.bin
    assert name == "reviews-sentiment-v4"
    err = capsys.readouterr().err
    assert "InProgress / Starting" in err and "InProgress / Training" in err and "Completed" in err
    archive = tmp_path / "registered.tar.gz"
    archive.write_bytes(uploaded["body"])
    _, metadata = unpack(archive, tmp_path / "registered")
    assert metadata is not None
    assert metadata.tokenizer_version == TOKENIZER_VERSION
    assert metadata.labels == ["-1", "0", "1"]
    assert metadata.hyperparameters["vector_dim"] == "10"
    assert metadata.metrics["final_metrics"] == {"validation:accuracy": 0.9}
    assert metadata.metrics["training_job"] == JOB
    assert (tmp_path / "prepared" / "train.txt").read_text("utf-8").startswith("__label__")


def test_a_failed_training_job_ends_with_its_reason_and_registers_nothing(
    stubbed: StubbedAws, data: Path, tmp_path: Path
) -> None:
    stubbed.name_is_free("reviews-sentiment-v4")
    for channel in ("train", "validation"):
        stubbed.upload(f"training/{JOB}/{channel}/{channel}.txt")
    stubbed.sm_stub.add_response("create_training_job", {"TrainingJobArn": JOB_ARN}, None)
    failed = describe("Failed", "Failed", FailureReason="ClientError: no validation data")
    stubbed.sm_stub.add_response("describe_training_job", failed, {"TrainingJobName": JOB})
    with pytest.raises(TrainingJobError, match="ended Failed: ClientError: no validation data"):
        sagemaker_train(
            options(data, tmp_path / "p"), settings(), aws=stubbed.aws, dry_run=False,
            out=io.StringIO(), progress=Progress(bars=False, quiet=True),
        )  # fmt: skip


def test_a_taken_model_name_stops_before_anything_is_uploaded(
    stubbed: StubbedAws, data: Path, tmp_path: Path
) -> None:
    stubbed.sm_stub.add_response(
        "describe_model",
        {"ModelName": "taken", "ModelArn": MODEL_ARN, "CreationTime": NOW,
         "ExecutionRoleArn": ROLE},
        {"ModelName": "taken"},
    )  # fmt: skip
    with pytest.raises(Exception, match="exists already"):
        sagemaker_train(
            options(data, tmp_path / "p"), settings("taken"), aws=stubbed.aws, dry_run=False,
            out=io.StringIO(), progress=Progress(bars=False, quiet=True),
        )  # fmt: skip


def test_register_model_uploads_the_local_model_and_creates_the_sagemaker_model(
    stubbed: StubbedAws, local_model: Path
) -> None:
    stubbed.name_is_free("reviews-local-v1")
    stubbed.upload("models/reviews-local-v1/model.tar.gz")
    stubbed.sm_stub.add_response(
        "create_model", {"ModelArn": MODEL_ARN},
        {
            "ModelName": "reviews-local-v1",
            "ExecutionRoleArn": ROLE,
            "PrimaryContainer": {
                "Image": IMAGE,
                "ModelDataUrl": f"s3://{BUCKET}/models/reviews-local-v1/model.tar.gz",
            },
        },
    )  # fmt: skip
    register_model(
        local_model, Target(BUCKET, ROLE, "reviews-local-v1", IMAGE),
        aws=stubbed.aws, dry_run=False, out=io.StringIO(),
    )  # fmt: skip


def test_register_model_refuses_a_model_made_with_another_tokenizer(
    local_model: Path, tmp_path: Path, no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    model_bin, metadata = unpack(local_model, tmp_path / "m")
    assert metadata is not None
    old = ModelMetadata(**{**metadata.model_dump(), "tokenizer_version": "whitespace-0"})
    archive = package(model_bin, old, tmp_path / "old.tar.gz")
    code = run_cli("register-model", "--model", archive, "--bucket", BUCKET, "--role", ROLE,
                   "--model-name", "old", "--image", IMAGE, "--region", REGION)  # fmt: skip
    assert code == 2
    assert "whitespace-0" in capsys.readouterr().err


def test_register_model_dry_run_prints_the_requests_and_sends_nothing(
    local_model: Path, no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("register-model", "--model", local_model, "--bucket", BUCKET, "--role", ROLE,
                   "--model-name", "reviews-local-v1", "--image", IMAGE, "--dry-run")  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["dry_run"] is True
    operations = [(r["service"], r["operation"]) for r in printed["requests"]]
    assert operations == [
        ("sagemaker", "DescribeModel"), ("s3", "PutObject"), ("sagemaker", "CreateModel")
    ]  # fmt: skip
    create = printed["requests"][2]["params"]
    assert create["PrimaryContainer"] == {
        "Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/models/reviews-local-v1/model.tar.gz"
    }  # fmt: skip
    assert create["ExecutionRoleArn"] == ROLE


def test_sagemaker_train_dry_run_prints_every_request_with_blazingtext_hyperparameters(
    data: Path, tmp_path: Path, no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("sagemaker-train", "--data", data, "--label-column", "sentiment",
                   "--bucket", BUCKET, "--role", ROLE, "--image", IMAGE, "--dry-run",
                   "--job-name", JOB, "--model-name", "reviews-sentiment-v4",
                   "--epoch", "12", "--buckets", "300000", "--out", tmp_path / "p")  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    operations = [r["operation"] for r in printed["requests"]]
    assert operations == [
        "DescribeModel", "PutObject", "PutObject", "CreateTrainingJob",
        "DescribeTrainingJob", "GetObject", "PutObject", "CreateModel",
    ]  # fmt: skip
    job = printed["requests"][3]["params"]
    assert job["TrainingJobName"] == JOB and job["RoleArn"] == ROLE
    assert job["HyperParameters"]["mode"] == "supervised"
    assert job["HyperParameters"]["epochs"] == "12"
    assert job["HyperParameters"]["buckets"] == "300000"
    assert job["HyperParameters"]["early_stopping"] == "True"
    assert [c["ChannelName"] for c in job["InputDataConfig"]] == ["train", "validation"]
    assert printed["requests"][1]["params"]["Body"].startswith("<file ")
    assert (tmp_path / "p" / "validation.txt").exists()


def test_sagemaker_train_takes_the_settings_a_local_train_chose(
    data: Path, tmp_path: Path, no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = {"epoch": 17, "lr": 0.4, "dim": 25, "word_ngrams": 1, "min_count": 2,
              "bucket": 100000}  # fmt: skip
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"hyperparameters": chosen}))
    argv: list[str | Path] = [
        "sagemaker-train", "--data", data, "--label-column", "sentiment", "--bucket", BUCKET,
        "--role", ROLE, "--image", IMAGE, "--dry-run", "--job-name", JOB,
        "--model-name", "m", "--settings-from", metrics,
    ]  # fmt: skip
    assert run_cli(*argv) == 0
    printed = json.loads(capsys.readouterr().out)
    job = next(r["params"] for r in printed["requests"] if r["operation"] == "CreateTrainingJob")
    sent = job["HyperParameters"]
    assert (sent["epochs"], sent["learning_rate"], sent["vector_dim"]) == ("17", "0.4", "25")
    assert (sent["word_ngrams"], sent["min_count"], sent["buckets"]) == ("1", "2", "100000")
    metrics.write_text("{}")
    assert run_cli(*argv) == 2
    assert "not the metrics.json of `review-scorer train`" in capsys.readouterr().err


def test_the_default_names_are_unique_per_run_and_valid_for_sagemaker() -> None:
    name = bt.job_name("review-scorer-" + "x" * 80, NOW)
    assert len(name) <= 63 and name.endswith("-20261121-094500")
    assert bt.check_name(name, "job name") == name
    with pytest.raises(ValueError, match="letters, digits or hyphens"):
        bt.check_name("bad_name", "model name")


def test_without_an_image_the_regions_blazingtext_image_is_used(
    local_model: Path, no_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sagemaker.core")  # the 'sagemaker' extra
    code = run_cli("register-model", "--model", local_model, "--bucket", BUCKET, "--role", ROLE,
                   "--model-name", "m", "--region", REGION, "--dry-run")  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["requests"][2]["params"]["PrimaryContainer"]["Image"] == IMAGE
