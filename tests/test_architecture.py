"""The architecture of docs/architecture.md holds: layers, no cycles, a closed kernel.

Imports point one way: kernel <- core <- losses/families <- numeric/produce/symbolic <-
search/openness/theorems <- api <- cli.  Every import counts, also one inside a function.
"""
from __future__ import annotations

import ast
import itertools
from pathlib import Path

import landscape_proofs

ROOT = Path(landscape_proofs.__file__).resolve().parent

# package (first component under landscape_proofs) -> layer
LAYERS = {
    "kernel": 0,
    "core": 1, "budget": 1,
    "losses": 2, "families": 2,
    "numeric": 3, "produce": 3, "symbolic": 3,
    "schemas": 5,  # the JSON Schemas of the outputs and their loader (public surface)
    "search": 4, "openness": 4, "theorems": 4,
    "api": 5, "errors": 5, "strategies": 5,
    "viz": 4,
    "cli": 6, "__main__": 6,
}


def modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["landscape_proofs"] + parts)] = path
    return out


MODULES = modules()


def imports_of(name: str, module_level_only: bool = False) -> set[str]:
    """landscape_proofs modules imported by module ``name`` (any scope unless told)."""
    path = MODULES[name]
    is_pkg = path.name == "__init__.py"
    pkg = name if is_pkg else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else ast.walk(tree)
    out = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("landscape_proofs"):
                continue
            subs = [f"{mod}.{a.name}" for a in node.names if f"{mod}.{a.name}" in MODULES]
            out.update(subs or [mod])
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("landscape_proofs"))
    return {m for m in out if m in MODULES and m != name}


def package(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_layer():
    missing = sorted({package(m) for m in MODULES if package(m) and package(m) not in LAYERS})
    assert not missing, f"packages without a layer: {missing}"


def test_no_lower_layer_imports_a_higher_one():
    bad = set()
    for m in MODULES:
        if not package(m):
            continue
        for d in imports_of(m):
            if package(d) and LAYERS[package(d)] > LAYERS[package(m)]:
                bad.add((m, d))
    assert not bad, sorted(bad)


def _sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], itertools.count()
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = next(counter)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on.discard(x)
                        comp.append(x)
                        if x == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif w not in index:
                index[w] = low[w] = next(counter)
                stack.append(w)
                on.add(w)
                work.append((w, iter(sorted(graph.get(w, ())))))
            elif w in on:
                low[v] = min(low[v], index[w])
    return out


def test_no_import_cycles_between_modules():
    graph = {m: imports_of(m) for m in MODULES}
    assert _sccs(graph) == []


def test_no_import_cycles_between_packages():
    graph: dict[str, set[str]] = {}
    for m in MODULES:
        graph.setdefault(package(m), set()).update(
            package(d) for d in imports_of(m) if package(d) != package(m))
    assert _sccs(graph) == []


def test_the_cycle_detector_can_fail():
    assert _sccs({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _sccs({"a": {"b"}, "b": set()}) == []


def test_init_files_hold_no_logic():
    for path in ROOT.rglob("__init__.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            assert isinstance(node, (ast.Expr, ast.ImportFrom, ast.Import, ast.Assign)), (path, type(node))
