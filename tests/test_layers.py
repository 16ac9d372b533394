"""The house rules, read from the imports themselves, so they hold without anyone remembering them.

Every import counts, at module level or inside a function, except those under
``if TYPE_CHECKING:``, which exist only for the type checker.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "facilitation"

# The pure modules: records in, records out, no I/O, no web framework, no database.
PURE = (
    "facilitation.core",
    "facilitation.kinds",
    "facilitation.people.rules",
    "facilitation.people.groups",
    "facilitation.people.split",
    "facilitation.people.disclosure",
    "facilitation.panel.alternates",
    "facilitation.panel.clock",
    "facilitation.panel.invitations",
    "facilitation.panel.leximin",
    "facilitation.panel.lottery",
    "facilitation.panel.master",
    "facilitation.panel.naming",
    "facilitation.panel.pool",
    "facilitation.panel.pricing",
    "facilitation.panel.quotas",
    "facilitation.panel.reach",
    "facilitation.panel.relaxation",
    "facilitation.panel.solver",
    "facilitation.panel.uniform",
    "facilitation.panel.verify",
    "facilitation.panel.households",
    "facilitation.panel.coverage",
    "facilitation.panel.setup",
    "facilitation.panel.pool_import",
    "facilitation.health.pact",
    "facilitation.programme.needs",
    "facilitation.programme.labels",
    "facilitation.workshop.exports",
    "facilitation.workshop.summary",
    "facilitation.workshop.scope",
    "facilitation.accounts.roles",
)
# What a pure module may use besides the standard library and other pure modules.
PURE_THIRD_PARTY = {"babel", "highspy", "numpy"}
WEB_FRAMEWORK = {"starlette", "uvicorn"}
WEB_HOMES = ("facilitation.web", "facilitation.app", "facilitation.server")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every module ``path`` imports: project modules by full name, others by top-level name."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from facilitation.kinds import dots" is an import of the module
            # facilitation.kinds.dots; "from facilitation.kinds import Kind" one of the package.
            submodules = {f"{node.module}.{a.name}" for a in node.names} & modules
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(node.module)
    return {name if name.startswith("facilitation") else name.split(".")[0] for name in found}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) for name, path in sorted(paths.items())}


GRAPH = graph()
PROJECT = set(GRAPH)
# Packages whose __init__ only describes them: importing one runs nothing.
PACKAGES = {
    m
    for m, imports in GRAPH.items()
    if (PACKAGE.parent / m.replace(".", "/") / "__init__.py").exists() and not imports
}


def within(name: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def breaches(rule) -> list[str]:
    return [
        f"{m} imports {i}" for m, imports in GRAPH.items() for i in sorted(imports) if rule(m, i)
    ]


def test_the_graph_covers_the_whole_package():
    assert len(GRAPH) > 60
    assert "facilitation.kinds" in GRAPH and "facilitation.storage" in GRAPH


def test_pure_modules_import_only_the_standard_library_babel_highspy_and_pure_modules():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}

    def rule(module: str, imported: str) -> bool:
        if not within(module, PURE):
            return False
        if imported in PROJECT:
            return not within(imported, PURE) and imported not in PACKAGES
        return imported not in stdlib and imported not in PURE_THIRD_PARTY

    assert breaches(rule) == []


def test_only_storage_speaks_to_the_database():
    drivers = {"aiosqlite", "sqlite3", "asyncpg", "psycopg"}
    assert breaches(lambda m, i: i in drivers and not within(m, "facilitation.storage")) == []


def test_only_the_relay_speaks_to_redis_and_it_knows_only_core():
    assert breaches(lambda m, i: i == "redis" and not within(m, "facilitation.relay")) == []
    assert (
        breaches(
            lambda m, i: (
                within(m, "facilitation.relay")
                and i in PROJECT
                and not within(i, ("facilitation.core", "facilitation.relay"))
            )
        )
        == []
    )


def test_the_web_framework_lives_only_in_web_app_and_server():
    assert breaches(lambda m, i: i in WEB_FRAMEWORK and not within(m, WEB_HOMES)) == []


def test_views_never_import_storage_or_each_other():
    def rule(module: str, imported: str) -> bool:
        if not within(module, "facilitation.web.views") or module == "facilitation.web.views":
            return False
        return within(imported, "facilitation.storage") or (
            within(imported, "facilitation.web.views") and imported != "facilitation.web.views"
        )

    assert breaches(rule) == []


def test_nothing_below_the_web_layer_imports_it():
    upper = (*WEB_HOMES, "facilitation.cli", "facilitation.demo")
    # The package's own create_app and ``python -m facilitation`` are the way in, above it all.
    entry = {"facilitation", "facilitation.__main__"}

    def rule(module: str, imported: str) -> bool:
        return within(imported, upper) and not within(module, upper) and module not in entry

    assert breaches(rule) == []


def test_there_are_no_import_loops():
    # Tarjan's strongly connected components over project modules; a loop is a component of
    # more than one module (or a module importing itself).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []
    counter = [0]
    edges = defaultdict(set, {m: {i for i in imps if i in PROJECT} for m, imps in GRAPH.items()})
    # A package's __init__ is run by importing any of its modules; that edge is implicit.

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges[node]:
                loops.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert loops == []


@pytest.mark.parametrize(
    ("rule", "module", "imported"),
    [
        (test_only_storage_speaks_to_the_database, "facilitation.web.views.x", "aiosqlite"),
        (
            test_the_web_framework_lives_only_in_web_app_and_server,
            "facilitation.kinds",
            "starlette",
        ),
    ],
)
def test_the_rules_would_catch_a_breach(rule, module, imported, monkeypatch):
    monkeypatch.setitem(GRAPH, module, {imported})
    with pytest.raises(AssertionError):
        rule()
