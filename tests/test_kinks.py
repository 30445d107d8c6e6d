"""Saddles and local minima at l1 kinks (kernel/checker.py).  Both start from an exact
multiplier putting 0 in the Clarke subdifferential; a saddle (nonsmooth-saddle, evidence
``kink``) adds exactly expanded descent and ascent curves, a local minimum (``kink-slice``) the
smooth minorant's Hessian on the directions that move no strict kink."""
from __future__ import annotations

import copy
from fractions import Fraction

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


def cert(problem, weights, evidence, claim="nonsmooth-saddle"):
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
    assert r.kind is Kind.NONSMOOTH_SADDLE and r.value == 6
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
    assert r.kind is Kind.NONSMOOTH_SADDLE
    assert "-1/2 t^2" in r.reason
    assert _classify(dict(SCALAR, weight_decay=1), ORIGIN).kind is Kind.GLOBAL_MINIMUM


def test_depth_three_descends_at_odd_order():
    # R = abc: along a = b = c = t, L = 6 - t^3; the ascent flips c: 6 + 3 t^3
    deep = dict(SCALAR, widths=[1, 1, 1, 1])
    r = _classify(deep, [[[0]], [[0]], [[0]]])
    assert r.kind is Kind.NONSMOOTH_SADDLE
    assert "t^3" in r.reason
    assert check_certificate(r.certificate.to_json()).holds


# --- local minima at kinks (evidence kink-slice) ---------------------------------------------
# widths 2-1-2, X = I, Y = diag(3, 1), l1: with W_1 = v^T, W_2 = u, L = |u1 v1 - 3| + |u1 v2|
# + |u2 v1| + |u2 v2 - 1|.  At u = v = e2: L = 3 - u1 v1 + |u1| + |v1| + |u2 v2 - 1| near it,
# >= 3 (|u1| + |v1| beats |u1 v1| near 0): a local minimum, flat along u2 v2 = 1; u = 3 e1,
# v = e1 has value 1 < 3.  At u = 3 e1, v = e1: L = |u1 v1 - 3| + 3|v2| + |u2| + 1 - u2 v2
# near it, >= 1: a local minimum (in fact the global one over rank 1, not proven here).
BOTTLENECK = {"family": "deep-linear", "widths": [2, 1, 2], "Y": [[3, 0], [0, 1]], "loss": "l1"}
E2 = [[[0, 1]], [[0], [1]]]
E1 = [[[1, 0]], [[3], [0]]]


def test_a_spurious_local_minimum_at_kinks_is_certified():
    r = _classify(BOTTLENECK, E2)
    assert r.kind is Kind.SPURIOUS_LOCAL_MINIMUM and r.value == 3
    ev = r.certificate.evidence
    assert ev["local_minimum"]["type"] == "kink-slice"
    # the multiplier is forced at (0, 0) (E = -3 < 0) and by criticality: dL/du1 = S00 v1 +
    # S01 v2 = S01 = 0 and dL/dv1 = S00 u1 + S10 u2 = S10 = 0, dL/du2 = S11 = 0
    assert ev["local_minimum"]["multiplier"] == [[-1, 0], [0, 0]]
    assert exact_objective(problem_from_dict(BOTTLENECK)).value(
        [__import__("flint").fmpq_mat(M) for M in ev["better_point"]]) < 3
    assert check_certificate(r.certificate.to_json()).holds
    text = explain_certificate(r.certificate.to_json())
    assert "Clarke" in text and "cannot be a local minimum" not in text


def test_the_rank_one_optimum_at_kinks_is_a_local_minimum():
    r = _classify(BOTTLENECK, E1)
    assert r.kind is Kind.LOCAL_MINIMUM and r.value == 1
    assert check_certificate(r.certificate.to_json()).holds


def test_a_saddle_is_not_accepted_as_a_kink_minimum():
    # the origin of SCALAR descends along a = b = t: with S = (-1, -1, -1) nothing is strict,
    # N is everything and the minorant -ab + 6 has an indefinite Hessian
    ev = {"type": "kink-slice", "multiplier": [[-1, -1, -1]]}
    res = check_certificate(cert(SCALAR, ORIGIN, ev, claim="local-minimum"))
    assert not res.holds and "inertia (1, 1, 0)" in res.reason
    # the spurious minimum's claim with a multiplier that is not Clarke critical
    bad = {"type": "kink-slice", "multiplier": [[-1, "1/2"], [0, 0]]}
    res = check_certificate(cert(BOTTLENECK, E2, bad, claim="local-minimum"))
    assert not res.holds and "Clarke" in res.reason


