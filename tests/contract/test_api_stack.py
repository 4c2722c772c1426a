"""The scoring API as deployed (issue 13): its routes, who may call them, what its function may
do, and what it leaves behind in the logs.

The routes are the function's HttpApi events; the HTTP API's OpenAPI body adds what SAM cannot
make conditional: IAM on every route unless ``EnableIamAuthorizer`` is false, CORS only for
``ApiCorsOrigin``. The roles, routes and permissions are read from the template SAM makes
(``transformed``), which is what gets deployed, and put to the IAM simulator.
"""

from __future__ import annotations

import json
import re
from typing import Any

import cfn
import iam
import pytest
from cfn import REPO

from review_scorer import bucket_keys

API = "ApiFunction"
HTTP_API = "ScoringApi"
MODEL = "reviews-sentiment-v3"
ACCOUNT = cfn.PSEUDO_PARAMETERS["AWS::AccountId"]
BUCKET = f"arn:aws:s3:::review-scorer-{ACCOUNT}-us-east-1"
MODELS = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/{{}}"
API_DOC = REPO / "docs" / "API.md"
# An upload of the page as POST /api/uploads names it, and its outcome's keys.
WEB_UPLOAD = "incoming/web/5f0c3a9e1b2d4c6f/reviews.csv"
WEB_NAME = bucket_keys.upload_name(WEB_UPLOAD)
# HTTP API access-log variables used (each documented:
# https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
# None holds a request body; $context.path is left out: it carries an upload's file name.
ACCESS_LOG_VARIABLES = {
    "error.message",
    "identity.sourceIp",
    "identity.userAgent",
    "identity.userArn",
    "integrationErrorMessage",
    "integrationLatency",
    "integrationStatus",
    "protocol",
    "requestId",
    "requestTimeEpoch",
    "responseLatency",
    "responseLength",
    "routeKey",
    "status",
}


def _documented_routes() -> set[tuple[str, str]]:
    """The routes docs/API.md documents (``### `POST /api/classify```), as HttpApi paths."""
    text = API_DOC.read_text(encoding="utf-8")
    found = re.findall(r"^### `(GET|POST|PUT|PATCH|DELETE) (/api/[^`]+)`", text, re.M)
    return {(method, path.replace("<name>", "{name+}")) for method, path in found}


def _events(functions: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: event for name, event in functions[API]["Events"].items()}


def _body(transformed: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """The HTTP API's OpenAPI body as CloudFormation resolves it with these parameters."""
    values = cfn.stack(transformed, {"ModelName": MODEL, **overrides})
    body = cfn.resolve(transformed["Resources"][HTTP_API]["Properties"]["Body"], values)
    assert isinstance(body, dict)
    return body


def _stage(transformed: dict[str, Any]) -> dict[str, Any]:
    (stage,) = [
        r["Properties"]
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage"
    ]
    assert isinstance(stage, dict)
    return stage


def _api_statements(transformed: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in iam.role_policies(transformed, f"{API}Role", values)
        for statement in cfn.as_list(policy["Statement"])
    ]


@pytest.fixture(scope="module")
def statements(transformed: dict[str, Any], template: dict[str, Any]) -> list[dict[str, Any]]:
    """The API function's role as deployed, with a model name."""
    return _api_statements(transformed, cfn.stack(template, {"ModelName": MODEL}))


# --- routes and who may call them -----------------------------------------------------------------


def test_the_api_has_exactly_the_documented_routes_all_to_the_api_function(
    functions: dict[str, dict[str, Any]], transformed: dict[str, Any]
) -> None:
    # Given the routes docs/API.md documents
    documented = _documented_routes()
    assert documented == {
        ("POST", "/api/classify"),
        ("POST", "/api/uploads"),
        ("GET", "/api/files/{name+}"),
    }
    # Then the function's events are exactly those, on the stack's HTTP API, and nothing else
    events = _events(functions)
    assert {event["Type"] for event in events.values()} == {"HttpApi"}
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()}
    assert routes == documented
    assert all(e["Properties"]["ApiId"] == {"Ref": HTTP_API} for e in events.values())
    # and the deployed OpenAPI body has those routes only, each integrated with the function
    paths = _body(transformed, {})["paths"]
    deployed = {(m.upper(), p) for p, methods in paths.items() for m in methods}
    assert deployed == documented
    for methods in paths.values():
        for operation in methods.values():
            integration = operation["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy"
            assert integration["payloadFormatVersion"] == "2.0"
            assert f"<{API}.Arn>" in integration["uri"]


@pytest.mark.parametrize("enabled", ["true", "false"])
def test_every_route_requires_sigv4_iam_unless_the_parameter_opens_them(
    template: dict[str, Any], transformed: dict[str, Any], enabled: str
) -> None:
    # IAM by default: SAM's AWS_IAM security scheme (awsSigv4), which API Gateway enforces on a
    # route whose operation requires it
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html)
    assert template["Parameters"]["EnableIamAuthorizer"]["Default"] == "true"
    body = _body(transformed, {"EnableIamAuthorizer": enabled})
    scheme = body["components"]["securitySchemes"]["AWS_IAM"]
    assert scheme["x-amazon-apigateway-authtype"] == "awsSigv4"
    assert "security" not in body, "no API-wide default that would cover a route left out"
    for path, methods in body["paths"].items():
        for method, operation in methods.items():
            if enabled == "true":
                assert operation.get("security") == [{"AWS_IAM": []}], (method, path)
            else:  # authorization NONE: DEPLOY.md warns
                assert "security" not in operation, (method, path)


