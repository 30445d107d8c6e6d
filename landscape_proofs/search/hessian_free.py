"""Hessian-free local descent for large networks (float hints; never proofs).

Above :data:`HESSIAN_FREE_MIN_N` parameters the second-order method of :mod:`.local` (a dense
``N x N`` Hessian and a full ``eigh`` per point and iteration: at 2,048 parameters 80% of a
search) is replaced by: gradient descent with Armijo backtracking (:mod:`.local`'s), and, at each
point whose gradient became small, the smallest Hessian eigenpair from Lanczos on
Hessian-vector products (:func:`landscape_proofs.numeric.hessian_free.smallest_eigenpairs`).
A significantly negative eigenvalue (below ``-curvature_tol (1 + max |lam|)``, the test of
:mod:`.local`) triggers the same escape, ``x +- a v_min`` on a geometric grid of step lengths,
and the descent goes on; otherwise the run has converged.  The statuses mean what they mean
in :mod:`.local`.
"""
from __future__ import annotations

import numpy as np

from landscape_proofs.budget import check_deadline
from landscape_proofs.numeric.hessian_free import smallest_eigenpairs
from landscape_proofs.search.local import (DescentConfig, DescentResult, _NOISE,
                                           _Runner)

HESSIAN_FREE_MIN_N = 400   # parameters; below, the dense Hessian is cheaper (module constant)
_ROUNDS = 20               # escapes per run at most
_CG_ITERATIONS = 50        # conjugate-gradient steps per truncated Newton step


class _HessianFreeRunner(_Runner):
    def curvature_check(self, idx: np.ndarray) -> np.ndarray:
        """Lanczos at each point of ``idx``: sets lam_min / neg; returns the escape directions
        (rows; zero where there is no significant negative curvature)."""
        N = self.x.shape[1]
        out = np.zeros((idx.size, N))
        for r, b in enumerate(idx):
            try:
                w, V, big = smallest_eigenpairs(self.obj, self.x[b], k=1)
            except Exception:          # no Ritz value at all: no curvature information
                self.lam_min[b] = np.nan
                self.neg[b] = False
                continue
            self.lam_min[b] = w[0]
            self.neg[b] = bool(w[0] < -self.cfg.curvature_tol * (1.0 + big))
            if self.neg[b]:
                v = V[:, 0]
                out[r] = -v if float(v @ self.g[b]) > 0 else v
        return out

    def escape(self, idx: np.ndarray, dirs: np.ndarray) -> None:
        N = self.x.shape[1]
        grid = self.scale * 2.0 ** -np.arange(-1, 26)
        steps = np.concatenate([grid, -grid])
        cand = self.x[idx, None, :] + steps[None, :, None] * dirs[:, None, :]
        fc = self.val(cand.reshape(-1, N)).reshape(idx.size, -1)
        fc = np.where(np.isfinite(fc), fc, np.inf)
        j = np.argmin(fc, axis=1)
        fbest = fc[np.arange(idx.size), j]
        base = self.f[idx]
        better = fbest < base - _NOISE * (1.0 + np.abs(base))
        if better.any():
            self.accept(idx[better], cand[np.arange(idx.size), j][better], fbest[better])
        self.stuck[idx[~better]] = True     # no lower point along v_min: stopped short

    def hvp(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.obj.hvp_vector(self.obj.unflatten(x), v)

    def truncated_newton(self, iterations: int, mu: np.ndarray) -> None:
        """Damped Newton steps ``(H + mu (1 + |g|) I) d = -g`` solved approximately by batched
        conjugate gradients on Hessian-vector products, stopped at negative curvature
        (Steihaug); backtracking as in :mod:`.local`; stops where the gradient is small."""
        for _ in range(iterations):
            check_deadline()          # search --timeout: DeadlineExceeded ends this batch
            act = np.nonzero(~(self.small_gradient() | self.dead | self.stuck))[0]
            if act.size == 0:
                return
            xa, fa, ga, gna = self.x[act], self.f[act], self.g[act], self.gn[act]
            damp = mu[act] * (1.0 + gna)
            d = np.zeros_like(ga)
            r = -ga
            p = r.copy()
            rr = np.einsum("bn,bn->b", r, r)
            live = np.ones(act.size, dtype=bool)
            for _k in range(_CG_ITERATIONS):
                li = np.nonzero(live)[0]
                if li.size == 0:
                    break
                Hp = self.hvp(xa[li], p[li]) + damp[li, None] * p[li]
                pHp = np.einsum("bn,bn->b", p[li], Hp)
                bad = ~(pHp > 0)                  # negative curvature (or nan): stop here
                first = bad & ~np.any(d[li] != 0, axis=1)
                d[li[first]] = p[li[first]]       # nothing yet: the steepest descent direction
                live[li[bad]] = False
                ok = ~bad
                lo = li[ok]
                alpha = rr[lo] / pHp[ok]
                d[lo] += alpha[:, None] * p[lo]
                r[lo] -= alpha[:, None] * Hp[ok]
                rr_new = np.einsum("bn,bn->b", r[lo], r[lo])
                conv = np.sqrt(rr_new) <= 0.1 * np.minimum(1.0, np.sqrt(gna[lo])) * gna[lo]
                live[lo[conv]] = False
                p[lo] = r[lo] + (rr_new / rr[lo])[:, None] * p[lo]
                rr[lo] = rr_new
            slope = np.einsum("bn,bn->b", ga, d)
            flip = slope > 0
            d[flip] = -ga[flip]
            slope[flip] = -gna[flip] ** 2
            done, newx, newf = self.backtrack(act, xa, fa, gna, d, slope, mu)
            if done.any():
                self.accept(act[done], newx[done], newf[done])
            self.stuck[act[~done]] = True

    def second_order(self, iterations: int) -> None:
        self.hessian_free(iterations)

    def hessian_free(self, iterations: int) -> None:
        mu = np.full(self.x.shape[0], 1e-3)
        for _ in range(_ROUNDS):
            self.truncated_newton(iterations, mu)
            todo = np.nonzero(self.small_gradient() & ~self.dead & ~self.finished)[0]
            if todo.size == 0:
                return
            dirs = self.curvature_check(todo)
            neg = self.neg[todo]
            self.finished[todo[~neg]] = True
            if neg.any():
                self.escape(todo[neg], dirs[neg])
            else:
                return


def descend_hessian_free(obj, x0: np.ndarray, cfg: DescentConfig = DescentConfig(),
                         scale: float = 1.0) -> DescentResult:
    """:func:`.local.descend` without dense Hessians (see the module docstring): the gradient
    method as there; the second-order methods as truncated Newton (``cfg.newton_iterations``
    steps per round, after ``cfg.warmup_iterations`` gradient steps for the hybrid)."""
    return _HessianFreeRunner(obj, x0, cfg, scale).run()
