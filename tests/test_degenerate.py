"""Degenerate critical points (singular Hessian) decided by higher-order terms.

The certificates are ``sos-local`` sums of squares in y = x - x0 (kernel/sos.py), possibly on
a ball |y|^2 <= rho^2; every case below is derived by hand, and the hand-built certificates
are checked by the kernel whether or not cvxpy is installed.
"""
from __future__ import annotations

import copy

import pytest

from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.produce import sos

needs_cvxpy = pytest.mark.skipif(not sos.available(), reason="cvxpy (extra sos) not installed")
SEXTIC = "R_0_0**4 - R_0_0**6"
MOTZKIN = "R_0_0**4*R_0_1**2 + R_0_0**2*R_0_1**4 - 3*R_0_0**2*R_0_1**2 + 1"


def setup(expr, weights, widths, over="product", **extra):
    p = problem_from_dict({"family": "deep-linear", "widths": list(widths), **extra,
                           "loss": {"name": "custom", "expression": expr, "over": over}})
    return p, point_from_dict({"weights": weights}, p)


def certificate(p, pt, evidence, claim):
    value = exact_objective(p).value(exact_weights(pt))
    return Certificate(claim=claim, problem=p, point=pt, value=value,
                       evidence=copy.deepcopy(evidence), method="test").to_json()


# (ab)^4 - (ab)^6 at the origin, on |y|^2 <= 1 (y = (a, b)):
#   a^4 b^4 - a^6 b^6 = a^4 b^4 (3/4 + (a^2 - b^2)^2 / 4) + (1 - a^2 - b^2) a^4 b^4 (1 + a^2 + b^2) / 4
# since (a^2 - b^2)^2 - (a^2 + b^2)^2 = -4 a^2 b^2.  Bases: (a^2 b^2, a^4 b^2, a^2 b^4) with
# Q = diag(3/4, 0, 0) + 1/4 (0, 1, -1)(0, 1, -1)^T, and (a^2 b^2, a^3 b^2, a^2 b^3) with P = I/4.
SEXTIC_LOCAL = {
    "type": "sos-local", "multiplier_degree": 0,
    "basis": [[[0, 2], [1, 2]], [[0, 4], [1, 2]], [[0, 2], [1, 4]]],
    "gram": [["3/4", 0, 0], [0, "1/4", "-1/4"], [0, "-1/4", "1/4"]],
    "ball": {"radius_squared": 1, "basis": [[[0, 2], [1, 2]], [[0, 3], [1, 2]], [[0, 2], [1, 3]]],
             "gram": [["1/4", 0, 0], [0, "1/4", 0], [0, 0, "1/4"]]},
}


def sextic_cert(evidence=SEXTIC_LOCAL, claim="local-minimum"):
    p, pt = setup(SEXTIC, [[[0]], [[0]]], (1, 1, 1))
    return certificate(p, pt, evidence, claim)


def test_the_hand_built_sextic_certificate_proves_a_local_minimum():
    res = check_certificate(sextic_cert())
    assert res.holds, res.reason
    assert "near the point" in res.reason and "|y|^2 <= 1" in res.reason


@pytest.mark.parametrize("mutate, words", [
    (lambda ev: ev["ball"].__setitem__("radius_squared", 0), "not > 0"),
    (lambda ev: ev["ball"].__setitem__("radius_squared", 2), "identity"),
    (lambda ev: ev["ball"]["gram"][1].__setitem__(1, "-1/4"), "not positive semidefinite"),
    (lambda ev: ev.pop("ball"), "identity"),              # (ab)^4 - (ab)^6 is not SOS globally
    (lambda ev: ev.__setitem__("type", "sos-lower-bound"), "unknown evidence type"),
])
def test_tampered_local_certificates_are_rejected(mutate, words):
    ev = copy.deepcopy(SEXTIC_LOCAL)
    mutate(ev)
    res = check_certificate(sextic_cert(ev))
    assert not res.holds and words in res.reason, res.reason


def test_a_local_minimum_identity_does_not_prove_a_local_maximum():
    res = check_certificate(sextic_cert(claim="local-maximum"))
    assert not res.holds and "identity" in res.reason


def test_a_ball_cannot_prove_a_global_minimum():
    ev = dict(copy.deepcopy(SEXTIC_LOCAL), type="sos-lower-bound")
    res = check_certificate(sextic_cert(ev, claim="global-minimum"))
    assert not res.holds and "local claim only" in res.reason


