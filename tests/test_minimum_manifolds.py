"""Minimum sets larger than the symmetry orbit: ``Y = I`` (or ``c I``) with a bottleneck.

The minima of ``1/2 ||W_2 W_1 - I||^2`` with widths ``[2, 1, 2]`` are the products ``q q^T`` for
every unit vector ``q`` (Eckart-Young with a tie: value ``1/2``), a circle of products that no
gauge (``GL(1)``) relates.  The runs of a search end at irrational points of it; no entrywise
snap is rational and no enclosure isolates a root, so every group used to be
``inconclusive``.  The search now proposes the rational points of these sets
(``search/snap.py``: the least-squares product projected onto a snapped column space, rational
points of spheres, Cayley transforms), and the kernel decides each exactly."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from landscape_proofs.api import classify
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.search.snap import on_sphere, rational_orthogonal


@pytest.mark.parametrize("target, c", [
    ([0.6000001, 0.7999999], Fraction(1)),
    ([np.cos(1.0), np.sin(1.0)], Fraction(1)),
    ([1.2, -0.4, np.sqrt(1 - 1.44 - 0.16 + 1)], Fraction(1)),     # |t|^2 = 1 + small
    ([np.sqrt(2) * np.cos(0.3), np.sqrt(2) * np.sin(0.3)], Fraction(2)),   # base (1, 1)
    ([1.0, 1.0, 1.0], Fraction(3)),                               # base (1, 1, 1)
])
def test_rational_points_of_spheres_are_exact_and_near(target, c):
    t = np.array(target, dtype=float)
    t *= np.sqrt(float(c)) / np.linalg.norm(t)
    p = on_sphere(t, c, 1e-10)
    assert p is not None and sum(v * v for v in p) == c            # exactly on the sphere
    assert np.max(np.abs(np.array([float(v) for v in p]) - t)) < 1e-8


def test_a_sphere_without_rational_points_gives_none():
    # x^2 + y^2 = 3 has no rational point (3 is a prime = 3 mod 4 to an odd power)
    assert on_sphere(np.array([1.0, np.sqrt(2.0)]), Fraction(3), 1e-10) is None


def test_rational_orthogonal_matrices_by_cayley():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    if np.linalg.det(Q) < 0:
        Q[:, 0] *= -1
    O = rational_orthogonal(Q, 1e-10)
    n = O.nrows()
    assert O.transpose() * O == type(O)(n, n, [int(i == j) for i in range(n) for j in range(n)])
    assert max(abs(float(O[i, j]) - Q[i, j]) for i in range(n) for j in range(n)) < 1e-8
    # an eigenvalue -1 (a rotation by pi): the Cayley transform does not exist
    assert rational_orthogonal(np.diag([-1.0, -1.0, 1.0]), 1e-10) is None


# value by hand: Y = c I_n, rank <= k: keep k eigenvalues c, drop n - k, value (n - k) c^2 / 2;
# with a scalar decay lam on two layers (widths [2, 1, 2], Y = I): R = sigma q q^T,
# 1/2 (sigma - 1)^2 + 1/2 + lam sigma, least at sigma = 1 - lam: lam = 3/4 gives sigma = 1/4
# (balanced factors s = 1/2) and 9/32 + 1/2 + 3/16 = 31/32 (the nuclear-norm bound agrees)
CASES = [
    ({"family": "deep-linear", "widths": [2, 1, 2], "Y": [[1, 0], [0, 1]], "loss": "square"},
     Fraction(1, 2)),
    ({"family": "deep-linear", "widths": [3, 2, 3], "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
      "loss": "square"}, Fraction(1, 2)),
    ({"family": "deep-linear", "widths": [2, 1, 1, 2], "X": [[1, 0], [1, 1]],
      "Y": [[1, 0], [0, 1]], "loss": "square"}, Fraction(1, 2)),       # ties after whitening
    ({"family": "deep-linear", "widths": [3, 1, 3], "Y": [[2, 0, 0], [0, 2, 0], [0, 0, 1]],
      "loss": "square"}, Fraction(5, 2)),                             # keep one of the 2s
    ({"family": "deep-linear", "widths": [2, 1, 2], "Y": [[1, 0], [0, 1]], "loss": "square",
      "weight_decay": "3/4"}, Fraction(31, 32)),
    ({"family": "multi-tower", "towers": [[3, 1, 3], [3, 1, 3]],
      "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "loss": "square"}, Fraction(1, 2)),  # rank 1 + 1
    ({"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, 1]],
      "loss": "square"}, Fraction(1, 2)),
    ({"family": "symmetric-factorization", "shape": [2, 1], "Y": [[2, 0], [0, 2]],
      "loss": "square"}, Fraction(2)),                                # |u|^2 = 2: base (1, 1)
    ({"family": "symmetric-factorization", "shape": [3, 2], "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
      "loss": "square"}, Fraction(1, 2)),                             # rank-2 projections
]


@pytest.mark.parametrize("problem, optimum", CASES)
def test_search_certifies_every_run_on_a_manifold_of_minima(problem, optimum):
    r = search(problem_from_dict(problem), SearchConfig(starts=8, seed=3))
    assert r.groups and all(g.certified for g in r.groups), [g.reason for g in r.groups]
    low = [g for g in r.groups if g.kind is Kind.GLOBAL_MINIMUM]
    assert low and all(g.value == optimum for g in low)
    assert r.global_value.value == optimum
    for g in low:
        assert check_certificate(g.certificate).holds


def test_classify_refine_on_the_circle_of_minima():
    problem = CASES[0][0]
    r = classify(problem, {"weights": [[["0.7071", "0.7071"]], [["0.7071"], ["0.7071"]]]},
                 refine=True)
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(1, 2), r.reason
    assert any("an exact critical point near the given one" in n for n in r.raw.notes)
