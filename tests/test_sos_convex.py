"""Convexity of polynomial losses decided by SOS-convexity (an exact Gram identity for
y^T H(x) y) or by an exact point of negative curvature suggested by a float search.

Hand derivations (x = r_0_0, y = r_0_1, (u, v) the direction):

* (x^2 + y^2)^2: H = [[12x^2 + 4y^2, 8xy], [8xy, 4x^2 + 12y^2]], so
  (u, v) H (u, v)^T = 12x^2u^2 + 4y^2u^2 + 16xyuv + 4x^2v^2 + 12y^2v^2
  = 4(xu + yv)^2 + 4(yu + xv)^2 + 8x^2u^2 + 8y^2v^2: SOS-convex;
* x^4 + x^2y^2 + y^4: H = [[12x^2 + 2y^2, 4xy], [4xy, 2x^2 + 12y^2]], and
  (u, v) H (u, v)^T = 2(xu + yv)^2 + 2(yu + xv)^2 + 10x^2u^2 + 10y^2v^2: SOS-convex;
* x^4 - x^2y^2 + y^4: H = [[12x^2 - 2y^2, -4xy], [-4xy, 12y^2 - 2x^2]]; at (1, 0) the entry
  d^2/dy^2 = -2 < 0: NOT convex (although the polynomial itself is positive definite);
* x^2 y^2: H = [[2y^2, 4xy], [4xy, 2x^2]], det = -12 x^2 y^2 < 0 off the axes: not convex.
"""
import json

import flint
import pytest
import sympy

from landscape_proofs.cli.main import main
from landscape_proofs.kernel.gram import GramRejected
from landscape_proofs.losses import convexity
from landscape_proofs.losses.convexity import check_sos_convexity, decide_convexity, hessian_form
from landscape_proofs.losses.specs import CustomLoss
from landscape_proofs.produce import sos_convex
from landscape_proofs.produce.sos_convex import (convexity_hints, gram_basis,
                                                 sos_convexity_certificate)

pytest.importorskip("cvxpy")
Q = flint.fmpq
x, y, u, v = sympy.symbols("x y u v")
SUBS = {"r_0_0": x, "r_0_1": y}


def terms_of(expr):
    loss = CustomLoss(expr)
    terms = loss._polynomial_terms()
    return terms, sorted({(i, j) for _, f in terms for i, j, _ in f})


def hand_hessian(expr):
    """The test's own Hessian (SymPy), in x = r_0_0, y = r_0_1."""
    p = sympy.sympify(expr, locals=dict(SUBS))
    return sympy.hessian(p, (x, y))


def gram_expansion(cert, n_vars):
    """m^T Q m by the test's own expansion (SymPy), variables g_0 ... g_{n-1}."""
    g = sympy.symbols(f"g0:{n_vars}")
    mons = [sympy.Mul(*[g[i] ** e for i, e in mono]) for mono in cert["basis"]]
    Qm = sympy.Matrix([[sympy.Rational(str(c)) for c in row] for row in cert["gram"]])
    return sympy.expand((sympy.Matrix([mons]) * Qm * sympy.Matrix(mons))[0]), g


@pytest.fixture(autouse=True)
def fresh_cache():
    convexity._decide.cache_clear()
    yield
    convexity._decide.cache_clear()


@pytest.mark.parametrize("expr", ["(r_0_0**2 + r_0_1**2)**2", "r_0_0**4 + r_0_0**2*r_0_1**2 + r_0_1**4"])
def test_sos_convex_quartics_are_proven_convex(expr):
    terms, entries = terms_of(expr)
    before = decide_convexity(terms)
    assert before.convex is None          # the bounded exact search alone cannot decide them
    d = decide_convexity(terms, hints=convexity_hints)
    assert d.convex is True and d.detail.startswith("proven convex (SOS-convex: ")
    # the certificate, re-expanded independently, equals (u, v) H (u, v)^T from SymPy's Hessian
    cert = sos_convexity_certificate(terms, entries)
    rhs, g = gram_expansion(cert, 4)
    H = hand_hessian(expr)
    form = sympy.expand((sympy.Matrix([[u, v]]) * H * sympy.Matrix([u, v]))[0])
    assert sympy.expand(rhs - form.subs({x: g[0], y: g[1], u: g[2], v: g[3]})) == 0
    Qm = sympy.Matrix([[sympy.Rational(str(c)) for c in row] for row in cert["gram"]])
    assert all(ev >= 0 for ev in Qm.eigenvals())  # PSD, by the test's own exact eigenvalues


def test_hessian_form_and_basis_by_hand():
    terms, entries = terms_of("(r_0_0**2 + r_0_1**2)**2")
    q = hessian_form(terms, entries)
    ring = q.context()
    x0, x1, y0, y1 = ring.gens()
    assert q == (12 * x0**2 + 4 * x1**2) * y0**2 + 16 * x0 * x1 * y0 * y1 + (4 * x0**2 + 12 * x1**2) * y1**2
    # q is homogeneous of degree 2 in x: the basis is x_a y_i, four monomials
    assert sorted(gram_basis(q, 2)) == sorted([(1, 0, 1, 0), (1, 0, 0, 1), (0, 1, 1, 0), (0, 1, 0, 1)])


