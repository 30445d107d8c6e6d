"""Refinement and enclosure certificates for the multi-tower and symmetric-factorization families.

Instances with irrational critical points, derived by hand (square loss unless said otherwise):

Symmetric factorization ``F(U) = 1/2 ||U U^T - Y||^2 (+ lam/2 ||U||^2)``:
- ``sf-global``: ``Y = diag(2, -1)``, ``k = 1``, ``U = (u1, u2)``:
  ``F = 1/2 [(u1^2 - 2)^2 + 2 u1^2 u2^2 + (u2^2 + 1)^2]``.  At ``U = (sqrt 2, 0)`` the gradient
  ``(2 u1 (u1^2 - 2) + 2 u1 u2^2, 2 u1^2 u2 + 2 u2 (u2^2 + 1))`` is 0, the Hessian is
  ``diag(6 u1^2 - 4, 2 u1^2 + 2) = diag(8, 6)`` and ``F = 1/2``.  Since ``F >= 1/2 (u2^2 + 1)^2
  >= 1/2`` it is a global minimum.  What the enclosure proves: ``global-minimum`` through the
  PSD route: ``G = U U^T - Y = diag(0, 1)`` is PSD and ``G U = 0``, so ``U U^T`` minimises the
  convex ``1/2 ||R - Y||^2`` over all PSD ``R`` (the checker shows ``G + c U U^T > 0``).
- ``sf-weight-decay``: the same with ``lam = 1/2``: ``dF/du1 = 2 u1 (u1^2 - 2) + u1/2 = 0`` at
  ``u1^2 = 7/4``: ``U = (sqrt 7 / 2, 0)``, ``F = 1/2 (1/16 + 1) + 7/16 = 31/32``; the symmetric
  part of the gradient of ``f(R) = 1/2 ||R - Y||^2 + lam/2 tr R`` is
  ``diag(-1/4, 1) + 1/4 I = diag(0, 5/4)``, PSD: ``global-minimum``.
- ``sf-saddle``: ``Y = diag(2, 3)``, ``k = 1``, ``U = (sqrt 2, 0)``: ``F = 9/2``,
  Hessian ``diag(8, 2 u1^2 - 6) = diag(8, -2)``: a strict saddle.
- ``sf-local``: ``Y = diag(2, 3)``, ``k = 1``, ``U = (0, sqrt 3)``: ``F = 2``, Hessian
  ``diag(2 u2^2 - 4, 12) = diag(2, 12)``: a local minimum, in fact global among rank-1 PSD
  matrices. ``G = diag(-2, 0)`` is not PSD, so ``psd-cone-optimality`` must be refused; the
  critical values ``13/2, 9/2, 2`` (keep no eigenvalue, 2 or 3) isolate it instead:
  ``global-minimum`` by ``isolated-critical-value`` (kernel/critical_values.py).
- ``sf-rotation``: ``Y = [[2, 1, 0], [1, 1, 0], [0, 0, -1]]``, ``k = 2`` (gauge O(2), one frozen
  coordinate): ``U U^T = [[2, 1, 0], [1, 1, 0], [0, 0, 0]]`` (eigenvalues ``(3 +- sqrt 5)/2``,
  so ``U`` is irrational in every gauge), ``G = diag(0, 0, 1)`` PSD: ``global-minimum``,
  value ``1/2``.
- ``sf-rank-one-saddle``: the same ``Y``, keeping only ``(3 + sqrt 5)/2``: ``U`` of rank 1,
  value ``(1 + ((3 - sqrt 5)/2)^2)/2 = (9 - 3 sqrt 5)/4``: a strict saddle.

Multi-tower ``F = 1/2 ||R_1 + R_2 - Y||^2``, ``Y = [[2, 1], [1, 1]]`` (eigenvalues
``l+- = (3 +- sqrt 5)/2``, eigenvectors ``q+-``):
- ``mt-saddle``: towers ``[[2, 1, 2], [2, 1, 2]]`` (``R_t = u_t v_t``), both on ``q+``:
  ``R = l+ q+ q+^T``, ``G = R - Y = -l- q- q-^T``, ``G v_t^T = 0``, ``u_t^T G = 0``: critical,
  value ``l-^2 / 2 = (7 - 3 sqrt 5)/4``; turning a tower towards ``q-`` decreases F: a strict
  saddle.  Its orbit has dimension 3, one less than at a generic nearby point: the refinement
  must choose the gauge again.
- ``mt-global``: towers ``[[2, 1, 1, 2], [2, 1, 2]]``, ``R = Y``: value 0, the product map is a
  submersion there (``global-minimum``).
- ``mt-weight-decay``: towers ``[[2, 1, 2], [2, 1, 2]]``, ``lam = 1/4``: the balanced point
  with ``R = sum (l_i - 1/4) q_i q_i^T`` has value ``1/2 * 2/16 + 1/4 (3 - 1/2) = 11/16``
  (irrational weights ``sqrt(l_i - 1/4) q_i``), with the O gauge and the rotations between
  the two towers.  Two-layer towers are the chain ``[U_1 U_2] [V_1; V_2]``, so the critical
  values are those of the chain 2-2-2 with decay 1/4: per eigenvalue ``l`` above 1/4 the
  least is ``l/4 - 1/32``, total ``3/4 - 1/16 = 11/16``: ``global-minimum``.
- ``mt-bottleneck``: towers ``[[3, 1, 3], [3, 1, 3]]``, ``Y = [[2, 1, 0], [1, 1, 0], [0, 0, 5]]``
  keeping ``5`` and ``l+``: value ``(7 - 3 sqrt 5)/4``, the global minimum (rank 2 < 3: a
  bottleneck, and the optimum is irrational: proven through the rank-2 manifold).
"""
from __future__ import annotations

