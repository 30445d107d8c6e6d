"""float64 and mpmath kernels of the built-in losses (producers only).

The protocols these kernels follow are stated in :mod:`landscape_proofs.numeric.kernels`:
float64 kernels work on a batch ``E`` of shape ``(B, m, n)`` (``value -> (B,)``,
``gradient -> (B, m, n)``, ``hessian -> (B, m*n, m*n)``, row-major vec; a separable kernel
also offers ``hessian_diagonal -> (B, m*n)``); mpmath kernels work on one ``ctx.matrix`` of
their own context and never touch the global ``mpmath.mp``.

Each loss module hands out its kernels (``Loss.float64_kernel``, ``Loss.mp_kernel``) and
imports this module only when asked, so that reading a loss never loads NumPy.

The l1 "gradient" returned here is ``sign(E)`` with ``sign(0) = 0``: one subgradient,
chosen for convenience.  At a kink it is a *hint* for producers (descent, guessing), never
a derivative; claims about kinks are decided by the exact layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


def _check_power(p: object) -> None:
    if isinstance(p, bool) or not isinstance(p, int) or p < 2 or p % 2:
        raise ValueError(f"power kernel: p must be an even integer >= 2, got {p!r}")


# --------------------------------------------------------------------------------------
# float64, built-in (separable: l(E) = sum_ij phi(E_ij))
# --------------------------------------------------------------------------------------
def _diag_embed(d: np.ndarray) -> np.ndarray:
    """(B, k) -> (B, k, k) with d on the diagonal."""
    B, k = d.shape
    out = np.zeros((B, k, k))
    idx = np.arange(k)
    out[:, idx, idx] = d
    return out


@dataclass(frozen=True)
class SquareKernel:
    """l(E) = 1/2 sum_ij E_ij^2;  dl/dE = E;  d^2 l = I."""

    def value(self, E):
        return 0.5 * np.einsum("bij,bij->b", E, E)

    def gradient(self, E):
        return E

    def hessian_diagonal(self, E):
        return np.ones((E.shape[0], E.shape[1] * E.shape[2]))

    def hessian(self, E):
        return _diag_embed(self.hessian_diagonal(E))


@dataclass(frozen=True)
class L1Kernel:
    """l(E) = sum_ij |E_ij|;  "gradient" sign(E) (0 at a kink: a hint only);  d^2 l = 0."""

    def value(self, E):
        return np.abs(E).sum(axis=(1, 2))

    def gradient(self, E):
        return np.sign(E)

    def hessian_diagonal(self, E):
        return np.zeros((E.shape[0], E.shape[1] * E.shape[2]))

    def hessian(self, E):
        k = E.shape[1] * E.shape[2]
        return np.zeros((E.shape[0], k, k))


def _ipow(E: np.ndarray, k: int) -> np.ndarray:
    """E**k entrywise by repeated squaring (several times faster than ``np.power`` on floats)."""
    result, base = None, E
    while True:
        if k & 1:
            result = base if result is None else result * base
        k >>= 1
        if not k:
            return np.ones_like(E) if result is None else result
        base = base * base


@dataclass(frozen=True)
class PowerKernel:
    """l(E) = 1/p sum_ij E_ij^p (p even);  dl/dE = E^(p-1);  d^2 l = diag((p-1) E^(p-2))."""

    p: int = 2

    def __post_init__(self):
        _check_power(self.p)

    def value(self, E):
        return (_ipow(E, self.p)).sum(axis=(1, 2)) / self.p

    def gradient(self, E):
        return _ipow(E, self.p - 1)

    def hessian_diagonal(self, E):
        return ((self.p - 1) * _ipow(E, self.p - 2)).reshape(E.shape[0], -1)

    def hessian(self, E):
        return _diag_embed(self.hessian_diagonal(E))


# --------------------------------------------------------------------------------------
# float64, a function of finitely many entries (custom losses)
# --------------------------------------------------------------------------------------
def _as_batch(x, B: int) -> np.ndarray:
    """A callable's result as a float64 vector of length B (constants are broadcast)."""
    return np.broadcast_to(np.asarray(x, dtype=np.float64), (B,))