@pytest.mark.parametrize("expr", [
    # (r_0_0**4 + r_0_1**4 + r_1_0**4 + (r_0_0 + r_0_1 - r_1_0)**2 is proven without hints now:
    # even powers of single entries over a PSD quadratic, tests/test_theorems_convexity.py)
    "(r_0_0 - r_1_0)**4 + r_0_1**4 + (r_0_0 + r_0_1 - r_1_0)**2",
    # y^T H y = 12 (x0 + x1)^2 (y0 + y1)^2 + 2 (y0 - y1)^2: every Gram matrix has rank 2 of 6
    "(r_0_0 + r_0_1)**4 + (r_0_0 - r_0_1)**2",
    # convex functions of linear forms in 6 entries: its Gram matrices are singular beyond the
    # zero diagonals (the rational-face rounding, produce/sos_convex.face_certificate)
    "(r_0_0 + r_0_1 + r_0_2)**4 + (r_1_0 - r_1_1)**4 + r_1_2**6 + (r_0_0 - r_1_2)**2",
])
def test_more_sos_convex_losses(expr):
    terms, _ = terms_of(expr)
    assert decide_convexity(terms).convex is None
    assert decide_convexity(terms, hints=convexity_hints).convex is True


def hessian_negative_by_hand(expr, witness):
    H = hand_hessian(expr).subs({x: sympy.Rational(str(witness.get((0, 0), 0))),
                                 y: sympy.Rational(str(witness.get((0, 1), 0)))})
    return min(H[0, 0], H[1, 1]) < 0 or H.det() < 0


@pytest.mark.parametrize("expr", ["r_0_0**4 - r_0_0**2*r_0_1**2 + r_0_1**4", "r_0_0**2*r_0_1**2"])
def test_not_convex_with_an_exact_witness(expr):
    terms, _ = terms_of(expr)
    d = decide_convexity(terms, hints=convexity_hints)
    assert d.convex is False and "proven not convex" in d.detail
    assert hessian_negative_by_hand(expr, d.witness)


def test_x4_minus_x2y2_plus_y4_at_the_hand_witness():
    # the hand derivation's point (1, 0): d^2/dy^2 = -2
    terms, entries = terms_of("r_0_0**4 - r_0_0**2*r_0_1**2 + r_0_1**4")
    H = convexity.hessian_at(terms, entries, {(0, 0): Q(1)})
    assert H[1, 1] == -2 and H[0, 0] == 12 and H[0, 1] == 0
    # and the SDP cannot certify it: no SOS-convexity certificate comes out
    assert sos_convexity_certificate(terms, entries) is None


def test_float_search_finds_a_small_region_of_negative_curvature():
    # negative curvature only near (1/7, 1/3): H_xx = 12u^2 + 4v^2 - 1/5000 there (u = x - 1/7,
    # v = y - 1/3), away from the sample grid and the lines the bounded search tries
    expr = "((r_0_0 - 1/7)**2 + (r_0_1 - 1/3)**2)**2 - (r_0_0 - 1/7)**2/10000"
    terms, _ = terms_of(expr)
    assert decide_convexity(terms).convex is None
    d = decide_convexity(terms, hints=convexity_hints)
    assert d.convex is False and "float minimiser" in d.detail
    assert hessian_negative_by_hand(expr, d.witness)


def _tampered(entry_change=None, null_move=None):
    terms, entries = terms_of("(r_0_0**2 + r_0_1**2)**2")
    cert = sos_convexity_certificate(terms, entries)
    gram = [[Q(*map(int, str(c).split("/"))) if "/" in str(c) else Q(int(c)) for c in row]
            for row in cert["gram"]]
    if entry_change:
        i, j, d = entry_change
        gram[i][j] += d
        if i != j:
            gram[j][i] += d
    if null_move:
        gram = null_move(cert["basis"], gram)
    bad = {"basis": cert["basis"], "gram": [[str(c) for c in row] for row in gram]}
    return terms, entries, bad


def _identity_preserving_non_psd(basis, gram):
    """Move weight between two cells whose monomials have the same product (so the identity
    still holds), far enough to break PSD."""
    by_product = {}
    for i in range(len(basis)):
        for j in range(i, len(basis)):
            e = {}
            for m in (basis[i], basis[j]):
                for k, ex in m:
                    e[k] = e.get(k, 0) + ex
            by_product.setdefault(tuple(sorted(e.items())), []).append((i, j))
    (i1, j1), (i2, j2) = next(c for c in by_product.values() if len(c) >= 2)[:2]
    big = Q(1000)
    for (i, j), sign in (((i1, j1), 1), ((i2, j2), -1)):
        step = sign * big / (1 if i == j else 2)   # a cell off the diagonal counts twice
        gram[i][j] += step
        if i != j:
            gram[j][i] += step
    return gram