def test_the_shallow_rank_problem_lifts_kink_minima():
    from landscape_proofs.api import classify_shallow as shallow
    prob = {"family": "shallow-rank", "shape": [2, 2], "rank": 1, "Y": [[3, 0], [0, 1]],
            "loss": "l1"}
    assert shallow(prob, {"R": [[3, 0], [0, 0]]}).kind.value == "local-minimum"
    assert shallow(prob, {"R": [[0, 0], [0, 1]]}).kind.value == "spurious-local-minimum"


def test_a_kink_minimum_of_u_ut_needs_a_multiplier_strictly_inside():
    # l(U U^T) = |u1^2 - 1| + 2 |u1 u2| + |u2^2 - 1| (Y = I, l1) at U = (1, 0): E = diag(0, -1).
    # Clarke: S00 = 0 and S01 + S10 = 0; near U, L - 1 >= |u1^2 - 1| + 2|u1||u2| - u2^2 >= 0.
    # With S01 = -S10 = 1 nothing is strict and the minorant 1 - u2^2 + ... is not minimal; with
    # S01 = S10 = 0 every kink is strict, N = {0}: a (sharp) local minimum.
    prob = {"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, 1]],
            "loss": "l1"}
    r = _classify(prob, [[[1], [0]]])
    assert r.kind is Kind.LOCAL_MINIMUM and r.value == 1, r.reason
    S = r.certificate.evidence["multiplier"]
    assert all(abs(Fraction(x)) < 1 for x in (S[0][1], S[1][0]))
    bad = {"type": "kink-slice", "multiplier": [[0, 1], [-1, -1]]}
    res = check_certificate(cert(prob, [[[1], [0]]], bad, claim="local-minimum"))
    assert not res.holds and "inertia (0, 1, 0)" in res.reason


@pytest.mark.parametrize("loss", ["square", {"name": "power", "p": 4}])
def test_kink_evidence_is_refused_for_smooth_losses(loss):
    # widths [1, 1], X = 1, Y = -3, decay 1, w = -1: L = (w + 3)^2/2 + w^2/2 for the square
    # loss has L'(-1) = 2 - 1 = 1: not critical, not a minimum (review finding: <S, E> + decay is
    # no minorant of a smooth loss, whatever S)
    prob = {"family": "deep-linear", "widths": [1, 1], "X": [[1]], "Y": [[-3]], "loss": loss,
            "weight_decay": 1}
    for claim, ev in (("local-minimum", {"type": "kink-slice", "multiplier": [[1]]}),
                      ("nonsmooth-saddle", dict(GOOD, multiplier=[[1]], curve=[[[[1]]]],
                                                ascent_curve=[[[[-1]]]]))):
        res = check_certificate(cert(prob, [[[-1]]], ev, claim=claim))
        assert not res.holds and "not at a kink of the l1 loss" in res.reason


# --- global minima of l(U U^T) at l1 kinks: psd-cone-optimality with a multiplier -------------
# Y = diag(1, -1), l1: for every PSD Z, |Z_22 + 1| = Z_22 + 1 >= 1, so L(U) >= 1, reached at
# U U^T = e1 e1^T (k = 1: U = (1, 0); k = 2: U = [[1, 0], [0, 0]]).  E = diag(0, 1): S_22 = 1,
# and Clarke criticality (S + S^T) U = 0 forces S_11 = 0, S_12 = -S_21, so sym(S) = diag(0, 1)
# is PSD with <sym(S), e1 e1^T> = 0.
INDEFINITE = {"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, -1]],
              "loss": "l1"}


@pytest.mark.parametrize("shape, U", [([2, 1], [[1], [0]]), ([2, 2], [[1, 0], [0, 0]])])
def test_a_psd_cone_optimum_at_l1_kinks_is_global(shape, U):
    prob = dict(INDEFINITE, shape=shape)
    r = _classify(prob, [U])
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == 1, r.reason
    data = r.certificate.to_json()
    assert data["evidence"]["type"] == "psd-cone-optimality" and "multiplier" in data["evidence"]
    assert check_certificate(data).holds


@pytest.mark.parametrize("S, why", [
    ([[0, 0], [0, 0]], "multiplier[1][1]"),          # S_22 must be sign(E_22) = 1
    ([["-1/2", 0], [0, 1]], "negative eigenvalue"),  # sym(S) = diag(-1/2, 1) is not PSD
    ([[0, "1/2"], ["1/2", 1]], "negative eigenvalue"),  # det = -1/4
    ([[1, 0], [0, 1]], "<S, U U^T> = 1"),            # PSD, but not zero on R = e1 e1^T
])
def test_tampered_psd_cone_multipliers_are_rejected(S, why):
    res = check_certificate(cert(INDEFINITE, [[[1], [0]]],
                                 {"type": "psd-cone-optimality", "multiplier": S},
                                 claim="global-minimum"))
    assert not res.holds and why in res.reason, res.reason


