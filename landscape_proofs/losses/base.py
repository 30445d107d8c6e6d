"""The loss protocol: a loss of a matrix argument, its facts, its exact derivatives.

A loss is a function ``l`` of a matrix ``E``: the residual ``W_H ... W_1 X - Y`` for the
data-fitting losses, or the end-to-end product ``R = W_H ... W_1`` itself for a custom
loss declared ``over: "product"``.  Each loss states its facts (convex? differentiable?
polynomial? proven nonnegative?) the way CVXPY's atoms do, so that theorem checks and
classification can cite them; a fact a user *declared* for a custom loss is kept apart from
a fact that is *proven*.

Everything a producer needs to know about a loss is asked of the loss (a property or a
method below), never decided by testing its type: adding a loss is one module in
``losses/`` plus a line in :mod:`landscape_proofs.losses.registry`.

Exact evaluation works on ``flint.fmpq_mat`` and ``flint.fmpq_poly`` (for curves in t);
entries of a matrix are vectorised row-major: entry (i, j) of an m x n matrix is index
``i * n + j``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

import flint

Poly = flint.fmpq_poly


def ring_sum(terms):
    """Sum of a non-empty iterable of ring elements (fmpq_poly, fmpq_mpoly, fmpq)."""
    it = iter(terms)
    total = next(it)
    for t in it:
        total = total + t
    return total


@dataclass(frozen=True)
class Loss:
    """Base class of every loss: facts, exact evaluation, numeric kernels, formulas."""

    #: canonical name (the JSON ``"name"``); aliases are listed in the registry only
    name: ClassVar[str] = "loss"
    over: ClassVar[str] = "residual"

    # --- facts -------------------------------------------------------------------
    @property
    def convex(self) -> bool | None:
        raise NotImplementedError

    @property
    def differentiable(self) -> bool | None:
        raise NotImplementedError

    @property
    def polynomial(self) -> bool:
        raise NotImplementedError

    @property
    def nonnegative(self) -> bool | None:
        """Proven nonnegative everywhere (None: not proven)."""
        raise NotImplementedError

    @property
    def declared_facts(self) -> frozenset:
        """Facts that rest on the user's declaration rather than on a proof."""
        return frozenset()

    def convex_proven(self, m: int, n: int) -> bool | None:
        """Convexity on m x n arguments, *proven* (True/False) or unknown (None).

        A declared fact is never a proof: certificates use this, not :attr:`convex`.
        """
        return self.convex

    @property
    def over_product(self) -> bool:
        return self.over == "product"

    @property
    def square_like(self) -> bool:
        """True for ``1/2 ||E||_F^2`` exactly (closed-form optimum, Gram identities, ...)."""
        return False

    @property
    def separable(self) -> bool:
        """True when ``l(E) = sum_ij phi(E_ij)`` for one scalar function phi."""
        return False

    @property
    def piecewise_polynomial(self) -> bool:
        """True when the exact engine handles l: a polynomial, or a polynomial on each piece
        cut out by the signs of the entries of E (l1)."""
        return self.polynomial or self.piecewise_linear_kinks

    @property
    def zero_only_at_zero(self) -> bool:
        """Proven: l >= 0 everywhere and l(E) = 0 exactly when E = 0 (square, power, l1)."""
        return False

    @property
    def piecewise_linear_kinks(self) -> bool:
        """True when l is piecewise linear with kinks where an entry of E is 0 (l1)."""
        return False

    @property
    def smooth_everywhere(self) -> bool:
        """True when l is a polynomial, hence smooth at every argument."""
        return self.polynomial

    def kinks(self, E) -> list[tuple[int, int]]:
        """Entries (i, j) of E where l is not differentiable (none for a smooth loss)."""
        return []

    def is_smooth_at(self, E: flint.fmpq_mat) -> bool:
        """True when l equals a polynomial on a neighbourhood of E."""
        return self.polynomial

    def check_shape(self, m: int, n: int, field_name: str = "loss.expression") -> None:
        """Refuse a loss that cannot take an m x n argument (built-in losses take any)."""

    # --- exact evaluation ---------------------------------------------------------
    def value_exact(self, E: flint.fmpq_mat) -> flint.fmpq:
        raise NotImplementedError

    def gradient_exact(self, E: flint.fmpq_mat) -> flint.fmpq_mat:
        """dl/dE, same shape as E.  Raises NotDifferentiableError at a kink."""
        raise NotImplementedError

    def hessian_exact(self, E: flint.fmpq_mat) -> flint.fmpq_mat:
        """d^2 l / dvec(E)^2 with row-major vec.  Raises NotDifferentiableError at a kink."""
        raise NotImplementedError

    def along_curve(self, entries: Sequence[Sequence[Poly]]) -> Poly:
        """l(E(t)) as a polynomial in t, valid for all sufficiently small t > 0.

        For the polynomial losses the entries may be elements of any ring over Q that FLINT
        provides (``fmpq_poly`` for a curve in t, ``fmpq_mpoly`` for the loss as a polynomial
        in all parameters); the l1 loss accepts ``fmpq_poly`` only.
        """
        raise NotImplementedError

    # --- numeric kernels (producers only; see numeric/kernels.py for the protocols) ----
    def float64_kernel(self):
        """The batched float64 kernel (value, gradient, hessian on (B, m, n) arrays)."""
        raise NotImplementedError(f"no float64 kernel for the loss {self!r}")

    def mp_kernel(self, ctx):
        """The kernel computing in the mpmath context ``ctx``."""
        raise NotImplementedError(f"no mpmath kernel for the loss {self!r}")

    # --- symbolic --------------------------------------------------------------------
    def sympy_expression(self, entries: Sequence) -> "object":
        """l as a SymPy expression in the given (row-major) entry symbols of E."""
        raise NotImplementedError(f"no symbolic form for the loss {self.name!r}")

    def formula_value(self, E: str, entry: str, st) -> str | None:
        """l(E) written out in the style ``st`` (symbolic/derive.py), None: write ``l(E)``."""
        return None

    def formula_gradient(self, st) -> str | None:
        """The right-hand side of ``G = grad l(E)`` in style ``st`` (None: from SymPy)."""
        return None

    def formula_curvature(self, sa: str, sb: str, same: bool, atomic_a: bool, st):
        """d^2 l(E)[a, b] in style ``st``: a string, ``""`` when identically zero, or None
        when the loss has no closed form (the generic ``d^2 l(E)[a, b]`` is written)."""
        return None

    def formula_notes(self) -> tuple[tuple[str, str, str], ...]:
        """(name, text, latex) notes on where the formulas hold."""
        return ()

    # --- file form ---------------------------------------------------------------------
    #: keys of the JSON object form ({"name": ..., ...}) besides "name"
    json_keys: ClassVar[frozenset] = frozenset()
    #: may be written as the bare string ``"<name>"``
    bare_name: ClassVar[bool] = True

    @classmethod
    def from_json_object(cls, spec: dict, field_name: str) -> "Loss":
        """Build the loss from its JSON object (keys already checked against json_keys)."""
        return cls()

    def to_json(self):
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


LossSpec = Loss  # the former name of the base class