@pytest.mark.parametrize("how,message", [
    (dict(entry_change=(0, 0, Q(1, 3))), "identity"),
    (dict(entry_change=(0, 1, Q(-1))), "identity|positive semidefinite"),
    (dict(null_move=_identity_preserving_non_psd), "not positive semidefinite"),
])
def test_tampered_gram_is_rejected_and_the_answer_is_none(how, message):
    terms, entries, bad = _tampered(**how)
    with pytest.raises(GramRejected, match=message):
        check_sos_convexity(terms, entries, bad)
    d = decide_convexity(terms, hints=lambda t, e: bad)
    assert d.convex is None and "not decided" in d.detail


def test_malformed_certificates_are_rejected():
    terms, entries = terms_of("(r_0_0**2 + r_0_1**2)**2")
    for bad in ("nonsense", {"basis": [], "gram": []}, {"basis": [[[0, 1], [2, 1]]], "gram": [["1/0"]]},
                {"basis": [[[0, 1], [2, 1]]], "gram": [[1.5]]}):
        with pytest.raises(GramRejected):
            check_sos_convexity(terms, entries, bad)
        assert decide_convexity(terms, hints=lambda t, e, b=bad: b).convex is None
        convexity._decide.cache_clear()


def test_without_cvxpy_the_answer_stays_undecided(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "cvxpy", None)   # import cvxpy fails
    terms, entries = terms_of("(r_0_0**2 + r_0_1**2)**2")
    assert sos_convex.sos_convexity_certificate(terms, entries) is None
    d = decide_convexity(terms, hints=convexity_hints)
    assert d.convex is None and "not decided" in d.detail


def test_landscape_check_proves_the_convexity_assumption(tmp_path, capsys):
    # Laurent & von Brecht: l convex and differentiable, no bottleneck (hidden width 2 >=
    # min(d_0, d_H) = 1); l(r) = |r|^4 was undecided by the bounded search, now SOS-convex
    problem = {"family": "deep-linear", "widths": [2, 2, 1], "X": [[1, 0], [0, 1]], "Y": [[1, 0]],
               "loss": {"name": "custom", "expression": "(r_0_0**2 + r_0_1**2)**2"}}
    f = tmp_path / "problem.json"
    f.write_text(json.dumps(problem))
    code = main(["check", "laurent_vonbrecht2018", str(f), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    convex = next(a for a in out["assumptions"] if a["name"] == "l convex")
    assert convex["holds"] is True and "SOS-convex" in convex["detail"]
    assert out["applies"] is True
    assert out["conclusion"]["status"] == "holds-on-instance"


def test_the_hand_gram_matrix_is_accepted_and_a_wrong_one_is_not():
    # (x^2 + y^2)^2 with m = (x u, x v, y u, y v) (indices x = 0, y = 1, u = 2, v = 3):
    # 4(xu + yv)^2 + 4(yu + xv)^2 + 8(xu)^2 + 8(yv)^2
    terms, entries = terms_of("(r_0_0**2 + r_0_1**2)**2")
    basis = [[[0, 1], [2, 1]], [[0, 1], [3, 1]], [[1, 1], [2, 1]], [[1, 1], [3, 1]]]
    gram = [[12, 0, 0, 4], [0, 4, 4, 0], [0, 4, 4, 0], [4, 0, 0, 12]]
    assert "4 x 4 Gram matrix" in check_sos_convexity(terms, entries, {"basis": basis, "gram": gram})
    d = decide_convexity(terms, hints=lambda t, e: {"basis": basis, "gram": gram})
    assert d.convex is True
    # the same matrix for x^4 + y^4 + 2 x^2 y^2 + x^2 y^2 (one more x^2 y^2) fails the identity
    terms2, _ = terms_of("(r_0_0**2 + r_0_1**2)**2 + r_0_0**2*r_0_1**2")
    with pytest.raises(GramRejected, match="identity"):
        check_sos_convexity(terms2, entries, {"basis": basis, "gram": gram})


def test_the_rational_face_helpers():
    # rows spanning {v : v_0 = v_1 = v_2}^perp, given as a rotated float basis
    import numpy as np
    K = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    K = np.linalg.qr(K.T)[0].T            # an orthonormal basis of the same space
    rows = sos_convex._rational_rows(K, 100)
    assert rows == [[1, 0, -1], [0, 1, -1]]
    (v,) = sos_convex._nullspace(rows, 3)
    assert v == [1, 1, 1]
    A = flint.fmpq_mat([[1, 1], [2, 2]])
    assert sos_convex._solve_exact(A, [Q(1), Q(2)]) == [1, 0]
    assert sos_convex._solve_exact(A, [Q(1), Q(3)]) is None     # inconsistent
