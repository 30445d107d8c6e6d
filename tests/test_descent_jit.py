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


def test_the_compiled_phase_in_chunks_of_one_step_takes_the_same_steps(monkeypatch):
    # the deadline is checked between compiled calls of 1, 2, 4, ... steps (search --timeout);
    # the L-BFGS memory carries over between calls, so the steps are the very same ones
    rng = np.random.default_rng(11)
    obj = _random_instance(rng, [6, 5, 4, 3], 9, True)
    x0 = 0.5 * rng.standard_normal((3, obj.n_params))
    grown, _ = _phase(obj, x0, True, monkeypatch, iterations=300)
    monkeypatch.setattr(jit, "_CHUNK", 1)
    single, ran = _phase(obj, x0, True, monkeypatch, iterations=300)
    assert ran == 3 and np.array_equal(grown.x, single.x) and np.array_equal(grown.it, single.it)
    assert np.array_equal(grown.f, single.f)


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


# -- the compiled Hessian-vector product and Lanczos curvature test (sixth round) ---------------
@pytest.mark.parametrize("widths,n,per_entry,lam", [
    ([5, 4, 3, 6], 7, True, 0.0),
    ([4, 6, 3], 2, False, 0.3),
    ([4, 4, 4, 4, 4], None, False, 0.0),
    ([3, 3, 3], None, True, 0.0),
])
def test_the_compiled_hvp_is_the_float64_hvp(widths, n, per_entry, lam):
    """``H(x) v`` compiled equals ``numeric/float64.py``'s to 1e-10 (relative to the largest
    entry), equals the dense Hessian times ``v``, and is symmetric (``u^T H v = v^T H u``)."""
    rng = np.random.default_rng(3 + sum(widths))
    obj = _random_instance(rng, widths, n, per_entry, lam)
    x = rng.standard_normal((4, obj.n_params))
    v = rng.standard_normal((4, obj.n_params))
    u = rng.standard_normal((4, obj.n_params))
    Hv = jit.hessian_vector_products(obj, x, v)
    ref = obj.hvp_vector(obj.unflatten(x), v)
    assert np.all(np.abs(Hv - ref) <= 1e-10 * np.abs(ref).max(axis=1, keepdims=True))
    dense = np.einsum("bnm,bm->bn", obj.hessian(obj.unflatten(x)), v)
    assert np.all(np.abs(Hv - dense) <= 1e-10 * np.abs(dense).max(axis=1, keepdims=True))
    Hu = jit.hessian_vector_products(obj, x, u)
    uHv, vHu = np.einsum("bn,bn->b", u, Hv), np.einsum("bn,bn->b", v, Hu)
    assert np.all(np.abs(uHv - vHu) <= 1e-10 * (np.abs(uHv) + 1))


def test_hand_computed_hvp():
    """(ab - 1)^2 / 2 at (a, b) = (2, 3): H = [[b^2, 2ab - 1], [2ab - 1, a^2]] = [[9, 11],
    [11, 4]]; with decay 1/2 the diagonal grows by 1/2."""
    obj = BatchedDeepLinear([1, 1, 1], None, np.ones((1, 1)), "square", weight_decay=0.5)
    x = np.array([[2.0, 3.0]])
    assert jit.hessian_vector_products(obj, x, np.array([[1.0, 0.0]])).tolist() == [[9.5, 11.0]]
    assert jit.hessian_vector_products(obj, x, np.array([[0.0, 1.0]])).tolist() == [[11.0, 4.5]]


def _lanczos_points(k, seed):
    """Random points of [k, k, k] with decay 1/10 (indefinite Hessians: saddle-like) and two
    limits of descents from seeded starts (minima: the O(k) gauge's zero eigenvalues)."""
    rng = np.random.default_rng(seed)
    obj = BatchedDeepLinear([k, k, k], None, rng.integers(-3, 4, (k, k)).astype(float),
                            "square", weight_decay=0.1)
    res = hessian_free.descend_hessian_free(obj, 0.3 * rng.standard_normal((2, obj.n_params)),
                                            DescentConfig())
    assert (res.status == 0).all()
    return obj, np.concatenate([0.5 * rng.standard_normal((3, obj.n_params)), res.x])


