"""The compiled L-BFGS phase (search/jit.py, Numba) against the NumPy one it replaces.

The compiled objective must be the float64 objective (value and gradient to 1e-12 relative);
the compiled phase must reach the limits the NumPy phase reaches (values to 1e-8, the same
statuses) on seeded problems; the curvature test and escapes still run after it; and searches
report the same groups.  Skipped only when Numba cannot be imported.
"""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("numba")

from landscape_proofs.numeric.float64 import BatchedDeepLinear  # noqa: E402
from landscape_proofs.search import hessian_free, jit  # noqa: E402
from landscape_proofs.search.hessian_free import _HessianFreeRunner  # noqa: E402
from landscape_proofs.search.local import DescentConfig  # noqa: E402


def _random_instance(rng, widths, n, per_entry: bool, lam: float = 0.0):
    shapes = list(zip(widths[1:], widths[:-1]))
    X = None if n is None else rng.standard_normal((widths[0], n))
    Y = rng.standard_normal((widths[-1], widths[0] if n is None else n))
    decay = [rng.random(s).tolist() for s in shapes] if per_entry else lam
    return BatchedDeepLinear(widths, X, Y, "square", weight_decay=decay)


@pytest.mark.parametrize("widths,n,per_entry,lam", [
    ([5, 4, 3, 6], 7, True, 0.0),        # depth 3, X != I (5 x 7), per-entry decay
    ([4, 6, 3], 2, False, 0.3),          # X != I with fewer columns than rows, scalar decay
    ([4, 4, 4, 4, 4], None, False, 0.0),  # depth 4, X = I, no decay
    ([3, 3, 3], None, True, 0.0),        # X = I, per-entry decay
])
def test_the_compiled_objective_is_the_float64_objective(widths, n, per_entry, lam):
    rng = np.random.default_rng(sum(widths))
    obj = _random_instance(rng, widths, n, per_entry, lam)
    x = rng.standard_normal((5, obj.n_params))
    v, G = jit.value_and_gradient(obj, x)
    v0, G0 = obj.value_and_gradient(obj.unflatten(x))
    assert np.all(np.abs(v - v0) <= 1e-12 * np.abs(v0))
    assert np.all(np.abs(G - G0) <= 1e-12 * np.abs(G0).max(axis=1, keepdims=True))
    # and the gradient is the derivative of the value (central differences, 1e-5 steps)
    e = np.zeros(obj.n_params)
    for i in rng.choice(obj.n_params, 4, replace=False):
        e[:] = 0.0
        e[i] = 1e-5
        plus, _ = jit.value_and_gradient(obj, x[:1] + e)
        minus, _ = jit.value_and_gradient(obj, x[:1] - e)
        assert abs((plus[0] - minus[0]) / 2e-5 - G[0, i]) <= 1e-6 * (1 + abs(G[0, i]))


@pytest.fixture(autouse=True)
def _load_for_any_work(monkeypatch):
    monkeypatch.setattr(jit, "JIT_LOAD_WORK", 0)
    monkeypatch.setattr(jit, "WORK", {"numpy": 0})


def _phase(obj, x0, compiled: bool, monkeypatch, iterations=3000):
    monkeypatch.setattr(jit, "JIT_MIN_N", 0 if compiled else 10 ** 9)
    before = dict(jit.STATS)
    runner = _HessianFreeRunner(obj, x0, DescentConfig(), 1.0)
    runner.lbfgs(iterations)
    ran = jit.STATS["runs"] - before["runs"]
    return runner, ran


