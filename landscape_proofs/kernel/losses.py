"""The kernel's own losses: value, derivatives and proven facts, exactly.

Independent of the producers' ``losses/`` package: the kernel reads the loss field of an
embedded problem itself and evaluates it with the few lines below.  Only facts that are
*proven* are stated (a custom loss's declared ``convex`` is never read).
"""
from __future__ import annotations

import flint
from flint import fmpq, fmpq_mat

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import inertia
from landscape_proofs.kernel.polynomial import (degree, evaluate_at, is_evidently_nonnegative,
                                                 partial, read_polynomial)


def _total(xs, zero):
    out = zero
    for x in xs:
        out = out + x
    return out


def _lowest_sign(q) -> int:
    """The sign of the lowest nonzero coefficient of ``q`` (0 for ``q = 0``)."""
    return next((1 if c > 0 else -1 for c in q.coeffs() if c != 0), 0)


class Loss:
    """Interface; the subclasses below are the only losses the kernel knows."""

    name = "?"
    p = 2
    polynomial = True
    nonnegative = True
    over_product = False

    def convex_proven(self, m: int, n: int) -> bool | None:   # a new loss is not, by default
        return True if self.name in ("square", "power", "l1") else None

    def kinks(self, E) -> list:
        return []

    def is_smooth_at(self, E) -> bool:
        return not self.kinks(E)

    def degree(self) -> int:
        return self.p

    def describe(self) -> str:
        """For people: ``the square loss``, ``the power loss (p = 4)``, ``a custom loss``."""
        return f"the {self.name} loss"


class Square(Loss):
    """1/2 sum E_ij^2."""

    name = "square"

    def value_exact(self, E):
        return _total((x * x for x in E.entries()), fmpq(0)) / 2

    def gradient_exact(self, E):
        return E

    def hessian_diagonal(self, E):
        return [fmpq(1)] * (E.nrows() * E.ncols())

    def along_curve(self, entries):
        return _total((q * q for row in entries for q in row), entries[0][0] * 0) / 2


class Power(Loss):
    """1/p sum E_ij^p, p even, 2 <= p <= 64."""

    name = "power"

    def __init__(self, p):
        if isinstance(p, bool) or not isinstance(p, int) or p < 2 or p % 2 or p > 64:
            raise InputError("expected an even integer 2 <= p <= 64", field="loss.p", got=p)
        self.p = p

    def describe(self) -> str:
        return f"the power loss (p = {self.p})"

    def value_exact(self, E):
        return _total((x ** self.p for x in E.entries()), fmpq(0)) / self.p

    def gradient_exact(self, E):
        return fmpq_mat(E.nrows(), E.ncols(), [x ** (self.p - 1) for x in E.entries()])

    def hessian_diagonal(self, E):
        return [(self.p - 1) * x ** (self.p - 2) for x in E.entries()]

    def along_curve(self, entries):
        return _total((q ** self.p for row in entries for q in row), entries[0][0] * 0) / self.p