@pytest.mark.parametrize("k", [8, 18])   # 128 parameters (full reorthogonalisation), 648 (none)
def test_compiled_lanczos_is_the_dense_smallest_eigenvalue(k, monkeypatch):
    """The compiled Lanczos against the dense spectrum (``eigvalsh``) and the NumPy Lanczos:
    the smallest eigenvalue to 1e-8 of the spectrum's extent when run to convergence, the
    Rayleigh quotient of a unit vector (never below the smallest eigenvalue), ``big`` the
    largest |eigenvalue|; with the default early stop on clear negative curvature the same
    escape decision (``lam < -1e-8 (1 + big)``) as the NumPy Lanczos at every point: negative
    at the three random points, none at the two minima."""
    from landscape_proofs.numeric.hessian_free import batched_smallest_eigenpair

    monkeypatch.setattr(jit, "JIT_MIN_N", 0)
    obj, X = _lanczos_points(k, k)
    dense = np.linalg.eigvalsh(obj.hessian(obj.unflatten(X)))
    extent = np.abs(dense).max(axis=1)
    lam, V, big, steps = jit.smallest_eigenpairs(obj, X, negative_tol=0.0, max_steps=400)
    assert np.all(np.abs(lam - dense[:, 0]) <= 1e-8 * (1 + extent))
    assert np.all(lam >= dense[:, 0] - 1e-9 * (1 + extent))
    assert np.allclose(big, extent, rtol=1e-6)
    assert np.allclose(np.linalg.norm(V, axis=1), 1.0)
    rq = np.einsum("bn,bn->b", V, obj.hvp_vector(obj.unflatten(X), V))
    assert np.allclose(lam, rq, rtol=1e-10, atol=1e-12)
    fast = jit.smallest_eigenpairs(obj, X)
    slow = batched_smallest_eigenpair(obj, X)
    neg_fast = fast[0] < -1e-8 * (1 + fast[2])
    neg_slow = slow[0] < -1e-8 * (1 + slow[2])
    assert neg_fast.tolist() == neg_slow.tolist() == [True] * 3 + [False] * 2
    assert np.all(np.abs(fast[0] - slow[0]) <= 1e-6 * (1 + extent))
    assert (fast[3] <= slow[3]).all()             # the same checks: never more steps


def test_compiled_curvature_decisions_on_rotated_saddles_and_minima(monkeypatch):
    """The grouped curvature test of test_descent_speed_paths.py (four rotations of a strict
    saddle of [3, 3, 3], four of a global minimum) with the compiled Lanczos: the same
    decisions as the NumPy Lanczos (escape every saddle point, none of the minima), each
    direction of negative curvature at its own point (dense Hessian), the minima's smallest
    eigenvalue ~0 (the symmetry's zero eigenvalue)."""
    monkeypatch.setattr(jit, "JIT_MIN_N", 0)
    jit.load()
    # Y = diag(3, 2, 1): W1 = W2 = diag(sqrt 3, 0, 0) a strict saddle (second derivative -4
    # along (e2 e2^T, e2 e2^T)), diag(sqrt 3, sqrt 2, 1) a global minimum; rotated by Q
    obj = BatchedDeepLinear([3, 3, 3], None, np.diag([3.0, 2.0, 1.0]), "square")
    saddle, minimum = np.diag([np.sqrt(3.0), 0.0, 0.0]), np.diag(np.sqrt([3.0, 2.0, 1.0]))

    def rot(t):
        c, s = np.cos(t), np.sin(t)
        return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])

    x = np.concatenate([obj.flatten([(rot(t) @ W)[None], (W @ rot(t).T)[None]])
                        for W in (saddle, minimum) for t in (0.0, 0.4, 1.1, 2.5)])
    runs = {}
    for compiled in (True, False):
        monkeypatch.setattr(jit, "JIT_MIN_N", 0 if compiled else 10 ** 9)
        runner = _HessianFreeRunner(obj, x, DescentConfig(), 1.0)
        assert jit.use_compiled_curvature(obj, obj.n_params) is compiled
        runs[compiled] = (runner.grouped_curvature_check(np.arange(8)), runner)
    (dirs, fast), (_, slow) = runs[True], runs[False]
    assert fast.neg.tolist() == slow.neg.tolist() == [True] * 4 + [False] * 4
    H = obj.hessian(obj.unflatten(x))
    curv = np.einsum("bn,bnm,bm->b", dirs, H, dirs)
    assert (curv[:4] < -1.0).all() and not dirs[4:].any()
    assert np.all(np.abs(fast.lam_min[4:]) <= 1e-8)
    assert np.allclose(fast.lam_min, slow.lam_min, rtol=0, atol=1e-6)


def _fake_cache(where, version, stamp, data=True):
    import pickle
    import sys

    where.mkdir(parents=True, exist_ok=True)
    tag = "py%d%d%s" % (sys.version_info[0], sys.version_info[1], getattr(sys, "abiflags", ""))
    for fn in (jit._lbfgs_run_py, jit._lanczos_py):
        base = "jit.%s-%d.%s" % (fn.__name__, fn.__code__.co_firstlineno, tag)
        with open(where / (base + ".nbi"), "wb") as f:
            pickle.dump(version, f)
            f.write(pickle.dumps((stamp, {})))
        if data:
            (where / (base + ".1.nbc")).write_bytes(b"")


