"""Batched float64 evaluation of a deep linear objective, its gradient and Hessian.

``L(W) = l(E) + lam/2 sum_k ||W_k||_F^2`` with ``E = W_H ... W_1 X - Y`` (or
``E = W_H ... W_1`` for a loss of the product), evaluated at B points at once.  A batch of
weights is a list ``Ws`` of H arrays, ``Ws[k]`` of shape ``(B, d_{k+1}, d_k)``: ``Ws[0]``
holds the B copies of ``W_1``.

The formulas are those of ``exact/objective.py`` (same notation): ``R = A_k W_k B_k`` with
``A_k = W_H ... W_{k+1}`` and ``B_k = W_{k-1} ... W_1``, and ``G = dF/dR`` is
``(dl/dE) X^T`` (residual loss) or ``dl/dE`` (product loss).

* gradient:  ``dL/dW_k = A_k^T G B_k^T + lam W_k``
* Hessian:   ``H = J^T Hl J + S + lam I`` where column p = (W_k)_{ab} of J is
  ``vec(A_k e_a e_b^T B_k Z)`` (Z = X, or I for a product loss), Hl is the loss Hessian in
  row-major vec, and S is the second-order term of the product, for k > j:
  ``S[(k,a,b), (j,c,d)] = M_kj[b, c] (A_k^T G B_j^T)[a, d]`` (and its transpose), with
  ``M_kj = W_{k-1} ... W_{j+1}``.

Parameters are flattened layer by layer (W_1 first), each matrix row-major.  Everything
is vectorised over the batch with ``numpy.matmul``; there is no Python loop over points.
This is producer code: its numbers guide searches and are never a proof.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from landscape_proofs.core.objective import ChainObjective
from landscape_proofs.core.ring import Float64Ring
from landscape_proofs.numeric.kernels import Float64LossKernel, resolve_float64_kernel


def _T(a: np.ndarray) -> np.ndarray:
    """Transpose of each matrix in a batch (a view)."""
    return np.swapaxes(a, -1, -2)


def layer_shapes(widths: Sequence[int]) -> list[tuple[int, int]]:
    """Shape (d_k, d_{k-1}) of W_k for k = 1..H."""
    return [(widths[k + 1], widths[k]) for k in range(len(widths) - 1)]


def flatten(Ws: Sequence[np.ndarray]) -> np.ndarray:
    """Layer list (each (B, d_k, d_{k-1})) -> (B, N), layer by layer, each row-major.

    >>> flatten([np.arange(2.0).reshape(1, 1, 2), np.arange(2.0).reshape(1, 2, 1)]).tolist()
    [[0.0, 1.0, 0.0, 1.0]]
    """
    B = Ws[0].shape[0]
    return np.concatenate([np.reshape(W, (B, -1)) for W in Ws], axis=1)


def unflatten(v: np.ndarray, widths: Sequence[int]) -> list[np.ndarray]:
    """(B, N) -> layer list, the inverse of :func:`flatten`. A 1-D ``v`` is a batch of one."""
    v = np.asarray(v, dtype=np.float64)
    if v.ndim == 1:
        v = v[None, :]
    shapes = layer_shapes(widths)
    N = sum(r * c for r, c in shapes)
    if v.shape[1] != N:
        raise ValueError(f"unflatten: expected vectors of length N = {N} for widths "
                         f"{list(widths)}, got shape {v.shape}")
    out, off = [], 0
    for r, c in shapes:
        out.append(v[:, off:off + r * c].reshape(v.shape[0], r, c))
        off += r * c
    return out


def _sumsq(W: np.ndarray) -> np.ndarray:
    """Sum of squares of each matrix in a batch (B, r, c) -> (B,)."""
    V = W.reshape(W.shape[0], W.shape[1] * W.shape[2])     # (also for B = 0)
    vecdot = getattr(np, "vecdot", None)
    return vecdot(V, V) if vecdot is not None else np.einsum("bn,bn->b", V, V)


class BatchedDeepLinear:
    """Float64 objective, gradient and Hessian of a deep linear network at B points.

    Parameters
    ----------
    widths : (d_0, ..., d_H).
    X : (d_0, n) float64 data; for a product loss it is ignored.
    Y : (d_H, n) float64 targets; None for a product loss.
    loss_kernel : a float64 loss kernel (see :mod:`.kernels`) or a built-in name
        ``"square"``, ``"l1"``, ``"power p"``.
    over_product : the loss takes R = W_H ... W_1 rather than the residual R X - Y.
    weight_decay : lam >= 0.

    Examples
    --------
    L(a, b) = (ab - 1)^2 / 2 at (a, b) = (2, 3):

    >>> obj = BatchedDeepLinear([1, 1, 1], np.ones((1, 1)), np.ones((1, 1)), "square")
    >>> Ws = [np.full((1, 1, 1), 2.0), np.full((1, 1, 1), 3.0)]
    >>> obj.value(Ws).tolist(), obj.gradient_vector(Ws).tolist()
    ([12.5], [[15.0, 10.0]])
    """

    def __init__(self, widths: Sequence[int], X: np.ndarray | None, Y: np.ndarray | None,
                 loss_kernel: Float64LossKernel | str, over_product: bool = False,
                 weight_decay: float = 0.0):
        self.widths = tuple(int(d) for d in widths)
        if len(self.widths) < 2 or min(self.widths) < 1:
            raise ValueError(f"widths: expected [d_0, ..., d_H] with H >= 1 and every d >= 1, "
                             f"got {list(widths)}")
        self.H = len(self.widths) - 1
        self.shapes = layer_shapes(self.widths)
        self.offsets = [int(o) for o in np.cumsum([0] + [r * c for r, c in self.shapes])[:-1]]
        self.n_params = sum(r * c for r, c in self.shapes)
        self.kernel = resolve_float64_kernel(loss_kernel)
        self.over_product = bool(over_product)
        # a per-entry decay: one array per layer shaped like W_k (self.lam is then 0)
        self.decay_blocks = None
        if isinstance(weight_decay, (list, tuple)):
            self.decay_blocks = [np.array([[float(x) for x in row] for row in L], dtype=np.float64)
                                 for L in weight_decay]
            if [L.shape for L in self.decay_blocks] != [tuple(s) for s in self.shapes]:
                raise ValueError("weight_decay: expected one matrix per layer, shaped like it")
            weight_decay = 0.0
        self.lam = float(weight_decay)
        if self.lam < 0:
            raise ValueError(f"weight_decay: expected a number >= 0, got {weight_decay!r}")
        d0, dH = self.widths[0], self.widths[-1]
        if self.over_product:
            self.X = None
            self.Y = None
            self._x_identity = True
            self.ncol = d0
        else:
            if X is None:
                X = np.eye(d0)
            X = np.asarray(X, dtype=np.float64)
            if X.ndim != 2 or X.shape[0] != d0:
                raise ValueError(f"X: expected shape ({d0}, n), got {X.shape}")
            if Y is None:
                raise ValueError("Y: required for a residual loss (over_product is False)")
            Y = np.asarray(Y, dtype=np.float64)
            if Y.shape != (dH, X.shape[1]):
                raise ValueError(f"Y: expected shape ({dH}, {X.shape[1]}), got {Y.shape}")
            self.X, self.Y = X, Y
            # Skip the multiplications by X when X = I (the common "function space" case).
            self._x_identity = X.shape == (d0, d0) and bool(np.array_equal(X, np.eye(d0)))
            self.ncol = X.shape[1]

    # -- helpers ---------------------------------------------------------------------------
    def _check(self, Ws: Sequence[np.ndarray]) -> int:
        if len(Ws) != self.H:
            raise ValueError(f"Ws: expected {self.H} layers, got {len(Ws)}")
        B = Ws[0].shape[0]
        for k, (W, (r, c)) in enumerate(zip(Ws, self.shapes)):
            if W.shape != (B, r, c):
                raise ValueError(f"Ws[{k}]: expected shape ({B}, {r}, {c}) (W_{k + 1}), "
                                 f"got {W.shape}")
        return B

    def flatten(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """Layer list -> (B, N)."""
        return flatten(Ws)

    def unflatten(self, v: np.ndarray) -> list[np.ndarray]:
        """(B, N) (or (N,)) -> layer list."""
        return unflatten(v, self.widths)

    def _prefixes(self, Ws):
        """P[k] = W_k ... W_1 for k = 0..H (P[0] = None stands for the identity).

        In the notation above B_k = P[k-1] (1-based k), R = P[H].
        """
        P = [None]
        p = None
        for W in Ws:
            p = W if p is None else W @ p
            P.append(p)
        return P

    def _argument(self, R):
        """E = R X - Y (residual) or R (product)."""
        if self.over_product:
            return R
        RX = R if self._x_identity else R @ self.X
        return RX - self.Y

    def _G(self, E):
        """G = dF/dR = (dl/dE) X^T, or dl/dE for a product loss."""
        gl = self.kernel.gradient(E)
        if self.over_product or self._x_identity:
            return gl
        return gl @ self.X.T

    def _decay(self, Ws):
        if self.decay_blocks is not None:
            return 0.5 * sum(np.einsum("ij,bij,bij->b", L, W, W) for L, W in zip(self.decay_blocks, Ws))
        return 0.5 * self.lam * sum(_sumsq(W) for W in Ws)

    # -- value, gradient, Hessian --------------------------------------------------------------
    def loss_argument(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """E at each point, shape (B, d_H, n) (or (B, d_H, d_0) for a product loss)."""
        self._check(Ws)
        return self._argument(self._prefixes(Ws)[-1])

    def value(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """L at each point, shape (B,)."""
        self._check(Ws)
        v = np.asarray(self.kernel.value(self._argument(self._prefixes(Ws)[-1])), dtype=np.float64)
        if self.lam != 0 or self.decay_blocks is not None:
            v = v + self._decay(Ws)
        return v

    def function_gradient(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """G = dF/dR at each point, shape (B, d_H, d_0)."""
        self._check(Ws)
        return self._G(self._argument(self._prefixes(Ws)[-1]))

    def gradient(self, Ws: Sequence[np.ndarray]) -> list[np.ndarray]:
        """dL/dW_k at each point: a list of H arrays shaped like ``Ws``."""
        return self._value_gradient(Ws, False)[1]

    def value_and_gradient(self, Ws: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(value (B,), gradient flattened (B, N))`` from one forward pass (the residual and
        the prefixes are shared): the cost of :meth:`gradient` alone, for quasi-Newton line
        searches that need both at every trial point.  Each layer's gradient is written
        straight into its block of the flat result (no concatenation)."""
        B = self._check(Ws)
        out = np.empty((B, self.n_params))
        blocks = [out[:, o:o + r * c].reshape(B, r, c)
                  for o, (r, c) in zip(self.offsets, self.shapes)]
        v, _ = self._value_gradient(Ws, True, blocks)
        return v, out

    def _value_gradient(self, Ws, want_value: bool, blocks=None):
        """Value (if wanted) and the layer gradients; with ``blocks`` (views shaped like
        ``Ws``) the gradients are written into them."""
        if blocks is None:
            self._check(Ws)
        P = self._prefixes(Ws)
        # Backpropagation: D_k = A_k^T G, with D_H = G and D_{k-1} = W_k^T D_k;
        # dL/dW_k = D_k B_k^T + lam W_k  (B_k = P[k-1], the identity for k = 1).
        E = self._argument(P[-1])
        value = None
        if want_value:
            value = np.asarray(self.kernel.value(E), dtype=np.float64)
            if self.lam != 0 or self.decay_blocks is not None:
                value = value + self._decay(Ws)
        D = self._G(E)
        out = [None] * self.H if blocks is None else blocks
        for k in range(self.H - 1, -1, -1):
            Bk = P[k]
            if blocks is None:
                g = D if Bk is None else D @ _T(Bk)
            else:
                g = blocks[k]
                if Bk is None:
                    if D is not g:            # (k = 0: D_1 was written into its block)
                        g[...] = D
                else:
                    np.matmul(D, _T(Bk), out=g)
            if self.lam != 0:
                if blocks is None:
                    g = g + self.lam * Ws[k]
                else:
                    g += self.lam * Ws[k]
            if self.decay_blocks is not None:
                if blocks is None:
                    g = g + self.decay_blocks[k] * Ws[k]
                else:
                    g += self.decay_blocks[k] * Ws[k]
            out[k] = g
            if k:
                if blocks is not None and k == 1:
                    # D_1 = W_2^T D_2 is the first layer's gradient (B_1 = I): written
                    # straight into its block, no copy
                    D = np.matmul(_T(Ws[k]), D, out=blocks[0])
                else:
                    D = _T(Ws[k]) @ D
        return value, out

    def gradient_vector(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """The gradient flattened, shape (B, N)."""
        return flatten(self.gradient(Ws))

    def hessian(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """The Hessian of L at each point, shape (B, N, N) (symmetric)."""
        Bsz = self._check(Ws)
        H, N = self.H, self.n_params
        P = self._prefixes(Ws)
        E = self._argument(P[-1])
        G = self._G(E)
        m, d0, ncol = self.widths[-1], self.widths[0], self.ncol
        eye = lambda d: np.broadcast_to(np.eye(d), (Bsz, d, d))  # noqa: E731
        # A[k] = W_H ... W_{k+2} (list index k: the layers above Ws[k]); identity on top.
        A = [None] * H
        A[H - 1] = eye(m)
        for k in range(H - 2, -1, -1):
            A[k] = A[k + 1] @ Ws[k + 1]
        Bl = [eye(d0) if P[k] is None else P[k] for k in range(H)]   # B_k, (d_{k-1}, d_0)
        if self.over_product or self._x_identity:
            BZ = Bl
        else:
            BZ = [b @ self.X for b in Bl]                                # B_k X, (d_{k-1}, n)
        # J[:, i*ncol + j, off_k + a*c_k + b] = A_k[i, a] (B_k Z)[b, j]
        J = np.empty((Bsz, m * ncol, N))
        for k, (r, c) in enumerate(self.shapes):
            blk = np.einsum("xia,xbj->xijab", A[k], BZ[k])
            J[:, :, self.offsets[k]:self.offsets[k] + r * c] = blk.reshape(Bsz, m * ncol, r * c)
        diag = getattr(self.kernel, "hessian_diagonal", None)
        if diag is not None:
            # J^T diag(h) J
            Hm = _T(J) @ (np.asarray(diag(E))[:, :, None] * J)
        else:
            Hm = _T(J) @ (np.asarray(self.kernel.hessian(E)) @ J)
        Hm = 0.5 * (Hm + _T(Hm))   # J^T Hl J is symmetric; make the rounding symmetric too
        # S: for k > j, block (k, j) = M_kj[b, c] (A_k^T G B_j^T)[a, d], plus transpose.
        for j in range(H):
            M = None                                   # M_{j+1, j} = I (d_{j+1} x d_{j+1})
            for k in range(j + 1, H):
                if k > j + 1:
                    M = Ws[k - 1] if M is None else Ws[k - 1] @ M
                Mkj = eye(self.widths[j + 1]) if M is None else M
                Pkj = _T(A[k]) @ G @ _T(Bl[j])        # (d_k, d_{j-1}) in 1-based widths
                rk, ck = self.shapes[k]
                rj, cj = self.shapes[j]
                blk = np.einsum("xad,xbc->xabcd", Pkj, Mkj).reshape(Bsz, rk * ck, rj * cj)
                ok, oj = self.offsets[k], self.offsets[j]
                Hm[:, ok:ok + rk * ck, oj:oj + rj * cj] += blk
                Hm[:, oj:oj + rj * cj, ok:ok + rk * ck] += _T(blk)
        if self.lam != 0:
            idx = np.arange(N)
            Hm[:, idx, idx] += self.lam
        if self.decay_blocks is not None:
            idx = np.arange(N)
            Hm[:, idx, idx] += np.concatenate([L.ravel() for L in self.decay_blocks])
        return Hm


    def hvp(self, Ws: Sequence[np.ndarray], Vs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Hessian-vector products ``H(W) V`` at each point, without forming ``H``: the
        directional derivative of :meth:`gradient` along ``V`` (forward mode through the
        product rule), O(H) batched matrix products instead of the O(N^2) memory and O(N^3)
        eigen-work of a dense Hessian.  ``Vs`` is shaped like ``Ws``; so is the result.

        With P_k = W_k ... W_1, A_k = W_H ... W_{k+1} and E = R X - Y (or R):
        dR = sum_k A_k V_k P_{k-1}, dE = dR X, dG = (l''(E)[dE]) X^T, and
        d(grad_k) = (dD_k) P_{k-1}^T + D_k dP_{k-1}^T + lam V_k with D_k = A_k^T G.
        """
        self._check(Ws)
        H = self.H
        P = self._prefixes(Ws)                       # P[k] = W_k ... W_1, P[0] = None (I)
        dP = [None] * (H + 1)                        # dP[k] = d(W_k ... W_1); dP[0] = 0
        for k in range(1, H + 1):
            term = Vs[k - 1] if P[k - 1] is None else Vs[k - 1] @ P[k - 1]
            dP[k] = term if dP[k - 1] is None else term + Ws[k - 1] @ dP[k - 1]
        E = self._argument(P[-1])
        G = self._G(E)
        dR = dP[-1]
        dE = dR if (self.over_product or self._x_identity) else dR @ self.X
        diag = getattr(self.kernel, "hessian_diagonal", None)
        if diag is not None:
            dgl = np.asarray(diag(E)).reshape(dE.shape) * dE
        else:
            Hl = np.asarray(self.kernel.hessian(E))
            dgl = (Hl @ dE.reshape(dE.shape[0], -1, 1)).reshape(dE.shape)
        dG = dgl if (self.over_product or self._x_identity) else dgl @ self.X.T
        # backward sweep with its derivative: D_H = G, D_{k-1} = W_k^T D_k
        D, dD = G, dG
        out = [None] * H
        for k in range(H - 1, -1, -1):
            Bk, dBk = P[k], dP[k]
            g = dD if Bk is None else dD @ _T(Bk)
            if dBk is not None:
                g = g + D @ _T(dBk)
            if self.lam != 0:
                g = g + self.lam * Vs[k]
            if self.decay_blocks is not None:     # per-entry decay: its Hessian is diagonal
                g = g + self.decay_blocks[k] * Vs[k]
            out[k] = g
            if k:
                D, dD = _T(Ws[k]) @ D, _T(Ws[k]) @ dD + _T(Vs[k]) @ D
        return out

    def hvp_operator(self, Ws: Sequence[np.ndarray]):
        """``v -> H(W) v`` on flattened vectors ((B, N) -> (B, N)) at fixed points ``Ws``, for
        iterative eigensolvers that apply the same Hessian many times: what :meth:`hvp`
        recomputes at every call and does not depend on ``v`` (the prefixes ``P_k``, ``E``,
        ``G`` and the backward chain ``D_k = A_k^T G``) is computed once here, so a product
        costs the ``v``-dependent matrix products only (6 instead of 8 for two layers)."""
        self._check(Ws)
        H, Bsz = self.H, Ws[0].shape[0]
        P = self._prefixes(Ws)
        E = self._argument(P[-1])
        G = self._G(E)
        Ds = [None] * H
        D = G
        for k in range(H - 1, -1, -1):
            Ds[k] = D
            if k:
                D = _T(Ws[k]) @ D
        diag = getattr(self.kernel, "hessian_diagonal", None)
        hl = np.asarray(diag(E)) if diag is not None else np.asarray(self.kernel.hessian(E))
        plain = self.over_product or self._x_identity

        def apply(v: np.ndarray) -> np.ndarray:
            Vs = self.unflatten(v)
            dP = [None] * (H + 1)
            for k in range(1, H + 1):
                term = Vs[k - 1] if P[k - 1] is None else Vs[k - 1] @ P[k - 1]
                dP[k] = term if dP[k - 1] is None else term + Ws[k - 1] @ dP[k - 1]
            dE = dP[-1] if plain else dP[-1] @ self.X
            if diag is not None:
                dgl = hl.reshape(dE.shape) * dE
            else:
                dgl = (hl @ dE.reshape(dE.shape[0], -1, 1)).reshape(dE.shape)
            dD = dgl if plain else dgl @ self.X.T
            out = np.empty((Bsz, self.n_params))
            for k in range(H - 1, -1, -1):
                r, c = self.shapes[k]
                g = out[:, self.offsets[k]:self.offsets[k] + r * c].reshape(Bsz, r, c)
                if P[k] is None:
                    g[...] = dD
                else:
                    np.matmul(dD, _T(P[k]), out=g)
                if dP[k] is not None:
                    g += Ds[k] @ _T(dP[k])
                if self.lam != 0:
                    g += self.lam * Vs[k]
                if self.decay_blocks is not None:
                    g += self.decay_blocks[k] * Vs[k]
                if k:
                    dD = _T(Ws[k]) @ dD + _T(Vs[k]) @ Ds[k]
            return out

        return apply

    def hvp_vector(self, Ws: Sequence[np.ndarray], v: np.ndarray) -> np.ndarray:
        """:meth:`hvp` on flattened vectors: ``v`` of shape (B, N), the result (B, N)."""
        return flatten(self.hvp(Ws, self.unflatten(v)))


def taylor_remainders(objective: BatchedDeepLinear, Ws: Sequence[np.ndarray],
                      directions: Sequence[np.ndarray], ts: Sequence[float]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Remainders of the first- and second-order Taylor models along ``W + t V``.

    Returns ``(r1, r2)``, each of shape (len(ts), B):
    ``r1(t) = |L(W + tV) - L(W) - t <grad, V>|`` (O(t^2) when the gradient is right) and
    ``r2(t) = |L(W + tV) - L(W) - t <grad, V> - t^2/2 V^T H V|`` (O(t^3) when the Hessian
    is right and L is C^3).  The slopes of log r against log t are the derivative checks of
    pymanopt; unlike pymanopt this returns data and plots nothing.
    """
    v = flatten(directions)
    f0 = objective.value(Ws)
    g = np.einsum("bn,bn->b", objective.gradient_vector(Ws), v)
    h = np.einsum("bn,bnm,bm->b", v, objective.hessian(Ws), v)
    r1, r2 = [], []
    for t in ts:
        ft = objective.value([W + t * V for W, V in zip(Ws, directions)])
        lin = ft - f0 - t * g
        r1.append(np.abs(lin))
        r2.append(np.abs(lin - 0.5 * t * t * h))
    return np.array(r1), np.array(r2)


class Float64DeepLinear(ChainObjective):
    """The closed forms of ``core.objective.ChainObjective`` at *one* point in float64.

    A cross-check of the batched evaluator (:class:`BatchedDeepLinear`, which keeps its own
    vectorised code because it is the fast path): the same formulas as the exact and mpmath
    evaluators, over the NumPy ring.  Weights are H arrays (``W[0]`` = W_1).

    >>> obj = Float64DeepLinear([1, 1, 1], np.ones((1, 1)), np.ones((1, 1)), "square")
    >>> float(obj.value([np.full((1, 1), 2.0), np.full((1, 1), 3.0)]))
    12.5
    """

    ring = Float64Ring()

    def __init__(self, widths: Sequence[int], X: np.ndarray | None, Y: np.ndarray | None,
                 loss_kernel: Float64LossKernel | str, over_product: bool = False,
                 weight_decay: float = 0.0):
        self._layout([int(d) for d in widths])
        self.kernel = resolve_float64_kernel(loss_kernel)
        self.over_product = bool(over_product)
        self.lam = float(weight_decay)
        d0 = self.widths[0]
        self.X = None if self.over_product else (
            np.eye(d0) if X is None else np.asarray(X, dtype=np.float64))
        self.Y = None if self.over_product else np.asarray(Y, dtype=np.float64)

    def _prepare(self, W):
        return [np.asarray(Wk, dtype=np.float64) for Wk in W]

    def _loss_value(self, E):
        return float(self.kernel.value(E[None])[0])

    def _loss_gradient(self, E):
        return self.kernel.gradient(E[None])[0]

    def _loss_hessian(self, E):
        return self.kernel.hessian(E[None])[0]


__all__ = ["BatchedDeepLinear", "Float64DeepLinear", "flatten", "unflatten", "layer_shapes",
           "taylor_remainders"]
