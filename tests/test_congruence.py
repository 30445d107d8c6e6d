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
    from landscape_proofs.numeric.congruence import integer_float
    assert kernel_vectors(H, hints, integer_float(H)[0]) == kept     # the float64 H K route
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


# -- the classifier's float-guided path (numeric/congruence.py, produce/classify.py) --------------
@st.composite
def extreme(draw, max_n=8):
    """Symmetric matrices the floats see badly: entries of 10^+-200 (float overflow and
    underflow of the whole matrix or of single entries), eigenvalues 10^-20 and 10^-40 apart
    from 0 (below float64's resolution), and a diagonal matrix plus a tiny coupling."""
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["huge", "tiny", "mixed", "below-resolution", "tiny-coupling"]))
    S = [[draw(st.integers(-2, 2)) for _ in range(n)] for _ in range(n)]
    Q = cayley(S)
    if kind in ("huge", "tiny"):
        scale = Fraction(10**200) if kind == "huge" else Fraction(1, 10**200)
        d = [draw(st.integers(-3, 3)) * scale for _ in range(n)]
        return Q.transpose() * diag(d) * Q
    if kind == "mixed":
        d = [draw(st.sampled_from([Fraction(10**200), Fraction(-1, 10**200), Fraction(1), 0]))
             for _ in range(n)]
        return Q.transpose() * diag(d) * Q
    if kind == "below-resolution":
        eps = [Fraction(1, 10**20), Fraction(-1, 10**20), Fraction(1, 10**40), Fraction(-1, 10**40)]
        d = [draw(st.sampled_from(eps + [1, -1, 0])) for _ in range(n)]
        return Q.transpose() * diag(d) * Q
    d = [draw(st.sampled_from([1, -1, 0])) for _ in range(n)]
    H = diag(d)
    if n > 1:
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if i != j:
            t = Fraction(draw(st.sampled_from([1, -1])), 10**draw(st.sampled_from([17, 30])))
            H[i, j] = H[i, j] + to_fmpq(t)
            H[j, i] = H[j, i] + to_fmpq(t)
    return H


@SETTINGS
@given(st.one_of(symmetric(), extreme()))
def test_the_classifier_route_never_certifies_what_the_exact_route_rejects(H):
    """With the size threshold at 1 (every matrix takes the float route): the inertia is the
    characteristic polynomial's, a returned congruence checks, and a negative direction is
    returned exactly when H has a negative eigenvalue, with v^T H v < 0 exactly."""
    from landscape_proofs.kernel.linalg import quadratic_form
    from landscape_proofs.numeric.congruence import (classification_inertia,
                                                     classification_negative_direction)

    exact = inertia(H)
    ine, how, V = classification_inertia(H, None, min_n=1)
    assert ine == exact
    if V is not None:
        assert how == "congruence" and inertia_by_congruence(H, V) == exact
    v = classification_negative_direction(H, min_n=1)
    assert (v is None) == (exact.negative == 0)
    if v is not None:
        assert quadratic_form(H, v) < 0
    u = classification_negative_direction(-H, min_n=1)
    assert (u is None) == (exact.positive == 0)


@SETTINGS
@given(st.data())
def test_inertia_by_blocks_is_the_inertia(data):
    """A block-diagonal matrix with its rows and columns shuffled: the component split finds
    the blocks, and the sum of their inertias is the inertia."""
    from landscape_proofs.kernel.congruence import components, inertia_by_blocks

    blocks = [data.draw(st.one_of(symmetric(max_n=4), extreme(max_n=3)))
              for _ in range(data.draw(st.integers(1, 4)))]
    n = sum(B.nrows() for B in blocks)
    H = flint.fmpq_mat(n, n)
    off = 0
    for B in blocks:
        for i in range(B.nrows()):
            for j in range(B.nrows()):
                H[off + i, off + j] = B[i, j]
        off += B.nrows()
    perm = data.draw(st.permutations(range(n)))
    P = flint.fmpq_mat(n, n)
    for i, p in enumerate(perm):
        P[i, p] = 1
    H = P * H * P.transpose()
    comps = components(H)
    from landscape_proofs.numeric.congruence import _components, integer_float
    Az = integer_float(H)[0]
    assert Az is None or _components(Az) == comps      # the producer's vectorized search
    assert sorted(i for C in comps for i in C) == list(range(n))
    for C in comps:       # no nonzero entry joins two components
        others = [j for j in range(n) if j not in C]
        assert all(H[i, j] == 0 for i in C for j in others)
    assert inertia_by_blocks(H, inertia) == inertia(H)


