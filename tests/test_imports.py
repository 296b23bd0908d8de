"""The import graph of ``netsim/``: no cycles, and the layering the architecture promises.

Every module under ``netsim/`` is parsed with :mod:`ast` (nothing is imported). An edge
``a -> b`` is an ``import b`` or ``from b import ...`` anywhere in ``a``, at module level
or inside a function, except under ``if TYPE_CHECKING:`` (annotations only, never run);
``from pkg import name`` counts as an import of ``pkg.name`` when that is a module.
Importing a module runs its package's ``__init__`` too, but that implicit edge is not
counted: a package that re-exports its own submodules is not a cycle.

The layers (architecture section 1, STYLE "a layout that shows the architecture"):
``model`` is pure input and imports only ``errors``; the ``trace`` is built on the model;
the simulator produces traces without knowing who reads them; analysis reads traces
without knowing who produced them; the lab does not run the simulator.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NETSIM = Path(__file__).resolve().parents[1] / "netsim"

# (layer, packages it must not import; None: only these packages are allowed)
LAYERS: dict[str, tuple[set[str] | None, set[str]]] = {
    "netsim.model": ({"netsim.errors"}, set()),
    "netsim.trace": ({"netsim.errors", "netsim.model"}, set()),
    "netsim.sim": (
        None,
        {
            "netsim.analysis",
            "netsim.report",
            "netsim.lab",
            "netsim.cli",
            "netsim.verify",
            "netsim.testing",
        },
    ),
    "netsim.analysis": (None, {"netsim.sim", "netsim.lab", "netsim.report", "netsim.cli"}),
    "netsim.lab": (None, {"netsim.sim", "netsim.report", "netsim.cli"}),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(NETSIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(NETSIM.rglob("*.py"))}


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:``."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, ast.If) and _type_checking(node.test):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return out


def _resolve(name: str) -> str | None:
    """The netsim module ``name`` refers to (a module, or the package holding it)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """The netsim modules ``module`` imports (see the module docstring)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str | None] = set()
    for node in _nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {_resolve(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else _resolve(base))
    return {m for m in found if m is not None and m != module}


GRAPH = {module: imports_of(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected component (Tarjan), as a module path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(graph, component) for component in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest cycle through the first module of ``component`` (breadth first)."""
    start = min(component)
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle in {component}")


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def layer_violations(layer: str) -> set[tuple[str, str]]:
    allowed, forbidden = LAYERS[layer]
    out = set()
    for module, targets in GRAPH.items():
        if _package(module) != layer:
            continue
        for target in targets:
            package = _package(target)
            if package == layer:
                continue
            if (allowed is not None and package not in allowed) or package in forbidden:
                out.add((module, target))
    return out


def test_the_graph_sees_the_modules() -> None:
    """The parser finds what it should (guards against a test that checks nothing)."""
    assert "netsim.sim.engine" in GRAPH
    assert "netsim.sim.fast.plane" in GRAPH["netsim.sim.engine"]
    assert "netsim.sim.control" in GRAPH["netsim.sim.engine"]
    assert "netsim.model.effects" in GRAPH["netsim.sim.control"]
    # annotation-only imports do not count
    assert "netsim.sim.engine" not in GRAPH["netsim.sim.fast.plane"]


def test_no_import_cycle() -> None:
    cycles = _cycles(GRAPH)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_layering(layer: str) -> None:
    unexpected = layer_violations(layer)
    assert not unexpected, f"{layer} must not import:\n" + "\n".join(
        f"  {a} -> {b}" for a, b in sorted(unexpected)
    )
