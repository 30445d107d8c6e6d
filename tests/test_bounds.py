"""Certified global minima at irrational points through exact lower bounds (issue 12).

Hand-derived cases (kernel/critical_values.py and docs/certificates.md have the proofs):

- ``l(U U^T) = 1/2 ||U U^T - Y||^2``, U 2 x 1, Y = [[2, 1], [1, 1]]: eigenvalues
  (3 +- sqrt 5)/2, both positive; critical values 1/2 (||Y||^2 - a sum of at most one square
  of them): 7/2 (U = 0), 1/2 ((3 + sqrt 5)/2)^2 = (7 + 3 sqrt 5)/4 (the saddle) and
  (7 - 3 sqrt 5)/4 (the global minimum).
- depth 3, decay lam, ``L = 1/2 (abc - y)^2 + lam/2 (a^2 + b^2 + c^2)``: at a critical point
  the layers are balanced, |a| = |b| = |c| = s, and s = 0 or ``s^4 - y s + lam = 0``;
  the value is ``y^2/2 + phi(s)``, ``phi(s) = -s^6/2 + lam s^2/2``.
"""
from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from flint import fmpq

from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.critical_values import isolate_global
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.produce.refined import classify_refined


def q(x: float) -> str:
    return str(Fraction(x).limit_denominator(10 ** 12))


def sqrt_bracket(n: int, digits: int = 60) -> tuple[Fraction, Fraction]:
    """Rationals a < sqrt(n) < b with b - a = 10^-digits."""
    a = Fraction(math.isqrt(n * 10 ** (2 * digits)), 10 ** digits)
    return a, a + Fraction(1, 10 ** digits)


def enclosure(res) -> tuple[Fraction, Fraction]:
    v = res.certificate["value"]
    return Fraction(v["lower"]), Fraction(v["upper"])


# --- 1. l(U U^T) with k < n ----------------------------------------------------------------------
GOLDEN_UU = {"family": "symmetric-factorization", "shape": [2, 1], "Y": [[2, 1], [1, 1]],
             "loss": "square"}


def _uu(sign: int, problem=GOLDEN_UU):
    """U = sqrt(lam) v for the eigenpair (lam, v) of Y, lam = (3 + sign sqrt 5)/2, in floats."""
    p = problem_from_dict(problem)
    lam = (3 + sign * math.sqrt(5)) / 2
    v = [1.0, lam - 2.0]                      # (Y - lam) v = 0: 2 + v2 = lam
    n = math.hypot(*v)
    pt = point_from_dict({"weights": [[[q(math.sqrt(lam) * x / n)] for x in v]]}, p)
    return classify_refined(p, pt)


def test_uu_rank_one_optimum_is_certified_global_with_the_right_irrational_value():
    res = _uu(+1)
    assert res.kind.value == "global-minimum"
    assert res.certificate["evidence"]["global"] == {"type": "isolated-critical-value"}
    lo, hi = enclosure(res)
    a, b = sqrt_bracket(5)
    assert lo <= (7 - 3 * a) / 4 and (7 - 3 * b) / 4 <= hi      # (7 - 3 sqrt 5)/4 inside
    assert hi - lo < Fraction(1, 10 ** 30)
    assert check_certificate(res.certificate).holds


def test_uu_saddle_is_not_global_and_claiming_it_is_rejected():
    res = _uu(-1)
    assert res.kind.value == "strict-saddle"
    lo, hi = enclosure(res)
    a, b = sqrt_bracket(5)
    assert lo <= (7 + 3 * b) / 4 and (7 + 3 * a) / 4 <= hi      # (7 + 3 sqrt 5)/4 inside
    fake = dict(res.certificate, claim="global-minimum")
    fake["evidence"] = {k: v for k, v in res.certificate["evidence"].items()
                        if k not in ("direction", "ascent_direction")}
    fake["evidence"]["global"] = {"type": "isolated-critical-value"}
    verdict = check_certificate(fake)
    assert not verdict.holds and "separated" in verdict.reason


