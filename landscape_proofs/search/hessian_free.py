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

Far from criticality the truncated Newton step (up to 50 Hessian-vector products, each about two
gradients) is wasted work: a batched **L-BFGS** phase (Nocedal 1980; the two-loop recursion with
the last ``_MEMORY`` steps, initial scaling ``s^T y / y^T y``) comes first.  Its iteration is one
value-and-gradient evaluation at the trial point (``BatchedDeepLinear.value_and_gradient``, a
single forward and backward pass) plus O(``_MEMORY`` N) vector work, with Armijo backtracking
from the unit step (rarely needed).  A pair with ``s^T y <= 1e-12 |s| |y|`` (negative
curvature) is not stored; a direction that is not a descent direction resets the memory.
L-BFGS runs until the gradient is small or its line search fails; only then do truncated
Newton (for runs that stopped short) and the Lanczos curvature test take over, with the
escape; after an escape L-BFGS starts again with an empty memory.
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
_MEMORY = 10               # L-BFGS pairs kept per run


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

    def value_gradient(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            Ws = self.obj.unflatten(x)
            fused = getattr(self.obj, "value_and_gradient", None)
            if fused is not None:
                return fused(Ws)
            return self.obj.value(Ws), self.obj.gradient_vector(Ws)

    def lbfgs(self, iterations: int) -> None:
        """Batched L-BFGS with Armijo backtracking (module docstring) on the runs that are not
        small-gradient, dead or stuck; a failed line search marks the run stuck.  The direction
        comes from :func:`compact_lbfgs_product` (a few batched matrix products instead of the
        two-loop recursion's 4 m small operations), with ``S^T Y`` and ``Y^T Y`` updated by one
        row and column per stored pair."""
        B, N = self.x.shape
        m = _MEMORY
        mem = np.zeros((B, 2 * m, N))              # rows 0..m-1: steps s, rows m..2m-1: y
        gram = np.zeros((B, 2 * m, 2 * m))         # mem mem^T, kept up to date
        stored = np.zeros(B, dtype=np.int64)       # pairs stored so far (slot = count % m)

        def forget(idx):                            # an empty memory (stale pairs zeroed)
            stored[idx] = 0
            mem[idx], gram[idx] = 0.0, 0.0

        for _ in range(iterations):
            check_deadline()          # search --timeout: DeadlineExceeded ends this batch
            act = np.nonzero(~(self.small_gradient() | self.dead | self.stuck))[0]
            if act.size == 0:
                return
            whole = act.size == B                  # no copies of the memories then
            ga, gna, cnt = self.g[act], self.gn[act], stored[act]
            try:
                d = -compact_lbfgs_product(ga, mem if whole else mem[act],
                                           gram if whole else gram[act], cnt)
            except np.linalg.LinAlgError:          # a singular R: start the memories afresh
                forget(act)
                d = -ga * np.minimum(1.0, 1.0 / np.maximum(gna, 1e-300))[:, None]
            slope = np.einsum("bn,bn->b", ga, d)
            reset = ~(slope < 0) | ~np.isfinite(slope)   # not a descent direction: forget
            if reset.any():
                forget(act[reset])
                d[reset] = -ga[reset] * np.minimum(1.0, 1.0 / np.maximum(gna[reset], 1e-300))[:, None]
                slope[reset] = np.einsum("bn,bn->b", ga[reset], d[reset])
            done, newx, newf, newg = self.backtrack_with_gradient(act, d, slope)
            if done.any():
                idx = act[done]
                s_new = newx[done] - self.x[idx]
                y_new = newg[done] - self.g[idx]
                sy = np.einsum("bn,bn->b", s_new, y_new)
                keep = sy > 1e-12 * np.linalg.norm(s_new, axis=1) * np.linalg.norm(y_new, axis=1)
                keep &= np.isfinite(sy)
                k_idx = idx[keep]
                slot = stored[k_idx] % m
                r = np.arange(k_idx.size)
                mem[k_idx, slot] = s_new[keep]
                mem[k_idx, m + slot] = y_new[keep]
                every = k_idx.size == B
                memk = mem if every else mem[k_idx]
                gk = gram if every else gram[k_idx]
                v = memk @ np.stack([s_new[keep], y_new[keep]], axis=2)   # (k, 2m, 2)
                gk[r, :, slot], gk[r, slot, :] = v[:, :, 0], v[:, :, 0]
                gk[r, :, m + slot], gk[r, m + slot, :] = v[:, :, 1], v[:, :, 1]
                if not every:
                    gram[k_idx] = gk
                stored[k_idx] += 1
                self.accept(idx, newx[done], newf[done], newg[done])
            self.stuck[act[~done]] = True

    def backtrack_with_gradient(self, act, d, slope):
        """Armijo backtracking from the unit step along ``d`` (halving, at most 40 times), each
        trial's value and gradient from one pass; a trial within rounding noise of the value
        with a smaller gradient is accepted too (as in :mod:`.local`).  Returns (done, points,
        values, gradients)."""
        xa, fa, gna = self.x[act], self.f[act], self.gn[act]
        t = np.ones(act.size)
        done = np.zeros(act.size, dtype=bool)
        newx, newf, newg = xa.copy(), fa.copy(), self.g[act].copy()
        pend = np.arange(act.size)
        for _k in range(40):
            trial = xa[pend] + t[pend, None] * d[pend]
            ft, gt = self.value_gradient(trial)
            ok = np.isfinite(ft) & (ft <= fa[pend] + 1e-4 * t[pend] * slope[pend])
            near = (~ok & np.isfinite(ft)
                    & (np.abs(ft - fa[pend]) <= _NOISE * (1.0 + np.abs(fa[pend]))))
            ok |= near & (np.linalg.norm(gt, axis=1) < gna[pend])
            hit = pend[ok]
            newx[hit], newf[hit], newg[hit], done[hit] = trial[ok], ft[ok], gt[ok], True
            pend = pend[~ok]
            if pend.size == 0:
                break
            t[pend] *= 0.5
        return done, newx, newf, newg

    def second_order(self, iterations: int) -> None:
        self.hessian_free(iterations)

    def hessian_free(self, iterations: int) -> None:
        mu = np.full(self.x.shape[0], 1e-3)
        for _ in range(_ROUNDS):
            before = self.stuck.copy()
            self.lbfgs(self.cfg.gradient_iterations)
            self.stuck = before       # where L-BFGS stopped short, truncated Newton tries next
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


def compact_lbfgs_product(g: np.ndarray, mem: np.ndarray, gram: np.ndarray,
                          count: np.ndarray) -> np.ndarray:
    """``H_k g`` for each row of ``g`` (shape (b, N)), ``H_k`` the L-BFGS inverse-Hessian
    approximation of the stored pairs, in the compact form of Byrd, Nocedal and Schnabel (1994):

        H_k = gam I + [S  gam Y] [[R^-T (D + gam Y^T Y) R^-1, -R^-T], [-R^-1, 0]] [S  gam Y]^T

    with R the upper triangle of ``S^T Y`` in time order, D its diagonal and
    ``gam = s^T y / y^T y`` of the newest pair (``min(1, 1 / |g|)`` with no pair).  ``mem``:
    (b, 2m, N), the steps ``s`` in rows ``0..m-1`` and the gradient changes ``y`` in rows
    ``m..2m-1``, circular (pair ``count - 1`` in slot ``(count - 1) % m``), unused slots zero;
    ``gram = mem mem^T``.  Equal (up to rounding) to the two-loop recursion
    (``tests/test_hvp.py`` checks it against one)."""
    b, m = mem.shape[0], mem.shape[1] // 2
    SY, YY = gram[:, :m, m:], gram[:, m:, m:]
    gn = np.linalg.norm(g, axis=1)
    age = (count[:, None] - 1 - np.arange(m)[None, :]) % m          # 0: the newest pair
    used = age < np.minimum(count, m)[:, None]
    older = (age[:, :, None] >= age[:, None, :]) & used[:, :, None] & used[:, None, :]
    R = np.where(older, SY, 0.0) + np.where(used, 0.0, 1.0)[:, :, None] * np.eye(m)
    Dg = np.where(used, np.einsum("bii->bi", SY), 0.0)
    newest = (count - 1) % m
    rows = np.arange(b)
    yy_n = YY[rows, newest, newest]
    gam = np.where(count > 0, SY[rows, newest, newest] / np.where(yy_n > 0, yy_n, 1.0),
                   np.minimum(1.0, 1.0 / np.maximum(gn, 1e-300)))
    MG = (mem @ g[:, :, None])[:, :, 0]                             # [S^T g, Y^T g]
    Sg, Yg = MG[:, :m], MG[:, m:]
    with np.errstate(all="ignore"):
        u = np.linalg.solve(R, Sg[:, :, None])[:, :, 0]
        w = np.einsum("bij,bj->bi", YY, u) * gam[:, None] + Dg * u - gam[:, None] * Yg
        p = np.linalg.solve(R.transpose(0, 2, 1), w[:, :, None])[:, :, 0]
        coef = np.concatenate([p, -gam[:, None] * u], axis=1)
        return gam[:, None] * g + (coef[:, None, :] @ mem)[:, 0, :]