def test_the_cache_is_judged_as_numba_judges_it(tmp_path, monkeypatch):
    """An index per entry point, from the installed Numba, stamped with this file's SHA-256,
    and a data file: present; another version, another stamp (jit.py edited) or no data
    file: not present.  The directory is Numba's (``NUMBA_CACHE_DIR`` and its sub-path)."""
    import hashlib
    import importlib.metadata
    import os

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    here = os.path.dirname(os.path.abspath(jit.__file__))
    where = tmp_path / ("search_" + hashlib.sha1(here.encode()).hexdigest())
    assert jit._cache_dir() == str(where)
    version = importlib.metadata.version("numba")
    stamp = hashlib.sha256(open(jit.__file__, "rb").read()).digest()
    assert not jit._cache_is_present()                      # nothing there
    _fake_cache(where, version, stamp)
    assert jit._cache_is_present()
    _fake_cache(where, version, hashlib.sha256(b"an older jit.py").digest())
    assert not jit._cache_is_present()
    _fake_cache(where, "0.1.0", stamp)
    assert not jit._cache_is_present()
    for f in where.iterdir():
        f.unlink()
    _fake_cache(where, version, stamp, data=False)
    assert not jit._cache_is_present()
    monkeypatch.setenv("NUMBA_CACHE_LOCATOR_CLASSES", "UserWideCacheLocator")
    assert jit._cache_dir() is None and not jit._cache_is_present()


def test_the_load_rule(monkeypatch):
    """A search loads the compiled functions before descending only when the cache is present
    and ``starts x parameters x JIT_SAVING`` exceeds ``JIT_WARM_LOAD`` (200 starts of
    [32, 32, 32]: 409,600 x 1.7 us = 0.70 s > 0.6 s; 100 starts: 0.35 s, not); never for a
    problem the compiled phase does not cover or below the Hessian-free size; without the
    cache the deferred rule of use_compiled stays (nothing is loaded)."""
    from landscape_proofs.search.multistart import SearchConfig, _descend_all
    from landscape_proofs.families.io import problem_from_dict

    assert jit.JIT_MIN_N == hessian_free.HESSIAN_FREE_MIN_N   # the Hessian-free size
    loads = []
    monkeypatch.setattr(jit, "_KERNELS", {"available": True})
    monkeypatch.setattr(jit, "load", lambda: loads.append(1) or True)
    present = {"v": True}
    monkeypatch.setattr(jit, "cache_present", lambda: present["v"])
    big = BatchedDeepLinear([32, 32, 32], None, np.eye(32), "square", weight_decay=0.1)
    N = big.n_params
    assert 200 * N * jit.JIT_SAVING > jit.JIT_WARM_LOAD > 100 * N * jit.JIT_SAVING
    assert not jit.expect(big, N, 100) and loads == []
    assert jit.expect(big, N, 200) and loads == [1]
    present["v"] = False
    assert not jit.expect(big, N, 10 ** 6) and loads == [1]
    present["v"] = True
    assert not jit.expect(BatchedDeepLinear([32, 32, 32], None, np.eye(32), "l1"), N, 10 ** 6)
    small = BatchedDeepLinear([14, 14, 14], None, np.eye(14), "square")   # 392 parameters
    assert not jit.expect(small, small.n_params, 10 ** 6) and loads == [1]
    # the search tells it how many starts it will descend
    seen = []
    monkeypatch.setattr(jit, "expect", lambda obj, n, runs: seen.append((n, runs)))
    p = problem_from_dict({"family": "deep-linear", "widths": [2, 2, 2], "Y": [[1, 0], [0, 2]],
                           "loss": "square"})
    _descend_all(p, SearchConfig(starts=3, seed=0), None)
    assert seen == [(8, 3)]


def test_exact_float_matrix_is_float_of_each_fraction():
    """The conversion of a problem's exact matrix that the search uses (numerator /
    denominator) is ``float(Fraction)`` bit for bit, huge and tiny entries included."""
    from landscape_proofs.numeric.views import exact_float_matrix

    rng = np.random.default_rng(5)
    rows = tuple(tuple(Fraction(int(a), int(b)) for a, b in zip(rng.integers(-10 ** 6, 10 ** 6, 6),
                                                                 rng.integers(1, 10 ** 6, 6)))
                 for _ in range(4))
    rows += ((Fraction(10 ** 400 + 1, 3 * 10 ** 399), Fraction(-1, 10 ** 330), Fraction(0),
              Fraction(2 ** 60 + 1, 2 ** 7), Fraction(1, 3), Fraction(-7)),)
    got = exact_float_matrix(rows)
    want = np.array([[float(x) for x in row] for row in rows])
    assert got.dtype == np.float64 and np.array_equal(got, want)
    assert got[4, 1] == -1e-330 and got[4, 0] == float(Fraction(10 ** 400 + 1, 3 * 10 ** 399))
