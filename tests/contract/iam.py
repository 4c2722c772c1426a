"""Ask a real IAM simulator whether a role may make a request: ``@cloud-copilot/iam-simulate``.

It evaluates identity and resource policies as AWS does (every condition operator, explicit
Deny, KMS key policies' delegation to IAM) and validates each request against AWS's own data
(the Service Authorization Reference): the action exists, the resource ARN is of a type the
action takes, and the context keys apply to it. Any of these that does not hold fails the
test here: a request the simulator cannot evaluate, or a context key it would ignore (which
would let a condition on it silently not apply), is a mistake of the test, never a pass.

The simulator is AGPL-3.0: ``make tools`` installs it (pinned) in ``.tools/iam-simulate``, a
test tool that is never shipped; ``iam_simulate.cjs`` runs it, one node process for a session.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cfn

ACCOUNT = cfn.PSEUDO_PARAMETERS["AWS::AccountId"]
REGION = cfn.PSEUDO_PARAMETERS["AWS::Region"]
TOOL_DIR = cfn.REPO / ".tools" / "iam-simulate"
SCRIPT = Path(__file__).with_name("iam_simulate.cjs")

Context = Mapping[str, str | list[str]]
Policy = Mapping[str, Any]

# What cfn.resolve leaves for the stack's own resources (``<Name>``, ``<Name.Arn>``), as the ARNs
# they have once created: the simulator, like IAM, takes only ARNs.
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-000000000001"
TOPIC_ARNS = {
    "NotificationTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:review-scorer-notifications",
    "AlarmTopic": f"arn:aws:sns:{REGION}:{ACCOUNT}:review-scorer-alarms",
}
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9]+)(?:\.([A-Za-z]+))?>")


def stack_arn(name: str, attribute: str | None = None) -> str | None:
    """The ARN a resource of the stack gets, for its ``<Name>`` / ``<Name.Arn>`` placeholder;
    None for a placeholder that is not an ARN known here."""
    if name == "DataKey" and attribute == "Arn":
        return KEY_ARN
    if name in TOPIC_ARNS and attribute is None:  # Ref of a topic is its ARN
        return TOPIC_ARNS[name]
    if name.endswith("Queue") and attribute == "Arn":
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    return None


def with_arns(value: Any, *, strict: bool = True) -> Any:
    """``value`` (resolved by :func:`cfn.resolve`) with each placeholder of an ARN the ARN; an
    unknown placeholder fails if ``strict`` (in a policy), else it stays."""

    def arn(match: re.Match[str]) -> str:
        found = stack_arn(match.group(1), match.group(2))
        if found is not None:
            return found
        if match.group(0) != match.string:  # a parameter with no value inside an ARN: its name
            return match.group(1)
        if strict:
            raise AssertionError(f"no ARN for {match.group(0)}: add it to iam.stack_arn")
        return match.group(0)

    if isinstance(value, list):
        return [with_arns(item, strict=strict) for item in value]
    if isinstance(value, dict):
        return {key: with_arns(item, strict=strict) for key, item in value.items()}
    if isinstance(value, str) and "<" in value:
        return _PLACEHOLDER.sub(arn, value)
    return value


def document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def role_policies(
    template: Mapping[str, Any], role: str, values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The inline policy documents of an ``AWS::IAM::Role`` of a (transformed) template,
    resolved with ``values`` (:func:`cfn.stack`) and with ARNs for the stack's resources."""
    properties = template["Resources"][role]["Properties"]
    return [
        with_arns(cfn.resolve(policy["PolicyDocument"], values))
        for policy in properties.get("Policies", [])
    ]


def role_arn(role: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role}"


@dataclass(frozen=True)
class Request:
    """One request as IAM evaluates it: an action on one resource, with its context keys."""

    action: str
    resource: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        context = f" {json.dumps(dict(self.context), sort_keys=True)}" if self.context else ""
        return f"{self.action} on {self.resource}{context}"


@dataclass(frozen=True)
class Decision:
    request: Request
    result: str
    """``Allowed``, ``ImplicitlyDenied`` or ``ExplicitlyDenied``."""

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed"


class Simulator:
    """One node process running ``iam_simulate.cjs``; :meth:`evaluate` asks it one request."""

    def __init__(self, tool_dir: Path = TOOL_DIR) -> None:
        node = shutil.which("node")
        if node is None or not (tool_dir / "node_modules" / "@cloud-copilot").is_dir():
            raise AssertionError(
                f"the IAM simulator is not installed in {tool_dir} (or node is missing): "
                "run `make tools` first"
            )
        self._process = subprocess.Popen(
            [node, str(SCRIPT), str(tool_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def evaluate(
        self,
        policies: Sequence[Policy],
        request: Request,
        *,
        principal: str = role_arn("TestRole"),
        resource_policy: Policy | None = None,
    ) -> Decision:
        """The decision for ``request`` by a principal with identity ``policies`` (and the
        resource's own policy, if given); fails on a request the simulator finds invalid."""
        message: dict[str, Any] = {
            "principal": principal,
            "action": request.action,
            "resource": request.resource,
            "accountId": ACCOUNT,
            "context": dict(request.context),
            "identityPolicies": list(policies),
        }
        if resource_policy is not None:
            message["resourcePolicy"] = resource_policy
        answer = self._ask(message)
        if answer["result"] == "error":
            raise AssertionError(f"the simulator refused {request}: {json.dumps(answer['errors'])}")
        ignored = answer.get("ignoredContextKeys") or []
        assert not ignored, (
            f"{request}: the context keys {ignored} do not apply to {request.action} (Service "
            "Authorization Reference); a condition on them would never match"
        )
        return Decision(request, answer["result"])

    def allows(
        self,
        policies: Sequence[Policy],
        action: str,
        resource: str,
        context: Context | None = None,
        *,
        resource_policy: Policy | None = None,
    ) -> bool:
        request = Request(action, resource, dict(context or {}))
        return self.evaluate(policies, request, resource_policy=resource_policy).allowed

    def close(self) -> None:
        if self._process.stdin:
            self._process.stdin.close()
        self._process.wait(timeout=30)

    def _ask(self, message: Mapping[str, Any]) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(message) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise AssertionError(f"the IAM simulator exited ({self._process.poll()})")
        answer: dict[str, Any] = json.loads(line)
        return answer


ALLOW_ALL = document([{"Effect": "Allow", "Action": "*", "Resource": "*"}])


# The stack key's policy delegates its use to IAM (the account root may kms:*): KMS asks the key
# policy too, so a key request is evaluated with it (test_security checks the statement is there).
KEY_DELEGATES_TO_IAM = document(
    [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
)


def statements_allow(
    simulator: Simulator,
    statements: list[dict[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """The simulator's answer for identity ``statements`` resolved by :func:`cfn.resolve`
    (placeholders become the stack's ARNs, in the context too); the stack key's requests are
    evaluated with its key policy."""
    policy = with_arns(document(statements))
    arn = with_arns(resource)
    context = with_arns(dict(context)) if context else None
    key_policy = KEY_DELEGATES_TO_IAM if arn == KEY_ARN else None
    return simulator.allows([policy], action, arn, context, resource_policy=key_policy)
