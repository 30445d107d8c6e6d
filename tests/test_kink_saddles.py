"""Saddles at l1 kinks (checker.py, non-strict-saddle with evidence ``kink``): 0 in the Clarke
subdifferential by an exact multiplier, an exactly expanded descent curve and an ascent curve."""
from __future__ import annotations

import copy

import pytest

from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.produce.explain import explain_certificate
from landscape_proofs.produce.kinds import Kind

# X = [1 1 1], Y = [0 1 5]: L(a, b) = |R| + |R - 1| + |R - 5| with R = ab (+ decay).
# At the origin R = 0 is a kink of |R|; for small R > 0, L = R + (1 - R) + (5 - R) = 6 - R, for
# R < 0, L = 6 - 3R.  So along a = b = t, L = 6 - t^2 (descent), along a = t, b = -t,
# L = 6 + 3t^2 (ascent).  Clarke: dL = S . (b, a) = 0 at the origin for every S.
SCALAR = {"family": "deep-linear", "widths": [1, 1, 1], "X": [[1, 1, 1]], "Y": [[0, 1, 5]],
          "loss": "l1"}
ORIGIN = [[[0]], [[0]]]
GOOD = {"type": "kink", "multiplier": [[-1, -1, -1]], "curve": [[[[1]], [[1]]]],
        "ascent_curve": [[[[1]], [[-1]]]]}


def cert(problem, weights, evidence, claim="non-strict-saddle"):
    p = problem_from_dict(problem)
    pt = point_from_dict({"weights": weights}, p)
    value = exact_objective(p).value(exact_weights(pt))
    return Certificate(claim=claim, problem=p, point=pt, value=value,
                       evidence=copy.deepcopy(evidence), method="test").to_json()


def _classify(problem, weights):
    p = problem_from_dict(problem)
    return classify(p, point_from_dict({"weights": weights}, p))


def test_the_hand_derived_kink_saddle_holds_and_classify_finds_it():
    res = check_certificate(cert(SCALAR, ORIGIN, GOOD))
    assert res.holds, res.reason
    assert "-1 t^2" in res.reason and "3 t^2" in res.reason     # 6 - t^2 and 6 + 3 t^2
    r = _classify(SCALAR, ORIGIN)
    assert r.kind is Kind.NON_STRICT_SADDLE and r.value == 6
    assert check_certificate(r.certificate.to_json()).holds
    text = explain_certificate(r.certificate.to_json())
    assert "Clarke" in text and "gradient is exactly zero" not in text


@pytest.mark.parametrize("change, why", [
    (lambda ev: ev.update(multiplier=[[2, -1, -1]]), "outside [-1, 1]"),     # |s| <= 1 at the kink
    (lambda ev: ev.update(multiplier=[[0, 1, -1]]), "sign"),                 # E_12 = -1 < 0
    (lambda ev: ev.update(curve=[[[[1]], [[-1]]]]), "not negative"),         # that one ascends
    (lambda ev: ev.update(ascent_curve=[[[[1]], [[1]]]]), "not positive"),   # that one descends
    (lambda ev: (ev.pop("ascent_curve"), ev.update(ascent_direction=[[[1]], [[-1]]])),
     "ascent_curve"),        # no Hessian at a kink: a direction's t^2 coefficient proves nothing
])
def test_tampered_kink_evidence_is_rejected(change, why):
    ev = copy.deepcopy(GOOD)
    change(ev)
    res = check_certificate(cert(SCALAR, ORIGIN, ev))
    assert not res.holds and why in res.reason, res.reason


def test_a_point_that_is_not_clarke_critical_is_rejected():
    # (a, b) = (1, 0): R = 0, dL/dR = s - 2 with s in [-1, 1] the kink's multiplier, so
    # dL/db = a (s - 2) != 0 for every admissible s: no multiplier makes it critical.
    for s in (-1, 0, 1):
        ev = dict(GOOD, multiplier=[[s, -1, -1]])
        res = check_certificate(cert(SCALAR, [[[1]], [[0]]], ev))
        assert not res.holds and "Clarke" in res.reason
    assert _classify(SCALAR, [[[1]], [[0]]]).kind is Kind.NOT_CRITICAL


def test_weight_decay_below_one_keeps_the_saddle_and_one_makes_it_global():
    # decay 1/2: along a = b = t, L = 6 - t^2 + t^2/2 = 6 - t^2/2 (still a saddle).
    # decay 1: a^2/2 + b^2/2 >= |R|, and l(R) + |R| >= 6 for every R (6 on [0, 1], 2R + 4 on
    # [1, 5], 4R - 6 beyond, 6 - 4R below 0), so the origin (value 6) is global.
    r = _classify(dict(SCALAR, weight_decay="1/2"), ORIGIN)
    assert r.kind is Kind.NON_STRICT_SADDLE
    assert "-1/2 t^2" in r.reason
    assert _classify(dict(SCALAR, weight_decay=1), ORIGIN).kind is Kind.GLOBAL_MINIMUM


def test_depth_three_descends_at_odd_order():
    # R = abc: along a = b = c = t, L = 6 - t^3; the ascent flips c: 6 + 3 t^3
    deep = dict(SCALAR, widths=[1, 1, 1, 1])
    r = _classify(deep, [[[0]], [[0]], [[0]]])
    assert r.kind is Kind.NON_STRICT_SADDLE
    assert "t^3" in r.reason
    assert check_certificate(r.certificate.to_json()).holds
