"""Hessian-free numerics (float hints for the search; never proofs): the Hessian-vector
product of the float64 core equals the dense Hessian times the vector, Lanczos finds the
dense spectrum's smallest eigenvalues, and the search forced through the Hessian-free route
reaches the same kinds as the dense one on small problems."""
from __future__ import annotations

import numpy as np
import pytest

from landscape_proofs.numeric.float64 import BatchedDeepLinear
from landscape_proofs.numeric.hessian_free import hessian_operator, smallest_eigenpairs

CASES = [  # widths, X shape (None: identity), loss, weight decay, over_product
    ([3, 4, 2, 3], (3, 5), "square", 0.1, False),
    ([2, 3, 2], None, "power 4", 0.0, False),
    ([2, 2, 2, 2], None, "square", 0.0, False),
    ([3, 2, 3], None, "square", 0.0, True),
    ([4, 1], (4, 6), "power 6", 0.25, False),
    ([2, 5, 1, 3], (2, 2), "l1", 0.0, False),
]


def objective(widths, xshape, loss, lam, over_product, rng):
    X = None if xshape is None else rng.standard_normal(xshape)
    ncol = widths[0] if X is None else X.shape[1]
    Y = None if over_product else rng.standard_normal((widths[-1], ncol))
    return BatchedDeepLinear(widths, X, Y, loss, over_product=over_product, weight_decay=lam)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}")
def test_hvp_is_the_dense_hessian_times_v(case):
    rng = np.random.default_rng(len(case[0]) + 7 * sum(case[0]))
    obj = objective(*case, rng)
    B, N = 4, obj.n_params
    x = rng.standard_normal((B, N))
    v = rng.standard_normal((B, N))
    Ws = obj.unflatten(x)
    dense = np.einsum("bnm,bm->bn", obj.hessian(Ws), v)
    got = obj.hvp_vector(Ws, v)
    assert got.shape == (B, N)
    assert np.allclose(got, dense, rtol=1e-10, atol=1e-10 * (1 + np.abs(dense).max()))
    # the prepared operator (forward quantities computed once) gives the same products
    op = obj.hvp_operator(Ws)
    for w in (v, rng.standard_normal((B, N))):
        want = np.einsum("bnm,bm->bn", obj.hessian(Ws), w)
        assert np.allclose(op(w), want, rtol=1e-10, atol=1e-10 * (1 + np.abs(want).max()))
    # linear in v, and a finite difference of the gradient agrees to O(t)
    assert np.allclose(obj.hvp_vector(Ws, 2 * v - v), got, atol=1e-9 * (1 + np.abs(got).max()))
    t = 1e-6
    fd = (obj.gradient_vector(obj.unflatten(x + t * v)) - obj.gradient_vector(obj.unflatten(x - t * v))) / (2 * t)
    assert np.allclose(fd, got, rtol=1e-4, atol=1e-4 * (1 + np.abs(got).max()))


