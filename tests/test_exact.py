"""The exact layer: inertia, negative directions, kernels, algebraic comparisons, optimum."""
from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import sympy
from hypothesis import given, settings, strategies as st

from landscape_proofs.kernel.algebraic import compare_smallest_eigenvalue_sum, isolate_real_roots
from landscape_proofs.kernel.linalg import (inertia, matrix, negative_direction, nullspace,
                                           quadratic_form, rank)
from landscape_proofs.kernel.numbers import format_exact, parse_exact
from landscape_proofs.kernel.optimum import compare_with_square_optimum

small = st.fractions(min_value=-4, max_value=4, max_denominator=3)


@st.composite
def symmetric(draw, max_n=6):
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["any", "gram", "lowrank"]))
    if kind == "any":
        A = [[draw(small) for _ in range(n)] for _ in range(n)]
        return matrix([[A[i][j] + A[j][i] for j in range(n)] for i in range(n)])
    k = draw(st.integers(1, n)) if kind == "lowrank" else n
    B = matrix([[draw(small) for _ in range(n)] for _ in range(k)])
    return B.transpose() * B


def _sympy(M):
    return sympy.Matrix(M.nrows(), M.ncols(), lambda i, j: sympy.Rational(int(M[i, j].p), int(M[i, j].q)))


@settings(max_examples=150, deadline=None)
@given(symmetric())
def test_inertia_matches_sympy_eigenvalues(M):
    # SymPy's exact real roots (CRootOf, with multiplicity): an independent exact route
    lam = sympy.Symbol("lam")
    ev = sympy.Poly(_sympy(M).charpoly(lam).as_expr(), lam).real_roots()
    assert len(ev) == M.nrows()
    pos = sum(1 for e in ev if e.is_positive)
    neg = sum(1 for e in ev if e.is_negative)
    zero = sum(1 for e in ev if e.is_zero)
    assert inertia(M).as_tuple() == (pos, neg, zero)


@settings(max_examples=200, deadline=None)
@given(symmetric())
def test_negative_direction_exists_iff_not_psd(M):
    v = negative_direction(M)
    if inertia(M).negative:
        assert v is not None and quadratic_form(M, v) < 0
    else:
        assert v is None


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_nullspace_is_a_basis_of_the_kernel(m, n, data):
    M = matrix([[data.draw(small) for _ in range(n)] for _ in range(m)])
    K = nullspace(M)
    assert len(K) == n - rank(M)
    for v in K:
        out = M * flint.fmpq_mat(n, 1, v)
        assert all(x == 0 for x in out.entries())
    if K:
        assert rank(flint.fmpq_mat(len(K), n, [x for v in K for x in v])) == len(K)


def test_inertia_known():
    assert inertia(matrix([[0, -1], [-1, 0]])).as_tuple() == (1, 1, 0)
    assert inertia(matrix([[1, 1], [1, 1]])).as_tuple() == (1, 0, 1)
    assert inertia(matrix([[0, 0], [0, 0]])).as_tuple() == (0, 0, 2)


def test_smallest_eigenvalue_sum_exact_and_irrational():
    # eigenvalues of [[1,1],[1,0]] are (1 +- sqrt 5)/2; the smallest is -0.6180339887...
    M = matrix([[1, 1], [1, 0]])
    assert compare_smallest_eigenvalue_sum(M, 1, Fraction(-618, 1000)) == -1
    assert compare_smallest_eigenvalue_sum(M, 1, Fraction(-6180339888, 10**10)) == 1
    assert compare_smallest_eigenvalue_sum(M, 1, Fraction(-6180339887, 10**10)) == -1
    assert compare_smallest_eigenvalue_sum(M, 2, 1) == 0          # trace, exactly
    assert compare_smallest_eigenvalue_sum(matrix([[25, 0, 0], [0, 9, 0], [0, 0, 1]]), 2, 10) == 0
    # a repeated eigenvalue split by the selection: diag(2, 2, 5), two smallest = 4
    assert compare_smallest_eigenvalue_sum(matrix([[2, 0, 0], [0, 2, 0], [0, 0, 5]]), 1, 2) == 0


@settings(max_examples=80, deadline=None)
@given(symmetric(max_n=5), st.data())
def test_smallest_eigenvalue_sum_agrees_with_floats(M, data):
    n = M.nrows()
    k = data.draw(st.integers(0, n))
    c = data.draw(st.fractions(min_value=-30, max_value=30, max_denominator=7))
    ev = np.sort(np.linalg.eigvalsh(np.array([[float(M[i, j]) for j in range(n)] for i in range(n)])))
    s = float(ev[:k].sum())
    res = compare_smallest_eigenvalue_sum(M, k, c)
    if abs(s - float(c)) > 1e-7:
        assert res == (1 if s > float(c) else -1)
    else:
        assert res in (0, None) or abs(s - float(c)) < 1e-12


def test_root_isolation_sqrt2():
    roots = isolate_real_roots(flint.fmpq_poly([-2, 0, 1]))
    assert len(roots) == 2
    assert roots[0].lo < roots[0].hi <= roots[1].lo < roots[1].hi   # (lo, hi] intervals, disjoint
    r = roots[1]
    for _ in range(30):
        r.bisect()
    assert r.lo ** 2 < 2 <= r.hi ** 2


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.data())
def test_square_optimum_matches_numpy(d0, dH, n, r, data):
    X = matrix([[data.draw(small) for _ in range(n)] for _ in range(d0)])
    Y = matrix([[data.draw(small) for _ in range(n)] for _ in range(dH)])
    Xf = np.array([[float(x) for x in row] for row in X.tolist()])
    Yf = np.array([[float(x) for x in row] for row in Y.tolist()])
    P = Xf.T @ np.linalg.pinv(Xf @ Xf.T) @ Xf if np.any(Xf) else np.zeros((n, n))
    s = np.linalg.svd(Yf @ P, compute_uv=False)
    opt = 0.5 * (np.linalg.norm(Yf - Yf @ P) ** 2 + np.sum(s[r:] ** 2))
    for delta in (Fraction(-1, 100), Fraction(1, 100)):
        v = Fraction(opt).limit_denominator(10**9) + delta
        expect = 1 if float(v) > opt else -1
        assert compare_with_square_optimum(X, Y, r, v) == expect


def test_parse_and_format_exact():
    assert parse_exact("0.1") == Fraction(1, 10)
    assert parse_exact("-2/4") == Fraction(-1, 2)
    assert format_exact(Fraction(6, 3)) == 2 and format_exact(Fraction(-1, 3)) == "-1/3"
