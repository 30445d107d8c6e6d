"""Custom losses: a user's polynomial (or other whitelisted) expression in the entries.

The expression is parsed safely (:mod:`landscape_proofs.losses.expression`); ``convex`` and
``differentiable`` may be *declared* by the user and are kept apart from proven facts.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar

import flint
import sympy

from landscape_proofs.kernel.errors import InputError, UnsupportedError
from landscape_proofs.losses.base import Loss
from landscape_proofs.losses.expression import ParsedExpression, entry_symbol, parse_expression


@dataclass(frozen=True)
class CustomLoss(Loss):
    """A user's expression in ``r_i_j`` (residual) or ``R_i_j`` (product) entries.

    ``convex`` and ``differentiable`` are *declared* facts (True/False/None); checks that
    rely on them say so.  Exact evaluation needs a polynomial expression.
    """

    expression: str = "0"
    over_: str = "residual"
    declared_convex: bool | None = None
    declared_differentiable: bool | None = None
    parsed: ParsedExpression = field(default=None, compare=False, repr=False)
    name: ClassVar[str] = "custom"

    def __post_init__(self):
        if self.over_ not in ("residual", "product"):
            raise InputError('expected "residual" or "product"', field="loss.over", got=self.over_)
        for fname, value in (("loss.convex", self.declared_convex),
                             ("loss.differentiable", self.declared_differentiable)):
            if value is not None and not isinstance(value, bool):
                raise InputError("expected true, false or null", field=fname, got=value)
        parsed = parse_expression(self.expression)
        want = "r" if self.over_ == "residual" else "R"
        if parsed.prefix is not None and parsed.prefix != want:
            raise InputError(
                f'expected symbols {want}_i_j for over = "{self.over_}"',
                field="loss.expression", got=self.expression)
        object.__setattr__(self, "parsed", parsed)
        object.__setattr__(self, "_terms", None)

    @property
    def over(self):  # type: ignore[override]
        return self.over_

    @property
    def prefix(self) -> str:
        return "r" if self.over_ == "residual" else "R"

    convex = property(lambda self: self.declared_convex)

    @property
    def differentiable(self):
        if self.polynomial:
            return True
        return self.declared_differentiable

    @property
    def polynomial(self) -> bool:
        expr = self.parsed.expr
        return bool(expr.is_polynomial(*expr.free_symbols)) if expr.free_symbols else expr.is_Rational

    @property
    def nonnegative(self):
        """Proven in the evident case only: a sum of nonnegative products of even powers
        (the kernel's own test, which also decides the zero-lower-bound certificate)."""
        from landscape_proofs.kernel.polynomial import is_evidently_nonnegative

        return True if self.polynomial and is_evidently_nonnegative(self.expression) else None

    @property
    def declared_facts(self):
        out = set()
        if self.declared_convex is not None:
            out.add("convex")
        if self.declared_differentiable is not None and not self.polynomial:
            out.add("differentiable")
        return frozenset(out)

    def convex_proven(self, m: int, n: int) -> bool | None:
        """:mod:`landscape_proofs.losses.convexity` decides; None (unknown) whatever was declared.

        True only where the kernel proves it too (its ``convex_proven``: a PSD quadratic part
        plus positive multiples of even powers of single entries, ``(r_0_0 + r_0_1)^2 +
        r_0_0^4/4``), so that no certificate rests on more; other convex polynomials (found by
        the univariate or SOS-convexity routes) stay None here.
        """
        if not self.polynomial:
            return None
        self.check_shape(m, n)
        from landscape_proofs.kernel.losses import Custom
        from landscape_proofs.losses.convexity import decide_convexity

        if Custom(self.expression, self.over_).convex_proven(m, n):
            return True
        d = decide_convexity(self._polynomial_terms(), self.prefix)
        return None if d.convex is True else d.convex

    # polynomial machinery ----------------------------------------------------------
    def _polynomial_terms(self):
        """[(coeff fmpq, ((i, j, exponent), ...)), ...] of the polynomial expression."""
        if self._terms is None:
            if not self.polynomial:
                raise UnsupportedError(
                    f"custom loss {self.expression!r} is not a polynomial; the exact engine "
                    "handles polynomial custom losses only")
            entries = sorted(self.parsed.entries)
            syms = [entry_symbol(self.prefix, i, j) for i, j in entries]
            if syms:
                try:
                    poly = sympy.Poly(self.parsed.expr, *syms, domain="QQ")
                except sympy.polys.polyerrors.BasePolynomialError:
                    # e.g. sqrt(2)*r_0_0**2: a polynomial to SymPy, but not over Q
                    raise UnsupportedError(
                        f"custom loss {self.expression!r} is a polynomial whose coefficients are "
                        "not all rational; the exact engine needs rational coefficients") from None
                terms = []
                for monom, coeff in poly.terms():
                    q = flint.fmpq(int(coeff.numerator), int(coeff.denominator))
                    factors = tuple((entries[k][0], entries[k][1], e) for k, e in enumerate(monom) if e)
                    terms.append((q, factors))
            else:
                c = sympy.Rational(self.parsed.expr)
                terms = [(flint.fmpq(int(c.p), int(c.q)), ())]
            object.__setattr__(self, "_terms", terms)
        return self._terms

    def check_shape(self, m: int, n: int, field_name: str = "loss.expression") -> None:
        """Every symbol must index an entry of an m x n matrix."""
        for i, j in sorted(self.parsed.entries):
            if i >= m or j >= n:
                raise InputError(
                    f"expected {self.prefix}_i_j with 0 <= i < {m} and 0 <= j < {n}",
                    field=field_name, got=f"{self.prefix}_{i}_{j}")

    def value_exact(self, E):
        total = flint.fmpq(0)
        for c, factors in self._polynomial_terms():
            term = c
            for i, j, e in factors:
                term *= E[i, j] ** e
            total += term
        return total

    def gradient_exact(self, E):
        m, n = E.nrows(), E.ncols()
        G = flint.fmpq_mat(m, n)
        for c, factors in self._polynomial_terms():
            for k, (i, j, e) in enumerate(factors):
                term = c * e * E[i, j] ** (e - 1)
                for k2, (i2, j2, e2) in enumerate(factors):
                    if k2 != k:
                        term *= E[i2, j2] ** e2
                G[i, j] += term
        return G

    def hessian_exact(self, E):
        m, n = E.nrows(), E.ncols()
        H = flint.fmpq_mat(m * n, m * n)
        for c, factors in self._polynomial_terms():
            for a, (i, j, e) in enumerate(factors):
                for b, (k, l, f) in enumerate(factors):
                    if a == b:
                        if e < 2:
                            continue
                        term = c * e * (e - 1) * E[i, j] ** (e - 2)
                    else:
                        term = c * e * f * E[i, j] ** (e - 1) * E[k, l] ** (f - 1)
                    for g, (i2, j2, e2) in enumerate(factors):
                        if g != a and g != b:
                            term *= E[i2, j2] ** e2
                    H[i * n + j, k * n + l] += term
        return H

    def along_curve(self, entries):
        zero = entries[0][0] * 0  # a zero of the entries' ring (fmpq_poly or fmpq_mpoly)
        total = zero
        for c, factors in self._polynomial_terms():
            term = zero + c
            for i, j, e in factors:
                term *= entries[i][j] ** e
            total += term
        return total

    json_keys: ClassVar[frozenset] = frozenset({"expression", "over", "convex", "differentiable"})
    bare_name: ClassVar[bool] = False

    @classmethod
    def from_json_object(cls, spec, field_name):
        if "expression" not in spec:
            raise InputError("missing: a custom loss needs an expression",
                             field=f"{field_name}.expression")
        return cls(expression=spec["expression"], over_=spec.get("over", "residual"),
                   declared_convex=spec.get("convex"),
                   declared_differentiable=spec.get("differentiable"))

    def to_json(self):
        return {"name": "custom", "expression": self.expression, "over": self.over_,
                "convex": self.declared_convex, "differentiable": self.declared_differentiable}

    def describe(self):
        return f"custom loss of the {self.over_}: {self.parsed.expr}"

    def derivative_expressions(self) -> tuple:
        """``(entries, symbols, f, grad, hess)``: the expression and its derivatives in SymPy.

        ``entries`` lists the (i, j) the expression mentions (sorted), ``symbols`` the matching
        SymPy symbols, ``grad[a] = df/ds_a`` and ``hess[a][b] = d^2 f/ds_a ds_b``.  Used by
        the numeric bridge (``problems/numeric_view.py``) to compile kernels; kept here as
        pure SymPy so that this module, which the checker imports, never imports numeric/.

        Derivatives at kinks are replaced by hints valid away from the kinks only:
        ``DiracDelta -> 0`` and ``Heaviside(z) -> (sign(z) + 1)/2``.

        >>> entries, syms, f, grad, hess = CustomLoss("r_0_1**3/3").derivative_expressions()
        >>> entries, grad, hess
        (((0, 1),), (r_0_1**2,), ((2*r_0_1,),))
        """
        cached = self.__dict__.get("_derivative_expressions")
        if cached is None:
            entries = tuple(sorted(self.parsed.entries))
            syms = tuple(entry_symbol(self.prefix, i, j) for i, j in entries)
            expr = self.parsed.expr

            def tidy(e):
                e = e.replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)
                return e.replace(sympy.Heaviside, lambda z, *a: (sympy.sign(z) + 1) / 2)

            grad = tuple(tidy(sympy.diff(expr, s)) for s in syms)
            hess = [[None] * len(syms) for _ in syms]
            for a, g in enumerate(grad):
                for b in range(a, len(syms)):
                    hess[a][b] = hess[b][a] = tidy(sympy.diff(g, syms[b]))
            cached = (entries, syms, expr, grad, tuple(tuple(row) for row in hess))
            object.__setattr__(self, "_derivative_expressions", cached)
        return cached

    # numeric kernels: the SymPy derivatives compiled once per (hashable, frozen) loss -------
    def float64_kernel(self):
        return _float64_kernel(self)

    def mp_kernel(self, ctx):
        from landscape_proofs.losses.numeric_kernels import MpEntryFunctionKernel
        # namespace first: lambdify resolves names there before the mpmath module, so
        # ``mpf(1)/mpf(3)`` is ctx.mpf and is rounded at ctx's precision.
        return MpEntryFunctionKernel(ctx, *_lambdified(self, [_mp_namespace(ctx), "mpmath"]))

    # symbolic ---------------------------------------------------------------------------
    def sympy_expression(self, entries):
        return self.parsed.expr

    def formula_notes(self):
        if self.polynomial:
            return ()
        return ((
            "smoothness", "the custom loss is not a polynomial: the formulas hold where it is "
            "differentiable (twice, for the Hessian)",
            r"\text{the custom loss is not a polynomial: the formulas hold where it is "
            r"(twice) differentiable}"),)


def _lambdified(loss: CustomLoss, modules) -> tuple:
    entries, syms, expr, grad, hess = loss.derivative_expressions()
    compile_ = lambda e: sympy.lambdify(syms, e, modules=modules)  # noqa: E731
    return (entries, compile_(expr), tuple(compile_(g) for g in grad),
            tuple(tuple(compile_(h) for h in row) for row in hess))


@functools.lru_cache(maxsize=128)
def _float64_kernel(loss: CustomLoss):
    """Compiled once per (hashable, frozen) custom loss."""
    from landscape_proofs.losses.numeric_kernels import EntryFunctionKernel
    return EntryFunctionKernel(*_lambdified(loss, "numpy"))


def _mp_namespace(ctx) -> dict:
    """mpmath's public names bound to ``ctx`` (``mpf``, ``sqrt``, ``exp``, ``sign``, ...)."""
    import mpmath
    return {name: getattr(ctx, name) for name in dir(mpmath)
            if not name.startswith("_") and hasattr(ctx, name)}