class L1(Loss):
    """sum |E_ij|: convex, nonnegative, smooth where no entry is 0."""

    name = "l1"
    polynomial = False
    p = 1

    def value_exact(self, E):
        return _total((abs(x) for x in E.entries()), fmpq(0))

    def kinks(self, E):
        n = E.ncols()
        return [(k // n, k % n) for k, x in enumerate(E.entries()) if x == 0]

    def gradient_exact(self, E):
        return fmpq_mat(E.nrows(), E.ncols(), [1 if x > 0 else -1 for x in E.entries()])

    def hessian_diagonal(self, E):
        return [fmpq(0)] * (E.nrows() * E.ncols())

    def along_curve(self, entries):
        """Equal to sum |q_ij(t)| for all small t > 0 (univariate curves only)."""
        total = flint.fmpq_poly(0)
        for row in entries:
            for q in row:
                if not isinstance(q, flint.fmpq_poly):
                    raise ArithmeticError("the l1 loss is expanded along a curve in t only")
                total += q if _lowest_sign(q) >= 0 else -q
        return total


class Piece(Loss):
    """``<S, E>`` for ``S = sign E(W)`` (-1 at kinks; sos.py): ``sum |E_ij| >= <S, E>``
    everywhere, equal at W, and equal near W when no ``E_ij(W)`` is 0."""

    name, p = "l1 piece", 1

    def __init__(self, S):
        self.S = S

    def along_curve(self, entries):
        return _total((self.S[i, j] * q for i, row in enumerate(entries) for j, q in enumerate(row)),
                      entries[0][0] * 0)


class Custom(Loss):
    """A user's polynomial in the entries ``r_i_j`` (residual) or ``R_i_j`` (product)."""

    name = "custom"
    nonnegative = None

    def __init__(self, expression, over: str):
        if over not in ("residual", "product"):
            raise InputError('expected "residual" or "product"', field="loss.over", got=over)
        self.over_product = over == "product"
        self.poly, prefix = read_polynomial(expression)
        want = "R" if self.over_product else "r"
        if prefix is not None and prefix != want:
            raise InputError(f'expected symbols {want}_i_j for over = "{over}"',
                             field="loss.expression", got=expression)
        self.polynomial = self.poly is not None
        self.p = degree(self.poly) if self.polynomial else 0
        # proven only in the evident case (nonnegative products of even powers, summed)
        self.nonnegative = True if self.polynomial and is_evidently_nonnegative(expression) else None

    def describe(self) -> str:
        return "a custom loss"

    def check_shape(self, m: int, n: int) -> None:
        for mono in (self.poly or {}):
            for (i, j), _ in mono:
                if i >= m or j >= n:
                    raise InputError(f"expected entries with 0 <= i < {m} and 0 <= j < {n}",
                                     field="loss.expression", got=f"entry ({i}, {j})")

    def _polynomial_terms(self):
        """[(coefficient, ((i, j, exponent), ...)), ...]."""
        return [(c, tuple((i, j, e) for (i, j), e in m)) for m, c in self.poly.items()]

    def _need(self):
        if not self.polynomial:
            raise ArithmeticError("the custom loss is not a polynomial with rational "
                                  "coefficients; the kernel evaluates polynomials only")

    def value_exact(self, E):
        self._need()
        return evaluate_at(self.poly, lambda i, j: E[i, j], fmpq(1))

    def gradient_exact(self, E):
        self._need()
        m, n = E.nrows(), E.ncols()
        G = fmpq_mat(m, n)
        for v in {v for mono in self.poly for v, _ in mono}:
            G[v[0], v[1]] = evaluate_at(partial(self.poly, v), lambda i, j: E[i, j], fmpq(1))
        return G

    def hessian_exact(self, E):
        self._need()
        m, n = E.nrows(), E.ncols()
        H = fmpq_mat(m * n, m * n)
        used = sorted({v for mono in self.poly for v, _ in mono})
        for a in used:
            da = partial(self.poly, a)
            for b in used:
                H[a[0] * n + a[1], b[0] * n + b[1]] = evaluate_at(
                    partial(da, b), lambda i, j: E[i, j], fmpq(1))
        return H

    def along_curve(self, entries):
        self._need()
        return evaluate_at(self.poly, lambda i, j: entries[i][j], entries[0][0] * 0 + 1)

    def convex_proven(self, m: int, n: int) -> bool | None:
        """A quadratic part plus terms ``c v^(2k)``, ``c > 0``, of single entries (each convex):
        convex iff the Hessian at 0 (the quadratic part's) is PSD; else not decided."""
        if not self.polynomial or any(sum(e for _, e in mono) > 2 and (len(mono) > 1 or mono[0][1] % 2
                                      or c <= 0) for mono, c in self.poly.items()):
            return None
        return inertia(self.hessian_exact(fmpq_mat(m, n))).negative == 0


def read_loss(spec) -> Loss:
    """The loss field of an embedded problem (``"square"``, ``"l1"``, or an object)."""
    if spec in ("square", "l1"):
        spec = {"name": spec}
    if not isinstance(spec, dict):
        raise InputError('expected "square", "l1" or an object {"name": ...}', field="loss", got=spec)
    name = spec.get("name")
    allowed = {"square": {"name"}, "l1": {"name"}, "power": {"name", "p"},
               "custom": {"name", "expression", "over", "convex", "differentiable"}}
    if not isinstance(name, str) or name not in allowed:
        raise InputError("expected name one of square, l1, power, custom", field="loss.name", got=name)
    extra = sorted(set(spec) - allowed[name])
    if extra:
        raise InputError(f"unknown key for a {name} loss", field=f"loss.{extra[0]}", got=extra[0])
    if name == "power":
        return Power(spec.get("p"))
    if name == "custom":
        for key in ("convex", "differentiable"):
            if spec.get(key) not in (None, True, False):
                raise InputError("expected true, false or null", field=f"loss.{key}", got=spec.get(key))
        return Custom(spec.get("expression"), spec.get("over", "residual"))
    return Square() if name == "square" else L1()