import copy
import json
import random
from fractions import Fraction

import flint
import mpmath
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from _enclosure_cases import CertifiedCases, check
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.enclosure import arb_objective, lower_q, upper_q
from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.cli.main import main
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.numeric.views import mp_objective

Y2 = [[2, 1], [1, 1]]
Y3 = [[2, 1, 0], [1, 1, 0], [0, 0, -1]]
SF = "symmetric-factorization"
MT = "multi-tower"

CASES = {
    "sf-global": ({"family": SF, "shape": [2, 1], "Y": [[2, 0], [0, -1]], "loss": "square"},
                  [[["1.41"], ["0.01"]]], Kind.GLOBAL_MINIMUM),
    "sf-weight-decay": ({"family": SF, "shape": [2, 1], "Y": [[2, 0], [0, -1]], "loss": "square",
                         "weight_decay": "1/2"}, [[["1.3"], ["0.01"]]], Kind.GLOBAL_MINIMUM),
    "sf-saddle": ({"family": SF, "shape": [2, 1], "Y": [[2, 0], [0, 3]], "loss": "square"},
                  [[["1.41"], ["0.01"]]], Kind.STRICT_SADDLE),
    "sf-local": ({"family": SF, "shape": [2, 1], "Y": [[2, 0], [0, 3]], "loss": "square"},
                 [[["0.01"], ["1.73"]]], Kind.GLOBAL_MINIMUM),
    "sf-rotation": ({"family": SF, "shape": [3, 2], "Y": Y3, "loss": "square"},
                    [[["1.38", "-0.32"], ["0.85", "0.53"], ["0.01", "0"]]], Kind.GLOBAL_MINIMUM),
    "sf-rank-one-saddle": ({"family": SF, "shape": [3, 2], "Y": Y3, "loss": "square"},
                           [[["1.3", "0.1"], ["0.7", "-0.3"], ["0.01", "0"]]], Kind.STRICT_SADDLE),
    "mt-saddle": ({"family": MT, "towers": [[2, 1, 2], [2, 1, 2]], "Y": Y2, "loss": "square"},
                  [[["0.85", "0.53"]], [["1.0"], ["0.6"]], [["0.85", "0.53"]], [["1.2"], ["0.7"]]],
                  Kind.STRICT_SADDLE),
    "mt-global": ({"family": MT, "towers": [[2, 1, 1, 2], [2, 1, 2]], "Y": Y2, "loss": "square"},
                  [[["2.01", "1"]], [["1"]], [["1"], ["0"]], [["1", "1.01"]], [["0"], ["1"]]],
                  Kind.GLOBAL_MINIMUM),
    "mt-weight-decay": ({"family": MT, "towers": [[2, 1, 2], [2, 1, 2]], "Y": Y2, "loss": "square",
                         "weight_decay": "1/4"},
                        [[["1.3", "0.8"]], [["1.3"], ["0.8"]], [["-0.2", "0.4"]], [["-0.2"], ["0.4"]]],
                        Kind.GLOBAL_MINIMUM),
    "mt-bottleneck": ({"family": MT, "towers": [[3, 1, 3], [3, 1, 3]],
                       "Y": [[2, 1, 0], [1, 1, 0], [0, 0, 5]], "loss": "square"},
                      [[["0", "0", "2.2"]], [["0"], ["0"], ["2.2"]], [["1.4", "0.85", "0"]],
                       [["0.9"], ["0.55"], ["0"]]], Kind.GLOBAL_MINIMUM),
}

