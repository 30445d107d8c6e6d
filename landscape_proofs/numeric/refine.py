"""Refine an approximate critical point to many digits: gauge-fixed Newton in mpmath.

Why a gauge.  A deep linear objective is invariant under ``W_i -> A W_i``,
``W_{i+1} -> W_{i+1} A^{-1}`` (``A`` in GL(d_i); in O(d_i) with weight decay), so critical
points come in orbits and the Hessian is singular along the orbit tangent ``T(W)``
(docs/kinds.md): Newton's method on the full gradient has no isolated root to converge
to.  We fix the gauge by *freezing coordinates*: choose ``k = dim T(W)`` coordinates ``P``
such that the rows ``P`` of the tangent matrix are independent, keep them at their start
values, and solve the square system

    g(z) = (grad L)_F (W) = 0,     W_F = z,  W_P fixed,     F = the m = N - k free coordinates,

whose Jacobian is the principal block ``H_FF`` of the Hessian.  Freezing ``P`` is the
affine slice ``W0 + S z`` with ``S`` the unit vectors of ``F``; it is transversal to the
orbit exactly when ``T(W)[P, :]`` has rank ``k``.  On such a slice a zero of ``g`` is a
critical point of ``L``: by invariance ``grad L(W)`` is orthogonal to ``T(W)`` at every
``W``, and ``span(S) + T(W) = R^N``.  (``certificates/enclosure.py`` proves exactly this
for a box, in interval arithmetic; here it only guides the iteration.)

Why mixed precision.  The gradient is evaluated in the mpmath context handed in (cheap: a
few matrix products), the Hessian block in float64 (a callable the caller supplies; the
mpmath Hessian is the fallback).  Newton with a float64 Jacobian converges linearly with
ratio about ``cond(H_FF) * 1e-16``, i.e. ~14 digits per step, each step costing one
high-precision gradient: 100 digits in about eight steps, 1000 digits in about seventy.

Everything here is a *producer*: the numbers it returns are hints.  Rational reconstruction
(:func:`reconstruct_rational`) proposes exact candidates that the caller checks exactly.
Never touches the global ``mpmath.mp``: the context is the objective's own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np
from mpmath.libmp import to_rational

from landscape_proofs.numeric.mp import to_mpf
from landscape_proofs.numeric.threads import in_one_blas_thread

#: singular values of the orbit tangent below this times max(1, |W|) count as zero when its
#: rank is decided (a hint only): near W = 0 the orbit degenerates, and tiny weights given in
#: floats usually stand for zeros
RANK_TOLERANCE = 1e-6
#: frozen (gauge) coordinates are moved to the simplest rational within this relative
#: distance: any gauge will do, and a rational gauge lets rational points snap exactly
GAUGE_ROUNDING = 1e-7


@dataclass(frozen=True)
class Gauge:
    """A coordinate slice transversal to the symmetry orbit (hint; verified by the checker).

    ``fixed`` are the frozen coordinates (parameters flattened layer by layer, W_1 first,
    row-major), ``free`` the others; ``generators`` are indices into the orbit tangent's
    spanning vectors (the order of ``exact.objective.ExactDeepLinear.orbit_tangent``) whose
    restriction to ``fixed`` is a square nonsingular matrix; ``values`` are the exact
    rational values of the frozen coordinates.
    """

    fixed: tuple[int, ...]
    free: tuple[int, ...]
    generators: tuple[int, ...]
    values: tuple[Fraction, ...]
    orthogonal: bool


@dataclass(frozen=True)
class Refinement:
    """What the refinement reached.

    ``point`` holds the N coordinates as numbers of the objective's context (the frozen ones
    are the context's rounding of ``gauge.values``).  ``residual`` is the max-norm of the
    *full* gradient there, ``slice_residual`` that of the gauge-fixed system, ``step`` the
    max-norm of the last Newton correction (an estimate of the distance to the root on the
    slice).  ``converged`` says whether ``step`` fell below ``10**-digits`` (relative).
    """

    point: tuple
    gauge: Gauge
    residual: object
    slice_residual: object
    step: object
    iterations: int
    converged: bool
    digits: int
    reason: str
    history: tuple[float, ...] = ()


# --- orbit tangent and gauge choice (float64 hints) --------------------------------------------
def orbit_tangent_float(widths: Sequence[int], weights: Sequence[np.ndarray],
                        orthogonal: bool) -> np.ndarray:
    """The N x G matrix whose columns span the orbit tangent at ``weights`` (float64).

    Same generators, in the same order, as ``ExactDeepLinear.orbit_tangent``: for each
    hidden layer i and each E in gl(d_i) (so(d_i) when ``orthogonal``):
    ``dW_i = E W_i``, ``dW_{i+1} = -W_{i+1} E``.

    >>> orbit_tangent_float([1, 1, 1], [np.array([[2.0]]), np.array([[3.0]])], False).tolist()
    [[2.0], [-3.0]]
    """
    H = len(widths) - 1
    shapes = [(widths[k + 1], widths[k]) for k in range(H)]
    offsets = np.cumsum([0] + [r * c for r, c in shapes])
    cols = []
    for i in range(H - 1):
        d = widths[i + 1]
        for a in range(d):
            for b in range(d):
                if orthogonal and not a < b:
                    continue
                E = np.zeros((d, d))
                E[a, b] = 1.0
                if orthogonal:
                    E[b, a] = -1.0
                v = np.zeros(offsets[-1])
                v[offsets[i]:offsets[i + 1]] = (E @ weights[i]).ravel()
                v[offsets[i + 1]:offsets[i + 2]] = (-(weights[i + 1] @ E)).ravel()
                cols.append(v)
    if not cols:
        return np.zeros((int(offsets[-1]), 0))
    return np.stack(cols, axis=1)


def _pivot_columns(A: np.ndarray, k: int) -> list[int]:
    """k column indices of A chosen greedily (Gram-Schmidt with column pivoting)."""
    R = np.array(A, dtype=np.float64, copy=True)
    chosen: list[int] = []
    for _ in range(k):
        norms = np.einsum("ij,ij->j", R, R)
        norms[chosen] = -1.0
        j = int(np.argmax(norms))
        if norms[j] <= 0:
            break
        q = R[:, j] / math.sqrt(norms[j])
        R -= np.outer(q, q @ R)
        chosen.append(j)
    return chosen


def simplest_rational(x: Fraction, tolerance: Fraction) -> Fraction:
    """The first continued-fraction convergent of ``x`` within ``tolerance`` of it (a rational
    of small denominator; ``x`` itself if none is closer).

    >>> simplest_rational(Fraction(14142136, 10**7), Fraction(1, 10**6))
    Fraction(1393, 985)
    """
    for q in convergents(x):
        if abs(q - x) <= tolerance:
            return q
    return x


def convergents(x: Fraction):
    """The continued-fraction convergents of a rational ``x``, in order (the last is x)."""
    p0, q0, p1, q1 = 0, 1, 1, 0
    num, den = x.numerator, x.denominator
    while den:
        a, r = divmod(num, den)
        p0, q0, p1, q1 = p1, q1, a * p1 + p0, a * q1 + q0
        yield Fraction(p1, q1)
        num, den = den, r


def choose_gauge(widths: Sequence[int], start: Sequence[Fraction], orthogonal: bool,
                 round_gauge: bool = True) -> Gauge:
    """Freeze dim T coordinates (a hint: the enclosure checker verifies transversality)."""
    H = len(widths) - 1
    shapes = [(widths[k + 1], widths[k]) for k in range(H)]
    x = np.array([float(q) for q in start])
    Wf, off = [], 0
    for r, c in shapes:
        Wf.append(x[off:off + r * c].reshape(r, c))
        off += r * c
    return gauge_from_tangent(orbit_tangent_float(widths, Wf, orthogonal), start, orthogonal,
                              round_gauge)


def tangent_rank(T: np.ndarray, start: Sequence[Fraction]) -> int:
    """The numerical rank of the orbit tangent ``T`` (N x G, float64) at ``start``."""
    if T.shape[1] == 0 or not np.any(T):
        return 0
    x = np.array([float(q) for q in start])
    s = np.linalg.svd(T, compute_uv=False)
    return int(np.sum(s > RANK_TOLERANCE * max(1.0, float(np.max(np.abs(x))))))


def gauge_generators(T: np.ndarray, fixed: Sequence[int]) -> tuple[int, ...]:
    """``len(fixed)`` generators (columns of ``T``) whose rows ``fixed`` are independent."""
    k = len(fixed)
    return tuple(sorted(_pivot_columns(T[list(fixed), :], k))) if k else ()


def gauge_from_tangent(T: np.ndarray, start: Sequence[Fraction], orthogonal: bool,
                       round_gauge: bool = True, rank: int | None = None) -> Gauge:
    """Freeze dim T coordinates given the orbit tangent ``T`` (N x G, float64) at ``start``.

    ``T``'s columns are the symmetry generators in the order the checker builds them (any
    family's ``orbit_tangent``).  ``k`` = its numerical rank (or ``rank``, when the orbit is
    expected to be smaller at the critical point than at ``start``); ``k`` coordinates whose
    rows of ``T`` are independent are frozen (pivoting on ``T^T``), and ``k`` generators
    whose restriction to them is nonsingular are named (pivoting on ``T[fixed, :]``).
    """
    N = len(start)
    k = tangent_rank(T, start) if rank is None else rank
    fixed = sorted(_pivot_columns(T.T, k)) if k else []
    gens = list(gauge_generators(T, fixed))
    free = [p for p in range(N) if p not in set(fixed)]
    values = []
    for p in fixed:
        q = Fraction(start[p])
        if round_gauge:
            q = simplest_rational(q, Fraction(GAUGE_ROUNDING) * abs(q))
        values.append(q)
    return Gauge(tuple(fixed), tuple(free), tuple(gens), tuple(values), orthogonal)


# --- the Newton iteration -----------------------------------------------------------------------
def _norm_inf(ctx, v):
    return max((abs(x) for x in v), default=ctx.zero)


STALL_WINDOW = 10        # Newton steps over which the residual must at least halve


@in_one_blas_thread
def refine_critical_point(objective, start: Sequence[object], *, digits: int,
                          hessian: Callable[[np.ndarray], np.ndarray] | None = None,
                          orthogonal: bool | None = None, gauge: Gauge | None = None,
                          max_iterations: int = 400, round_gauge: bool = True) -> Refinement:
    """Converge from ``start`` to a critical point, to about ``digits`` digits.

    Parameters
    ----------
    objective : an :class:`~landscape_proofs.numeric.mp.MpDeepLinear` (its context sets the
        working precision; ``ctx.dps`` must exceed ``digits`` by at least 10).
    start : N numbers (flattened layer by layer), exact or float: the approximation.
    digits : target accuracy: stop when the Newton correction is below ``10**-digits``
        (relative to ``max(1, |x|)``).
    hessian : float64 Hessian ``v -> (N, N) ndarray`` used for the Newton steps (mixed
        precision); default: the objective's own mpmath Hessian rounded to float64.
    orthogonal : the symmetry group is O rather than GL (default: weight decay > 0).
    gauge : a gauge to use instead of :func:`choose_gauge`'s.

    Examples
    --------
    >>> import mpmath
    >>> from landscape_proofs.numeric.mp import MpDeepLinear
    >>> ctx = mpmath.MPContext(); ctx.dps = 60
    >>> obj = MpDeepLinear(ctx, [1, 1, 1], [[1]], [[2]], "square")
    >>> r = refine_critical_point(obj, [1.4, 1.5], digits=45)
    >>> r.converged, r.residual < ctx.mpf(10) ** -44
    (True, True)
    >>> ctx.nstr(r.point[0] * r.point[1], 40)
    '2.0'
    """
    ctx = objective.ctx
    if digits < 1 or ctx.dps < digits + 10:
        raise ValueError(f"digits: expected 1 <= digits <= ctx.dps - 10 = {ctx.dps - 10}, "
                         f"got {digits}")
    N = objective.n_params
    if len(start) != N:
        raise ValueError(f"start: expected {N} numbers, got {len(start)}")
    if orthogonal is None:
        orthogonal = objective.lam != 0
    start_q = [_as_fraction(x) for x in start]
    if gauge is None:
        gauge = choose_gauge(objective.widths, start_q, orthogonal, round_gauge)
    x = [to_mpf(ctx, q) for q in start_q]
    for p, q in zip(gauge.fixed, gauge.values):
        x[p] = to_mpf(ctx, q)
    F = list(gauge.free)
    if hessian is None:
        def hessian(v):  # the slow fallback: the mpmath Hessian, rounded
            Hm = objective.hessian(objective.unflatten([ctx.mpf(t) for t in v]))
            return np.array([[float(Hm[i, j]) for j in range(N)] for i in range(N)])

    def slice_gradient(xs):
        g = objective.gradient_vector(objective.unflatten(xs))
        return g, [g[p] for p in F]

    tol = ctx.mpf(10) ** (-digits)
    g, gF = slice_gradient(x)
    r = _norm_inf(ctx, gF)
    step = ctx.inf
    history = [float(r)]
    reason = "maximum number of iterations reached"
    converged = False
    it = 0
    if not F:
        converged, step, reason = True, ctx.zero, "no free coordinates: the orbit fills the space"
    while not converged and it < max_iterations:
        it += 1
        if r == 0:
            converged, step, reason = True, ctx.zero, "slice gradient exactly zero"
            break
        xf = np.array([float(t) for t in x])
        with np.errstate(all="ignore"):  # overflow gives non-finite entries, handled below
            HF = np.asarray(hessian(xf))[np.ix_(F, F)]
        rhs = np.array([float(t / r) for t in gF])  # scaled: no underflow at 1000 digits
        if not (np.all(np.isfinite(HF)) and np.all(np.isfinite(rhs))):
            reason = "non-finite Hessian or gradient (the iteration diverged)"
            break
        delta, *_ = np.linalg.lstsq(HF, rhs, rcond=None)
        if not np.any(delta):
            reason = ("the float64 Hessian block vanishes at this point: a degenerate critical "
                      "point, which Newton's method cannot pin down")
            break
        d = [r * ctx.mpf(float(t)) for t in delta]
        step = _norm_inf(ctx, d)
        scale = max(ctx.one, _norm_inf(ctx, x))
        if step <= tol * scale:
            # a small step is convergence only if the residual is small too (at a degenerate
            # root the steps shrink long before the gradient does)
            hscale = max(1.0, float(np.max(np.abs(HF)))) if HF.size else 1.0
            if r <= ctx.sqrt(tol) * hscale:
                converged, reason = True, f"Newton correction below 1e-{digits} (relative)"
            else:
                reason = (f"the Newton correction is tiny ({ctx.nstr(step, 3)}) but the slice "
                          f"gradient is not ({ctx.nstr(r, 3)}): a degenerate critical point")
            break
        accepted = False
        alpha = ctx.one
        for _ in range(12):  # backtracking on the slice residual (only bites far away)
            trial = list(x)
            for p, dp in zip(F, d):
                trial[p] = x[p] - alpha * dp
            g2, gF2 = slice_gradient(trial)
            r2 = _norm_inf(ctx, gF2)
            if r2 < r:
                x, g, gF, r, accepted = trial, g2, gF2, r2, True
                break
            alpha /= 2
        history.append(float(r) if r > 1e-300 else 0.0)
        if accepted and len(history) > STALL_WINDOW and history[-1] > history[-1 - STALL_WINDOW] / 2:
            # Newton's method gains digits every step, even at a singular root (a factor 2);
            # less than a factor 2 over STALL_WINDOW steps is a non-isolated or degenerate
            # root on the slice, where the remaining steps would be wasted
            reason = (f"the slice residual stalls (from {history[-1 - STALL_WINDOW]:.2g} to "
                      f"{history[-1]:.2g} over the last {STALL_WINDOW} Newton steps): the "
                      "critical point is degenerate or not isolated on the slice")
            break
        if not accepted:
            reason = ("no step decreased the slice residual: precision floor reached or "
                      "a degenerate root (last correction "
                      f"{ctx.nstr(step, 3)})")
            break
    return Refinement(point=tuple(x), gauge=gauge, residual=_norm_inf(ctx, g),
                      slice_residual=r, step=step, iterations=it, converged=converged,
                      digits=digits, reason=reason, history=tuple(history))


def _as_fraction(x) -> Fraction:
    """An exact rational for a start coordinate (floats and mpf converted exactly)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, float)):
        return Fraction(x)
    if hasattr(x, "man_exp"):
        return mpf_to_fraction(x)
    num, den = getattr(x, "numerator", None), getattr(x, "denominator", None)
    if num is not None and den is not None:
        if callable(num):
            num, den = num(), den()
        return Fraction(int(num), int(den))
    return Fraction(x)