def test_hvp_of_a_hand_computed_case():
    """L(a, b) = (ab - 1)^2 / 2: H = [[b^2, 2ab - 1], [2ab - 1, a^2]]; at (2, 3), H = [[9, 11],
    [11, 4]], so H (1, 0) = (9, 11) and H (0, 1) = (11, 4)."""
    obj = BatchedDeepLinear([1, 1, 1], np.ones((1, 1)), np.ones((1, 1)), "square")
    Ws = [np.full((2, 1, 1), 2.0), np.full((2, 1, 1), 3.0)]
    got = obj.hvp_vector(Ws, np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert got.tolist() == [[9.0, 11.0], [11.0, 4.0]]


@pytest.mark.parametrize("k", [4, 9])
def test_lanczos_finds_the_smallest_eigenvalues(k):
    rng = np.random.default_rng(k)
    obj = BatchedDeepLinear([k, k, k], None, rng.standard_normal((k, k)), "square",
                            weight_decay=0.1)
    x = rng.standard_normal(obj.n_params)
    dense = np.linalg.eigvalsh(obj.hessian(obj.unflatten(x[None]))[0])
    w, V, big = smallest_eigenpairs(obj, x, k=2)
    assert np.allclose(w, dense[:2], rtol=1e-6, atol=1e-6 * abs(dense).max())
    assert big == pytest.approx(abs(dense).max(), rel=1e-2)
    op = hessian_operator(obj, x)
    assert np.allclose(op.matvec(V[:, 0]), w[0] * V[:, 0], atol=1e-5 * abs(dense).max())


@pytest.mark.parametrize("spec", [
    {"family": "deep-linear", "widths": [2, 2, 2], "Y": [[3, 0], [0, 1]], "loss": "square"},
    {"family": "deep-linear", "widths": [3, 3, 3], "Y": [[2, 1, 0], [0, 1, 0], [1, 0, -1]],
     "loss": "square", "weight_decay": "1/10"},
    {"family": "deep-linear", "widths": [2, 1, 2], "Y": [[2, 0], [0, 1]], "loss": "square"},
])
def test_the_search_forced_hessian_free_reaches_the_same_kinds(monkeypatch, spec):
    from landscape_proofs.families.io import problem_from_dict
    from landscape_proofs.search import hessian_free
    from landscape_proofs.search.multistart import SearchConfig, search

    problem = problem_from_dict(spec)
    cfg = SearchConfig(starts=12, seed=3)
    dense = search(problem, cfg)
    monkeypatch.setattr(hessian_free, "HESSIAN_FREE_MIN_N", 0)
    free = search(problem, cfg)
    kinds = lambda r: sorted({g.kind.value for g in r.groups if g.kind is not None})  # noqa: E731
    assert kinds(free) == kinds(dense) and kinds(dense)
    assert sum(o.status.value == "converged" for o in free.outcomes) >= 10


class _FullHessianOnly:
    """A loss kernel with only the full (B, mn, mn) loss Hessian (no diagonal shortcut), as a
    non-separable custom loss has: the HVP takes its other branch."""

    def __init__(self, name):
        from landscape_proofs.numeric.kernels import resolve_float64_kernel

        self.inner = resolve_float64_kernel(name)

    def value(self, E):
        return self.inner.value(E)

    def gradient(self, E):
        return self.inner.gradient(E)

    def hessian(self, E):
        return self.inner.hessian(E)


def test_hvp_with_a_full_loss_hessian():
    rng = np.random.default_rng(5)
    obj = BatchedDeepLinear([3, 2, 4], rng.standard_normal((3, 4)), rng.standard_normal((4, 4)),
                            _FullHessianOnly("power 4"), weight_decay=0.5)
    assert getattr(obj.kernel, "hessian_diagonal", None) is None
    x, v = rng.standard_normal((3, obj.n_params)), rng.standard_normal((3, obj.n_params))
    Ws = obj.unflatten(x)
    dense = np.einsum("bnm,bm->bn", obj.hessian(Ws), v)
    assert np.allclose(obj.hvp_vector(Ws, v), dense, rtol=1e-10, atol=1e-10 * np.abs(dense).max())


# --- the L-BFGS phase of the Hessian-free descent ------------------------------------------------
def _two_loop(g, pairs):
    """The textbook two-loop recursion (Nocedal & Wright, Algorithm 7.4): H_k g for the pairs
    (oldest first), H_0 = gam I with gam = s^T y / y^T y of the newest pair."""
    q = g.copy()
    alphas = []
    for s, y in reversed(pairs):
        a = (s @ q) / (s @ y)
        alphas.append(a)
        q = q - a * y
    s, y = pairs[-1]
    r = (s @ y) / (y @ y) * q
    for (s, y), a in zip(pairs, reversed(alphas)):
        b = (y @ r) / (s @ y)
        r = r + (a - b) * s
    return r


@pytest.mark.parametrize("count", [1, 3, 5, 12])
def test_the_compact_lbfgs_product_is_the_two_loop_recursion(count):
    """Circular memories of m = 5 slots holding the last min(count, 5) pairs of a random
    convex quadratic's steps (s^T y > 0): the compact form equals the two-loop recursion; with
    all 5 slots full the result differs from the one of the last 4 pairs only (so the test sees
    which pairs are used)."""
    from landscape_proofs.search.hessian_free import compact_lbfgs_product

    rng = np.random.default_rng(count)
    N, m = 7, 5
    A = rng.standard_normal((N, N))
    A = A @ A.T + np.eye(N)
    steps = [rng.standard_normal(N) for _ in range(count)]
    pairs = [(s, A @ s) for s in steps]
    mem = np.zeros((1, 2 * m, N))
    for c, (s, y) in enumerate(pairs):
        mem[0, c % m], mem[0, m + c % m] = s, y
    g = rng.standard_normal(N)
    got = compact_lbfgs_product(g[None], mem, mem @ mem.transpose(0, 2, 1), np.array([count]))[0]
    want = _two_loop(g, pairs[-m:])
    assert np.allclose(got, want, rtol=1e-10, atol=1e-10 * np.abs(want).max())
    if count > m:
        assert not np.allclose(got, _two_loop(g, pairs[-(m - 1):]), rtol=1e-6)


def test_compact_lbfgs_with_an_empty_memory_is_a_scaled_gradient():
    from landscape_proofs.search.hessian_free import compact_lbfgs_product

    g = np.array([[3.0, 4.0], [0.3, 0.4]])
    got = compact_lbfgs_product(g, np.zeros((2, 6, 2)), np.zeros((2, 6, 6)), np.array([0, 0]))
    assert np.allclose(got, [[0.6, 0.8], [0.3, 0.4]])      # min(1, 1/|g|) g


def test_hvp_with_per_entry_weight_decay():
    """Per-entry decay (one matrix per layer) adds diag(Lambda) to the Hessian: the product
    must include it (the dense Hessian does)."""
    rng = np.random.default_rng(11)
    widths = [2, 3, 2]
    decay = [rng.uniform(0, 1, (3, 2)).tolist(), rng.uniform(0, 1, (2, 3)).tolist()]
    obj = BatchedDeepLinear(widths, None, rng.standard_normal((2, 2)), "square", weight_decay=decay)
    x, v = rng.standard_normal((3, obj.n_params)), rng.standard_normal((3, obj.n_params))
    Ws = obj.unflatten(x)
    dense = np.einsum("bnm,bm->bn", obj.hessian(Ws), v)
    assert np.allclose(obj.hvp_vector(Ws, v), dense, rtol=1e-10, atol=1e-10 * np.abs(dense).max())


@pytest.mark.parametrize("case", CASES[:3], ids=lambda c: f"{c[0]}-{c[2]}")
def test_value_and_gradient_is_value_and_gradient(case):
    rng = np.random.default_rng(3)
    obj = objective(*case, rng)
    Ws = obj.unflatten(rng.standard_normal((4, obj.n_params)))
    v, g = obj.value_and_gradient(Ws)
    assert np.allclose(v, obj.value(Ws), rtol=1e-14) and np.allclose(g, obj.gradient_vector(Ws), rtol=1e-14)


def test_the_hessian_free_descent_converges_with_about_one_gradient_per_iteration():
    """[12, 12, 12] with weight decay (288 parameters) from 6 random starts, forced through the
    Hessian-free method: every run converges to |grad| <= 1e-9 (1 + |f|) with no negative
    curvature, all to the same (global) value, in far fewer iterations than gradient descent
    needs, and the L-BFGS phase costs about one gradient per iteration (backtracking rarely)."""
    import sys
    sys.path.insert(0, "benchmarks")
    from bench_classify_sizes import Counting     # the benchmark's evaluation counter

    from landscape_proofs.search.hessian_free import _HessianFreeRunner
    from landscape_proofs.search.local import DescentConfig, Method, descend

    rng = np.random.default_rng(2)
    k = 12
    obj = Counting(BatchedDeepLinear([k, k, k], None, rng.integers(-3, 4, (k, k)).astype(float),
                                     "square", weight_decay=0.1))
    x0 = 0.3 * rng.standard_normal((6, obj.n_params))
    runner = _HessianFreeRunner(obj, x0, DescentConfig(method=Method.NEWTON), 1.0)
    obj.grads = obj.hvps = 0
    runner.lbfgs(2000)
    lbfgs_grads, its = obj.grads + 2 * obj.hvps, runner.it.sum()   # an HVP counts as two
    assert runner.small_gradient().all() and its > 0
    assert lbfgs_grads <= 1.3 * its
    res = _HessianFreeRunner(obj, x0, DescentConfig(method=Method.NEWTON), 1.0).run()
    assert (res.status == 0).all() and np.ptp(res.value) <= 1e-9 * abs(res.value[0])
    # gradient descent (Armijo, the search's own) from the same starts, 5x our iterations:
    # not yet at the tolerance, and never below our value (a global minimum)
    budget = 5 * int(res.iterations.max())
    gd = descend(obj, x0, DescentConfig(method=Method.GRADIENT, gradient_iterations=budget))
    assert not (gd.status == 0).any()
    assert (gd.value >= res.value - 1e-9 * abs(res.value)).all()


def _eigvalsh(H):
    from landscape_proofs.numeric.threads import one_blas_thread

    with one_blas_thread():              # a threaded eigh crawls on a shared machine
        return np.linalg.eigvalsh(H)


def _decay_objective(k, seed):
    rng = np.random.default_rng(seed)
    return BatchedDeepLinear([k, k, k], None, rng.integers(-3, 4, (k, k)).astype(float),
                             "square", weight_decay=0.1), rng


@pytest.mark.parametrize("k,full", [(8, True), (8, False), (12, False)])
def test_batched_lanczos_is_the_dense_smallest_eigenvalue_per_start(k, full):
    """Lanczos over a block of points at once ([8, 8, 8]: 128 parameters; [12, 12, 12]: 288),
    with and without full reorthogonalisation: at each point the smallest eigenvalue is the
    dense Hessian's (``eigvalsh``) to 1e-8 of the spectrum's extent, the vector is a unit
    eigenvector, ``big`` is the largest |eigenvalue|; the block's answer is each point's answer
    when run alone.  Points: random ones (indefinite Hessians) and, at [8, 8, 8], the limit of
    a descent (a minimum: the O(k) symmetry's zero eigenvalues, k(k-1)/2 of them)."""
    from landscape_proofs.numeric.hessian_free import batched_smallest_eigenpair
    from landscape_proofs.search.hessian_free import descend_hessian_free
    from landscape_proofs.search.local import DescentConfig

    obj, rng = _decay_objective(k, k)
    X = 0.5 * rng.standard_normal((5, obj.n_params))
    if k == 8:
        res = descend_hessian_free(obj, 0.3 * rng.standard_normal((2, obj.n_params)),
                                   DescentConfig())
        assert (res.status == 0).all()
        X = np.concatenate([X, res.x])
    dense = _eigvalsh(obj.hessian(obj.unflatten(X)))
    kw = dict(full_reorth=full, negative_tol=0.0, max_steps=400)
    lam, V, big, steps = batched_smallest_eigenpair(obj, X, **kw)
    extent = np.abs(dense).max(axis=1)
    assert np.all(np.abs(lam - dense[:, 0]) <= 1e-8 * (1 + extent))
    assert np.allclose(big, extent, rtol=1e-6)
    assert np.allclose(np.linalg.norm(V, axis=1), 1.0)
    HV = obj.hvp_vector(obj.unflatten(X), V)
    assert np.all(np.linalg.norm(HV - lam[:, None] * V, axis=1) <= 1e-3 * (1 + extent))
    if k == 8:       # the minima: no negative curvature beyond rounding, zero eigenvalues
        assert np.all(lam[-2:] >= -1e-8 * (1 + extent[-2:]))
        assert np.all(np.abs(dense[-2:, :k * (k - 1) // 2]) <= 1e-8 * (1 + extent[-2:, None]))
    for i in range(X.shape[0]):          # alone: the same answer
        li, Vi, bi, si = batched_smallest_eigenpair(obj, X[i:i + 1], **kw)
        assert si[0] == steps[i]
        assert abs(li[0] - lam[i]) <= 1e-10 * (1 + extent[i])
        assert abs(abs(Vi[0] @ V[i]) - 1.0) <= 1e-8


def test_batched_lanczos_stops_early_on_clear_negative_curvature():
    """With the early stop (the default ``negative_tol``) a clearly negative Ritz value ends
    the run sooner; what comes back is still the Rayleigh quotient of the unit vector returned
    (so it is never below the smallest eigenvalue) and close to it."""
    from landscape_proofs.numeric.hessian_free import batched_smallest_eigenpair

    obj, rng = _decay_objective(12, 5)
    X = 0.5 * rng.standard_normal((4, obj.n_params))
    dense = _eigvalsh(obj.hessian(obj.unflatten(X)))
    assert (dense[:, 0] < -1).all()
    lam, V, big, steps = batched_smallest_eigenpair(obj, X)
    _, _, _, full_steps = batched_smallest_eigenpair(obj, X, negative_tol=0.0)
    assert (steps <= full_steps).all() and (steps < full_steps).any()
    rq = np.einsum("bn,bn->b", V, obj.hvp_vector(obj.unflatten(X), V))
    assert np.allclose(lam, rq, rtol=1e-12, atol=1e-12)
    assert (lam >= dense[:, 0] - 1e-9).all()
    assert (lam <= dense[:, 0] + 1e-3 * np.abs(dense[:, 0])).all()


def test_the_descent_does_not_depend_on_how_many_runs_move_together(monkeypatch):
    """The L-BFGS phase keeps ``_WIDTH`` runs moving and refills a finished run's slot from
    the waiting starts: with 2 moving at a time (every slot refilled several times) the 7 runs
    end exactly where they end when all move together: same points, values, iteration
    counts and statuses (each run's arithmetic does not see the others)."""
    from landscape_proofs.search import hessian_free
    from landscape_proofs.search.local import DescentConfig

    obj, rng = _decay_objective(12, 7)
    x0 = 0.3 * rng.standard_normal((7, obj.n_params))
    together = hessian_free.descend_hessian_free(obj, x0, DescentConfig())
    monkeypatch.setattr(hessian_free, "_WIDTH", 2)
    two = hessian_free.descend_hessian_free(obj, x0, DescentConfig())
    assert (together.status == 0).all()
    assert together.iterations.tolist() == two.iterations.tolist()
    assert together.status.tolist() == two.status.tolist()
    assert np.allclose(together.x, two.x, rtol=0, atol=1e-12)
    assert np.allclose(together.value, two.value, rtol=1e-14, atol=0)