def test_psd_cone_optimality_at_a_kink_with_weight_decay():
    # 1 x 1: L(u) = |u^2 - y| + lam/2 u^2 = phi(Z) = |Z - y| + lam/2 Z at Z = u^2 >= 0.
    # y = 1, lam = 1: phi decreases on [0, 1] (slope -1/2) and increases after (3/2): u = +-1
    # is global, value 1/2; the multiplier S = -1/2 makes S + lam/2 = 0.  lam = 3: phi
    # increases from Z = 0 (slope 1/2), so u = 0 is global (value 1) and u = 1 (value 3/2)
    # is not even Clarke critical (2 u S + 3 u = 0 needs S = -3/2).
    prob = {"family": "symmetric-factorization", "shape": [1, 1], "Y": [[1]], "loss": "l1",
            "weight_decay": 1}
    r = _classify(prob, [[[1]]])
    assert r.kind is Kind.GLOBAL_MINIMUM and r.value == Fraction(1, 2), r.reason
    assert r.certificate.evidence["multiplier"] == [["-1/2"]] or \
        Fraction(r.certificate.evidence["multiplier"][0][0]) == Fraction(-1, 2)
    assert check_certificate(r.certificate.to_json()).holds
    heavy = dict(prob, weight_decay=3)
    assert _classify(heavy, [[[0]]]).kind is Kind.GLOBAL_MINIMUM
    assert _classify(heavy, [[[1]]]).kind is Kind.NOT_CRITICAL
    res = check_certificate(cert(heavy, [[[1]]], {"type": "psd-cone-optimality",
                                                 "multiplier": [[-1]]}, claim="global-minimum"))
    assert not res.holds    # sym(S) + 3/2 = 1/2 >= 0 but <S, R> = 1/2 != 0


# --- the l1 piece in sums of squares (kernel/sos.py) ----------------------------------------
# l(U U^T), l1, Y = I, U = (1/2, 1/2): E = [[-3/4, 1/4], [1/4, -3/4]] has no zero entry, so
# near U, L = (1 - u1^2) + 2 u1 u2 + (1 - u2^2) = 2 - (u1 - u2)^2 <= 2 (the Hessian diag(-2,-2)
# + 2 offdiag is singular: flat along u1 = u2).  A local maximum, not a global one (U = (2, 0)
# gives 3 + 0 + 1 = 4).
SMOOTH_MAX = {"family": "symmetric-factorization", "shape": [2, 1], "Y": [[1, 0], [0, 1]],
              "loss": "l1"}
HALF = [[["1/2"], ["1/2"]]]


def test_a_degenerate_l1_local_maximum_at_a_smooth_point():
    r = _classify(SMOOTH_MAX, HALF)
    assert r.kind is Kind.LOCAL_MAXIMUM and r.value == 2, r.reason
    data = r.certificate.to_json()
    res = check_certificate(data)
    assert res.holds and data["evidence"]["type"] == "sos-local"
    # the reason never says L <= 2 everywhere (false: L(2, 0) = 4), only for the piece h
    assert "L <= 2 everywhere" not in res.reason and "= L near x0" in res.reason
    assert "global" not in res.reason
    bad = copy.deepcopy(data)
    bad["evidence"]["gram"] = [["1", "0"], ["0", "1"]]      # (y1^2 + y2^2) != (y1 - y2)^2
    assert not check_certificate(bad).holds


def test_the_l1_piece_proves_no_maximum_at_a_kink():
    # 1 x 1, Y = 0: L(u) = |u^2| = u^2, the global minimum at u = 0, a kink (E = 0).  The piece
    # there is h = -u^2 <= 0 = L(0) everywhere, but h is only a minorant of L at a kink.
    prob = {"family": "symmetric-factorization", "shape": [1, 1], "Y": [[0]], "loss": "l1"}
    ev = {"type": "sos-local", "multiplier_degree": 0, "basis": [[[0, 1]]], "gram": [[1]]}
    res = check_certificate(cert(prob, [[[0]]], ev, claim="local-maximum"))
    assert not res.holds and "no kink for a maximum" in res.reason
    # as a minimum the piece would need -u^2 >= 0: the identity fails
    res = check_certificate(cert(prob, [[[0]]], ev, claim="local-minimum"))
    assert not res.holds


