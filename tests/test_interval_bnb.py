"""Interval branch and bound: ``L >= L(x0)`` everywhere in few variables, without any SDP
(kernel/interval_bnb.py, produce/interval_bnb.py), on hand-derived polynomials.

PLAIN = (a^2 - 1)^2 + (a - b)^2 + 1/2 over a 1 x 2 product R = [a, b]: minimum 1/2 at (1, 1) and
(-1, -1).  Shifted to the point, y = (a - 1, b - 1):

    F(y) = L - 1/2 = (2 y1 + y1^2)^2 + (y1 - y2)^2 = y1^4 + 4 y1^3 + 5 y1^2 - 2 y1 y2 + y2^2.

Its ordinary leading form y1^4 vanishes on the y2 axis, so the weights are (1, 2): the weighted
leading form is y1^4 + y2^2 (1 at u = (1, 0), so mu <= 1), and the lower parts have weighted
degrees 3 (4 y1^3, -2 y1 y2) and 2 (5 y1^2): C(rho) = 6 rho^3 + 5 rho^2.  The Hessian at the
point is [[10, -2], [-2, 2]] (eigenvalues 6 -+ 2 sqrt 5 = 1.53..., 10.47...).
"""
from __future__ import annotations

import copy
import json
import time

import flint
import pytest

from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.kernel.gram import GramRejected
from landscape_proofs.kernel.interval_bnb import check_interval
from landscape_proofs.produce import interval_bnb, sos
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.produce.kinds import Kind

PLAIN = "(R_0_0**2 - 1)**2 + (R_0_0 - R_0_1)**2 + 1/2"
# (a^2 - 1)^2 + (b^2 - a)^2 + 1/2: minima (1, 1), (1, -1) with value 1/2; (0, 0) is critical
# (both partial derivatives vanish) with value 1 + 1/2 = 3/2, above the minimum
QUARTIC = "(R_0_0**2 - 1)**2 + (R_0_1**2 - R_0_0)**2 + 1/2"
MOTZKIN = "R_0_0**4*R_0_1**2 + R_0_0**2*R_0_1**4 - 3*R_0_0**2*R_0_1**2 + 1"


def setup(expr, weights, widths=(2, 1)):
    p = problem_from_dict({"family": "deep-linear", "widths": list(widths),
                           "loss": {"name": "custom", "expression": expr, "over": "product"}})
    return p, point_from_dict({"weights": weights}, p)


def produce(expr, weights, widths=(2, 1)):
    p, pt = setup(expr, weights, widths)
    obj, W = exact_objective(p), exact_weights(pt)
    value = obj.value(W)
    ev, why = interval_bnb.interval_evidence(obj, W, value)
    cert = None if ev is None else Certificate(
        claim="global-minimum", problem=p, point=pt, value=value, evidence=ev,
        method="test").to_json()
    return cert, why


@pytest.fixture(scope="module")
def plain():
    cert, why = produce(PLAIN, [[[1, 1]]])
    assert cert is not None, why
    return cert


def nodes(tree):
    yield tree
    if tree[0] == "split":
        yield from nodes(tree[3])
        yield from nodes(tree[4])


def polynomial_F(cert):
    """L(x0 + y) and the value, as the kernel builds them (parameters of a 1 x 2 layer)."""
    ring = flint.fmpq_mpoly_ctx.get(("y", 2), "lex")
    a, b = ring.gens()
    return (((1 + a) ** 2 - 1) ** 2 + (a - b) ** 2 + flint.fmpq(1, 2)), flint.fmpq(1, 2)


# --- the producer and the kernel on the hand-derived cases ---------------------------------------
def test_without_cvxpy_classify_certifies_the_global_minimum_by_branch_and_bound(monkeypatch):
    monkeypatch.setattr(sos, "available", lambda: False)
    p, pt = setup(PLAIN, [[[1, 1]]])
    res = classify(p, pt)
    assert res.kind == Kind.GLOBAL_MINIMUM, res.reason
    cert = res.certificate.to_json()
    assert cert["evidence"]["type"] == "interval-lower-bound"
    check = check_certificate(cert)
    assert check.holds and "L >= 1/2 everywhere" in check.reason, check.reason


