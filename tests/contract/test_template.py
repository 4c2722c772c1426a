"""The template is tested like code: its handlers import, its trigger cannot loop, its
configuration matches ``Settings`` and ``layout``, and every permission names its resources.

These tests read ``template.yaml`` offline (and the template SAM makes of it, for what only
exists after the transform). The scanners are in ``test_scanners.py``, the security baseline of
issue 6 in ``test_security.py``.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import cfn
import iam
import pytest
from cfn import FUNCTIONS_DIR, REPO

from review_scorer import bucket_keys
from review_scorer.results.needs_review import REVIEW_THRESHOLD_PATTERN, parse_review_threshold
from review_scorer.settings import Settings
from review_scorer.transform import jobs

START = "StartScoringFunction"
PUBLISH = "PublishResultsFunction"
SWEEP = "SweepFunction"
API = "ApiFunction"
PIPELINE = (START, PUBLISH, SWEEP)  # the functions that score files and publish their outcome

# Sample names, computed the way the functions compute them.
JOB = jobs.job_name("rs", "bucket", "incoming/shop/reviews.csv", "3HL4kqtJlcpXroDTDmJ")
NAME = bucket_keys.upload_name("incoming/shop/reviews.csv")
UPLOAD = "incoming/shop/reviews.csv"
SHARD = bucket_keys.shard_key(JOB, 0)
# An upload of the page, as POST /api/uploads names it (docs/API.md): incoming/web/<16 hex>/<name>.
WEB_UPLOAD = "incoming/web/5f0c3a9e1b2d4c6f/reviews.csv"
WEB_NAME = bucket_keys.upload_name(WEB_UPLOAD)

# What each function does in the bucket (mirrors review_scorer/logic; the sweep finishes a job
# exactly as PublishResults does). A change there that
# needs a new permission should fail here first, not in the deployed stack.
READS = {
    START: [
        ("s3:GetObject", UPLOAD),
        ("s3:GetObjectVersion", UPLOAD),  # reads and quarantines one exact version
        ("s3:GetObject", bucket_keys.notified_key(JOB)),
        ("s3:GetObject", bucket_keys.job_claim_key(JOB)),  # a file's claim on a job
        ("s3:GetObject", bucket_keys.manifest_key(JOB)),  # a waiting file, staged once
    ],
    PUBLISH: [
        ("s3:GetObject", UPLOAD),
        ("s3:GetObjectVersion", UPLOAD),
        ("s3:GetObject", bucket_keys.job_files_key(JOB)),  # the files a job scored
        ("s3:GetObject", bucket_keys.manifest_key(JOB)),
        ("s3:GetObject", bucket_keys.prediction_key(JOB, SHARD)),
        ("s3:GetObject", bucket_keys.notified_key(JOB)),
        ("s3:GetObject", bucket_keys.staged_rejects_key(JOB)),  # copied to results/
    ],
}
# Keys that may be missing, looked for with a listing that has the key as prefix (s3.exists): a
# HeadObject would answer 403 for them (test_iam_calls.py checks the calls really made).
PROBES = {
    START: [bucket_keys.notified_key(JOB), bucket_keys.job_claim_key(JOB)],
    PUBLISH: [bucket_keys.notified_key(JOB), bucket_keys.prediction_key(JOB, SHARD)],
}
WRITES = {
    START: [
        SHARD,
        bucket_keys.manifest_key(JOB),
        # a job's input (a ManifestFile of shards), its files, and each file's claim on it
        bucket_keys.job_input_manifest_key(JOB),
        bucket_keys.job_files_key(JOB),
        bucket_keys.job_claim_key(JOB),
        bucket_keys.staged_rejects_key(JOB),
        bucket_keys.quarantine_key(NAME, UPLOAD),
        bucket_keys.quarantine_error_key(NAME),
        # a file with no review to score, or few enough for the fast path, finishes here
        bucket_keys.labeled_key(NAME),
        bucket_keys.rejects_key(NAME),
        bucket_keys.summary_key(NAME),
        bucket_keys.notified_key(JOB),
    ],
    PUBLISH: [
        bucket_keys.labeled_key(NAME),
        bucket_keys.rejects_key(NAME),
        bucket_keys.summary_key(NAME),
        bucket_keys.notified_key(JOB),
    ],
}
READS[SWEEP], PROBES[SWEEP], WRITES[SWEEP] = READS[PUBLISH], PROBES[PUBLISH], WRITES[PUBLISH]
# The API (docs/API.md) writes nothing itself. It reads an upload (HeadObject) and its outcome,
# and signs presigned GETs of the results, which S3 authorizes as GetObject by its role.
READS[API] = [
    ("s3:GetObject", WEB_UPLOAD),
    ("s3:GetObject", bucket_keys.summary_key(WEB_NAME)),
    ("s3:GetObject", bucket_keys.quarantine_error_key(WEB_NAME)),
    ("s3:GetObject", bucket_keys.labeled_key(WEB_NAME)),
    ("s3:GetObject", bucket_keys.rejects_key(WEB_NAME)),
]
# whether the upload, its summary or its error.json exists (review_scorer.aws.s3.exists)
PROBES[API] = [
    WEB_UPLOAD,
    bucket_keys.summary_key(WEB_NAME),
    bucket_keys.quarantine_error_key(WEB_NAME),
]
WRITES[API] = []
# The presigned POST it signs: S3 authorizes the browser's upload as a PutObject by the API's
# role. The one write under incoming/ of the whole stack: the API is no S3 trigger's target, so
# the upload cannot loop (it is scored like any other upload).
SIGNED_UPLOADS = {API: [WEB_UPLOAD]}
OWN_PREFIXES = {
    START: (bucket_keys.STAGING_PREFIX, bucket_keys.QUARANTINE_PREFIX, bucket_keys.RESULTS_PREFIX),
    PUBLISH: (bucket_keys.RESULTS_PREFIX, bucket_keys.STAGING_PREFIX),
    SWEEP: (bucket_keys.RESULTS_PREFIX, bucket_keys.STAGING_PREFIX),
    API: (),
}
SAGEMAKER_ACTIONS = {
    START: ["sagemaker:DescribeTransformJob", "sagemaker:AddTags"],
    PUBLISH: ["sagemaker:DescribeTransformJob"],
    SWEEP: ["sagemaker:DescribeTransformJob"],
    API: [],
}
# The one action granted on "*": it supports no resource-level permission (Service Authorization
# Reference), and the sweep needs it.
UNSCOPABLE = {SWEEP: {"sagemaker:ListTransformJobs"}, START: {"sagemaker:ListTransformJobs"}}
# What StartScoring may do with the stack's one model: run it in jobs, find its artifact; the
# API only finds its artifact (the same loader as the fast path).
MODEL_ACTIONS = {
    START: {"sagemaker:CreateTransformJob", "sagemaker:DescribeModel"},
    API: {"sagemaker:DescribeModel"},
}
# The functions that load the model (review_scorer.model.loader), with its memory and /tmp.
MODEL_LOADERS = (START, API)
WRITE_ACTION = re.compile(r"^s3:(Put|Delete|Abort|Restore|Replicate|Create)")


# --- helpers ------------------------------------------------------------------------------------


def _statements(function: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """The function's policy statements, names and ARNs resolved with ``values``."""
    statements: list[dict[str, Any]] = []
    for policy in cfn.as_list(function.get("Policies", [])):
        statements.extend(cfn.resolve(cfn.as_list(policy["Statement"]), values))
    return statements