def test_components_of_a_hand_made_pattern():
    from landscape_proofs.kernel.congruence import components

    from landscape_proofs.numeric.congruence import _components, integer_float

    H = matrix([[1, 0, 0, 5], [0, 0, 0, 0], [0, 0, 2, 0], [5, 0, 0, 0]])
    assert components(H) == [[0, 3], [1], [2]] == _components(integer_float(H)[0])
    H = matrix([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])   # a chain 0-1, 2-3
    H[1, 3] = H[3, 1] = flint.fmpq(1, 2**45)                                # joined by 2^-45
    assert components(H) == [[0, 1, 2, 3]] == _components(integer_float(H)[0])


# -- certificates carrying the congruence, and tampering with it -----------------------------------
# One layer W (2 x 2), a custom loss of R = W: 1 - q(R) with the positive definite quadratic
# form q = (a+b)^2 + (c-d)^2 + a^2 + d^2 + (a+c)^2 (a, b, c, d = R00, R01, R10, R11; q = 0 forces
# a = d = 0, then b = c = 0).  The origin is critical and the Hessian -2 M,
# M = [[3,1,1,0],[1,1,0,0],[1,0,2,-1],[0,0,-1,2]], is negative definite: a local maximum, with a
# Hessian that is one block (no component split) and not diagonally dominant (row 2 of M).
CONCAVE = "1 - (R_0_0 + R_0_1)**2 - (R_1_0 - R_1_1)**2 - R_0_0**2 - R_1_1**2 - (R_0_0 + R_1_0)**2"
# Indefinite: (a+b)^2 - (c-d)^2 + a^2 + d^2 - (a+c)^2 has both signs (a = 1: 1+1-1 = 1 > 0;
# c = 1: -1 - 1 < 0): the origin is a strict saddle.
SADDLE = "(R_0_0 + R_0_1)**2 - (R_1_0 - R_1_1)**2 + R_0_0**2 + R_1_1**2 - (R_0_0 + R_1_0)**2"


def _classify_custom(monkeypatch, expression):
    import landscape_proofs.numeric.congruence as nc
    from landscape_proofs.families.deep_linear import Point
    from landscape_proofs.families.io import problem_from_dict
    from landscape_proofs.produce.classify import classify

    problem = problem_from_dict({"family": "deep-linear", "widths": [2, 2],
                                 "loss": {"name": "custom", "expression": expression,
                                          "over": "product", "convex": False}})
    point = Point.of(problem, [[[0, 0], [0, 0]]])
    monkeypatch.setattr(nc, "FLOAT_GUIDED_MIN_N", 1)
    return problem, point, classify(problem, point)


def test_the_tour_takes_the_float_route_with_the_same_kinds(monkeypatch):
    """Every tour point classified with the float route forced on (threshold 1): 22/22."""
    import landscape_proofs.numeric.congruence as nc
    from landscape_proofs.produce.tour import run_tour

    monkeypatch.setattr(nc, "FLOAT_GUIDED_MIN_N", 1)
    assert run_tour().all_ok


@pytest.fixture
def local_maximum(monkeypatch):
    """The CONCAVE origin, classified with the float route forced on: a local maximum whose
    certificate carries the congruence V of the (one-block) Hessian."""
    problem, point, res = _classify_custom(monkeypatch, CONCAVE)
    assert res.kind.value == "local-maximum" and res.inertia == (0, 4, 0)
    return problem, point, res


def test_the_certificate_carries_a_congruence_the_kernel_uses(local_maximum):
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.kernel.congruence import inertia_with_hint, read_congruence

    problem, point, res = local_maximum
    cert = res.certificate.to_json()
    ev = cert["evidence"]
    assert set(ev["congruence"]) == {"denominator", "rows"}
    H = exact_objective(problem).hessian(exact_weights(point))
    assert len(components_of(H)) == 1
    ine, how = inertia_with_hint(H, ev, inertia)
    assert how == "congruence" and ine == inertia(H) == Inertia(0, 4, 0)
    assert inertia_by_congruence(H, diag([1] * 4)) is None     # H itself is not dominant
    V = read_congruence(ev["congruence"], H.nrows())
    assert V.rank() == H.nrows()
    assert check_certificate(cert).valid