certified = CertifiedCases(CASES).certified


def mpq(ctx, q: Fraction):
    return ctx.mpf(q.numerator) / q.denominator


def center_of(cert) -> list[Fraction]:
    return [parse_exact(x) for W in cert["point"]["center"] for row in W for x in row]


def shifted(cert, index, delta):
    out = copy.deepcopy(cert)
    flat = [(k, i, j) for k, W in enumerate(out["point"]["center"])
            for i, row in enumerate(W) for j in range(len(row))]
    k, i, j = flat[index]
    out["point"]["center"][k][i][j] = str(parse_exact(out["point"]["center"][k][i][j]) + delta)
    return out


# --- the instances are certified -------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_irrational_critical_points_are_certified(name):
    res, cert = certified(name)
    expected = CASES[name][2]
    assert res.kind is expected, res.reason
    assert not res.snapped and res.value is None
    assert cert["claim"] == expected.value and cert["evidence"]["type"] == "enclosure"
    verdict = check(cert)
    assert verdict.valid, verdict.reason
    assert 0 < parse_exact(cert["point"]["radius"]) < Fraction(1, 10 ** 95)
    lo, hi = res.value_enclosure
    assert lo <= hi and hi - lo < Fraction(1, 10 ** 90)


def test_the_enclosed_values_are_the_hand_derived_ones():
    ctx = mpmath.MPContext()
    ctx.dps = 120
    s5 = ctx.sqrt(5)
    expected = {"sf-global": ctx.mpf(1) / 2, "sf-weight-decay": ctx.mpf(31) / 32,
                "sf-saddle": ctx.mpf(9) / 2, "sf-local": ctx.mpf(2), "sf-rotation": ctx.mpf(1) / 2,
                "sf-rank-one-saddle": (9 - 3 * s5) / 4, "mt-saddle": (7 - 3 * s5) / 4,
                "mt-global": ctx.zero, "mt-weight-decay": ctx.mpf(11) / 16,
                "mt-bottleneck": (7 - 3 * s5) / 4}
    assert set(expected) == set(CASES)
    for name, v in expected.items():
        lo, hi = certified(name)[0].value_enclosure
        assert mpq(ctx, lo) <= v <= mpq(ctx, hi), name


