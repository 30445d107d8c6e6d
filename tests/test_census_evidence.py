"""Evidence ``census`` for a global minimum: a complete census of the point's own problem
(kernel/census.py), the point critical, and only roots it classifies global valued like it
(exact points, and enclosures of irrational ones).
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


@pytest.fixture(autouse=True)
def _census_budget(monkeypatch):
    # classify and search give a census CENSUS_SECONDS (5 s); on a loaded machine the censuses
    # here can take longer: these tests are about the answers, not the speed
    import landscape_proofs.search.census as census_module

    monkeypatch.setattr(census_module, "CENSUS_SECONDS", 120.0)


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
    # the origin is critical but a strict saddle: its value is a saddle's, not a global one
    res = check_certificate(_cert(PER_ENTRY, ORIGIN, ev))
    assert not res.holds and "valued in [2, 2] are ['strict-saddle'], not only global" in res.reason
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
    # the origin is critical, value 9/2 > 7/2, the narrowed problem's origin: refused
    bad["point"] = {"weights": [[[0, 0], [0, 0]], [[0, 0]], [[0]]]}
    bad.pop("value", None)
    res = check_certificate(bad)
    assert not res.holds and "cut to 1 roots valued in [9/2, 9/2] are ['spurious-local-minimum']" in res.reason, res.reason


@pytest.mark.parametrize("change, why", [
    (lambda c: c["problem"].__setitem__("weight_decay", [[[2, 2], [3, 2]], [[2, 2]], [[2]]]),
     "scalar decay"),                                        # per-entry: the formula is gone
    (lambda c: c["evidence"]["census"]["result"]["kinds"].__setitem__("global-minimum", 1),
     "result"),                                                      # a count claimed wrong
    (lambda c: c["evidence"]["census"]["roots"].pop(), "census"),    # a root dropped
])
def test_tampered_narrow_census_evidence_is_rejected(change, why):
    cert = classify(WIDE, WIDE_MIN).raw.certificate.to_json()
    change(cert)
    cert.pop("value", None)
    res = check_certificate(cert)
    assert not res.holds and why in res.reason, res.reason


def test_a_uniform_per_entry_decay_is_the_scalar_decay_for_the_narrowing():
    # decay 2 written entry by entry is the scalar decay 2: the narrowed problem takes the
    # scalar (its shapes differ from the wide problem's)
    cert = classify(WIDE, WIDE_MIN).raw.certificate.to_json()
    cert["problem"]["weight_decay"] = [[[2, 2], [2, 2]], [[2, 2]], [[2]]]
    assert check_certificate(cert).holds
    cert["problem"]["weight_decay"] = [[[2, 2], [3, 2]], [[2, 2]], [[2]]]     # not uniform
    res = check_certificate(cert)
    assert not res.holds and "scalar decay" in res.reason, res.reason


def test_another_problems_census_is_rejected_for_the_narrowed_problem(report):
    # PER_ENTRY's census has 4 parameters too, but it is the census of another problem
    cert = classify(WIDE, WIDE_MIN).raw.certificate.to_json()
    cert["evidence"]["census"] = report.certificate["census"]
    res = check_certificate(cert)
    assert not res.holds and "cut to 1" in res.reason, res.reason


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


# --- irrational minima: the census as an enclosure's global evidence -----------------------
# widths 1-1-1-1, Y = 5, decays (1, 4, 1/4): as for CROSSED, u^2 = 4 v^2 = w^2/4 = q^2 with
# p = uvw = q^3 at the minima and q^4 - 5q + 1 = 0, roots q ~ 0.2003 and q ~ 1.6372 (irrational:
# q^4 - 5q + 1 has no rational root, +-1 fail).  L = 1/2 (q^3 - 5)^2 + 3/2 q^2 there: ~4.2077 at
# the larger root, ~12.43 at the smaller, 25/2 at the origin; the global value is the first.
IRRATIONAL = {"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[5]], "loss": "square",
              "weight_decay": [[[1]], [[4]], [["1/4"]]]}


def _hand_optimum():
    import mpmath

    ctx = mpmath.mp.clone()
    ctx.dps = 40
    q = ctx.findroot(lambda q: q ** 4 - 5 * q + 1, 1.6)
    assert abs(q ** 4 - 5 * q + 1) < ctx.mpf(10) ** -35 and 1.63 < q < 1.64
    return Fraction(str(ctx.mpf(1) / 2 * (q ** 3 - 5) ** 2 + ctx.mpf(3) / 2 * q ** 2))


def test_an_irrational_per_entry_minimum_is_global_through_the_census():
    from landscape_proofs.search.multistart import SearchConfig, search

    v = _hand_optimum()
    r = search(problem_from_dict(IRRATIONAL), SearchConfig(starts=16, seed=1))
    best = min(r.groups, key=lambda g: g.value_approx)
    assert best.kind is Kind.GLOBAL_MINIMUM, best.reason
    lo, hi = best.value_enclosure
    assert lo <= v + Fraction(1, 10 ** 30) and v - Fraction(1, 10 ** 30) <= hi and hi - lo < 1e-20
    assert best.certificate["evidence"]["global"]["type"] == "census"
    assert check_certificate(best.certificate).holds
    if best.box_certificate is not None:                 # the wider box: global too
        assert best.box_certificate["claim"] == "global-minimum"
        assert check_certificate(best.box_certificate).holds
    from landscape_proofs.produce.explain import explain_certificate
    text = explain_certificate(best.certificate)
    assert "HOLDS" in text and "every census root whose value enclosure meets the box's" in text
    # classify --refine from a rough guess reaches the same answer
    rr = classify(IRRATIONAL, {"weights": [[["-1.637"]], [["-0.8187"]], [["3.2746"]]]}, refine=True)
    assert rr.kind is Kind.GLOBAL_MINIMUM and rr.raw.value_enclosure[0] <= v + Fraction(1, 10 ** 30)


def test_a_census_global_enclosure_is_refused_for_a_saddle_or_another_problem():
    from landscape_proofs.search.multistart import SearchConfig, search

    r = search(problem_from_dict(IRRATIONAL), SearchConfig(starts=16, seed=1))
    best = min(r.groups, key=lambda g: g.value_approx)
    cert = copy.deepcopy(best.certificate)
    # another problem's census (Y = 17/2: CROSSED)
    other = census(problem_from_dict(CROSSED), timeout=60).certificate["census"]
    bad = copy.deepcopy(cert)
    bad["evidence"]["global"]["census"] = other
    res = check_certificate(bad)
    assert not res.holds, res.reason
    # a saddle (q ~ 0.2003, the smaller root) claimed global with this problem's census: its
    # value ~12.43 is a strict saddle's in the census
    rr = classify(IRRATIONAL, {"weights": [[["0.2003"]], [["0.10015"]], [["0.4006"]]]}, refine=True)
    assert rr.kind is Kind.STRICT_SADDLE, rr.reason
    sad = copy.deepcopy(rr.raw.certificate)
    sad["claim"] = "global-minimum"
    sad["evidence"] = {k: v for k, v in sad["evidence"].items()
                       if k not in ("direction", "ascent_direction")}
    sad["evidence"]["global"] = cert["evidence"]["global"]
    res = check_certificate(sad)
    assert not res.holds and "['strict-saddle'], not only global" in res.reason, res.reason


# widths 2-2-1-1, X = diag(1, 2), Y = (1, 3), decay 1: the minima form circles (O(2) on the
# wide hidden layer) at an irrational value.  By the narrowing, inf L = min over row vectors R of
# 1/2 ||R X - Y||^2 + 3/2 ||R||^(2/3) (one singular value), i.e. over R = s (cos a, sin a):
# g(s, a) = 1/2 ((s cos a - 1)^2 + (2 s sin a - 3)^2) + 3/2 s^(2/3), minimised below by a grid
# and Newton's method (mpmath) on its gradient: ~2.0652.
WIDE_IRRATIONAL = dict(WIDE, Y=[[1, 3]], weight_decay=1)


def _hand_narrow_optimum():
    import mpmath
    import numpy as np

    ctx = mpmath.mp.clone()
    ctx.dps = 40

    def g(s, a):
        return (ctx.mpf(1) / 2 * ((s * ctx.cos(a) - 1) ** 2 + (2 * s * ctx.sin(a) - 3) ** 2)
                + ctx.mpf(3) / 2 * ctx.cbrt(s) ** 2)

    S, A = np.meshgrid(np.linspace(0.05, 3, 300), np.linspace(-np.pi, np.pi, 600))
    G = 0.5 * ((S * np.cos(A) - 1) ** 2 + (2 * S * np.sin(A) - 3) ** 2) + 1.5 * np.cbrt(S) ** 2
    k = np.unravel_index(np.argmin(G), G.shape)
    s, a = ctx.findroot([lambda s, a: ctx.diff(lambda x: g(x, a), s),
                         lambda s, a: ctx.diff(lambda y: g(s, y), a)], (S[k], A[k]))
    return float(G[k]), Fraction(str(g(s, a)))


def test_an_irrational_minimum_of_a_wide_layer_is_global_through_the_narrowed_census():
    from landscape_proofs.search.multistart import SearchConfig, search

    grid, v = _hand_narrow_optimum()
    assert v <= grid + 1e-12 and abs(float(v) - 2.0652308713) < 1e-9
    r = search(problem_from_dict(WIDE_IRRATIONAL), SearchConfig(starts=16, seed=1))
    best = min(r.groups, key=lambda g: g.value_approx)
    assert best.kind is Kind.GLOBAL_MINIMUM, best.reason
    lo, hi = best.value_enclosure
    assert abs(lo - v) < Fraction(1, 10 ** 25) and abs(hi - v) < Fraction(1, 10 ** 25)
    assert best.certificate["evidence"]["global"]["type"] == "narrow-census"
    assert check_certificate(best.certificate).holds
    # the census of another narrowed problem (Y = (1, 4)) is refused
    from landscape_proofs.search.census import narrowed

    bad = copy.deepcopy(best.certificate)
    other = census(problem_from_dict(narrowed(dict(WIDE_IRRATIONAL, Y=[[1, 4]]))), timeout=60)
    bad["evidence"]["global"]["census"] = other.certificate["census"]
    res = check_certificate(bad)
    assert not res.holds and "cut to 1" in res.reason, res.reason
