"""High-precision evaluation of a deep linear objective at one point, in an mpmath context.

Same objective and closed forms as ``exact/objective.py`` and :mod:`.float64`:
``L(W) = l(E) + lam/2 sum_k ||W_k||_F^2``, ``E = W_H ... W_1 X - Y`` (or the product),
``dL/dW_k = A_k^T G B_k^T + lam W_k`` and ``H = J^T Hl J + S + lam I`` (see
:mod:`.float64` for the notation).

Everything is computed in the context ``ctx`` handed in (``ctx = mpmath.MPContext();
ctx.dps = 50``): the global ``mpmath.mp`` is never read or changed, so two evaluators at
different precisions can live side by side.  Rationals (``fractions.Fraction``, FLINT
``fmpq``, SymPy ``Rational``, ``"p/q"`` strings) enter through :func:`to_mpf`, which rounds
p/q once at the context's precision.
"""
from __future__ import annotations

from typing import Sequence

from mpmath.libmp import from_rational

from landscape_proofs.core.objective import ChainObjective
from landscape_proofs.core.ring import MpRing
from landscape_proofs.numeric.kernels import MpLossKernel, resolve_mp_kernel


def _rational(ctx, p: int, q: int):
    """p/q correctly rounded (to nearest) at ctx's precision: a single rounding."""
    if q == 0:
        raise ZeroDivisionError(f"rational {p}/{q} has a zero denominator")
    return ctx.make_mpf(from_rational(p, q, ctx.prec, "n"))


def to_mpf(ctx, x: object):
    """``x`` as a number of ``ctx``, rounded once at ``ctx``'s precision.

    Accepts ints, anything with ``numerator``/``denominator`` (Fraction, fmpq, SymPy
    Rational), ``"p/q"`` or decimal strings, floats (converted exactly, then rounded) and
    mpmath numbers (re-rounded to ``ctx``).

    >>> import mpmath; from fractions import Fraction
    >>> ctx = mpmath.MPContext(); ctx.dps = 30
    >>> ctx.nstr(to_mpf(ctx, Fraction(1, 3)), 30)
    '0.333333333333333333333333333333'
    >>> to_mpf(ctx, "1/3") == to_mpf(ctx, Fraction(1, 3))
    True
    """
    if isinstance(x, bool):
        raise TypeError(f"expected a number, got the boolean {x!r}")
    if isinstance(x, int):
        return ctx.mpf(x)
    if hasattr(x, "_mpf_"):
        return ctx.mpf(x)
    num = getattr(x, "numerator", None)
    den = getattr(x, "denominator", None)
    if num is not None and den is not None and not isinstance(x, float):
        if callable(num):  # some rational types expose these as methods
            num, den = num(), den()
        return _rational(ctx, int(num), int(den))
    if isinstance(x, str):
        s = x.strip()
        if "/" in s:
            p, q = s.split("/", 1)
            return _rational(ctx, int(p), int(q))
        return ctx.mpf(s)
    if isinstance(x, float):
        return ctx.mpf(x)
    raise TypeError(f"expected a number (int, rational, decimal string, float or mpf), got {x!r}")


def to_matrix(ctx, rows: object):
    """A ``ctx.matrix`` from a list of rows (or an mpmath matrix), entries via :func:`to_mpf`."""
    if hasattr(rows, "rows") and hasattr(rows, "cols") and not isinstance(rows, (list, tuple)):
        return ctx.matrix([[to_mpf(ctx, rows[i, j]) for j in range(rows.cols)]
                           for i in range(rows.rows)])
    rows = [list(r) for r in rows]  # type: ignore[union-attr]
    return ctx.matrix([[to_mpf(ctx, x) for x in r] for r in rows])


