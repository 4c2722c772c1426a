"""The AWS SDK calls the Lambda package makes, read from its source (``aws/*.py``) with ``ast``,
and checked against a botocore's service models (the bundle's own, in test_build.py).

A call is ``clients.<service>().<method>(...)``, a ``.paginate(...)`` of
``clients.<service>().get_paginator("<method>")``, one of boto3's S3 transfer methods
(``upload_file``, ``copy``, ...), or a presigned request: ``generate_presigned_url("<method>",
Params={...})`` is that method with those parameters, ``generate_presigned_post`` botocore's
browser-upload signer (no API operation). Its parameters are its keyword arguments; ``**name`` is
followed to the dict literals assigned to ``name`` in the same function (``{"IfMatch": ...}
if ... else {"IfNoneMatch": ...}``), and any other ``**name`` is reported as dynamic, for the
test to build (the transform job request, from ``transform_request``).
"""

from __future__ import annotations

import ast
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore import xform_name

# boto3's S3 transfer methods (boto3/s3/inject.py), the operation their ExtraArgs go to.
S3_TRANSFER = {
    "upload_file": "PutObject",
    "upload_fileobj": "PutObject",
    "download_file": "GetObject",
    "download_fileobj": "GetObject",
    "copy": "CopyObject",
}
# Functions of ``clients`` that return a client of another name's service.
CLIENT_SERVICES = {"s3_presigner": "s3"}
PRESIGNED_URL = "generate_presigned_url"
PRESIGNED_POST = "generate_presigned_post"  # botocore/signers.py, not an API operation


@dataclass(frozen=True)
class SdkCall:
    service: str
    method: str  # the client's method: put_object, or a transfer method (upload_file)
    params: frozenset[str]
    dynamic: str | None  # the name of a **argument that could not be read statically
    where: str
    transfer: bool = False
    presigned_post: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.service}.{self.method}({', '.join(sorted(self.params))})"


