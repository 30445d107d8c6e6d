"""The import structure of STYLE.md holds: the checker trusts only the exact layer."""
from __future__ import annotations

import ast
from pathlib import Path

import landscape_proofs

ROOT = Path(landscape_proofs.__file__).resolve().parent


def module_path(name: str) -> Path | None:
    rel = name.split(".")[1:]
    p = ROOT.joinpath(*rel)
    if p.with_suffix(".py").exists():
        return p.with_suffix(".py")
    if (p / "__init__.py").exists():
        return p / "__init__.py"
    return None


def internal_imports(path: Path, module_level_only: bool = False) -> set[str]:
    """Fully qualified landscape_proofs modules imported by the file (any scope, or only
    the statements that run at import time)."""
    pkg = ".".join(["landscape_proofs"] + list(path.relative_to(ROOT).with_suffix("").parts))
    if path.name == "__init__.py":
        pkg = pkg.rsplit(".", 1)[0]
    base_parts = pkg.split(".")[:-1] if path.name != "__init__.py" else pkg.split(".")
    out = set()
    tree = ast.parse(path.read_text())
    nodes = tree.body if module_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base_parts[: len(base_parts) - node.level + 1]
                mod = ".".join(parts + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("landscape_proofs"):
                out.add(mod)
                for alias in node.names:
                    if module_path(f"{mod}.{alias.name}"):
                        out.add(f"{mod}.{alias.name}")
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("landscape_proofs"))
    return out


def closure(start: str) -> set[str]:
    """Modules loaded by importing ``start`` (module-level imports, transitively)."""
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        p = module_path(m)
        if p is not None:
            todo.extend(internal_imports(p, module_level_only=True))
    return seen


FORBIDDEN_FOR_CHECKER = ("numeric", "symbolic", "search", "classify", "theorems", "cli", "tour")


def test_checking_a_certificate_loads_no_producer_module():
    """Run the checker in a fresh interpreter and look at what got imported."""
    import subprocess
    import sys
    code = (
        "import json, sys\n"
        "from landscape_proofs.certificates.checker import check_certificate\n"
        "cert = {'format': 'landscape-certificate/1', 'claim': 'strict-saddle',\n"
        " 'problem': {'family': 'deep-linear', 'widths': [1, 1, 1], 'Y': [[1]], 'loss': 'square'},\n"
        " 'point': {'weights': [[[0]], [[0]]]},\n"
        " 'evidence': {'direction': [[[1]], [[1]]], 'ascent_direction': [[[1]], [[-1]]]}}\n"
        "assert check_certificate(cert).valid\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('landscape_proofs'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import json
    mods = json.loads(out.stdout)
    bad = [m for m in mods if m.split(".")[1:2] and m.split(".")[1] in FORBIDDEN_FOR_CHECKER]
    assert not bad, bad
    assert "landscape_proofs.certificates.checker" in mods


def test_checker_file_itself_never_imports_producers():
    for m in internal_imports(ROOT / "certificates" / "checker.py"):
        assert m.split(".")[1] not in FORBIDDEN_FOR_CHECKER, m


def test_checker_imports_only_the_trusted_layers():
    mods = closure("landscape_proofs.certificates.checker")
    bad = [m for m in mods if any(m.split(".")[1:2] == [f] for f in FORBIDDEN_FOR_CHECKER)]
    assert not bad, bad
    # and it does use the exact layer
    assert "landscape_proofs.exact.objective" in mods


def test_exact_layer_imports_nothing_above_it():
    for path in (ROOT / "exact").glob("*.py"):
        for m in internal_imports(path):
            assert m.startswith("landscape_proofs.exact") or m == "landscape_proofs.errors", (path.name, m)


def test_numeric_layer_imports_nothing_above_it():
    for path in (ROOT / "numeric").glob("*.py"):
        for m in internal_imports(path):
            assert m.startswith("landscape_proofs.numeric") or m == "landscape_proofs.errors", (path.name, m)


def test_no_floats_in_the_trusted_modules():
    """The checker and the exact layer never call float() or import numpy/mpmath."""
    files = list((ROOT / "exact").glob("*.py")) + [ROOT / "certificates" / "checker.py"]
    for path in files:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "float", path.name
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] in ("numpy", "mpmath", "scipy") for n in names), path.name


def test_init_files_hold_no_logic():
    for path in ROOT.rglob("__init__.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            assert isinstance(node, (ast.Expr, ast.ImportFrom, ast.Import, ast.Assign)), (path, type(node))