def test_the_api_function_is_invoked_only_by_its_own_routes(transformed: dict[str, Any]) -> None:
    permissions = [
        r["Properties"]
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] == {"Ref": API}
    ]
    source_arns = set()
    for permission in permissions:
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert permission["Action"] == "lambda:InvokeFunction"
        text, variables = permission["SourceArn"]["Fn::Sub"]
        assert variables["__ApiId__"] == {"Ref": HTTP_API}
        source_arns.add(text.replace("${__Stage__}", variables["__Stage__"]))
    prefix = "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/*"
    assert source_arns == {
        f"{prefix}/POST/api/classify",
        f"{prefix}/POST/api/uploads",
        f"{prefix}/GET/api/files/{{name+}}",  # the route as API Gateway names it
    }


def test_routes_are_throttled_by_the_stacks_parameters(
    template: dict[str, Any], transformed: dict[str, Any]
) -> None:
    settings = _stage(transformed)["DefaultRouteSettings"]
    assert settings == {
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
    }
    for name in ("ApiThrottlingBurstLimit", "ApiThrottlingRateLimit"):
        parameter = template["Parameters"][name]
        assert parameter["Type"] == "Number" and parameter["MinValue"] == 0, name
        assert 0 < parameter["Default"] <= parameter["MaxValue"], name


@pytest.mark.parametrize("origin", ["", "https://reviews.example.com"])
def test_cors_is_configured_only_for_the_given_origin(
    template: dict[str, Any], transformed: dict[str, Any], origin: str
) -> None:
    # Given ApiCorsOrigin (default empty)
    assert template["Parameters"]["ApiCorsOrigin"]["Default"] == ""
    body = _body(transformed, {"ApiCorsOrigin": origin})
    values = cfn.stack(template, {"ApiCorsOrigin": origin})
    bucket = cfn.resolve(template["Resources"]["ScoringBucket"]["Properties"], values)
    if not origin:
        # Then no CORS at all: not on the API, not on the bucket
        assert "x-amazon-apigateway-cors" not in body
        assert "CorsConfiguration" not in bucket
        return
    # Then the API allows that origin alone, for its methods and SigV4's headers
    cors = body["x-amazon-apigateway-cors"]
    assert cors["allowOrigins"] == [origin]
    assert sorted(cors["allowMethods"]) == ["GET", "POST"]
    assert {"authorization", "x-amz-date", "x-amz-security-token"} <= set(cors["allowHeaders"])
    assert not cors.get("allowCredentials")
    # and the bucket takes the page's presigned POST from that origin, nothing else
    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert (rule["AllowedOrigins"], rule["AllowedMethods"]) == ([origin], ["POST"])


def test_cors_origin_parameter_refuses_wildcards_paths_and_lists(template: dict[str, Any]) -> None:
    pattern = template["Parameters"]["ApiCorsOrigin"]["AllowedPattern"]
    for good in ("", "https://reviews.example.com", "http://localhost:8080"):
        assert re.fullmatch(pattern, good), good
    for bad in ("*", "https://*.example.com", "https://a.example.com/", "https://a.com/page",
                "https://a.com,https://b.com", "reviews.example.com"):  # fmt: skip
        assert not re.fullmatch(pattern, bad), bad


# --- the access log -------------------------------------------------------------------------------


