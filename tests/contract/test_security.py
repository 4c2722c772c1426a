"""The security baseline of the stack (issue 6), checked where the scanners cannot see.

Scanners check one resource at a time; these tests check how resources fit together: every bucket
refuses plain HTTP, the key policy names exactly the services that need the key, no role can pass
a role, the transform job the code requests is the one the policy allows (and no other), every
asynchronous path ends in an encrypted queue with an alarm on it. The roles, rules and Lambda
settings are read from the template SAM makes (``transformed``), which is what gets deployed.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from typing import Any

import cfn
import iam
import pytest

from review_scorer import bucket_keys
from review_scorer.logic import intake
from review_scorer.settings import Settings
from review_scorer.transform import jobs
from review_scorer.transform.request import transform_request

START = "StartScoringFunction"
PUBLISH = "PublishResultsFunction"
SWEEP = "SweepFunction"
API = "ApiFunction"
FUNCTIONS = (START, PUBLISH, SWEEP)  # the pipeline: files in, outcomes published
ALL_FUNCTIONS = (*FUNCTIONS, API)
ACCOUNT = cfn.PSEUDO_PARAMETERS["AWS::AccountId"]
EXISTING_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EXISTING_ROLE = f"arn:aws:iam::{ACCOUNT}:role/team-sagemaker-execution"
DEAD_LETTER_QUEUES = {
    START: "StartScoringFailureQueue",
    PUBLISH: "PublishResultsFailureQueue",
    SWEEP: "SweepFailureQueue",
    "events": "EventDeliveryFailureQueue",
}
MODEL = "reviews-sentiment-v3"
UPLOAD = "incoming/shop/reviews.csv"


def _resolved(template: dict[str, Any], overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """The template's resources that exist with these parameters, intrinsics resolved."""
    values = cfn.stack(template, {"ModelName": MODEL, **(overrides or {})})
    return {
        name: cfn.resolve(resource, values)
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or cfn.condition(values, resource["Condition"])
    }


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return _resolved(template)


def _of_type(resources: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == type_}


def _policies_of(resources: dict[str, Any], type_: str, key: str, target: str) -> list[Any]:
    return [
        statement
        for policy in _of_type(resources, type_).values()
        if target in cfn.as_list(policy[key])
        for statement in cfn.as_list(policy["PolicyDocument"]["Statement"])
    ]


def _role_statements(
    transformed: dict[str, Any], role: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    """The statements of a role of the transformed template, resolved, ARNs for placeholders."""
    return [
        statement
        for policy in iam.role_policies(transformed, role, values)
        for statement in cfn.as_list(policy["Statement"])
    ]


_allows = iam.statements_allow


def _denies_without_tls(
    statements: list[dict[str, Any]], action: str, resources: list[str]
) -> bool:
    """One Deny for every principal, covering ``action`` on ``resources``, when not TLS."""
    for statement in statements:
        condition = statement.get("Condition", {})
        if (
            statement["Effect"] == "Deny"
            and statement["Principal"] in ("*", {"AWS": "*"})
            # a structural check of the policy's patterns (IAM's * and ? are fnmatch's)
            and any(fnmatch.fnmatchcase(action, a) for a in cfn.as_list(statement["Action"]))
            and all(
                any(fnmatch.fnmatchcase(r, p) for p in cfn.as_list(statement["Resource"]))
                for r in resources
            )
            and str(condition.get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
        ):
            return True
    return False


# --- buckets ------------------------------------------------------------------------------------


def test_every_bucket_blocks_public_access_disables_acls_and_keeps_versions(
    resources: dict[str, Any],
) -> None:
    buckets = _of_type(resources, "AWS::S3::Bucket")
    assert set(buckets) == {"ScoringBucket", "AccessLogBucket"}
    for name, bucket in buckets.items():
        block = bucket["PublicAccessBlockConfiguration"]
        assert block == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
            True,
        ), name
        assert bucket["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": "BucketOwnerEnforced"}
        ], name
        assert bucket["VersioningConfiguration"]["Status"] == "Enabled", name


def test_every_bucket_policy_denies_requests_without_tls(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    # Given every bucket of the template, When its bucket policy is read
    for name in cfn.resources_of_type(template, "AWS::S3::Bucket"):
        statements = _policies_of(resources, "AWS::S3::BucketPolicy", "Bucket", f"<{name}>")
        # Then plain HTTP is refused for the bucket and every object in it
        arns = [f"<{name}.Arn>", f"<{name}.Arn>/any/key"]
        assert _denies_without_tls(statements, "s3:GetObject", arns), name
        assert _denies_without_tls(statements, "s3:PutObject", arns), name


def test_every_bucket_aborts_incomplete_multipart_uploads(resources: dict[str, Any]) -> None:
    for name, bucket in _of_type(resources, "AWS::S3::Bucket").items():
        rules = bucket["LifecycleConfiguration"]["Rules"]
        assert any(
            r["Status"] == "Enabled" and "Prefix" not in r and "AbortIncompleteMultipartUpload" in r
            for r in rules
        ), name


@pytest.mark.parametrize("key", ["", EXISTING_KEY])
def test_scoring_bucket_encrypts_with_the_stack_key_or_the_given_one(
    template: dict[str, Any], key: str
) -> None:
    resources = _resolved(template, {"KmsKeyArn": key})
    (rule,) = resources["ScoringBucket"]["Properties"]["BucketEncryption"][
        "ServerSideEncryptionConfiguration"
    ]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key or "<DataKey.Arn>",
    }
    assert rule["BucketKeyEnabled"] is True
    assert ("DataKey" in resources) == (not key)


