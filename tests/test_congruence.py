"""Exact inertia by congruence (kernel/congruence.py) and its float producer
(numeric/congruence.py).

Soundness first: whenever ``inertia_by_congruence`` answers, the answer is the exact inertia
of the characteristic-polynomial route (``kernel.linalg.inertia``), whatever V is (random,
singular, a float suggestion with columns swapped or spoiled, a kernel block that is not in
the kernel or is dependent); a singular V is never accepted.  Then usefulness: the
float-guided path succeeds on well-conditioned matrices, measured as a rate.
"""
from __future__ import annotations

import random
import subprocess
import sys
from fractions import Fraction

import flint
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from landscape_proofs.kernel.congruence import check_negative_direction, inertia_by_congruence
from landscape_proofs.kernel.linalg import Inertia, inertia, matrix
from landscape_proofs.kernel.numbers import to_fmpq
from landscape_proofs.numeric.congruence import (certified_inertia, certified_negative_direction,
                                                 exact_kernel_basis, kernel_vectors,
                                                 suggest_congruence,
                                                 suggest_negative_direction)

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- building blocks ----------------------------------------------------------------------------
def cayley(S: list[list[int]]) -> flint.fmpq_mat:
    """A rational orthogonal matrix (I - A)(I + A)^{-1}, A the skew part of S."""
    n = len(S)
    A = matrix([[S[i][j] - S[j][i] for j in range(n)] for i in range(n)])
    I = matrix([[int(i == j) for j in range(n)] for i in range(n)])
    return (I - A) * (I + A).inv()


def diag(d) -> flint.fmpq_mat:
    n = len(d)
    return matrix([[d[i] if i == j else 0 for j in range(n)] for i in range(n)])


def columns(M: flint.fmpq_mat, idx) -> list[list[flint.fmpq]]:
    return [[M[i, j] for i in range(M.nrows())] for j in idx]


def from_columns(cols) -> flint.fmpq_mat:
    n = len(cols[0])
    return flint.fmpq_mat(n, len(cols), [to_fmpq(cols[j][i]) for i in range(n)
                                         for j in range(len(cols))])


def sound(H, V) -> Inertia | None:
    """inertia_by_congruence, with the soundness assertions."""
    got = inertia_by_congruence(H, V)
    if got is not None:
        assert got == inertia(H), (got, inertia(H))
        assert V.rank() == H.nrows(), "a singular V was accepted"
    return got


small = st.fractions(min_value=-4, max_value=4, max_denominator=3)


