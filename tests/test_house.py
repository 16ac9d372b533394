"""The test suite's own house rule, read from its source: each fixture is defined in one place.

A fixture defined twice means the same name gives different tests different things (and a
conftest fixture overridden in a folder or file does just that), so a differently prepared room
or store gets a name of its own and builds on the shared one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def fixture_name(node: ast.AST) -> str | None:
    """The name a function is registered under if it is a fixture (``@pytest.fixture``, with or
    without arguments, or ``pytest_asyncio.fixture``), else None."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        if isinstance(target, ast.Attribute | ast.Name) and ast.unparse(target).endswith("fixture"):
            for keyword in call.keywords if call else ():
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
            return node.name
    return None


def fixtures_by_name(root: Path) -> dict[str, list[str]]:
    """Every fixture under ``root``: its name and where it is defined (file:line)."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            name = fixture_name(node)
            if name:
                found[name].append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_each_fixture_is_defined_once():
    found = fixtures_by_name(TESTS)
    assert {"app", "room", "live_room", "shared_server", "store"} <= set(found)
    assert {name: places for name, places in found.items() if len(places) > 1} == {}