def _client_service(node: ast.expr) -> str | None:
    """``clients.s3()`` -> ``s3``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "clients"
        and not node.args
    ):
        return CLIENT_SERVICES.get(node.func.attr, node.func.attr)
    return None


def _paginated(node: ast.expr, bound: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """``clients.x().get_paginator("op")`` (or a name bound to one) -> (service, method)."""
    if isinstance(node, ast.Name):
        return bound.get(node.id)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_paginator"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        service = _client_service(node.func.value)
        if service is not None:
            return service, str(node.args[0].value)
    return None


def _dict_keys(node: ast.expr) -> set[str] | None:
    """Constant keys of a dict literal, or of both branches of ``a if c else b``."""
    if isinstance(node, ast.Dict):
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
            return {str(k.value) for k in node.keys if isinstance(k, ast.Constant)}
        return None
    if isinstance(node, ast.IfExp):
        body, orelse = _dict_keys(node.body), _dict_keys(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def _assigned_keys(function: ast.AST, name: str) -> set[str] | None:
    keys: set[str] | None = None
    for node in ast.walk(function):
        value = None
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = node.value if node.target.id == name else None
        if value is not None:
            found = _dict_keys(value)
            if found is None:
                return None
            keys = (keys or set()) | found
    return keys


def _params(call: ast.Call, function: ast.AST) -> tuple[set[str], str | None]:
    params: set[str] = set()
    dynamic = None
    for keyword in call.keywords:
        if keyword.arg is not None:
            params.add(keyword.arg)
            continue
        name = keyword.value.id if isinstance(keyword.value, ast.Name) else None
        keys = _assigned_keys(function, name) if name else None
        if keys is None:
            dynamic = name or ast.unparse(keyword.value)
        else:
            params |= keys
    return params, dynamic


def sdk_calls(sources: list[Path]) -> list[SdkCall]:
    calls = []
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for function in functions:
            bound = {
                target.id: found
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
                and (found := _paginated(node.value, {})) is not None
            }
            for node in ast.walk(function):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                where = f"{path.name}:{node.lineno}"
                method = node.func.attr
                target = node.func.value
                service = _client_service(target)
                if service is not None and method == PRESIGNED_URL:
                    client_method, params = _presigned_url(node)
                    calls.append(SdkCall(service, client_method, frozenset(params), None, where))
                elif service is not None and method != "get_paginator":
                    params, dynamic = _params(node, function)
                    transfer = method in S3_TRANSFER
                    if transfer:
                        params = _extra_args(node)
                    calls.append(
                        SdkCall(
                            service,
                            method,
                            frozenset(params),
                            dynamic,
                            where,
                            transfer,
                            presigned_post=method == PRESIGNED_POST,
                        )
                    )
                elif method == "paginate" and (found := _paginated(target, bound)) is not None:
                    params, dynamic = _params(node, function)
                    calls.append(SdkCall(found[0], found[1], frozenset(params), dynamic, where))
    return calls


def _presigned_url(call: ast.Call) -> tuple[str, set[str]]:
    """``generate_presigned_url("get_object", Params={...})`` -> ``get_object`` and the keys of
    its Params: the request the URL lets its holder make."""
    assert call.args and isinstance(call.args[0], ast.Constant), f"line {call.lineno}"
    for keyword in call.keywords:
        if keyword.arg == "Params":
            keys = _dict_keys(keyword.value)
            assert keys is not None, f"Params not a literal at line {call.lineno}"
            return str(call.args[0].value), keys
    return str(call.args[0].value), set()


def presigned_post_parameters(signers_py: Path) -> set[str]:
    """The keyword parameters of botocore's ``generate_presigned_post`` (``signers.py``)."""
    tree = ast.parse(signers_py.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == PRESIGNED_POST:
            return {a.arg for a in node.args.args + node.args.kwonlyargs} - {"self"}
    raise AssertionError(f"no {PRESIGNED_POST} in {signers_py}")


def _extra_args(call: ast.Call) -> set[str]:
    for keyword in call.keywords:
        if keyword.arg == "ExtraArgs":
            keys = _dict_keys(keyword.value)
            assert keys is not None, f"ExtraArgs not a literal at line {call.lineno}"
            return keys
    return set()


class ServiceModels:
    """The service models of one botocore installation (``<root>/botocore/data``)."""

    def __init__(self, data: Path) -> None:
        self.data = data

    def _load(self, service: str, kind: str) -> dict[str, Any]:
        versions = sorted(p for p in (self.data / service).iterdir() if p.is_dir())
        assert versions, f"no model for {service} in {self.data}"
        base = versions[-1] / f"{kind}.json"
        if base.is_file():
            document: dict[str, Any] = json.loads(base.read_text(encoding="utf-8"))
            return document
        gz = base.with_name(base.name + ".gz")
        assert gz.is_file(), f"no {kind} model for {service} in {versions[-1]}"
        document = json.loads(gzip.decompress(gz.read_bytes()))
        return document

    def service(self, service: str) -> dict[str, Any]:
        return self._load(service, "service-2")

    def operation(self, service: str, method: str) -> str:
        """The API operation of a client method (put_object -> PutObject)."""
        names: dict[str, str] = {xform_name(op): op for op in self.service(service)["operations"]}
        assert method in names, f"{service} has no operation {method}"
        return names[method]

    def input_members(self, service: str, operation: str) -> set[str]:
        model = self.service(service)
        shape = model["operations"][operation].get("input", {}).get("shape")
        return set(model["shapes"][shape]["members"]) if shape else set()

    def unknown(self, service: str, operation: str, value: dict[str, Any]) -> list[str]:
        """Paths of ``value`` (a request, nested) that the operation's input shape lacks."""
        model = self.service(service)
        shape = model["operations"][operation]["input"]["shape"]
        return _unknown(value, shape, model["shapes"], operation)


def _unknown(value: Any, shape_name: str, shapes: dict[str, Any], path: str) -> list[str]:
    shape = shapes[shape_name]
    if shape["type"] == "structure" and isinstance(value, dict):
        found = []
        for key, item in value.items():
            member = shape["members"].get(key)
            if member is None:
                found.append(f"{path}.{key}")
            else:
                found += _unknown(item, member["shape"], shapes, f"{path}.{key}")
        return found
    if shape["type"] == "list" and isinstance(value, list):
        return [
            problem
            for n, item in enumerate(value)
            for problem in _unknown(item, shape["member"]["shape"], shapes, f"{path}[{n}]")
        ]
    if shape["type"] == "map" and isinstance(value, dict):
        return [
            problem
            for key, item in value.items()
            for problem in _unknown(item, shape["value"]["shape"], shapes, f"{path}[{key}]")
        ]
    return []