@st.composite
def symmetric(draw, max_n=12):
    """Random symmetric rational matrices of several kinds (see the labels)."""
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["random", "low-rank-psd", "spectral", "near-singular",
                                 "repeated", "zero-block"]))
    if kind == "random":
        a = [[draw(small) for _ in range(n)] for _ in range(n)]
        H = matrix([[a[min(i, j)][max(i, j)] for j in range(n)] for i in range(n)])
    elif kind == "low-rank-psd":
        r = draw(st.integers(0, n))
        A = matrix([[draw(st.integers(-3, 3)) for _ in range(r)] for _ in range(n)]) if r else None
        H = A * A.transpose() if r else flint.fmpq_mat(n, n)
    else:
        S = [[draw(st.integers(-2, 2)) for _ in range(n)] for _ in range(n)]
        Q = cayley(S)
        if kind == "spectral":
            d = [draw(st.integers(-6, 6)) for _ in range(n)]
        elif kind == "near-singular":   # eigenvalues 1e-12 apart from 0 and from each other
            tiny = Fraction(1, 10**12)
            d = [draw(st.sampled_from([0, tiny, -tiny, 2 * tiny, 1, -1])) for _ in range(n)]
        elif kind == "repeated":
            v = draw(st.sampled_from([-2, 0, 3]))
            d = [v if draw(st.booleans()) else draw(st.integers(-3, 3)) for _ in range(n)]
        else:                           # a zero block: many zero eigenvalues
            d = [draw(st.integers(-3, 3)) if i < n // 3 else 0 for i in range(n)]
        H = Q.transpose() * diag(d) * Q
    return H


@st.composite
def adversarial_v(draw, H):
    """A square V: random, singular, a spoiled float suggestion, or a bad kernel block."""
    n = H.nrows()
    kind = draw(st.sampled_from(["random", "singular", "swapped", "perturbed",
                                 "not-kernel", "dependent-kernel", "suggested"]))
    if kind == "random":
        return matrix([[draw(small) for _ in range(n)] for _ in range(n)])
    V = suggest_congruence(H)
    assume(V is not None)
    cols = columns(V, range(n))
    if kind == "singular":
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        c = draw(small)
        cols[i] = [to_fmpq(c) * x for x in cols[j]] if i != j else [flint.fmpq(0)] * n
    elif kind == "swapped" and n > 1:
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        cols[i], cols[j] = cols[j], cols[i]
    elif kind == "perturbed":
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        cols[j][i] += to_fmpq(draw(small))
    elif kind == "not-kernel":          # the last column replaced by a random vector
        cols[-1] = [draw(small) for _ in range(n)]
    elif kind == "dependent-kernel":    # the last column repeats a kernel vector
        K = exact_kernel_basis(H)
        if K:
            cols[-1] = [flint.fmpq(x) * 2 for x in K[draw(st.integers(0, len(K) - 1))]]
            if n > 1:
                cols[-2] = [flint.fmpq(x) for x in K[0]]
    return from_columns(cols)


# -- hand cases ----------------------------------------------------------------------------------
def test_hand_cases():
    H = matrix([[0, -1], [-1, 0]])
    assert inertia_by_congruence(H, matrix([[1, 1], [1, -1]])).as_tuple() == (1, 1, 0)
    assert inertia_by_congruence(H, matrix([[1, 0], [0, 1]])) is None     # zero diagonal
    assert inertia_by_congruence(H, matrix([[1, 2], [1, 2]])) is None     # singular V
    assert certified_inertia(H) == (Inertia(1, 1, 0), "congruence")
    assert check_negative_direction(H, [1, 1]) and not check_negative_direction(H, [1, -1])
    assert check_negative_direction(H, suggest_negative_direction(H))

    D = diag([1, 0, -2])
    e1, e2, e3 = ([1, 0, 0], [0, 1, 0], [0, 0, 1])
    V = from_columns([[flint.fmpq(x) for x in c] for c in (e1, e3, e2)])
    assert inertia_by_congruence(D, V).as_tuple() == (1, 1, 1)
    V_bad = from_columns([[flint.fmpq(x) for x in c] for c in (e1, e2, e3)])   # e2 not last
    assert inertia_by_congruence(D, V_bad) is None
    assert certified_inertia(D, kernel_basis=[e2]) == (Inertia(1, 1, 1), "congruence")
    assert certified_inertia(D) == (Inertia(1, 1, 1), "congruence")   # exact kernel found
    V = suggest_congruence(D, kernel_basis=[[0, 5, 0]])
    assert [V[i, 2] for i in range(3)] == [0, V[1, 2], 0] and V[1, 2] > 0
    assert certified_negative_direction(D) is not None
    assert suggest_negative_direction(diag([1, 2])) is None


def test_a_dependent_kernel_block_is_refused():
    """H = diag(1, 1, 0), V = [e1, e3, e3]: B = [1] is dominant and both trailing columns are
    in ker H; without the rank check this would claim (1, 0, 2) instead of (2, 0, 1)."""
    H = diag([1, 1, 0])
    V = matrix([[1, 0, 0], [0, 0, 0], [0, 1, 1]])
    assert inertia_by_congruence(H, V) is None
    V = matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert inertia_by_congruence(H, V).as_tuple() == (2, 0, 1)


def test_zero_and_empty_matrices():
    assert inertia_by_congruence(flint.fmpq_mat(0, 0), flint.fmpq_mat(0, 0)) == Inertia(0, 0, 0)
    Z = flint.fmpq_mat(3, 3)
    I = diag([1, 1, 1])
    assert inertia_by_congruence(Z, I) == Inertia(0, 0, 3)
    assert inertia_by_congruence(Z, diag([1, 1, 0])) is None   # singular V
    assert certified_inertia(Z)[0] == Inertia(0, 0, 3)


def test_shapes_and_symmetry():
    H = diag([1, -1])
    assert inertia_by_congruence(H, flint.fmpq_mat(2, 3)) is None
    with pytest.raises(ValueError):
        inertia_by_congruence(matrix([[1, 2], [0, 1]]), diag([1, 1]))
    assert not check_negative_direction(H, [1])


# -- soundness: any V --------------------------------------------------------------------------
@SETTINGS
@given(st.data())
def test_any_v_is_sound(data):
    H = data.draw(symmetric())
    V = data.draw(adversarial_v(H))
    sound(H, V)


@SETTINGS
@given(st.data())
def test_singular_v_is_never_accepted(data):
    H = data.draw(symmetric(max_n=8))
    n = H.nrows()
    r = data.draw(st.integers(0, n - 1))
    A = matrix([[data.draw(st.integers(-3, 3)) for _ in range(r)] for _ in range(n)]) if r else None
    B = matrix([[data.draw(st.integers(-3, 3)) for _ in range(n)] for _ in range(r)]) if r else None
    V = A * B if r else flint.fmpq_mat(n, n)      # rank <= r < n
    assert inertia_by_congruence(H, V) is None


@SETTINGS
@given(symmetric())
def test_the_float_route_is_exact(H):
    ine, method = certified_inertia(H)
    assert ine == inertia(H)
    assert method in ("congruence", "charpoly")
    v = suggest_negative_direction(H)
    if v is not None and check_negative_direction(H, v):
        assert inertia(H).negative > 0
    V = suggest_congruence(H)
    if V is not None:
        sound(H, V)


@SETTINGS
@given(st.data())
def test_any_kernel_basis_is_sound(data):
    """Kernel hints mixing true kernel vectors, their multiples and junk never change the
    answer; only vectors exactly in ker H and independent are kept."""
    H = data.draw(symmetric(max_n=8))
    n = H.nrows()
    K = exact_kernel_basis(H)
    hints = [list(v) for v in K] + [[2 * x for x in v] for v in K]
    hints += [[data.draw(small) for _ in range(n)] for _ in range(data.draw(st.integers(0, 3)))]
    hints = data.draw(st.permutations(hints)) if hints else hints
    kept = kernel_vectors(H, hints)
    assert len(kept) <= len(K)
    Hz, _ = H.numer_denom()
    for v in kept:
        assert all(x == 0 for x in (Hz * flint.fmpz_mat([[x] for x in v])).entries())
    for exact_kernel in (True, False):
        V = suggest_congruence(H, hints, exact_kernel=exact_kernel)
        if V is not None:
            sound(H, V)
    assert certified_inertia(H, kernel_basis=hints)[0] == inertia(H)


# -- usefulness: success rates --------------------------------------------------------------------
def spectral_case(rng: random.Random, n: int, zeros: int = 0):
    """H = Q^T D Q, Q rational orthogonal, D well separated (gaps >= 1), ``zeros`` zeros;
    also the exact kernel basis (rows of Q for the zero entries)."""
    Q = cayley([[rng.randint(-2, 2) for _ in range(n)] for _ in range(n)])
    pool = [x for x in range(-3 * n, 3 * n + 1) if x != 0]
    d = rng.sample(pool, n - zeros) + [0] * zeros
    rng.shuffle(d)
    H = Q.transpose() * diag(d) * Q
    K = [[Q[i, j] for j in range(n)] for i in range(n) if d[i] == 0]
    return H, K


@pytest.mark.parametrize("zeros, with_basis", [(0, False), (2, True), (2, False)])
def test_the_float_route_succeeds_on_well_conditioned_matrices(zeros, with_basis):
    rng = random.Random(1000 + zeros + with_basis)
    ok = total = 0
    for _ in range(40):
        n = rng.randint(max(1, zeros + 1), 12)
        H, K = spectral_case(rng, n, zeros)
        ine, method = certified_inertia(H, kernel_basis=K if with_basis else None)
        assert ine == inertia(H)
        assert ine.zero == zeros
        total += 1
        ok += method == "congruence"
    assert ok >= 0.95 * total, (ok, total)


def test_the_negative_direction_is_found_on_indefinite_matrices():
    rng = random.Random(7)
    found = 0
    for _ in range(40):
        n = rng.randint(2, 12)
        H, _ = spectral_case(rng, n)
        if inertia(H).negative == 0:
            H = -H
        v = certified_negative_direction(H)
        found += v is not None
    assert found >= 38


def test_orbit_tangent_of_a_deep_linear_minimum_is_used_as_kernel_block():
    """The weight-decay critical point of bench_inertia (small widths): the orbit tangent,
    filtered to ker H, spans the kernel and the congruence check succeeds."""
    from landscape_proofs.families.deep_linear import Point
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.families.io import problem_from_dict

    lam, s = Fraction(1, 10), [Fraction(3, 2), Fraction(2), Fraction(5, 4)]
    y = [si * si + lam for si in s]
    problem = problem_from_dict({"family": "deep-linear", "widths": [3, 3, 3], "loss": "square",
                                 "weight_decay": "1/10",
                                 "Y": [[str(y[i]) if i == j else "0" for j in range(3)]
                                       for i in range(3)]})
    W = [[[s[i] if i == j else 0 for j in range(3)] for i in range(3)]] * 2
    obj = exact_objective(problem)
    Wm = exact_weights(Point.of(problem, W))
    assert all(x == 0 for x in obj.gradient_vector(Wm))
    H = obj.hessian(Wm)
    T = obj.orbit_tangent(Wm, orthogonal=True)
    V = suggest_congruence(H, T, exact_kernel=False)
    got = sound(H, V)
    assert got is not None and got == inertia(H) and got.zero == 3


def test_the_kernel_module_imports_no_numeric_library():
    code = ("import sys, landscape_proofs.kernel.congruence; "
            "print(sorted(m for m in ('numpy', 'sympy', 'mpmath', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