def test_motzkin_origin_is_a_local_maximum_by_a_ball_certificate():
    # M(0, 0) = 1 and 1 - M = x^2 y^2 (3 - x^2 - y^2) = 0 + (3 - |y|^2) (x y)^2 on |y|^2 <= 3
    p, pt = setup(MOTZKIN, [[[0, 0]]], (2, 1))
    ev = {"type": "sos-local", "multiplier_degree": 0, "basis": [[]], "gram": [[0]],
          "ball": {"radius_squared": 3, "basis": [[[0, 1], [1, 1]]], "gram": [[1]]}}
    assert check_certificate(certificate(p, pt, ev, "local-maximum")).holds
    assert not check_certificate(certificate(p, pt, ev, "local-minimum")).holds
    ev["ball"]["radius_squared"] = 4          # 4 - |y|^2 leaves x^2 y^2 over: not the identity
    assert not check_certificate(certificate(p, pt, ev, "local-maximum")).holds


# --- classification (cvxpy) ----------------------------------------------------------------
@needs_cvxpy
def test_flat_sextic_is_a_spurious_local_minimum():
    p, pt = setup(SEXTIC, [[[0]], [[0]]], (1, 1, 1))
    res = classify(p, pt)
    assert res.kind is Kind.SPURIOUS_LOCAL_MINIMUM and res.value == 0
    assert res.inertia == (0, 0, 2)                       # zero Hessian: second order is silent
    ev = res.certificate.evidence
    assert ev["local_minimum"]["type"] == "sos-local" and "ball" in ev["local_minimum"]
    better = [matrix(M) for M in ev["better_point"]]
    obj = exact_objective(p)
    assert obj.value(better) < 0
    assert [[str(x) for x in M.entries()] for M in better] in ([["2"], ["1"]], [["1"], ["2"]])
    assert obj.value(better) == -48                       # (ab)^4 - (ab)^6 at ab = 2
    assert check_certificate(res.certificate.to_json()).holds


@needs_cvxpy
def test_a_zero_hessian_quartic_maximum_is_a_local_maximum():
    # -(r^4) over the residual r = ab - 0: at the origin the Hessian is 0, every line descends
    p, pt = setup("-(r_0_0**4)", [[[0]], [[0]]], (1, 1, 1), over="residual", Y=[[0]])
    res = classify(p, pt)
    assert res.kind is Kind.LOCAL_MAXIMUM and res.inertia == (0, 0, 2)
    assert res.certificate.evidence["type"] == "sos-local"


@needs_cvxpy
def test_a_product_instance_with_a_negative_quartic_form_is_a_local_maximum():
    # widths 1-2-1: R = a1 b1 + a2 b2, L = -R^2 is a negative quartic form of the 4 parameters
    p, pt = setup("-(R_0_0**2)", [[[0], [0]], [[0, 0]]], (1, 2, 1))
    res = classify(p, pt)
    assert res.kind is Kind.LOCAL_MAXIMUM and res.inertia == (0, 0, 4)
    assert check_certificate(res.certificate.to_json()).holds


@needs_cvxpy
def test_motzkin_origin_is_classified_a_local_maximum():
    p, pt = setup(MOTZKIN, [[[0, 0]]], (2, 1))
    res = classify(p, pt)
    assert res.kind is Kind.LOCAL_MAXIMUM and str(res.value) == "1"
    assert res.inertia == (0, 0, 2)


@needs_cvxpy
def test_a_designed_flat_bottomed_minimum_is_spurious():
    # l(a, b) = (a^2 + b^2)^2 - a^6: zero Hessian at 0, positive definite quartic form, so a
    # local minimum; l(2, 0) = 16 - 64 = -48 < 0: not global
    p, pt = setup("(R_0_0**2 + R_0_1**2)**2 - R_0_0**6", [[[0, 0]]], (2, 1))
    res = classify(p, pt)
    assert res.kind is Kind.SPURIOUS_LOCAL_MINIMUM and res.inertia == (0, 0, 2)
    assert res.certificate.evidence["local_minimum"]["type"] == "sos-local"


@needs_cvxpy
def test_a_degenerate_saddle_gets_neither_certificate():
    # (ab)^3: the sign changes along (t, t) and (t, -t); no sum of squares can say otherwise
    p, pt = setup("R_0_0**3", [[[0]], [[0]]], (1, 1, 1))
    obj, W = exact_objective(p), exact_weights(pt)
    for sign in (1, -1):
        assert sos.sos_evidence(obj, W, obj.value(W), sign=sign, local=True) is None
    assert classify(p, pt).kind is Kind.NON_STRICT_SADDLE


