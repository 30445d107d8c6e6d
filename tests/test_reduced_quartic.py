"""Degenerate saddles that no straight line shows: the reduced quartic along a parabola.

At a critical point with a singular PSD Hessian ``H``, a kernel direction ``d`` with no cubic
term and ``w`` minimising ``f4(d)/24 + g.w + 1/2 w^T H w`` (``g = [s^2] grad L(W + s d)``) give the
curve ``W + t d + t^2 w``.  Hand derivation for ``L = (x - a y^2)(x - b y^2)``, ``0 < a < b``, at
the origin: ``H = diag(2, 0)``, ``d = (0, 1)``, ``f4/24 = ab``, ``g = (-(a + b), 0)``, so
``w = ((a + b)/2, 0)`` and the t^4-coefficient is ``ab - (a + b)^2/2 + (a + b)^2/4 = -(b - a)^2/4``:
a saddle though every line through 0 rises (Peano's example, a = 1, b = 2: ``-1/4``).
"""
from __future__ import annotations

import copy
from fractions import Fraction

import pytest

import landscape_proofs as lp
from landscape_proofs.kernel import check_certificate


def problem(a, b):
    return {"family": "deep-linear", "widths": [1, 2],
            "loss": {"name": "custom", "over": "product",
                     "expression": f"(R_0_0 - {a}*R_1_0**2)*(R_0_0 - {b}*R_1_0**2)"}}


ORIGIN = {"weights": [[[0], [0]]]}


@pytest.mark.parametrize("a, b", [(1, 2), (1, 3), (Fraction(1, 2), 5)])
def test_peano_type_origins_are_saddles_with_the_hand_derived_curve(a, b):
    res = lp.classify(problem(a, b), ORIGIN)
    assert res.kind == "non-strict-saddle"
    cert = res.certificate.to_json()
    assert check_certificate(cert).holds
    d, w = cert["evidence"]["curve"]
    assert d in ([[[0], [1]]], [[[0], [-1]]])
    assert Fraction(w[0][0][0]) == Fraction(a + b) / 2 and Fraction(w[0][1][0]) == 0
    assert f"-{Fraction((b - a) ** 2, 4)} t^4" in check_certificate(cert).reason


def test_a_wrong_parabola_is_rejected_by_the_kernel():
    cert = lp.classify(problem(1, 2), ORIGIN).certificate.to_json()
    for x in ("1/2", "1", "2", "5"):         # (c - 1)(c - 2) >= 0 off (1, 2): no descent
        bad = copy.deepcopy(cert)
        bad["evidence"]["curve"][1] = [[[x], [0]]]
        assert not check_certificate(bad).holds


def test_a_positive_reduced_quartic_gives_no_curve():
    # (x - y^2)^2 + y^4: along the best parabola x = t^2 the loss is t^4 > 0; it is a global
    # minimum (a sum of squares), never a saddle
    data = {"family": "deep-linear", "widths": [1, 2],
            "loss": {"name": "custom", "over": "product",
                     "expression": "(R_0_0 - R_1_0**2)**2 + R_1_0**4"}}
    res = lp.classify(data, ORIGIN)
    assert res.kind in ("global-minimum", "local-minimum", "inconclusive")
    assert res.kind != "non-strict-saddle"
