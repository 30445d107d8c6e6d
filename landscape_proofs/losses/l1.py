"""The l1 loss ``l(E) = sum_ij |E_ij|`` (convex, not differentiable where an entry is 0)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import flint

from landscape_proofs.kernel.errors import NotDifferentiableError, UnsupportedError
from landscape_proofs.losses.base import Loss, Poly


def _lowest_sign(p: Poly) -> int:
    """Sign of the lowest-order nonzero coefficient of p (0 for the zero polynomial)."""
    for c in p.coeffs():
        if c != 0:
            return 1 if c > 0 else -1
    return 0


@dataclass(frozen=True)
class L1Loss(Loss):
    """l(E) = sum_ij |E_ij| (convex, not differentiable where an entry is 0)."""

    name: ClassVar[str] = "l1"
    convex = property(lambda self: True)
    differentiable = property(lambda self: False)
    polynomial = property(lambda self: False)
    nonnegative = property(lambda self: True)
    separable = property(lambda self: True)
    zero_only_at_zero = property(lambda self: True)
    piecewise_linear_kinks = property(lambda self: True)

    def value_exact(self, E):
        return sum((abs(x) for x in E.entries()), flint.fmpq(0))

    def kinks(self, E) -> list[tuple[int, int]]:
        """Entries where |.| has its kink (E_ij = 0)."""
        n = E.ncols()
        return [(k // n, k % n) for k, x in enumerate(E.entries()) if x == 0]

    def is_smooth_at(self, E):
        return not self.kinks(E)

    def gradient_exact(self, E):
        if not self.is_smooth_at(E):
            raise NotDifferentiableError(f"l1 loss has a kink: residual entries {self.kinks(E)} are 0")
        return flint.fmpq_mat(E.nrows(), E.ncols(), [1 if x > 0 else -1 for x in E.entries()])

    def hessian_exact(self, E):
        if not self.is_smooth_at(E):
            raise NotDifferentiableError(f"l1 loss has a kink: residual entries {self.kinks(E)} are 0")
        k = E.nrows() * E.ncols()
        return flint.fmpq_mat(k, k)

    def along_curve(self, entries):
        # For small t > 0 the sign of q(t) is the sign of its lowest nonzero coefficient.
        # Univariate only: |q| is not a polynomial in several variables.
        total = Poly(0)
        for row in entries:
            for q in row:
                if not isinstance(q, Poly):
                    raise UnsupportedError("the l1 loss is not a polynomial; it can be expanded "
                                           "along a curve in t only")
                s = _lowest_sign(q)
                if s:
                    total += q if s > 0 else -q
        return total

    def float64_kernel(self):
        from landscape_proofs.losses.numeric_kernels import L1Kernel
        return L1Kernel()

    def mp_kernel(self, ctx):
        from landscape_proofs.losses.numeric_kernels import MpL1Kernel
        return MpL1Kernel(ctx)

    def sympy_expression(self, entries):
        import sympy
        return sympy.Add(*[sympy.Abs(x) for x in entries])

    def formula_value(self, E, entry, st):
        return st.sum_ij() + st.abs(entry)

    def formula_gradient(self, st):
        return st.sign("E")

    def formula_curvature(self, sa, sb, same, atomic_a, st):
        return ""

    def formula_notes(self):
        return ((
            "kinks",
            "l1: G = sign(E) and d^2 l(E) = 0 hold where no entry of E is 0; at a zero entry l "
            "has a kink, and any value in [-1, 1] there gives a subgradient of l (SymPy's "
            "sign(0) = 0 is one such choice).",
            r"\text{$\ell_1$: } G = \operatorname{sign}(E),\ \mathrm{d}^2\ell(E) = 0 "
            r"\text{ where no entry of } E \text{ is } 0\text{; at a zero entry any value in }"
            r" [-1, 1] \text{ gives a subgradient of } \ell."),)

    def to_json(self):
        return "l1"

    def describe(self):
        return "sum of absolute residuals"
