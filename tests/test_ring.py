"""One closed form, three number rings: ``core.objective.ChainObjective`` over Q (exact), in an
mpmath context and in float64 gives the same value, gradient and Hessian; and the batched
float64 evaluator (its own vectorised code, the fast path) agrees with it."""
from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from landscape_proofs.core.objective import ChainObjective
from landscape_proofs.core.ring import ExactRing, Float64Ring, MpRing
from landscape_proofs.families.base import Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.families.registry import problem_from_dict
from landscape_proofs.numeric.float64 import Float64DeepLinear
from landscape_proofs.numeric.views import (float64_kernel, float64_objective, float64_weights,
                                            mp_objective, mp_weights)

LOSSES = ["square", {"name": "power", "p": 4},
          {"name": "custom", "expression": "r_0_0**2 + r_0_0*r_1_1 + 3*r_1_1**2", "over": "residual"},
          {"name": "custom", "expression": "R_0_0**2 + R_1_0**4", "over": "product"}]


def _instance(rng: random.Random, loss, widths, decay):
    q = lambda: Fraction(rng.randint(-4, 4), rng.randint(1, 3))  # noqa: E731
    product = isinstance(loss, dict) and loss.get("over") == "product"
    data = {"family": "deep-linear", "widths": list(widths), "loss": loss, "weight_decay": str(decay)}
    if not product:
        data["X"] = [[str(q()) for _ in range(2)] for _ in range(widths[0])]
        data["Y"] = [[str(q()) for _ in range(2)] for _ in range(widths[-1])]
    p = problem_from_dict(data)
    pt = Point.of(p, [[[str(q()) for _ in range(c)] for _ in range(r)] for r, c in p.shapes])
    return p, pt


@pytest.mark.parametrize("seed", range(6))
def test_the_three_rings_agree(seed):
    rng = random.Random(seed)
    loss = LOSSES[seed % len(LOSSES)]
    widths = [2, rng.randint(1, 3), rng.randint(1, 2), 2]
    p, pt = _instance(rng, loss, widths, Fraction(rng.randint(0, 2), 4))
    exact = exact_objective(p)
    W = exact_weights(pt)
    v, g, H = exact.value(W), exact.gradient_vector(W), exact.hessian(W)
    f = lambda x: float(Fraction(int(x.p), int(x.q)))  # noqa: E731

    ctx = mpmath.MPContext()
    ctx.dps = 40
    mp = mp_objective(p, ctx)
    Wm = mp_weights(pt, ctx)
    assert abs(mp.value(Wm) - ctx.mpf(f(v))) < 1e-12 * (1 + abs(f(v)))
    assert np.allclose([float(x) for x in mp.gradient_vector(Wm)], [f(x) for x in g])
    Hm = mp.hessian(Wm)
    assert np.allclose([[float(Hm[i, j]) for j in range(Hm.cols)] for i in range(Hm.rows)],
                       [[f(H[i, j]) for j in range(H.ncols())] for i in range(H.nrows())])

    X = None if p.loss.over_product else np.array([[float(x) for x in r] for r in p.X])
    Y = None if p.loss.over_product else np.array([[float(x) for x in r] for r in p.Y])
    point = Float64DeepLinear(p.widths, X, Y, float64_kernel(p.loss), p.loss.over_product,
                              float(p.weight_decay))
    Wf = [np.array([[float(x) for x in r] for r in M]) for M in pt.weights]
    assert np.isclose(point.value(Wf), f(v))
    assert np.allclose(point.gradient_vector(Wf), [f(x) for x in g])
    assert np.allclose(point.hessian(Wf), [[f(H[i, j]) for j in range(H.ncols())]
                                           for i in range(H.nrows())])

    batched = float64_objective(p)
    Wb = float64_weights([pt])
    assert np.isclose(batched.value(Wb)[0], f(v))
    assert np.allclose(batched.gradient_vector(Wb)[0], [f(x) for x in g])
    assert np.allclose(batched.hessian(Wb)[0], point.hessian(Wf))


def test_the_chain_objective_is_the_shared_code():
    from landscape_proofs.core.objective import ExactDeepLinear
    from landscape_proofs.numeric.mp import MpDeepLinear

    assert issubclass(ExactDeepLinear, ChainObjective) and ExactDeepLinear.ring.__class__ is ExactRing
    assert issubclass(MpDeepLinear, ChainObjective) and issubclass(Float64DeepLinear, ChainObjective)
    ctx = mpmath.MPContext()
    assert isinstance(MpDeepLinear(ctx, [1, 1], [[1]], [[1]], "square").ring, MpRing)
    assert isinstance(Float64DeepLinear.ring, Float64Ring)
    # the methods that carry the formulas are not overridden
    for name in ("value", "gradient", "hessian", "_jacobian", "_G", "_above", "_below"):
        for cls in (ExactDeepLinear, MpDeepLinear, Float64DeepLinear):
            assert getattr(cls, name) is getattr(ChainObjective, name), (cls, name)


