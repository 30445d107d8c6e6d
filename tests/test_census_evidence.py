"""Evidence ``census`` for a global minimum: a complete census of the point's own problem
(kernel/census.py) and the point inside the Krawczyk cube of a root it classifies global.
``classify`` reaches it for small instances where no lower bound decides (a per-entry decay:
the issue's "else the census")."""
from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from landscape_proofs.api import classify
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.search.census import census

# widths 1-2-1, Y = 2, decays (1, 1) on W_1 and (1, 3) on W_2: hidden unit j contributes
# R_j = a_j b_j at the cost (a_j^2 + l_j b_j^2)/2 >= sqrt(l_j) |R_j| (AM-GM), l = (1, 3): the
# cheap unit carries R, and min_R 1/2 (R - 2)^2 + |R| = 3/2 at R = 1 (a_1 = b_1 = 1, unit 2
# off).
PER_ENTRY = {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[2]], "loss": "square",
             "weight_decay": [[[1], [1]], [[1, 3]]]}
GLOBAL = {"weights": [[[1], [0]], [[1, 0]]]}
ORIGIN = {"weights": [[[0], [0]], [[0, 0]]]}


@pytest.fixture(scope="module")
def report():
    return census(problem_from_dict(PER_ENTRY), timeout=60)


def _cert(problem_dict, point, evidence):
    p = problem_from_dict(problem_dict)
    pt = point_from_dict(point, p)
    return Certificate(claim="global-minimum", problem=p, point=pt,
                       value=exact_objective(p).value(exact_weights(pt)),
                       evidence=copy.deepcopy(evidence), method="test").to_json()


def test_the_least_decays_decide_where_the_expensive_entries_are_zero():
    # PER_ENTRY's global point uses only the decay-1 entries: the minorant with least decays
    # (1, 1) is the scalar problem, min 1/2 (R - 2)^2 + |R| = 3/2, the same value
    r = classify(PER_ENTRY, GLOBAL)
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(3, 2)
    assert r.raw.certificate.to_json()["evidence"]["type"] == "nuclear-dual-bound"


# widths 1-1-1-1, Y = 17/2, decays (1, 4, 1/4): L = 1/2 (uvw - 17/2)^2 + (u^2 + 4v^2 + w^2/4)/2.
# At a critical point u dL/du = v dL/dv = w dL/dw gives u^2 = 4 v^2 = w^2/4 =: s = (17/2 - p) p,
# p = uvw, so p^2 = s^3 (the decays multiply to 1): with s = q^2, q^4 - 17q/2 + 1 = 0, roots q = 2
# and q ~ 0.1177.  q = 2: u = 2, v = 1, w = 4, p = 8, value 1/8 + 6 = 49/8; q ~ 0.1177: p ~ 0.0016,
# value ~ 36; the origin (Hessian diag(1, 4, 1/4) > 0) 289/8.  So 9 real points (each q with 4
# sign patterns of p > 0) and the global value 49/8.  Three layers: no nuclear-norm argument.
CROSSED = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [["17/2"]], "loss": "square",
           "weight_decay": [[[1]], [[4]], [["1/4"]]]}
OPTIMUM = Fraction(49, 8)


@pytest.mark.parametrize("point", [[[[2]], [[1]], [[4]]], [[[-2]], [[-1]], [[4]]]])
def test_classify_upgrades_a_local_minimum_through_the_census(point):
    r = classify(CROSSED, {"weights": point})
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == OPTIMUM
    cert = r.raw.certificate.to_json()
    assert cert["evidence"]["type"] == "census" and check_certificate(cert).holds


