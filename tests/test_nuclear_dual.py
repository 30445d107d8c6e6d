"""Evidence ``nuclear-dual-bound``: a critical point of towers of two layers with a decay on
every entry is global when, for every hidden unit u, ``D_alpha_u - G^T D_beta_u^-1 G`` is PSD
(``G = dl/dR``; exactly in kernel/checker.py, in balls with a shift in kernel/enclosure.py;
docs/certificates.md).  Hand derivations next to each case."""
from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import point_from_dict, problem_from_dict
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.produce.classify import classify
from landscape_proofs.produce.kinds import Kind

EV = {"type": "nuclear-dual-bound"}


def cert(problem, weights, claim="global-minimum", evidence=EV):
    p = problem_from_dict(problem)
    pt = point_from_dict({"weights": weights}, p)
    value = exact_objective(p).value(exact_weights(pt))
    return Certificate(claim=claim, problem=p, point=pt, value=value,
                       evidence=copy.deepcopy(evidence), method="test").to_json()


# X = 2, Y = 3, decay 2, widths [1, 1, 1]: L = 1/2 (2ab - 3)^2 + a^2 + b^2 >= 1/2 (2R - 3)^2
# + 2|R| (a^2 + b^2 >= 2|ab|), least at R = 1 (2 (2R - 3) + 2 = 0): 1/2 + 2 = 5/2, reached at
# a = b = 1 (critical: 2b(2ab - 3) + 2a = -2 + 2 = 0).  G = -dl/dR = 2 (3 - 2R) = 2, G^2 = 4 <= 4.
SCALAR_X = {"family": "deep-linear", "widths": [1, 1, 1], "X": [[2]], "Y": [[3]],
            "loss": "square", "weight_decay": 2}
# towers [[1,1,1],[1,1,1]], Y = 2, decay 1, point (1, 1 | 0, 0): R = 1, L = 1/2 + 1 = 3/2 and
# L >= 1/2 (R - 2)^2 + |R| (sum over towers, triangle inequality), least at R = 1: 3/2; G = 1.
TOWERS = {"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1]], "Y": [[2]],
          "loss": "square", "weight_decay": 1}
# per-layer decays 4 and 1, Y = 4: L = 1/2 (ab - 4)^2 + 2 a^2 + b^2/2 >= 1/2 (R - 4)^2 + 2|R|,
# least at R = 2: 2 + 4 = 6, reached at (a, b) = (1, 2); G = 2, G^2 = 4 <= 4 * 1.
LAYERWISE = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[4]], "loss": "square",
             "weight_decay": [[[4]], [[1]]]}