def test_the_l1_piece_is_a_global_minorant_for_minima():
    # 1 x 1, Y = 1, decay 2: L = |u^2 - 1| + u^2 >= 1 (2u^2 - 1 >= 1 when u^2 >= 1), equal at
    # u = 0 (smooth: E = -1).  The piece h = (1 - u^2) + u^2 = 1: h - 1 = 0 is a sum of squares,
    # so L >= h >= 1 everywhere: global.  With decay 1, h = 1 - u^2/2 is not bounded below.
    prob = {"family": "symmetric-factorization", "shape": [1, 1], "Y": [[1]], "loss": "l1",
            "weight_decay": 2}
    zero = {"type": "sos-lower-bound", "multiplier_degree": 0, "basis": [[[0, 1]]], "gram": [[0]]}
    res = check_certificate(cert(prob, [[[0]]], zero, claim="global-minimum"))
    assert res.holds and "global minimum" in res.reason, res.reason
    res = check_certificate(cert(dict(prob, weight_decay=1), [[[0]]], zero, claim="global-minimum"))
    assert not res.holds


def test_a_kink_saddle_whose_descent_stays_on_the_kink():
    # widths 1-2-1, l1, Y = 1, per-entry decays (1, 1/4) on both layers, point a1 = b1 = 1,
    # a2 = b2 = 0: p = a1 b1 + a2 b2 = 1 is a kink.  Clarke: S b1 + a1 = 0 gives S = -1.  Moving
    # a2 = b2 = t alone raises |p - 1| by t^2 (L = 1 + 5t^2/4), but staying on the kink,
    # a1 = b1 = 1 - t^2/2 keeps p = 1 + t^4/4 and L = (1 - t^2/2)^2 + t^2/4 + t^4/4 = 1 - 3t^2/4
    # + ...: a saddle (a1 = 1 + t ascends at first order).  The curve is W + t V + t^2 C with V
    # in the kernel of the kink row of the Jacobian and J_K C = -(t^2 term of the residual).
    prob = {"family": "deep-linear", "widths": [1, 2, 1], "Y": [[1]], "loss": "l1",
            "weight_decay": [[[1], ["1/4"]], [[1, "1/4"]]]}
    r = _classify(prob, [[[1], [0]], [[1, 0]]])
    assert r.kind is Kind.NONSMOOTH_SADDLE and r.value == 1, r.reason
    data = r.certificate.to_json()
    assert check_certificate(data).holds and len(data["evidence"]["curve"]) == 2   # t V + t^2 C
    assert "t^2" in check_certificate(data).reason
    # the straight line alone (no second-order correction) ascends: as a descent curve it fails
    bad = copy.deepcopy(data)
    bad["evidence"]["curve"] = bad["evidence"]["curve"][:1]
    assert not check_certificate(bad).holds


def test_a_flat_valley_that_is_no_orbit_is_decided_on_its_face():
    # towers [[1,1,1], [1,1,1,1]], l1, Y = 10, decay 1, at (a, b | c, d, e) = (1, 1 | 0, 0, 0):
    # p = ab + cde = 1 < 10, so near the point L = 10 - ab - cde + (a^2+b^2+c^2+d^2+e^2)/2
    # = 10 + (a - b)^2/2 + [(c^2 + d^2 + e^2)/2 - cde] >= 10 (the cubic is small near 0): a local
    # minimum, flat along a = b (L = 10 there: no symmetry orbit, the towers' gauges are
    # discrete), spurious: a = b = 0, c = d = e = 2 gives |8 - 10| + 12/2 = 8 < 10.
    # A sum of squares vanishing on that line has a singular Gram matrix: found on its face.
    prob = {"family": "multi-tower", "towers": [[1, 1, 1], [1, 1, 1, 1]], "Y": [[10]],
            "loss": "l1", "weight_decay": 1}
    r = _classify(prob, [[[1]], [[1]], [[0]], [[0]], [[0]]])
    assert r.kind is Kind.SPURIOUS_LOCAL_MINIMUM and r.value == 10, r.reason
    data = r.certificate.to_json()
    assert check_certificate(data).holds
    assert data["evidence"]["local_minimum"]["type"] == "sos-local"


def test_zero_lines_are_the_flat_directions_only():
    import flint
    from landscape_proofs.produce.sos import _zero_lines
    ctx = flint.fmpq_mpoly_ctx.get(("y", 3), "lex")
    y0, y1, y2 = ctx.gens()
    # (y0 - y1)^2 / 2 + y2^2 - y0 y1 y2: the quadratic part vanishes on (1, 1, 0), and so does
    # the whole polynomial along it; with + y0^4 it does not (a quartic wall, no line of zeros)
    lines = _zero_lines((y0 - y1) ** 2 / 2 + y2 ** 2 - y0 * y1 * y2, 3)
    assert len(lines) == 1 and lines[0][0] == lines[0][1] != 0 and lines[0][2] == 0
    assert _zero_lines((y0 - y1) ** 2 / 2 + y2 ** 2 + y0 ** 4, 3) == []