@dataclass(frozen=True)
class EntryFunctionKernel:
    """A loss l(E) = f(E_{i1 j1}, ..., E_{is js}) of the listed entries of E, in float64.

    Parameters
    ----------
    entries : the (i, j) entries f depends on, in the order f takes them.
    value_fn : f, called with s arrays of shape (B,) (vectorised, e.g. from
        ``sympy.lambdify(..., "numpy")``); a constant result is broadcast.
    gradient_fns : s callables, df/dE_{ik jk}.
    hessian_fns : s x s callables, d^2 f / dE_{ik jk} dE_{il jl}.

    Entries of E that f does not mention have zero derivatives.

    >>> k = EntryFunctionKernel(((0, 1),), lambda x: x**2, (lambda x: 2*x,), ((lambda x: 2.0,),))
    >>> k.gradient(np.array([[[5.0, 3.0]]])).tolist()
    [[[0.0, 6.0]]]
    """

    entries: tuple[tuple[int, int], ...]
    value_fn: Callable
    gradient_fns: tuple[Callable, ...]
    hessian_fns: tuple[tuple[Callable, ...], ...]

    def _args(self, E):
        return [E[:, i, j] for i, j in self.entries]

    def value(self, E):
        return _as_batch(self.value_fn(*self._args(E)), E.shape[0]).copy()

    def gradient(self, E):
        args = self._args(E)
        out = np.zeros(E.shape)
        for (i, j), g in zip(self.entries, self.gradient_fns):
            out[:, i, j] += _as_batch(g(*args), E.shape[0])
        return out

    def hessian(self, E):
        B, m, n = E.shape
        args = self._args(E)
        out = np.zeros((B, m * n, m * n))
        for a, (i, j) in enumerate(self.entries):
            for b, (k, l) in enumerate(self.entries):
                out[:, i * n + j, k * n + l] += _as_batch(self.hessian_fns[a][b](*args), B)
        return out


# --------------------------------------------------------------------------------------
# mpmath (one point, a local context)
# --------------------------------------------------------------------------------------
def _mp_entries(E) -> list:
    """Row-major list of the entries of an mpmath matrix."""
    return [E[i, j] for i in range(E.rows) for j in range(E.cols)]


@dataclass(frozen=True)
class MpSquareKernel:
    """l(E) = 1/2 sum_ij E_ij^2 in context ``ctx``."""

    ctx: Any

    def value(self, E):
        return self.ctx.fsum(x * x for x in _mp_entries(E)) / 2

    def gradient(self, E):
        return E.copy()

    def hessian(self, E):
        return self.ctx.eye(E.rows * E.cols)


@dataclass(frozen=True)
class MpL1Kernel:
    """l(E) = sum_ij |E_ij| in context ``ctx``; "gradient" sign(E), a hint at kinks."""

    ctx: Any

    def value(self, E):
        return self.ctx.fsum(abs(x) for x in _mp_entries(E))

    def gradient(self, E):
        G = self.ctx.matrix(E.rows, E.cols)
        for i in range(E.rows):
            for j in range(E.cols):
                G[i, j] = self.ctx.sign(E[i, j])
        return G

    def hessian(self, E):
        k = E.rows * E.cols
        return self.ctx.matrix(k, k)


@dataclass(frozen=True)
class MpPowerKernel:
    """l(E) = 1/p sum_ij E_ij^p (p even) in context ``ctx``."""

    ctx: Any
    p: int = 2

    def __post_init__(self):
        _check_power(self.p)

    def value(self, E):
        return self.ctx.fsum(x ** self.p for x in _mp_entries(E)) / self.p

    def gradient(self, E):
        G = self.ctx.matrix(E.rows, E.cols)
        for i in range(E.rows):
            for j in range(E.cols):
                G[i, j] = E[i, j] ** (self.p - 1)
        return G

    def hessian(self, E):
        k = E.rows * E.cols
        Hm = self.ctx.matrix(k, k)
        for t, x in enumerate(_mp_entries(E)):
            Hm[t, t] = (self.p - 1) * x ** (self.p - 2)
        return Hm


@dataclass(frozen=True)
class MpEntryFunctionKernel:
    """:class:`EntryFunctionKernel` for one mpmath matrix; callables take ctx numbers.

    The callables must compute in ``ctx`` (e.g. ``sympy.lambdify`` with a namespace made
    of ``ctx``'s functions, so that a constant such as 1/3 is rounded at ctx's precision).
    """

    ctx: Any
    entries: tuple[tuple[int, int], ...]
    value_fn: Callable
    gradient_fns: tuple[Callable, ...]
    hessian_fns: tuple[tuple[Callable, ...], ...]

    def _args(self, E):
        return [E[i, j] for i, j in self.entries]

    def value(self, E):
        return self.ctx.convert(self.value_fn(*self._args(E)))

    def gradient(self, E):
        args = self._args(E)
        G = self.ctx.matrix(E.rows, E.cols)
        for (i, j), g in zip(self.entries, self.gradient_fns):
            G[i, j] += self.ctx.convert(g(*args))
        return G

    def hessian(self, E):
        n = E.cols
        k = E.rows * n
        args = self._args(E)
        Hm = self.ctx.matrix(k, k)
        for a, (i, j) in enumerate(self.entries):
            for b, (r, c) in enumerate(self.entries):
                Hm[i * n + j, r * n + c] += self.ctx.convert(self.hessian_fns[a][b](*args))
        return Hm
