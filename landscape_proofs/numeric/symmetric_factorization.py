"""Float64 (batched) evaluation of ``l(U U^T) + lam/2 ||U||^2`` (formulas in
``exact/symmetric_factorization.py``).

A point is ``[U]``, ``U`` a batch of shape ``(B, n, k)``, flattened row-major.  Producer
code: its numbers guide searches (classify's better-point search, ``landscape search``) and are
never a proof.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from landscape_proofs.core.ring import MpRing
from landscape_proofs.core.symmetric_factorization import GramObjective
from landscape_proofs.numeric.kernels import resolve_float64_kernel, resolve_mp_kernel
from landscape_proofs.numeric.mp import to_matrix, to_mpf


class BatchedSymmetricFactorization:
    """Value and gradient of the symmetric factorization objective at B points.

    >>> obj = BatchedSymmetricFactorization(2, 1, np.diag([1.0, 0.0]), "square")
    >>> U = np.array([[[1.0], [0.0]], [[0.0], [0.0]]])
    >>> obj.value([U]).tolist()
    [0.0, 0.5]
    """

    def __init__(self, n: int, k: int, Y: np.ndarray | None, loss_kernel,
                 over_product: bool = False, weight_decay: float = 0.0):
        self.n, self.k = int(n), int(k)
        self.kernel = resolve_float64_kernel(loss_kernel)
        self.over_product = bool(over_product)
        self.lam = float(weight_decay)
        if not self.over_product:
            if Y is None:
                raise ValueError("Y: required for a residual loss (over_product is False)")
            Y = np.asarray(Y, dtype=np.float64)
            if Y.shape != (self.n, self.n):
                raise ValueError(f"Y: expected shape ({self.n}, {self.n}), got {Y.shape}")
        self.Y = Y
        self.shapes = [(self.n, self.k)]
        self.n_params = self.n * self.k

    def _check(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        if len(Ws) != 1:
            raise ValueError(f"Ws: expected [U], got {len(Ws)} arrays")
        U = Ws[0]
        if U.ndim != 3 or U.shape[1:] != (self.n, self.k):
            raise ValueError(f"Ws[0]: expected shape (B, {self.n}, {self.k}), got {U.shape}")
        return U

    def loss_argument(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        U = self._check(Ws)
        R = U @ np.swapaxes(U, 1, 2)
        return R if self.over_product else R - self.Y[None]

    def value(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        v = self.kernel.value(self.loss_argument(Ws))
        if self.lam != 0:
            v = v + self.lam / 2 * np.einsum("bij,bij->b", Ws[0], Ws[0])
        return v

    def function_gradient(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        return self.kernel.gradient(self.loss_argument(Ws))

    def gradient(self, Ws: Sequence[np.ndarray]) -> list[np.ndarray]:
        U = self._check(Ws)
        G = self.function_gradient(Ws)
        g = (G + np.swapaxes(G, 1, 2)) @ U
        if self.lam != 0:
            g = g + self.lam * U
        return [g]

    def gradient_vector(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        g = self.gradient(Ws)[0]
        return g.reshape(g.shape[0], -1)

    def flatten(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """``[U]`` -> (B, n k), U row-major."""
        U = self._check(Ws)
        return U.reshape(U.shape[0], -1)

    def unflatten(self, v: np.ndarray) -> list[np.ndarray]:
        """(B, n k) (or (n k,)) -> ``[U]``."""
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 1:
            v = v[None, :]
        if v.shape[1] != self.n_params:
            raise ValueError(f"unflatten: expected vectors of length N = {self.n_params}, got "
                             f"shape {v.shape}")
        return [v.reshape(v.shape[0], self.n, self.k)]

    def jacobian(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """(B, n n, n k): ``d R_ij / d U_ac = [i = a] U_jc + [j = a] U_ic``."""
        U = self._check(Ws)
        eye = np.eye(self.n)
        J = np.einsum("ia,bjc->bijac", eye, U) + np.einsum("ja,bic->bijac", eye, U)
        return J.reshape(U.shape[0], self.n * self.n, self.n_params)

    def hessian(self, Ws: Sequence[np.ndarray]) -> np.ndarray:
        """(B, N, N): ``J^T Hl J + S + lam I``, ``S[(a, c), (a', c')] = [c = c'] (G + G^T)_{a a'}``
        (the exact formulas of ``exact/symmetric_factorization.py``)."""
        U = self._check(Ws)
        E = self.loss_argument(Ws)
        J = self.jacobian(Ws)
        JT = np.swapaxes(J, 1, 2)
        diag = getattr(self.kernel, "hessian_diagonal", None)
        if diag is not None:
            H = JT @ (np.asarray(diag(E))[:, :, None] * J)
        else:
            H = JT @ (np.asarray(self.kernel.hessian(E)) @ J)
        G = self.kernel.gradient(E)
        Gs = G + np.swapaxes(G, 1, 2)
        S = np.einsum("bxy,cd->bxcyd", Gs, np.eye(self.k)).reshape(U.shape[0], self.n_params,
                                                                     self.n_params)
        H = H + S
        if self.lam != 0:
            H = H + self.lam * np.eye(self.n_params)[None]
        return 0.5 * (H + np.swapaxes(H, 1, 2))


class MpSymmetricFactorization(GramObjective):
    """Value, gradient and Hessian of ``l(U U^T) + lam/2 ||U||^2`` at one point, in ``ctx``
    (the formulas of ``core.symmetric_factorization.GramObjective``, run over the ring of
    ``ctx``'s matrices; used by ``classify --refine``).

    A point is ``[U]`` (rows, or a ``ctx.matrix``), flattened row-major.

    >>> import mpmath
    >>> ctx = mpmath.MPContext(); ctx.dps = 30
    >>> obj = MpSymmetricFactorization(ctx, 2, 1, [[2, 0], [0, -1]], "square")
    >>> obj.value([[[1], [0]]]), [str(g) for g in obj.gradient_vector([[[1], [0]]])]
    (mpf('1.0'), ['-2.0', '0.0'])
    """

    def __init__(self, ctx, n: int, k: int, Y: object, loss_kernel, over_product: bool = False,
                 weight_decay: object = 0):
        self.ctx = ctx
        self.ring = MpRing(ctx)
        self.n, self.k = int(n), int(k)
        self.kernel = resolve_mp_kernel(loss_kernel, ctx)
        self.over_product = bool(over_product)
        self.lam = to_mpf(ctx, weight_decay)
        self.Y = None if self.over_product else to_matrix(ctx, Y)
        self.shapes = [(self.n, self.k)]
        self.offsets = [0]
        self.n_params = self.n * self.k

    def weights(self, W) -> list:
        if len(W) != 1:
            raise ValueError(f"W: expected [U], got {len(W)} matrices")
        U = to_matrix(self.ctx, W[0])
        if (U.rows, U.cols) != (self.n, self.k):
            raise ValueError(f"W[0]: expected shape ({self.n}, {self.k}), got ({U.rows}, {U.cols})")
        return [U]

    def unflatten(self, v) -> list:
        if len(v) != self.n_params:
            raise ValueError(f"unflatten: expected {self.n_params} numbers, got {len(v)}")
        return [to_matrix(self.ctx, [[v[i * self.k + j] for j in range(self.k)]
                                     for i in range(self.n)])]

    _prepare = weights

    def _loss_value(self, E):
        return self.ctx.convert(self.kernel.value(E))

    def _loss_gradient(self, E):
        return self.kernel.gradient(E)

    def _loss_hessian(self, E):
        return self.kernel.hessian(E)


