"""Float64 (batched) evaluation of ``l(U U^T) + lam/2 ||U||^2`` (formulas in
``exact/symmetric_factorization.py``).

A point is ``[U]``, ``U`` a batch of shape ``(B, n, k)``.  Producer code: its numbers guide
searches (classify's better-point search) and are never a proof.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .kernels import resolve_float64_kernel


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