def test_the_weights_and_the_radius_are_the_hand_derived_ones(plain):
    ev = plain["evidence"]
    assert ev["weights"] == [1, 2]         # y1^4 alone is not positive on |u|_inf = 1
    rho = flint.fmpq(ev["rho"])
    # mu <= 1, so mu rho^4 >= 6 rho^3 + 5 rho^2 needs rho >= 3 + sqrt 14 = 6.74...
    assert rho ** 4 >= 6 * rho ** 3 + 5 * rho ** 2 and rho > 6
    res = check_certificate(plain)
    assert res.holds, res.reason
    assert f"rho^4 >= {6 * rho ** 3 + 5 * rho ** 2}" in res.reason
    convex = [n for n in nodes(ev["tree"]) if n[0] == "convex"]
    # both minimizers, y = (0, 0) (the point) and y = (-2, -2) (the point (-1, -1))
    assert sorted(tuple(flint.fmpq(x) for x in n[1]) for n in convex) == [(-2, -2), (0, 0)]


def test_the_plain_ones_weights_work_when_the_leading_form_is_definite():
    cert, why = produce(QUARTIC, [[[1, 1]]])
    assert cert is not None, why
    assert cert["evidence"]["weights"] == [1, 1]     # y1^4 + y2^4 after the shift
    res = check_certificate(cert)
    assert res.holds and "L >= 1/2 everywhere" in res.reason, res.reason


def test_a_deeper_network_is_certified_in_the_entries_of_its_product():
    # widths [2, 1, 1]: 3 parameters, the loss involves the 2 entries of R = W2 W1
    cert, why = produce(PLAIN, [[[1, 1]], [[1]]], widths=(2, 1, 1))
    assert cert is not None, why
    assert cert["evidence"]["space"] == "argument"
    assert check_certificate(cert).holds


def test_a_critical_point_above_the_minimum_gets_no_evidence():
    p, pt = setup(QUARTIC, [[[0, 0]]])
    obj, W = exact_objective(p), exact_weights(pt)
    assert all(g == 0 for g in obj.gradient_vector(W)) and obj.value(W) == flint.fmpq(3, 2)
    cert, why = produce(QUARTIC, [[[0, 0]]])
    assert cert is None and "not a global minimum" in why and "< 0" in why


def test_the_motzkin_polynomial_is_refused_quickly_with_the_reason():
    start = time.monotonic()
    cert, why = produce(MOTZKIN, [[[1, 1]]])
    assert cert is None and "leading form" in why and "not positive" in why
    assert time.monotonic() - start < 5


def test_verify_accepts_the_certificate(plain, tmp_path):
    from landscape_proofs.cli.main import main
    path = tmp_path / "c.json"
    path.write_text(json.dumps(plain))
    assert main(["verify", str(path)]) == 0


# --- tampering: the kernel rejects every corrupted version -----------------------------------------
def rejected(cert, *words):
    res = check_certificate(cert)
    assert not res.holds, res.reason
    for w in words:
        assert w in res.reason, res.reason
    return res


def test_a_removed_leaf_is_rejected(plain):
    cert = copy.deepcopy(plain)
    split = next(n for n in nodes(cert["evidence"]["tree"]) if n[0] == "split")
    del split[4]
    rejected(cert)


def test_a_moved_box_endpoint_is_rejected(plain):
    cert = copy.deepcopy(plain)
    root = cert["evidence"]["tree"]
    assert root[0] == "split"
    root[2] = cert["evidence"]["rho"] if root[1] == 0 else str(flint.fmpq(cert["evidence"]["rho"]) ** 2)
    rejected(cert, "not a split strictly inside")


