"""Refinement of approximate critical points (numeric/refine.py) and rational snapping.

Known answers derived by hand:
- 1/2 (ab - 2)^2: critical points ab = 2 (global) and the origin (strict saddle); the
  refinement fixes one coordinate (the gauge) and solves for the other.
- widths [2, 2, 2], Y = [[2, 1], [1, 2]]: global minima W_2 W_1 = Y; the balanced one is
  W_1 = W_2 = Y^{1/2} = [[a, b], [b, a]] with a = (sqrt 3 + 1)/2, b = (sqrt 3 - 1)/2.
- 1/2 (ab - 1)^2 near (2, 1/2): the refined point is rational and snaps exactly.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.numeric.mp import MpDeepLinear
from landscape_proofs.numeric.refine import (choose_gauge, convergents, mpf_to_fraction,
                                             orbit_tangent_float, reconstruct_rational,
                                             refine_critical_point, simplest_rational,
                                             snap_refinement)
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.numeric.views import float64_objective, mp_objective


def ctx_of(dps):
    ctx = mpmath.MPContext()
    ctx.dps = dps
    return ctx


def problem(**kw):
    data = {"family": "deep-linear", "loss": "square"}
    data.update(kw)
    return problem_from_dict(data)


def float_hessian(p):
    f64 = float64_objective(p)
    return lambda v: f64.hessian(f64.unflatten(v))[0]


# --- refinement ------------------------------------------------------------------------------------
def test_refines_ab_equals_two_to_100_digits_without_touching_global_mpmath():
    before = mpmath.mp.dps
    ctx = ctx_of(120)
    obj = MpDeepLinear(ctx, [1, 1, 1], [[1]], [[2]], "square")
    r = refine_critical_point(obj, [1.4, 1.5], digits=100)
    assert mpmath.mp.dps == before
    assert r.converged and r.iterations <= 12
    a, b = r.point
    assert abs(a * b - 2) < ctx.mpf(10) ** -100
    assert r.residual < ctx.mpf(10) ** -99
    # the gauge: one coordinate frozen at a simple rational near its start value
    assert len(r.gauge.fixed) == 1 and r.gauge.values[0] in (Fraction(7, 5), Fraction(3, 2))


def test_refines_the_balanced_sqrt3_minimum_to_1000_digits():
    p = problem(widths=[2, 2, 2], Y=[[2, 1], [1, 2]])
    ctx = ctx_of(1020)
    s3 = ctx.sqrt(3)
    a, b = (s3 + 1) / 2, (s3 - 1) / 2
    start = [float(x) + 1e-9 for x in (a, b, b, a, a, b, b, a)]
    r = refine_critical_point(mp_objective(p, ctx), start, digits=1000, hessian=float_hessian(p))
    assert r.converged
    assert r.residual < ctx.mpf(10) ** -995
    W1 = ctx.matrix([[r.point[0], r.point[1]], [r.point[2], r.point[3]]])
    W2 = ctx.matrix([[r.point[4], r.point[5]], [r.point[6], r.point[7]]])
    E = W2 * W1 - ctx.matrix([[2, 1], [1, 2]])
    assert max(abs(x) for x in E) < ctx.mpf(10) ** -995
    # four free coordinates: dim T = dim GL(2) = 4 at an invertible point
    assert len(r.gauge.free) == 4 and len(r.gauge.fixed) == 4


def test_refines_an_irrational_strict_saddle_of_a_313_network():
    # Y = [[2, 1, 0], [1, 1, 0], [0, 0, 3]]: eigenvalues (3 +- sqrt 5)/2 and 3; keeping the
    # (3 + sqrt 5)/2 eigen-direction u gives the critical product ((3 + sqrt 5)/2) u u^T
    p = problem(widths=[3, 1, 3], Y=[[2, 1, 0], [1, 1, 0], [0, 0, 3]])
    ctx = ctx_of(120)
    r = refine_critical_point(mp_objective(p, ctx), [1.1, 0.68, 0, 1.1, 0.68, 0], digits=100,
                              hessian=float_hessian(p))
    assert r.converged
    R = ctx.matrix(3, 3)
    for i in range(3):
        for j in range(3):
            R[i, j] = r.point[3 + i] * r.point[j]
    lam = (3 + ctx.sqrt(5)) / 2
    assert abs(R[0, 0] + R[1, 1] - lam) < ctx.mpf(10) ** -98  # trace = the kept eigenvalue
    assert abs(R[2, 2]) < ctx.mpf(10) ** -98


@settings(max_examples=12, deadline=None)
@given(st.lists(st.floats(-1e-3, 1e-3), min_size=8, max_size=8))
def test_perturbed_minima_refine_back_to_the_critical_set(noise):
    """Whatever the perturbation, the refined point lies on W_2 W_1 = Y (to 90 digits)."""
    p = problem(widths=[2, 2, 2], Y=[[2, 1], [1, 2]])
    ctx = ctx_of(110)
    W = [1.3660254, 0.3660254, 0.3660254, 1.3660254] * 2
    r = refine_critical_point(mp_objective(p, ctx), [w + n for w, n in zip(W, noise)],
                              digits=90, hessian=float_hessian(p))
    assert r.converged
    x = r.point
    W1 = ctx.matrix([[x[0], x[1]], [x[2], x[3]]])
    W2 = ctx.matrix([[x[4], x[5]], [x[6], x[7]]])
    assert max(abs(e) for e in W2 * W1 - ctx.matrix([[2, 1], [1, 2]])) < ctx.mpf(10) ** -88


def test_a_degenerate_point_is_reported_as_not_converged():
    # 1/4 (ab - 2)^4: the Hessian vanishes on the whole critical set
    p = problem(widths=[1, 1, 1], Y=[[2]], loss={"name": "power", "p": 4})
    ctx = ctx_of(80)
    r = refine_critical_point(mp_objective(p, ctx), [1.41, 1.42], digits=60,
                              hessian=float_hessian(p))
    assert not r.converged
    assert "degenerate" in r.reason


def test_digits_must_fit_the_context():
    ctx = ctx_of(30)
    obj = MpDeepLinear(ctx, [1, 1, 1], [[1]], [[2]], "square")
    with pytest.raises(ValueError, match="digits"):
        refine_critical_point(obj, [1, 2], digits=25)


# --- the gauge ----------------------------------------------------------------------------------------
def test_float_orbit_tangent_matches_the_exact_one():
    p = problem(widths=[2, 3, 2, 1], Y=[[1, 2]], weight_decay=0)
    rng = np.random.default_rng(0)
    flat = [Fraction(int(x), 7) for x in rng.integers(-9, 10, size=p.n_params)]
    exact = exact_objective(p)
    W = exact.unflatten(flat)
    for orthogonal in (False, True):
        T = exact.orbit_tangent(W, orthogonal=orthogonal)
        Wf, off = [], 0
        for r, c in p.shapes:
            Wf.append(np.array([float(q) for q in flat[off:off + r * c]]).reshape(r, c))
            off += r * c
        Tf = orbit_tangent_float(p.widths, Wf, orthogonal)
        assert Tf.shape == (p.n_params, len(T))
        assert np.allclose(Tf, np.array([[float(x) for x in v] for v in T]).T)


def test_the_gauge_is_transversal_at_the_start():
    p = problem(widths=[2, 3, 2], Y=[[1, 0], [0, 2]])
    rng = np.random.default_rng(1)
    start = [Fraction(float(x)) for x in rng.normal(size=p.n_params)]
    g = choose_gauge(p.widths, start, orthogonal=False)
    # dim T = dim GL(3) - 1 = 8 at a generic point: E = a v^T with W_2 a = 0 and v orthogonal
    # to the columns of W_1 moves nothing (E W_1 = 0 and W_2 E = 0)
    assert len(g.fixed) == 8 == len(g.generators)
    Wf, off = [], 0
    for r, c in p.shapes:
        Wf.append(np.array([float(q) for q in start[off:off + r * c]]).reshape(r, c))
        off += r * c
    T = orbit_tangent_float(p.widths, Wf, False)
    M = T[np.ix_(g.fixed, g.generators)]
    assert np.linalg.matrix_rank(M) == 8
    # the frozen values are simple rationals within 1e-7 (relative) of the start values
    for p_, q in zip(g.fixed, g.values):
        assert abs(q - start[p_]) <= Fraction(1, 10 ** 7) * abs(start[p_])


# --- rational reconstruction ----------------------------------------------------------------------
def test_convergents_and_simplest_rationals():
    assert list(convergents(Fraction(415, 93))) == [4, Fraction(9, 2), Fraction(58, 13),
                                                     Fraction(415, 93)]
    assert simplest_rational(Fraction(3333, 10000), Fraction(1, 1000)) == Fraction(1, 3)
    assert simplest_rational(Fraction(2), Fraction(0)) == 2


def test_reconstruct_rational_recovers_rationals_and_refuses_irrationals():
    ctx = ctx_of(120)
    assert reconstruct_rational(ctx.mpf(-22) / 7, 100) == Fraction(-22, 7)
    assert reconstruct_rational(ctx.mpf(123456789) / 987654321, 100) == Fraction(13717421, 109739369)
    assert reconstruct_rational(ctx.sqrt(2), 100) is None
    assert reconstruct_rational(ctx.pi, 100) is None


def test_mpf_to_fraction_keeps_the_sign():
    ctx = ctx_of(30)
    assert mpf_to_fraction(ctx.mpf("-0.75")) == Fraction(-3, 4)
    assert mpf_to_fraction(-ctx.mpf(2) ** -80) == Fraction(-1, 2 ** 80)
    with pytest.raises(ValueError):
        mpf_to_fraction(ctx.inf)


def test_snapping_recovers_the_exact_point_of_ab_minus_one():
    """A float point near (2, 1/2) for 1/2 (ab - 1)^2 snaps to (2, 1/2) exactly."""
    p = problem(widths=[1, 1, 1], Y=[[1]])
    ctx = ctx_of(70)
    r = refine_critical_point(mp_objective(p, ctx), [2.0000001, 0.4999999], digits=50)
    assert snap_refinement(r) == [2, Fraction(1, 2)]
    res = classify_refined(p, Point.of(p, [[["2.0000001"]], [["0.4999999"]]]))
    assert res.snapped and res.kind is Kind.GLOBAL_MINIMUM and res.value == 0
    assert res.certificate["point"] == {"weights": [[[2]], [["1/2"]]]}
    assert check_certificate(res.certificate).valid


def test_snapping_refuses_irrational_points():
    p = problem(widths=[3, 1, 3], Y=[[2, 1, 0], [1, 1, 0], [0, 0, 3]])
    ctx = ctx_of(120)
    r = refine_critical_point(mp_objective(p, ctx), [1.1, 0.68, 0, 1.1, 0.68, 0], digits=100,
                              hessian=float_hessian(p))
    assert r.converged and snap_refinement(r) is None


def test_snapping_a_rational_saddle_classifies_it_exactly():
    # the origin of 1/2 (ab - 1)^2, given approximately
    p = problem(widths=[1, 1, 1], Y=[[1]])
    res = classify_refined(p, Point.of(p, [[["1e-9"]], [["-2e-9"]]]), digits=40)
    assert res.snapped and res.kind is Kind.STRICT_SADDLE
    assert res.certificate["point"] == {"weights": [[[0]], [[0]]]}


def test_a_point_far_from_any_critical_point_is_classified_as_written():
    # 1/4 (ab - 2)^4 from a rough start: the refinement cannot converge (degenerate set)
    p = problem(widths=[1, 1, 1], Y=[[2]], loss={"name": "power", "p": 4})
    res = classify_refined(p, Point.of(p, [[["1.41"]], [["1.42"]]]), digits=40)
    assert res.kind is Kind.NOT_CRITICAL
    assert res.refinement is not None and not res.refinement.converged
    assert any("classified as written" in n for n in res.notes)
    assert check_certificate(res.certificate).valid


def test_nonpolynomial_losses_are_classified_as_written():
    p = problem(widths=[1, 1, 1], X=[[1, 3]], Y=[[1, 6]], loss="l1")
    res = classify_refined(p, Point.of(p, [[[1]], [[2]]]), digits=40)
    assert res.refinement is None and "not refined" in res.notes[0]
    assert res.kind is classify_exact_kind(p, [[[1]], [[2]]])


def classify_exact_kind(p, w):
    from landscape_proofs.produce.classify import classify
    return classify(p, Point.of(p, w)).kind


def test_exact_weights_roundtrip_of_a_snapped_point():
    p = problem(widths=[1, 1, 1], Y=[[1]])
    res = classify_refined(p, Point.of(p, [[["2.0000001"]], [["0.4999999"]]]), digits=30)
    W = exact_weights(res.exact.certificate.point)
    assert exact_objective(p).gradient_vector(W) == [0, 0]


def test_refining_from_numbers_beyond_float_range_is_one_line_naming_the_file(tmp_path, capsys):
    """--refine works from float approximations: an entry of about 1e400 would overflow its
    float64 steps; it is refused (exit 2, one line naming the point file and the entry), not
    a traceback."""
    from landscape_proofs.cli.main import main

    p, w = tmp_path / "p.json", tmp_path / "w.json"
    p.write_text('{"family": "deep-linear", "widths": [1, 1, 1], "Y": [[1]], "loss": "square"}')
    w.write_text('{"weights": [[["1e400"]], [["1"]]]}')
    assert main(["classify", str(p), str(w), "--refine"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "w.json" in err and "entry 0" in err and "1e+300" in err