def test_uu_critical_values_by_hand_and_negative_eigenvalues_are_never_kept():
    # Y = diag(3, -2): only 3 can be kept; critical values 1/2 (9 + 4) = 13/2 and 1/2 * 4 = 2
    P = read_problem({"family": "symmetric-factorization", "shape": [2, 1],
                      "Y": [[3, 0], [0, -2]], "loss": "square"})
    assert isolate_global(P, fmpq(2), fmpq(2))
    with pytest.raises(ArithmeticError):
        isolate_global(P, fmpq(13, 2), fmpq(13, 2))    # U = 0: a critical value, not the least
    with pytest.raises(ArithmeticError):               # 1/2 (13 - 4) = 9/2 would keep lambda = -2
        isolate_global(P, fmpq(9, 2), fmpq(9, 2))
    # with decay 2: M = Y - I = diag(2, -3), c0 = 1/2 * 2 * 1 - 2 * 4/8 = 0; values 13/2 - 2 = 9/2
    # (keep 2) and 13/2 (U = 0); the loss at U = (sqrt 2, 0): 1/2 (1 + 4) + 2 = 9/2
    P = read_problem({"family": "symmetric-factorization", "shape": [2, 1],
                      "Y": [[3, 0], [0, -2]], "loss": "square", "weight_decay": 2})
    assert isolate_global(P, fmpq(9, 2), fmpq(9, 2))


def test_uu_nonsymmetric_target_uses_its_symmetric_part():
    # Y = [[2, 2], [0, 1]]: Ys = [[2, 1], [1, 1]], ||Ya||^2 = 2: every value shifts by 1
    P = read_problem({"family": "symmetric-factorization", "shape": [2, 1],
                      "Y": [[2, 2], [0, 1]], "loss": "square"})
    a, b = sqrt_bracket(5)
    assert isolate_global(P, fmpq(1) + (7 - 3 * fmpq(b.numerator, b.denominator)) / 4,
                          fmpq(1) + (7 - 3 * fmpq(a.numerator, a.denominator)) / 4)


def test_the_same_point_with_a_wider_u_is_a_saddle_and_not_certified_global():
    # U = [u, 0] with k = 2 is still critical (Z = u u^T), but k = 2 reaches Y itself (value 0):
    # two critical values, (7 - 3 sqrt 5)/4 and 0, are not above the enclosure
    wide = dict(GOLDEN_UU, shape=[2, 2])
    p = problem_from_dict(wide)
    lam = (3 + math.sqrt(5)) / 2
    v = [1.0, lam - 2.0]
    n = math.hypot(*v)
    res = classify_refined(p, point_from_dict(
        {"weights": [[[q(math.sqrt(lam) * x / n), "0"] for x in v]]}, p))
    assert res.kind.value == "strict-saddle"
    fake = dict(res.certificate, claim="global-minimum")
    fake["evidence"] = {"type": "enclosure", "precision_bits": res.certificate["evidence"]["precision_bits"],
                        "gauge_generators": res.certificate["evidence"]["gauge_generators"],
                        "global": {"type": "isolated-critical-value"}}
    verdict = check_certificate(fake)
    assert not verdict.holds and "could not be separated" in verdict.reason


@pytest.mark.parametrize("tamper", ["decay", "target", "width", "power", "radius"])
def test_tampered_uu_certificates_are_rejected(tamper):
    cert = json.loads(json.dumps(_uu(+1).certificate))
    if tamper == "decay":
        cert["problem"]["weight_decay"] = "1/100"
    elif tamper == "target":
        cert["problem"]["Y"] = [[2, 1], [1, 2]]
    elif tamper == "width":             # U 2 x 2: rank two reaches Y itself, value 0
        cert["problem"]["shape"] = [2, 2]
        cert["point"]["center"] = [[[c[0], "0"] for c in cert["point"]["center"][0]]]
    elif tamper == "power":
        cert["problem"]["loss"] = {"name": "power", "p": 4}
    else:
        cert["point"]["radius"] = "1/1000"
    assert not check_certificate(cert).holds