def components_of(H):
    from landscape_proofs.kernel.congruence import components

    return components(H)


def _columns_json(rows, transform):
    cols = [list(c) for c in zip(*rows)]
    cols = transform(cols)
    return [list(r) for r in zip(*cols)]


TAMPERINGS = {
    "a column repeated (singular)": lambda c: [c[1]] + c[1:],
    "a column negated and doubled": lambda c: [[-2 * x for x in c[0]]] + c[1:],
    "a column replaced by e_1": lambda c: [[int(i == 0) for i in range(len(c[0]))]] + c[1:],
    "the identity (not dominant)": lambda c: [[int(i == j) for i in range(len(c[0]))]
                                              for j in range(len(c))],
    "zero (singular)": lambda c: [[0] * len(c[0]) for _ in c],
    "columns reversed": lambda c: c[::-1],
}


@pytest.mark.parametrize("how", sorted(TAMPERINGS))
def test_a_tampered_congruence_falls_back_to_the_exact_inertia(local_maximum, how):
    """A changed V never changes the inertia the kernel uses: either it still checks (then it
    proves the same inertia) or the kernel falls back to the characteristic polynomial; the
    true claim stays valid."""
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.kernel.congruence import inertia_with_hint

    problem, point, res = local_maximum
    cert = res.certificate.to_json()
    cong = cert["evidence"]["congruence"]
    cong["rows"] = _columns_json(cong["rows"], TAMPERINGS[how])
    H = exact_objective(problem).hessian(exact_weights(point))
    ine, used = inertia_with_hint(H, cert["evidence"], inertia)
    assert ine == inertia(H)
    if how in ("a column repeated (singular)", "zero (singular)", "the identity (not dominant)"):
        assert used == "charpoly"
    assert check_certificate(cert).valid


@pytest.mark.parametrize("claim, evidence", [
    ("local-minimum", {"type": "slice", "group": "GL"}),
    ("local-minimum", {"type": "definite-hessian"}),
    ("non-strict-saddle", {"type": "descent-curve"}),
])
def test_no_congruence_makes_a_strict_saddle_pass_for_a_false_claim(monkeypatch, claim, evidence):
    """The SADDLE origin (a strict saddle): certificates that it is a local minimum or a
    non-strict saddle are rejected whatever congruence they carry (the honest one of H, the
    identity, a positive diagonal)."""
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.numeric.congruence import congruence_json

    problem, point, res = _classify_custom(monkeypatch, SADDLE)
    assert res.kind.value == "strict-saddle"
    H = exact_objective(problem).hessian(exact_weights(point))
    n = H.nrows()
    base = res.certificate.to_json()
    V = suggest_congruence(H)
    assert V is not None and inertia_by_congruence(H, V).negative > 0
    candidates = [congruence_json(V), congruence_json(diag([1] * n)),
                  {"denominator": 1, "rows": [[int(i == j) * (i + 1) for j in range(n)]
                                               for i in range(n)]}]
    curve = base["evidence"]["direction"]
    for cong in candidates:
        ev = {**evidence, "congruence": cong}
        if claim == "non-strict-saddle":
            ev.update(curve=[curve], ascent_direction=base["evidence"].get(
                "ascent_direction", curve))
        forged = {**base, "claim": claim, "evidence": ev}
        got = check_certificate(forged)
        assert not got.valid, (claim, got.reason)


@pytest.mark.parametrize("bad, field", [
    ({"denominator": 0, "rows": []}, "congruence.denominator"),
    ({"denominator": True, "rows": []}, "congruence.denominator"),
    ({"rows": []}, "congruence"),
    ({"denominator": 1, "rows": [[1]]}, "congruence.rows"),
    ("V", "congruence"),
])
def test_a_malformed_congruence_is_rejected_by_name(local_maximum, bad, field):
    from landscape_proofs.kernel.checker import check_certificate

    _, _, res = local_maximum
    cert = res.certificate.to_json()
    cert["evidence"]["congruence"] = bad
    got = check_certificate(cert)
    assert not got.valid and "malformed evidence" in got.reason and field in got.reason


