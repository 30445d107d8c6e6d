"""Smallest Hessian eigenpairs without a dense Hessian (producer hints, never proofs).

``smallest_eigenpairs(objective, x, k)`` runs SciPy's Lanczos solver (``eigsh``, ARPACK) on a
:class:`scipy.sparse.linalg.LinearOperator` whose product is the objective's Hessian-vector
product (:meth:`landscape_proofs.numeric.float64.BatchedDeepLinear.hvp`, written once): each
product costs O(H) small matrix products, against O(N^2) memory and O(N^3) work for a dense
``eigh`` (2,048 parameters: a 2048 x 2048 ``eigh`` per point).

``batched_smallest_eigenpair(objective, X)`` is what the search uses above its size threshold
(``search/hessian_free.py``; below it, the dense Hessian is cheaper): its own Lanczos
recurrence for a block of points at once, one batched product per step, so that NumPy's cost
per call is shared by the block instead of paid per point and product.
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


def batched_smallest_eigenpair(objective, X: np.ndarray, tol: float = 1e-8,
                               max_steps: int = 200, check_every: int = 8, seed: int = 0,
                               full_reorth: bool | None = None, negative_tol: float = 1e-3
                               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The smallest Hessian eigenpair at each row of ``X`` (shape (b, N)) at once: Lanczos with
    one *batched* Hessian-vector product per step for all points still running (instead of one
    ARPACK run per point, one product at a time), so NumPy's per-call cost is shared by the
    block.  Returns ``(lam_min (b,), v_min (b, N), big (b,), steps (b,))``: ``v_min`` a unit
    Ritz vector, ``lam_min`` its Rayleigh quotient ``v^T H v`` (one more product at the end),
    ``big`` the largest |Ritz value| (the spectrum's extent, for relative tolerances).

    ``full_reorth``: reorthogonalise each new Lanczos vector against all earlier ones
    (classical Gram-Schmidt, a second pass where the first cancelled much: "twice is enough");
    the default does so up to ``N = 600`` and runs the plain three-term recurrence above, where
    the Krylov basis is large and reading it twice per step would cost more than the
    Hessian-vector products (the lost orthogonality only repeats converged Ritz values; Paige).
    A point stops when the residual ``|beta_j s_j|`` of its smallest Ritz pair is at most
    ``tol (1 + big)`` (an eigenvalue lies that close to the Ritz value), or at most
    ``negative_tol |theta|`` when the Ritz value is clearly negative (negative curvature is
    certain then, and the escape direction only has to be good), when the Krylov space is invariant
    (``beta_j`` at rounding level), or after ``max_steps`` steps (``min(max_steps, N)`` with
    full reorthogonalisation).  Because ``lam_min`` is a Rayleigh quotient, a negative value
    always comes with a direction of negative curvature.  Float hints, never proofs."""
    X = np.asarray(X, dtype=np.float64)
    b, N = X.shape
    if full_reorth is None:
        full_reorth = N <= 600
    K = max(1, min(int(max_steps), N) if full_reorth else int(max_steps))
    lam = np.full(b, np.nan)
    vmin = np.zeros((b, N))
    big = np.full(b, np.nan)
    steps = np.zeros(b, dtype=np.int64)
    if b == 0:
        return lam, vmin, big, steps
    Ws_all = objective.unflatten(X)

    def operator(sel):                        # v -> H v at the points sel
        Ws = Ws_all if sel is None else [W[sel] for W in Ws_all]
        prepared = getattr(objective, "hvp_operator", None)
        if prepared is not None:
            return prepared(Ws)
        return lambda v: objective.hvp_vector(Ws, v)

    # the basis as a list of (point, N) blocks, one per step (small allocations the allocator
    # reuses, where one (step, point, N) array would be mapped and faulted in afresh at every
    # call); a finished point is left where it is (no copies), the running ones are `act`
    # (None: all of them)
    act = None
    hvp = operator(None)
    q = np.random.default_rng(seed).standard_normal(N)
    Q = [np.repeat((q / np.linalg.norm(q))[None, :], b, axis=0)]
    alpha = np.zeros((b, K))
    beta = np.zeros((b, K))
    scale = np.zeros(b)                       # max |alpha| + |beta| so far (breakdown test)
    rows = np.arange(b)
    with one_blas_thread(), np.errstate(all="ignore"):
        for j in range(K):
            qj = Q[j] if act is None else Q[j][act]
            w = hvp(qj)
            a = np.einsum("bn,bn->b", w, qj)
            w -= a[:, None] * qj
            if j:
                w -= beta[rows, j - 1, None] * (Q[j - 1] if act is None else Q[j - 1][act])
            bj = np.linalg.norm(w, axis=1)
            if full_reorth:
                Qj = np.stack(Q[:j + 1] if act is None else [B[act] for B in Q])
                for _ in range(2):
                    before = bj
                    c = np.einsum("kbn,bn->bk", Qj, w)
                    w -= np.einsum("bk,kbn->bn", c, Qj)
                    bj = np.linalg.norm(w, axis=1)
                    if not (bj < 0.7 * before).any():
                        break
            alpha[rows, j], beta[rows, j] = a, bj
            scale[rows] = np.maximum(scale[rows], np.abs(a) + bj)
            tiny = ~(bj > 1e-12 * scale[rows])
            if not (j + 1 == K or (j + 1) % check_every == 0 or tiny.any()):
                Q.append(_next_block(w, bj, act, b))
                continue
            n = j + 1
            T = np.zeros((rows.size, n, n))
            T[:, np.arange(n), np.arange(n)] = alpha[rows, :n]
            if n > 1:
                off = beta[rows, :n - 1]
                T[:, np.arange(n - 1), np.arange(1, n)] = off
                T[:, np.arange(1, n), np.arange(n - 1)] = off
            bad = ~np.isfinite(T).all(axis=(1, 2))
            T[bad] = np.eye(n)
            theta, S = np.linalg.eigh(T)
            spread = np.maximum(np.abs(theta[:, 0]), np.abs(theta[:, -1]))
            resid = np.abs(bj * S[:, -1, 0])
            clear = theta[:, 0] < -max(tol, 1e-6) * (1.0 + spread)
            done = ((j + 1 == K) | tiny | bad | (resid <= tol * (1.0 + spread))
                    | (clear & (resid <= negative_tol * np.abs(theta[:, 0]))))
            if done.any():
                d = np.nonzero(done)[0]
                r = rows[d]
                v = np.einsum("dk,kdn->dn", S[d, :, 0], np.stack([B[r] for B in Q[:n]]))
                v /= np.linalg.norm(v, axis=1)[:, None]
                Hv = objective.hvp_vector([W[r] for W in Ws_all], v)
                lam[r] = np.where(bad[d], np.nan, np.einsum("bn,bn->b", v, Hv))
                big[r] = np.where(bad[d], np.nan, spread[d])
                vmin[r] = v
                steps[r] = n
                keep = ~done
                if not keep.any():
                    break
                rows, w, bj = rows[keep], w[keep], bj[keep]
                act = rows
                hvp = operator(act)
            Q.append(_next_block(w, bj, act, b))
    return lam, vmin, big, steps


def _next_block(w, bj, act, b):
    """The next Lanczos vectors ``w / beta`` as a (b, N) block (zero rows for finished points)."""
    w /= bj[:, None]
    if act is None:
        return w
    out = np.zeros((b, w.shape[1]))
    out[act] = w
    return out