def test_the_boxes_hold_the_hand_derived_points():
    ctx = mpmath.MPContext()
    ctx.dps = 120
    tol = ctx.mpf(10) ** -95
    # k = 1 has no continuous symmetry: the point itself, up to the sign U -> -U
    for name, u1 in (("sf-global", ctx.sqrt(2)), ("sf-weight-decay", ctx.sqrt(7) / 2),
                     ("sf-saddle", ctx.sqrt(2))):
        a, b = (mpq(ctx, q) for q in center_of(certified(name)[1]))
        assert abs(abs(a) - u1) < tol and abs(b) < tol, name
    a, b = (mpq(ctx, q) for q in center_of(certified("sf-local")[1]))
    assert abs(a) < tol and abs(abs(b) - ctx.sqrt(3)) < tol
    # k = 2: U U^T is the PSD part of Y (gauge-free)
    U = ctx.matrix(3, 2)
    for i, q in enumerate(center_of(certified("sf-rotation")[1])):
        U[i // 2, i % 2] = mpq(ctx, q)
    target = ctx.matrix([[2, 1, 0], [1, 1, 0], [0, 0, 0]])
    assert ctx.mnorm(U * U.T - target, 1) < tol
    # both towers on q+: R = l+ q+ q+^T
    x = [mpq(ctx, q) for q in center_of(certified("mt-saddle")[1])]
    R = ctx.matrix(2, 2)
    for v, u in ((x[0:2], x[2:4]), (x[4:6], x[6:8])):
        R += ctx.matrix(u) * ctx.matrix(v).T
    lp = (3 + ctx.sqrt(5)) / 2
    q = ctx.matrix([lp - 1, 1]) / ctx.sqrt((lp - 1) ** 2 + 1)    # (Y - l+ I) q = 0
    assert ctx.mnorm(R - lp * q * q.T, 1) < tol


def test_the_refinement_chose_the_gauge_again_where_the_orbit_shrinks():
    res, cert = certified("mt-saddle")
    # at the saddle the two towers carry one direction: the 4 tangent generators span 3 dims
    assert len(cert["evidence"]["gauge_generators"]) == 3 and len(cert["point"]["free"]) == 5
    assert any("slice" in n and "dimension 3" in n for n in res.notes)


def test_weight_decay_and_the_rotation_gauge():
    res, cert = certified("mt-weight-decay")
    # so(1) inside each tower is trivial; one rotation between the two two-layer towers
    assert "gauge of O" in res.reason and len(cert["point"]["free"]) == 8 - 1
    res, cert = certified("sf-rotation")
    assert "gauge of O" in res.reason and len(cert["point"]["free"]) == 6 - 1   # dim so(2) = 1


def test_the_bottleneck_minimum_is_global_through_the_rank_manifold():
    """It is the global minimum (rank <= 2 keeps 5 and l+; the optimum (7 - 3 sqrt 5)/4 is
    irrational).  The product map is no submersion (rank 2 < 3), so the convex-stationary route
    cannot prove it; the rank-2 manifold route does (R of rank 2, J_R of rank 8 = dim T M_2,
    then the isolated critical values).  It was only local-minimum before that route."""
    res, cert = certified("mt-bottleneck")
    assert res.kind is Kind.GLOBAL_MINIMUM
    assert problem_from_dict(CASES["mt-bottleneck"][0]).has_bottleneck
    gl = cert["evidence"]["global"]
    assert gl["type"] == "isolated-critical-value" and len(gl["jacobian_rows"]) == 8
    assert "rank 2" in res.reason and "least" in res.reason


def test_a_critical_circle_from_the_data_is_inconclusive_not_guessed():
    """Y = 2 I, k = 1: U U^T = 2 u u^T, |u| = 1, reaches the PSD matrix 2 u u^T for every
    unit u; every U = sqrt 2 (cos t, sin t) is a global minimum (value 2): a circle of
    critical points, while O(1) = {+-1} has no continuous part to fix.  No root is isolated
    on any slice, so nothing is claimed."""
    p = problem_from_dict({"family": SF, "shape": [2, 1], "Y": [[2, 0], [0, 2]], "loss": "square"})
    res = classify_refined(p, Point.of(p, [[["1.0"], ["1.01"]]]), snap=False)
    assert res.refinement.converged
    assert res.kind is Kind.INCONCLUSIVE and res.certificate is None and "singular" in res.reason


# --- mutations must be rejected ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_moving_the_center_off_the_root_is_rejected(name):
    _, cert = certified(name)
    free = cert["point"]["free"]
    assert not check(shifted(cert, free[0], Fraction(1, 10 ** 60))).valid
    fixed = [p for p in range(len(center_of(cert))) if p not in set(free)]
    if fixed:  # moving the slice moves its root by ~1e-60 along the orbit: out of the box
        assert not check(shifted(cert, fixed[0], Fraction(1, 10 ** 60))).valid


@pytest.mark.parametrize("name", sorted(CASES))
def test_shrinking_the_radius_so_the_box_misses_the_root_is_rejected(name):
    _, cert = certified(name)
    bad = copy.deepcopy(cert)
    bad["point"]["radius"] = str(parse_exact(cert["point"]["radius"]) / 2 ** 20)
    bad = shifted(bad, cert["point"]["free"][0], 4 * parse_exact(bad["point"]["radius"]))
    res = check(bad)
    assert not res.valid and "Krawczyk" in res.reason


SWAPS = [("sf-global", "strict-saddle"), ("sf-global", "local-maximum"),
         ("sf-global", "spurious-local-minimum"), ("sf-saddle", "local-minimum"),
         ("sf-saddle", "global-minimum"), ("sf-local", "spurious-local-minimum"),
         ("sf-local", "local-maximum"), ("sf-rank-one-saddle", "global-minimum"),
         ("mt-saddle", "local-minimum"), ("mt-saddle", "global-minimum"),
         ("mt-global", "strict-saddle"), ("mt-weight-decay", "strict-saddle"),
         ("mt-bottleneck", "strict-saddle"), ("mt-bottleneck", "spurious-local-minimum"),
         ("mt-global", "not-critical")]


@pytest.mark.parametrize("name,claim", SWAPS)
def test_changing_the_claim_is_rejected(name, claim):
    _, cert = certified(name)
    bad = copy.deepcopy(cert)
    bad["claim"] = claim
    assert not check(bad).valid


def test_global_evidence_borrowed_by_points_that_are_not_global_is_rejected():
    _, glob = certified("sf-global")
    # sf-local: G = diag(-2, 0) is not PSD; no shift makes (G + G^T)/2 + c U U^T definite
    _, local = certified("sf-local")
    for shift in ("1/1000", "1", "1000"):
        bad = copy.deepcopy(local)
        bad["claim"] = "global-minimum"
        bad["evidence"]["global"] = {"type": "psd-cone-optimality", "shift": shift}
        res = check(bad)
        assert not res.valid and "pivot" in res.reason
    # the saddle: also not PSD
    _, saddle = certified("sf-saddle")
    bad = copy.deepcopy(saddle)
    bad["claim"] = "global-minimum"
    bad["evidence"]["global"] = glob["evidence"]["global"]
    assert not check(bad).valid
    # the shift must be positive; the deep-linear route is not this family's
    for ev in ({"type": "psd-cone-optimality", "shift": "0"}, {"type": "psd-cone-optimality", "shift": "-1"},
               {"type": "psd-cone-optimality"}, {"type": "convex-stationary", "layer": 1}):
        bad = copy.deepcopy(glob)
        bad["evidence"]["global"] = ev
        assert not check(bad).valid
    # multi-tower: the bottleneck minimum's product map is not a submersion (rank 2 < 3)
    _, mt_local = certified("mt-bottleneck")
    bad = copy.deepcopy(mt_local)
    bad["claim"] = "global-minimum"
    bad["evidence"]["global"] = {"type": "convex-stationary"}
    res = check(bad)
    assert not res.valid and "J_R J_R^T" in res.reason
    # and the PSD route is not the multi-tower one
    _, mt_glob = certified("mt-global")
    bad = copy.deepcopy(mt_glob)
    bad["evidence"]["global"] = {"type": "psd-cone-optimality", "shift": "1"}
    assert not check(bad).valid


def test_the_closed_form_square_optimum_is_refused_for_symmetric_factorization():
    """Y = diag(2, -3), k = 1: U = (sqrt 2, 0) is the global minimum (value 9/2; G = diag(0, 3)
    is PSD), but the unconstrained rank-1 optimum keeps the singular value 3 (R = -3 e2 e2^T,
    value 2).  "Above the closed-form optimum" would make a global minimum spurious."""
    data = {"family": SF, "shape": [2, 1], "Y": [[2, 0], [0, -3]], "loss": "square"}
    p = problem_from_dict(data)
    res = classify_refined(p, Point.of(p, [[["1.4"], ["0.1"]]]), digits=60, snap=False)
    assert res.kind is Kind.GLOBAL_MINIMUM and check(res.certificate).valid
    lo, hi = res.value_enclosure
    assert lo < Fraction(9, 2) < hi
    # the closed form is below the value: without the refusal the false claim would pass
    assert compare_with_square_optimum(matrix(p.X), matrix(p.Y), p.max_rank, to_fmpq(lo)) == 1
    bad = copy.deepcopy(res.certificate)
    bad["claim"] = "spurious-local-minimum"
    bad["evidence"]["spurious"] = {"type": "above-square-optimum"}
    verdict = check(bad)
    assert not verdict.valid and "PSD" in verdict.reason


@pytest.mark.parametrize("name,change", [
    ("sf-global", {"Y": [[3, 0], [0, -1]]}),
    ("sf-global", {"loss": {"name": "power", "p": 4}}),
    ("sf-global", {"weight_decay": "1/1000"}),
    ("sf-rotation", {"Y": [[2, 1, 0], [1, 2, 0], [0, 0, -1]]}),
    ("mt-saddle", {"Y": [[2, 1], [1, 2]]}),
    ("mt-global", {"X": [[1, 0], [0, 2]]}),
    ("mt-weight-decay", {"weight_decay": "1/3"}),
    ("mt-bottleneck", {"Y": [[2, 1, 0], [1, 1, 0], [0, 0, 6]]}),
])
def test_changing_the_problem_is_rejected(name, change):
    _, cert = certified(name)
    bad = copy.deepcopy(cert)
    bad["problem"].update(change)
    del bad["value"]   # (recorded for the original problem; it would reject on its own)
    assert not check(bad).valid


def test_changing_the_towers_is_rejected_or_unusable():
    from landscape_proofs.kernel.errors import InputError
    _, cert = certified("mt-saddle")
    bad = copy.deepcopy(cert)
    bad["problem"]["towers"] = [[2, 2, 2]]           # another layout: the center does not fit
    with pytest.raises(InputError):
        check_certificate(bad)
    bad["problem"]["towers"] = [[2, 1, 2], [2, 1, 2], [2, 1, 2]]
    with pytest.raises(InputError):
        check_certificate(bad)


def test_wrong_gauge_generators_are_rejected():
    _, cert = certified("mt-saddle")
    gens = cert["evidence"]["gauge_generators"]
    for wrong in ([gens[0]] * len(gens), gens[:-1], gens + [99], []):
        bad = copy.deepcopy(cert)
        bad["evidence"]["gauge_generators"] = wrong
        assert not check(bad).valid
    # freeing every coordinate: the slice system is singular along the orbit
    bad = copy.deepcopy(cert)
    bad["point"]["free"] = list(range(8))
    bad["evidence"]["gauge_generators"] = []
    assert not check(bad).valid


# --- soundness against an independent oracle ----------------------------------------------------------
def newton_root_on_slice(cert, dps=250):
    """Newton with the mpmath Hessian (not the arb code) on the certificate's slice from its
    center; returns the root, whether Newton converged, and the *full* gradient there."""
    p = problem_from_dict(cert["problem"])
    ctx = mpmath.MPContext()
    ctx.dps = dps
    obj = mp_objective(p, ctx)
    x = [mpq(ctx, q) for q in center_of(cert)]
    F = cert["point"]["free"]
    for _ in range(40):
        W = obj.unflatten(x)
        g = obj.gradient_vector(W)
        H = obj.hessian(W)
        d = ctx.lu_solve(ctx.matrix([[H[i, j] for j in F] for i in F]), ctx.matrix([g[i] for i in F]))
        for k, i in enumerate(F):
            x[i] -= d[k]
        if max(abs(t) for t in d) < ctx.mpf(10) ** -(dps - 20):
            return x, True, obj.gradient_vector(obj.unflatten(x)), ctx
    return x, False, None, ctx


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_certified_box_holds_a_true_critical_point_of_the_claimed_kind(name):
    """Independently of the checker: Newton finds the root in the box, the full gradient
    vanishes there, and the mpmath Hessian's spectrum agrees with the claim."""
    _, cert = certified(name)
    root, ok, grad, ctx = newton_root_on_slice(cert)
    assert ok
    assert max(abs(t) for t in grad) < ctx.mpf(10) ** -200       # critical, not only on the slice
    r = mpq(ctx, parse_exact(cert["point"]["radius"]))
    c = [mpq(ctx, q) for q in center_of(cert)]
    assert all(abs(root[i] - c[i]) <= r for i in cert["point"]["free"])
    p = problem_from_dict(cert["problem"])
    obj = mp_objective(p, ctx)
    H = obj.hessian(obj.unflatten(root))
    ev = ctx.eigsy(ctx.matrix([[H[i, j] for j in range(p.n_params)] for i in range(p.n_params)]),
                   eigvals_only=True)
    lo, hi = min(ev[i] for i in range(ev.rows)), max(ev[i] for i in range(ev.rows))
    if cert["claim"] == "strict-saddle":
        assert lo < -ctx.mpf(10) ** -3 and hi > ctx.mpf(10) ** -3
    else:
        assert lo > -ctx.mpf(10) ** -100


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["sf-global", "sf-rotation", "mt-saddle", "mt-weight-decay"]),
       st.integers(0, 20), st.integers(96, 125), st.integers(-9, 9))