def test_access_log_bucket_uses_sse_s3_because_s3_log_delivery_requires_it(
    resources: dict[str, Any],
) -> None:
    # S3 server access logs are only delivered to a bucket whose default encryption is SSE-S3;
    # the scanner skip (checkov CKV_AWS_18 on this bucket) is written down in .checkov.yaml.
    bucket = resources["AccessLogBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert "LoggingConfiguration" not in bucket


def test_scoring_bucket_logs_access_to_the_log_bucket_which_accepts_only_those_logs(
    resources: dict[str, Any], template: dict[str, Any]
) -> None:
    logging = resources["ScoringBucket"]["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == "<AccessLogBucket>"
    prefix = logging["LogFilePrefix"]
    statements = _policies_of(resources, "AWS::S3::BucketPolicy", "Bucket", "<AccessLogBucket>")
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": allows[0]["Sid"],
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"<AccessLogBucket.Arn>/{prefix}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::review-scorer-123456789012-us-east-1"},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        }
    ]
    # S3 checks the log bucket's policy when logging is switched on
    assert "AccessLogBucketPolicy" in cfn.as_list(
        template["Resources"]["ScoringBucket"]["DependsOn"]
    )


def test_working_files_expire_after_the_sweep_stops_looking_and_user_files_never(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    from review_scorer.logic.sweep import SWEEP_LOOKBACK

    rules = resources["ScoringBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r}
    assert set(expiring) == {bucket_keys.STAGING_PREFIX, bucket_keys.PREDICTIONS_PREFIX}
    assert all(days == "30" for days in expiring.values())
    # The "already announced" marker lives in staging/: it must outlive the sweep's look-back,
    # or the sweep would announce an old job a second time.
    minimum = template["Parameters"]["StagingRetentionDays"]["MinValue"]
    assert minimum > SWEEP_LOOKBACK.days


def test_buckets_and_stack_key_survive_stack_deletion(template: dict[str, Any]) -> None:
    # Deleting the key would make the retained objects unreadable: it is retained with them.
    # RetainExceptOnCreate keeps them as Retain does, except when the deploy that created them
    # rolls back: then they are deleted, so the retry does not fail on "already exists"
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
    # UpdateReplacePolicy has no such value: a replaced bucket or key is kept.
    for name in ("ScoringBucket", "AccessLogBucket", "DataKey"):
        resource = template["Resources"][name]
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate", name
        assert resource["UpdateReplacePolicy"] == "Retain", name


# --- the key ------------------------------------------------------------------------------------


def _key_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    policy = resources["DataKey"]["Properties"]["KeyPolicy"]
    return list(cfn.as_list(policy["Statement"]))


def test_data_key_rotates_and_the_account_administers_it(resources: dict[str, Any]) -> None:
    key = resources["DataKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = _key_statements(resources)
    root = f"arn:aws:iam::{ACCOUNT}:root"
    admin = [s for s in statements if s["Principal"] == {"AWS": root}]
    assert len(admin) == 1 and admin[0]["Action"] == "kms:*" and "Condition" not in admin[0]


def test_key_policy_lets_only_the_services_that_need_it_use_the_key(
    resources: dict[str, Any], transformed: dict[str, Any], defaults: dict[str, Any]
) -> None:
    statements = _key_statements(resources)
    services = {s["Principal"]["Service"]: s for s in statements if "Service" in s["Principal"]}
    # CloudWatch (alarms to the encrypted ops topic), EventBridge (the encrypted DLQ), Logs,
    # S3 (upload events to the encrypted intake queue)
    assert set(services) == {
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
        "logs.us-east-1.amazonaws.com",
        "s3.amazonaws.com",
    }
    assert all(s["Effect"] == "Allow" for s in statements)
    assert not [s for s in statements if s["Principal"] in ("*", {"AWS": "*"})]
    for service, statement in services.items():
        assert not any(a in ("kms:*", "kms:CreateGrant") for a in cfn.as_list(statement["Action"]))
        assert "kms:PutKeyPolicy" not in cfn.as_list(statement["Action"]), service
    # Logs: only log groups of Lambda functions in this account and region, and the stack's
    # API access log group
    logs = services["logs.us-east-1.amazonaws.com"]["Condition"]["ArnLike"]
    assert logs == {
        "kms:EncryptionContext:aws:logs:arn": [
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/*",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/apigateway/review-scorer-test-api-access",
        ]
    }
    # and every log group of the stack is one of them (else CloudWatch Logs could not use the key)
    for name, group in _of_type(resources, "AWS::Logs::LogGroup").items():
        arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{group['LogGroupName']}"
        patterns = logs["kms:EncryptionContext:aws:logs:arn"]
        assert any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns), name


def test_eventbridge_uses_the_key_with_the_statement_the_sqs_guide_documents(
    resources: dict[str, Any],
) -> None:
    # EventBridge dead-letters to an encrypted queue: the SQS guide's key policy statement for an
    # AWS service that sends to an encrypted queue has no condition, and AWS documents no
    # aws:SourceArn for this delivery (one that did not match would drop dead-lettered events
    # silently). The queue's own policy names this stack's rules (tested below)
    # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
    (events,) = [
        s
        for s in _key_statements(resources)
        if s["Principal"] == {"Service": "events.amazonaws.com"}
    ]
    assert events["Effect"] == "Allow"
    assert sorted(cfn.as_list(events["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert events["Resource"] == "*"
    assert "Condition" not in events, events["Condition"]


def test_an_existing_key_replaces_the_stack_key_everywhere(template: dict[str, Any]) -> None:
    # Given KmsKeyArn, When the template is resolved
    resources = _resolved(template, {"KmsKeyArn": EXISTING_KEY})
    text = json.dumps(resources)
    # Then no key is created and nothing refers to one
    assert "DataKey" not in resources and "<DataKey" not in text
    assert "DataKeyAlias" not in resources
    for name, properties in _of_type(resources, "AWS::SNS::Topic").items():
        assert properties["KmsMasterKeyId"] == EXISTING_KEY, name
    for name, properties in _of_type(resources, "AWS::SQS::Queue").items():
        assert properties["KmsMasterKeyId"] == EXISTING_KEY, name
    for name, properties in _of_type(resources, "AWS::Logs::LogGroup").items():
        assert properties["KmsKeyId"] == EXISTING_KEY, name
    env = resources[START]["Properties"]
    assert EXISTING_KEY in json.dumps(env["Policies"])


@pytest.mark.parametrize("role", ["", EXISTING_ROLE])
def test_key_policy_names_an_existing_model_role_and_not_a_created_one(
    template: dict[str, Any], role: str
) -> None:
    resources = _resolved(template, {"ModelExecutionRoleArn": role})
    named = [s for s in _key_statements(resources) if s["Principal"] == {"AWS": role}]
    assert ("ModelExecutionRole" in resources) == (not role)
    if role:
        actions = {a for s in named for a in cfn.as_list(s["Action"])}
        assert actions == {
            "kms:Decrypt",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:DescribeKey",
            "kms:CreateGrant",
        }
        (grant,) = [s for s in named if s["Action"] == "kms:CreateGrant"]
        assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    else:
        assert named == []


# kms:GrantIsForAWSResource is only in the request context of CreateGrant, ListGrants and
# RevokeGrant (https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html):
# a statement that pairs it with any other action can never allow that action.
GRANT_ACTIONS = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}


def _every_policy_statement(transformed: dict[str, Any], values: dict[str, Any]) -> list[Any]:
    """The key policy's statements and every role's, as deployed."""
    key_policy = transformed["Resources"]["DataKey"]["Properties"]["KeyPolicy"]
    statements = list(cfn.as_list(cfn.resolve(key_policy, values)["Statement"]))
    for name, resource in transformed["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            for policy in iam.role_policies(transformed, name, values):
                statements += cfn.as_list(policy["Statement"])
    return statements


def test_grant_is_for_aws_resource_conditions_only_grant_actions(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    values = cfn.stack(template, {"ModelName": MODEL})
    for statement in _every_policy_statement(transformed, values):
        condition = statement.get("Condition", {})
        keys = {key for block in condition.values() for key in block}
        if "kms:GrantIsForAWSResource" in keys:
            actions = set(cfn.as_list(statement["Action"]))
            assert actions <= GRANT_ACTIONS, statement


def test_start_scoring_may_describe_and_grant_the_volume_key_only_through_sagemaker(
    template: dict[str, Any], transformed: dict[str, Any], simulator: iam.Simulator
) -> None:
    values = cfn.stack(template, {"ModelName": MODEL})
    policies = iam.role_policies(transformed, f"{START}Role", values)
    key_policy = transformed["Resources"]["DataKey"]["Properties"]["KeyPolicy"]
    # the key policy delegates to IAM (its account statement): the role's policy decides
    allows = functools.partial(
        simulator.allows, resource_policy=iam.with_arns(cfn.resolve(key_policy, values))
    )
    sagemaker = {"kms:ViaService": "sagemaker.us-east-1.amazonaws.com"}
    # DescribeKey as SageMaker sends it (its context has no kms:GrantIsForAWSResource)
    assert allows(policies, "kms:DescribeKey", iam.KEY_ARN, sagemaker)
    # CreateGrant only for an AWS resource, through SageMaker
    for_resource = {**sagemaker, "kms:GrantIsForAWSResource": "true"}
    assert allows(policies, "kms:CreateGrant", iam.KEY_ARN, for_resource)
    assert not allows(
        policies,
        "kms:CreateGrant",
        iam.KEY_ARN,
        {**sagemaker, "kms:GrantIsForAWSResource": "false"},
    )
    s3 = {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert not allows(policies, "kms:DescribeKey", iam.KEY_ARN, s3)
    assert not allows(policies, "kms:DescribeKey", iam.KEY_ARN, {})
    assert not allows(
        policies, "kms:CreateGrant", iam.KEY_ARN, {**s3, "kms:GrantIsForAWSResource": "true"}
    )


# --- topics and queues --------------------------------------------------------------------------


def test_topics_are_encrypted_and_refuse_publishing_without_tls(resources: dict[str, Any]) -> None:
    topics = _of_type(resources, "AWS::SNS::Topic")
    assert set(topics) == {"NotificationTopic", "AlarmTopic"}
    for name, topic in topics.items():
        assert topic["KmsMasterKeyId"] == "<DataKey.Arn>", name
        statements = _policies_of(resources, "AWS::SNS::TopicPolicy", "Topics", f"<{name}>")
        assert _denies_without_tls(statements, "sns:Publish", [f"<{name}>"]), name


def test_only_the_functions_publish_outcomes_and_only_cloudwatch_publishes_alarms(
    transformed: dict[str, Any],
    resources: dict[str, Any],
    defaults: dict[str, Any],
    simulator: iam.Simulator,
) -> None:
    roles = {
        name: _role_statements(transformed, name, defaults)
        for name, r in transformed["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
    }
    for role, statements in roles.items():
        publishes = _allows(simulator, statements, "sns:Publish", "<NotificationTopic>")
        assert publishes == (role in [f"{f}Role" for f in FUNCTIONS]), role
        assert not _allows(simulator, statements, "sns:Publish", "<AlarmTopic>"), role
        assert not _allows(simulator, statements, "sns:Publish", "arn:aws:sns:us-east-1:1:other"), (
            role
        )
    statements = _policies_of(resources, "AWS::SNS::TopicPolicy", "Topics", "<AlarmTopic>")
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    statements = _policies_of(resources, "AWS::SNS::TopicPolicy", "Topics", "<NotificationTopic>")
    assert [s["Effect"] for s in statements] == ["Deny"], "nobody is allowed by the topic itself"


def test_dead_letter_queues_are_encrypted_keep_messages_14_days_and_refuse_plain_http(
    resources: dict[str, Any],
) -> None:
    queues = _of_type(resources, "AWS::SQS::Queue")
    assert set(queues) == {*DEAD_LETTER_QUEUES.values(), "IntakeQueue"}
    for name, queue in queues.items():
        assert queue["KmsMasterKeyId"] == "<DataKey.Arn>", name
        assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600, name
        statements = _policies_of(resources, "AWS::SQS::QueuePolicy", "Queues", f"<{name}>")
        assert _denies_without_tls(statements, "sqs:ReceiveMessage", [f"<{name}.Arn>"]), name


def test_event_delivery_queue_accepts_only_this_stacks_rules(
    resources: dict[str, Any],
    transformed: dict[str, Any],
    defaults: dict[str, Any],
    simulator: iam.Simulator,
) -> None:
    queue = DEAD_LETTER_QUEUES["events"]
    statements = _policies_of(resources, "AWS::SQS::QueuePolicy", "Queues", f"<{queue}>")
    rule_arns = [
        "arn:aws:events:us-east-1:123456789012:rule/"
        + cfn.resolve(rule["Properties"]["Name"], defaults)
        for rule in transformed["Resources"].values()
        if rule["Type"] == "AWS::Events::Rule"
    ]
    policy = iam.with_arns(iam.document(statements))

    def events_may_send(context: dict[str, str]) -> bool:
        request = iam.Request("sqs:SendMessage", iam.stack_arn(queue, "Arn") or "", context)
        decision = simulator.evaluate(
            [], request, principal="events.amazonaws.com", resource_policy=policy
        )
        return decision.allowed

    for arn in rule_arns:
        assert events_may_send({"aws:SourceArn": arn}), arn
    assert not events_may_send(
        {"aws:SourceArn": "arn:aws:events:us-east-1:123456789012:rule/someone-else"}
    )
    for statement in statements:
        if statement["Effect"] == "Allow":
            assert statement["Principal"] == {"Service": "events.amazonaws.com"}


# --- functions ----------------------------------------------------------------------------------


def test_every_function_sends_events_that_fail_every_retry_to_its_own_encrypted_queue(
    transformed: dict[str, Any], defaults: dict[str, Any], simulator: iam.Simulator
) -> None:
    configs = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    }
    # StartScoring is invoked by the intake queue's event source mapping, synchronously: its
    # failures go through the queue's redrive policy (see the intake tests), not here
    asynchronous = [f for f in FUNCTIONS if f != START]
    with_destination = {
        f for f, c in configs.items() if c.get("DestinationConfig", {}).get("OnFailure")
    }
    assert with_destination == set(asynchronous)
    for function in asynchronous:
        config = configs[function]
        queue = DEAD_LETTER_QUEUES[function]
        destination = config["DestinationConfig"]["OnFailure"]["Destination"]
        assert destination == {"Fn::GetAtt": [queue, "Arn"]}, function
        assert config["MaximumRetryAttempts"] == 2, function
        # the role may send there, and use the queue's key through SQS
        statements = _role_statements(transformed, f"{function}Role", defaults)
        assert _allows(simulator, statements, "sqs:SendMessage", f"<{queue}.Arn>"), function
        sqs = {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}
        assert _allows(simulator, statements, "kms:GenerateDataKey", "<DataKey.Arn>", sqs), function


def test_every_eventbridge_rule_retries_then_dead_letters_to_the_encrypted_queue(
    transformed: dict[str, Any],
) -> None:
    rules = {
        name: r["Properties"]
        for name, r in transformed["Resources"].items()
        if r["Type"] == "AWS::Events::Rule"
    }
    assert len(rules) == 2  # the completion events and the sweep
    for name, rule in rules.items():
        for target in rule["Targets"]:
            assert target["DeadLetterConfig"] == {
                "Arn": {"Fn::GetAtt": [DEAD_LETTER_QUEUES["events"], "Arn"]}
            }, name
            assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1, name
            assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] > 0, name


@pytest.mark.parametrize(("value", "expected"), [("-1", None), ("0", "0"), ("10", "10")])
def test_reserved_concurrency_follows_its_parameter(
    template: dict[str, Any], value: str, expected: str | None
) -> None:
    overrides = {
        "StartScoringReservedConcurrency": value,
        "PublishResultsReservedConcurrency": value,
        "SweepReservedConcurrency": value,
        "ApiReservedConcurrency": value,
    }
    values = cfn.stack(template, overrides)
    functions = cfn.functions(template)
    for name in ALL_FUNCTIONS:
        reserved = cfn.resolve(functions[name].get("ReservedConcurrentExecutions"), values)
        assert reserved == expected, name


def test_every_function_traces_and_stops_recursive_loops(
    functions: dict[str, dict[str, Any]],
) -> None:
    for name, function in functions.items():
        assert function["Tracing"] == "Active", name
        assert function["RecursiveLoop"] == "Terminate", name


def test_functions_use_the_data_key_only_through_s3_sns_and_sqs(
    transformed: dict[str, Any], defaults: dict[str, Any], simulator: iam.Simulator
) -> None:
    for function in FUNCTIONS:
        statements = _role_statements(transformed, f"{function}Role", defaults)
        for service in ("s3", "sns", "sqs"):
            via = {"kms:ViaService": f"{service}.us-east-1.amazonaws.com"}
            for action in ("kms:Decrypt", "kms:GenerateDataKey"):
                assert _allows(simulator, statements, action, "<DataKey.Arn>", via), function
        direct: dict[str, str] = {}
        assert not _allows(simulator, statements, "kms:Decrypt", "<DataKey.Arn>", direct), function
        lambda_ = {"kms:ViaService": "lambda.us-east-1.amazonaws.com"}
        assert not _allows(simulator, statements, "kms:Decrypt", "<DataKey.Arn>", lambda_), function
        other_key = "arn:aws:kms:us-east-1:123456789012:key/other"
        assert not _allows(
            simulator,
            statements,
            "kms:Decrypt",
            other_key,
            {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
        ), function


# --- roles: no PassRole, the model role scoped -------------------------------------------------

MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


def test_no_role_may_pass_a_role_or_touch_iam(
    transformed: dict[str, Any], defaults: dict[str, Any], simulator: iam.Simulator
) -> None:
    roles = [n for n, r in transformed["Resources"].items() if r["Type"] == "AWS::IAM::Role"]
    assert sorted(roles) == sorted([*(f"{f}Role" for f in ALL_FUNCTIONS), "ModelExecutionRole"])
    for role in roles:
        properties = transformed["Resources"][role]["Properties"]
        # SAM's two managed policies: logs and X-Ray traces, nothing of IAM
        assert set(cfn.resolve(properties.get("ManagedPolicyArns", []), defaults)) <= (
            MANAGED_POLICIES
        ), role
        statements = _role_statements(transformed, role, defaults)
        for statement in statements:
            for action in cfn.as_list(statement["Action"]):
                assert not action.lower().startswith(("iam:", "sts:")), f"{role}: {action}"
        assert not _allows(
            simulator, statements, "iam:PassRole", "arn:aws:iam::123456789012:role/any"
        )


def test_model_role_trusts_only_sagemaker_of_this_account(resources: dict[str, Any]) -> None:
    trust = resources["ModelExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:*"},
    }


def test_model_role_reads_models_training_data_and_own_job_inputs_and_writes_only_predictions(
    resources: dict[str, Any],
    simulator: iam.Simulator,
) -> None:
    statements = [
        statement
        for policy in resources["ModelExecutionRole"]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    bucket = "arn:aws:s3:::review-scorer-123456789012-us-east-1"
    own = jobs.job_name("rs", "b", UPLOAD, "v1")
    other = jobs.job_name("rs2", "b", UPLOAD, "v1")
    reads = {
        f"models/{MODEL}/model.tar.gz": True,
        "training/job-1/train/train.txt": True,
        # a job's input: its ManifestFile and the shards of its files (staging/shards/)
        bucket_keys.job_input_manifest_key(own): True,
        bucket_keys.shard_key(own, 0): True,
        bucket_keys.shard_key(own, 12): True,
        # another stack's (another prefix)
        bucket_keys.job_input_manifest_key(other): False,
        bucket_keys.shard_key(other, 0): False,
        # the rest of staging/ is the functions' own
        bucket_keys.manifest_key(own): False,
        bucket_keys.job_files_key(own): False,
        bucket_keys.job_claim_key(own): False,
        bucket_keys.staged_rejects_key(own): False,
        bucket_keys.notified_key(own): False,
        UPLOAD: False,
        bucket_keys.labeled_key("shop/reviews"): False,
        bucket_keys.quarantine_error_key("shop/reviews"): False,
    }
    for key, allowed in reads.items():
        assert _allows(simulator, statements, "s3:GetObject", f"{bucket}/{key}") == allowed, key
    writes = {
        bucket_keys.prediction_key(own, bucket_keys.shard_key(own, 0)): True,
        "training/job-1/output/model.tar.gz": True,
        bucket_keys.prediction_key(other, bucket_keys.shard_key(other, 0)): False,
        bucket_keys.shard_key(own, 0): False,
        bucket_keys.job_input_manifest_key(own): False,
        f"models/{MODEL}/model.tar.gz": False,
        UPLOAD: False,
        bucket_keys.labeled_key("shop/reviews"): False,
    }
    for key, allowed in writes.items():
        assert _allows(simulator, statements, "s3:PutObject", f"{bucket}/{key}") == allowed, key
    listings = {
        bucket_keys.job_input_manifest_key(own): True,
        bucket_keys.shard_key(own, 0): True,
        bucket_keys.predictions_prefix(own): True,
        bucket_keys.job_input_manifest_key(other): False,
        bucket_keys.shard_key(other, 0): False,
        bucket_keys.SHARDS_PREFIX: False,
        bucket_keys.STAGING_PREFIX: False,
        bucket_keys.INCOMING_PREFIX: False,
    }
    for prefix, allowed in listings.items():
        listing = {"s3:prefix": prefix}
        assert _allows(simulator, statements, "s3:ListBucket", bucket, listing) == allowed, prefix
    assert not _allows(simulator, statements, "s3:DeleteObject", f"{bucket}/{UPLOAD}")
    assert not _allows(simulator, statements, "s3:PutBucketPolicy", bucket)
    job = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:transform-job/{own}"
    assert not _allows(simulator, statements, "sagemaker:CreateTransformJob", job)


def test_model_role_may_create_its_jobs_log_groups(
    transformed: dict[str, Any], defaults: dict[str, Any], simulator: iam.Simulator
) -> None:
    # In a new account the first transform (or training) job creates its log group: CreateLogGroup
    # is authorized on log-group:<name>, while log-group:<name>:* covers only what is inside it
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html).
    policies = iam.role_policies(transformed, "ModelExecutionRole", defaults)
    groups = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/sagemaker"
    for jobs_group in (f"{groups}/TransformJobs", f"{groups}/TrainingJobs"):
        assert simulator.allows(policies, "logs:CreateLogGroup", jobs_group), jobs_group
    other = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/someone-else"
    assert not simulator.allows(policies, "logs:CreateLogGroup", other)


# --- the transform job: the request the code sends is the one the policy allows ---------------


def _request_context(request: dict[str, Any]) -> dict[str, Any]:
    """The condition keys IAM evaluates for this CreateTransformJob request."""
    context: dict[str, Any] = {
        "sagemaker:ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{request['ModelName']}",
        "sagemaker:InstanceTypes": [request["TransformResources"]["InstanceType"]],
        "aws:TagKeys": [tag["Key"] for tag in request.get("Tags", [])],
    }
    if "KmsKeyId" in request["TransformOutput"]:
        context["sagemaker:OutputKmsKeyArn"] = request["TransformOutput"]["KmsKeyId"]
    if "VolumeKmsKeyId" in request["TransformResources"]:
        context["sagemaker:VolumeKmsKeyArn"] = request["TransformResources"]["VolumeKmsKeyId"]
    return context


def _start_scoring(template: dict[str, Any], values: dict[str, Any]) -> tuple[Any, Settings]:
    function = cfn.functions(template)[START]
    statements = [
        s
        for policy in function["Policies"]
        for s in cfn.resolve(cfn.as_list(policy["Statement"]), values)
    ]
    env = cfn.resolve(function["Environment"]["Variables"], values)
    settings = Settings.model_validate({f: env[f.upper()] for f in Settings.model_fields})
    return statements, settings


@pytest.mark.parametrize("encrypt_volume", ["true", "false"])
def test_start_scoring_may_create_exactly_the_transform_job_the_code_requests(
    template: dict[str, Any], encrypt_volume: str, simulator: iam.Simulator
) -> None:
    # Given the stack's parameters and the settings the function reads from its environment
    values = cfn.stack(template, {"ModelName": MODEL, "EncryptTransformVolume": encrypt_volume})
    statements, settings = _start_scoring(template, values)
    # When the code builds its CreateTransformJob request
    job = jobs.job_name(settings.job_name_prefix, settings.bucket_name, UPLOAD, "v1")
    request = transform_request(job, settings.bucket_name, 3, settings)
    # Then it encrypts the output (and the volume, unless switched off) with the stack's key
    assert request["TransformOutput"].get("KmsKeyId") == "<DataKey.Arn>", (
        "CreateTransformJob must send TransformOutput.KmsKeyId = settings.transform_kms_key_arn "
        "(env TRANSFORM_KMS_KEY_ARN)"
    )
    volume_key = request["TransformResources"].get("VolumeKmsKeyId")
    assert volume_key == ("<DataKey.Arn>" if encrypt_volume == "true" else None), (
        "TransformResources.VolumeKmsKeyId = settings.transform_volume_kms_key_arn when set "
        "(env TRANSFORM_VOLUME_KMS_KEY_ARN), absent when empty"
    )
    # and the policy allows that request: on the job (its ARN is lower case) and on the model
    context = _request_context(request)
    job_arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:transform-job/{job.lower()}"
    # (the Service Authorization Reference lists transform-job as its one resource type)
    assert _allows(simulator, statements, "sagemaker:CreateTransformJob", job_arn, context)
    tags = {"aws:TagKeys": context["aws:TagKeys"]}  # AddTags' own condition keys
    assert _allows(simulator, statements, "sagemaker:AddTags", job_arn, tags)


def test_start_scoring_may_not_create_a_job_for_another_model_key_instance_or_prefix(
    template: dict[str, Any],
    simulator: iam.Simulator,
) -> None:
    values = cfn.stack(template, {"ModelName": MODEL})
    statements, _ = _start_scoring(template, values)
    job_arn = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:transform-job/rs-0123456789abcdef"
    allowed: dict[str, Any] = {
        "sagemaker:ModelArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{MODEL}",
        "sagemaker:OutputKmsKeyArn": iam.KEY_ARN,
        "sagemaker:VolumeKmsKeyArn": iam.KEY_ARN,
        "sagemaker:InstanceTypes": ["ml.m5.large"],
        "aws:TagKeys": ["app"],
    }
    action = "sagemaker:CreateTransformJob"
    assert _allows(simulator, statements, action, job_arn, allowed)
    changes: dict[str, Any] = {
        "another model": {"sagemaker:ModelArn": allowed["sagemaker:ModelArn"] + "-v2"},
        "another output key": {"sagemaker:OutputKmsKeyArn": EXISTING_KEY},
        "another volume key": {"sagemaker:VolumeKmsKeyArn": EXISTING_KEY},
        "a bigger instance": {"sagemaker:InstanceTypes": ["ml.p3.16xlarge"]},
    }
    for what, change in changes.items():
        assert not _allows(simulator, statements, action, job_arn, {**allowed, **change}), what
    for key in ("sagemaker:OutputKmsKeyArn", "sagemaker:VolumeKmsKeyArn"):
        unencrypted = {k: v for k, v in allowed.items() if k != key}
        assert not _allows(simulator, statements, action, job_arn, unencrypted), f"without {key}"
    other_prefix = job_arn.replace("/rs-", "/rsx-")
    assert not _allows(simulator, statements, action, other_prefix, allowed)
    assert _allows(simulator, statements, "sagemaker:AddTags", job_arn, {"aws:TagKeys": ["app"]})
    tagged = {"aws:TagKeys": ["app", "owner"]}
    assert not _allows(simulator, statements, "sagemaker:AddTags", job_arn, tagged)


def test_model_and_job_name_parameters_are_lower_case_like_sagemaker_arns(
    template: dict[str, Any],
) -> None:
    # IAM compares ARNs case-sensitively and SageMaker writes them in lower case: a name with
    # capitals would match no policy, so the parameters refuse it at deploy time.
    for parameter in ("ModelName", "JobNamePrefix"):
        pattern = template["Parameters"][parameter]["AllowedPattern"]
        assert re.fullmatch(pattern, "reviews-sentiment-v3"), parameter
        assert not re.fullmatch(pattern, "Reviews-Sentiment"), parameter


# --- alarms -------------------------------------------------------------------------------------


def _alarms(resources: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (a["Namespace"], a["MetricName"], str(a["Dimensions"][0]["Value"])): a
        for a in _of_type(resources, "AWS::CloudWatch::Alarm").values()
    }


def test_alarms_fire_on_failed_files_sweep_errors_function_errors_and_dead_letters(
    resources: dict[str, Any],
) -> None:
    alarms = _alarms(resources)
    expected = {
        ("ReviewScorer", "FilesFailed", "review-scorer"): "Sum",
        ("ReviewScorer", "FilesRefused", "review-scorer"): "Sum",
        ("ReviewScorer", "SweepErrors", "review-scorer"): "Sum",
        ("ReviewScorer", "UploadErrors", "review-scorer"): "Sum",
        ("AWS/Lambda", "Errors", f"<{START}>"): "Sum",
        ("AWS/Lambda", "Errors", f"<{PUBLISH}>"): "Sum",
        ("AWS/Lambda", "Errors", f"<{SWEEP}>"): "Sum",
        ("AWS/Lambda", "Errors", f"<{API}>"): "Sum",
        # the API's answered failures (500, 503) raise nothing: its 5xx count
        ("AWS/ApiGateway", "5xx", "<ScoringApi>"): "Sum",
    }
    for queue in DEAD_LETTER_QUEUES.values():
        key = ("AWS/SQS", "ApproximateNumberOfMessagesVisible", f"<{queue}.QueueName>")
        expected[key] = "Maximum"
    assert set(alarms) == set(expected)
    for key, alarm in alarms.items():
        assert alarm["Statistic"] == expected[key], key
        assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 1), key
        assert alarm["Threshold"] == 1, key
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold", key
        assert alarm["TreatMissingData"] == "notBreaching", key
        assert alarm["AlarmActions"] == ["<AlarmTopic>"], key


def test_an_existing_alarm_topic_replaces_the_stack_topic(template: dict[str, Any]) -> None:
    existing = f"arn:aws:sns:us-east-1:{ACCOUNT}:ops-pager"
    resources = _resolved(template, {"AlarmTopicArn": existing})
    assert "AlarmTopic" not in resources and "AlarmTopicPolicy" not in resources
    for key, alarm in _alarms(resources).items():
        assert alarm["AlarmActions"] == [existing], key


@pytest.mark.parametrize("service", ["review-scorer", "review-scorer-dev"])
def test_app_metric_alarms_watch_the_service_and_namespace_the_functions_emit_as(
    template: dict[str, Any], service: str
) -> None:
    # That the code emits these metrics (namespace, name, service dimension) when a file is
    # refused or fails or the sweep errs is tested by running the handlers:
    # tests/functional/test_metrics.py. What is left for the template: with any ServiceName,
    # every function runs as that service, and every app alarm watches that service.
    from review_scorer.observability import NAMESPACE

    # Given a stack with this ServiceName
    overrides = {"ServiceName": service}
    values = cfn.stack(template, {"ModelName": MODEL, **overrides})
    resources = _resolved(template, overrides)
    # When the functions' environments and the app's alarms are resolved
    services = {
        name: cfn.resolve(function["Environment"]["Variables"], values)["POWERTOOLS_SERVICE_NAME"]
        for name, function in cfn.functions(template).items()
    }
    app_alarms = [k for k in _alarms(resources) if not k[0].startswith("AWS/")]
    # Then every function is that service, and every app alarm watches it in the code's namespace
    assert services == dict.fromkeys(ALL_FUNCTIONS, service)
    assert sorted(app_alarms) == [
        (NAMESPACE, name, service)
        for name in ("FilesFailed", "FilesRefused", "SweepErrors", "UploadErrors")
    ]
    for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values():
        if alarm["Namespace"] == NAMESPACE:
            assert alarm["Dimensions"] == [{"Name": "service", "Value": service}]


def test_alarm_names_are_unique_within_the_stack(resources: dict[str, Any]) -> None:
    # Two alarms with one AlarmName would make CloudFormation fail the deployment.
    names = [
        r["Properties"]["AlarmName"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert len(names) == len(set(names)), sorted(names)


# --- the intake queue ---------------------------------------------------------------------------


def test_uploads_reach_start_scoring_through_the_encrypted_intake_queue(
    resources: dict[str, Any],
) -> None:
    # Given the bucket's notification, the intake queue and its event source mapping
    bucket = resources["ScoringBucket"]["Properties"]
    (notification,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    queue = resources["IntakeQueue"]["Properties"]
    (mapping,) = _of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    # Then every object created under incoming/ goes to the queue (no case-sensitive suffix),
    assert notification["Queue"] == "<IntakeQueue.Arn>"
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"]["S3Key"]["Rules"] == [
        {"Name": "prefix", "Value": bucket_keys.INCOMING_PREFIX}
    ]
    assert "LambdaConfigurations" not in bucket["NotificationConfiguration"]
    # the queue is encrypted, keeps messages as long as SQS can, hides a message for six times
    # the function's timeout, and dead-letters after the receives a waiting file can use
    assert queue["KmsMasterKeyId"] == "<DataKey.Arn>"
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert queue["VisibilityTimeout"] == intake.VISIBILITY_TIMEOUT_SECONDS
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": "<StartScoringFailureQueue.Arn>",
        "maxReceiveCount": intake.MAX_RECEIVES,
    }
    # and StartScoring reads it in batches, reporting the uploads that must wait
    assert mapping["EventSourceArn"] == "<IntakeQueue.Arn>"
    assert mapping["FunctionName"] == f"<{START}>"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == "5"


def test_a_waiting_file_fails_with_its_own_message_before_its_receives_run_out(
    template: dict[str, Any],
) -> None:
    # The longest wait allowed, at the shortest backoff StartScoring applies (jitter low, base
    # at its default) must end before the queue's last receive, or the file would dead-letter.
    longest_wait = template["Parameters"]["MaxWaitSeconds"]["MaxValue"]
    base = Settings.model_fields["wait_backoff_seconds"].default
    shortest = [0.75 * min(base * 2 ** (n - 1), intake.MAX_BACKOFF_SECONDS) for n in range(1, 200)]
    time_before_dead_letter = sum(shortest[: intake.MAX_RECEIVES - 1])
    assert time_before_dead_letter > longest_wait, (time_before_dead_letter, longest_wait)


def test_s3_may_send_to_the_intake_queue_for_this_bucket_only(
    resources: dict[str, Any], simulator: iam.Simulator
) -> None:
    statements = _policies_of(resources, "AWS::SQS::QueuePolicy", "Queues", "<IntakeQueue>")
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert cfn.as_list(allow["Action"]) == ["sqs:SendMessage"]
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"].endswith(
        f":s3:::review-scorer-{ACCOUNT}-us-east-1"
    )
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    assert _denies_without_tls(statements, "sqs:ReceiveMessage", ["<IntakeQueue.Arn>"])
