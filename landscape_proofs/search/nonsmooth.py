"""Polishing the runs of a nonsmooth (l1) loss by smoothing continuation (floats only).

Gradient descent with backtracking stalls at the kinks of ``sum |E_ij|`` long before a
minimum: on a ``[2, 2, 2]`` network with 5 samples every run of a 30-start search stopped
between 12.87 and 16.57 while the minimum is 38/3, and none of those points is near an exact
critical point.  From each run that stopped (at a kink or short), the smooth surrogate

    sum_ij sqrt(E_ij^2 + mu^2) - mu          (plus the weight decay, if any)

is minimized by the search's own local method for ``mu = 1e-2, 1e-4, 1e-6, 1e-8`` times the scale of ``Y``,
each stage starting where the previous one ended.  The surrogate is within ``mu`` per entry of
the l1 loss, so its minimizers approach a minimizer of the l1 loss as ``mu -> 0``; the residual
entries that are zero there end up ``~mu``, and the snapping routes (:mod:`.snap`: the product
snapped, refactored exactly) then find the exact vertex, which exact classification decides.
A polished point replaces the run's end only when its l1 value is not larger.  Nothing here is
a proof: it only moves float points to where the exact routes can work.
"""
from __future__ import annotations

import time

import numpy as np

MUS = (1e-2, 1e-4, 1e-6, 1e-8)   # smoothing widths, relative to 1 + mean |Y|
MAX_ITER = 200                   # iterations per stage
NEWTON_PARAMETERS = 200          # dense Hessians up to here, gradient steps above
MAX_PARAMETERS = 2000
SECONDS = 20.0                   # for all runs of one search together


class _SmoothL1:
    """``sum sqrt(E^2 + mu^2) - mu`` as a batched float64 loss kernel."""

    def __init__(self, mu: float):
        self.mu = mu

    def value(self, E):
        return (np.sqrt(E * E + self.mu ** 2) - self.mu).reshape(E.shape[0], -1).sum(axis=1)

    def gradient(self, E):
        return E / np.sqrt(E * E + self.mu ** 2)

    def hessian(self, E):
        mu2 = self.mu ** 2
        d = (mu2 / (E * E + mu2) ** 1.5).reshape(E.shape[0], -1)
        return np.stack([np.diag(row) for row in d])


def applies(problem) -> bool:
    """One chain of layers with a loss with kinks where a residual entry is 0 (l1; the surrogate
    approximates |E_ij|, and a polished point is kept only when the true value is not larger)."""
    return (problem.loss.piecewise_linear_kinks and not problem.psd_product
            and not problem.sum_of_towers and not problem.loss.over_product
            and problem.n_params <= MAX_PARAMETERS)


def polish(problem, obj, x: np.ndarray, val: np.ndarray, runs, deadline: float | None = None):
    """``(x, val, polished)``: the runs ``runs`` (indices into ``x``) moved to the end of the
    smoothing continuation when that lowers their l1 value; ``polished`` counts them.  All runs
    go together through the search's own batched local method (:func:`.local.descend`), one
    stage per smoothing width."""
    from landscape_proofs.numeric.float64 import BatchedDeepLinear
    from landscape_proofs.numeric.views import _decay, _float_matrix
    from landscape_proofs.search.local import DescentConfig, Method, descend

    runs = np.asarray(runs, dtype=int)
    if not applies(problem) or runs.size == 0:
        return x, val, 0
    chain = problem.chains()[0]
    X = _float_matrix(problem.X) if problem.X is not None else None
    Y = _float_matrix(problem.Y)
    scale = 1.0 + float(np.mean(np.abs(Y))) if Y.size else 1.0
    method = Method.HYBRID if problem.n_params <= NEWTON_PARAMETERS else Method.GRADIENT
    cfg = DescentConfig(method=method, gtol=1e-12, newton_iterations=MAX_ITER,
                        gradient_iterations=MAX_ITER)
    xs = x[runs].copy()
    end = time.perf_counter() + SECONDS
    if deadline is not None:
        end = min(end, deadline)
    with np.errstate(all="ignore"):
        for mu in MUS:
            if time.perf_counter() > end:
                break
            sm = BatchedDeepLinear(chain.widths, X, Y, _SmoothL1(mu * scale),
                                   weight_decay=_decay(problem.weight_decay))
            r = descend(sm, xs, cfg)
            ok = np.all(np.isfinite(r.x), axis=1)
            xs[ok] = r.x[ok]
        v = obj.value(obj.unflatten(xs))
    better = np.isfinite(v) & (v <= val[runs])
    x, val = x.copy(), val.copy()
    x[runs[better]], val[runs[better]] = xs[better], v[better]
    return x, val, int(better.sum())