def test_accepted_mutated_centers_really_contain_a_critical_point(name, which, exponent, mantissa):
    _, cert = certified(name)
    free = cert["point"]["free"]
    bad = shifted(cert, free[which % len(free)], Fraction(mantissa, 10 ** exponent))
    del bad["value"]
    if not check(bad).valid:
        return
    root, ok, grad, ctx = newton_root_on_slice(bad)
    assert ok and max(abs(t) for t in grad) < ctx.mpf(10) ** -200
    r = mpq(ctx, parse_exact(bad["point"]["radius"]))
    c = [mpq(ctx, q) for q in center_of(bad)]
    assert all(abs(root[i] - c[i]) <= r for i in free)


# --- the evaluators -------------------------------------------------------------------------------------
FAMILY_PROBLEMS = [
    {"family": MT, "towers": [[2, 1, 3, 2], [2, 2], [2, 3, 2]], "X": [[1, 0, 2], [0, 1, -1]],
     "Y": [[1, 2, 0], [0, -1, 1]], "loss": {"name": "power", "p": 4}, "weight_decay": "1/3"},
    {"family": MT, "towers": [[2, 1, 2], [2, 2]],
     "loss": {"name": "custom", "over": "product",
              "expression": "R_0_0**4 - R_1_0*R_0_1 + R_1_1**2/3"}},
    {"family": SF, "shape": [3, 2], "Y": Y3, "loss": "square", "weight_decay": "1/5"},
    {"family": SF, "shape": [2, 2], "Y": [[2, 1], [0, 1]], "loss": {"name": "power", "p": 4}},
    {"family": SF, "shape": [2, 1],
     "loss": {"name": "custom", "over": "product", "expression": "R_0_1**2*R_1_1 - R_0_0**3 + R_1_0"}},
]