def test_a_split_moved_past_a_convex_leaf_point_is_rejected(plain):
    # the cut at -d below the point's convex box (q = 0), moved to just above 0: q is then
    # outside the box of its convex leaf
    def path_to_point(n):
        if n[0] == "convex":
            return [] if all(flint.fmpq(x) == 0 for x in n[1]) else None
        if n[0] == "split":
            for k in (3, 4):
                rest = path_to_point(n[k])
                if rest is not None:
                    return [(n, k)] + rest
        return None

    cert = copy.deepcopy(plain)
    path = path_to_point(cert["evidence"]["tree"])
    split = next(n for n, k in path if k == 4 and flint.fmpq(n[2]) < 0)
    split[2] = str(flint.fmpq(1, 2 ** 40))
    rejected(cert)


def test_a_wrong_value_is_rejected(plain):
    L, value = polynomial_F(plain)
    ev = plain["evidence"]
    assert "L >= 1/2" in check_interval(L, value, ev)
    with pytest.raises(GramRejected, match="inside"):     # F(0) = -1/1000 at the convex leaf
        check_interval(L, value + flint.fmpq(1, 1000), ev)


def test_a_point_above_the_minimum_with_the_same_tree_is_rejected(plain):
    cert = copy.deepcopy(plain)
    cert["point"] = {"weights": [[["2", "2"]]]}     # L = 9 + 1/2 there
    cert.pop("value", None)
    rejected(cert)


@pytest.mark.parametrize("rho", ["1", "4"])
def test_a_too_small_rho_is_rejected(plain, rho):
    # mu <= 1: at rho = 1, 1 < 11; at rho = 4, 256 < 6 * 64 + 5 * 16 = 464
    cert = copy.deepcopy(plain)
    cert["evidence"]["rho"] = rho
    rejected(cert, "not > 0 with mu rho^4 >= " + {"1": "11", "4": "464"}[rho])


def test_a_convex_leaf_with_q_outside_its_box_is_rejected(plain):
    cert = copy.deepcopy(plain)
    leaf = next(n for n in nodes(cert["evidence"]["tree"]) if n[0] == "convex")
    leaf[1] = [str(flint.fmpq(x) + 1) for x in leaf[1]]
    rejected(cert, "convex leaf")


def test_a_convex_leaf_with_a_too_large_lambda_is_rejected(plain):
    # lambda_min of the Hessian at the point is 6 - 2 sqrt 5 = 1.53 < 2
    cert = copy.deepcopy(plain)
    leaf = next(n for n in nodes(cert["evidence"]["tree"]) if n[0] == "convex"
                and n[1] == [0, 0])
    leaf[2] = "2"
    rejected(cert, "convex leaf")


def test_unit_weights_are_rejected_where_the_leading_form_vanishes(plain):
    # with w = (1, 1) the leading form is y1^4 alone: 0 on the face u2 = 1 at u1 = 0, so no
    # face tree bounds it below by a positive mu
    cert = copy.deepcopy(plain)
    cert["evidence"]["weights"] = [1, 1]
    res = rejected(cert, "not > 0 with mu rho^4")
    assert "leading form is >= 0 " in res.reason or "leading form is >= -" in res.reason


def test_missing_face_trees_are_rejected(plain):
    cert = copy.deepcopy(plain)
    cert["evidence"]["faces"] = cert["evidence"]["faces"][:3]
    rejected(cert, "4 face trees")


def test_explain_says_what_the_branch_and_bound_proves(plain):
    from landscape_proofs.produce.explain import explain_certificate
    text = explain_certificate(plain)
    assert "branch and bound" in text and "weights [1, 2]" in text and "L >= 1/2" in text


