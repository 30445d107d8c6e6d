"""CI re-verifies the counterexample catalog: every file in counterexamples/ passes
`landscape verify`, and each entry records its provenance (theorem id, dropped assumption,
instance, kind), both in the certificate and in counterexamples/README.md."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from _catalog import regenerate_module
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import read_certificate
from landscape_proofs.theorems.registry import THEOREMS, known_ids

CATALOG = Path(__file__).resolve().parent.parent / "counterexamples"
FILES = sorted(CATALOG.glob("*.json"))
PROVENANCE = ("theorem", "dropped_assumption", "instance", "kind", "shows")


def test_catalog_is_not_empty():
    assert len(FILES) >= 5


def test_landscape_verify_accepts_every_file():
    out = subprocess.run([sys.executable, "-m", "landscape_proofs", "verify", "--json",
                          *map(str, FILES)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["all_hold"] is True
    assert {Path(r["file"]).name for r in report["results"]} == {f.name for f in FILES}
    assert all(r["holds"] for r in report["results"])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_entry_provenance(path):
    data = read_certificate(path)
    prov = data.get("provenance")
    assert isinstance(prov, dict), "missing provenance block"
    for key in PROVENANCE:
        assert isinstance(prov.get(key), str) and prov[key].strip(), key
    assert prov["theorem"] in known_ids()
    assert prov["kind"] == data["claim"]
    assert path.name.startswith(prov["theorem"] + "-")
    notes = data.get("notes", [])
    assert any(n.startswith("theorem: ") for n in notes)
    assert any(n.startswith("dropped_assumption: ") for n in notes)
    assert check_certificate(data).valid  # in-process too, with the exact reader


def test_readme_table_lists_every_entry_with_its_theorem():
    text = (CATALOG / "README.md").read_text(encoding="utf-8")
    for path in FILES:
        row = next((line for line in text.splitlines() if f"`{path.name}`" in line), None)
        assert row is not None, f"{path.name} missing from counterexamples/README.md"
        prov = read_certificate(path)["provenance"]
        assert f"`{prov['theorem']}`" in row and prov["kind"] in row


def test_registry_catalog_entries_exist():
    for t in THEOREMS:
        for name in t.catalog:
            assert (CATALOG / name).is_file(), (t.id, name)



def _symbolic_objective(problem):
    """(l(U U^T), the flat symbols of U, l, the symbols R_i_j) of a symmetric-factorization
    problem with a custom loss of the product, built by SymPy from the expression alone
    (independent of the tool's evaluators)."""
    import sympy

    n, k = problem["shape"]
    u = sympy.symbols(f"u0:{n * k}")
    R = sympy.Matrix(n, k, u) * sympy.Matrix(n, k, u).T
    syms = [sympy.Symbol(f"R_{i}_{j}") for i in range(n) for j in range(n)]
    loss = sympy.sympify(problem["loss"]["expression"])
    f = sympy.expand(loss.subs({syms[i * n + j]: R[i, j] for i in range(n) for j in range(n)},
                               simultaneous=True))
    return f, u, loss, syms


def _flat(weights):
    import sympy

    return [sympy.Rational(str(x)) for row in weights[0] for x in row]


@pytest.mark.parametrize("name,hessian_eigenvalues,better", [
    # f(a, b) = (a^2-1)^2 + 20 a^2 b^2 + 2 (b^2-1)^2 at (1, 0): Hessian diag(8, 32); e2: value 1
    ("nouiehed_razaviyayn2018-burer-monteiro-k1-n2-spurious-local-minimum.json",
     {8: 1, 32: 1}, [[[0], [1]]]),
    # U = [e1 e2]: t^2 coefficient 4 V11^2 + 4 V22^2 + 20 (V12 + V21)^2 + 16 V31^2 + 16 V32^2,
    # i.e. Hessian eigenvalues 8, 8, 80 (on V12 + V21), 32, 32 and 0 (on V12 = -V21); [e1 e3]: 1
    ("nouiehed_razaviyayn2018-burer-monteiro-k2-n3-slice-spurious-local-minimum.json",
     {8: 2, 80: 1, 32: 2, 0: 1}, [[[1, 0], [0, 0], [0, 1]]]),
])
def test_burer_monteiro_entries_by_hand(name, hessian_eigenvalues, better):
    """k < n and l convex (a quadratic with a positive diagonal Hessian, so its local minima on
    the convex PSD cone are global), yet a spurious local minimum of l(U U^T): value 2, gradient
    0, the Hessian derived by hand (kernel = the O(k) orbit tangent U E, E skew), a point of
    value 1, and the certificate's better point below 2."""
    import sympy

    data = read_certificate(CATALOG / name)
    problem = data["problem"]
    assert problem["family"] == "symmetric-factorization"
    n, k = problem["shape"]
    assert k < n
    f, u, loss, syms = _symbolic_objective(problem)
    Hl = sympy.hessian(loss, syms)
    assert sympy.Poly(loss, *syms).total_degree() == 2
    assert Hl.is_diagonal() and all(Hl[i, i] > 0 for i in range(n * n))
    point = dict(zip(u, _flat(data["point"]["weights"])))
    assert f.subs(point) == 2 == sympy.Rational(str(data["value"]))
    assert all(sympy.diff(f, v).subs(point) == 0 for v in u)
    H = sympy.hessian(f, u).subs(point)
    assert H.eigenvals() == hessian_eigenvalues
    if 0 in hessian_eigenvalues:  # the kernel is the orbit tangent U E, E = [[0, 1], [-1, 0]]
        tangent = sympy.Matrix(n, k, _flat(data["point"]["weights"])) * sympy.Matrix([[0, 1], [-1, 0]])
        assert H * tangent.reshape(n * k, 1) == sympy.zeros(n * k, 1)
    assert f.subs(dict(zip(u, _flat(better)))) == 1
    assert f.subs(dict(zip(u, _flat(data["evidence"]["better_point"])))) < 2


def test_every_file_is_reproduced_by_regenerate():
    """counterexamples/regenerate.py rebuilds each committed file from its recipe: the same
    claim, problem, point, value and provenance, and the checker accepts the rebuilt
    certificate (build() re-checks it).  Hand-picked better points are pinned exactly; other
    evidence (descent curves found by search or an LP hint) may differ between library
    versions, so only its shape is compared."""
    mod = regenerate_module()
    assert {e["file"] for e in mod.ENTRIES} == {f.name for f in FILES}
    for entry in mod.ENTRIES:
        committed = read_certificate(CATALOG / entry["file"])
        rebuilt = json.loads(json.dumps(mod.build(entry)))
        for key in ("claim", "problem", "point", "value", "provenance"):
            assert rebuilt[key] == committed[key], (entry["file"], key)
        assert set(rebuilt["evidence"]) == set(committed["evidence"]), entry["file"]
        if "better_point" in entry:
            assert rebuilt["evidence"]["better_point"] == committed["evidence"]["better_point"]
