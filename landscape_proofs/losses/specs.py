"""Loss specifications, the facts they carry, and their exact entrywise derivatives.

A loss is a function ``l`` of a matrix ``E``: the residual ``W_H ... W_1 X - Y`` for the
data-fitting losses, or the end-to-end product ``R = W_H ... W_1`` itself for a custom
loss declared ``over: "product"``.  Each specification states its facts (convex?
differentiable? polynomial? proven nonnegative?) the way CVXPY's atoms do, so that theorem
checks and classification can cite them; a fact a user *declared* for a custom loss is kept
apart from a fact that is *proven*.

Exact evaluation works on ``flint.fmpq_mat`` and ``flint.fmpq_poly`` (for curves in t);
entries of a matrix are vectorised row-major: entry (i, j) of an m x n matrix is index
``i * n + j``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Sequence

import flint
import sympy

from landscape_proofs.kernel.errors import InputError, NotDifferentiableError, UnsupportedError
from landscape_proofs.losses.expression import ParsedExpression, entry_symbol, parse_expression

Poly = flint.fmpq_poly


def _ring_sum(terms):
    """Sum of a non-empty iterable of ring elements (fmpq_poly, fmpq_mpoly, fmpq)."""
    it = iter(terms)
    total = next(it)
    for t in it:
        total = total + t
    return total


def _lowest_sign(p: Poly) -> int:
    """Sign of the lowest-order nonzero coefficient of p (0 for the zero polynomial)."""
    for c in p.coeffs():
        if c != 0:
            return 1 if c > 0 else -1
    return 0


@dataclass(frozen=True)
class LossSpec:
    """Base class: a loss of a matrix argument, with facts."""

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

    # --- exact evaluation ---------------------------------------------------------
    def value_exact(self, E: flint.fmpq_mat) -> flint.fmpq:
        raise NotImplementedError

    def gradient_exact(self, E: flint.fmpq_mat) -> flint.fmpq_mat:
        """dl/dE, same shape as E.  Raises NotDifferentiableError at a kink."""
        raise NotImplementedError

    def hessian_exact(self, E: flint.fmpq_mat) -> flint.fmpq_mat:
        """d^2 l / dvec(E)^2 with row-major vec.  Raises NotDifferentiableError at a kink."""
        raise NotImplementedError

    def is_smooth_at(self, E: flint.fmpq_mat) -> bool:
        """True when l equals a polynomial on a neighbourhood of E."""
        return self.polynomial

    def along_curve(self, entries: Sequence[Sequence[Poly]]) -> Poly:
        """l(E(t)) as a polynomial in t, valid for all sufficiently small t > 0.

        For the polynomial losses the entries may be elements of any ring over Q that FLINT
        provides (``fmpq_poly`` for a curve in t, ``fmpq_mpoly`` for the loss as a polynomial
        in all parameters); the l1 loss accepts ``fmpq_poly`` only.
        """
        raise NotImplementedError

    def to_json(self):
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class SquareLoss(LossSpec):
    """l(E) = 1/2 sum_ij E_ij^2."""

    name: ClassVar[str] = "square"
    convex = property(lambda self: True)
    differentiable = property(lambda self: True)
    polynomial = property(lambda self: True)
    nonnegative = property(lambda self: True)

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
        return _ring_sum(p * p for row in entries for p in row) / 2

    def to_json(self):
        return "square"

    def describe(self):
        return "1/2 * sum of squared residuals"


@dataclass(frozen=True)
class PowerLoss(LossSpec):
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
        return _ring_sum(q ** self.p for row in entries for q in row) / self.p

    def to_json(self):
        return {"name": "power", "p": self.p}

    def describe(self):
        return f"1/{self.p} * sum of residuals to the power {self.p}"


@dataclass(frozen=True)
class L1Loss(LossSpec):
    """l(E) = sum_ij |E_ij| (convex, not differentiable where an entry is 0)."""

    name: ClassVar[str] = "l1"
    convex = property(lambda self: True)
    differentiable = property(lambda self: False)
    polynomial = property(lambda self: False)
    nonnegative = property(lambda self: True)

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

    def to_json(self):
        return "l1"

    def describe(self):
        return "sum of absolute residuals"


@dataclass(frozen=True)
class CustomLoss(LossSpec):
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
        return None  # not proven (a sum-of-squares search would go here)

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

        True only from the constant-Hessian rule (degree <= 2) for now: the checker relies
        on this, and a True from the univariate rule would let it certify more.
        """
        if not self.polynomial:
            return None
        self.check_shape(m, n)
        from landscape_proofs.losses.convexity import decide_convexity
        d = decide_convexity(self._polynomial_terms(), self.prefix)
        return None if d.convex is True and not d.constant_hessian else d.convex

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


LOSS_NAMES = ("square", "l1", "power", "custom")


def loss_from_json(spec: object, field_name: str = "loss") -> LossSpec:
    """Build a loss specification from its JSON form (see docs/formats.md)."""
    if spec == "square":
        return SquareLoss()
    if spec == "l1":
        return L1Loss()
    if isinstance(spec, str):
        raise InputError(f"expected one of {', '.join(LOSS_NAMES)} (custom and power as objects)",
                         field=field_name, got=spec)
    if not isinstance(spec, dict):
        raise InputError('expected "square", "l1" or an object {"name": ...}',
                         field=field_name, got=spec)
    name = spec.get("name")
    allowed = {"square": {"name"}, "l1": {"name"}, "power": {"name", "p"},
               "custom": {"name", "expression", "over", "convex", "differentiable"}}
    if not isinstance(name, str) or name not in allowed:  # (a list name is unhashable)
        raise InputError(f"expected name one of {', '.join(LOSS_NAMES)}",
                         field=f"{field_name}.name", got=name)
    extra = set(spec) - allowed[name]
    if extra:
        raise InputError(f"unknown key for a {name} loss; allowed: {', '.join(sorted(allowed[name]))}",
                         field=f"{field_name}.{sorted(extra)[0]}", got=sorted(extra)[0])
    if name == "square":
        return SquareLoss()
    if name == "l1":
        return L1Loss()
    if name == "power":
        if "p" not in spec:
            raise InputError("missing: a power loss needs an even integer p >= 2", field=f"{field_name}.p")
        return PowerLoss(p=spec["p"])
    if "expression" not in spec:
        raise InputError("missing: a custom loss needs an expression", field=f"{field_name}.expression")
    over = spec.get("over", "residual")
    return CustomLoss(expression=spec["expression"], over_=over,
                      declared_convex=spec.get("convex"),
                      declared_differentiable=spec.get("differentiable"))