@pytest.mark.parametrize("seed", range(3))
def test_the_sum_of_towers_agrees_over_q_and_in_mpmath(seed):
    from landscape_proofs.core.multi_tower import ExactMultiTower, TowerSumObjective
    from landscape_proofs.numeric.multi_tower import MpMultiTower

    for cls in (ExactMultiTower, MpMultiTower):
        assert issubclass(cls, TowerSumObjective)
        for name in ("value", "gradient", "hessian", "_jacobian"):
            assert getattr(cls, name) is getattr(TowerSumObjective, name), (cls, name)
    rng = random.Random(100 + seed)
    q = lambda: str(Fraction(rng.randint(-3, 3), rng.randint(1, 2)))  # noqa: E731
    towers = [[2, rng.randint(1, 2), 2], [2, 2], [2, 1, 1, 2]][: 2 + seed % 2]
    p = problem_from_dict({"family": "multi-tower", "towers": towers,
                           "X": [[q() for _ in range(3)] for _ in range(2)],
                           "Y": [[q() for _ in range(3)] for _ in range(2)],
                           "loss": LOSSES[seed % 3], "weight_decay": str(Fraction(seed, 3))})
    pt = Point.of(p, [[[q() for _ in range(c)] for _ in range(r)] for r, c in p.shapes])
    exact = exact_objective(p)
    W = exact_weights(pt)
    f = lambda x: float(Fraction(int(x.p), int(x.q)))  # noqa: E731
    ctx = mpmath.MPContext()
    ctx.dps = 40
    mp = mp_objective(p, ctx)
    Wm = mp_weights(pt, ctx)
    assert np.isclose(float(mp.value(Wm)), f(exact.value(W)))
    assert np.allclose([float(x) for x in mp.gradient_vector(Wm)],
                       [f(x) for x in exact.gradient_vector(W)])
    H, Hm = exact.hessian(W), mp.hessian(Wm)
    assert np.allclose([[float(Hm[i, j]) for j in range(Hm.cols)] for i in range(Hm.rows)],
                       [[f(H[i, j]) for j in range(H.ncols())] for i in range(H.nrows())])
    assert np.allclose(float64_objective(p).hessian(float64_weights([pt]))[0],
                       [[f(H[i, j]) for j in range(H.ncols())] for i in range(H.nrows())])


@pytest.mark.parametrize("seed", range(3))
def test_the_gram_objective_agrees_over_q_and_in_mpmath(seed):
    from landscape_proofs.core.symmetric_factorization import (ExactSymmetricFactorization,
                                                                GramObjective)
    from landscape_proofs.numeric.symmetric_factorization import MpSymmetricFactorization

    for cls in (ExactSymmetricFactorization, MpSymmetricFactorization):
        assert issubclass(cls, GramObjective)
        for name in ("value", "gradient", "hessian", "_jacobian"):
            assert getattr(cls, name) is getattr(GramObjective, name), (cls, name)
    rng = random.Random(200 + seed)
    q = lambda: str(Fraction(rng.randint(-3, 3), rng.randint(1, 2)))  # noqa: E731
    n, k = 3, 1 + seed % 2
    loss = ["square", {"name": "power", "p": 4},
            {"name": "custom", "expression": "R_0_0**2 + R_0_1*R_2_2 + R_1_1**3", "over": "product"}][seed]
    data = {"family": "symmetric-factorization", "shape": [n, k], "loss": loss,
            "weight_decay": str(Fraction(seed, 2))}
    if seed != 2:
        data["Y"] = [[q() for _ in range(n)] for _ in range(n)]
    p = problem_from_dict(data)
    pt = Point.of(p, [[[q() for _ in range(k)] for _ in range(n)]])
    exact = exact_objective(p)
    W = exact_weights(pt)
    f = lambda x: float(Fraction(int(x.p), int(x.q)))  # noqa: E731
    ctx = mpmath.MPContext()
    ctx.dps = 40
    mp = mp_objective(p, ctx)
    Wm = mp_weights(pt, ctx)
    assert np.isclose(float(mp.value(Wm)), f(exact.value(W)))
    assert np.allclose([float(x) for x in mp.gradient_vector(Wm)],
                       [f(x) for x in exact.gradient_vector(W)])
    H, Hm = exact.hessian(W), mp.hessian(Wm)
    assert np.allclose([[float(Hm[i, j]) for j in range(Hm.cols)] for i in range(Hm.rows)],
                       [[f(H[i, j]) for j in range(H.ncols())] for i in range(H.nrows())])
    assert np.allclose(float64_objective(p).gradient_vector(float64_weights([pt]))[0],
                       [f(x) for x in exact.gradient_vector(W)])