def test_the_kernel_checks_the_census_and_the_membership(report):
    ev = {"type": "census", "census": report.certificate["census"]}
    assert check_certificate(_cert(PER_ENTRY, GLOBAL, ev)).holds
    # the origin is critical but a strict saddle: in no global cube
    res = check_certificate(_cert(PER_ENTRY, ORIGIN, ev))
    assert not res.holds and "no census cube of a global minimum" in res.reason
    # the same census for another problem (decay 2 on unit 2's input weight) does not check
    other = copy.deepcopy(PER_ENTRY)
    other["weight_decay"] = [[[1], [2]], [[1, 3]]]
    assert not check_certificate(_cert(other, GLOBAL, ev)).holds
    # a root moved: its cube no longer holds a root (or the tree no longer covers it)
    bad = copy.deepcopy(ev)
    bad["census"]["roots"][0]["center"][0] = "1/3"
    assert not check_certificate(_cert(PER_ENTRY, GLOBAL, bad)).holds


def test_search_reports_the_census_proven_global_minimum():
    from landscape_proofs.search.multistart import SearchConfig, search

    r = search(problem_from_dict(CROSSED), SearchConfig(starts=12, seed=0))
    mins = [g for g in r.groups if g.value == OPTIMUM]
    assert mins and all(g.kind is Kind.GLOBAL_MINIMUM and "census" in g.route for g in mins)
    assert r.global_value.value == OPTIMUM


def test_larger_instances_get_no_census(monkeypatch):
    # widths 1-2-2-1 have 8 parameters > CENSUS_PARAMS = 6: the census is never started
    import landscape_proofs.search.census as census_module

    def boom(*args, **kwargs):
        raise AssertionError("census started")
    monkeypatch.setattr(census_module, "census", boom)
    big = problem_from_dict({"family": "deep-linear", "widths": [1, 2, 2, 1], "Y": [[2]],
                             "loss": "square", "weight_decay": [[[1], [1]], [[1, 1], [1, 1]],
                                                                [[1, 3]]]})
    pt = point_from_dict({"weights": [[[1], [0]], [[1, 0], [0, 0]], [[1, 0]]]}, big)
    assert census_module.global_by_census(big, [(pt, Fraction(1))]) == [None]
    small = problem_from_dict(PER_ENTRY)
    with pytest.raises(AssertionError, match="census started"):
        census_module.global_by_census(small, [(point_from_dict(GLOBAL, small), Fraction(3, 2))])


# widths 2-1-1-1, X = diag(1, 2), Y = (0, 3), the power loss (q = 4), decay 2: with W_1 =
# (u_1, u_2), W_2 = v, W_3 = w the residual is (u_1 v w, 2 u_2 v w - 3), so u_1 = 0 at a
# critical point (u_1 only adds) and the balanced points u_2 = v = w = t give g(t) = 1/4 (2t^3
# - 3)^4 + 3 t^2, g'(t) = 6 t^2 (2t^3 - 3)^3 + 6t = 0: t (2t^3 - 3)^3 = -1, roots t = 1 and
# t ~ 0.037; g(1) = 1/4 + 3 = 13/4 < g(0) = 81/4.  The census finds 9 real points (origin,
# 4 + 4 sign flips) and no lower bound decides: the census decides.
POWER_DEPTH3 = {"family": "deep-linear", "widths": [2, 1, 1, 1], "X": [[1, 0], [0, 2]],
                "Y": [[0, 3]], "loss": {"name": "power", "p": 4}, "weight_decay": 2}


def test_a_power_loss_global_minimum_is_decided_by_its_census():
    r = classify(POWER_DEPTH3, {"weights": [[[0, 1]], [[1]], [[1]]]})
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(13, 4), r.reason
    cert = r.raw.certificate.to_json()
    assert cert["evidence"]["type"] == "census" and check_certificate(cert).holds
    assert "exactly 9 real critical points" in check_certificate(cert).reason