@pytest.mark.parametrize("entry", [1.5, "3", True, 2**300, None])
def test_a_congruence_entry_must_be_a_small_integer(local_maximum, entry):
    from landscape_proofs.kernel.checker import check_certificate

    _, _, res = local_maximum
    cert = res.certificate.to_json()
    cert["evidence"]["congruence"]["rows"][2][1] = entry
    got = check_certificate(cert)
    assert not got.valid and "congruence.rows[2]" in got.reason


def test_old_certificates_without_a_congruence_still_check(local_maximum):
    from landscape_proofs.kernel.checker import check_certificate

    _, _, res = local_maximum
    cert = res.certificate.to_json()
    del cert["evidence"]["congruence"]
    assert check_certificate(cert).valid


# -- the float-exact check (numeric/congruence.float_exact_congruence) ----------------------------
def _integer_parts(H, V):
    """(Az, Vz): d H as exact float64 integers and e V as int64 (None if they do not fit)."""
    import numpy as np

    from landscape_proofs.numeric.congruence import integer_float

    Az = integer_float(H)[0]
    Vz, _ = V.numer_denom()
    ints = [int(x) for x in Vz.entries()]
    if Az is None or max(map(abs, ints), default=0) >= 2**62:
        return None, None
    return Az, np.array(ints, dtype=np.int64).reshape(V.nrows(), V.ncols())


@SETTINGS
@given(st.data())
def test_the_float_exact_check_agrees_with_the_kernel_check(data):
    """For any V (random, singular, spoiled, a bad kernel block, or a good suggestion) the
    float-exact check answers exactly when the kernel's FLINT check does, with the same
    inertia (the exact one), or declines (None) when the integers are too large for it."""
    from landscape_proofs.numeric.congruence import float_exact_congruence

    H = data.draw(symmetric())
    V = data.draw(adversarial_v(H))
    Az, Vz = _integer_parts(H, V)
    assume(Az is not None)
    got = float_exact_congruence(Az, Vz)
    want = sound(H, V)
    if got is not None:
        assert got == want == inertia(H)
    else:   # it may only decline where its size limits bite (then the kernel's check runs)
        from landscape_proofs.numeric.congruence import _bits
        h, bv, lg = _bits(Az), _bits(Vz), max(1, (H.nrows() - 1).bit_length())
        assert want is None or h + bv + lg > 60 or h >= 50 - lg - 4 or 2 * bv + h + 2 * lg > 110


def test_exact_float_products_of_large_integers():
    """Digit splitting and the two-limb sum give the exact product of 50-bit by 45-bit integer
    matrices (checked against Python integers), where one float64 product would round."""
    import numpy as np

    from landscape_proofs.numeric.congruence import _digits, _exact_products, _two_limbs

    rng = np.random.default_rng(4)
    n = 9
    A = rng.integers(-2**49, 2**49, (n, n), dtype=np.int64)
    B = rng.integers(-2**44, 2**44, (n, n), dtype=np.int64)
    want = [[sum(int(A[t, i]) * int(B[t, j]) for t in range(n)) for j in range(n)] for i in range(n)]
    budget = 50 - 4        # n <= 2^4
    terms = _exact_products(_digits(A, 23), 23, _digits(B, budget - 23), budget - 23,
                            transpose_a=True)
    hi, lo = _two_limbs(terms)
    got = [[(int(hi[i, j]) << 56) + int(lo[i, j]) for j in range(n)] for i in range(n)]
    assert got == want
    assert (lo >= 0).all() and (lo < 2**56).all()
    approx = A.T.astype(float) @ B.astype(float)
    assert any(int(approx[i, j]) != want[i][j] for i in range(n) for j in range(n))
    for X, s in ((A, 23), (-A, 7), (np.zeros((2, 2), dtype=np.int64), 5)):
        D = _digits(X, s)
        assert all(np.abs(d).max() <= 2**s for d in D)
        assert (sum(d.astype(object) * 2**(s * i) for i, d in enumerate(D)) == X.astype(object)).all()


