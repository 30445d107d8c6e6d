"""Batched local descent: line-search gradient descent and a second-order method.

Both methods move B points at once through :class:`~landscape_proofs.numeric.float64.BatchedDeepLinear`
(parameters flattened layer by layer, W_1 first, as everywhere), with per-point steps and
no Python loop over the points.

* **Gradient descent** with Armijo backtracking: ``x+ = x - t g`` with the first
  ``t in {t0, t0/2, ...}`` such that ``f(x+) <= f(x) - 1e-4 t |g|^2``; the next trial starts at
  ``2t``.
* **Damped saddle-free Newton with negative-curvature escape** (Dauphin et al. 2014; the
  escape step is the classical one of Moré & Sorensen 1979): with ``H = V diag(lam) V^T``,
  the step is ``d = -V diag(1 / (|lam| + mu)) V^T g``, a descent direction even where ``H`` is
  indefinite, with a Levenberg-Marquardt damping ``mu`` that shrinks after full steps and
  grows after backtracking.  Where the smallest eigenvalue is significantly negative, the
  method also tries ``x +- a v_min`` for step lengths ``a`` on a geometric grid and keeps
  the lowest value, so it leaves saddles instead of converging to them.  The symmetry of
  the loss makes ``H`` singular along the orbit (``gradient`` is orthogonal to the orbit
  tangent everywhere, since ``L`` is constant on orbits), so the zero eigenvalues there
  receive no step.
* **Hybrid** (the default): a few gradient steps, then the second-order method.

Where ``f`` has converged to rounding level, a trial is accepted when its value is within
rounding noise and its gradient norm is smaller (a value test alone cannot see progress
below ``1e-16 |f|``).

A run *converges* when ``|grad| <= gtol (1 + |f|)`` and (second-order methods) no
eigenvalue of ``H`` is below ``-curvature_tol (1 + max |lam|)``; it *diverges* when a
coordinate exceeds ``bound`` or turns non-finite; otherwise it *stopped short*.  These are
float facts that guide a producer: convergence is never presented as criticality.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from landscape_proofs.budget import check_deadline
from landscape_proofs.kernel.errors import InputError


class Method(str, Enum):
    GRADIENT = "gradient"
    NEWTON = "newton"
    HYBRID = "hybrid"

    def __str__(self) -> str:
        return self.value


class RunStatus(str, Enum):
    CONVERGED = "converged"
    STOPPED_SHORT = "stopped-short"
    DIVERGED = "diverged"
    AT_KINK = "at-kink"     # nonsmooth loss: stopped where a loss-argument entry is ~0

    def __str__(self) -> str:
        return self.value


_CONVERGED, _SHORT, _DIVERGED, _AT_KINK = 0, 1, 2, 3
STATUS_OF_CODE = (RunStatus.CONVERGED, RunStatus.STOPPED_SHORT, RunStatus.DIVERGED,
                  RunStatus.AT_KINK)


@dataclass(frozen=True)
class DescentConfig:
    """How the local methods run and when they stop."""

    method: Method = Method.HYBRID
    gtol: float = 1e-9
    gradient_iterations: int = 3000   # budget of the gradient method alone
    warmup_iterations: int = 30       # gradient steps before the second-order method (hybrid)
    newton_iterations: int = 200
    curvature_tol: float = 1e-8
    bound: float = 1e8

    def __post_init__(self):
        try:
            object.__setattr__(self, "method", Method(self.method))
        except ValueError:
            raise InputError(f"expected one of {', '.join(m.value for m in Method)}",
                             field="method", got=self.method) from None
        for name in ("gtol", "curvature_tol", "bound"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
                raise InputError("expected a finite number > 0", field=name, got=v)
        for name in ("gradient_iterations", "warmup_iterations", "newton_iterations"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError("expected an integer >= 0", field=name, got=v)


@dataclass(frozen=True)
class DescentResult:
    """Where B runs ended (arrays over the batch; float hints, never proofs)."""

    x: np.ndarray               # (B, N) final points, flattened
    value: np.ndarray           # (B,)
    gradient_norm: np.ndarray   # (B,)
    min_eigenvalue: np.ndarray  # (B,) smallest Hessian eigenvalue seen last (nan: not computed)
    iterations: np.ndarray      # (B,) accepted steps
    status: np.ndarray          # (B,) codes: 0 converged, 1 stopped short, 2 diverged, 3 at a kink

    def statuses(self) -> tuple[RunStatus, ...]:
        return tuple(STATUS_OF_CODE[int(c)] for c in self.status)


_NOISE = 1e3 * np.finfo(float).eps


class _Runner:
    def __init__(self, obj, x: np.ndarray, cfg: DescentConfig, scale: float):
        self.obj, self.cfg, self.scale = obj, cfg, scale
        B = x.shape[0]
        self.x = np.array(x, dtype=np.float64)
        self.f = self.val(self.x)
        self.g = self.grad(self.x)
        self.gn = np.linalg.norm(self.g, axis=1)
        self.it = np.zeros(B, dtype=np.int64)
        self.dead = ~np.isfinite(self.f)            # diverged
        self.stuck = np.zeros(B, dtype=bool)        # line search failed: stopped short
        self.lam_min = np.full(B, np.nan)
        self.neg = np.zeros(B, dtype=bool)          # significant negative curvature seen last
        self.finished = np.zeros(B, dtype=bool)     # converged (second-order test passed)

    # -- evaluations on flattened batches ----------------------------------------------------
    def val(self, x):
        with np.errstate(all="ignore"):
            return self.obj.value(self.obj.unflatten(x))

    def grad(self, x):
        with np.errstate(all="ignore"):
            return self.obj.gradient_vector(self.obj.unflatten(x))

    def hess(self, x):
        with np.errstate(all="ignore"):
            return self.obj.hessian(self.obj.unflatten(x))

    def tol(self, f):
        return self.cfg.gtol * (1.0 + np.abs(f))

    def small_gradient(self):
        return self.gn <= self.tol(self.f)

    def mark_divergence(self, idx):
        bad = ~np.isfinite(self.f[idx]) | (np.abs(self.x[idx]).max(axis=1) > self.cfg.bound)
        self.dead[idx[bad]] = True

    def accept(self, idx, xn, fn, gn=None):
        self.x[idx] = xn
        self.f[idx] = fn
        self.g[idx] = self.grad(xn) if gn is None else gn
        with np.errstate(all="ignore"):     # a diverging run's gradient overflows: marked below
            self.gn[idx] = np.linalg.norm(self.g[idx], axis=1)
        self.it[idx] += 1
        self.mark_divergence(idx)

    def _rounding_ok(self, ft, f0, gn0, trial):
        """Within rounding noise of f0 and a smaller gradient: progress a value test misses."""
        amb = np.isfinite(ft) & (np.abs(ft - f0) <= _NOISE * (1.0 + np.abs(f0)))
        ok = np.zeros(ft.shape, dtype=bool)
        if amb.any():
            gt = np.linalg.norm(self.grad(trial[amb]), axis=1)
            ok[amb] = gt < gn0[amb]
        return ok

    # -- gradient descent --------------------------------------------------------------------
    def run(self) -> DescentResult:
        """The configured method: gradient steps only, second-order steps only, or (hybrid)
        ``warmup_iterations`` gradient steps first; :meth:`second_order` is dense Newton here
        and truncated Newton in :mod:`.hessian_free`."""
        cfg = self.cfg
        if cfg.method is Method.GRADIENT:
            self.gradient_descent(cfg.gradient_iterations)
        else:
            if cfg.method is Method.HYBRID:
                self.gradient_descent(cfg.warmup_iterations)
                self.stuck[:] = False
            self.second_order(cfg.newton_iterations)
        return self.result()

    def second_order(self, iterations: int) -> None:
        self.newton(iterations)

    def backtrack(self, act, xa, fa, gna, d, slope, mu):
        """Armijo backtracking along ``d`` from each point ``xa`` (halving the step, at most 40
        times), then the damping ``mu`` of the rows ``act`` loosened after a full step and
        tightened otherwise.  Returns (done, new points, new values)."""
        t = np.ones(act.size)
        done = np.zeros(act.size, dtype=bool)
        newx, newf = xa.copy(), fa.copy()
        pend = np.arange(act.size)
        for _k in range(40):
            trial = xa[pend] + t[pend, None] * d[pend]
            ft = self.val(trial)
            ok = np.isfinite(ft) & (ft <= fa[pend] + 1e-4 * t[pend] * slope[pend]) & (slope[pend] < 0)
            ok |= ~ok & self._rounding_ok(ft, fa[pend], gna[pend], trial)
            hit = pend[ok]
            newx[hit], newf[hit], done[hit] = trial[ok], ft[ok], True
            pend = pend[~ok]
            if pend.size == 0:
                break
            t[pend] *= 0.5
        full = done & (t == 1.0)
        mu[act] = np.clip(np.where(full, mu[act] / 10.0, mu[act] * 4.0), 1e-14, 1e6)
        return done, newx, newf

    def gradient_descent(self, iterations: int):
        step = np.full(self.x.shape[0], 1e-2)
        for _ in range(iterations):
            check_deadline()          # search --timeout: DeadlineExceeded ends this batch
            act = np.nonzero(~(self.small_gradient() | self.dead | self.stuck))[0]
            if act.size == 0:
                return
            xa, fa, ga, gna, ta = self.x[act], self.f[act], self.g[act], self.gn[act], step[act].copy()
            done = np.zeros(act.size, dtype=bool)
            newx, newf = xa.copy(), fa.copy()
            pend = np.arange(act.size)
            for _ in range(60):
                trial = xa[pend] - ta[pend, None] * ga[pend]
                ft = self.val(trial)
                ok = np.isfinite(ft) & (ft <= fa[pend] - 1e-4 * ta[pend] * gna[pend] ** 2)
                ok |= ~ok & self._rounding_ok(ft, fa[pend], gna[pend], trial)
                hit = pend[ok]
                newx[hit], newf[hit], done[hit] = trial[ok], ft[ok], True
                pend = pend[~ok]
                if pend.size == 0:
                    break
                ta[pend] *= 0.5
            if done.any():
                self.accept(act[done], newx[done], newf[done])
            self.stuck[act[~done]] = True
            step[act] = np.where(done, np.minimum(2.0 * ta, 1e6), ta)

    # -- second-order method -----------------------------------------------------------------
    def newton(self, iterations: int):
        B, N = self.x.shape
        mu = np.full(B, 1e-3)
        grid = self.scale * 2.0 ** -np.arange(-1, 26)          # escape step lengths
        for _ in range(iterations):
            check_deadline()
            act = np.nonzero(~(self.dead | self.stuck | self.finished))[0]
            if act.size == 0:
                return
            H = self.hess(self.x[act])
            if not np.all(np.isfinite(H)):
                badH = ~np.isfinite(H).all(axis=(1, 2))
                self.dead[act[badH]] = True
                act, H = act[~badH], H[~badH]
                if act.size == 0:
                    return
            lam, V = np.linalg.eigh(H)
            big = 1.0 + np.abs(lam).max(axis=1)
            self.lam_min[act] = lam[:, 0]
            neg = lam[:, 0] < -self.cfg.curvature_tol * big
            self.neg[act] = neg
            conv = (self.gn[act] <= self.tol(self.f[act])) & ~neg
            self.finished[act[conv]] = True
            keep = ~conv
            act, lam, V, big, neg = act[keep], lam[keep], V[keep], big[keep], neg[keep]
            if act.size == 0:
                return
            xa, fa, ga, gna = self.x[act], self.f[act], self.g[act], self.gn[act]
            gv = np.einsum("bnk,bn->bk", V, ga)
            damp = mu[act] * big
            d = -np.einsum("bnk,bk->bn", V, gv / (np.abs(lam) + damp[:, None]))
            slope = np.einsum("bn,bn->b", ga, d)               # < 0 unless g = 0
            # damped saddle-free Newton step with backtracking
            done, newx, newf = self.backtrack(act, xa, fa, gna, d, slope, mu)
            # negative-curvature escape: x +- a v_min, a on a geometric grid; keep the best
            if neg.any():
                ni = np.nonzero(neg)[0]
                v = V[ni, :, 0]
                v = v * np.where(np.einsum("bn,bn->b", v, ga[ni]) > 0, -1.0, 1.0)[:, None]
                cand = xa[ni, None, :] + (np.concatenate([grid, -grid])[None, :, None] * v[:, None, :])
                fc = self.val(cand.reshape(-1, N)).reshape(ni.size, -1)
                fc = np.where(np.isfinite(fc), fc, np.inf)
                j = np.argmin(fc, axis=1)
                fbest = fc[np.arange(ni.size), j]
                base = np.where(done[ni], newf[ni], fa[ni])
                better = fbest < base - _NOISE * (1.0 + np.abs(base))
                sel = ni[better]
                newx[sel] = cand[np.arange(ni.size), j][better]
                newf[sel] = fbest[better]
                done[sel] = True
            if done.any():
                self.accept(act[done], newx[done], newf[done])
            self.stuck[act[~done]] = True

    def result(self) -> DescentResult:
        status = np.full(self.x.shape[0], _SHORT, dtype=np.int8)
        conv = self.small_gradient() & ~self.neg & ~self.dead
        status[conv] = _CONVERGED
        status[self.dead] = _DIVERGED
        return DescentResult(self.x, self.f, self.gn, self.lam_min, self.it, status)


def descend(obj, x0: np.ndarray, cfg: DescentConfig = DescentConfig(), scale: float = 1.0) -> DescentResult:
    """Run the configured local method from each row of ``x0`` (shape (B, N)).

    ``scale`` is the problem's natural scale (see :func:`.starts.natural_scale`), used for
    the step lengths of the negative-curvature escape.

    >>> from landscape_proofs.numeric.float64 import BatchedDeepLinear
    >>> obj = BatchedDeepLinear([1, 1, 1], np.ones((1, 1)), np.full((1, 1), 4.0), "square")
    >>> r = descend(obj, np.array([[0.5, 0.5], [0.0, 0.0]]))
    >>> np.round(r.value, 12).tolist(), r.statuses()[1].value
    ([0.0, 0.0], 'converged')
    """
    return _Runner(obj, x0, cfg, scale).run()