@pytest.mark.parametrize("problem, weights, value", [
    (SCALAR_X, [[[1]], [[1]]], "5/2"),
    (TOWERS, [[[1]], [[1]], [[0]], [[0]]], "3/2"),
    (LAYERWISE, [[[1]], [[2]]], "6"),
])
def test_hand_derived_global_minima_hold_and_classify_finds_them(problem, weights, value):
    c = cert(problem, weights)
    res = check_certificate(c)
    assert res.holds, res.reason
    assert str(c["value"]) == value
    p = problem_from_dict(problem)
    r = classify(p, point_from_dict({"weights": weights}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM
    assert check_certificate(r.certificate.to_json()).holds


def test_a_saddle_is_refused():
    # the origin of SCALAR_X is critical, value 9/2 > 5/2: G = 6, G^2 = 36 > 4
    res = check_certificate(cert(SCALAR_X, [[[0]], [[0]]]))
    assert not res.holds and "not PSD" in res.reason


@pytest.mark.parametrize("problem, weights, why", [
    # depth 3: lam/2 ||W||^2 bounds a Schatten quasi-norm, not the nuclear norm
    ({"family": "deep-linear", "widths": [1, 1, 1, 1], "Y": [[1]], "loss": "square",
      "weight_decay": "1/10"}, [[[0]], [[0]], [[0]]], "towers of 1 or 2 layers"),
    # an entry without decay: the least decay of its layer is 0
    ({"family": "deep-linear", "widths": [2, 1, 1], "Y": [[1, 0]], "loss": "square",
      "weight_decay": [[[0, 2]], [[1]]]}, [[[0, 0]], [[0]]], "decay > 0"),
    # no decay
    ({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"},
     [[[1]], [[1]]], "decay > 0"),
])
def test_outside_its_scope_the_evidence_is_refused(problem, weights, why):
    res = check_certificate(cert(problem, weights))
    assert not res.holds and why in res.reason


def test_a_point_moved_off_the_critical_set_is_refused():
    res = check_certificate(cert(SCALAR_X, [[[1]], [["11/10"]]]))
    assert not res.holds and "not critical" in res.reason


# l1 with decay 1, widths [1, 1, 1], Y = 1: L = |ab - 1| + (a^2 + b^2)/2 >= |R - 1| + |R| >= 1,
# and at the kink a = b = 1 (R = Y) L = 1: global.  0 in dL there only with the subgradient
# s = -1 of |E| at E = 0: dL/da = s b + a = s + 1 = 0; then G = -s = 1, G^2 = 1 <= 1.
L1_DECAY = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "l1",
            "weight_decay": 1}


def test_an_l1_kink_is_global_with_its_multiplier():
    ev = {"type": "nuclear-dual-bound", "multiplier": [[-1]]}
    res = check_certificate(cert(L1_DECAY, [[[1]], [[1]]], evidence=ev))
    assert res.holds, res.reason
    p = problem_from_dict(L1_DECAY)
    r = classify(p, point_from_dict({"weights": [[[1]], [[1]]]}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 1
    assert r.certificate.to_json()["evidence"]["multiplier"] == [[-1]]
    for bad in ([["-1/2"]], [[-2]], None):      # not critical with it; outside [-1, 1]; missing
        evb = {"type": "nuclear-dual-bound", **({} if bad is None else {"multiplier": bad})}
        assert not check_certificate(cert(L1_DECAY, [[[1]], [[1]]], evidence=evb)).holds


def test_an_l1_kink_above_the_global_value_gets_no_dual_certificate():
    # decay 3: at a = b = 1, L = 3 > L(0) = 1; criticality would need s = -3, outside [-1, 1]
    prob = {**L1_DECAY, "weight_decay": 3}
    ev = {"type": "nuclear-dual-bound", "multiplier": [[-1]]}
    assert not check_certificate(cert(prob, [[[1]], [[1]]], evidence=ev)).holds
    p = problem_from_dict(prob)
    r = classify(p, point_from_dict({"weights": [[[1]], [[1]]]}, p))
    assert r.kind is not Kind.GLOBAL_MINIMUM


def test_the_multiplier_is_chosen_to_make_the_gradient_small():
    # X = (1, 1, 1), Y = (0, 1, 5), decay 1, the origin: E = (0, -1, -5), a kink in entry 1.
    # Any s in [-1, 1] keeps the origin critical (A = B = 0); G = -(s - 1 - 1) = 2 - s, and
    # G^2 <= 1 needs s = 1.  Truth: for R in [0, 1], |R| + (1 - R) + (5 - R) = 6 - R, and the
    # decay (a^2 + b^2)/2 >= |R|, so L >= 6 = L(0): global (flat along a = b, ab <= 1)
    prob = {"family": "deep-linear", "widths": [1, 1, 1], "X": [[1, 1, 1]], "Y": [[0, 1, 5]],
            "loss": "l1", "weight_decay": 1}
    p = problem_from_dict(prob)
    r = classify(p, point_from_dict({"weights": [[[0]], [[0]]]}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 6
    assert r.certificate.to_json()["evidence"]["multiplier"] == [[1, -1, -1]]
    ev = {"type": "nuclear-dual-bound", "multiplier": [[0, -1, -1]]}     # G = 2: refused
    assert not check_certificate(cert(prob, [[[0]], [[0]]], evidence=ev)).holds


# --- the ball version: irrational critical points (kernel/enclosure.py) ------------------
# widths 2-2-2, X = I, Y = diag(4, 3), decay 1: per singular value y the two-layer minimum
# shrinks it to y - 1 with balanced factors sqrt(y - 1): the global minimum W_1 = W_2 =
# diag(sqrt3, sqrt2) (irrational; G = Y - R = I, ||G||^2 = 1 = a b), and a saddle at
# diag(0, sqrt2) (G = diag(4, 1), ||G||^2 = 16 > 1).
DIAG43 = {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[4, 0], [0, 3]],
          "loss": "square", "weight_decay": 1}


def _enclosed(problem, s1, s2):
    from landscape_proofs.produce.refined import classify_refined

    p = problem_from_dict(problem)
    W = [[[f"{s1:.12f}", "0"], ["0", f"{s2:.12f}"]]] * 2
    return classify_refined(p, point_from_dict({"weights": W}, p), snap=False)


def _with_dual(cert, shift, claim="global-minimum"):
    c = copy.deepcopy(cert)
    c["claim"] = claim
    c["evidence"]["global"] = {"type": "nuclear-dual-bound", "shift": shift}
    return c


def test_the_ball_version_accepts_an_irrational_global_minimum_and_refuses_a_saddle():
    import math

    from landscape_proofs.kernel.numbers import parse_exact

    res = _enclosed(DIAG43, math.sqrt(3), math.sqrt(2))
    assert res.kind is Kind.GLOBAL_MINIMUM
    v = res.certificate["value"]
    # the value 1/2 ||G||^2 + (3 + 2) = 1 + 5 = 6: sum_j (y_j - 1) + 1/2 * 2 = 6
    assert parse_exact(v["lower"]) <= 6 <= parse_exact(v["upper"])
    ok = check_certificate(_with_dual(res.certificate, "4"))
    assert ok.holds and "D_alpha - G^T D_beta^-1 G" in ok.reason, ok.reason
    for shift in ("0", "-1"):
        assert not check_certificate(_with_dual(res.certificate, shift)).holds
    saddle = _enclosed(DIAG43, 0.0, math.sqrt(2))
    assert saddle.kind is Kind.STRICT_SADDLE
    bad = check_certificate(_with_dual(saddle.certificate, "4"))
    assert not bad.holds


# widths 1-2-1, Y = 5, decays (2, 4) on W_1 and (1, 1) on W_2: hidden unit u carries R_u = a_u b_u
# at the cost (alpha_u a_u^2 + beta_u b_u^2)/2 >= sqrt(alpha_u beta_u) |R_u| (AM-GM): sqrt 2
# for unit 1, 2 for unit 2, so unit 1 carries R and min 1/2 (R - 5)^2 + sqrt2 R is at
# R = 5 - sqrt 2, value 1 + sqrt2 (5 - sqrt2) = 5 sqrt2 - 1 ~ 6.0711: an irrational global
# minimum under a decay that is not constant on a layer (G = sqrt 2: unit 2 needs 4 - 2 >= 0).
PER_UNIT = {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[5]], "loss": "square",
            "weight_decay": [[[2], [4]], [[1, 1]]]}


def test_the_ball_version_reads_each_hidden_units_decays():
    import mpmath

    from landscape_proofs.search.multistart import SearchConfig, search

    r = search(problem_from_dict(PER_UNIT), SearchConfig(starts=8, seed=0))
    g = min(r.groups, key=lambda g: g.value_approx)
    assert g.kind is Kind.GLOBAL_MINIMUM, g.reason
    v = Fraction(str(mpmath.mpf(5) * mpmath.sqrt(2) - 1))
    lo, hi = g.value_enclosure
    assert lo - Fraction(1, 10 ** 12) <= v <= hi + Fraction(1, 10 ** 12) and hi - lo < 1e-20
    assert g.certificate["evidence"]["global"]["type"] == "nuclear-dual-bound"
    assert check_certificate(g.certificate).holds
    # unit 2 made cheaper (decay 1/4 on its input weight: cost 1/2 < sqrt 2): the point, with
    # unit 2 off, is still critical but not global (1/4 - G^2 = 1/4 - 2 < 0): refused
    bad = copy.deepcopy(g.certificate)
    bad["problem"]["weight_decay"] = [[[2], ["1/4"]], [[1, 1]]]
    bad.pop("value")
    res = check_certificate(bad)
    assert not res.holds and "D_alpha - G^T D_beta^-1 G" in res.reason, res.reason


def test_search_certifies_an_irrational_global_minimum_for_data_not_whitened():
    # widths 2-2-2, X = [[2, 0], [1, 1]] (X X^T is not c I), Y = [[2, 1], [1, 1]], decay 1/10:
    # no closed form; the certified value must match an independent float minimisation
    import numpy as np
    from scipy.optimize import minimize

    from landscape_proofs.search.multistart import SearchConfig, search

    X, Y = np.array([[2, 0], [1, 1.0]]), np.array([[2, 1], [1, 1.0]])
    problem = {"family": "deep-linear", "widths": [2, 2, 2], "X": [[2, 0], [1, 1]],
               "Y": [[2, 1], [1, 1]], "loss": "square", "weight_decay": "1/10"}
    r = search(problem_from_dict(problem), SearchConfig(starts=8, seed=0))
    g = next(g for g in r.groups if g.kind is Kind.GLOBAL_MINIMUM)
    assert "nuclear-dual-bound" in str(g.certificate["evidence"])
    lo, hi = (float(v) for v in g.value_enclosure)

    def f(w):
        A, B = w[:4].reshape(2, 2), w[4:].reshape(2, 2)
        return 0.5 * np.sum((B @ A @ X - Y) ** 2) + 0.05 * w @ w
    rng = np.random.default_rng(1)
    best = min(minimize(f, rng.normal(size=8), method="BFGS").fun for _ in range(20))
    assert best >= lo - 1e-9 and abs(best - hi) < 1e-7


def test_towers_sharing_the_optimum_are_checked_together():
    # towers 2-1-2 and 2-2-2 are the chain 2-3-2; with X = [[2, 0], [1, 1]] the global value
    # is that of the chain 2-2-2 (width 3 >= rank 2), which the previous test measured.  The
    # optimum's rank 2 may sit across both towers: N = a b I - G^T G vanishes on range(A_1^T)
    # + range(A_2^T), and the kernel adds c (A_1^T A_1 + A_2^T A_2)
    from landscape_proofs.search.multistart import SearchConfig, search

    towers = {"family": "multi-tower", "towers": [[2, 1, 2], [2, 2, 2]], "X": [[2, 0], [1, 1]],
              "Y": [[2, 1], [1, 1]], "loss": "square", "weight_decay": "1/10"}
    chain = {**towers, "family": "deep-linear", "widths": [2, 2, 2]}
    chain.pop("towers")
    a = search(problem_from_dict(towers), SearchConfig(starts=8, seed=0))
    b = search(problem_from_dict(chain), SearchConfig(starts=8, seed=0))
    ga = next(g for g in a.groups if g.kind is Kind.GLOBAL_MINIMUM)
    gb = next(g for g in b.groups if g.kind is Kind.GLOBAL_MINIMUM)
    assert "nuclear-dual-bound" in str(ga.certificate["evidence"])
    (lo_a, hi_a), (lo_b, hi_b) = ga.value_enclosure, gb.value_enclosure
    assert lo_a <= hi_b and lo_b <= hi_a            # one value, two parametrisations
    assert ga.runs_in_certified_box == ga.starts


# --- per-entry decay: each hidden unit's weighted norms ---------------------------------------
# widths 1-2-1, l1, Y = 5, decays W_1 = (1, 4)^T, W_2 = (1, 1): the decay is at least
# 1/2 (|A|^2 + |B|^2) >= |p| (p = B A), so L >= |p - 5| + |p| >= 5, reached at the origin and
# along the first hidden unit (a, 0), (a, 0) with a^2 <= 5, where the decay-4 entry is 0.
PER_ENTRY_L1 = {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[5]], "loss": "l1",
                "weight_decay": [[[1], [4]], [[1, 1]]]}


@pytest.mark.parametrize("weights", [[[[2], [0]], [[2, 0]]], [[[0], [0]], [[0, 0]]],
                                     [[["1/2"], [0]], [["1/2", 0]]]])
def test_per_entry_decay_minima_are_global_through_the_least_decays(weights):
    p = problem_from_dict(PER_ENTRY_L1)
    r = classify(p, point_from_dict({"weights": weights}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 5, r.reason
    assert check_certificate(r.certificate.to_json()).holds


def test_a_decay_that_varies_inside_a_layer_uses_its_least_value():
    # widths 2-1-1, Y = (1, 0), decays (1, 2) and 1, origin: G = Y = (1, 0), and the one unit
    # has D_alpha - G^T G / beta = diag(1, 2) - diag(1, 0) = diag(0, 2) >= 0: global, value 1/2
    # (indeed L >= 1/2 ||R - Y||^2 + ||R||_* with the least decays 1, 1, least at R = 0)
    prob = {"family": "deep-linear", "widths": [2, 1, 1], "Y": [[1, 0]], "loss": "square",
            "weight_decay": [[[1, 2]], [[1]]]}
    res = check_certificate(cert(prob, [[[0, 0]], [[0]]]))
    assert res.holds and "every hidden unit" in res.reason


def test_a_point_critical_only_for_smaller_decays_is_refused():
    # widths 2-1-1 (one hidden unit), square loss, Y = (78/5, 104/5), decays (1, 4) and 1, point
    # A = (3, 4), B = 5: R = (15, 20), G = Y - R = (3/5, 4/5).  With decay 1 everywhere the point
    # is critical (A = B G, B = G A^T = 5) and global; with the real decays it is not even
    # critical: dL/dA_2 = -B G_2 + 4 A_2 = -4 + 16 = 12, so the claim would be false.
    prob = {"family": "deep-linear", "widths": [2, 1, 1], "Y": [["78/5", "104/5"]],
            "loss": "square", "weight_decay": [[[1, 4]], [[1]]]}
    res = check_certificate(cert(prob, [[[3, 4]], [[5]]]))
    assert not res.holds and "not critical" in res.reason
    assert check_certificate(cert(dict(prob, weight_decay=1), [[[3, 4]], [[5]]])).holds


def test_an_optimum_on_an_entry_above_its_units_least_decay():
    # widths 2-1-1, Y = (6/5, 2), decays (1, 4) on W_1 and 1 on W_2, A = (3/5, 2/5), B = 1:
    # critical (a_i (b^2 + alpha_i) = b y_i, b (1 + |A|^2) = A . Y), value 123/50, and it uses the
    # decay-4 entry.  G = Y - R = (3/5, 8/5): D_alpha - G^T G / beta = [[16/25, -24/25], [-24/25,
    # 36/25]] = g g^T with g = (4/5, -6/5): PSD (singular), so |D_alpha^-1/2 G^T| = 1 and the
    # point is global (the census of this problem says the same: 3 critical points).
    prob = {"family": "deep-linear", "widths": [2, 1, 1], "Y": [["6/5", 2]], "loss": "square",
            "weight_decay": [[[1, 4]], [[1]]]}
    res = check_certificate(cert(prob, [[["3/5", "2/5"]], [[1]]]))
    assert res.holds, res.reason
    p = problem_from_dict(prob)
    r = classify(p, point_from_dict({"weights": [[["3/5", "2/5"]], [[1]]]}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(123, 50)
    assert r.certificate.to_json()["evidence"]["type"] == "nuclear-dual-bound"
    # a decay of 3 instead of 4 on that entry moves the critical point: refused at this one
    res = check_certificate(cert(dict(prob, weight_decay=[[[1, 3]], [[1]]]), [[["3/5", "2/5"]], [[1]]]))
    assert not res.holds and "not critical" in res.reason


# widths 1-4-1, square loss, Y = 5, decays alpha = (1, 6, 6, 4) on W_1 and beta = (1, 2/3, 3/2,
# 4) on W_2, so c_i^2 = alpha_i beta_i = 1, 4, 9, 16.  Per hidden unit alpha_i/2 a_i^2 + beta_i/2
# b_i^2 >= c_i |a_i b_i|, so L >= 1/2 (p - 5)^2 + min_i c_i |p| = 1/2 (p - 5)^2 + |p|, least at
# p = 4: 1/2 + 4 = 9/2, reached on unit 1 at a = b = 2.  Each layer's least decay (1 and 2/3)
# would only give the weaker bound with sqrt(2/3) |p|: G = 5 - 4 = 1, G^2 = 1 > 2/3.
UNITS = {"family": "deep-linear", "widths": [1, 4, 1], "Y": [[5]], "loss": "square",
         "weight_decay": [[[1], [6], [6], [4]], [[1, "2/3", "3/2", 4]]]}
UNIT1 = [[[2], [0], [0], [0]], [[2, 0, 0, 0]]]


def test_per_entry_decay_uses_each_hidden_units_least_decays():
    res = check_certificate(cert(UNITS, UNIT1))
    assert res.holds and "hidden unit" in res.reason, res.reason
    p = problem_from_dict(UNITS)
    r = classify(p, point_from_dict({"weights": UNIT1}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(9, 2), r.reason
    assert check_certificate(r.certificate.to_json()).holds
    # unit 2's critical point a = 1, b = 3 (p = 3, G = 2: -b G + 6 a = 0, -a G + 2/3 b = 0),
    # value 2 + 3 + 3 = 8 > 9/2, a saddle: G^2 = 4 > min_i c_i^2 = 1
    res = check_certificate(cert(UNITS, [[[0], [1], [0], [0]], [[0, 3, 0, 0]]]))
    assert not res.holds and "not PSD" in res.reason, res.reason


@pytest.mark.parametrize("block, unit, value", [
    (0, 1, "1/4"),        # alpha_2 = 1/4: c_2^2 = 1/6 < G^2 = 1, unit 2 is cheaper than unit 1
    (1, 3, "1/5"),        # beta_4 = 1/5: c_4^2 = 4/5 < 1
])
def test_a_cheaper_hidden_unit_breaks_the_bound(block, unit, value):
    c = cert(UNITS, UNIT1)
    decays = c["problem"]["weight_decay"]
    if block == 0:
        decays[0][unit] = [value]
    else:
        decays[1][0][unit] = value
    res = check_certificate(c)
    assert not res.holds and "not PSD" in res.reason


# --- a tower of one layer (a linear path next to a deep one) ------------------------------------
# towers [[1, 1], [1, 1, 1]], Y = 3, decay 1: R = c + ab, L = 1/2 (c + ab - 3)^2 + c^2/2
# + (a^2 + b^2)/2 >= F(c, p) = 1/2 (c + p - 3)^2 + c^2/2 + |p|, convex, with zero subgradient at
# c = p = 1 (-1 + 1 = 0 twice): the minimum 2, reached at c = a = b = 1.  G = 3 - R = 1 and
# the single layer C = 1 is at the minimum of C^2/2 - G C (C = G / a).
SKIP = {"family": "multi-tower", "towers": [[1, 1], [1, 1, 1]], "Y": [[3]], "loss": "square",
        "weight_decay": 1}


def test_a_one_layer_tower_is_at_its_own_minimum():
    res = check_certificate(cert(SKIP, [[[1]], [[1]], [[1]]]))
    assert res.holds, res.reason
    p = problem_from_dict(SKIP)
    r = classify(p, point_from_dict({"weights": [[[1]], [[1]], [[1]]]}, p))
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 2
    # c = 2, a = b = 1: R = 3, G = 0, but a C = 2 != G (L = 3 there, above 2)
    res = check_certificate(cert(SKIP, [[[2]], [[1]], [[1]]]))
    assert not res.holds and "not critical" in res.reason


# --- convex custom losses beyond degree 2 ----------------------------------------------------
# l(r) = r^2 + r^4/2 is convex (a PSD quadratic part plus a positive multiple of an even power of
# one entry): the kernel proves it (kernel/losses.py, Custom.convex_proven).  Widths [1, 1, 1],
# Y = 3, decay 1: (a^2 + b^2)/2 >= |ab| = p, so L >= g(p) = (p - 3)^2 + (p - 3)^4/2 + p, least
# where u = p - 3 solves 2u^3 + 2u + 1 = 0 (no rational root: +-1, +-1/2 fail), u ~ -0.4239,
# value ~2.77194, reached by a = b = sqrt(p): an irrational global minimum.
QUARTIC = {"family": "deep-linear", "widths": [1, 1, 1], "Y": [[3]], "weight_decay": 1,
           "loss": {"name": "custom", "expression": "r_0_0**2 + 1/2*r_0_0**4"}}


@pytest.mark.parametrize("expression, convex", [
    ("r_0_0**2 + 1/2*r_0_0**4", True),
    ("(r_0_0 + r_0_1)**2 + 1/4*r_0_0**4 + 3*r_0_1**6", True),
    ("r_0_0**4", True),                         # Hessian 0 at 0, and r^4 convex
    ("-r_0_0**2 + r_0_0**4", False),            # the Hessian at 0 is negative
    ("r_0_0**2 - r_0_0**4", None),              # a negative quartic: not decided by the rule
    ("r_0_0**2*r_0_1**2", None),                # a product of entries: not decided
    ("r_0_0**2 + r_0_0**3", None),              # an odd power
])
def test_the_kernel_proves_convexity_of_separable_even_powers(expression, convex):
    from landscape_proofs.kernel.losses import Custom
    from landscape_proofs.losses.custom import CustomLoss

    assert Custom(expression, "residual").convex_proven(1, 2) is convex
    # the producer never claims more than the kernel proves
    assert CustomLoss(expression=expression).convex_proven(1, 2) in (convex, None) or convex is None


def test_a_quartic_convex_loss_gets_a_global_irrational_minimum():
    import mpmath

    from landscape_proofs.search.multistart import SearchConfig, search

    ctx = mpmath.mp.clone()
    ctx.dps = 40
    u = ctx.findroot(lambda u: 2 * u ** 3 + 2 * u + 1, -0.4)
    v = Fraction(str(u ** 2 + u ** 4 / 2 + (u + 3)))
    r = search(problem_from_dict(QUARTIC), SearchConfig(starts=8, seed=0))
    (g,) = [g for g in r.groups if g.kind is Kind.GLOBAL_MINIMUM]
    lo, hi = g.value_enclosure
    assert lo - Fraction(1, 10 ** 30) <= v <= hi + Fraction(1, 10 ** 30) and abs(float(v) - 2.77194) < 1e-5
    assert g.certificate["evidence"]["global"]["type"] == "nuclear-dual-bound"
    assert check_certificate(g.certificate).holds
    # the same certificate with a loss the kernel cannot prove convex is refused
    bad = copy.deepcopy(g.certificate)
    bad["problem"]["loss"]["expression"] = "r_0_0**2 + 1/2*r_0_0**4 + 0*r_0_0**3 + r_0_0**2*0"
    assert check_certificate(bad).holds          # the same polynomial, written differently
    bad["problem"]["loss"]["expression"] = "r_0_0**2 + 1/2*r_0_0**4 + 1/100000000000000000000000000000000000000000000000000000000000000000000000000000000*r_0_0**3"
    bad.pop("value")
    res = check_certificate(bad)
    assert not res.holds and "convex" in res.reason, res.reason
