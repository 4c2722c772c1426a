"""The AWS calls the functions really make, and the IAM requests AWS evaluates for each.

:class:`Recorder` hooks botocore's events on the default boto3 session, so every client the
handlers create (``review_scorer.aws.clients``) reports its calls; a call is kept with the
function running it (``review_scorer_local.lambda_invoke.running_function``), so calls of the
test's own clients are left out. :func:`iam_requests` maps one call to what IAM evaluates,
per the Service Authorization Reference and the services' permission pages cited below. A call
it does not know fails with "unmapped call": never skipped, so a new call gets a mapping.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3
from iam import ACCOUNT, REGION, Request

from review_scorer_local import lambda_invoke

SECURE = {"aws:SecureTransport": "true"}  # boto3 calls AWS over HTTPS


@dataclass
class Call:
    """One API call a function made: service and operation as botocore names them, the request
    parameters (without a body), and the HTTP status and error code it got."""

    function: str
    service: str
    operation: str
    params: dict[str, Any]
    status: int | None = None
    error: str | None = None

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k in _SHOWN}
        return f"{self.function}: {self.service}.{self.operation} {shown} -> {self.status}"

    @property
    def found_nothing(self) -> bool:
        return self.status == 404 or self.error in {"NoSuchKey", "NoSuchVersion", "NotFound"}


_SHOWN = {"Bucket", "Key", "Prefix", "VersionId", "CopySource", "TopicArn", "QueueUrl"}
_SHOWN |= {"TransformJobName", "ModelName"}


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    _installed: bool = False

    def install(self) -> None:
        """Hook the default session: clients created from now on report (the local stack
        resets the functions' clients on start, so theirs are)."""
        events = boto3._get_default_session().events
        events.register("before-parameter-build", self._before)
        events.register("after-call", self._after)
        self._installed = True

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls

    def _before(self, params: Mapping[str, Any], model: Any, context: Any, **_: Any) -> None:
        function = lambda_invoke.running_function
        if function is None:
            return
        if context.get("is_presign_request"):
            # botocore builds a presigned URL or POST through the same events (a POST as a
            # CreateBucket), but sends nothing: what the signature lets a browser do is checked
            # from the answer the function gives (test_iam_calls.presigned_calls)
            return
        kept = {k: copy.deepcopy(v) for k, v in params.items() if k != "Body"}
        call = Call(function, model.service_model.service_name, model.name, kept)
        context["recorded_call"] = call
        self.calls.append(call)

    def _after(self, http_response: Any, parsed: Mapping[str, Any], context: Any, **_: Any) -> None:
        call = context.get("recorded_call") if isinstance(context, dict) else None
        if isinstance(call, Call):
            call.status = http_response.status_code
            call.error = parsed.get("Error", {}).get("Code")


# --- calls to IAM requests ----------------------------------------------------------------------


class UnmappedCallError(AssertionError):
    pass


@dataclass(frozen=True)
class Encryption:
    """The KMS key of each of the stack's resources (by ARN prefix): AWS also evaluates the
    caller's use of that key when a service encrypts or decrypts for the call."""

    keys: Mapping[str, str]

    def key_of(self, arn: str) -> str | None:
        for prefix, key in self.keys.items():
            if arn == prefix or arn.startswith(prefix + "/"):
                return key
        return None


def _s3_object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3_read(bucket: str, key: str, version_id: str | None) -> Request:
    # GetObject and HeadObject: s3:GetObject, or s3:GetObjectVersion with a versionId
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, API_HeadObject.html).
    if version_id:
        return Request(
            "s3:GetObjectVersion", _s3_object(bucket, key), {**SECURE, "s3:versionid": version_id}
        )
    return Request("s3:GetObject", _s3_object(bucket, key), SECURE)


def _kms(action: str, key: str | None, service: str) -> list[Request]:
    if key is None:
        return []
    return [Request(action, key, {**SECURE, "kms:ViaService": f"{service}.{REGION}.amazonaws.com"})]


def copy_source(source: Any) -> tuple[str, str, str | None]:
    if isinstance(source, dict):
        return source["Bucket"], source["Key"], source.get("VersionId")
    path, _, query = str(source).lstrip("/").partition("?")
    bucket, _, key = path.partition("/")
    version = parse_qs(query).get("versionId", [None])[0]
    return bucket, unquote(key), version