@pytest.mark.parametrize("data", FAMILY_PROBLEMS)
def test_interval_and_mpmath_objectives_agree_with_the_exact_one(data):
    rng = random.Random(11)
    p = problem_from_dict(data)
    exact = exact_objective(p)
    flat = [Fraction(rng.randint(-20, 20), rng.randint(1, 9)) for _ in range(p.n_params)]
    W = exact.unflatten(flat)
    N = p.n_params
    value, grad, He = exact.value(W), exact.gradient_vector(W), exact.hessian(W)
    with flint.ctx.workprec(200):
        obj = arb_objective(read_problem(data))
        Wa = obj.unflatten([flint.fmpq(q.numerator, q.denominator) for q in flat])
        pairs = [(obj.value(Wa), value)] + list(zip(obj.gradient_vector(Wa), grad))
        Ha = obj.hessian(Wa)
        pairs += [(Ha[i, j], He[i, j]) for i in range(N) for j in range(N)]
        if data["family"] == MT and p.loss.over_product:
            # the product Jacobian of the submersion test: d vec(R)/dW (= d vec(E)/dW here)
            Ja, Je = obj.jacobian(Wa, None), exact.jacobian(W)
            pairs += [(Ja[i, j], Je[i, j]) for i in range(Je.nrows()) for j in range(N)]
        assert len(pairs) >= 1 + N + N * N
        for ball, v in pairs:
            assert lower_q(ball) <= v <= upper_q(ball)
            assert upper_q(ball) - lower_q(ball) <= flint.fmpq(1, 2 ** 150) * (1 + abs(v))
    ctx = mpmath.MPContext()
    ctx.dps = 60
    mp = mp_objective(p, ctx)
    Wm = mp.unflatten([mpq(ctx, q) for q in flat])
    tol = lambda v: ctx.mpf(10) ** -50 * (1 + abs(mpq(ctx, Fraction(int(v.p), int(v.q)))))  # noqa: E731
    close = lambda a, v: abs(a - mpq(ctx, Fraction(int(v.p), int(v.q)))) <= tol(v)  # noqa: E731
    assert close(mp.value(Wm), value)
    assert all(close(a, v) for a, v in zip(mp.gradient_vector(Wm), grad))
    Hm = mp.hessian(Wm)
    assert all(close(Hm[i, j], He[i, j]) for i in range(N) for j in range(N))