def test_search_certifies_the_uu_optimum_and_verify_accepts_the_directory(tmp_path):
    from landscape_proofs.cli.main import main

    problem = tmp_path / "uu.json"
    problem.write_text(json.dumps(GOLDEN_UU))
    out = tmp_path / "out"
    assert main(["search", str(problem), "--starts", "20", "--seed", "3", "--out", str(out)]) == 0
    summary = json.loads((out / "search.json").read_text())
    minima = [g for g in summary["groups"] if g["kind"] == "global-minimum"]
    assert minima and all(g["certified"] for g in minima)
    assert all(g["kind"] in ("global-minimum", "strict-saddle") for g in summary["groups"])
    lo, hi = (Fraction(minima[0]["value_enclosure"][k]) for k in ("lo", "hi"))
    a, b = sqrt_bracket(5)
    assert lo <= (7 - 3 * a) / 4 and (7 - 3 * b) / 4 <= hi
    assert main(["verify", *sorted(str(p) for p in out.glob("*.json"))]) == 0


# --- 2. depth > 2 with a scalar weight decay ------------------------------------------------------
DEPTH3 = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square",
          "weight_decay": "1/10"}


def root_bracket(f, a: Fraction, b: Fraction, steps: int = 200) -> tuple[Fraction, Fraction]:
    """Exact bisection of a sign change of f on [a, b]."""
    assert f(a) * f(b) < 0
    for _ in range(steps):
        m = (a + b) / 2
        a, b = (a, m) if f(a) * f(m) <= 0 else (m, b)
    return a, b


def phi_bracket(a: Fraction, b: Fraction, lam: Fraction, H: int) -> tuple[Fraction, Fraction]:
    """-s^(2H)/2 + lam (H-2) s^2/2 over s in [a, b], 0 < a (each term monotone)."""
    return (-b ** (2 * H) / 2 + lam * (H - 2) * a * a / 2,
            -a ** (2 * H) / 2 + lam * (H - 2) * b * b / 2)


def _depth3(s: float, problem=DEPTH3):
    p = problem_from_dict(problem)
    return classify_refined(p, point_from_dict({"weights": [[[q(s)]]] * 3}, p))


def test_depth3_decay_global_minimum_is_certified_with_the_hand_derived_value():
    # s^4 - s + 1/10 = 0 has the positive roots ~0.1001 (a saddle) and ~0.9642 (the minimum)
    lam = Fraction(1, 10)
    a, b = root_bracket(lambda s: s ** 4 - s + lam, Fraction(1, 2), Fraction(1))
    res = _depth3(0.9641582450344696)
    assert res.kind.value == "global-minimum"
    assert res.certificate["evidence"]["global"] == {"type": "isolated-critical-value"}
    lo, hi = enclosure(res)
    plo, phi_ = phi_bracket(a, b, lam, 3)
    assert lo <= Fraction(1, 2) + phi_ and Fraction(1, 2) + plo <= hi    # 1/2 + phi(s) inside
    assert Fraction(14, 100) < lo < hi < Fraction(15, 100)                 # ~0.14482 < 1/2
    assert check_certificate(res.certificate).holds


def test_depth3_decay_saddle_cannot_be_claimed_global():
    res = _depth3(0.1001004022140976)
    assert res.kind.value == "strict-saddle"
    fake = dict(res.certificate, claim="global-minimum")
    fake["evidence"] = {"type": "enclosure", "precision_bits": res.certificate["evidence"]["precision_bits"],
                        "gauge_generators": res.certificate["evidence"]["gauge_generators"],
                        "global": {"type": "isolated-critical-value"},
                        "roots": ["1/10"], "bound": "0"}        # hints the kernel must not read
    verdict = check_certificate(fake)
    assert not verdict.holds and "could not be separated" in verdict.reason


@pytest.mark.parametrize("tamper", ["decay", "per-entry decay", "loss", "value"])
def test_tampered_depth3_certificates_are_rejected(tamper):
    cert = json.loads(json.dumps(_depth3(0.9641582450344696).certificate))
    if tamper == "decay":
        cert["problem"]["weight_decay"] = "1/11"
    elif tamper == "per-entry decay":
        cert["problem"]["weight_decay"] = [[["1/10"]], [["1/10"]], [["1/9"]]]
    elif tamper == "loss":
        cert["problem"]["loss"] = {"name": "power", "p": 4}
    else:
        cert["value"] = {"lower": "1/7", "upper": "1/7"}
    assert not check_certificate(cert).holds


