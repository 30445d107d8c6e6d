"""Float64 (batched) and mpmath evaluation of a multi-tower linear network.

``L(W) = l(E) + lam/2 sum over all layers ||W||_F^2`` with ``E = R X - Y`` (or ``E = R``) and
``R = sum_t R_t``, ``R_t`` the product of tower ``t`` (formulas in ``exact/multi_tower.py``).
The tower-level pieces come from the deep-linear evaluators: tower t seen through the linear
loss ``R_t -> <G, R_t>`` (a loss of the product with gradient ``G`` and Hessian 0) has
gradient ``A_k^T G B_k^T + lam W_k`` and Hessian ``S_t + lam I``; the full Hessian adds
``J^T Hl J`` over the concatenated Jacobian ``J = [J_1 ... J_T]``.

A point is the flat list of every layer, tower 1 first (W_1 first within a tower).  Producer
code: its numbers guide searches and are never a proof.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from landscape_proofs.core.multi_tower import TowerSumObjective
from landscape_proofs.core.ring import MpRing
from landscape_proofs.numeric.float64 import BatchedDeepLinear, flatten
from landscape_proofs.numeric.kernels import resolve_float64_kernel, resolve_mp_kernel
from landscape_proofs.numeric.mp import MpDeepLinear, to_matrix


def _tower_layout(towers):
    towers = tuple(tuple(int(d) for d in w) for w in towers)
    if not towers:
        raise ValueError("towers: expected at least one tower")
    d0, dH = towers[0][0], towers[0][-1]
    if any(w[0] != d0 or w[-1] != dH for w in towers):
        raise ValueError(f"towers: every tower must map d_0 = {d0} to d_H = {dH}, got "
                         f"{[list(w) for w in towers]}")
    layers, k = [], 0
    for w in towers:
        layers.append(range(k, k + len(w) - 1))
        k += len(w) - 1
    return towers, d0, dH, layers


class _FixedGradientF64:
    """The linear loss E -> <G, E> (G a batch (B, m, n)): gradient G, Hessian 0."""

    def __init__(self, G: np.ndarray):
        self.G = G

    def value(self, E):
        return np.einsum("bij,bij->b", self.G, E)

    def gradient(self, E):
        return self.G

    def hessian_diagonal(self, E):
        return np.zeros((E.shape[0], E.shape[1] * E.shape[2]))

    def hessian(self, E):
        k = E.shape[1] * E.shape[2]
        return np.zeros((E.shape[0], k, k))


class BatchedMultiTower:
    """Float64 objective, gradient and Hessian of a multi-tower network at B points.

    ``Ws`` is a flat list of all layers, ``Ws[i]`` of shape ``(B, rows, cols)``.

    >>> obj = BatchedMultiTower([[1, 1], [1, 1, 1]], np.ones((1, 1)), np.full((1, 1), 3.0),
    ...                         "square")
    >>> Ws = [np.ones((1, 1, 1)), np.ones((1, 1, 1)), np.full((1, 1, 1), 2.0)]
    >>> obj.value(Ws).tolist(), obj.gradient_vector(Ws).tolist()
    ([0.0], [[0.0, 0.0, 0.0]])
    """

    def __init__(self, towers: Sequence[Sequence[int]], X: np.ndarray | None,
                 Y: np.ndarray | None, loss_kernel, over_product: bool = False,
                 weight_decay: float = 0.0):
        self.towers, self.d0, self.dH, self.layers = _tower_layout(towers)
        self.kernel = resolve_float64_kernel(loss_kernel)
        self.over_product = bool(over_product)
        self.lam = float(weight_decay)
        self.tower_objectives = [BatchedDeepLinear(w, X, Y, self.kernel, over_product, weight_decay)
                                 for w in self.towers]
        first = self.tower_objectives[0]
        self.X, self.Y, self.ncol = first.X, first.Y, first.ncol
        self.shapes = [s for t in self.tower_objectives for s in t.shapes]
        self.offsets = [int(o) for o in np.cumsum([0] + [r * c for r, c in self.shapes])[:-1]]
        self.n_params = sum(r * c for r, c in self.shapes)
        self.param_offsets = [self.offsets[lay[0]] for lay in self.layers]

    def _split(self, Ws):
        if len(Ws) != len(self.shapes):
            raise ValueError(f"Ws: expected {len(self.shapes)} layers, got {len(Ws)}")
        return [[Ws[i] for i in lay] for lay in self.layers]

    def flatten(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        return flatten(Ws)

    def unflatten(self, v: np.ndarray) -> list[np.ndarray]:
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 1:
            v = v[None, :]
        if v.shape[1] != self.n_params:
            raise ValueError(f"unflatten: expected vectors of length N = {self.n_params}, got "
                             f"shape {v.shape}")
        return [v[:, o:o + r * c].reshape(v.shape[0], r, c)
                for (r, c), o in zip(self.shapes, self.offsets)]

    def _product(self, Ws):
        R = None
        for obj, Wt in zip(self.tower_objectives, self._split(Ws)):
            obj._check(Wt)
            Rt = obj._prefixes(Wt)[-1]
            R = Rt if R is None else R + Rt
        return R

    def loss_argument(self, Ws):
        return self.tower_objectives[0]._argument(self._product(Ws))

    def value(self, Ws):
        v = np.asarray(self.kernel.value(self.loss_argument(Ws)), dtype=np.float64)
        if self.lam != 0:
            v = v + 0.5 * self.lam * sum(np.einsum("bij,bij->b", W, W) for W in Ws)
        return v

    def function_gradient(self, Ws):
        return self.tower_objectives[0]._G(self.loss_argument(Ws))

    def _linear_towers(self, G):
        lin = _FixedGradientF64(G)
        return [BatchedDeepLinear(w, None, None, lin, True, self.lam) for w in self.towers]

    def gradient(self, Ws):
        G = self.function_gradient(Ws)
        out = []
        for lin, Wt in zip(self._linear_towers(G), self._split(Ws)):
            out.extend(lin.gradient(Wt))
        return out

    def gradient_vector(self, Ws):
        return flatten(self.gradient(Ws))

    def _jacobian(self, Ws):
        """(B, m*ncol, N): column (W_i)_{ab} = vec(A_i e_a e_b^T B_i Z) within its tower."""
        Bsz = Ws[0].shape[0]
        J = np.zeros((Bsz, self.dH * self.ncol, self.n_params))
        eye = lambda d: np.broadcast_to(np.eye(d), (Bsz, d, d))  # noqa: E731
        for obj, lay in zip(self.tower_objectives, self.layers):
            Wt = [Ws[i] for i in lay]
            H = len(Wt)
            P = obj._prefixes(Wt)
            A = [None] * H
            A[H - 1] = eye(self.dH)
            for k in range(H - 2, -1, -1):
                A[k] = A[k + 1] @ Wt[k + 1]
            Bl = [eye(self.d0) if P[k] is None else P[k] for k in range(H)]
            if not (self.over_product or obj._x_identity):
                Bl = [b @ self.X for b in Bl]
            for k, i in enumerate(lay):
                r, c = self.shapes[i]
                blk = np.einsum("xia,xbj->xijab", A[k], Bl[k])
                J[:, :, self.offsets[i]:self.offsets[i] + r * c] = blk.reshape(Bsz, -1, r * c)
        return J

    def hessian(self, Ws):
        E = self.loss_argument(Ws)
        G = self.tower_objectives[0]._G(E)
        J = self._jacobian(Ws)
        JT = np.swapaxes(J, -1, -2)
        diag = getattr(self.kernel, "hessian_diagonal", None)
        if diag is not None:
            Hm = JT @ (np.asarray(diag(E))[:, :, None] * J)
        else:
            Hm = JT @ (np.asarray(self.kernel.hessian(E)) @ J)
        Hm = 0.5 * (Hm + np.swapaxes(Hm, -1, -2))
        for lin, Wt, off in zip(self._linear_towers(G), self._split(Ws), self.param_offsets):
            St = lin.hessian(Wt)
            n = St.shape[-1]
            Hm[:, off:off + n, off:off + n] += St
        return Hm


class _FixedGradientMp:
    """The linear loss E -> <G, E> in an mpmath context: gradient G, Hessian 0."""

    def __init__(self, ctx, G):
        self.ctx, self.G = ctx, G

    def value(self, E):
        return self.ctx.fsum(self.G[i, j] * E[i, j] for i in range(E.rows) for j in range(E.cols))

    def gradient(self, E):
        return self.G

    def hessian(self, E):
        k = E.rows * E.cols
        return self.ctx.matrix(k, k)


class MpMultiTower(TowerSumObjective):
    """Objective, gradient and Hessian of a multi-tower network at one point, in ``ctx``.

    The formulas are those of the exact evaluator (``core.multi_tower.TowerSumObjective``),
    run over the ring of ``ctx``'s matrices.  Weights are a flat list of every layer (lists of
    rows, or ``ctx.matrix``), tower 1 first.
    """

    def __init__(self, ctx, towers: Sequence[Sequence[int]], X: object, Y: object,
                 loss_kernel, over_product: bool = False, weight_decay: object = 0):
        self.ctx = ctx
        self.ring = MpRing(ctx)
        self.towers, self.d0, self.dH, _ = _tower_layout(towers)
        self.kernel = resolve_mp_kernel(loss_kernel, ctx)
        self.over_product = bool(over_product)
        self.tower_objectives = [MpDeepLinear(ctx, w, X, Y, self.kernel, over_product, weight_decay)
                                 for w in self.towers]
        first = self.tower_objectives[0]
        self.lam, self.X, self.Y, self.ncol = first.lam, first.X, first.Y, first.ncol
        self._weight_decay = weight_decay
        self._layout()

    def weights(self, W):
        if len(W) != len(self.shapes):
            raise ValueError(f"W: expected {len(self.shapes)} layers, got {len(W)}")
        out = []
        for obj, lay in zip(self.tower_objectives, self.layers):
            out.extend(obj.weights([W[i] for i in lay]))
        return out

    _prepare = weights

    def flatten(self, W):
        return [M[i, j] for M in self.weights(W) for i in range(M.rows) for j in range(M.cols)]

    def unflatten(self, v):
        if len(v) != self.n_params:
            raise ValueError(f"unflatten: expected {self.n_params} numbers, got {len(v)}")
        return [to_matrix(self.ctx, [[v[o + i * c + j] for j in range(c)] for i in range(r)])
                for (r, c), o in zip(self.shapes, self.offsets)]

    def _linear_towers(self, G):
        lin = _FixedGradientMp(self.ctx, G)
        return [MpDeepLinear(self.ctx, w, None, None, lin, True, self._weight_decay)
                for w in self.towers]


__all__ = ["BatchedMultiTower", "MpMultiTower"]
