"""Nouiehed & Razaviyayn 2018 against the paper's own statements (ICLR 2018 submission of
arXiv:1803.02968): Proposition 2 (Behrends, k >= min(m, n)) and Theorem 3 (k < min(m, n)), the
two-factor characterizations of local openness, checked against openness/products.py on random
integer pairs with the paper's conditions computed independently (null space / column space
intersections); Lemma 7 (a non-degenerate chain is locally open), the paper's *sufficient*
condition for the multilayer product; Lemma 8 on an instance; and the multilayer entry's
assumptions, each held and failed, and its conclusion where the bottleneck is dropped."""
from __future__ import annotations

import json
import random
from fractions import Fraction
from pathlib import Path

import flint
import pytest

from landscape_proofs.families.base import Point
from landscape_proofs.families.registry import problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.linalg import rank
from landscape_proofs.openness.products import decide_chain
from landscape_proofs.produce.candidates import CheckBudget
from landscape_proofs.theorems.base import ConclusionStatus
from landscape_proofs.theorems.common import classified_points
from landscape_proofs.theorems.registry import get_theorem
from landscape_proofs.theorems.runner import check_theorem

MULTI = get_theorem("nouiehed_razaviyayn2018-multilayer")
CATALOG = Path(__file__).resolve().parents[1] / "counterexamples"


def _random(rng, m, n, r):
    """An m x n integer matrix of rank <= r (a product of random factors, often sparse)."""
    A = flint.fmpq_mat(m, r, [rng.choice((0, 0, 1, -1, 2)) for _ in range(m * r)])
    B = flint.fmpq_mat(r, n, [rng.choice((0, 0, 1, -1, 3)) for _ in range(r * n)])
    return A * B


def _null_basis(A):
    """Columns spanning N(A), from the reduced row echelon form (independent of rank())."""
    R, _ = A.rref()
    n = A.ncols()
    pivots, row = [], 0
    for j in range(n):
        if row < R.nrows() and R[row, j] != 0:
            pivots.append(j)
            row += 1
    free = [j for j in range(n) if j not in pivots]
    cols = []
    for f in free:
        v = [flint.fmpq(0)] * n
        v[f] = flint.fmpq(1)
        for i, p in enumerate(pivots):
            v[p] = -R[i, f]
        cols.append(v)
    return cols


def _dim_null_cap_col(X, Y):
    """dim(N(X) & C(Y)) = dim N(X) + dim C(Y) - dim(N(X) + C(Y)) (Grassmann)."""
    N = _null_basis(X)
    k = X.ncols()
    cols = N + [[Y[i, j] for i in range(k)] for j in range(Y.ncols())]
    if not cols:
        return 0
    S = flint.fmpq_mat(k, len(cols), [cols[c][i] for i in range(k) for c in range(len(cols))])
    return len(N) + rank(Y) - rank(S)


def _paper_open(X, Y) -> bool:
    """Proposition 2 (k >= min(m, n)) or Theorem 3 (k < min(m, n)) for M(X, Y) = X Y."""
    m, k, n = X.nrows(), X.ncols(), Y.ncols()
    cap = _dim_null_cap_col(X, Y)
    if k >= min(m, n):   # Proposition 2, statement 2
        return cap <= k - m or n - (rank(Y) - cap) <= k - rank(X)
    if rank(X) != rank(Y):
        return False
    # Theorem 3 ii): dim(N(X) & C(Y)) = 0 (equivalently dim(N(Y^T) & C(X^T)) = 0)
    other = _dim_null_cap_col(Y.transpose(), X.transpose())
    assert (cap == 0) == (other == 0)       # the equivalence the theorem states
    return cap == 0


@pytest.mark.parametrize("seed", range(6))
def test_two_factor_openness_is_the_papers_characterization(seed):
    rng = random.Random(seed)
    seen = {True: 0, False: 0}
    for _ in range(60):
        m, k, n = rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 4)
        X = _random(rng, m, k, rng.randint(0, min(m, k)) or 1)
        Y = _random(rng, k, n, rng.randint(0, min(k, n)) or 1)
        want = _paper_open(X, Y)
        got = decide_chain([Y, X]).verdict.value        # weights[0] = W_1 = Y, W_2 = X
        assert got == ("open" if want else "not-open"), (X, Y)
        seen[want] += 1
    assert seen[True] and seen[False]                   # both sides of the criterion exercised


def test_theorem_3_first_case_unequal_ranks_is_not_open():
    # the paper's Remark 1: X = [1; 1] (rank 1), Y = [0, 0] (rank 0), k = 1 < min(2, 2)
    X = flint.fmpq_mat([[1], [1]])
    Y = flint.fmpq_mat([[0, 0]])
    assert decide_chain([Y, X]).verdict.value == "not-open"
    assert decide_chain([X.transpose(), Y.transpose()]).verdict.value == "not-open"