def mpf_to_fraction(x) -> Fraction:
    """The exact binary value of an mpmath number (finite) as a Fraction.

    >>> import mpmath; ctx = mpmath.MPContext()
    >>> mpf_to_fraction(ctx.mpf("-0.75"))
    Fraction(-3, 4)
    """
    # (mpmath's ``man_exp`` drops the sign; ``to_rational`` of the raw tuple does not)
    if not _is_finite_mpf(x):
        raise ValueError(f"not a finite number: {x!r}")
    p, q = to_rational(x._mpf_)
    return Fraction(int(p), int(q))


def _is_finite_mpf(x) -> bool:
    """Whether an mpmath real is finite (not inf or nan), without a context."""
    sign, man, exp, bc = x._mpf_
    return bool(man) or exp == 0  # zero is (0, 0, 0, 0); inf and nan have man 0, exp != 0


# --- rational reconstruction ---------------------------------------------------------------
def reconstruct_rational(x, digits: int) -> Fraction | None:
    """A rational p/q that ``x`` (accurate to about ``digits`` digits) is very likely equal to.

    Walks the continued-fraction convergents of ``x`` (exactly, from its binary value) and
    returns the first p/q with ``|x - p/q| <= 10**-(digits - 5) * max(1, |x|)`` whose
    denominator is at most ``10**((digits - 5) // 2 - 10)``: a real number that is not a
    rational of small height has convergents with ``|x - p/q|`` about ``1/q^2``, so a
    convergent this close with a denominator 10^10 times smaller than that is no coincidence.  A *candidate*: the caller checks its
    claim exactly (here: that the snapped point has gradient exactly zero).

    >>> import mpmath; ctx = mpmath.MPContext(); ctx.dps = 60
    >>> reconstruct_rational(ctx.mpf(1) / 3, 50), reconstruct_rational(ctx.sqrt(2), 50)
    (Fraction(1, 3), None)
    """
    xq = _as_fraction(x)
    tol = Fraction(1, 10 ** max(digits - 5, 1)) * max(1, abs(xq))
    max_den = 10 ** max((digits - 5) // 2 - 10, 1)
    for q in convergents(xq):
        if q.denominator > max_den:
            return None
        if abs(q - xq) <= tol:
            return q
    return None


def snap_refinement(ref: Refinement) -> list[Fraction] | None:
    """Exact rationals for every coordinate of a converged refinement, or None.

    Frozen coordinates take their exact gauge values; free ones are reconstructed with
    :func:`reconstruct_rational` at the digits actually reached.
    """
    if not ref.converged:
        return None
    out: list[Fraction | None] = [None] * len(ref.point)
    for p, q in zip(ref.gauge.fixed, ref.gauge.values):
        out[p] = q
    for p in ref.gauge.free:
        q = reconstruct_rational(ref.point[p], ref.digits)
        if q is None:
            return None
        out[p] = q
    return out  # type: ignore[return-value]


__all__ = ["Gauge", "Refinement", "choose_gauge", "convergents", "gauge_from_tangent",
           "gauge_generators", "tangent_rank",
           "mpf_to_fraction",
           "orbit_tangent_float", "reconstruct_rational", "refine_critical_point",
           "simplest_rational", "snap_refinement"]
