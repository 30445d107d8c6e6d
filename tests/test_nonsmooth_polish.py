"""l1 loss: runs that stall at kinks are polished by smoothing continuation (search/nonsmooth.py)
so that the exact routes reach the least-absolute-deviations vertex."""
from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import numpy as np

from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.numeric.views import float64_objective
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.search import nonsmooth
from landscape_proofs.search.multistart import SearchConfig, search

X = [[0, -3, 0, -3, 2], [3, 3, 1, 3, -1]]
Y = [[-2, 0, 0, 1, 3], [-2, 2, -3, -1, 2]]
PROBLEM = {"family": "deep-linear", "widths": [2, 2, 2], "X": X, "Y": Y, "loss": "l1"}


def _lad_optimum(X, Y) -> Fraction:
    """min over R of sum |R X - Y| by brute force over vertices: each row of R is fitted
    exactly through 2 samples (an optimal basic solution of the LP has 2 zero residuals per
    row when X has rank 2), in exact arithmetic."""
    n = len(X[0])
    total = Fraction(0)
    for y in Y:
        best = None
        for i, j in combinations(range(n), 2):
            a, b, c, d = (Fraction(X[0][i]), Fraction(X[1][i]), Fraction(X[0][j]),
                          Fraction(X[1][j]))
            det = a * d - b * c
            if det == 0:
                continue
            # r (2,) with r . x_i = y_i, r . x_j = y_j
            r0 = (y[i] * d - y[j] * b) / det
            r1 = (a * y[j] - c * y[i]) / det
            v = sum(abs(r0 * X[0][k] + r1 * X[1][k] - y[k]) for k in range(n))
            best = v if best is None else min(best, v)
        total += best
    return total


def test_search_reaches_and_certifies_the_least_absolute_deviations_optimum():
    opt = _lad_optimum(X, Y)
    assert opt == Fraction(38, 3)            # 16/3 + 22/3, the two rows' fits
    report = search(problem_from_dict(PROBLEM), SearchConfig(starts=12, seed=0))
    assert report.groups and all(g.certified for g in report.groups)
    assert {g.kind for g in report.groups} == {Kind.GLOBAL_MINIMUM}
    assert {g.value for g in report.groups} == {opt}


def test_without_the_polish_the_runs_stall_above_the_optimum(monkeypatch):
    monkeypatch.setattr(nonsmooth, "polish", lambda problem, obj, x, val, runs, deadline=None:
                        (x, val, 0))
    report = search(problem_from_dict(PROBLEM), SearchConfig(starts=12, seed=0))
    assert not any(g.certified for g in report.groups)
    assert min(o.value for o in report.outcomes) > 38 / 3 + 0.1


def test_the_polish_never_raises_the_l1_value_and_lowers_it_from_random_points():
    p = problem_from_dict(PROBLEM)
    obj = float64_objective(p)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, p.n_params))
    val = obj.value(obj.unflatten(x))
    x2, val2, n = nonsmooth.polish(p, obj, x, val, np.arange(6))
    assert np.all(val2 <= val)
    assert np.allclose(obj.value(obj.unflatten(x2)), val2)
    assert n >= 1 and np.min(val2) < 38 / 3 + 1e-6
