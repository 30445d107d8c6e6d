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


class MpDeepLinear:
    """Objective, gradient and Hessian of a deep linear network at one point, in ``ctx``.

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
        self.widths = tuple(int(d) for d in widths)
        if len(self.widths) < 2 or min(self.widths) < 1:
            raise ValueError(f"widths: expected [d_0, ..., d_H] with H >= 1 and every d >= 1, "
                             f"got {list(widths)}")
        self.H = len(self.widths) - 1
        self.shapes = [(self.widths[k + 1], self.widths[k]) for k in range(self.H)]
        self.offsets, off = [], 0
        for r, c in self.shapes:
            self.offsets.append(off)
            off += r * c
        self.n_params = off
        self.kernel = resolve_mp_kernel(loss_kernel, ctx)
        self.over_product = bool(over_product)
        self.lam = to_mpf(ctx, weight_decay)
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

    # -- products -------------------------------------------------------------------------
    def _below(self, W):
        """B_k = W_{k-1} ... W_1 for k = 1..H (list index k-1), B_1 = I."""
        Bl = [self.ctx.eye(self.widths[0])]
        for k in range(1, self.H):
            Bl.append(W[k - 1] * Bl[k - 1])
        return Bl

    def _above(self, W):
        """A_k = W_H ... W_{k+1} for k = 1..H (list index k-1), A_H = I."""
        A = [None] * self.H
        A[-1] = self.ctx.eye(self.widths[-1])
        for k in range(self.H - 2, -1, -1):
            A[k] = A[k + 1] * W[k + 1]
        return A

    def _product(self, W):
        R = W[0]
        for Wk in W[1:]:
            R = Wk * R
        return R

    def _argument(self, R):
        return R if self.over_product else R * self.X - self.Y

    def _G(self, E):
        gl = self.kernel.gradient(E)
        return gl if self.over_product else gl * self.X.T

    # -- value, gradient, Hessian ------------------------------------------------------------
    def loss_argument(self, W: Sequence[object]):
        """E: the residual R X - Y, or the product R for a product loss."""
        return self._argument(self._product(self.weights(W)))

    def value(self, W: Sequence[object]):
        W = self.weights(W)
        v = self.ctx.convert(self.kernel.value(self._argument(self._product(W))))
        if self.lam != 0:
            v += self.lam / 2 * self.ctx.fsum(x * x for M in W for x in M)
        return v

    def function_gradient(self, W: Sequence[object]):
        """G = dF/dR, a d_H x d_0 ``ctx`` matrix."""
        return self._G(self.loss_argument(W))

    def gradient(self, W: Sequence[object]) -> list:
        """dL/dW_k = A_k^T G B_k^T + lam W_k, a list of ``ctx`` matrices."""
        W = self.weights(W)
        G = self._G(self._argument(self._product(W)))
        A, Bl = self._above(W), self._below(W)
        out = []
        for k in range(self.H):
            g = A[k].T * G * Bl[k].T
            if self.lam != 0:
                g = g + W[k] * self.lam
            out.append(g)
        return out

    def gradient_vector(self, W: Sequence[object]) -> list:
        return [g[i, j] for g in self.gradient(W) for i in range(g.rows) for j in range(g.cols)]

    def hessian(self, W: Sequence[object]):
        """The N x N Hessian as a ``ctx`` matrix."""
        ctx = self.ctx
        W = self.weights(W)
        E = self._argument(self._product(W))
        Hl = self.kernel.hessian(E)
        G = self._G(E)
        A, Bl = self._above(W), self._below(W)
        N, m, ncol = self.n_params, self.widths[-1], self.ncol
        BZ = Bl if self.over_product else [b * self.X for b in Bl]
        # J[i*ncol + j, p] = A_k[i, a] (B_k Z)[b, j] for p = (W_k)_{ab}
        J = ctx.matrix(m * ncol, N)
        for k, (r, c) in enumerate(self.shapes):
            Ak, Bk, off = A[k], BZ[k], self.offsets[k]
            for a in range(r):
                for b in range(c):
                    p = off + a * c + b
                    for i in range(m):
                        for j in range(ncol):
                            J[i * ncol + j, p] = Ak[i, a] * Bk[b, j]
        Hm = J.T * Hl * J
        # S: second-order term of the product, M_kj[b, c] (A_k^T G B_j^T)[a, d], k > j
        for j in range(self.H):
            M = ctx.eye(self.widths[j + 1])
            for k in range(j + 1, self.H):
                if k > j + 1:
                    M = W[k - 1] * M
                P = A[k].T * G * Bl[j].T
                rk, ck = self.shapes[k]
                rj, cj = self.shapes[j]
                ok, oj = self.offsets[k], self.offsets[j]
                for a in range(rk):
                    for d in range(cj):
                        pad = P[a, d]
                        for b in range(ck):
                            for c in range(rj):
                                v = pad * M[b, c]
                                p = ok + a * ck + b
                                q = oj + c * cj + d
                                Hm[p, q] += v
                                Hm[q, p] += v
        if self.lam != 0:
            for p in range(N):
                Hm[p, p] += self.lam
        return Hm


__all__ = ["MpDeepLinear", "to_mpf", "to_matrix"]