def _s3(call: Call, encryption: Encryption) -> list[Request]:
    """Amazon S3: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
    and "Required permissions for Amazon S3 API operations"
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
    SSE-KMS: reading needs kms:Decrypt, writing kms:GenerateDataKey, a multipart upload both
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html)."""
    p, op = call.params, call.operation
    bucket = p["Bucket"]
    key = encryption.key_of(f"arn:aws:s3:::{bucket}")
    kms_read = _kms("kms:Decrypt", key, "s3")
    kms_write = _kms("kms:GenerateDataKey", key, "s3")
    if op == "GetObject":
        return [_s3_read(bucket, p["Key"], p.get("VersionId")), *kms_read]
    if op == "HeadObject":
        return [_s3_read(bucket, p["Key"], p.get("VersionId"))]
    if op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        context = dict(SECURE)
        if "IfNoneMatch" in p:
            context["s3:if-none-match"] = p["IfNoneMatch"]
        if "IfMatch" in p:
            context["s3:if-match"] = p["IfMatch"]
        # the encryption the request asks for (a presigned POST's fields pin it)
        if "ServerSideEncryption" in p:
            context["s3:x-amz-server-side-encryption"] = p["ServerSideEncryption"]
        if "SSEKMSKeyId" in p:
            context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = p["SSEKMSKeyId"]
        extra = kms_write if op in ("PutObject", "CreateMultipartUpload") else []
        if op == "CompleteMultipartUpload":
            extra = kms_read
        return [Request("s3:PutObject", _s3_object(bucket, p["Key"]), context), *extra]
    if op == "AbortMultipartUpload":
        return [Request("s3:AbortMultipartUpload", _s3_object(bucket, p["Key"]), SECURE)]
    if op in ("CopyObject", "UploadPartCopy"):
        source_bucket, source_key, version = copy_source(p["CopySource"])
        source_kms = _kms("kms:Decrypt", encryption.key_of(f"arn:aws:s3:::{source_bucket}"), "s3")
        return [
            _s3_read(source_bucket, source_key, version),
            *source_kms,
            Request("s3:PutObject", _s3_object(bucket, p["Key"]), SECURE),
            *(kms_write if op == "CopyObject" else []),
        ]
    if op in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
        # s3:prefix, s3:delimiter and s3:max-keys come from the request's parameters.
        context = dict(SECURE)
        for param, condition_key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter")):
            if param in p:
                context[condition_key] = str(p[param])
        if "MaxKeys" in p:
            context["s3:max-keys"] = str(p["MaxKeys"])
        action = "s3:ListBucketVersions" if op == "ListObjectVersions" else "s3:ListBucket"
        return [Request(action, f"arn:aws:s3:::{bucket}", context)]
    raise UnmappedCallError(f"unmapped call {call}")


def _queue_arn(url: str) -> str:
    path = urlparse(url).path.strip("/").split("/")
    account, name = path[-2], path[-1]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def _sqs(call: Call, encryption: Encryption) -> list[Request]:
    """Amazon SQS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsqs.html;
    a batch is authorized as its single action (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html).
    An SSE-KMS queue: sending needs kms:GenerateDataKey and kms:Decrypt, receiving kms:Decrypt
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html)."""
    actions = {
        "SendMessage": "sqs:SendMessage",
        "SendMessageBatch": "sqs:SendMessage",
        "ReceiveMessage": "sqs:ReceiveMessage",
        "DeleteMessage": "sqs:DeleteMessage",
        "DeleteMessageBatch": "sqs:DeleteMessage",
        "ChangeMessageVisibility": "sqs:ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
        "GetQueueAttributes": "sqs:GetQueueAttributes",
    }
    if call.operation not in actions:
        raise UnmappedCallError(f"unmapped call {call}")
    queue = _queue_arn(call.params["QueueUrl"])
    key = encryption.key_of(queue)
    kms: list[Request] = []
    if call.operation.startswith("SendMessage"):
        kms = _kms("kms:GenerateDataKey", key, "sqs") + _kms("kms:Decrypt", key, "sqs")
    elif call.operation == "ReceiveMessage":
        kms = _kms("kms:Decrypt", key, "sqs")
    return [Request(actions[call.operation], queue, SECURE), *kms]