def _rotated_decay_minimum():
    """``(objective, W, H)`` of the [4, 4, 4] weight-decay global minimum moved by a dense
    rational rotation (benchmarks/bench_classify_sizes.py builds it)."""
    import sys
    sys.path.insert(0, "benchmarks")
    from bench_classify_sizes import decay_case, rotated

    from landscape_proofs.families.deep_linear import Point
    from landscape_proofs.families.exact_view import exact_objective, exact_weights

    base = decay_case([4, 4, 4], seed=12)
    problem, weights = rotated(base[0], base[1], 4)
    obj = exact_objective(problem)
    W = exact_weights(Point.of(problem, weights))
    return obj, W, obj.hessian(W)


def test_the_classifier_takes_the_float_exact_check_on_a_rotated_network_hessian():
    """The Hessian of a [4, 4, 4] weight-decay global minimum moved by a dense rational
    rotation (32 parameters, no zero pattern): classification_inertia certifies it with a
    FAST_BITS congruence that the kernel's own check accepts, equal to the exact inertia."""
    from landscape_proofs.numeric.congruence import FAST_BITS, classification_inertia

    obj, W, H = _rotated_decay_minimum()
    ine, how, V = classification_inertia(H, obj.orbit_tangent(W, orthogonal=True), min_n=1)
    assert how == "congruence" and ine == inertia(H) and ine.zero == 6
    assert V.numer_denom()[1] <= 2**FAST_BITS and inertia_by_congruence(H, V) == ine


# -- the pivoted-Cholesky congruence and the kernel-block hint (issue 16, third round) -----------
def _cholesky_parts(H, hints=None):
    """(Az, A, Vz, bits, k) of numeric.congruence.cholesky_congruence for H (None if it
    declines or the integers do not fit)."""
    import numpy as np

    from landscape_proofs.numeric.congruence import (_bits, _hint_array, cholesky_congruence,
                                                     integer_float)

    Az, A, _ = integer_float(H)
    if Az is None or A is None:
        return None
    K = _hint_array(hints, H.nrows()) if hints else None
    K = np.zeros((H.nrows(), 0), dtype=np.int64) if K is None else K
    ch = cholesky_congruence(A, K, _bits(Az))
    return None if ch is None else (Az, A, ch[0], ch[1], K.shape[1])


@SETTINGS
@given(st.data())
def test_the_cholesky_congruence_never_certifies_a_wrong_inertia(data):
    """Whatever H (random, low-rank, near-singular, indefinite) and whatever kernel hints (the
    exact kernel, part of it, a vector outside it, a repeated one): when the float-exact check
    accepts the pivoted-Cholesky V with the hinted kernel block, the inertia is the exact one
    and the kernel's own FLINT check agrees on the same V; a rejected hint only declines."""
    import numpy as np

    from landscape_proofs.numeric.congruence import float_exact_congruence

    H = data.draw(symmetric())
    if data.draw(st.booleans()):
        H = H * H                      # positive semidefinite, the same kernel: Cholesky applies
    n = H.nrows()
    K = exact_kernel_basis(H)
    how = data.draw(st.sampled_from(["exact", "none", "part", "outside", "repeated"]))
    if how == "none" or not K:
        hints = None
    elif how == "part":
        hints = K[:-1] or None
    elif how == "outside":
        hints = K[:-1] + [[data.draw(st.integers(-3, 3)) for _ in range(n)]]
    elif how == "repeated":
        hints = K + [K[0]]
    else:
        hints = K
    parts = _cholesky_parts(H, hints)
    if parts is None:                  # declined (indefinite, rank mismatch, too large): no claim
        return
    Az, _, Vz, bits, k = parts
    assert Vz.shape == (n, n) and bits >= 1
    got = float_exact_congruence(Az, Vz, k)
    if got is not None:
        exact = inertia(H)
        assert got == exact and exact.negative == 0 and got.zero == k
        V = flint.fmpq_mat(flint.fmpz_mat(Vz.tolist())) / flint.fmpz(2**bits)
        assert inertia_by_congruence(H, V) == exact
        assert V.rank() == n