@pytest.mark.parametrize("case", ["888-decay", "6543-X"])
def test_the_compiled_and_numpy_phases_reach_the_same_limits(case, monkeypatch):
    rng = np.random.default_rng(7)
    if case == "888-decay":
        Y = rng.integers(-3, 4, size=(8, 8)).astype(float)
        obj = BatchedDeepLinear([8, 8, 8], None, Y, "square", weight_decay=0.1)
    else:
        obj = _random_instance(rng, [6, 5, 4, 3], 9, True)
    x0 = 0.5 * rng.standard_normal((12, obj.n_params))
    fast, ran_fast = _phase(obj, x0, True, monkeypatch)
    slow, ran_slow = _phase(obj, x0, False, monkeypatch)
    assert ran_fast == 12 and ran_slow == 0          # each phase ran where it was meant to
    assert np.all(np.abs(fast.f - slow.f) <= 1e-8 * (1 + np.abs(slow.f)))
    for flag in ("stuck", "dead"):
        assert np.array_equal(getattr(fast, flag), getattr(slow, flag))
    assert np.array_equal(fast.small_gradient(), slow.small_gradient())
    assert fast.small_gradient().all()
    # the values reached are local limits: the gradient there is the true gradient, small
    v, G = obj.value_and_gradient(obj.unflatten(fast.x))
    assert np.allclose(v, fast.f, rtol=1e-12, atol=0)
    assert np.all(np.linalg.norm(G, axis=1) <= 1e-9 * (1 + np.abs(v)))
    # the budget is respected and counted: a phase of 5 iterations takes 5 steps per run
    short, _ = _phase(obj, x0, True, monkeypatch, iterations=5)
    assert np.all(short.it == 5) and not short.small_gradient().any()
    short_np, _ = _phase(obj, x0, False, monkeypatch, iterations=5)
    assert np.allclose(short.f, short_np.f, rtol=1e-10, atol=0)


def test_a_saddle_start_still_escapes(monkeypatch):
    """[4, 4, 4], square loss, no decay, Y = diag(4, 3, 2, 1): the origin is a critical point
    (the gradient vanishes) with value |Y|^2 / 2 = 15 and a negative Hessian eigenvalue
    (-4, along W_1 = e1 e1^T, W_2 = e1 e1^T); the global minimum value is 0.  From the origin
    L-BFGS cannot move (zero gradient); the curvature test finds the saddle, the escape
    leaves it, and the compiled phase then takes the run to a global minimum."""
    monkeypatch.setattr(jit, "JIT_MIN_N", 0)
    obj = BatchedDeepLinear([4, 4, 4], None, np.diag([4.0, 3.0, 2.0, 1.0]), "square")
    x0 = np.zeros((1, obj.n_params))
    assert obj.value(obj.unflatten(x0))[0] == 15.0
    before = jit.STATS["runs"]
    res = hessian_free.descend_hessian_free(obj, x0, DescentConfig())
    assert jit.STATS["runs"] > before                 # the compiled phase ran after the escape
    assert res.statuses()[0].value == "converged"
    assert res.value[0] <= 1e-12
    assert res.min_eigenvalue[0] > -1e-6


