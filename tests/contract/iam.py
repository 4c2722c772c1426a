"""Evaluate IAM policy statements the way AWS does, for the few operators this template uses.

Enough to ask "would this role be allowed to do X on Y, with this request context?" offline:
Allow and explicit Deny, wildcards in actions and resources (case-sensitive, as IAM compares
ARNs), and the condition operators below. A condition key missing from the context fails a
single-valued operator and satisfies ``ForAllValues:`` (as in IAM); an unknown operator fails the
test rather than being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import cfn

Context = Mapping[str, str | list[str]]


def match(pattern: str, value: str) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character; case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _values(value: Any) -> list[str]:
    return [
        str(item).lower() if isinstance(item, bool) else str(item) for item in cfn.as_list(value)
    ]


def _operator_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    wanted = _values(expected)
    present = key in context
    actual = _values(context[key]) if present else []
    if operator == "Null":
        return (not present) == (wanted[0].lower() == "true")
    if operator.startswith("ForAllValues:"):
        inner = operator.split(":", 1)[1]
        return all(_single(inner, value, wanted) for value in actual)
    if not present:
        return False
    if operator.startswith("ForAnyValue:"):
        inner = operator.split(":", 1)[1]
        return any(_single(inner, value, wanted) for value in actual)
    (value,) = actual
    return _single(operator, value, wanted)


def _single(operator: str, value: str, wanted: list[str]) -> bool:
    if operator in ("StringEquals", "ArnEquals"):
        # ArnEquals compares component by component; without wildcards that is equality.
        return value in wanted
    if operator in ("StringLike", "ArnLike"):
        return any(match(pattern, value) for pattern in wanted)
    if operator == "Bool":
        return value.lower() in (w.lower() for w in wanted)
    raise AssertionError(f"condition operator {operator} is not evaluated by these tests")


def conditions_hold(condition: Mapping[str, Any] | None, context: Context) -> bool:
    if not condition:
        return True
    return all(
        _operator_holds(operator, key, expected, context)
        for operator, block in condition.items()
        for key, expected in block.items()
    )


def _applies(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    return (
        any(match(a, action) for a in cfn.as_list(statement["Action"]))
        and any(match(r, resource) for r in cfn.as_list(statement["Resource"]))
        and conditions_hold(statement.get("Condition"), context)
    )


def allows(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Context | None = None,
) -> bool:
    """True if an Allow applies and no Deny does (identity policies, one account)."""
    context = context or {}
    statements = list(statements)
    denied = any(
        s["Effect"] == "Deny" and _applies(s, action, resource, context) for s in statements
    )
    allowed = any(
        s["Effect"] == "Allow" and _applies(s, action, resource, context) for s in statements
    )
    return allowed and not denied


def role_statements(template: Mapping[str, Any], role: str) -> list[dict[str, Any]]:
    """Every inline statement of an ``AWS::IAM::Role`` of a (transformed) template."""
    properties = template["Resources"][role]["Properties"]
    return [
        statement
        for policy in properties.get("Policies", [])
        for statement in cfn.as_list(policy["PolicyDocument"]["Statement"])
    ]