def _sns(call: Call, encryption: Encryption) -> list[Request]:
    """Amazon SNS: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html;
    publishing to an encrypted topic needs kms:GenerateDataKey and kms:Decrypt
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)."""
    if call.operation not in ("Publish", "PublishBatch"):
        raise UnmappedCallError(f"unmapped call {call}")
    topic = call.params.get("TopicArn") or call.params.get("TargetArn") or ""
    key = encryption.key_of(topic)
    kms = _kms("kms:GenerateDataKey", key, "sns") + _kms("kms:Decrypt", key, "sns")
    return [Request("sns:Publish", topic, SECURE), *kms]


def _sagemaker_arn(kind: str, name: str) -> str:
    # SageMaker ARNs are lower case whatever the name's case.
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


def _sagemaker(call: Call, encryption: Encryption) -> list[Request]:
    """Amazon SageMaker: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html.
    CreateTransformJob's resource is the transform-job, its condition keys sagemaker:ModelArn,
    sagemaker:InstanceTypes, sagemaker:OutputKmsKeyArn, sagemaker:VolumeKmsKeyArn (the
    ...KmsKey keys without "Arn" are deprecated and no longer listed for it), aws:TagKeys and
    aws:RequestTag/${TagKey}. Tags sent with a create need sagemaker:AddTags on the new resource
    (https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html)."""
    p, op = call.params, call.operation
    if op == "CreateTransformJob":
        context: dict[str, str | list[str]] = {
            **SECURE,
            "sagemaker:ModelArn": _sagemaker_arn("model", p["ModelName"]),
            "sagemaker:InstanceTypes": [p["TransformResources"]["InstanceType"]],
        }
        if p.get("TransformOutput", {}).get("KmsKeyId"):
            context["sagemaker:OutputKmsKeyArn"] = p["TransformOutput"]["KmsKeyId"]
        if p["TransformResources"].get("VolumeKmsKeyId"):
            context["sagemaker:VolumeKmsKeyArn"] = p["TransformResources"]["VolumeKmsKeyId"]
        tags: dict[str, str | list[str]] = {}
        if p.get("Tags"):
            tags["aws:TagKeys"] = [tag["Key"] for tag in p["Tags"]]
            for tag in p["Tags"]:
                tags[f"aws:RequestTag/{tag['Key']}"] = tag["Value"]
        job = _sagemaker_arn("transform-job", p["TransformJobName"])
        requests = [Request("sagemaker:CreateTransformJob", job, {**context, **tags})]
        if tags:
            requests.append(Request("sagemaker:AddTags", job, {**SECURE, **tags}))
        return requests
    if op in ("DescribeTransformJob", "StopTransformJob"):
        job = _sagemaker_arn("transform-job", p["TransformJobName"])
        return [Request(f"sagemaker:{op}", job, SECURE)]
    if op == "DescribeModel":  # its resource type is model
        return [Request("sagemaker:DescribeModel", _sagemaker_arn("model", p["ModelName"]), SECURE)]
    if op == "ListTransformJobs":  # no resource-level permission: "*"
        return [Request("sagemaker:ListTransformJobs", "*", SECURE)]
    raise UnmappedCallError(f"unmapped call {call}")


_MAPPERS: dict[str, Callable[[Call, Encryption], list[Request]]] = {
    "s3": _s3,
    "sqs": _sqs,
    "sns": _sns,
    "sagemaker": _sagemaker,
}


def iam_requests(call: Call, encryption: Encryption) -> list[Request]:
    """The IAM requests AWS evaluates for ``call``; :class:`UnmappedCallError` if unknown."""
    mapper = _MAPPERS.get(call.service)
    if mapper is None:
        raise UnmappedCallError(f"unmapped call {call} (service {call.service})")
    return mapper(call, encryption)


def may_find_nothing(calls: list[Call]) -> Iterator[Call]:
    """The reads of a key that was not there: S3 answers them 404 only to a caller allowed
    s3:ListBucket on the bucket, else 403 Access Denied (HeadObject and GetObject, "Permissions":
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html,
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html)."""
    for call in calls:
        read = call.service == "s3" and call.operation in ("HeadObject", "GetObject")
        if read and call.found_nothing:
            yield call


def list_bucket_for(call: Call) -> Request:
    """The s3:ListBucket S3 checks for a read that found nothing: on the bucket, with the read's
    own context, so no s3:prefix (a HeadObject or GetObject carries none)."""
    return Request("s3:ListBucket", f"arn:aws:s3:::{call.params['Bucket']}", SECURE)