@pytest.mark.parametrize("seed", range(4))
def test_lemma_7_non_degenerate_chains_are_open(seed):
    """Lemma 7 (Theorem 3.1 of Lu & Kawaguchi restated): rank W_H...W_1 = min width => open."""
    rng = random.Random(100 + seed)
    done = 0
    while done < 10:
        H = rng.randint(2, 4)
        widths = [rng.randint(1, 3) for _ in range(H + 1)]
        Ws = [_random(rng, widths[i + 1], widths[i], min(widths[i + 1], widths[i]))
              for i in range(H)]
        R = Ws[0]
        for W in Ws[1:]:
            R = W * R
        if rank(R) != min(widths):
            continue                                    # degenerate: Lemma 7 says nothing
        assert decide_chain(Ws).verdict.value == "open", (widths, Ws)
        done += 1


def test_lemma_7_is_only_sufficient_a_degenerate_point_can_be_open():
    # abc at the origin: rank 0 < 1 = min width, yet t = (t^(1/3))^3 reaches every target
    z = flint.fmpq_mat([[0]])
    assert decide_chain([z, z, z]).verdict.value == "open"


def test_lemma_8_non_degenerate_critical_points_are_saddles_or_global():
    """X of full row rank, square loss: every critical point with rank W_H...W_1 = p found on a
    depth-3 instance is a global minimum or a saddle (Lemma 8)."""
    p = problem_from_dict({"family": "deep-linear", "widths": [2, 1, 2, 2],
                           "Y": [[3, 0], [0, 1]], "loss": "square"})
    pts = classified_points(p, CheckBudget(starts=2), None)
    nondeg = [cp for cp in pts if cp.product_rank == 1 and cp.kind.value != "not-critical"]
    assert nondeg
    assert all(cp.kind.value in ("global-minimum", "strict-saddle", "non-strict-saddle")
               for cp in nondeg), [(cp.candidate.label, cp.kind) for cp in nondeg]
    # keeping the top singular value (3) is the global minimum, value 1/2; keeping 1: 9/2
    values = {cp.result.value: cp.kind.value for cp in nondeg}
    assert values[Fraction(1, 2)] == "global-minimum" and values[Fraction(9, 2)] == "strict-saddle"


# --- the multilayer entry: each assumption held and failed -----------------------------------------
BASE = {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[1, 0], [0, 1]], "loss": "square"}


def _held(**change):
    return {a.name: a.holds for a in MULTI.check_assumptions(problem_from_dict({**BASE, **change}))}


def test_every_assumption_holds_on_the_square_loss_without_bottleneck():
    assert set(_held().values()) == {True}


@pytest.mark.parametrize("change, failing", [
    (dict(widths=[2, 1, 2]), "min hidden width >= min(d_0, d_H)"),
    (dict(weight_decay="1/10"), "weight_decay = 0"),
    # a separable l whose R_1_0 term t^4/4 + t^3/3 - t^2 (l' = t (t - 1) (t + 2)) has the local
    # minimum t = 1 (value -5/12) above the global t = -2 (value -8/3)
    (dict(loss={"name": "custom", "over": "product",
                "expression": "R_0_0**2 + R_0_1**2 + R_1_1**2 + R_1_0**4/4 + R_1_0**3/3 - R_1_0**2"}),
     "every local minimum of l is global"),
])
def test_each_assumption_can_fail(change, failing):
    held = _held(**change)
    assert held[failing] is False, held
    assert all(v is True for k, v in held.items() if k != failing), held


def test_the_family_assumption_fails_off_the_deep_linear_family():
    p = problem_from_dict({"family": "symmetric-factorization", "shape": [2, 2],
                           "Y": [[1, 0], [0, 1]], "loss": "square"})
    (fam,) = MULTI.check_assumptions(p)
    assert fam.name == "family = deep-linear" and fam.holds is False


def test_bottleneck_dropped_a_spurious_minimum_where_mu_is_open_contradicts():
    cert = json.loads((CATALOG / "laurent_vonbrecht2018-bottleneck-spurious-local-minimum.json").read_text())
    assert check_certificate(cert).holds
    problem = problem_from_dict(cert["problem"])
    r = check_theorem(MULTI, problem, CheckBudget(starts=1), Point.of(problem, cert["point"]["weights"]))
    assert not r.applies
    given = next(q for q in r.conclusion.points if q.label == "the given point")
    assert given.kind == "spurious-local-minimum" and given.verdict.value == "contradicts"
    assert "locally open here" in given.note


def test_catalog_point_is_spurious_where_mu_is_not_open_consistent_with_the_statement():
    name = "nouiehed_razaviyayn2018-multilayer-nonconvex-not-open-spurious-local-minimum.json"
    cert = json.loads((CATALOG / name).read_text())
    problem = problem_from_dict(cert["problem"])
    r = check_theorem(MULTI, problem, CheckBudget(starts=1), Point.of(problem, cert["point"]["weights"]))
    assert r.applies
    # classify alone cannot certify this point (second order cannot see it: catalog README);
    # the catalog's Gram-identity certificate does, and mu is not open there
    assert check_certificate(cert).holds and cert["claim"] == "spurious-local-minimum"
    W1, W2 = (flint.fmpq_mat([[flint.fmpq(x) for x in row] for row in M])
              for M in cert["point"]["weights"])
    assert decide_chain([W1, W2]).verdict.value == "not-open"
    assert r.conclusion.status is not ConclusionStatus.FAILS_ON_INSTANCE
