"""'Every local minimum of l is global', decided exactly for separable polynomial losses.

Known answers by hand (theorems/separable.py gives the argument)."""
from __future__ import annotations

import flint
import pytest
from hypothesis import given, settings, strategies as st

from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.theorems.separable import decide_local_minima_global, univariate_local_minima

Q = flint.fmpq


def decide(expr, over="product"):
    return decide_local_minima_global(CustomLoss(expr, over_=over))


@pytest.mark.parametrize("expr, holds", [
    # the catalog's non-convex loss: P21 = +-1 are the minima of (P21^2 - 1)^2, both value 0
    ("R_0_0**2 + R_0_1**2 + R_1_1**2 + (R_1_0**2 - 1)**2", True),
    # w^3 - 3w: local minimum at w = 1 (value -2), unbounded below
    ("R_0_0**3 - 3*R_0_0", False),
    # (w^2 - 1)^2 + w/2: p' = 4w^3 - 4w + 1/2 has three irrational roots -> undecided
    ("(R_0_0**2 - 1)**2 + R_0_0/2", None),
    # tilted double well with rational critical points: p = 3w^4 - 4w^3 - 12w^2,
    # p' = 12 w (w - 2)(w + 1): minima w = -1 (value -5) and w = 2 (value -32)
    ("3*R_0_0**4 - 4*R_0_0**3 - 12*R_0_0**2", False),
    # the same well plus an entry without local minimum: l has no local minimum at all
    ("3*R_0_0**4 - 4*R_0_0**3 - 12*R_0_0**2 + R_0_1**3", True),
    # not separable
    ("R_0_0*R_0_1", None),
    # residual loss, translation of the catalog loss
    ("(r_0_0**2 - 1)**2", True),
    # a constant loss: every point is a global minimum
    ("7", True),
])
def test_known_answers(expr, holds):
    got, detail = decide(expr, "residual" if "r_" in expr else "product")
    assert got is holds, detail


def test_univariate_minima_exact():
    # p = 3w^4 - 4w^3 - 12w^2: minima at -1 and 2, values -5 and -32; bounded below
    p = flint.fmpq_poly([0, 0, -12, -4, 3])
    minima, bounded = univariate_local_minima(p)
    assert minima == [(Q(-1), Q(-5)), (Q(2), Q(-32))] and bounded
    # w^3: an inflection at 0, no local minimum, unbounded
    assert univariate_local_minima(flint.fmpq_poly([0, 0, 0, 1])) == ([], False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=2, max_size=4))
def test_product_of_rational_roots_property(roots):
    """p' = c prod (w - r_i): the decision agrees with brute-force comparison of the values."""
    dp = flint.fmpq_poly([1])
    for r in roots:
        dp *= flint.fmpq_poly([-r, 1])
    p = dp.integral()
    minima, bounded = univariate_local_minima(p)
    # brute force: sign of p' just left and right of each distinct root
    eps = Q(1, 1000)
    brute = sorted((Q(r), p(Q(r))) for r in set(roots) if dp(Q(r) - eps) < 0 < dp(Q(r) + eps))
    assert minima == brute
    assert bounded == (p.degree() % 2 == 0 and p.coeffs()[-1] > 0)
