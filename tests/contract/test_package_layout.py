"""The packages and their imports: the Lambda package stands alone, imports point one way.

Read from the source with ``ast`` (every import, lazy ones inside functions included), so the
check does not depend on what happens to be imported at test time. ``sam build``'s bundle is
checked in ``test_build.py``: it is exactly the Lambda package and its requirements.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "review_scorer": REPO / "functions" / "review_scorer",
    "review_scorer_training": REPO / "training" / "review_scorer_training",
    "review_scorer_local": REPO / "local" / "review_scorer_local",
}
# What each package may import of the others: Lambda <- training <- local mode and CLI.
MAY_IMPORT = {
    "review_scorer": set(),
    "review_scorer_training": {"review_scorer"},
    "review_scorer_local": {"review_scorer", "review_scorer_training"},
}
# Third-party modules the Lambda package may import: its requirements (functions/requirements.txt,
# boto3 and botocore among them: bundled, pinned); fastText (fasttext-predict in the bundle,
# fasttext-wheel locally) only inside model/.
LAMBDA_THIRD_PARTY = {"aws_lambda_powertools", "pydantic", "boto3", "botocore"}
# The Lambda package's steps in the order data flows; a step never imports a later one.
FLOW_ORDER = ["transform", "upload", "results", "outcome", "logic", "api", "handlers"]
MAX_MODULE_LINES = 200


def modules(package: str) -> dict[str, Path]:
    root = PACKAGES[package]
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


ALL = {name: path for package in PACKAGES for name, path in modules(package).items()}


def imports(name: str) -> Iterator[str]:
    """Every module ``name`` imports at run time, absolute, lazy imports included (what only
    type checkers read, under ``if TYPE_CHECKING:``, is left out)."""
    tree = ast.parse(ALL[name].read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:  # "from review_scorer import bucket_keys" is a module
                if f"{node.module}.{alias.name}" in ALL:
                    yield f"{node.module}.{alias.name}"


def top(module: str) -> str:
    return module.split(".")[0]


def step_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in FLOW_ORDER else None


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_packages_import_only_the_packages_below_them(package: str) -> None:
    for name in modules(package):
        for imported in imports(name):
            if top(imported) in PACKAGES and top(imported) != package:
                assert top(imported) in MAY_IMPORT[package], f"{name} imports {imported}"


def test_the_lambda_package_imports_only_its_requirements_and_the_standard_library() -> None:
    import sys

    for name in modules("review_scorer"):
        for imported in imports(name):
            root = top(imported)
            if root in sys.stdlib_module_names or root == "review_scorer":
                continue
            allowed = LAMBDA_THIRD_PARTY | (
                {"fasttext"} if name.startswith("review_scorer.model") else set()
            )
            assert root in allowed, f"{name} imports {imported}"


def test_steps_never_import_a_later_step() -> None:
    for name in modules("review_scorer"):
        own = step_of(name)
        for imported in imports(name):
            other = step_of(imported)
            if other is None or other == own:
                continue
            if own is None:  # shared modules (settings, aws, model ...) sit below every step
                assert other not in ("logic", "api", "handlers"), f"{name} imports {imported}"
            else:
                assert FLOW_ORDER.index(other) < FLOW_ORDER.index(own), f"{name} imports {imported}"


def test_no_module_imports_itself_through_others() -> None:
    graph = {name: {i for i in imports(name) if i in ALL and i != name} for name in ALL}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for imported in graph[name]:
            if state.get(imported) == 1:
                cycle = path[path.index(imported) :] if imported in path else path
                pytest.fail("import cycle: " + " -> ".join([*cycle, imported]))
            if imported not in state:
                visit(imported, [*path, imported])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_the_handlers_import_the_whole_lambda_package() -> None:
    # the bundle is the package as it is: nothing in it may be dead weight for the handlers
    reached: set[str] = set()
    todo = [name for name in modules("review_scorer") if name.startswith("review_scorer.handlers.")]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        todo.extend(i for i in imports(name) if i in ALL)
        parent = name.rpartition(".")[0]
        if parent in ALL:
            todo.append(parent)  # importing a submodule runs its package's __init__
    unreached = {name for name in modules("review_scorer") if name not in reached}
    assert not unreached, sorted(unreached)


def test_no_production_module_is_longer_than_a_screenful_or_two() -> None:
    long = {
        name: lines
        for name, path in ALL.items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, long
