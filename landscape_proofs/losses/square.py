"""The square loss ``l(E) = 1/2 sum_ij E_ij^2``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import flint

from landscape_proofs.losses.base import Loss, ring_sum


@dataclass(frozen=True)
class SquareLoss(Loss):
    """l(E) = 1/2 sum_ij E_ij^2."""

    name: ClassVar[str] = "square"
    convex = property(lambda self: True)
    differentiable = property(lambda self: True)
    polynomial = property(lambda self: True)
    nonnegative = property(lambda self: True)
    square_like = property(lambda self: True)
    separable = property(lambda self: True)
    zero_only_at_zero = property(lambda self: True)

    def value_exact(self, E):
        return sum((x * x for x in E.entries()), flint.fmpq(0)) / 2

    def gradient_exact(self, E):
        return E

    def hessian_exact(self, E):
        k = E.nrows() * E.ncols()
        H = flint.fmpq_mat(k, k)
        for i in range(k):
            H[i, i] = 1
        return H

    def along_curve(self, entries):
        return ring_sum(p * p for row in entries for p in row) / 2

    def float64_kernel(self):
        from landscape_proofs.losses.numeric_kernels import SquareKernel
        return SquareKernel()

    def mp_kernel(self, ctx):
        from landscape_proofs.losses.numeric_kernels import MpSquareKernel
        return MpSquareKernel(ctx)

    def sympy_expression(self, entries):
        import sympy
        return sympy.Rational(1, 2) * sympy.Add(*[x ** 2 for x in entries])

    def formula_value(self, E, entry, st):
        return f"{st.number(_half())} {st.frob2(E)}"

    def formula_gradient(self, st):
        return "E"

    def formula_curvature(self, sa, sb, same, atomic_a, st):
        return st.frob2(sa) if same else st.inner(sa, sb)

    def to_json(self):
        return "square"

    def describe(self):
        return "1/2 * sum of squared residuals"


def _half():
    import sympy
    return sympy.Rational(1, 2)