def test_search_certifies_the_depth3_decay_minima_and_the_spurious_origin(tmp_path):
    from landscape_proofs.cli.main import main

    problem = tmp_path / "d3.json"
    problem.write_text(json.dumps(DEPTH3))
    out = tmp_path / "out"
    assert main(["search", str(problem), "--starts", "20", "--seed", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "search.json").read_text())
    kinds = {g["kind"] for g in summary["groups"]}
    assert "global-minimum" in kinds and "local-minimum" not in kinds
    for g in summary["groups"]:
        assert g["certified"]
        if g["kind"] == "global-minimum":
            assert Fraction(14, 100) < Fraction(g["value_enclosure"]["lo"])
            assert Fraction(g["value_enclosure"]["hi"]) < Fraction(15, 100)
    assert main(["verify", *sorted(str(p) for p in out.glob("*.json"))]) == 0


def test_diagonal_2222_decay_global_and_spurious():
    # Y = diag(3, 2), lam = 1/10, r = 2: per singular value y, s^4 - y s + 1/10 = 0; the global
    # minimum uses the larger root for both; keeping only y = 3 (the other direction at 0, a
    # local minimum of its 1-D problem) is a spurious local minimum
    lam = Fraction(1, 10)
    prob = {"family": "deep-linear", "widths": [2, 2, 2, 2], "Y": [[3, 0], [0, 2]],
            "loss": "square", "weight_decay": "1/10"}
    p = problem_from_dict(prob)
    brackets = [root_bracket(lambda s: s ** 4 - y * s + lam, Fraction(1), Fraction(2))
                for y in (3, 2)]
    s3, s2 = (float(a) for a, _ in brackets)
    res = classify_refined(p, point_from_dict(
        {"weights": [[[q(s3), 0], [0, q(s2)]]] * 3}, p))
    assert res.kind.value == "global-minimum" and "9 exact algebraic sums" in res.reason
    lo, hi = enclosure(res)
    (l3, h3), (l2, h2) = (phi_bracket(a, b, lam, 3) for a, b in brackets)
    assert lo <= Fraction(13, 2) + h3 + h2 and Fraction(13, 2) + l3 + l2 <= hi
    glob = res.certificate
    res = classify_refined(p, point_from_dict({"weights": [[[q(s3), 0], [0, 0]]] * 3}, p))
    assert res.kind.value == "spurious-local-minimum"
    assert res.certificate["evidence"]["spurious"] == {"type": "below-critical-value"}
    lo, hi = enclosure(res)
    assert lo <= Fraction(13, 2) + h3 and Fraction(13, 2) + l3 <= hi
    # the same evidence cannot make the global minimum spurious, nor survive a changed problem
    fake = json.loads(json.dumps(glob))
    fake["claim"] = "spurious-local-minimum"
    fake["evidence"] = {k: v for k, v in fake["evidence"].items() if k != "global"}
    fake["evidence"]["spurious"] = {"type": "below-critical-value"}
    verdict = check_certificate(fake)
    assert not verdict.holds and "could not be separated" in verdict.reason
    bad = json.loads(json.dumps(res.certificate))
    bad["problem"]["weight_decay"] = [[["1/10", "1/10"], ["1/10", "1/10"]]] * 2 + [[["1/10", "1/10"], ["1/10", "1/9"]]]
    assert not check_certificate(bad).holds