class MpDeepLinear(ChainObjective):
    """Objective, gradient and Hessian of a deep linear network at one point, in ``ctx``.

    The closed forms are those of the exact evaluator, written once
    (``core.objective.ChainObjective``) and run here over the ring of ``ctx``'s matrices.

    Parameters
    ----------
    ctx : an mpmath context (``mpmath.MPContext()`` with its ``dps`` set).
    widths : (d_0, ..., d_H).
    X : d_0 x n data (rows of rationals; None: the identity). Ignored for a product loss.
    Y : d_H x n targets (None for a product loss).
    loss_kernel : an mpmath loss kernel (see :mod:`.kernels`) or a built-in name
        ``"square"``, ``"l1"``, ``"power p"``.
    over_product : the loss takes R = W_H ... W_1 rather than the residual R X - Y.
    weight_decay : lam >= 0 (a rational).

    Weights are lists of H matrices (lists of rows, or ``ctx.matrix``), ``W[0]`` = W_1.

    Examples
    --------
    >>> import mpmath
    >>> ctx = mpmath.MPContext(); ctx.dps = 40
    >>> obj = MpDeepLinear(ctx, [1, 1, 1], [[1]], [[1]], "square")
    >>> obj.value([[[2]], [[3]]]), [str(g) for g in obj.gradient_vector([[[2]], [[3]]])]
    (mpf('12.5'), ['15.0', '10.0'])
    """

    def __init__(self, ctx, widths: Sequence[int], X: object, Y: object,
                 loss_kernel: MpLossKernel | str, over_product: bool = False,
                 weight_decay: object = 0):
        self.ctx = ctx
        self.ring = MpRing(ctx)
        widths = tuple(int(d) for d in widths)
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths: expected [d_0, ..., d_H] with H >= 1 and every d >= 1, "
                             f"got {list(widths)}")
        self._layout(widths)
        self.kernel = resolve_mp_kernel(loss_kernel, ctx)
        self.over_product = bool(over_product)
        self._set_decay(weight_decay, lambda x: to_mpf(ctx, x))
        if self.lam < 0:
            raise ValueError(f"weight_decay: expected a number >= 0, got {weight_decay!r}")
        d0, dH = self.widths[0], self.widths[-1]
        if self.over_product:
            self.X = self.Y = None
            self.ncol = d0
        else:
            self.X = ctx.eye(d0) if X is None else to_matrix(ctx, X)
            if self.X.rows != d0:
                raise ValueError(f"X: expected {d0} rows, got {self.X.rows}")
            if Y is None:
                raise ValueError("Y: required for a residual loss (over_product is False)")
            self.Y = to_matrix(ctx, Y)
            if (self.Y.rows, self.Y.cols) != (dH, self.X.cols):
                raise ValueError(f"Y: expected shape ({dH}, {self.X.cols}), "
                                 f"got ({self.Y.rows}, {self.Y.cols})")
            self.ncol = self.X.cols

    # -- inputs ---------------------------------------------------------------------------
    def weights(self, W: Sequence[object]) -> list:
        """The weights as ``ctx`` matrices, shapes checked."""
        if len(W) != self.H:
            raise ValueError(f"W: expected {self.H} layers, got {len(W)}")
        out = []
        for k, (Wk, (r, c)) in enumerate(zip(W, self.shapes)):
            M = to_matrix(self.ctx, Wk)
            if (M.rows, M.cols) != (r, c):
                raise ValueError(f"W[{k}]: expected shape ({r}, {c}) (W_{k + 1}), "
                                 f"got ({M.rows}, {M.cols})")
            out.append(M)
        return out

    def flatten(self, W: Sequence[object]) -> list:
        """Layer by layer, each row-major."""
        return [M[i, j] for M in self.weights(W) for i in range(M.rows) for j in range(M.cols)]

    def unflatten(self, v: Sequence[object]) -> list:
        if len(v) != self.n_params:
            raise ValueError(f"unflatten: expected {self.n_params} numbers, got {len(v)}")
        out = []
        for (r, c), off in zip(self.shapes, self.offsets):
            out.append(self.ctx.matrix([[to_mpf(self.ctx, v[off + i * c + j]) for j in range(c)]
                                        for i in range(r)]))
        return out

    # -- the ring hooks of ChainObjective -------------------------------------------------
    def _prepare(self, W):
        return self.weights(W)

    def _loss_value(self, E):
        return self.ctx.convert(self.kernel.value(E))

    def _loss_gradient(self, E):
        return self.kernel.gradient(E)

    def _loss_hessian(self, E):
        return self.kernel.hessian(E)


__all__ = ["MpDeepLinear", "to_mpf", "to_matrix"]
