"""Read ``template.yaml`` as data, so tests can hold the template to the code's own constants.

PyYAML does not know CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...);
:func:`load_template` turns them into the long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``).
:func:`resolve` evaluates the few intrinsic functions the template uses for names and ARNs, with
the parameters' defaults (or overrides) and fixed pseudo parameters, so a test compares plain
strings. :func:`stack` bundles the values and the template's Conditions evaluated with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
FUNCTIONS_DIR = REPO / "functions"

PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "review-scorer-test",
    "AWS::URLSuffix": "amazonaws.com",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class _CfnLoader(yaml.SafeLoader):
    """A safe loader that also accepts CloudFormation's short-form intrinsic functions."""


def _construct_intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """The template as plain data, intrinsic functions in their long form."""
    with path.open(encoding="utf-8") as stream:
        document = yaml.load(stream, Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)
    assert isinstance(document, dict)
    return document


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Parameter values as CloudFormation would pass them (strings): defaults, then overrides."""
    values = {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
    values.update(overrides or {})
    values.update(PSEUDO_PARAMETERS)
    return values


NO_VALUE = "AWS::NoValue"
CONDITIONS_KEY = "<conditions>"


def stack(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Parameter values (defaults, then ``overrides``) and, under :data:`CONDITIONS_KEY`, the
    template's Conditions evaluated with them: what :func:`resolve` needs for ``Fn::If``."""
    values: dict[str, Any] = parameter_values(template, overrides)
    conditions: dict[str, bool] = {}
    for name, expression in template.get("Conditions", {}).items():
        conditions[name] = _condition(expression, values, conditions)
    values[CONDITIONS_KEY] = conditions
    return values


def _condition(expression: Any, values: Mapping[str, Any], known: Mapping[str, bool]) -> bool:
    """``Fn::Equals``/``Fn::Not``/``Fn::And``/``Fn::Or``/``Condition`` (conditions in order)."""
    ((key, argument),) = expression.items()
    if key == "Condition":
        return known[argument]
    if key == "Fn::Equals":
        left, right = (str(resolve(item, values)) for item in argument)
        return left == right
    if key == "Fn::Not":
        return not _condition(argument[0], values, known)
    if key == "Fn::And":
        return all(_condition(item, values, known) for item in argument)
    if key == "Fn::Or":
        return any(_condition(item, values, known) for item in argument)
    raise ValueError(f"unsupported condition {key}")


def condition(values: Mapping[str, Any], name: str) -> bool:
    """The value of one of the template's Conditions in a :func:`stack`."""
    return bool(values[CONDITIONS_KEY][name])


def resolve(value: Any, values: Mapping[str, Any]) -> Any:
    """Evaluate ``Ref``/``Fn::Sub``/``Fn::Join``/``Fn::GetAtt``/``Fn::If`` inside ``value``.

    A name that is not a parameter (a resource of the template) becomes ``<Name>`` or
    ``<Name.Attribute>``, which is enough to compare references. ``Fn::If`` needs ``values``
    from :func:`stack`; a branch that is ``AWS::NoValue`` disappears from its list or mapping.
    """
    resolved = _resolve(value, values)
    return None if resolved is _NO_VALUE else resolved


_NO_VALUE = object()


def _resolve(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, list):
        items = (_resolve(item, values) for item in value)
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            if argument == NO_VALUE:
                return _NO_VALUE
            return values.get(argument, f"<{argument}>")
        if key == "Fn::GetAtt":
            return f"<{'.'.join(argument)}>"
        if key == "Fn::Sub":
            return _substitute(argument, values)
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(str(_resolve(item, values)) for item in items)
        if key == "Fn::If":
            name, when_true, when_false = argument
            if CONDITIONS_KEY not in values:
                raise ValueError(f"Fn::If {name} needs values from cfn.stack()")
            chosen = when_true if values[CONDITIONS_KEY][name] else when_false
            return _resolve(chosen, values)
    resolved = {key: _resolve(item, values) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not _NO_VALUE}


def _substitute(argument: str | list[Any], values: Mapping[str, Any]) -> str:
    if isinstance(argument, str):
        text, local = argument, {}
    else:
        text, variables = argument
        local = {name: str(resolve(item, values)) for name, item in variables.items()}
    scope = {**values, **local}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(scope.get(name, f"<{name}>"))

    return _SUB_VARIABLE.sub(replace, text)


def references(value: Any) -> set[str]:
    """Every name that ``value`` refers to with ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``."""
    if isinstance(value, list):
        return set().union(*(references(item) for item in value))
    if not isinstance(value, dict):
        return set()
    names: set[str] = set()
    for key, argument in value.items():
        if key == "Ref":
            names.add(argument)
        elif key == "Fn::GetAtt":
            names.add(argument[0])
        elif key == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else argument
            names |= {
                name.split(".")[0] for name in _SUB_VARIABLE.findall(text) if name not in local
            }
            names |= references(list(local.values()))
        else:
            names |= references(argument)
    return names


def functions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every ``AWS::Serverless::Function`` with its Globals merged in, as SAM merges them.

    Mappings merge key by key (the function's value wins), everything else is replaced.
    """
    globals_ = template.get("Globals", {}).get("Function", {})
    return {
        name: {"Metadata": resource.get("Metadata", {}), **_merge(globals_, resource["Properties"])}
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resources_of_type(template: Mapping[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == type_
    }


def as_list(value: Any) -> list[Any]:
    """Policy elements may be one value or a list of them."""
    return value if isinstance(value, list) else [value]