def test_above_the_threshold_the_reason_says_higher_order_terms_were_not_tried():
    # 8 parameters (widths 2-2-2): (R_00)^4 - (R_00)^6 at 0 is a local minimum.  Without weight
    # decay the loss argument's entries decide it (tests/test_orbits.py); with a decay on one
    # entry (L is no longer l(E(W))) and above the parameter threshold the sum-of-squares
    # attempt is not made; the answer stays inconclusive with the reason
    p, pt = setup(SEXTIC, [[[0, 0], [0, 0]], [[0, 0], [0, 0]]], (2, 2, 2),
                  weight_decay=[[[0, 0], [0, 1]], [[0, 0], [0, 0]]])
    res = classify(p, pt)
    assert res.kind is Kind.INCONCLUSIVE
    assert "higher-order terms were not tried" in res.reason


@needs_cvxpy
def test_a_singular_negative_semidefinite_hessian_is_decided_a_local_maximum():
    # l(a, b) = -a^2 - b^4 at 0: Hessian diag(-2, 0), inertia (0, 1, 1); second order cannot
    # prove the maximum (b is flat to second order), -(L - 0) = a^2 + (b^2)^2 can
    p, pt = setup("-(R_0_0**2) - R_0_1**4", [[[0, 0]]], (2, 1))
    res = classify(p, pt)
    assert res.kind is Kind.LOCAL_MAXIMUM and res.inertia == (0, 1, 1)
    assert res.certificate.evidence["type"] == "sos-local"


def test_without_cvxpy_the_answer_stays_inconclusive_and_says_why(monkeypatch):
    monkeypatch.setattr(sos, "available", lambda: False)
    p, pt = setup(SEXTIC, [[[0]], [[0]]], (1, 1, 1))
    res = classify(p, pt)
    assert res.kind is Kind.INCONCLUSIVE and res.certificate is None
    assert "cvxpy missing" in res.reason
    assert sos.sos_evidence(exact_objective(p), exact_weights(pt), 0) is None


# Per-entry decay (2 on a, 1/2 on b), widths [1, 1, 1], Y = 1, at the origin:
#   L = 1/2 (ab - 1)^2 + a^2 + b^2/4,  L - 1/2 = (a - b/2)^2 + 1/2 a^2 b^2 >= 0 everywhere,
# Hessian [[2, -1], [-1, 1/2]] singular: a degenerate point whose sum of squares (in y = x - 0,
# no ball) is an identity for every y, so the point is a *global* minimum.
FLAT_DECAY = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square",
              "weight_decay": [[[2]], [["1/2"]]]}
# basis (a, b, ab): Q = [[1, -1/2, 0], [-1/2, 1/4, 0], [0, 0, 1/2]]
FLAT_GLOBAL = {"type": "sos-local", "multiplier_degree": 0,
               "basis": [[[0, 1]], [[1, 1]], [[0, 1], [1, 1]]],
               "gram": [[1, "-1/2", 0], ["-1/2", "1/4", 0], [0, 0, "1/2"]]}


def test_a_ballless_local_sum_of_squares_proves_a_global_minimum():
    p = problem_from_dict(FLAT_DECAY)
    pt = point_from_dict({"weights": [[[0]], [[0]]]}, p)
    cert = certificate(p, pt, FLAT_GLOBAL, "global-minimum")
    res = check_certificate(cert)
    assert res.holds, res.reason
    assert "everywhere: a global minimum" in res.reason
    bad = copy.deepcopy(cert)                 # a ball makes it local only
    bad["evidence"]["ball"] = SEXTIC_LOCAL["ball"]
    assert not check_certificate(bad).holds
    bad = copy.deepcopy(cert)                 # (a - b/3)^2 is not the quadratic part
    bad["evidence"]["gram"] = [[1, "-1/3", 0], ["-1/3", "1/9", 0], [0, 0, "1/2"]]
    assert not check_certificate(bad).holds


@needs_cvxpy
def test_classify_finds_the_global_minimum_at_the_flat_decay_origin():
    p = problem_from_dict(FLAT_DECAY)
    r = classify(p, point_from_dict({"weights": [[[0]], [[0]]]}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 0.5
    assert check_certificate(r.certificate.to_json()).holds
