"""IAM from the calls the code really makes: each function's role allows every AWS call it made.

Representative flows (a small file scored inside StartScoring with the stack's model, a file
scored by a job, a refused file, a file with nothing to score, a failed job, a job with no
output, a sweep of a job whose event was lost, a file that waits for capacity, an upload whose
event was lost) and the scoring API's calls (texts classified with the stack's model, an upload
presigned, scored and reported, a refused one, a pending one, a missing one) run through the
local stack with the function environment the template gives (its KMS key, instance type, job
prefix). Every call a handler made is recorded
(``aws_calls.Recorder``), mapped to the IAM requests AWS evaluates for it, and put to the IAM
simulator with the role SAM makes for that function, the bucket, topic and key policies of the
resource, and the stack's parameter defaults. The presigned POST and GETs the API hands out make
no call of the function's, but S3 authorizes the browser's request as one by the signer: each is
put to the simulator as the PutObject or GetObject it is (:func:`presigned_calls`). Then S3's
own rule: a read that finds nothing answers 404 only to a caller allowed s3:ListBucket on the
bucket without an s3:prefix condition, else 403 (the code would take a missing key for a denied
one).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import aws_calls
import cfn
import iam
import pytest
from aws_calls import Call, Encryption, Recorder
from tests.conftest import load_event, write_csv

from review_scorer import bucket_keys
from review_scorer.handlers import api, sweep
from review_scorer.model import loader
from review_scorer.model.artifact import package, unpack
from review_scorer.settings import load_settings
from review_scorer_local import lambda_invoke
from review_scorer_local.flow import LocalFlow
from review_scorer_local.http_api import request_event
from review_scorer_local.lambda_invoke import invoke_async, invoke_once
from review_scorer_local.stack import LocalModeStack
from review_scorer_local.stack_config import StackConfig

MODEL = "review-scorer-local-model"  # StackConfig's, given to the template as ModelName
API = "ApiFunction"
FUNCTIONS = ("StartScoringFunction", "PublishResultsFunction", "SweepFunction", API)


@pytest.fixture(scope="module")
def values(template: dict[str, Any]) -> dict[str, Any]:
    return cfn.stack(template, {"ModelName": MODEL})


@pytest.fixture(scope="module")
def resources(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {
        name: iam.with_arns(cfn.resolve(resource, values), strict=False)
        for name, resource in template["Resources"].items()
        if "Condition" not in resource or cfn.condition(values, resource["Condition"])
    }


@pytest.fixture
def stack_config(template: dict[str, Any], values: dict[str, Any]) -> StackConfig:
    """The local stack with the settings the template gives StartScoring (names of this
    stack's own resources aside): the requests are the ones the deployed function sends."""
    env = cfn.functions(template)["StartScoringFunction"]["Environment"]["Variables"]
    resolved = iam.with_arns(
        {k: v for k, v in cfn.resolve(env, values).items() if "<" not in str(v) or "DataKey" in v}
    )
    own = {"bucket_name", "topic_arn", "model_name", "reconcile_after_seconds"}
    overrides = {
        field: resolved[field.upper()]
        for field in type(StackConfig().settings).model_fields
        if field.upper() in resolved and field not in own
    }
    # the sweep reconciles uploads at once here (an hour in the template), so its calls are seen
    return StackConfig(model_name=MODEL, reconcile_after_seconds=0, **overrides)


def _bucket(resources: dict[str, Any]) -> str:
    name = resources["ScoringBucket"]["Properties"]["BucketName"]
    assert isinstance(name, str)
    return name


def _encryption(resources: dict[str, Any]) -> Encryption:
    bucket = resources["ScoringBucket"]["Properties"]
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    keys = {
        f"arn:aws:s3:::{_bucket(resources)}": rule["ServerSideEncryptionByDefault"][
            "KMSMasterKeyID"
        ]
    }
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::SNS::Topic":
            keys[iam.with_arns(f"<{name}>")] = properties["KmsMasterKeyId"]
        if resource["Type"] == "AWS::SQS::Queue" and "KmsMasterKeyId" in properties:
            keys[iam.with_arns(f"<{name}.Arn>")] = properties["KmsMasterKeyId"]
    return Encryption(keys)


def _resource_policy(resources: dict[str, Any], arn: str) -> dict[str, Any] | None:
    """The policy of the resource ``arn`` names, as the template sets it (None if none)."""
    for resource in resources.values():
        properties = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::S3::BucketPolicy" and arn.startswith("arn:aws:s3:::"):
            bucket = arn.removeprefix("arn:aws:s3:::").split("/")[0]
            if f"<{bucket}>" == properties["Bucket"] or properties["Bucket"] == bucket:
                return dict(properties["PolicyDocument"])
        if kind == "AWS::SNS::TopicPolicy" and arn in properties["Topics"]:
            return dict(properties["PolicyDocument"])
        if kind == "AWS::SQS::QueuePolicy" and arn in properties["Queues"]:
            return dict(properties["PolicyDocument"])
        if kind == "AWS::KMS::Key" and arn == iam.KEY_ARN:
            return dict(properties["KeyPolicy"])
    return None


# --- the flows ----------------------------------------------------------------------------------

REVIEWS = [
    ["1", "I love this dress, it fits perfectly"],
    ["2", ""],
    ["3", "Very disappointed: poor quality."],
]


QUOTA_FULL = (
    "The account-level service limit 'ml.m5.large for transform job usage' is 1 Instances, with "
    "current utilization of 1 Instances and a request delta of 1 Instances."
)


def _csv(tmp_path: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    return write_csv(tmp_path / name, header, rows)


def _failing_runner(job: dict[str, Any], model: dict[str, Any]) -> None:
    raise RuntimeError("ClientError: the container ran out of memory")


def _batch_only(stack: LocalModeStack) -> None:
    """From now on every file goes to a transform job (FastPathMaxRows 0, as an owner may set)."""
    config = stack.config
    stack.config = StackConfig(
        bucket=config.bucket,
        region=config.region,
        model_name=config.model_name,
        log_level=config.log_level,
        transform_instance_quota=config.transform_instance_quota,
        **{**config.overrides, "fast_path_max_rows": 0},
    )


# --- the scoring API's flows ---------------------------------------------------------------------


def call_api(method: str, path: str, document: Any = None) -> tuple[int, Any]:
    """One request to the API function as API Gateway's HTTP API invokes it (synchronously)."""
    body = json.dumps(document).encode("utf-8") if document is not None else b""
    headers = [("content-type", "application/json"), ("host", "api.example.com")]
    event = request_event(method, path, headers, body, source_ip="192.0.2.1")
    invocation = invoke_once(api.lambda_handler, event, API)
    assert invocation.error is None, invocation.error
    answer = invocation.result
    return answer["statusCode"], json.loads(answer["body"])


def _upload_through_the_api(stack: LocalModeStack, path: Path) -> dict[str, Any]:
    """POST /api/uploads for ``path``, then the file put where the presigned POST points, as
    the browser's upload would (by the test, not the function: S3 authorizes it as the
    function's, which :func:`presigned_calls` checks)."""
    status, upload = call_api("POST", "/api/uploads", {"name": path.name})
    assert status == 200, upload
    fields = upload["fields"]
    stack.client("s3").put_object(
        Bucket=stack.config.bucket,
        Key=fields["key"],
        Body=path.read_bytes(),
        ContentType=fields["Content-Type"],
    )
    assert isinstance(upload, dict)
    return upload


def run_api_flows(stack: LocalModeStack, tmp_path: Path) -> list[Any]:
    """The API's routes, each way they touch AWS; returns the 200 answers (with the presigned
    requests in them)."""
    flow = LocalFlow(stack)
    header = ["id", "review_body"]
    os.environ.update(stack.function_environment())
    answers: list[Any] = []
    # texts classified: the API's own container finds and loads the stack's model
    loader.reset(tmp_path / "api-model")
    status, classified = call_api("POST", "/api/classify", {"texts": ["I love it", " "], "k": 2})
    assert status == 200 and len(classified["predictions"]) == 2, classified
    # an upload presigned, sent, pending until it is scored, then reported with its downloads
    scored = _upload_through_the_api(stack, _csv(tmp_path, "web.csv", header, REVIEWS))
    answers.append(scored)
    status, pending = call_api("GET", scored["status_url"])
    assert (status, pending) == (200, {"status": "PENDING"}), pending
    flow.deliver_uploads()
    status, done = call_api("GET", scored["status_url"])
    assert status == 200 and done["status"] == "SUCCEEDED" and done["downloads"]["results"], done
    answers.append(done)
    # a refused upload: its outcome is the error.json beside its quarantined copy
    refused = _upload_through_the_api(stack, _csv(tmp_path, "bad.csv", ["id", "text"], REVIEWS))
    answers.append(refused)
    flow.deliver_uploads()
    status, failed = call_api("GET", refused["status_url"])
    assert status == 200 and failed["status"] == "FAILED", failed
    answers.append(failed)
    # an upload that does not exist
    status, missing = call_api("GET", "/api/files/web/0123456789abcdef/none.csv")
    assert (status, missing["error"]["code"]) == (404, "NOT_FOUND"), missing
    flow.drain()
    return answers


def presigned_calls(answers: list[Any]) -> list[Call]:
    """The requests the API's presigned POST and GETs let a browser make, as the calls S3
    authorizes them as: by the signer, the API function's role. A POST upload is a PutObject
    with the encryption its fields pin; a download a GetObject
    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html)."""
    calls = []
    for answer in answers:
        if "fields" in answer:
            fields = answer["fields"]
            params = {
                "Bucket": _bucket_of_url(answer["url"]),
                "Key": fields["key"],
                "ContentType": fields["Content-Type"],
            }
            if "x-amz-server-side-encryption" in fields:
                params["ServerSideEncryption"] = fields["x-amz-server-side-encryption"]
                key_id = fields["x-amz-server-side-encryption-aws-kms-key-id"]
                params["SSEKMSKeyId"] = key_id
            calls.append(Call(API, "s3", "PutObject", params, 204))
        for url in (answer.get("downloads") or {}).values():
            if url:
                path = unquote(urlparse(url).path).lstrip("/")
                bucket = _bucket_of_url(url)
                key = path[len(bucket) + 1 :] if path.startswith(f"{bucket}/") else path
                calls.append(Call(API, "s3", "GetObject", {"Bucket": bucket, "Key": key}, 200))
    return calls


def _bucket_of_url(url: str) -> str:
    """The bucket a presigned URL addresses: the first label of a virtual-hosted URL, else
    the first segment of the path (path style, as against a local endpoint)."""
    parts = urlparse(url)
    host = parts.hostname or ""
    if ".s3." in host or host.endswith(".s3.amazonaws.com"):
        return host.split(".s3.", 1)[0]
    return unquote(parts.path).lstrip("/").split("/", 1)[0]


def run_flows(stack: LocalModeStack, tmp_path: Path) -> list[Any]:
    """The representative flows, one after the other in one local stack; the API's answers."""
    flow = LocalFlow(stack)
    header = ["id", "review_body"]
    # a small file, scored inside StartScoring with the stack's model (the fast path)
    fast = flow.run_file(_csv(tmp_path, "fast.csv", header, REVIEWS), tmp_path / "out")
    assert fast.ok and fast.summary and fast.summary["job"] is None, fast.summary
    # the scoring API: classify, an upload presigned and reported, a refusal, a missing file
    answers = run_api_flows(stack, tmp_path)
    # a refused file (no review column)
    refused = flow.run_file(_csv(tmp_path, "refused.csv", ["id", "text"], REVIEWS), tmp_path)
    assert refused.summary and refused.summary["status"] == "FAILED"
    # a file with nothing to score: finished without a job
    empty = flow.run_file(_csv(tmp_path, "empty.csv", header, [["1", ""], ["2", " "]]), tmp_path)
    assert empty.ok, empty.summary
    # from here on, files go to transform jobs
    _batch_only(stack)
    # a file scored by a job (its first completion: nothing claimed yet)
    scored = flow.run_file(_csv(tmp_path, "scored.csv", header, REVIEWS), tmp_path / "out")
    assert scored.ok and scored.summary and scored.summary["job"], scored.summary
    # a failed job
    failing = LocalFlow(stack, job_runner=_failing_runner)
    failed = failing.run_file(_csv(tmp_path, "failed.csv", header, REVIEWS), tmp_path)
    assert failed.summary and failed.summary["error"]["code"] == "TRANSFORM_JOB_FAILED"
    # a job with no output: its prediction file is looked for and missing
    empty_output = LocalFlow(stack, job_runner=lambda job, model: None)
    missing = empty_output.run_file(_csv(tmp_path, "missing.csv", header, REVIEWS), tmp_path)
    assert missing.summary and missing.summary["error"]["code"] == "MISSING_OUTPUT"
    # a job whose completion event was lost: the sweep completes it
    flow.upload(_csv(tmp_path, "swept.csv", header, REVIEWS))
    flow.deliver_uploads()
    flow.run_pending_jobs()
    stack.client("sqs").purge_queue(QueueUrl=stack.queues.transform_events)
    os.environ.update(stack.function_environment())
    swept = invoke_async(sweep.lambda_handler, load_event("scheduled_sweep.json"), "SweepFunction")
    assert swept.error is None and swept.result and swept.result["swept"], swept
    # a file that must wait for transform capacity (its message's visibility is set), then starts
    assert stack.sagemaker is not None
    stack.sagemaker.inject("CreateTransformJob", "ResourceLimitExceeded", QUOTA_FULL)
    waited = flow.run_file(_csv(tmp_path, "waited.csv", header, REVIEWS), tmp_path)
    assert waited.ok, waited.summary
    # an upload whose event was lost: the sweep lists the uploads and sends it again
    flow.upload(_csv(tmp_path, "lost.csv", header, REVIEWS))
    stack.client("sqs").purge_queue(QueueUrl=stack.queues.intake)
    resent = flow.run_sweep()
    assert resent.invocation.result and resent.invocation.result["resent"], resent
    flow.drain()
    return answers


@pytest.fixture
def recorded(recorder: Recorder, stack: LocalModeStack, tmp_path: Path) -> Iterator[list[Call]]:
    loader.reset(tmp_path / "model")  # a new container: StartScoring finds and loads its model
    recorder.take()
    try:
        answers = run_flows(stack, tmp_path)
    finally:
        loader.reset()
    calls = recorder.take()
    assert {call.function for call in calls} == set(FUNCTIONS), "a function made no call"
    model = {("sagemaker", "DescribeModel"), ("s3", "HeadObject"), ("s3", "GetObject")}
    for loads_the_model in ("StartScoringFunction", API):
        made = {(c.service, c.operation) for c in calls if c.function == loads_the_model}
        assert model <= made, loads_the_model
    signed = presigned_calls(answers)
    assert {c.operation for c in signed} == {"PutObject", "GetObject"}, signed
    yield calls + signed


def _as_deployed(call: Call, local_bucket: str, bucket: str, local_intake: str) -> Call:
    """The call with the local bucket's name and intake queue replaced by the stack's."""
    params = dict(call.params)
    if params.get("Bucket") == local_bucket:
        params["Bucket"] = bucket
    if params.get("QueueUrl") == local_intake:
        params["QueueUrl"] = f"https://sqs.{iam.REGION}.amazonaws.com/{iam.ACCOUNT}/IntakeQueue"
    if "CopySource" in params:
        source_bucket, key, version = aws_calls.copy_source(params["CopySource"])
        source = {"Bucket": bucket if source_bucket == local_bucket else source_bucket, "Key": key}
        params["CopySource"] = {**source, **({"VersionId": version} if version else {})}
    return Call(call.function, call.service, call.operation, params, call.status, call.error)


def _denied(
    recorded: list[Call],
    simulator: iam.Simulator,
    transformed: dict[str, Any],
    values: dict[str, Any],
    resources: dict[str, Any],
    stack: LocalModeStack,
) -> list[str]:
    """Each recorded call as the deployed stack makes it, put to the simulator with its
    function's role; the requests denied (an unmapped call fails here)."""
    bucket, encryption = _bucket(resources), _encryption(resources)
    policies = {f: iam.role_policies(transformed, f"{f}Role", values) for f in FUNCTIONS}
    denied: list[str] = []
    unmapped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for local_call in recorded:
        call = _as_deployed(local_call, stack.config.bucket, bucket, stack.queues.intake)
        try:
            requests = aws_calls.iam_requests(call, encryption)
        except aws_calls.UnmappedCallError as exc:
            unmapped.append(str(exc))
            continue
        for request in requests:
            if (call.function, str(request)) in seen:
                continue
            seen.add((call.function, str(request)))
            decision = simulator.evaluate(
                policies[call.function],
                request,
                principal=iam.role_arn(f"{call.function}Role"),
                resource_policy=_resource_policy(resources, request.resource),
            )
            if not decision.allowed:
                denied.append(f"{call}\n    {request}: {decision.result}")
    assert not unmapped, "\n".join(unmapped)
    return denied


def test_every_call_the_functions_make_is_allowed_by_their_roles(
    recorded: list[Call],
    simulator: iam.Simulator,
    transformed: dict[str, Any],
    values: dict[str, Any],
    resources: dict[str, Any],
    stack: LocalModeStack,
) -> None:
    denied = _denied(recorded, simulator, transformed, values, resources, stack)
    assert not denied, f"{len(denied)} IAM requests denied:\n" + "\n".join(denied)


def _republished(demo_model: Path, out: Path) -> Path:
    """The demo model packaged again under another name: another artifact, another ETag."""
    model_bin, metadata = unpack(demo_model, out.parent / "unpacked")
    assert metadata is not None
    return package(model_bin, metadata.model_copy(update={"name": "republished"}), out)


def test_the_fast_paths_model_calls_are_allowed_to_start_scoring(
    recorder: Recorder,
    stack: LocalModeStack,
    demo_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    simulator: iam.Simulator,
    transformed: dict[str, Any],
    values: dict[str, Any],
    resources: dict[str, Any],
) -> None:
    # Given the stack as deployed (the template's environment, its model registered)
    settings = load_settings(stack.function_environment())
    model_loader = loader.ModelLoader(tmp_path / "model")
    recorder.take()
    # When StartScoring finds, loads, reuses and, once the artifact is replaced, reloads it
    monkeypatch.setattr(lambda_invoke, "running_function", "StartScoringFunction")
    assert model_loader.fits(settings)
    model_loader.load(settings)
    model_loader.load(settings)
    monkeypatch.setattr(lambda_invoke, "running_function", None)
    key = bucket_keys.model_key(settings.model_name)
    artifact = _republished(demo_model, tmp_path / "v2" / "model.tar.gz")
    stack.client("s3").upload_file(str(artifact), stack.config.bucket, key)
    monkeypatch.setattr(lambda_invoke, "running_function", "StartScoringFunction")
    model_loader.load(settings)
    calls = recorder.take()
    # Then it asked SageMaker where the artifact is, S3 for its ETag, and read it (IfMatch)
    made = {(call.service, call.operation) for call in calls}
    assert made == {("sagemaker", "DescribeModel"), ("s3", "HeadObject"), ("s3", "GetObject")}
    assert all(call.status == 200 for call in calls), [str(c) for c in calls]
    assert all("IfMatch" in c.params for c in calls if c.operation == "GetObject")
    # and the role SAM makes for StartScoring allows every request of those calls
    denied = _denied(calls, simulator, transformed, values, resources, stack)
    assert not denied, f"{len(denied)} IAM requests denied:\n" + "\n".join(denied)


def test_a_read_that_finds_nothing_gets_404_not_403(
    recorded: list[Call],
    simulator: iam.Simulator,
    transformed: dict[str, Any],
    values: dict[str, Any],
    resources: dict[str, Any],
    stack: LocalModeStack,
) -> None:
    # S3: "If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status
    # code 403 Access Denied error" for a key that does not exist
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, API_GetObject.html).
    # The code would take the missing key for a denied request.
    bucket = _bucket(resources)
    policies = {f: iam.role_policies(transformed, f"{f}Role", values) for f in FUNCTIONS}
    wrong = []
    for local_call in aws_calls.may_find_nothing(recorded):
        call = _as_deployed(local_call, stack.config.bucket, bucket, stack.queues.intake)
        request = aws_calls.list_bucket_for(call)
        decision = simulator.evaluate(
            policies[call.function], request, principal=iam.role_arn(f"{call.function}Role")
        )
        if not decision.allowed:
            wrong.append(f"{call}: 403, not 404 ({request}: {decision.result})")
    assert not wrong, "\n".join(wrong)


def test_an_unknown_call_fails_loudly_never_skipped() -> None:
    for service, operation in (("s3", "DeleteObject"), ("sqs", "PurgeQueue"), ("kms", "Decrypt")):
        call = Call(
            "StartScoringFunction", service, operation, {"Bucket": "b", "QueueUrl": "u/1/q"}
        )
        with pytest.raises(aws_calls.UnmappedCallError, match="unmapped call"):
            aws_calls.iam_requests(call, Encryption({}))