# --- the command line -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sf-global", "mt-saddle"])
def test_cli_classify_refine_then_verify(tmp_path, capsys, name):
    data, weights, kind = CASES[name]
    (tmp_path / "p.json").write_text(json.dumps(data))
    floats = [[[float(x) for x in row] for row in W] for W in weights]
    (tmp_path / "w.json").write_text(json.dumps({"weights": floats}))
    cert = tmp_path / "c.json"
    assert main(["classify", str(tmp_path / "p.json"), str(tmp_path / "w.json"), "--refine",
                 "--digits", "60", "--json", "--certificate", str(cert)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == kind.value and out["value"] is None and not out["snapped"]
    assert out["refinement"]["converged"] and out["value_enclosure"]["lo"]
    assert main(["verify", str(cert)]) == 0
    capsys.readouterr()
    tampered = json.loads(cert.read_text())
    tampered["claim"] = "local-maximum"
    cert.write_text(json.dumps(tampered))
    assert main(["verify", str(cert)]) == 1


def test_cli_refine_snaps_a_rational_critical_point(tmp_path, capsys):
    """Y = diag(1, -1), k = 1: U = (1, 0) is critical (G = diag(0, 1), G U = 0) with value 1/2;
    from a float start the refinement snaps to it and certifies it exactly."""
    (tmp_path / "p.json").write_text(json.dumps({"family": SF, "shape": [2, 1],
                                                 "Y": [[1, 0], [0, -1]], "loss": "square"}))
    (tmp_path / "w.json").write_text(json.dumps({"U": [[0.98], [0.01]]}))
    assert main(["classify", str(tmp_path / "p.json"), str(tmp_path / "w.json"), "--refine",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["snapped"] and out["value"] == "1/2"
    assert out["kind"] == "global-minimum"      # exact psd-cone-optimality: S = diag(0, 1) >= 0
    assert out["certificate"]["point"]["weights"] in ([[["1"], ["0"]]], [[["-1"], ["0"]]],
                                                      [[[1], [0]]], [[[-1], [0]]])
