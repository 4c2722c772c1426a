"""Configuration and the CreateTransformJob request."""

from __future__ import annotations

import pytest

from review_scorer.errors import ConfigurationError
from review_scorer.settings import load_settings
from review_scorer.transform.request import transform_request

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


def test_request_is_blazingtext_json_lines_over_the_shard_prefix() -> None:
    settings = load_settings({**ENV, "INSTANCE_COUNT": "4", "INSTANCE_TYPE": "ml.c5.xlarge"})
    request = transform_request("rs-abc", "my-bucket", shard_count=2, settings=settings)
    assert request["TransformJobName"] == "rs-abc"
    assert request["ModelName"] == "m"
    assert request["BatchStrategy"] == "MultiRecord"
    assert request["MaxPayloadInMB"] == 6
    assert request["TransformInput"] == {
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": "s3://my-bucket/staging/rs-abc/part-",
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
