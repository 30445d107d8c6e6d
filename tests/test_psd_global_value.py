"""The exact global value of ``1/2 ||U U^T - Y||^2`` when the symmetric part of Y is
positive semidefinite of rank <= k (hand-derived cases; search/multistart.py)."""
from fractions import Fraction

import numpy as np
import pytest

from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.search.multistart import (global_value, psd_square_optimum_approx,
                                               psd_square_optimum_exact)


def _problem(Y, shape):
    return problem_from_dict({"family": "symmetric-factorization", "shape": shape, "Y": Y,
                              "loss": "square"})


B = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 2], [2, 0, 2]])    # rank 2: column 3 = 1 + 2


def test_rank_deficient_target_has_exact_value_zero():
    P = _problem((B @ B.T).tolist(), [4, 3])
    assert psd_square_optimum_exact(P) == 0
    gv = global_value(P)
    assert gv.value == 0 and "exact" in gv.source
    # U = B reaches it: B B^T - Y = 0
    assert np.all(B @ B.T - np.array(P.Y, dtype=float) == 0)


def test_antisymmetric_part_is_what_is_left():
    # S = 2 I (PSD, rank 2 <= k = 2), A = [[0, 1], [-1, 0]]: 1/2 ||A||^2 = 1
    P = _problem([[2, 1], [-1, 2]], [2, 2])
    assert psd_square_optimum_exact(P) == Fraction(1)
    assert psd_square_optimum_approx(P) == pytest.approx(1.0)


@pytest.mark.parametrize("Y, shape, approx", [
    ([[2, 1], [-1, 2]], [2, 1], 3.0),     # rank 2 > k = 1: 1/2 * 2^2 + 1 (irrational cases too)
    ([[1, 0], [0, -1]], [2, 2], 0.5),     # a negative eigenvalue: 1/2 * (-1)^2
])
def test_no_exact_value_outside_the_psd_rank_k_case(Y, shape, approx):
    P = _problem(Y, shape)
    assert psd_square_optimum_exact(P) is None
    gv = global_value(P)
    assert gv.value is None and gv.approx == pytest.approx(approx)


def test_exact_value_matches_a_float_descent():
    # a factor of rank 2 padded to k = 3 columns plus an antisymmetric part K:
    # the exact value is 1/2 ||K||^2 and no descent goes below it
    rng = np.random.default_rng(3)
    C = rng.integers(-2, 3, size=(4, 2))
    K = np.array([[0, 1, 0, -2], [-1, 0, 3, 0], [0, -3, 0, 1], [2, 0, -1, 0]])
    P = _problem((C @ C.T + K).tolist(), [4, 3])
    exact = psd_square_optimum_exact(P)
    assert exact == Fraction(int(np.sum(K ** 2)), 2)
    U = rng.standard_normal((4, 3))
    Yf = np.array(P.Y, dtype=float)
    S = (Yf + Yf.T) / 2
    for _ in range(4000):
        U -= 0.01 * 2 * (U @ U.T - S) @ U
    value = 0.5 * np.sum((U @ U.T - Yf) ** 2)
    assert float(exact) - 1e-9 <= value < float(exact) + 1e-3