def test_exact_rational_points_depth3_and_depth4_and_whitened_data():
    from landscape_proofs.produce.classify import classify

    cases = [  # (problem, point entry, hand value)
        # s = 1 solves s^4 - (3/2) s + 1/2 = 0; value 1/8 + 3/4 = 7/8; the other root (~0.35)
        # and s = 0 give larger values
        ({"widths": [1, 1, 1, 1], "Y": [["3/2"]], "weight_decay": "1/2"}, 1, Fraction(7, 8)),
        # depth 4: s^6 - (5/4) s^2 + 1/4 = 0 at s = 1; value 1/32 + 1/2 = 17/32
        ({"widths": [1, 1, 1, 1, 1], "Y": [["5/4"]], "weight_decay": "1/4"}, 1, Fraction(17, 32)),
        # X = [3/5, 4/5] (X X^T = 1), Y = (3/2) X + [-4/5, 3/5]: Y X^T = 3/2, the orthogonal
        # part adds 1/2 to every value: 7/8 + 1/2
        ({"widths": [1, 1, 1, 1], "X": [["3/5", "4/5"]], "Y": [["1/10", "9/5"]],
          "weight_decay": "1/2"}, 1, Fraction(11, 8)),
    ]
    for extra, entry, value in cases:
        prob = dict({"family": "deep-linear", "loss": "square"}, **extra)
        p = problem_from_dict(prob)
        depth = len(prob["widths"]) - 1
        res = classify(p, point_from_dict({"weights": [[[entry]]] * depth}, p))
        assert res.kind.value == "global-minimum", (extra, res.reason)
        assert Fraction(str(res.value)) == value
        assert res.certificate.evidence == {"type": "isolated-critical-value"}
        cert = res.certificate.to_json()
        assert check_certificate(cert).holds
        bad = json.loads(json.dumps(cert))
        bad["problem"]["weight_decay"] = "1/3"                 # no longer critical
        bad.pop("value", None)
        assert not check_certificate(bad).holds
    # the origin of the first case is critical but not global (9/8 > 7/8)
    P = read_problem({"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [["3/2"]],
                      "loss": "square", "weight_decay": "1/2"})
    with pytest.raises(ArithmeticError):
        isolate_global(P, fmpq(9, 8), fmpq(9, 8))
    # two layers: s^2 = y - lam; widths [1, 1, 1], Y = 3, lam = 1: value 9/2 - s^4/2 = 5/2
    P = read_problem({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[3]],
                      "loss": "square", "weight_decay": 1})
    assert isolate_global(P, fmpq(5, 2), fmpq(5, 2))
    with pytest.raises(ArithmeticError):
        isolate_global(P, fmpq(9, 2), fmpq(9, 2))


# --- 3. theorem checks compare values across points, for every loss ---------------------------------
# l(R) = R^4/4 - 4 R^3/3 + 3 R^2/2 over the product R = ab: l'(R) = R (R - 1) (R - 3), so R = 0
# is a local minimum of value 0 and R = 3 the global one, l(3) = -9/4
# (l + 9/4 = (R - 3)^2 (R^2 + 2R/3 + 1)/4 >= 0)
TILTED = {"family": "deep-linear", "widths": [1, 1, 1],
          "loss": {"name": "custom", "expression": "R_0_0**4/4 - 4*R_0_0**3/3 + 3*R_0_0**2/2",
                   "over": "product", "convex": False, "differentiable": True}}


def _classified(problem, weights, label="p", kind=None):
    """A point as the theorem modules classify it; ``kind`` weakens the answer to a certified
    local minimum (what classify gives when no global route or better point is found)."""
    import dataclasses

    from landscape_proofs.produce.candidates import Candidate, ClassifiedPoint
    from landscape_proofs.produce.certificate import Certificate
    from landscape_proofs.produce.classify import classify
    from landscape_proofs.produce.kinds import Kind

    pt = point_from_dict({"weights": weights}, problem)
    res = classify(problem, pt)
    if kind == "local-minimum":
        ev = res.certificate.evidence
        ev = ev.get("local_minimum", ev) if res.kind is Kind.SPURIOUS_LOCAL_MINIMUM else ev
        tries = [ev] if ev.get("type") in ("definite-hessian", "slice", "sos-local") else \
            [{"type": "definite-hessian"}, {"type": "slice"}]
        certs = [Certificate("local-minimum", problem, pt, res.value, e, "test") for e in tries]
        certs = [c for c in certs if check_certificate(c.to_json()).holds]
        assert certs
        cert = certs[0]
        res = dataclasses.replace(res, kind=Kind.LOCAL_MINIMUM, certificate=cert)
    from landscape_proofs.families.exact_view import exact_weights
    return ClassifiedPoint(Candidate(label, tuple(exact_weights(pt)), "given"), res, None)


