"""The power loss ``l(E) = 1/p sum_ij E_ij^p``, p an even integer >= 2."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import flint

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.losses.base import Loss, ring_sum


@dataclass(frozen=True)
class PowerLoss(Loss):
    """l(E) = 1/p sum_ij |E_ij|^p = 1/p sum_ij E_ij^p, p an even integer >= 2."""

    p: int = 2
    name: ClassVar[str] = "power"

    def __post_init__(self):
        if isinstance(self.p, bool) or not isinstance(self.p, int) or self.p < 2 or self.p % 2:
            raise InputError("expected an even integer >= 2", field="loss.p", got=self.p)
        if self.p > 64:
            raise InputError("expected an even integer <= 64", field="loss.p", got=self.p)

    convex = property(lambda self: True)
    differentiable = property(lambda self: True)
    polynomial = property(lambda self: True)
    nonnegative = property(lambda self: True)
    separable = property(lambda self: True)
    zero_only_at_zero = property(lambda self: True)

    def value_exact(self, E):
        return sum((x ** self.p for x in E.entries()), flint.fmpq(0)) / self.p

    def gradient_exact(self, E):
        m, n = E.nrows(), E.ncols()
        return flint.fmpq_mat(m, n, [x ** (self.p - 1) for x in E.entries()])

    def hessian_exact(self, E):
        k = E.nrows() * E.ncols()
        H = flint.fmpq_mat(k, k)
        for i, x in enumerate(E.entries()):
            H[i, i] = (self.p - 1) * x ** (self.p - 2)
        return H

    def along_curve(self, entries):
        return ring_sum(q ** self.p for row in entries for q in row) / self.p

    def float64_kernel(self):
        from landscape_proofs.losses.numeric_kernels import PowerKernel
        return PowerKernel(self.p)

    def mp_kernel(self, ctx):
        from landscape_proofs.losses.numeric_kernels import MpPowerKernel
        return MpPowerKernel(ctx, self.p)

    def sympy_expression(self, entries):
        import sympy
        return sympy.Rational(1, self.p) * sympy.Add(*[x ** self.p for x in entries])

    def formula_value(self, E, entry, st):
        import sympy
        if st.tex:
            return f"{st.number(sympy.Rational(1, self.p))} {st.sum_ij()}{entry}^{{{self.p}}}"
        return f"1/{self.p} {st.sum_ij()}{entry}^{self.p}"

    def formula_gradient(self, st):
        return st.hpow("E", self.p - 1)

    def formula_curvature(self, sa, sb, same, atomic_a, st):
        if self.p == 2:
            return st.frob2(sa) if same else st.inner(sa, sb)
        left = st.hpow("E", self.p - 2) + st.hprod() + (sa if atomic_a else st.paren(sa))
        return f"{self.p - 1} {st.inner(left, sb)}"

    json_keys: ClassVar[frozenset] = frozenset({"p"})
    bare_name: ClassVar[bool] = False

    @classmethod
    def from_json_object(cls, spec, field_name):
        if "p" not in spec:
            raise InputError("missing: a power loss needs an even integer p >= 2", field=f"{field_name}.p")
        return cls(p=spec["p"])

    def to_json(self):
        return {"name": "power", "p": self.p}

    def describe(self):
        return f"1/{self.p} * sum of residuals to the power {self.p}"
