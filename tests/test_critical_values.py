"""Certified global minima at irrational points: the square loss's critical values, isolated.

Hand-derived: for X = I every critical value of 1/2 ||W_H ... W_1 - Y||^2 is
1/2 (||Y||^2 - a sum of <= r eigenvalues of Y Y^T) (kernel/critical_values.py has the proof).
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from flint import fmpq, fmpq_mat

from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel import check_certificate
from landscape_proofs.kernel.critical_values import isolate_global_value
from landscape_proofs.produce.refined import classify_refined


def diag(*xs):
    n = len(xs)
    return fmpq_mat(n, n, [xs[i] if i == j else 0 for i in range(n) for j in range(n)])


def test_hand_values_diag_5_3_1_rank_one():
    # eigenvalues of Y Y^T: 25, 9, 1; critical values 1/2 (35 - s): s in {0, 25, 9, 1}:
    # 17.5, 5 (global), 13, 17
    X, Y = diag(1, 1, 1), diag(5, 3, 1)
    assert "2 other" not in isolate_global_value(X, Y, 1, fmpq(49, 10), fmpq(51, 10))
    with pytest.raises(ArithmeticError):
        isolate_global_value(X, Y, 1, fmpq(129, 10), fmpq(131, 10))     # the saddle at 13
    with pytest.raises(ArithmeticError):
        isolate_global_value(X, Y, 1, fmpq(4), fmpq(14))                # 5 and 13 both inside
    with pytest.raises(ArithmeticError):
        isolate_global_value(X, Y, 1, fmpq(6), fmpq(7))                 # no critical value
    # rank 2: values 1/2 (35 - s), s a sum of <= 2 of {25, 9, 1}: the global one is 1/2
    assert isolate_global_value(X, Y, 2, fmpq(1, 2), fmpq(1, 2))


def test_repeated_eigenvalues_and_data_that_is_not_the_identity():
    # Y = diag(2, 2, 1): eigenvalues 4, 4, 1; r = 1: global 1/2 (9 - 4) = 5/2, others 9/2, 4
    assert isolate_global_value(diag(1, 1, 1), diag(2, 2, 1), 1, fmpq(12, 5), fmpq(13, 5))
    # X = [1 1] (rank 1), Y = [[2, 0]]: P projects on (1, 1)/sqrt 2, c0 = 1, M = 2: values 1 + 1 - s/2
    X, Y = fmpq_mat([[1, 1]]), fmpq_mat([[2, 0]])
    assert isolate_global_value(X, Y, 1, fmpq(1), fmpq(1))              # s = 2: value 1
    with pytest.raises(ArithmeticError):
        isolate_global_value(X, Y, 1, fmpq(2), fmpq(2))                 # s = 0: value 2, a saddle


def _golden(sign: int):
    """widths [2, 1, 2], X = I, Y = [[2, 1], [1, 1]]: the rank-one critical points along the
    eigenvectors of Y, eigenvalues (3 +- sqrt 5)/2 (sign = +1: the global minimum)."""
    p = problem_from_dict({"family": "deep-linear", "widths": [2, 1, 2], "Y": [[2, 1], [1, 1]],
                           "loss": "square"})
    lam = (3 + sign * math.sqrt(5)) / 2
    v = [1.0, lam - 2.0]                      # (Y - lam) v = 0: 2 + v2 = lam
    n = math.hypot(*v)
    u = [math.sqrt(lam) * x / n for x in v]
    q = lambda x: str(Fraction(x).limit_denominator(10 ** 12))
    pt = point_from_dict({"weights": [[[q(u[0]), q(u[1])]], [[q(u[0])], [q(u[1])]]]}, p)
    res = classify_refined(p, pt)
    cert = dict(res.certificate)
    cert["claim"] = "global-minimum"
    cert["evidence"] = dict(cert["evidence"], **{"global": {"type": "isolated-critical-value"}})
    return res, cert


def test_the_golden_bottleneck_minimum_is_certified_global_and_the_saddle_is_not():
    res, cert = _golden(+1)
    assert res.kind.value == "global-minimum"          # classify --refine finds this route itself
    assert res.certificate["evidence"]["global"] == {"type": "isolated-critical-value"}
    verdict = check_certificate(cert)
    assert verdict.holds, verdict.reason
    saddle, fake = _golden(-1)
    assert saddle.kind.value == "strict-saddle"
    verdict = check_certificate(fake)
    assert not verdict.holds and "separated" in verdict.reason


@pytest.mark.parametrize("tamper", ["decay", "power", "target"])
def test_tampered_isolated_value_certificates_are_rejected(tamper):
    _, cert = _golden(+1)
    cert = dict(cert, problem=dict(cert["problem"]))
    if tamper == "decay":
        cert["problem"]["weight_decay"] = "1/100"
    elif tamper == "power":
        cert["problem"]["loss"] = {"name": "power", "p": 4}
    else:
        cert["problem"]["Y"] = [[2, 1], [1, 2]]
    assert not check_certificate(cert).holds


def test_search_certifies_the_golden_bottleneck_and_verify_accepts_its_directory(tmp_path):
    import json

    from landscape_proofs.cli.main import main

    problem = tmp_path / "golden.json"
    problem.write_text(json.dumps({"family": "deep-linear", "widths": [2, 1, 2],
                                   "Y": [[2, 1], [1, 1]], "loss": "square"}))
    out = tmp_path / "out"
    assert main(["search", str(problem), "--starts", "30", "--out", str(out)]) == 0
    summary = json.loads((out / "search.json").read_text())
    minima = [g for g in summary["groups"] if g["kind"] == "global-minimum"]
    assert minima and all(g["certified"] for g in minima)
    # the optimum keeps the eigenvalue (3 + sqrt 5)/2 of Y; value 1/2 ((3 - sqrt 5)/2)^2
    # = (7 - 3 sqrt 5)/4 = 0.0729...; bracket sqrt 5 between rationals a < sqrt 5 < b
    lo, hi = (Fraction(minima[0]["value_enclosure"][k]) for k in ("lo", "hi"))
    from math import isqrt
    a = Fraction(isqrt(5 * 10 ** 140), 10 ** 70)
    b = a + Fraction(1, 10 ** 70)
    assert a * a < 5 < b * b
    assert lo <= (7 - 3 * b) / 4 and (7 - 3 * a) / 4 <= hi
    assert main(["verify", *sorted(str(p) for p in out.glob("*.json"))]) == 0


# Depth 3, widths [1, 1, 1, 1], X = I, scalar decay lam, Y = y: at a critical point
# a^2 = b^2 = c^2 = s^2 and (for abc = s^3 > 0) s^4 - y s + lam = 0 (tests/test_census.py).
# y = 2, lam = 1: s = 1 is a root (1 - 2 + 1 = 0); the origin has value y^2/2 = 2 and s = 1 has
# 1/2 (1 - 2)^2 + 3/2 = 2: an exact tie at the least critical value, every tied point global.
# y = 3, lam = 2: s = 1 is a root again, value 1/2 (1 - 3)^2 + 3 = 5 > 9/2 = the origin's.
def _depth3(y, lam, w):
    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[y]],
                           "loss": "square", "weight_decay": lam})
    return p, point_from_dict({"weights": [[[w[0]]], [[w[1]]], [[w[2]]]]}, p)


@pytest.mark.parametrize("y, lam, w, value, is_global", [
    (2, 1, (0, 0, 0), 2, True), (2, 1, (1, 1, 1), 2, True), (2, 1, (1, -1, -1), 2, True),
    (3, 2, (0, 0, 0), Fraction(9, 2), True), (3, 2, (1, 1, 1), 5, False),
])
def test_exact_ties_at_the_least_critical_value_are_decided(y, lam, w, value, is_global):
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.produce.certificate import Certificate
    from landscape_proofs.produce.classify import classify

    p, pt = _depth3(y, lam, w)
    assert Fraction(str(exact_objective(p).value(exact_weights(pt)))) == value
    c = Certificate(claim="global-minimum", problem=p, point=pt, value=value,
                    evidence={"type": "isolated-critical-value"}, method="test").to_json()
    res = check_certificate(c)
    assert res.holds is is_global, res.reason
    assert (classify(p, pt).kind.value == "global-minimum") is is_global


# X X^T = c I reduces to whitened data: L/c is the whitened problem for Y X^T/c, decay lam/c.
# Scalar depth 3, X = 2, Y = 3, lam = 2: L = 1/2 (2 abc - 3)^2 + (a^2 + b^2 + c^2); balanced
# s: dL/da = 2 s^2 (2 s^3 - 3) + 2 s = 0 <=> 4 s^4 - 6 s + 2 = (s - 1)(4 s^3 + 4 s^2 + 4 s - 2)
# = 0: s = 1 (value 1/2 + 3 = 7/2) or the cubic's root s ~ 0.348 (value ~4.6); the origin is
# 9/2.  So (1, 1, 1) is global.  X = (1, 1, 1, 1) with Y = (3/2, 3/2, 3/2, 3/2) is the same L
# (X X^T = 4, Y X^T = 6, ||Y||^2 = 9).  X = diag(2, 1) is not c I: refused.
@pytest.mark.parametrize("X, Y, value, holds", [
    ([[2]], [[3]], Fraction(7, 2), True),
    ([[1, 1, 1, 1]], [["3/2", "3/2", "3/2", "3/2"]], Fraction(7, 2), True),
    ([[2]], [[3]], Fraction(9, 2), False),          # the origin: above the least value
])
def test_data_with_x_x_transpose_a_multiple_of_the_identity(X, Y, value, holds):
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.produce.certificate import Certificate
    from landscape_proofs.produce.classify import classify

    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1, 1], "X": X, "Y": Y,
                           "loss": "square", "weight_decay": 2})
    w = 1 if holds else 0
    pt = point_from_dict({"weights": [[[w]], [[w]], [[w]]]}, p)
    assert Fraction(str(exact_objective(p).value(exact_weights(pt)))) == value
    c = Certificate(claim="global-minimum", problem=p, point=pt, value=value,
                    evidence={"type": "isolated-critical-value"}, method="test").to_json()
    assert check_certificate(c).holds is holds
    assert (classify(p, pt).kind.value == "global-minimum") is holds


def test_data_not_a_multiple_of_the_identity_is_refused():
    from landscape_proofs.kernel.critical_values import isolate_global
    from landscape_proofs.kernel.model import read_problem

    p = read_problem({"family": "deep-linear", "widths": [2, 1, 1, 1], "X": [[2, 0], [0, 1]],
                      "Y": [[3, 1]], "loss": "square", "weight_decay": 2})
    with pytest.raises(ArithmeticError, match="c I"):
        isolate_global(p, fmpq(1), fmpq(1))