def test_a_local_minimum_above_an_exact_point_of_a_custom_loss_fails_the_theorem():
    from landscape_proofs.theorems.judging import judge, rule_local_minima_global

    p = problem_from_dict(TILTED)
    open_min = _classified(p, [[["1/2"]], [[0]]], "a = 1/2, b = 0", kind="local-minimum")
    assert open_min.kind.value == "local-minimum" and open_min.result.value == 0
    lower = _classified(p, [[[1]], [[2]]], "ab = 2")                # l(2) = 4 - 32/3 + 6 = -2/3
    assert lower.result.value == Fraction(-2, 3)
    res = judge([open_min, lower], rule_local_minima_global, what="every local minimum is global")
    assert res.status.value == "fails-on-instance"
    assert res.points[0].kind == "spurious-local-minimum"
    cert = res.certificates[0]
    assert cert["claim"] == "spurious-local-minimum" and check_certificate(cert).holds
    assert [[[Fraction(str(x)) for x in row] for row in W]
            for W in cert["evidence"]["better_point"]] == [[[1]], [[2]]]
    # without the lower point nothing is decided, and a forged better point is refused
    res = judge([open_min], rule_local_minima_global, what="every local minimum is global")
    assert res.status.value == "inconclusive"
    forged = json.loads(json.dumps(cert))
    forged["evidence"]["better_point"] = [[["1"]], [["1"]]]        # l(1) = 5/12 > 0
    assert not check_certificate(forged).holds


def test_check_on_the_custom_loss_decides_the_descent_limits_through_the_spurious_origin():
    from landscape_proofs.api import check

    res = check("laurent_vonbrecht2018", problem_from_dict(TILTED))
    kinds = [pt.kind for pt in res.conclusion.points]
    assert "local-minimum" not in kinds and "spurious-local-minimum" in kinds
    for cert in res.conclusion.certificates:
        assert check_certificate(cert).holds


def test_equal_value_reuses_a_value_only_lower_bound_of_a_non_square_loss():
    # l(R) = (R^2 - 1)^2 over R = ab: R = 1 and R = -1 both have value 0; a certified lower
    # bound (zero-lower-bound or a sum of squares) at one makes the other global too
    from landscape_proofs.theorems.judging import through_global_values

    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1],
                           "loss": {"name": "custom", "expression": "(R_0_0**2 - 1)**2",
                                    "over": "product", "convex": False, "differentiable": True}})
    glob = _classified(p, [[[1]], [[1]]], "ab = 1")
    if glob.kind.value != "global-minimum":
        pytest.skip("no global lower bound without the sos extra (cvxpy)")
    other = _classified(p, [[[1]], [[-1]]], "ab = -1", kind="local-minimum")
    up = through_global_values([other, glob])
    assert up[0].kind.value == "global-minimum"
    cert = up[0].result.certificate.to_json()
    assert check_certificate(cert).holds
    assert cert["evidence"] == glob.result.certificate.to_json()["evidence"]
    # a local minimum with another value is not made global by that bound
    p4 = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1],
                            "loss": {"name": "custom", "expression": "(R_0_0**2 - 1)**2 + R_0_0**2",
                                     "over": "product", "convex": False, "differentiable": True}})
    bad = json.loads(json.dumps(cert))
    bad["problem"] = json.loads(json.dumps(p4.to_dict()))
    bad.pop("value")
    assert not check_certificate(bad).holds


@pytest.mark.parametrize("y,lam,H", [(1, "1/10", 3), (2, "1/3", 3), ("5/2", "1/2", 4), (3, "1/5", 5),
                                     (1, "3/10", 3), ("3/2", "1/20", 2)])
def test_scalar_decay_critical_values_agree_with_a_float_grid(y, lam, H):
    # independent of the kernel: minimise g(t) = 1/2 (t^H - y)^2 + lam H t^2/2 over a fine grid
    # in floats; the kernel must accept a small interval around the grid minimum and refuse one
    # around y^2/2 (the origin) unless the origin is the minimum
    import numpy as np

    yq, lq = Fraction(y), Fraction(lam)
    t = np.linspace(0, 2.5, 200001)
    g = 0.5 * (t ** H - float(yq)) ** 2 + float(lq) * H * t ** 2 / 2
    best = float(g.min())
    P = read_problem({"family": "deep-linear", "widths": [1] * (H + 1), "Y": [[str(yq)]],
                      "loss": "square", "weight_decay": str(lq)})
    eps = Fraction(1, 10 ** 6)
    b = Fraction(best)
    assert isolate_global(P, fmpq((b - eps).numerator, (b - eps).denominator),
                          fmpq((b + eps).numerator, (b + eps).denominator))
    origin = yq * yq / 2
    if origin - Fraction(best) > Fraction(1, 1000):
        with pytest.raises(ArithmeticError):
            isolate_global(P, fmpq(origin.numerator, origin.denominator),
                           fmpq(origin.numerator, origin.denominator))