def test_the_cholesky_congruence_of_a_hand_made_semidefinite_matrix():
    """H = [[2, 1, 1], [1, 2, -1], [1, -1, 2]] has kernel (1, -1, -1) (rank 2, eigenvalues
    3, 3, 0).  With that hint V_P is supported on two pivot rows (one row of V_P is zero), the
    hinted block is the last column, and the check gives (2, 0, 1); without the hint (kernel
    block empty) and with a wrong hint it declines, never answering (3, 0, 0)."""
    import numpy as np

    from landscape_proofs.numeric.congruence import float_exact_congruence

    H = matrix([[2, 1, 1], [1, 2, -1], [1, -1, 2]])
    Az, _, Vz, bits, k = _cholesky_parts(H, [[1, -1, -1]])
    assert k == 1 and Vz[:, 2].tolist() == [1, -1, -1]
    assert int((~Vz[:, :2].any(axis=1)).sum()) == 1           # one zero row of V_P
    assert float_exact_congruence(Az, Vz, k) == Inertia(2, 0, 1)
    assert _cholesky_parts(H) is None                          # rank 2 < 3 pivots: declines
    W = Vz.copy()
    W[:, 2] = [1, 1, 0]                                        # not in the kernel
    assert float_exact_congruence(Az, W, 1) is None
    assert float_exact_congruence(Az, W) is None               # trailing rule: B singular
    assert float_exact_congruence(Az, Vz, 4) is None and float_exact_congruence(Az, Vz, -1) is None


@SETTINGS
@given(st.data())
def test_the_kernel_block_hint_agrees_with_the_trailing_zero_rule(data):
    """float_exact_congruence(Az, Vz, k) (H V_Z = 0 checked on the last k columns, products on
    the nonzero rows of V_P) answers only with the exact inertia, and where both answer it
    agrees with the rule that reads k off H V; rows of V_P zeroed at random never make it pass
    wrongly."""
    from landscape_proofs.numeric.congruence import float_exact_congruence

    H = data.draw(symmetric())
    V = data.draw(adversarial_v(H))
    Az, Vz = _integer_parts(H, V)
    assume(Az is not None)
    n = H.nrows()
    k = data.draw(st.integers(0, n))
    if data.draw(st.booleans()) and n > k:
        Vz = Vz.copy()
        Vz[data.draw(st.integers(0, n - 1)), :n - k] = 0
    got = float_exact_congruence(Az, Vz, k)
    if got is not None:
        assert got == inertia(H) and got.zero == k
        plain = float_exact_congruence(Az, Vz)
        assert plain is None or plain == got


def test_float_digits_are_exact():
    """_float_digits in float64 equals _digits in int64 on integers up to 2^52."""
    import numpy as np

    from landscape_proofs.numeric.congruence import _digits, _float_digits

    rng = np.random.default_rng(7)
    X = rng.integers(-2**52, 2**52, (7, 5), dtype=np.int64)
    X[0, 0], X[0, 1] = 2**52 - 1, -2**52
    for s in (1, 13, 23, 30):
        F = _float_digits(X.astype(np.float64), s)
        D = _digits(X, s)
        assert len(F) == len(D)
        assert all((f.astype(np.int64) == d).all() for f, d in zip(F, D))
        assert all(np.abs(f).max() <= 2**s for f in F)


def test_the_classifier_takes_the_cholesky_route_on_a_rotated_minimum(monkeypatch):
    """The rotated [4, 4, 4] weight-decay global minimum (Hessian positive semidefinite, kernel =
    the orbit tangent): classification_inertia certifies it without eigh (the float
    eigendecomposition is disabled), with a V that has zero rows (supported on the Cholesky
    pivots) and that the kernel's own check accepts."""
    import landscape_proofs.numeric.congruence as nc

    obj, W, H = _rotated_decay_minimum()
    monkeypatch.setattr(nc, "_float_eigh", lambda A: None)
    ine, how, V = nc.classification_inertia(H, obj.orbit_tangent(W, orthogonal=True), min_n=1)
    assert how == "congruence" and ine == inertia(H) and ine.zero == 6 and ine.negative == 0
    Vz, _ = V.numer_denom()
    assert any(all(Vz[i, j] == 0 for j in range(H.nrows() - 6)) for i in range(H.nrows()))
    assert inertia_by_congruence(H, V) == ine
