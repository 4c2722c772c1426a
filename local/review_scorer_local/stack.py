"""The local stand-in for the deployed stack: the same bucket, topic, trigger and rule.

moto's server (S3, SNS, SQS, EventBridge) and the local SageMaker endpoint run on 127.0.0.1 in
this process; ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_SAGEMAKER`` point boto3 at them, so the
handlers run unchanged. Where AWS would invoke a Lambda (the S3 trigger, the EventBridge rule)
the events land in SQS queues with the template's own filter and pattern, and
:mod:`review_scorer_local.flow` hands them to the handlers."""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from review_scorer import bucket_keys
from review_scorer.aws import clients
from review_scorer.logic.intake import MAX_RECEIVES, VISIBILITY_TIMEOUT_SECONDS
from review_scorer.model import loader
from review_scorer.transform import jobs
from review_scorer_local.moto_server import start_moto
from review_scorer_local.sagemaker_endpoint import SageMakerEmulator
from review_scorer_local.sagemaker_http import SageMakerHttpServer
from review_scorer_local.stack_config import StackConfig, function_environment

# BlazingText's image in us-east-1
# (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/ecr-us-east-1.html)
BLAZINGTEXT_IMAGE = "811284229777.dkr.ecr.us-east-1.amazonaws.com/blazingtext:1"
_MANAGED_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SAGEMAKER",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_TRACE_DISABLED",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
)


@dataclass
class Queues:
    intake: str = ""  # S3 -> here -> StartScoring (the template's IntakeQueue)
    intake_dead_letters: str = ""
    transform_events: str = ""
    notifications: str = ""
    intake_arn: str = ""


@dataclass
class LocalModeStack:
    config: StackConfig = field(default_factory=StackConfig)
    sagemaker: SageMakerEmulator | None = None
    topic_arn: str = ""
    queues: Queues = field(default_factory=Queues)
    moto_server: Any = None
    """A running ThreadedMotoServer to reuse (it is reset, not stopped); else one is started."""
    _owns_moto: bool = False
    _sagemaker_http: SageMakerHttpServer | None = None
    _saved_env: dict[str, str | None] = field(default_factory=dict)

    def __enter__(self) -> LocalModeStack:
        loader.reset()  # a new stack, new containers: no model loaded here yet
        self._saved_env = {name: os.environ.get(name) for name in _MANAGED_ENV}
        if self.moto_server is None:
            self.moto_server, self._owns_moto = start_moto(), True
        _, port = self.moto_server.get_host_and_port()
        # moto keeps its state in process-wide backends: start from nothing, as a new account.
        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/reset", data=b"").close()
        self.sagemaker = SageMakerEmulator(self.config.region)
        self.sagemaker.instance_quota = self.config.transform_instance_quota
        self._sagemaker_http = SageMakerHttpServer(self.sagemaker)
        sagemaker_url = self._sagemaker_http.url
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_ENDPOINT_URL_SAGEMAKER": sagemaker_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": self.config.region,
                "AWS_REGION": self.config.region,
                "POWERTOOLS_SERVICE_NAME": "review-scorer",
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "ReviewScorer",
                "POWERTOOLS_LOG_LEVEL": self.config.log_level,
            }
        )
        clients.reset()
        self._provision()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._sagemaker_http:
            self._sagemaker_http.stop()
        if self._owns_moto:
            self.moto_server.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        clients.reset()

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=self.config.region)  # type: ignore[call-overload]

    def function_environment(self) -> dict[str, str]:
        """What the template sets on the functions (see Settings)."""
        settings = self.config.function_settings(self.topic_arn, self.queues.intake)
        return function_environment(settings)

    def register_model(self, archive: Path) -> str:
        """Upload ``model.tar.gz`` and create the SageMaker Model the stack's parameter names."""
        key = bucket_keys.model_key(self.config.model_name)
        self.client("s3").upload_file(str(archive), self.config.bucket, key)
        self.client("sagemaker").create_model(
            ModelName=self.config.model_name,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/review-scorer-sagemaker",
            PrimaryContainer={
                "Image": BLAZINGTEXT_IMAGE,
                "ModelDataUrl": bucket_keys.s3_uri(self.config.bucket, key),
            },
        )
        return key

    def _provision(self) -> None:
        s3, sns, sqs, events = (self.client(s) for s in ("s3", "sns", "sqs", "events"))
        bucket = self.config.bucket
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        self.topic_arn = sns.create_topic(Name="review-scorer-notifications")["TopicArn"]
        arns: dict[str, str] = {}
        for name in ("intake_dead_letters", "intake", "transform_events", "notifications"):
            attributes = {}
            # the template's IntakeQueue: redrive to the dead-letter queue after MAX_RECEIVES
            # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html)
            if name == "intake":
                redrive = {"deadLetterTargetArn": arns["intake_dead_letters"]}
                attributes = {
                    "VisibilityTimeout": str(VISIBILITY_TIMEOUT_SECONDS),
                    "RedrivePolicy": json.dumps({**redrive, "maxReceiveCount": MAX_RECEIVES}),
                }
            queue_name = f"review-scorer-{name.replace('_', '-')}"
            url = sqs.create_queue(QueueName=queue_name, Attributes=attributes)["QueueUrl"]
            setattr(self.queues, name, url)
            found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            arns[name] = found["Attributes"]["QueueArn"]
        self.queues.intake_arn = arns["intake"]
        # The template's upload notification: all of incoming/ to the intake queue (a suffix rule
        # would be case-sensitive, so there is none: StartScoring answers every upload, ".CSV" too:
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html).
        trigger = {
            "QueueArn": arns["intake"],
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {
                "Key": {"FilterRules": [{"Name": "prefix", "Value": bucket_keys.INCOMING_PREFIX}]}
            },
        }
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [trigger]}
        )
        # The template's EventBridge rule: PublishResults on this stack's finished jobs. The rule's
        # target is a queue here, the function there; the event is the same
        # (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
        pattern = jobs.transform_event_pattern(self.config.settings.job_name_prefix)
        events.put_rule(Name="review-scorer-transform-jobs", EventPattern=json.dumps(pattern))
        events.put_targets(
            Rule="review-scorer-transform-jobs",
            Targets=[{"Id": "publish-results", "Arn": arns["transform_events"]}],
        )
        # An SQS subscriber gets the SNS envelope (Subject, Message, MessageAttributes) as the body
        # (https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html).
        sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=arns["notifications"])
        assert self.sagemaker is not None
        self.sagemaker.listeners.append(self._send_state_change)

    def _send_state_change(self, detail: dict[str, Any]) -> None:
        """What SageMaker does when a job ends: an event on the default bus, its source
        aws.sagemaker, its resources the job's ARN
        (https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html)."""
        self.client("events").put_events(
            Entries=[
                {
                    "Source": jobs.TRANSFORM_EVENT_SOURCE,
                    "DetailType": jobs.TRANSFORM_EVENT_DETAIL_TYPE,
                    "Resources": [detail["TransformJobArn"]],
                    "Detail": json.dumps(detail),
                }
            ]
        )
