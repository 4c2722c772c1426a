"""docs/DEPLOY.md works: every command a newcomer copies is run, or checked as far as offline can.

Each fenced ``bash`` block of the walk-through carries a tag after the language:

- ``offline``: run here, in order, in one shell, in a copy of the repository (``sam build``,
  ``sam validate``, local mode, training, the ``--dry-run`` of registering a model), with the
  stack outputs the ``aws`` blocks would have read set to what this stack would give;
- ``make``: Makefile targets, checked with ``make -n``;
- ``aws``: needs an account. Every ``aws`` command and flag is checked against the AWS API models
  of botocore (the AWS CLI is generated from them), every ``sam`` flag against the SAM CLI's help,
  every ``review-scorer`` flag against its help, every ``awscurl`` call (an external tool, not the
  AWS CLI) against awscurl's documented options and the template's routes, every stack output
  read against template.yaml, and every S3 key against the layout the functions use. The
  teardown script is run against moto, the SigV4 example against a local server.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import cfn
import pytest
from botocore import xform_name
from cfn import REPO

from review_scorer import bucket_keys

pytestmark = pytest.mark.slow

DOC = REPO / "docs" / "DEPLOY.md"
TAGS = ("offline", "make", "aws")
FENCE = re.compile(
    r"^(?P<indent>[ ]*)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S
)
# What the `aws` blocks read from the stack's outputs, as the dev stack would give them.
ACCOUNT = cfn.PSEUDO_PARAMETERS["AWS::AccountId"]
STACK_OUTPUTS = {
    "BUCKET": f"review-scorer-dev-{ACCOUNT}-us-east-1",
    "ROLE": f"arn:aws:iam::{ACCOUNT}:role/review-scorer-dev-ModelExecutionRole-EXAMPLE",
}
# Options of every `aws` command, and of paginated operations.
AWS_GLOBAL = {"--query", "--output", "--region", "--profile", "--no-cli-pager", "--debug"}
AWS_PAGINATION = {"--max-items", "--page-size", "--starting-token", "--no-paginate"}
# Where the AWS CLI renames a parameter of the API (awscli/customizations/argrename.py).
AWS_RENAMES = {("sns", "subscribe"): {"--endpoint": "--notification-endpoint"}}
# The high-level `aws s3` commands (not in the API models) and the options used with them.
AWS_S3 = {
    "cp": {"--recursive"},
    "ls": {"--recursive"},
    "rm": {"--recursive"},
    "presign": {"--expires-in"},
}
# The page's key in the scoring bucket (step 9): the one upload that is not a file to score.
PAGE_KEYS = {"site/index.html"}
# awscurl (https://github.com/okigan/awscurl, README "Options", version 0.4x): curl with SigV4
# signing, used for the signed API calls. Not installed here; its options are written down.
AWSCURL_OPTIONS = {
    "-h", "--help", "-v", "--verbose", "-i", "--include", "-X", "--request", "-d", "--data",
    "-H", "--header", "-k", "--insecure", "--fail-with-body", "--data-binary", "--region",
    "--profile", "--service", "--access_key", "--secret_key", "--security_token",
    "--session_token", "-L", "--location", "-o", "--output",
}  # fmt: skip
AWSCURL_VALUED = {"-X", "--request", "-d", "--data", "-H", "--header", "--region", "--profile",
                  "--service", "--access_key", "--secret_key", "--security_token",
                  "--session_token", "-o", "--output"}  # fmt: skip
# CLI command names that differ from the botocore service name (`aws s3api` is the S3 API).
AWS_SERVICES = {"s3api": "s3"}


@dataclass(frozen=True)
class Block:
    tags: frozenset[str]
    body: str
    line: int

    def __str__(self) -> str:
        return f"DEPLOY.md line {self.line} ({' '.join(sorted(self.tags))})"


@cache
def _blocks() -> tuple[Block, ...]:
    text = DOC.read_text(encoding="utf-8")
    blocks = []
    for found in FENCE.finditer(text):
        language, *tags = found["info"].split()
        if language != "bash":
            continue
        indent = len(found["indent"])
        body = "\n".join(line[indent:] for line in found["body"].splitlines())
        line = text.count("\n", 0, found.start()) + 1
        blocks.append(Block(frozenset(tags), body, line))
    return tuple(blocks)


def _tagged(tag: str) -> list[Block]:
    return [block for block in _blocks() if tag in block.tags]


# --- reading shell commands ---------------------------------------------------------------------


def _without_heredocs(body: str) -> str:
    """Drop heredoc contents (a script or a file's text, not commands)."""
    lines, out, end = body.splitlines(), [], None
    for line in lines:
        if end is not None:
            if line.strip() == end:
                end = None
            continue
        found = re.search(r"<<-?\s*'?(\w+)'?", line)
        if found:
            end = found.group(1)
        out.append(line)
    return "\n".join(out)


def _commands(body: str) -> list[list[str]]:
    """Every simple command of a block, command substitutions included, as argument lists."""
    text = _without_heredocs(body).replace("\\\n", " ")
    commands: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line in ("{", "}") or line.endswith("() {"):
            continue
        # innermost $( ... ) first: each is a command of its own
        while (found := re.search(r"\$\(([^()]*)\)", line)) is not None:
            commands.extend(_split(found.group(1)))
            line = line[: found.start()] + "SUBSTITUTED" + line[found.end() :]
        commands.extend(_split(line))
    return commands


def _split(line: str) -> list[list[str]]:
    tokens = shlex.split(line.split(" <<")[0].split(" > ")[0], comments=True)
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in ("&&", "||", ";", "|"):
            parts.append([])
        else:
            parts[-1].append(token)
    commands = []
    for part in parts:
        while part and re.fullmatch(r"[A-Z_]+=.*", part[0]):  # VAR=value before a command
            part = part[1:]
        if part:
            commands.append(part)
    return commands


def _flags(tokens: list[str]) -> set[str]:
    return {token.split("=", 1)[0] for token in tokens if token.startswith("--")}


def _option_value(tokens: list[str], option: str) -> str:
    return tokens[tokens.index(option) + 1]


def _aws_commands() -> list[list[str]]:
    return [c for block in _tagged("aws") for c in _commands(block.body) if c[0] == "aws"]


# --- the document -------------------------------------------------------------------------------


def test_every_shell_block_says_how_it_is_tested() -> None:
    blocks = _blocks()
    assert len(blocks) > 10
    for block in blocks:
        assert len(block.tags & set(TAGS)) == 1, f"{block}: tag it offline, make or aws"


def test_the_walkthrough_covers_the_whole_path_from_nothing_to_nothing() -> None:
    text = DOC.read_text(encoding="utf-8")
    for step in (
        "register-model",
        "sagemaker-train",
        "SageMaker execution role",
        "sam build",
        "sam deploy --guided",
        "aws sns subscribe",
        "FilterPolicy",
        "aws s3 cp",
        "results/",
        "dead-letter",
        "sam delete",
        "schedule-key-deletion",
        # the scoring API: signed calls, the page, the warning, the two public ways
        "awscurl --service execute-api",
        "SigV4Auth",
        "site/index.html",
        "`EnableIamAuthorizer=false` opens every route to anyone who has the URL",
        "identity pool",
        "rate-based rule",
    ):
        assert step in text, step


def test_make_blocks_name_real_targets() -> None:
    for block in _tagged("make"):
        for command in _commands(block.body):
            assert command[0] == "make", block
            result = subprocess.run(
                ["make", "-n", *command[1:]],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert "No rule to make target" not in result.stderr, f"{block}: {result.stderr}"


# --- the offline blocks, run --------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline_run(
    tmp_path_factory: pytest.TempPathFactory, sam_env: dict[str, str]
) -> dict[int, str]:
    """Run every offline block, in order, in one bash, in a copy of the repository; return each
    block's output (stdout) by block index."""
    sandbox = tmp_path_factory.mktemp("walkthrough")
    for name in ("template.yaml", "samconfig.toml", ".cfnlintrc"):
        shutil.copy2(REPO / name, sandbox / name)
    for folder in ("functions", "local"):
        shutil.copytree(
            REPO / folder,
            sandbox / folder,
            ignore=shutil.ignore_patterns("__pycache__", ".aws-sam", "*.pyc"),
        )
    for name in (".venv", ".tools"):
        (sandbox / name).symlink_to(REPO / name)
    blocks = _tagged("offline")
    script = ["set -euo pipefail"]
    for index, block in enumerate(blocks):
        script += [f"echo '::block {index}::'", block.body, f"echo '::end {index}::'"]
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=sandbox,
        env={**sam_env, **STACK_OUTPUTS, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    outputs = dict(re.findall(r"::block (\d+)::\n(.*?)::end \1::", result.stdout, re.S))
    if result.returncode != 0:
        failed = blocks[len(outputs)] if len(outputs) < len(blocks) else blocks[-1]
        pytest.fail(f"{failed} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    (sandbox / "outputs.json").write_text(json.dumps(outputs), encoding="utf-8")
    return {int(index): text for index, text in outputs.items()} | {-1: str(sandbox)}


def _output_of(outputs: dict[int, str], needle: str) -> str:
    """The output of the offline block whose commands contain ``needle``."""
    for index, block in enumerate(_tagged("offline")):
        if needle in block.body:
            return outputs[index]
    raise AssertionError(f"no offline block runs {needle!r}")


def _dry_run(text: str) -> dict[str, Any]:
    start = text.index('{\n  "dry_run"')
    document, _ = json.JSONDecoder().raw_decode(text[start:])
    assert isinstance(document, dict)
    return document


def test_local_run_of_the_walkthrough_scores_the_sample(offline_run: dict[int, str]) -> None:
    output = _output_of(offline_run, "local run")
    summaries = [json.loads(line) for line in output.splitlines() if line.startswith('{"status"')]
    assert [s["status"] for s in summaries] == ["SUCCEEDED"]


def test_sam_build_of_the_walkthrough_builds_both_functions(offline_run: dict[int, str]) -> None:
    build = Path(offline_run[-1]) / ".aws-sam" / "build"
    assert (build / "template.yaml").is_file()
    for name in cfn.functions(cfn.load_template(cfn.TEMPLATE)):
        assert (build / name / "review_scorer" / "handlers").is_dir(), name


def test_registering_the_trained_model_asks_for_the_stacks_model_name_role_and_bucket(
    offline_run: dict[int, str],
) -> None:
    assert (Path(offline_run[-1]) / "model" / "model.tar.gz").is_file()
    document = _dry_run(_output_of(offline_run, "register-model"))
    (create,) = [r["params"] for r in document["requests"] if r["operation"] == "CreateModel"]
    assert create["ModelName"] == "reviews-sentiment-dev"
    assert create["ExecutionRoleArn"] == STACK_OUTPUTS["ROLE"]
    # the artifact goes where the model role may read it: models/ of the scoring bucket
    url = f"s3://{STACK_OUTPUTS['BUCKET']}/models/reviews-sentiment-dev/model.tar.gz"
    assert create["PrimaryContainer"]["ModelDataUrl"] == url


def test_blazingtext_training_of_the_walkthrough_stays_under_training(
    offline_run: dict[int, str],
) -> None:
    document = _dry_run(_output_of(offline_run, "sagemaker-train"))
    (job,) = [r["params"] for r in document["requests"] if r["operation"] == "CreateTrainingJob"]
    assert job["RoleArn"] == STACK_OUTPUTS["ROLE"]
    prefix = f"s3://{STACK_OUTPUTS['BUCKET']}/training/"
    assert job["OutputDataConfig"]["S3OutputPath"].startswith(prefix)
    for channel in job["InputDataConfig"]:
        assert channel["DataSource"]["S3DataSource"]["S3Uri"].startswith(prefix)


def test_offline_blocks_read_only_outputs_that_aws_blocks_set_earlier() -> None:
    # The variables the test stands in for are the ones an earlier aws block assigns.
    assigned: dict[str, int] = {}
    for block in _blocks():
        if "aws" in block.tags:
            for name in re.findall(r"^\s*([A-Z_]+)=\$\(output \w+\)", block.body, re.M):
                assigned.setdefault(name, block.line)
        if "offline" in block.tags:
            for name in set(re.findall(r"\$\{?([A-Z_]+)", block.body)) - {"PWD", "PATH"}:
                assert name in STACK_OUTPUTS, f"{block} uses ${name}"
                assert assigned.get(name, block.line) < block.line, f"{block}: ${name} unset"


# --- the aws blocks, checked --------------------------------------------------------------------


def test_every_stack_output_the_walkthrough_reads_exists(template: dict[str, Any]) -> None:
    text = "\n".join(block.body for block in _tagged("aws"))
    read = set(re.findall(r"\$\(output (\w+)\)", text))
    assert {"BucketName", "ModelExecutionRoleArn", "TopicArn", "AlarmTopicArn"} <= read
    assert read <= set(template["Outputs"]), read - set(template["Outputs"])
    assigned = dict(re.findall(r"^\s*([A-Z_]+)=\$\(output (\w+)\)", text, re.M))
    assert assigned["BUCKET"] == "BucketName" and assigned["ROLE"] == "ModelExecutionRoleArn"


def _check_aws(command: list[str]) -> None:
    service, operation, *arguments = command[1:]
    flags = _flags(arguments)
    if service == "s3":
        assert operation in AWS_S3, command
        assert flags <= AWS_S3[operation] | AWS_GLOBAL, command
        return
    model = botocore.session.get_session().get_service_model(AWS_SERVICES.get(service, service))
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    assert operation in operations, f"aws {service} has no {operation}"
    shape = model.operation_model(operations[operation]).input_shape
    renames = AWS_RENAMES.get((service, operation), {})
    members = {}
    for name, member in (shape.members if shape else {}).items():
        flag = renames.get(f"--{xform_name(name, '-')}", f"--{xform_name(name, '-')}")
        members[flag] = member
    allowed = set(members) | AWS_GLOBAL | AWS_PAGINATION
    allowed |= {f"--no-{f[2:]}" for f, m in members.items() if m.type_name == "boolean"}
    assert flags <= allowed, f"{' '.join(command)}: unknown {flags - allowed}"
    required = {
        renames.get(f"--{xform_name(n, '-')}", f"--{xform_name(n, '-')}")
        for n in (shape.required_members if shape else [])
    }
    assert required <= flags, f"{' '.join(command)}: missing {required - flags}"


def test_every_aws_command_and_flag_exists_in_the_aws_api() -> None:
    commands = _aws_commands()
    assert len(commands) > 15
    for command in commands:
        _check_aws(command)


@cache
def _help(*command: str) -> set[str]:
    result = subprocess.run(
        [*command, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "SAM_CLI_TELEMETRY": "0", "LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    return set(re.findall(r"--[a-z][a-z-]*", result.stdout))


def _subcommand(command: list[str]) -> tuple[str, ...]:
    """``review-scorer local run FILE --json`` -> ``("local", "run")``."""
    words = []
    for token in command[1:]:
        if not re.fullmatch(r"[a-z][a-z-]*", token):
            break
        words.append(token)
    return tuple(words)


def test_every_sam_and_review_scorer_flag_exists(sam_cli: Path, template: dict[str, Any]) -> None:
    programs = {
        "sam": str(sam_cli),
        ".venv/bin/review-scorer": str(REPO / ".venv/bin/review-scorer"),
    }
    checked = 0
    for block in _blocks():
        for command in _commands(block.body):
            if command[0] not in programs:
                continue
            known = _help(programs[command[0]], *_subcommand(command))
            assert _flags(command) <= known, f"{block}: {command}: {_flags(command) - known}"
            if command[:2] == ["sam", "logs"]:  # --name: a function of the template
                assert _option_value(command, "--name") in template["Resources"]
            checked += 1
    assert checked >= 10


def test_files_the_walkthrough_uploads_and_reads_are_where_the_functions_work(
    template: dict[str, Any],
) -> None:
    uploads: list[str] = []
    reads: list[str] = []
    pages: list[str] = []
    for command in _aws_commands():
        if command[1:3] != ["s3", "cp"]:
            continue
        source, target = command[3], command[4]
        if target.startswith("s3://"):
            key = target.split("/", 3)[3]
            (pages if key in PAGE_KEYS else uploads).append(key)
        else:
            reads.append(source.split("/", 3)[3])
    # the page goes where nothing triggers on it and no function writes
    assert pages == sorted(PAGE_KEYS)
    for key in pages:
        assert not key.startswith((bucket_keys.INCOMING_PREFIX, *bucket_keys.WRITTEN_PREFIXES))
    # the upload triggers StartScoring, and what is read is what PublishResults writes for it
    assert uploads and all(bucket_keys.is_upload(key) for key in uploads)
    names = {bucket_keys.upload_name(key) for key in uploads}
    expected = {bucket_keys.labeled_key(n) for n in names} | {
        bucket_keys.summary_key(n) for n in names
    }
    assert reads and set(reads) <= expected


def test_names_the_walkthrough_searches_for_are_the_stacks(template: dict[str, Any]) -> None:
    for command in _aws_commands():
        if command[1:3] == ["cloudwatch", "describe-alarms"]:
            prefix = _option_value(command, "--alarm-name-prefix")
            assert prefix == "$STACK-"
            for alarm in cfn.resources_of_type(template, "AWS::CloudWatch::Alarm").values():
                assert alarm["Properties"]["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-")
        if command[1:3] == ["sagemaker", "list-transform-jobs"]:
            # the dev stack's job prefix (samconfig.toml), with its hyphen
            contains = _option_value(command, "--name-contains")
            samconfig = (REPO / "samconfig.toml").read_text(encoding="utf-8")
            assert f'JobNamePrefix=\\"{contains[:-1]}\\"' in samconfig and contains[-1] == "-"


# --- the scoring API: awscurl calls and the SigV4 example ----------------------------------------


def _awscurl_calls() -> list[tuple[dict[str, str], str]]:
    """Each awscurl call of the aws blocks: its options (last value wins) and its URL."""
    calls = []
    for block in _tagged("aws"):
        for command in _commands(block.body):
            if command[0] != "awscurl":
                continue
            options: dict[str, str] = {}
            positional = []
            tokens = iter(command[1:])
            for token in tokens:
                if token.startswith("-"):
                    assert token in AWSCURL_OPTIONS, f"{block}: awscurl has no {token}"
                    options[token] = next(tokens) if token in AWSCURL_VALUED else ""
                else:
                    positional.append(token)
            assert len(positional) == 1, f"{block}: {command}"
            calls.append((options, positional[0]))
    return calls


def _template_routes(template: dict[str, Any]) -> set[tuple[str, str]]:
    """``(method, path regex)`` of every HttpApi route of the template."""
    routes = set()
    for function in cfn.functions(template).values():
        for event in function.get("Events", {}).values():
            if event["Type"] == "HttpApi":
                path = event["Properties"]["Path"]
                pattern = re.sub(r"\{[^}]+\+\}", ".+", re.sub(r"\{[^}+]+\}", "[^/]+", path))
                routes.add((event["Properties"]["Method"], pattern))
    return routes


def test_every_awscurl_call_is_a_signed_call_of_a_route_of_the_stack(
    template: dict[str, Any],
) -> None:
    calls = _awscurl_calls()
    routes = _template_routes(template)
    called = set()
    for options, url in calls:
        # signed for API Gateway's execute-api, in the stack's region, JSON where there is a body
        assert options.get("--service") == "execute-api", url
        assert options.get("--region") == "$REGION", url
        if "-d" in options:
            json.loads(options["-d"])
            assert options.get("-H", "").lower() == "content-type: application/json", url
        # at the stack's API URL (an output an earlier block read), on one of its routes
        assert url.startswith("$API_URL/"), url
        method = options.get("-X", "GET")
        path = url.removeprefix("$API_URL")
        matching = [r for r in routes if r[0] == method and re.fullmatch(r[1], path)]
        assert matching, f"{method} {path} is no route of the template"
        called |= set(matching)
    assert called == routes, "show every route"


def test_the_sigv4_example_signs_for_execute_api_and_sends_the_request(
    tmp_path: Path,
) -> None:
    import http.server
    import threading

    (block,) = [b for b in _tagged("aws") if "SigV4Auth" in b.body]
    script = block.body[block.body.index(".venv/bin/python") :]
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(
                {"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)}
            )
            answer = b'{"model": "m", "predictions": []}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": str(tmp_path / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "API_URL": f"http://127.0.0.1:{server.server_address[1]}",
            "REGION": "eu-west-1",
        }
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    # Then it sent the classify request, signed with SigV4 for execute-api in the given region
    (request,) = received
    assert request["path"] == "/api/classify"
    assert json.loads(request["body"])["texts"]
    authorization = request["headers"]["Authorization"]
    scope = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/([a-z0-9-]+)/([a-z-]+)/aws4_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}",
        authorization,
    )
    assert scope, authorization
    assert scope.group(1, 2) == ("eu-west-1", "execute-api")
    assert {"host", "x-amz-date"} <= set(scope.group(3).split(";"))
    # and printed the answer
    assert result.stdout.startswith("200 "), result.stdout


# --- the teardown script, against moto ----------------------------------------------------------


def test_teardown_script_empties_and_deletes_versioned_buckets() -> None:
    from review_scorer_local.moto_server import start_moto

    (block,) = [b for b in _tagged("aws") if "object_versions.delete()" in b.body]
    script = block.body[block.body.index(".venv/bin/python") :]
    server = start_moto()
    try:
        _, port = server.get_host_and_port()
        endpoint = f"http://127.0.0.1:{port}"
        env = {
            "PATH": "/usr/bin:/bin",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "BUCKET": "review-scorer-dev-123456789012-us-east-1",
            "LOG_BUCKET": "review-scorer-dev-logs-123456789012-us-east-1",
        }
        import boto3

        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        for bucket in (env["BUCKET"], env["LOG_BUCKET"]):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            for body in (b"one", b"two"):  # two versions, then a delete marker
                s3.put_object(Bucket=bucket, Key="incoming/reviews.csv", Body=body)
            s3.delete_object(Bucket=bucket, Key="incoming/reviews.csv")
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        remaining = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        assert not remaining & {env["BUCKET"], env["LOG_BUCKET"]}, remaining
    finally:
        server.stop()