def test_the_stage_logs_every_request_as_json_without_bodies_or_file_names(
    transformed: dict[str, Any], template: dict[str, Any], defaults: dict[str, Any]
) -> None:
    settings = _stage(transformed)["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    # one JSON document per request, each value one documented variable
    document = json.loads(settings["Format"])
    variables = set()
    for field, value in document.items():
        found = re.fullmatch(r"\$context\.([A-Za-z.]+)", value)
        assert found, f"{field}: {value}"
        variables.add(found.group(1))
    assert variables == ACCESS_LOG_VARIABLES
    assert not re.search(r"body|\$input|\$request|context\.path", settings["Format"])
    # into the stack's encrypted group, kept as long as the functions' logs
    group = cfn.resolve(template["Resources"]["ApiAccessLogGroup"]["Properties"], defaults)
    assert group["KmsKeyId"] == "<DataKey.Arn>"
    assert group["RetentionInDays"] == defaults["LogRetentionInDays"]


# --- the function ---------------------------------------------------------------------------------


def test_the_api_function_answers_within_api_gateways_integration_timeout(
    functions: dict[str, dict[str, Any]],
) -> None:
    # An HTTP API waits at most 30 s for a Lambda integration; the events keep that default
    # (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html)
    assert int(functions[API]["Timeout"]) <= 30
    for event in _events(functions).values():
        assert event["Properties"].get("TimeoutInMillis", 30_000) <= 30_000


def test_the_api_function_has_no_asynchronous_failure_destination(
    transformed: dict[str, Any],
) -> None:
    # API Gateway invokes it synchronously: the caller gets the error, no event is left to
    # retry or keep (the template's comment has the page). Its failures raise alarms instead.
    function = transformed["Resources"][API]["Properties"]
    assert "DeadLetterConfig" not in function
    for resource in transformed["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and properties.get(
            "FunctionName"
        ) == {"Ref": API}:
            assert not properties.get("DestinationConfig"), properties
    alarms = {
        (a["Properties"]["Namespace"], a["Properties"]["MetricName"]): a["Properties"]
        for a in transformed["Resources"].values()
        if a["Type"] == "AWS::CloudWatch::Alarm"
    }
    assert alarms[("AWS/Lambda", "Errors")]  # (one per function: test_security)
    five_xx = alarms[("AWS/ApiGateway", "5xx")]
    assert five_xx["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": HTTP_API}}]


def test_outputs_give_the_api_url_and_its_function(
    template: dict[str, Any], defaults: dict[str, Any]
) -> None:
    outputs = cfn.resolve(template["Outputs"], defaults)
    assert outputs["ApiUrl"]["Value"] == (
        f"https://<{HTTP_API}>.execute-api.us-east-1.amazonaws.com"
    )  # the $default stage: no stage in the path, no trailing slash
    assert outputs["ApiFunctionName"]["Value"] == f"<{API}>"


# --- the function's role, as deployed -------------------------------------------------------------


def _allows(
    simulator: iam.Simulator,
    statements: list[dict[str, Any]],
    action: str,
    resource: str,
    context: iam.Context | None = None,
) -> bool:
    return iam.statements_allow(simulator, statements, action, resource, context)


JOB = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:transform-job/rs-0123456789abcdef"
OTHER_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-999999999999"
SSE = {
    "s3:x-amz-server-side-encryption": "aws:kms",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "<DataKey.Arn>",
}