# --- narrow-census: a scalar decay, hidden widths cut to the least width ------------------
# widths 2-2-1-1, X = diag(1, 2), Y = (0, 3), square loss, decay 2.  The least decay of a
# product R is (H lam/2) sum sigma_j(R)^(2/H) (Schatten-Hoelder and AM-GM), reached with hidden
# widths >= rank R <= 1: inf L is the infimum of the 2-1-1-1 problem, whose census (4
# parameters, only sign flips) has 9 critical points with the global value 7/2: there the
# residual is (u_1 v w, 2 u_2 v w - 3), u_1 = 0, and u_2 = v = w = t gives g(t) = 1/2 (2t^3 -
# 3)^2 + 3 t^2, g'(t) = 6t (4t^4 - 6t + 2) = 0 at t = 1: g(1) = 1/2 + 3 = 7/2.  The wide
# problem has a circle of minima (O(2) on the hidden layer), which no census counts.
WIDE = {"family": "deep-linear", "widths": [2, 2, 1, 1], "X": [[1, 0], [0, 2]], "Y": [[0, 3]],
        "loss": "square", "weight_decay": 2}
WIDE_MIN = {"weights": [[[0, 1], [0, 0]], [[1, 0]], [[1]]]}


def test_a_wide_hidden_layer_is_decided_through_the_narrowed_census():
    r = classify(WIDE, WIDE_MIN)
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(7, 2), r.reason
    cert = r.raw.certificate.to_json()
    assert cert["evidence"]["type"] == "narrow-census"
    assert check_certificate(cert).holds
    # rotated inside the circle of minima: W_1 = Q (0 1; 0 0), W_2 = (1 0) Q^T, Q = (3 -4; 4 3)/5
    rot = {"weights": [[[0, "3/5"], [0, "4/5"]], [["3/5", "4/5"]], [[1]]]}
    bad = copy.deepcopy(cert)
    bad["point"] = rot
    assert check_certificate(bad).holds
    # the origin is critical, value 9/2 > 7/2: refused
    bad["point"] = {"weights": [[[0, 0], [0, 0]], [[0, 0]], [[0]]]}
    bad.pop("value", None)
    res = check_certificate(bad)
    assert not res.holds and "global value >= 9/2" in res.reason


@pytest.mark.parametrize("change, why", [
    (lambda c: c["problem"].__setitem__("weight_decay", [[[2, 3], [2, 2]], [[2, 2]], [[2]]]),
     "scalar decay"),                                        # per-entry: the formula is gone
    (lambda c: c["problem"].__setitem__("Y", [[0, 4]]), "census"),   # another problem's census
    (lambda c: c["evidence"]["census"]["roots"].pop(), "census"),    # a root dropped
])
def test_tampered_narrow_census_evidence_is_rejected(change, why):
    cert = classify(WIDE, WIDE_MIN).raw.certificate.to_json()
    change(cert)
    cert.pop("value", None)
    res = check_certificate(cert)
    assert not res.holds and why in res.reason, res.reason


def test_search_reaches_the_circle_of_minima_through_balanced_factors():
    # the runs end anywhere on the circle of minima (W_1 = s q v^T, W_2 = s e^T q^T ... with q a
    # unit vector): no entrywise snap is rational there.  With a scalar decay every critical
    # point is balanced, so a rank-one product R = sigma u v^T (snapped: R = (0, 1), sigma = 1)
    # has the balanced factors W_1 = s e_1 v^T, W_2 = s e_1^T, W_3 = s u, s = sigma^(1/3) = 1,
    # on the same orbit: the point WIDE_MIN, global through the narrowed census
    from landscape_proofs.search.multistart import SearchConfig, search

    r = search(problem_from_dict(WIDE), SearchConfig(starts=12, seed=0))
    best = [g for g in r.groups if g.value == Fraction(7, 2)]
    assert best and all(g.kind is Kind.GLOBAL_MINIMUM for g in best), [g.reason for g in r.groups]
    assert r.global_value.value == Fraction(7, 2)


def test_rational_roots_for_the_balanced_factors():
    from landscape_proofs.search.snap import _rational_root
    assert _rational_root(Fraction(27, 8), 3) == Fraction(3, 2)
    assert _rational_root(Fraction(1, 4), 2) == Fraction(1, 2)
    assert _rational_root(Fraction(2), 3) is None and _rational_root(Fraction(3, 4), 2) is None
    assert _rational_root(Fraction(0), 5) == 0
    assert _rational_root(Fraction(10 ** 400), 3) is None        # beyond floats: not proposed
