"""Configuration and the CreateTransformJob request."""

from __future__ import annotations

import pytest

from review_scorer.bucket_keys import shard_key
from review_scorer.errors import ConfigurationError
from review_scorer.settings import load_settings
from review_scorer.transform.request import input_manifest, transform_request

ENV = {"BUCKET_NAME": "my-bucket", "TOPIC_ARN": "arn:aws:sns:us-east-1:1:t", "MODEL_NAME": "m"}


def test_missing_and_bad_variables_are_all_named() -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"INSTANCE_COUNT": "zero"})
    message = caught.value.message
    assert "BUCKET_NAME" in message
    assert "TOPIC_ARN" in message
    assert "INSTANCE_COUNT" in message


def test_defaults_match_the_design() -> None:
    settings = load_settings(ENV)
    assert settings.review_column == "review_body"
    assert settings.max_payload_mb == 6
    assert settings.instance_count == 1


def test_request_is_blazingtext_json_lines_over_the_job_manifest() -> None:
    settings = load_settings({**ENV, "INSTANCE_COUNT": "4", "INSTANCE_TYPE": "ml.c5.xlarge"})
    request = transform_request("rs-abc", "my-bucket", shard_count=2, settings=settings)
    assert request["TransformJobName"] == "rs-abc"
    assert request["ModelName"] == "m"
    assert request["BatchStrategy"] == "MultiRecord"
    assert request["MaxPayloadInMB"] == 6
    assert request["TransformInput"] == {
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "ManifestFile",
                "S3Uri": "s3://my-bucket/staging/rs-abc/input.manifest",
            }
        },
        "ContentType": "application/jsonlines",
        "SplitType": "Line",
        "CompressionType": "None",
    }
    assert request["TransformOutput"] == {
        "S3OutputPath": "s3://my-bucket/predictions/rs-abc/",
        "Accept": "application/jsonlines",
        "AssembleWith": "Line",
    }
    # one input file goes to one instance: never more instances than shards
    assert request["TransformResources"] == {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2}


def test_request_encrypts_output_and_volume_with_the_stack_keys() -> None:
    # two different keys, so that one put in the other's place shows
    output = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    volume = "arn:aws:kms:us-east-1:123456789012:key/5678efgh-56ef-78gh-90ij-5678901234ef"
    settings = load_settings(
        {**ENV, "TRANSFORM_KMS_KEY_ARN": output, "TRANSFORM_VOLUME_KMS_KEY_ARN": volume}
    )
    request = transform_request("rs-abc", "my-bucket", shard_count=1, settings=settings)
    assert request["TransformOutput"]["KmsKeyId"] == output
    assert request["TransformResources"]["VolumeKmsKeyId"] == volume


def test_label_names_must_be_label_equals_name() -> None:
    assert load_settings({**ENV, "LABEL_NAMES": "-1=neg, 1=pos"}).label_map == {
        "-1": "neg",
        "1": "pos",
    }
    with pytest.raises(ConfigurationError, match="LABEL_NAMES"):
        load_settings({**ENV, "LABEL_NAMES": "-1:negative"})


def test_input_manifest_lists_shard_names_below_the_shards_folder_in_order() -> None:
    shards = [shard_key("rs-b", 0), shard_key("rs-a", 0), shard_key("rs-a", 1)]
    # the documented format: a prefix, then paths relative to it
    # (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TransformS3DataSource.html)
    assert input_manifest("bkt", shards) == [
        {"prefix": "s3://bkt/staging/shards/"},
        "rs-b-part-00000.jsonl",
        "rs-a-part-00000.jsonl",
        "rs-a-part-00001.jsonl",
    ]
    with pytest.raises(ValueError, match="not a staging shard"):
        input_manifest("bkt", ["staging/rs-a/manifest.json"])
