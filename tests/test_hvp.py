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
