"""Smallest Hessian eigenpairs without a dense Hessian (producer hints, never proofs).

``smallest_eigenpairs(objective, x, k)`` runs SciPy's Lanczos solver (``eigsh``, ARPACK) on a
:class:`scipy.sparse.linalg.LinearOperator` whose product is the objective's Hessian-vector
product (:meth:`landscape_proofs.numeric.float64.BatchedDeepLinear.hvp`, written once): each
product costs O(H) small matrix products, against O(N^2) memory and O(N^3) work for a dense
``eigh`` (2,048 parameters: a 2048 x 2048 ``eigh`` per point).  The search uses it above a size
threshold (``search/hessian_free.py``); below it, the dense Hessian is cheaper.
"""
from __future__ import annotations

import numpy as np

from landscape_proofs.numeric.threads import one_blas_thread


def hessian_operator(objective, x: np.ndarray):
    """The Hessian at the single point ``x`` (shape (N,)) as a ``LinearOperator``."""
    from scipy.sparse.linalg import LinearOperator

    N = x.shape[0]
    Ws = objective.unflatten(x[None, :])

    def matvec(v):
        return objective.hvp_vector(Ws, np.asarray(v, dtype=np.float64).reshape(1, N))[0]

    def matmat(V):
        V = np.asarray(V, dtype=np.float64)
        k = V.shape[1]
        Wk = [np.broadcast_to(W, (k,) + W.shape[1:]) for W in Ws]
        return objective.hvp_vector(Wk, V.T).T

    return LinearOperator((N, N), matvec=matvec, matmat=matmat, rmatvec=matvec,
                          dtype=np.float64)


def smallest_eigenpairs(objective, x: np.ndarray, k: int = 1, tol: float = 1e-8,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """``(w, V, spread)``: the ``k`` smallest (algebraic) Hessian eigenvalues at ``x``, their
    eigenvectors (columns of V) and the largest |eigenvalue| (for relative tolerances), from
    Lanczos on Hessian-vector products.  On no convergence: the best Ritz pairs ARPACK has."""
    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    N = x.shape[0]
    op = hessian_operator(objective, x)
    v0 = np.random.default_rng(seed).standard_normal(N)
    with one_blas_thread():
        try:
            big = float(abs(eigsh(op, k=1, which="LM", tol=1e-3, v0=v0,
                                  return_eigenvectors=False)[0]))
        except ArpackNoConvergence as exc:
            big = float(np.max(np.abs(exc.eigenvalues))) if len(exc.eigenvalues) else 1.0
        # shift so the wanted end is the largest in magnitude: faster than which="SA"
        shift = big if big > 0 else 1.0
        from scipy.sparse.linalg import LinearOperator

        shifted = LinearOperator((N, N), matvec=lambda v: op.matvec(v) - shift * v,
                                 matmat=lambda V: op.matmat(V) - shift * V, dtype=np.float64)
        try:
            w, V = eigsh(shifted, k=k, which="LM", tol=tol, v0=v0,
                         ncv=min(N, max(2 * k + 1, 40)), maxiter=20 * N)
        except ArpackNoConvergence as exc:
            w, V = exc.eigenvalues, exc.eigenvectors
            if len(w) == 0:
                raise
    w = w + shift
    order = np.argsort(w)
    return w[order], V[:, order], big
