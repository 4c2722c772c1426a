"""Read ``template.yaml`` as data, so tests can hold the template to the code's own constants.

PyYAML does not know CloudFormation's short-form tags (``!Ref``, ``!Sub``, ``!GetAtt`` ...);
:func:`load_template` turns them into the long form (``{"Ref": ...}``, ``{"Fn::Sub": ...}``).
:func:`resolve` evaluates the few intrinsic functions the template uses for names and ARNs, with
the parameters' defaults and fixed pseudo parameters, so a test compares plain strings.
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


def resolve(value: Any, values: Mapping[str, str]) -> Any:
    """Evaluate ``Ref``/``Fn::Sub``/``Fn::Join``/``Fn::GetAtt`` inside ``value``.

    A name that is not a parameter (a resource of the template) becomes ``<Name>`` or
    ``<Name.Attribute>``, which is enough to compare references.
    """
    if isinstance(value, list):
        return [resolve(item, values) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            return values.get(argument, f"<{argument}>")
        if key == "Fn::GetAtt":
            return f"<{'.'.join(argument)}>"
        if key == "Fn::Sub":
            return _substitute(argument, values)
        if key == "Fn::Join":
            separator, items = argument
            return separator.join(str(resolve(item, values)) for item in items)
    return {key: resolve(item, values) for key, item in value.items()}


def _substitute(argument: str | list[Any], values: Mapping[str, str]) -> str:
    if isinstance(argument, str):
        text, local = argument, {}
    else:
        text, variables = argument
        local = {name: str(resolve(item, values)) for name, item in variables.items()}
    scope = {**values, **local}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return scope.get(name, f"<{name}>")

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