def test_the_api_role_allows_what_its_routes_do(
    statements: list[dict[str, Any]], simulator: iam.Simulator
) -> None:
    # classify: the model, found and read as the fast path does
    assert _allows(simulator, statements, "sagemaker:DescribeModel", MODELS.format(MODEL))
    artifact = f"{BUCKET}/{bucket_keys.model_key(MODEL)}"
    assert _allows(simulator, statements, "s3:GetObject", artifact)
    # uploads: the browser's POST, authorized as the signer's PutObject (with SSE-KMS)
    assert _allows(simulator, statements, "s3:PutObject", f"{BUCKET}/{WEB_UPLOAD}", SSE)
    # files: the upload, its outcome and the downloads, of web uploads and any other; whether
    # the upload and its outcome exist is a listing of one key with the key as prefix
    for name, upload in ((WEB_NAME, WEB_UPLOAD), ("shop/reviews", "incoming/shop/reviews.csv")):
        probed = [upload, bucket_keys.summary_key(name), bucket_keys.quarantine_error_key(name)]
        downloads = [bucket_keys.labeled_key(name), bucket_keys.rejects_key(name)]
        for key in probed + downloads:
            assert _allows(simulator, statements, "s3:GetObject", f"{BUCKET}/{key}"), key
        for key in probed:
            one = {"s3:prefix": key, "s3:max-keys": "1"}
            assert _allows(simulator, statements, "s3:ListBucket", BUCKET, one), key
    # and the stack's key, through S3, for all of it
    via_s3 = {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert _allows(simulator, statements, action, "<DataKey.Arn>", via_s3), action


@pytest.mark.parametrize(
    ("action", "resource", "context"),
    [
        # no upload outside incoming/web/, no write anywhere else
        ("s3:PutObject", f"{BUCKET}/incoming/other.csv", SSE),
        ("s3:PutObject", f"{BUCKET}/incoming/shop/reviews.csv", SSE),
        ("s3:PutObject", f"{BUCKET}/incoming/webx/reviews.csv", SSE),
        ("s3:PutObject", f"{BUCKET}/results/x", SSE),
        ("s3:PutObject", f"{BUCKET}/quarantine/web/x/error.json", SSE),
        ("s3:PutObject", f"{BUCKET}/staging/x", SSE),
        ("s3:PutObject", f"{BUCKET}/models/{MODEL}/model.tar.gz", SSE),
        ("s3:PutObject", f"{BUCKET}/site/index.html", SSE),
        ("s3:DeleteObject", f"{BUCKET}/{WEB_UPLOAD}", None),
        ("s3:AbortMultipartUpload", f"{BUCKET}/{WEB_UPLOAD}", None),
        ("s3:PutObjectAcl", f"{BUCKET}/{WEB_UPLOAD}", None),
        # no working file of the pipeline, no other model, no quarantined copy itself
        ("s3:GetObject", f"{BUCKET}/staging/rs-0123/manifest.json", None),
        ("s3:GetObject", f"{BUCKET}/staging/shards/rs-0123-part-00000.jsonl", None),
        ("s3:GetObject", f"{BUCKET}/predictions/rs-0123/x.jsonl.out", None),
        ("s3:GetObject", f"{BUCKET}/training/job-1/train/train.txt", None),
        ("s3:GetObject", f"{BUCKET}/models/other/model.tar.gz", None),
        ("s3:GetObject", f"{BUCKET}/quarantine/web/x/reviews.csv", None),
        ("s3:GetObjectVersion", f"{BUCKET}/{WEB_UPLOAD}", None),
        # no listing of the bucket, of another prefix, or of more than one key
        ("s3:ListBucket", BUCKET, {"s3:prefix": "", "s3:max-keys": "1"}),
        ("s3:ListBucket", BUCKET, {"s3:prefix": "staging/x", "s3:max-keys": "1"}),
        ("s3:ListBucket", BUCKET, {"s3:prefix": "models/", "s3:max-keys": "1"}),
        ("s3:ListBucket", BUCKET, {"s3:prefix": "incoming/", "s3:max-keys": "1000"}),
        ("s3:ListBucket", BUCKET, {"s3:prefix": "results/"}),
        ("s3:ListBucketVersions", BUCKET, {"s3:prefix": "incoming/"}),
        # one model, found only: no job, no change
        ("sagemaker:DescribeModel", MODELS.format(f"{MODEL}-v2"), None),
        ("sagemaker:DescribeModel", MODELS.format("other"), None),
        ("sagemaker:CreateModel", MODELS.format(MODEL), None),
        ("sagemaker:ListTransformJobs", "*", None),
        ("sagemaker:CreateTransformJob", JOB, None),
        # nothing of the pipeline's messaging
        ("sns:Publish", "<NotificationTopic>", None),
        ("sqs:SendMessage", "<IntakeQueue.Arn>", None),
        # the key only through S3
        ("kms:Decrypt", "<DataKey.Arn>", {}),
        ("kms:Decrypt", "<DataKey.Arn>", {"kms:ViaService": "sns.us-east-1.amazonaws.com"}),
        ("kms:GenerateDataKey", "<DataKey.Arn>", {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}),
        ("kms:Encrypt", "<DataKey.Arn>", {"kms:ViaService": "s3.us-east-1.amazonaws.com"}),
        ("kms:Decrypt", OTHER_KEY, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}),
    ],
)  # fmt: skip
def test_the_api_role_denies_the_neighbours_of_what_it_needs(
    statements: list[dict[str, Any]],
    simulator: iam.Simulator,
    action: str,
    resource: str,
    context: dict[str, str] | None,
) -> None:
    assert not _allows(simulator, statements, action, resource, context)