def test_weight_decay_in_one_parameter_and_the_argument_space_refused_with_decay():
    # widths [1, 1], l = (w^2 - 1)^2, decay 3: L = (w^2 - 1)^2 + 3/2 w^2, L' = w (4 w^2 - 1) = 0 at
    # w = 0 (L = 1) and w = +-1/2 (L = 9/16 + 3/8 = 15/16, the minimum)
    p = problem_from_dict({"family": "deep-linear", "widths": [1, 1], "weight_decay": 3,
                           "loss": {"name": "custom", "expression": "(R_0_0**2 - 1)**2",
                                    "over": "product"}})
    pt = point_from_dict({"weights": [[["1/2"]]]}, p)
    obj, W = exact_objective(p), exact_weights(pt)
    assert obj.value(W) == flint.fmpq(15, 16)
    ev, why = interval_bnb.interval_evidence(obj, W, obj.value(W))
    assert ev is not None and ev["space"] == "parameters" and len(ev["faces"]) == 2, why
    cert = Certificate(claim="global-minimum", problem=p, point=pt, value=obj.value(W),
                       evidence=ev, method="test").to_json()
    res = check_certificate(cert)
    assert res.holds and "L >= 15/16 everywhere" in res.reason, res.reason
    cert["evidence"]["space"] = "argument"     # l >= 15/16 is false (l(1) = 0), and L != l(E)
    rejected(cert, "argument")
    at_zero = point_from_dict({"weights": [[[0]]]}, p)
    assert interval_bnb.interval_evidence(obj, exact_weights(at_zero), flint.fmpq(1))[0] is None


def test_a_polynomial_with_too_many_terms_is_refused_by_both_sides(plain):
    # (a + b + 1)^60 in y = R - [1, 1] is (y1 + y2 + 3)^60: C(62, 2) = 1891 terms > 1000; minus
    # its value 3^60 at the point, the constant term goes: 1890
    cert, why = produce("(R_0_0 + R_0_1 + 1)**60", [[[1, 1]]])
    assert cert is None and "1890 terms" in why
    ring = flint.fmpq_mpoly_ctx.get(("y", 2), "lex")
    a, b = ring.gens()
    with pytest.raises(GramRejected, match="not 1891"):
        check_interval((a + b + 3) ** 60, flint.fmpq(0), plain["evidence"])


def test_the_leaf_bounds_hold_at_sampled_points_of_random_boxes():
    # property: for random polynomials and boxes, every exact leaf bound is below the sampled
    # values (a wrong enclosure or a wrong convexity test would show here)
    import random
    from landscape_proofs.kernel.interval_bnb import _walk
    rng = random.Random(7)
    ring = flint.fmpq_mpoly_ctx.get(("z", 2), "lex")
    a, b = ring.gens()
    checked = 0
    for _ in range(60):
        F = sum(flint.fmpq(rng.randint(-3, 3), rng.randint(1, 3)) * a ** i * b ** j
                for i in range(5) for j in range(5 - i)) + a ** 4 + b ** 4 + 12 * (a * a + b * b)
        lo = [flint.fmpq(rng.randint(-8, 4), 8) for _ in range(2)]
        hi = [x + flint.fmpq(rng.randint(1, 4), 8) for x in lo]
        q = [(x + y) / 2 for x, y in zip(lo, hi)]
        for node in (["bound"], ["convex", [str(x) for x in q], "1/4"]):
            try:
                low = _walk(F, node, lo, hi, [])
            except GramRejected:
                continue
            checked += 1
            for _ in range(40):
                z = [x + (y - x) * flint.fmpq(rng.randint(0, 64), 64) for x, y in zip(lo, hi)]
                assert F(*z) >= low
    assert checked > 80        # every bound leaf (a weak bound perhaps), and many convex ones


def test_the_tree_never_proves_a_maximum(plain):
    """check_sos reads an interval tree as L >= c only: asked with sign -1 (a local maximum), it
    refuses, whoever calls it (today only the global-minimum handler does, with +1)."""
    from landscape_proofs.kernel.model import read_problem
    from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
    from landscape_proofs.kernel.objective import Objective
    from landscape_proofs.kernel.sos import check_sos

    obj = Objective(read_problem(plain["problem"]))      # the kernel's own objective
    W = obj.unflatten([to_fmpq(parse_exact(x)) for M in plain["point"]["weights"]
                       for row in M for x in row])
    value = obj.value(W)
    assert "L >=" in check_sos(obj, W, value, plain["evidence"], +1, local=True)
    with pytest.raises(GramRejected, match="minimum"):
        check_sos(obj, W, value, plain["evidence"], -1, local=True)
    # and a local-maximum claim carrying the tree is rejected by the checker
    cert = copy.deepcopy(plain)
    cert["claim"] = "local-maximum"
    rejected(cert)
