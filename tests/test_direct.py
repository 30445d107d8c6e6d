"""The direct rank test of square-loss critical points (theorems/direct.py).

Known answers derived by hand (docs/examples.md), then property tests: on random exact
critical points with varied partial-product ranks (tests/_critical_point_builders.py) the
direct test agrees with the exact Hessian inertia (strict saddle iff a negative eigenvalue)
and with `classify`; every certificate it builds is re-verified by the checker from JSON text.
"""
from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _critical_point_builders import random_critical_point
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.classify import Budget, classify
from landscape_proofs.kernel.linalg import inertia
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import loads_exact, problem_from_dict
from landscape_proofs.theorems.direct import decide_square_critical_point


def problem(**kw):
    return problem_from_dict({"family": "deep-linear", **kw})


def decide(p, weights):
    return decide_square_critical_point(p, Point.of(p, weights))


def assert_certificate_valid(dec):
    assert dec.certificate is not None
    data = loads_exact(json.dumps(dec.certificate.to_json()))
    res = check_certificate(data)
    assert res.valid, res.reason
    assert res.claim == dec.kind.value


DIAG27 = problem(widths=[2, 2, 2, 2], Y=[[27, 0], [0, 1]], loss="square")


def test_diag27_tight_factorization_is_non_strict():
    # W_i = diag(3, 0): product diag(27, 0) is the best rank-1 fit (r = 1 < r_max = 2); the only
    # pair with Gamma != 0 is (j, k) = (1, 3) (Gamma = G = diag(0, -1)), and there
    # rank(W_2) = 1 = rank(W_3 W_2) = rank(W_2 W_1): no rank drop, so PSD Hessian.
    d = [[3, 0], [0, 0]]
    dec = decide(DIAG27, [d, d, d])
    assert dec.applies and dec.kind is Kind.NON_STRICT_SADDLE and dec.reconstructed
    assert dec.product_rank == 1 and dec.max_rank == 2


def test_diag27_padded_factorization_is_strict_with_certificate():
    # W_1 = diag(1,0), W_2 = I, W_3 = diag(27,0): for (j, k) = (1, 3), rank(M_31) = rank(W_2) = 2
    # but rank(W_3 W_2) = 1: z = e2 is in ker(W_3 W_2) with W_2 z != 0 -> negative curvature.
    dec = decide(DIAG27, [[[1, 0], [0, 0]], [[1, 0], [0, 1]], [[27, 0], [0, 0]]])
    assert dec.kind is Kind.STRICT_SADDLE
    assert (dec.witness.j, dec.witness.k) == (1, 3)
    assert dec.witness.rank_middle == 2 and dec.witness.rank_above == 1
    assert_certificate_valid(dec)


def test_global_minimum_by_exact_optimum():
    dec = decide(DIAG27, [[[3, 0], [0, 1]]] * 3)
    assert dec.kind is Kind.GLOBAL_MINIMUM
    assert_certificate_valid(dec)


def test_wrong_direction_is_strict():
    # keep the eigenvalue 1 instead of 729: value 729/2 > the rank-1 optimum 1/2
    dec = decide(DIAG27, [[[0, 0], [0, 1]]] * 3)
    assert dec.kind is Kind.STRICT_SADDLE and "exceeds the optimum over rank <= 1" in dec.reason
    assert_certificate_valid(dec)


def test_baldi_hornik_313():
    p = problem(widths=[3, 1, 3], Y=[[5, 0, 0], [0, 3, 0], [0, 0, 1]], loss="square")
    assert decide(p, [[[1, 0, 0]], [[5], [0], [0]]]).kind is Kind.GLOBAL_MINIMUM
    for w in ([[[0, 1, 0]], [[0], [3], [0]]], [[[0, 0, 1]], [[0], [0], [1]]],
              [[[0, 0, 0]], [[0], [0], [0]]]):
        dec = decide(p, w)
        assert dec.kind is Kind.STRICT_SADDLE
        assert_certificate_valid(dec)


def test_scalar_chains():
    ab = problem(widths=[1, 1, 1], Y=[[1]], loss="square")
    assert decide(ab, [[[0]], [[0]]]).kind is Kind.STRICT_SADDLE     # Hessian [[0,-1],[-1,0]]
    abc = problem(widths=[1, 1, 1, 1], Y=[[1]], loss="square")
    assert decide(abc, [[[0]], [[0]], [[0]]]).kind is Kind.NON_STRICT_SADDLE  # zero Hessian


def test_does_not_apply_names_the_failing_part():
    l1 = problem(widths=[1, 1, 1], X=[[1, 3]], Y=[[1, 6]], loss="l1")
    dec = decide(l1, [[[1]], [[1]]])
    assert not dec.applies and dec.kind is None
    assert dec.reason.startswith("does not apply: assumption loss = square fails")
    dec = decide(DIAG27, [[[1, 0], [0, 0]]] * 3)   # product diag(1, 0): gradient != 0
    assert not dec.applies
    assert "the point is critical fails" in dec.reason
    rank1 = problem(widths=[2, 2, 2], X=[[1, 2], [2, 4]], Y=[[1, 0], [0, 1]], loss="square")
    dec = decide(rank1, [[[0, 0], [0, 0]]] * 2)
    assert dec.reason == "does not apply: assumption rank(X) = d_0 fails: rank(X) = 1, need 2"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_direct_agrees_with_exact_inertia(seed):
    p, pt, _ = random_critical_point(random.Random(seed))
    obj = exact_objective(p)
    W = exact_weights(pt)
    assert all(x == 0 for x in obj.gradient_vector(W))  # the builder makes critical points
    dec = decide_square_critical_point(p, pt)
    assert dec.applies and dec.kind is not None
    negative = inertia(obj.hessian(W)).negative
    assert (dec.kind is Kind.STRICT_SADDLE) == (negative > 0), (dec.reason, negative)
    if dec.kind in (Kind.GLOBAL_MINIMUM, Kind.STRICT_SADDLE):
        assert_certificate_valid(dec)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_direct_agrees_with_classify(seed):
    p, pt, _ = random_critical_point(random.Random(seed), max_dim=3, max_depth=3)
    dec = decide_square_critical_point(p, pt, certify=False)
    res = classify(p, pt, Budget(curve_candidates=80, better_point_starts=2, descent_steps=50))
    assert res.kind in (dec.kind, Kind.INCONCLUSIVE), (dec.kind, res.kind, res.reason)
    if res.kind is Kind.INCONCLUSIVE:  # only a non-strict saddle can leave classify undecided
        assert dec.kind is Kind.NON_STRICT_SADDLE
