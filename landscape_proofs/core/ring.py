"""A small number-ring protocol: the matrix operations the closed forms need.

The objective of a chain of layers (``core/objective.py``: value, gradient, Jacobian, Hessian)
is written once against this protocol and runs over

* :class:`ExactRing`: FLINT rationals (``fmpq_mat``), the exact producers;
* :class:`MpRing`: the matrices of one mpmath context (``numeric/mp.py``), never the global
  ``mpmath.mp``;
* :class:`Float64Ring`: NumPy float64 arrays of one point (cross-checks; the batched float64
  evaluators of ``numeric/float64.py`` keep their own vectorised code, which is the fast path).

The code multiplies matrices with :meth:`matmul` (NumPy's ``*`` is entrywise); ``+``, ``-``,
a scalar times a matrix and ``M[i, j]`` (read and write) are the same in every ring.
"""
from __future__ import annotations

from typing import Any, Iterable, Protocol

import flint


class Ring(Protocol):
    """The operations the closed forms use (``M`` a matrix of the ring, ``x`` a scalar)."""

    def identity(self, n: int) -> Any: ...
    def zeros(self, r: int, c: int) -> Any: ...
    def matmul(self, A, B) -> Any: ...
    def transpose(self, M) -> Any: ...
    def nrows(self, M) -> int: ...
    def ncols(self, M) -> int: ...
    def scalar(self, x) -> Any: ...
    def sum_of_squares(self, mats: Iterable) -> Any: ...


class ExactRing:
    """``flint.fmpq_mat``: exact rationals."""

    def identity(self, n):
        M = flint.fmpq_mat(n, n)
        for i in range(n):
            M[i, i] = 1
        return M

    def zeros(self, r, c):
        return flint.fmpq_mat(r, c)

    def matmul(self, A, B):
        return A * B

    def transpose(self, M):
        return M.transpose()

    def nrows(self, M):
        return M.nrows()

    def ncols(self, M):
        return M.ncols()

    def scalar(self, x):
        return flint.fmpq(x)

    def sum_of_squares(self, mats):
        total = flint.fmpq(0)
        for M in mats:
            for x in M.entries():
                total += x * x
        return total


class MpRing:
    """The matrices of the mpmath context ``ctx`` (rounding at ctx's precision)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def identity(self, n):
        return self.ctx.eye(n)

    def zeros(self, r, c):
        return self.ctx.matrix(r, c)

    def matmul(self, A, B):
        return A * B

    def transpose(self, M):
        return M.T

    def nrows(self, M):
        return M.rows

    def ncols(self, M):
        return M.cols

    def scalar(self, x):
        return self.ctx.convert(x)

    def sum_of_squares(self, mats):
        return self.ctx.fsum(x * x for M in mats for x in M)


class Float64Ring:
    """NumPy float64 arrays (one point)."""

    def __init__(self):
        import numpy
        self.np = numpy

    def identity(self, n):
        return self.np.eye(n)

    def zeros(self, r, c):
        return self.np.zeros((r, c))

    def matmul(self, A, B):
        return A @ B

    def transpose(self, M):
        return M.T

    def nrows(self, M):
        return M.shape[0]

    def ncols(self, M):
        return M.shape[1]

    def scalar(self, x):
        return float(x)

    def sum_of_squares(self, mats):
        return float(sum((M * M).sum() for M in mats))


__all__ = ["Ring", "ExactRing", "MpRing", "Float64Ring"]