def _allows(
    simulator: iam.Simulator,
    statements: list[dict[str, Any]],
    action: str,
    resource: str,
    context: iam.Context | None = None,
    *,
    s3_prefix: str | None = None,
) -> bool:
    """True if the IAM simulator finds the statements grant ``action`` on ``resource`` (with
    this context, or this s3:prefix)."""
    if s3_prefix is not None:
        context = {**(context or {}), "s3:prefix": s3_prefix}
    return iam.statements_allow(simulator, statements, action, resource, context)


def _bucket_name(template: dict[str, Any], values: dict[str, Any]) -> str:
    name = cfn.resolve(template["Resources"]["ScoringBucket"]["Properties"]["BucketName"], values)
    assert isinstance(name, str)
    return name


def _s3_triggers(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Every notification of every bucket, and any S3 event a function declares (SAM)."""
    found = [
        config
        for bucket in cfn.resources_of_type(template, "AWS::S3::Bucket").values()
        for kind in ("QueueConfigurations", "TopicConfigurations", "LambdaConfigurations")
        for config in bucket["Properties"].get("NotificationConfiguration", {}).get(kind, [])
    ]
    found += [
        event["Properties"]
        for function in cfn.functions(template).values()
        for event in function.get("Events", {}).values()
        if event["Type"] == "S3"
    ]
    return found


def _rules(trigger: dict[str, Any]) -> dict[str, str]:
    return {rule["Name"]: rule["Value"] for rule in trigger["Filter"]["S3Key"]["Rules"]}


# --- the template as a whole --------------------------------------------------------------------


def test_every_reference_names_a_parameter_resource_or_pseudo_parameter(
    template: dict[str, Any],
) -> None:
    # cfn-lint does not check references inside Globals; this does, everywhere.
    known = {*template["Parameters"], *template["Resources"], *cfn.PSEUDO_PARAMETERS}
    known |= {"AWS::NoValue", "AWS::StackId", "AWS::NotificationARNs"}
    assert cfn.references(template) - known == set()


def test_resources_have_no_circular_dependency(transformed: dict[str, Any]) -> None:
    # The S3 trigger makes the bucket depend on its function (notification configuration), so a
    # function whose policy or environment refers to the bucket closes a cycle that CloudFormation
    # only reports at deploy time. The template SAM makes holds every edge, generated ones too.
    resources = transformed["Resources"]
    graph = {
        name: (cfn.references(resource.get("Properties", {}))
               | set(cfn.as_list(resource.get("DependsOn", []))))
        & set(resources)
        for name, resource in resources.items()
    }  # fmt: skip

    def cycle_from(node: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        if node in path:
            return (*path[path.index(node) :], node)
        for successor in sorted(graph[node]):
            found = cycle_from(successor, (*path, node))
            if found:
                return found
        return None

    for start in graph:
        assert cycle_from(start, ()) is None, " -> ".join(cycle_from(start, ()) or ())


def test_every_function_handler_resolves_to_a_callable_in_its_code_uri(
    functions: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(FUNCTIONS_DIR))
    for name, function in functions.items():
        code_dir = (REPO / function["CodeUri"]).resolve()
        module_name, _, attribute = function["Handler"].rpartition(".")
        module_file = code_dir / (module_name.replace(".", "/") + ".py")
        assert module_file.is_file(), f"{name}: {function['Handler']} has no {module_file}"
        module = importlib.import_module(module_name)
        assert Path(module.__file__ or "").resolve() == module_file, module.__file__
        assert callable(getattr(module, attribute, None)), f"{name}: {attribute} is not callable"


def test_functions_are_built_by_the_makefile_for_their_runtime_and_architecture(
    functions: dict[str, dict[str, Any]],
) -> None:
    # The Makefile's default pip platform and Python must be the ones the Lambda runs.
    makefile = (FUNCTIONS_DIR / "Makefile").read_text(encoding="utf-8")
    platform = re.search(r"^LAMBDA_PLATFORM \?= (\S+)$", makefile, re.M)
    python = re.search(r"^LAMBDA_PYTHON \?= (\S+)$", makefile, re.M)
    assert platform and python
    arch = {"arm64": "aarch64", "x86_64": "x86_64"}
    for name, function in functions.items():
        assert function["Metadata"].get("BuildMethod") == "makefile", name
        assert re.search(rf"^(.* )?build-{name}( .*)?:", makefile, re.M), f"no build-{name}"
        assert function["Runtime"] == f"python{python.group(1)}", name
        (architecture,) = function["Architectures"]
        assert platform.group(1).endswith(arch[architecture]), name


# --- trigger and rule: no loops, no drift from bucket_keys.py -------------------------------------


def test_the_one_upload_trigger_sends_everything_under_incoming_to_the_intake_queue(
    template: dict[str, Any],
) -> None:
    # one notification: objects created under incoming/, whatever their suffix (S3's suffix
    # filters are case-sensitive; StartScoring answers what is not a CSV), to the intake queue
    (trigger,) = _s3_triggers(template)
    assert trigger["Queue"] == {"Fn::GetAtt": ["IntakeQueue", "Arn"]}
    assert trigger["Event"] == "s3:ObjectCreated:*"
    assert _rules(trigger) == {"prefix": bucket_keys.INCOMING_PREFIX}


def test_nothing_the_app_writes_can_match_the_upload_trigger(template: dict[str, Any]) -> None:
    # Given the trigger's prefix, When any written prefix is compared with it
    triggers = _s3_triggers(template)
    assert triggers
    for trigger in triggers:
        rules = _rules(trigger)
        # Then no key under a written prefix can also lie under the trigger's prefix
        for written in bucket_keys.WRITTEN_PREFIXES:
            assert not written.startswith(rules["prefix"]), written
            assert not rules["prefix"].startswith(written), written
        for keys in WRITES.values():
            assert not any(key.startswith(rules["prefix"]) for key in keys)


@pytest.mark.parametrize("prefix", [None, "rs-prod"])
def test_transform_rule_pattern_equals_layout_pattern(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], prefix: str | None
) -> None:
    overrides = {"JobNamePrefix": prefix} if prefix else {}
    values = cfn.stack(template, overrides)
    rules = [
        event["Properties"]
        for event in functions[PUBLISH]["Events"].values()
        if event["Type"] == "EventBridgeRule"
    ]
    assert len(rules) == 1
    expected = jobs.transform_event_pattern(values["JobNamePrefix"])
    assert cfn.resolve(rules[0]["Pattern"], values) == expected


def test_sweep_function_alone_runs_on_the_standard_scheduled_event(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], transformed: dict[str, Any]
) -> None:
    # Given the functions' schedule events
    schedules = {
        name: event["Properties"]
        for name, function in functions.items()
        for event in function.get("Events", {}).values()
        if event["Type"] == "Schedule"
    }
    # Then only the Sweep function has one (one handler per trigger), every SweepSchedule,
    # default 15 minutes
    assert list(schedules) == [SWEEP]
    assert schedules[SWEEP]["Schedule"] == {"Ref": "SweepSchedule"}
    assert template["Parameters"]["SweepSchedule"]["Default"] == "rate(15 minutes)"
    # and the rule sends EventBridge's own "Scheduled Event" (no Input, InputPath or transformer)
    (rule,) = [
        resource["Properties"]
        for resource in transformed["Resources"].values()
        if resource["Type"] == "AWS::Events::Rule"
        and "ScheduleExpression" in resource["Properties"]
    ]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [SWEEP, "Arn"]}
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    sample = json.loads((REPO / "events" / "scheduled_sweep.json").read_text(encoding="utf-8"))
    assert (sample["source"], sample["detail-type"]) == ("aws.events", "Scheduled Event")


# --- configuration: Settings and template cannot drift ------------------------------------------


# Settings only some functions are given: the others never read them (PublishResults and the
# Sweep take each file's review threshold from its manifest, decided by StartScoring).
ONLY_FOR = {"review_threshold": {START, API}}


def settings_of(function: str) -> list[str]:
    """The Settings fields the template sets for ``function``."""
    return [f for f in Settings.model_fields if function in ONLY_FOR.get(f, {function})]


def test_every_setting_is_set_for_every_function(
    functions: dict[str, dict[str, Any]], defaults: dict[str, Any]
) -> None:
    powertools = {
        "POWERTOOLS_SERVICE_NAME": "review-scorer",
        "POWERTOOLS_METRICS_NAMESPACE": "ReviewScorer",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    assert set(functions) == {START, PUBLISH, SWEEP, API}
    for name, function in functions.items():
        variables = cfn.resolve(function["Environment"]["Variables"], defaults)
        expected = {field.upper() for field in settings_of(name)}
        assert expected <= set(variables), f"{name} misses {expected - set(variables)}"
        unread = {field.upper() for field in Settings.model_fields} - expected
        assert not unread & set(variables), f"{name} is given {unread & set(variables)}"
        assert {k: variables.get(k) for k in powertools} == powertools, name


# Settings fields whose template value is a name of this stack, not a default of the code.
STACK_NAMED = {
    "bucket_name",
    "topic_arn",
    "model_name",
    "transform_kms_key_arn",
    "intake_queue_url",
    "data_key_arn",
}
# JSON Schema keywords of Settings' constraints and the parameter properties that must equal them.
BOUNDS = {
    "minimum": "MinValue",
    "maximum": "MaxValue",
    "minLength": "MinLength",
    "maxLength": "MaxLength",
}


def test_every_setting_has_the_codes_default_and_bounds_in_the_template(
    functions: dict[str, dict[str, Any]], template: dict[str, Any]
) -> None:
    # Given the parameter defaults (and a model name, which has none)
    values = cfn.stack(
        template, {"ModelName": "reviews-sentiment-v3", "EncryptTransformVolume": "false"}
    )
    schema = Settings.model_json_schema()["properties"]
    for name, function in functions.items():
        raw = function["Environment"]["Variables"]
        env = cfn.resolve(raw, values)
        # When the function loads its settings from that environment
        settings = Settings.model_validate({f: env[f.upper()] for f in settings_of(name)})
        # Then the stack's names are the template's
        assert settings.bucket_name == _bucket_name(template, values)
        assert settings.topic_arn == "<NotificationTopic>"
        assert settings.model_name == "reviews-sentiment-v3"
        assert settings.transform_kms_key_arn == "<DataKey.Arn>"
        assert settings.intake_queue_url == "<IntakeQueue>"
        assert settings.data_key_arn == "<DataKey.Arn>"  # the API's presigned POST pins it
        for field, info in Settings.model_fields.items():
            if field in STACK_NAMED or field not in settings_of(name):
                continue
            # and every other setting defaults to the code's default (Settings is the truth)
            assert getattr(settings, field) == info.default, f"{name}: {field}"
            reference = raw[field.upper()]
            if isinstance(reference, dict) and set(reference) == {"Ref"}:
                # and a parameter behind it accepts exactly the range the code accepts
                parameter = template["Parameters"][reference["Ref"]]
                for keyword, property_name in BOUNDS.items():
                    if keyword in schema[field]:
                        assert parameter.get(property_name) == schema[field][keyword], (
                            f"{reference['Ref']}.{property_name} != Settings.{field} {keyword}"
                        )


# Settings of issue 12 that a stack owner tunes: each comes from a parameter of its own, whose
# default and bounds the test above compares with Settings.
TUNABLE = {
    "fast_path_max_rows": "FastPathMaxRows",
    "fast_path_max_model_bytes": "FastPathMaxModelBytes",
    "job_max_files": "BatchJobMaxFiles",
    "job_max_bytes": "BatchJobMaxBytes",
}


def test_fast_path_and_job_batching_settings_come_from_their_parameters(
    functions: dict[str, dict[str, Any]], template: dict[str, Any]
) -> None:
    for name, function in functions.items():
        variables = function["Environment"]["Variables"]
        for field, parameter in TUNABLE.items():
            assert variables[field.upper()] == {"Ref": parameter}, f"{name}: {field}"
    for field, parameter in TUNABLE.items():
        declared = template["Parameters"][parameter]
        assert declared["Type"] == "Number", parameter
        assert declared["Default"] == Settings.model_fields[field].default, parameter
        assert declared.get("Description"), parameter


def test_top_k_and_label_names_parameters_match_settings(template: dict[str, Any]) -> None:
    schema = Settings.model_json_schema()["properties"]
    top_k = template["Parameters"]["TopK"]
    assert (top_k["Type"], top_k["Default"]) == ("Number", schema["top_k"]["default"])
    assert (top_k["MinValue"], top_k["MaxValue"]) == (1, 10)
    assert (top_k["MinValue"], top_k["MaxValue"]) == (
        schema["top_k"]["minimum"],
        schema["top_k"]["maximum"],
    )
    label_names = template["Parameters"]["LabelNames"]
    assert (label_names["Type"], label_names["Default"]) == ("String", "")
    assert label_names["Description"] == ("optional mapping like -1=negative,0=neutral,1=positive")


def test_review_threshold_parameter_accepts_exactly_what_settings_accept(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    # Given the ReviewThreshold parameter
    parameter = template["Parameters"]["ReviewThreshold"]
    # Then it defaults as Settings does, to the model's own threshold, and says what it does
    assert (parameter["Type"], parameter["Default"]) == ("String", "model")
    assert parameter["Default"] == Settings.model_fields["review_threshold"].default
    assert "needs_review" in parameter["Description"] and "off" in parameter["Description"]
    # and CloudFormation refuses exactly the values the functions would refuse at run time
    pattern = parameter["AllowedPattern"]
    assert pattern == REVIEW_THRESHOLD_PATTERN
    accepted = ["model", "off", "1", "1.0", "1.", "0.6", ".6", "0.05", "0.000001", "0.999999"]
    refused = ["", "0", "0.0", ".0", "1.5", "2", "-0.5", "1e-3", "Model", "OFF", " 0.6", "0,6"]
    for value in accepted:
        assert re.fullmatch(pattern, value), value
        parse_review_threshold(value)
    for value in refused:
        assert not re.fullmatch(pattern, value), value
        with pytest.raises(ValueError):
            parse_review_threshold(value)
    # and only the functions that decide a threshold are given it
    for name, function in functions.items():
        given = function["Environment"]["Variables"].get("REVIEW_THRESHOLD")
        assert given == ({"Ref": "ReviewThreshold"} if name in (START, API) else None), name


def test_job_name_prefix_parameter_accepts_only_what_settings_accept(
    template: dict[str, Any],
) -> None:
    # Lower case only in the template: SageMaker writes job ARNs in lower case and IAM compares
    # ARNs case-sensitively, so an upper-case prefix would never match the policies.
    settings_pattern = Settings.model_json_schema()["properties"]["job_name_prefix"]["pattern"]
    template_pattern = template["Parameters"]["JobNamePrefix"]["AllowedPattern"]
    assert template_pattern == settings_pattern.replace("a-zA-Z0-9", "a-z0-9")
    for prefix in ("rs", "rs-prod", "a--b", "x" * 30):
        assert re.fullmatch(template_pattern, prefix) and re.fullmatch(settings_pattern, prefix)
    for prefix in ("RS", "rs-", "-rs", "x" * 31, ""):
        assert not re.fullmatch(template_pattern, prefix), prefix


def test_bucket_name_is_valid_for_the_longest_prefix_and_region(template: dict[str, Any]) -> None:
    longest_prefix = "a" * 30
    assert re.fullmatch(
        template["Parameters"]["BucketNamePrefix"]["AllowedPattern"], longest_prefix
    )
    values = {
        **cfn.stack(template, {"BucketNamePrefix": longest_prefix}),
        "AWS::Region": "ap-southeast-7",
    }
    for bucket in cfn.resources_of_type(template, "AWS::S3::Bucket").values():
        name = cfn.resolve(bucket["Properties"]["BucketName"], values)
        assert len(name) <= 63, name
        assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name), name


# --- least privilege ----------------------------------------------------------------------------


def test_permissions_are_inline_statements_and_the_one_role_is_the_models(
    template: dict[str, Any], functions: dict[str, dict[str, Any]]
) -> None:
    # Policy templates, managed policies and extra IAM resources would escape the checks below;
    # the SageMaker execution role of the model is the one IAM resource (test_security.py).
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User"):
        assert not cfn.resources_of_type(template, kind), kind
    assert set(cfn.resources_of_type(template, "AWS::IAM::Role")) == {"ModelExecutionRole"}
    for name, function in functions.items():
        assert "Role" not in function, name
        for policy in cfn.as_list(function.get("Policies", [])):
            assert isinstance(policy, dict) and set(policy) == {"Version", "Statement"}, (
                f"{name}: {policy} is not an inline policy document"
            )


def test_no_statement_grants_a_wildcard_action_or_any_iam_action(
    functions: dict[str, dict[str, Any]], defaults: dict[str, Any]
) -> None:
    for name, function in functions.items():
        for statement in _statements(function, defaults):
            assert statement["Effect"] == "Allow", name
            for action in cfn.as_list(statement["Action"]):
                assert "*" not in action, f"{name}: {action}"
                assert not action.lower().startswith("iam:"), f"{name}: {action}"


def test_every_resource_is_named_never_a_wildcard(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], defaults: dict[str, Any]
) -> None:
    bucket_arn = f"arn:aws:s3:::{_bucket_name(template, defaults)}"
    jobs_arn = "arn:aws:sagemaker:us-east-1:123456789012:transform-job/rs-*"
    model_arn = "arn:aws:sagemaker:us-east-1:123456789012:model/<ModelName>"
    for name, function in functions.items():
        for statement in _statements(function, defaults):
            actions = set(cfn.as_list(statement["Action"]))
            services = {a.split(":")[0] for a in actions}
            assert len(services) == 1, f"{name}: one service per statement keeps scopes clear"
            for resource in cfn.as_list(statement["Resource"]):
                if resource == "*":
                    # only an action that supports no resource-level permission, alone
                    assert actions <= UNSCOPABLE.get(name, set()), f"{name}: {statement}"
                elif services == {"s3"}:
                    assert resource == bucket_arn or resource.startswith(bucket_arn + "/")
                elif services == {"sagemaker"}:
                    assert resource in (jobs_arn, model_arn), f"{name}: {resource}"
                    if resource == model_arn:  # the job's model, and the fast path's
                        assert name in MODEL_ACTIONS, name
                        assert actions <= MODEL_ACTIONS[name], f"{name}: {actions}"
                elif services == {"sns"}:
                    assert resource == "<NotificationTopic>", f"{name}: {resource}"
                elif services == {"kms"}:
                    assert resource == "<DataKey.Arn>", f"{name}: {resource}"
                elif services == {"sqs"}:
                    assert resource == "<IntakeQueue.Arn>", f"{name}: {resource}"
                else:
                    pytest.fail(f"{name}: unexpected service in {statement}")


def test_transform_job_actions_are_scoped_to_this_stacks_job_prefix(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], simulator: iam.Simulator
) -> None:
    # With a non-default prefix, to prove the ARN follows the parameter
    values = cfn.stack(template, {"JobNamePrefix": "rs-prod"})
    own_job = jobs.job_name("rs-prod", "b", UPLOAD, "v1")
    other_job = jobs.job_name("other", "b", UPLOAD, "v1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:transform-job/{}"
    tags = {"aws:TagKeys": ["app"]}
    for name, function in functions.items():
        statements = _statements(function, values)
        for action in SAGEMAKER_ACTIONS[name]:
            context = tags if action == "sagemaker:AddTags" else {}
            assert _allows(simulator, statements, action, arn.format(own_job), context), name
            assert not _allows(simulator, statements, action, arn.format(other_job), context), name


WEB_UPLOAD_PATTERN = f"{bucket_keys.INCOMING_PREFIX}web/*"


def test_each_function_writes_only_under_its_own_prefixes(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], defaults: dict[str, Any]
) -> None:
    objects = f"arn:aws:s3:::{_bucket_name(template, defaults)}/"
    for name, function in functions.items():
        for statement in _statements(function, defaults):
            if not any(WRITE_ACTION.match(a) for a in cfn.as_list(statement["Action"])):
                continue
            for resource in cfn.as_list(statement["Resource"]):
                assert resource.startswith(objects), f"{name}: {resource}"
                key_pattern = resource[len(objects) :]
                if name in SIGNED_UPLOADS:  # the page's uploads, and nothing else
                    assert key_pattern == WEB_UPLOAD_PATTERN, f"{name}: {resource}"
                    continue
                assert key_pattern.startswith(OWN_PREFIXES[name]), f"{name}: {resource}"
                assert not key_pattern.startswith(bucket_keys.INCOMING_PREFIX)


def test_each_function_may_read_probe_and_write_the_keys_it_uses(
    template: dict[str, Any],
    functions: dict[str, dict[str, Any]],
    defaults: dict[str, Any],
    simulator: iam.Simulator,
) -> None:
    bucket_arn = f"arn:aws:s3:::{_bucket_name(template, defaults)}"
    for name, function in functions.items():
        statements = _statements(function, defaults)
        for action, key in READS[name]:
            assert _allows(simulator, statements, action, f"{bucket_arn}/{key}"), (
                f"{name}: {action} {key}"
            )
        for key in PROBES[name]:
            # as review_scorer.aws.s3.exists asks: the key as prefix, one key at most
            one = {"s3:max-keys": "1"}
            listed = _allows(simulator, statements, "s3:ListBucket", bucket_arn, one, s3_prefix=key)
            assert listed, f"{name}: a missing {key} would answer 403, not 404"
        for key in WRITES[name]:
            for action in ("s3:PutObject", "s3:AbortMultipartUpload"):
                assert _allows(simulator, statements, action, f"{bucket_arn}/{key}"), (
                    f"{name}: {key}"
                )
        for key in SIGNED_UPLOADS.get(name, []):
            assert _allows(simulator, statements, "s3:PutObject", f"{bucket_arn}/{key}"), name
        # the pipeline publishes each file's outcome; the API only reads it
        publishes = _allows(simulator, statements, "sns:Publish", "<NotificationTopic>")
        assert publishes == (name in PIPELINE), name


def test_publish_results_lists_only_uploads_predictions_and_staging(
    template: dict[str, Any],
    functions: dict[str, dict[str, Any]],
    defaults: dict[str, Any],
    simulator: iam.Simulator,
) -> None:
    bucket_arn = f"arn:aws:s3:::{_bucket_name(template, defaults)}"
    statements = _statements(functions[PUBLISH], defaults)
    assert _allows(
        simulator,
        statements,
        "s3:ListBucket",
        bucket_arn,
        s3_prefix=bucket_keys.predictions_prefix(JOB),
    )
    for prefix in (
        "",
        bucket_keys.RESULTS_PREFIX,
        bucket_keys.QUARANTINE_PREFIX,
    ):
        assert not _allows(simulator, statements, "s3:ListBucket", bucket_arn, s3_prefix=prefix), (
            prefix
        )


def test_only_the_functions_that_count_or_sweep_jobs_may_list_transform_jobs(
    functions: dict[str, dict[str, Any]], defaults: dict[str, Any], simulator: iam.Simulator
) -> None:
    for name, function in functions.items():
        statements = _statements(function, defaults)
        allowed = _allows(simulator, statements, "sagemaker:ListTransformJobs", "*")
        # StartScoring counts the instances its running jobs hold; the sweep finds finished ones
        assert allowed == (name in (START, SWEEP)), name


def test_only_the_model_loaders_may_find_and_read_the_stacks_model_and_nothing_beside_it(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], simulator: iam.Simulator
) -> None:
    # Given the stack with a model name, and where register-model puts its artifact
    model = "reviews-sentiment-v3"
    values = cfn.stack(template, {"ModelName": model})
    bucket_arn = f"arn:aws:s3:::{_bucket_name(template, values)}"
    models_arn = "arn:aws:sagemaker:us-east-1:123456789012:model/{}"
    artifact = f"{bucket_arn}/{bucket_keys.model_key(model)}"
    for name, function in functions.items():
        statements = _statements(function, values)
        # Then StartScoring and the API alone may find the artifact (DescribeModel) and read it
        # (HeadObject and GetObject are s3:GetObject), with review_scorer.model.loader
        found = _allows(simulator, statements, "sagemaker:DescribeModel", models_arn.format(model))
        read = _allows(simulator, statements, "s3:GetObject", artifact)
        loads = name in MODEL_LOADERS
        assert (found, read) == (loads, loads), name
        # and no other model, no other object beside it, and never a write
        neighbours = {
            ("sagemaker:DescribeModel", models_arn.format(f"{model}-v2")),
            ("sagemaker:DescribeModel", models_arn.format("other")),
            ("sagemaker:CreateModel", models_arn.format(model)),
            ("sagemaker:DeleteModel", models_arn.format(model)),
            ("s3:GetObject", f"{bucket_arn}/{bucket_keys.model_key(model + '-v2')}"),
            ("s3:GetObject", f"{bucket_arn}/{bucket_keys.MODELS_PREFIX}{model}/model.bin"),
            ("s3:GetObject", f"{bucket_arn}/{bucket_keys.training_artifact_key('job-1')}"),
            ("s3:GetObjectVersion", artifact),
            ("s3:PutObject", artifact),
        }
        for action, resource in sorted(neighbours):
            assert not _allows(simulator, statements, action, resource), (
                f"{name}: {action} {resource}"
            )


def test_the_model_loaders_have_memory_and_tmp_for_the_largest_model_the_fast_path_loads(
    functions: dict[str, dict[str, Any]], template: dict[str, Any], defaults: dict[str, Any]
) -> None:
    # fastText holds all of model.bin in memory (the template's comment has the measurement) and
    # the loader keeps one copy of it on /tmp; the archive is streamed, never stored.
    mib = 1024 * 1024
    model = int(template["Parameters"]["FastPathMaxModelBytes"]["Default"])
    assert model == Settings.model_fields["fast_path_max_model_bytes"].default
    start = cfn.resolve(functions[START], defaults)
    assert int(start["MemorySize"]) * mib >= model + 1024 * mib  # the runtime and the file's work
    assert int(start["EphemeralStorage"]["Size"]) * mib >= model + 256 * mib  # spooled rejects
    # Lambda's bounds (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html,
    # configuration-ephemeral-storage.html)
    assert 128 <= int(start["MemorySize"]) <= 10_240
    assert 512 <= int(start["EphemeralStorage"]["Size"]) <= 10_240
    # the API loads the same model with the same loader: the same room
    api = cfn.resolve(functions[API], defaults)
    assert (api["MemorySize"], api["EphemeralStorage"]) == (
        start["MemorySize"],
        start["EphemeralStorage"],
    )
    # the other functions load no model: they keep the smaller Globals
    for name in (PUBLISH, SWEEP):
        assert "EphemeralStorage" not in functions[name], name
        assert int(cfn.resolve(functions[name], defaults)["MemorySize"]) < int(start["MemorySize"])


def test_intake_batching_window_is_a_parameter_within_what_lambda_accepts_for_sqs(
    template: dict[str, Any],
) -> None:
    # MaximumBatchingWindowInSeconds: 0-300 s; a BatchSize over 10 needs at least 1 s
    # (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html)
    (mapping,) = cfn.resources_of_type(template, "AWS::Lambda::EventSourceMapping").values()
    properties = mapping["Properties"]
    assert properties["MaximumBatchingWindowInSeconds"] == {"Ref": "IntakeBatchingWindowSeconds"}
    window = template["Parameters"]["IntakeBatchingWindowSeconds"]
    assert (window["Type"], window["MinValue"], window["MaxValue"]) == ("Number", 0, 300)
    # a few seconds: a burst of uploads shares one invocation; a lone file waits little
    assert 1 <= window["Default"] <= 10
    assert template["Parameters"]["IntakeBatchSize"]["MaxValue"] <= 10 or window["MinValue"] >= 1
    # and the window is not for FIFO queues (services-sqs-parameters.html): the intake is standard
    intake = template["Resources"]["IntakeQueue"]["Properties"]
    assert not intake.get("FifoQueue"), intake


# --- operations ---------------------------------------------------------------------------------


def test_each_function_logs_to_its_own_encrypted_log_group_with_retention(
    template: dict[str, Any], functions: dict[str, dict[str, Any]], defaults: dict[str, Any]
) -> None:
    groups = cfn.resources_of_type(template, "AWS::Logs::LogGroup")
    used: list[str] = []
    for name, function in functions.items():
        # the function sends its logs to a log group of the stack (LoggingConfig.LogGroup)...
        logging = function.get("LoggingConfig", {})
        assert set(logging.get("LogGroup", {})) == {"Ref"}, f"{name}: no LoggingConfig.LogGroup"
        group_name = logging["LogGroup"]["Ref"]
        assert group_name in groups, f"{name}: {group_name} is not a log group of the stack"
        used.append(group_name)
        group = groups[group_name]["Properties"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}, name
        assert cfn.resolve(group["KmsKeyId"], defaults) == "<DataKey.Arn>", name
        # ...named without the function, so that it exists before the function's first
        # invocation (which would otherwise create /aws/lambda/<function name> itself)
        assert not cfn.references(group["LogGroupName"]) & set(functions), group_name
        resolved = cfn.resolve(group["LogGroupName"], defaults)
        # under /aws/lambda/, which the key policy lets CloudWatch Logs use the key for
        assert resolved.startswith("/aws/lambda/review-scorer-test-"), resolved
    # one group per function
    assert len(set(used)) == len(used) == len(functions), used


def test_outputs_name_the_bucket_prefixes_topics_role_and_queues(
    template: dict[str, Any], defaults: dict[str, Any]
) -> None:
    outputs = {name: output["Value"] for name, output in template["Outputs"].items()}
    assert outputs["UploadPrefix"] == {
        "Fn::Sub": f"s3://${{ScoringBucket}}/{bucket_keys.INCOMING_PREFIX}"
    }
    assert outputs["ResultsPrefix"] == {
        "Fn::Sub": f"s3://${{ScoringBucket}}/{bucket_keys.RESULTS_PREFIX}"
    }
    assert outputs["QuarantinePrefix"] == {
        "Fn::Sub": f"s3://${{ScoringBucket}}/{bucket_keys.QUARANTINE_PREFIX}"
    }
    assert outputs["BucketName"] == {"Ref": "ScoringBucket"}
    assert outputs["TopicArn"] == {"Ref": "NotificationTopic"}
    assert outputs[f"{START}Name"] == {"Ref": START}
    assert outputs[f"{PUBLISH}Name"] == {"Ref": PUBLISH}
    assert outputs[f"{API}Name"] == {"Ref": API}
    assert outputs["ApiUrl"] == {
        "Fn::Sub": "https://${ScoringApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }
    resolved = cfn.resolve(outputs, defaults)
    assert resolved["AlarmTopicArn"] == "<AlarmTopic>"
    assert resolved["ModelExecutionRoleArn"] == "<ModelExecutionRole.Arn>"
    assert resolved["DataKeyArn"] == "<DataKey.Arn>"
    for queue in ("StartScoringFailureQueue", "PublishResultsFailureQueue",
                  "EventDeliveryFailureQueue"):  # fmt: skip
        assert resolved[f"{queue}Url"] == f"<{queue}>"
    # every output says what it is for
    assert all(output.get("Description") for output in template["Outputs"].values())
