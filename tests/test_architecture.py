"""The layer map of docs/architecture.md, enforced on the source: no import cycle, and
nothing imports upward.

The graph is read with `ast` from prover/, repair/ and retrieval/ (no module is
imported): an edge A -> B for every `import B` / `from B import …` anywhere in A,
inside functions too, since a deferred import that closes a cycle is still a cycle;
only imports under `if TYPE_CHECKING:` are left out (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("prover", "repair", "retrieval")

# Lower numbers are lower layers; a module may import its own layer and those below.
# The longest matching prefix decides a module's layer (see docs/architecture.md).
LAYERS: dict[str, int] = {
    "prover.errors": 0,
    "prover.types": 0,
    "prover.budget": 0,
    "prover.protocols": 0,
    "prover.config": 0,
    "prover.lean_text": 0,
    "prover.proof_text": 0,
    "prover.verify_lexer": 0,
    "prover.verify_rules": 0,
    "prover.proof_key": 0,
    "prover.visible": 0,
    "prover.redact": 0,
    "prover.gate_digest": 0,
    "prover.lean": 1,
    "prover.lean.setup": 1,
    "prover.lean.doctor": 1,
    "prover.generate": 1,
    "prover.graph": 1,
    "prover.verify": 1,
    "prover.checking": 1,
    "prover.verify_host": 1,
    "prover.verify_snippet": 1,
    "retrieval": 1,
    "prover.strategies": 2,
    "repair": 2,
    "prover.strategies.registry": 3,
    "prover.session": 3,
    "prover.eval": 3,
    "prover.lean.deep_check": 3,
    "prover.reports": 4,
    "prover.api": 4,
    "prover": 4,  # the package's __init__: the public surface
    "prover.cli": 5,
    "prover.serve": 5,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports (a `from pkg import name` that names a
    submodule counts as importing the submodule)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.add(submodule if submodule in modules else base)
        pending.extend(ast.iter_child_nodes(node))
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, modules) for p in files}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer(module: str) -> int:
    # "prover" is the package's own __init__ only, not a catch-all for new modules.
    matches = [p for p in LAYERS if module == p or (p != "prover" and module.startswith(p + "."))]
    if not matches:
        raise AssertionError(f"{module} has no layer in LAYERS (and docs/architecture.md)")
    return LAYERS[max(matches, key=len)]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_reader_sees_deferred_relative_and_package_imports(tmp_path: Path) -> None:
    source = ROOT / "prover" / "strategies" / "registry.py"
    found = imports_of(source, set(import_graph()))
    assert "prover.strategies.repair" in found  # imported inside a function
    assert "prover.strategies.portfolio" in found


def test_there_is_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_nothing_imports_upward() -> None:
    upward = [
        f"{module} (layer {layer(module)}) imports {target} (layer {layer(target)})"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if layer(target) > layer(module)
    ]
    assert upward == []


@pytest.mark.parametrize("module", ["prover.strategies.sketch.pipeline", "repair.pipeline"])
def test_sketch_and_repair_do_not_import_each_other(module: str) -> None:
    graph = import_graph()
    other = (
        "repair" if module.startswith("prover.strategies.sketch") else "prover.strategies.sketch"
    )
    reached, todo = set(), [module]
    while todo:
        current = todo.pop()
        for target in graph[current]:
            if target not in reached:
                reached.add(target)
                todo.append(target)
    assert not [m for m in reached if m == other or m.startswith(other + ".")]


def test_the_architecture_document_names_every_layer() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "nothing imports upward" in text.lower()
    for prefix in LAYERS:
        assert f"`{prefix}`" in text, prefix