def test_which_problems_the_compiled_phase_covers(monkeypatch):
    monkeypatch.setattr(jit, "JIT_MIN_N", 0)
    Y = np.eye(3)
    assert jit.covers(BatchedDeepLinear([3, 3, 3], None, Y, "square"), 18)
    assert jit.covers(BatchedDeepLinear([3, 3, 3], np.ones((3, 5)), np.ones((3, 5)), "square",
                                        weight_decay=0.5), 18)
    assert not jit.covers(BatchedDeepLinear([3, 3], None, Y, "square"), 9)      # one layer
    assert not jit.covers(BatchedDeepLinear([3, 3, 3], None, Y, "l1"), 18)       # other loss
    assert not jit.covers(BatchedDeepLinear([3, 3, 3], None, Y, "power 4"), 18)
    assert not jit.covers(BatchedDeepLinear([3, 3, 3], None, None, "square",
                                            over_product=True), 18)             # of R itself
    monkeypatch.setattr(jit, "JIT_MIN_N", 400)                  # below the size it pays
    assert not jit.covers(BatchedDeepLinear([3, 3, 3], None, Y, "square"), 18)
    big = BatchedDeepLinear([16, 16, 16], None, np.eye(16), "square")
    assert jit.covers(big, big.n_params)
    # Numba is loaded once the NumPy phases have done enough work (runs x parameters), or
    # when the functions are loaded already; other problems never count
    monkeypatch.setattr(jit, "JIT_LOAD_WORK", 10 * big.n_params)
    monkeypatch.setattr(jit, "WORK", {"numpy": 0})
    monkeypatch.setattr(jit, "_KERNELS", {})
    small = BatchedDeepLinear([3, 3], None, Y, "square")
    assert not jit.use_compiled(small, 9, runs=10 ** 6) and jit.WORK["numpy"] == 0
    assert not jit.use_compiled(big, big.n_params, runs=6)       # 6 runs' work done in NumPy
    assert not jit.use_compiled(big, big.n_params, runs=3)       # 9
    assert not jit.use_compiled(big, big.n_params, runs=3)       # 12: from now on, compiled
    assert jit.WORK["numpy"] == 12 * big.n_params
    assert jit.use_compiled(big, big.n_params, runs=1)
    monkeypatch.setattr(jit, "WORK", {"numpy": 0})
    assert jit.load()
    assert jit.use_compiled(big, big.n_params, runs=1)            # loaded: any size
    # without Numba: never (and the phase is NumPy's)
    monkeypatch.setitem(jit._KERNELS, "available", False)
    assert not jit.covers(big, big.n_params) and not jit.load()


def test_without_numba_the_numpy_phase_runs(monkeypatch):
    monkeypatch.setattr(jit, "JIT_MIN_N", 0)
    monkeypatch.setitem(jit._KERNELS, "available", False)
    obj = BatchedDeepLinear([4, 4, 4], None, np.diag([4.0, 3.0, 2.0, 1.0]), "square")
    x0 = 0.3 * np.random.default_rng(2).standard_normal((3, obj.n_params))
    before = jit.STATS["runs"]
    runner = _HessianFreeRunner(obj, x0, DescentConfig(), 1.0)
    runner.lbfgs(3000)
    assert jit.STATS["runs"] == before and runner.small_gradient().all()


def _bundled_problems():
    from pathlib import Path

    from landscape_proofs import api
    from landscape_proofs.numeric.views import float64_objective

    out = []
    for path in sorted((Path(api.__file__).parent / "data" / "examples").glob("*.json")):
        problem = api.as_problem(json.loads(path.read_text())["problem"])
        obj = float64_objective(problem)
        n = getattr(obj, "n_params", 0)
        if n and type(obj) is BatchedDeepLinear:
            out.append((path.stem, problem, obj, n))
    return out


def test_search_results_are_unchanged_on_the_bundled_examples(monkeypatch):
    """Every bundled example the compiled phase covers (forced: the thresholds set to 0),
    searched with the NumPy phase and with the compiled one: the same groups, kinds and exact
    values."""
    from landscape_proofs.search.multistart import SearchConfig, search

    monkeypatch.setattr(hessian_free, "HESSIAN_FREE_MIN_N", 0)
    monkeypatch.setattr(jit, "JIT_MIN_N", 0)
    covered = [(name, p) for name, p, obj, n in _bundled_problems() if jit.covers(obj, n)]
    assert len(covered) >= 3, [name for name, _ in covered]
    cfg = SearchConfig(starts=12, seed=1)

    def summary(report):
        return sorted((g.kind.value if g.kind else None, g.value, g.starts, g.rank_profile)
                      for g in report.groups)

    for name, problem in covered:
        before = jit.STATS["runs"]
        fast = search(problem, cfg)
        assert jit.STATS["runs"] > before, name
        monkeypatch.setattr(jit, "JIT_MIN_N", 10 ** 9)
        slow = search(problem, cfg)
        monkeypatch.setattr(jit, "JIT_MIN_N", 0)
        assert summary(fast) == summary(slow), name
        assert any(isinstance(v, Fraction) for _, v, _, _ in summary(fast)), name
