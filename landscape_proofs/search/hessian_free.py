"""Hessian-free local descent for large networks (float hints; never proofs).

Above :data:`HESSIAN_FREE_MIN_N` parameters the second-order method of :mod:`.local` (a dense
``N x N`` Hessian and a full ``eigh`` per point and iteration: at 2,048 parameters 80% of a
search) is replaced by: a first-order descent (L-BFGS, below), and, at each point whose
gradient became small, the smallest Hessian eigenpair from Lanczos on Hessian-vector products,
for a block of points at once
(:func:`landscape_proofs.numeric.hessian_free.batched_smallest_eigenpair`), at one point per
float group of gauge-equivalent points (:meth:`_HessianFreeRunner.grouped_curvature_check`:
congruent Hessians, the same inertia) and at every point of a group with negative curvature.
A significantly negative eigenvalue (below ``-curvature_tol (1 + max |lam|)``, the test of
:mod:`.local`) triggers the same escape, ``x +- a v_min`` on a geometric grid of step lengths,
and the descent goes on; otherwise the run has converged.  The statuses mean what they mean
in :mod:`.local`.

Far from criticality the truncated Newton step (up to 50 Hessian-vector products, each about two
gradients) is wasted work: a batched **L-BFGS** phase (Nocedal 1980; the compact form of Byrd,
Nocedal and Schnabel 1994 with the last ``_MEMORY`` steps, initial scaling ``s^T y / y^T y``)
comes first, and replaces the hybrid method's gradient warm-up.  Its iteration is one
value-and-gradient evaluation at the trial point (``BatchedDeepLinear.value_and_gradient``, a
single forward and backward pass) plus two passes over the ``(2 m, N)`` memory and O(N) vector
work, with Armijo backtracking from the unit step (rarely needed; a run whose unit step fails
tries the smaller steps in the next passes, beside the others' unit steps).  ``_WIDTH`` runs
move at a time; a finished run's place is taken by a waiting one.  A pair with
``s^T y <= 1e-12 |s| |y|`` (negative curvature) is not stored; a direction that is not a
descent direction resets the memory.  L-BFGS runs until the gradient is small or its line
search fails; only then do truncated Newton (for runs that stopped short) and the Lanczos
curvature test take over, with the escape; after an escape L-BFGS starts again with an empty
memory.
"""
from __future__ import annotations

import numpy as np

from landscape_proofs.budget import check_deadline
from landscape_proofs.numeric.hessian_free import batched_smallest_eigenpair
from landscape_proofs.search.local import (DescentConfig, DescentResult, Method, _NOISE,
                                           _Runner)

HESSIAN_FREE_MIN_N = 400   # parameters; below, the dense Hessian is cheaper (module constant)
_ROUNDS = 20               # escapes per run at most
_CG_ITERATIONS = 50        # conjugate-gradient steps per truncated Newton step
_MEMORY = 3               # L-BFGS pairs kept per run
_WIDTH = 32                # runs descending together (L-BFGS, Lanczos, escapes); more wait
_TRIALS = 8                # backtracking steps evaluated together in one pass


class _HessianFreeRunner(_Runner):
    def curvature_check(self, idx: np.ndarray) -> np.ndarray:
        """Lanczos at the points ``idx``, all at once (a block of starts shares each batched
        Hessian-vector product: :func:`batched_smallest_eigenpair`; the same recurrence per
        point in compiled code, :func:`.jit.smallest_eigenpairs`, where the compiled L-BFGS
        phase is loaded and covers the problem): sets lam_min / neg;
        returns the escape directions (rows; zero where there is no significant negative
        curvature)."""
        w, V, big = np.empty(idx.size), np.empty((idx.size, self.x.shape[1])), np.empty(idx.size)
        from landscape_proofs.search import jit     # compiled where the L-BFGS phase is
        lanczos = (jit.smallest_eigenpairs if jit.use_compiled_curvature(self.obj, V.shape[1])
                   else batched_smallest_eigenpair)
        for lo in range(0, idx.size, _WIDTH):       # blocks of _WIDTH points (memory)
            sl = slice(lo, lo + _WIDTH)
            w[sl], V[sl], big[sl], _steps = lanczos(self.obj, self.x[idx[sl]])
        ok = np.isfinite(w)                # no Ritz value: no curvature information
        self.lam_min[idx] = w
        neg = ok & (w < -self.cfg.curvature_tol * (1.0 + np.where(ok, big, 0.0)))
        self.neg[idx] = neg
        sign = np.where(np.einsum("bn,bn->b", V, self.g[idx]) > 0, -1.0, 1.0)
        return np.where(neg[:, None], sign[:, None] * V, 0.0)

    def grouped_curvature_check(self, idx: np.ndarray) -> np.ndarray:
        """:meth:`curvature_check` once per *float group* of the points ``idx`` instead of
        once per point: points whose gauge invariants agree (:func:`float_groups`) are taken to
        lie on one orbit of the symmetry group, a linear change of coordinates that maps the
        Hessian at one point to a congruent Hessian at the other, with the same inertia
        (Sylvester's law); so Lanczos runs at one representative per group.  Where the
        representative has no significant negative curvature, every member is taken as
        converged (its ``lam_min`` is the representative's); where it has, Lanczos runs at
        every member (each needs its own escape direction), so a saddle group is escaped
        member by member exactly as before.  The test is a float hint either way (it decides
        which runs get an escape; the exact stages after the search decide kinds)."""
        groups = float_groups(self.obj, self.x[idx], self.f[idx])
        reps = np.array([g[0] for g in groups], dtype=np.int64)
        dirs = np.zeros((idx.size, self.x.shape[1]))
        dirs[reps] = self.curvature_check(idx[reps])
        again = [g[1:] for g in groups if self.neg[idx[g[0]]] and g.size > 1]
        if again:
            rest = np.concatenate(again)
            dirs[rest] = self.curvature_check(idx[rest])
        for g in groups:
            if not self.neg[idx[g[0]]]:
                self.lam_min[idx[g[1:]]] = self.lam_min[idx[g[0]]]
                self.neg[idx[g[1:]]] = False
        return dirs

    def escape(self, idx: np.ndarray, dirs: np.ndarray) -> None:
        for lo in range(0, idx.size, _WIDTH):       # blocks of _WIDTH points (memory)
            self._escape(idx[lo:lo + _WIDTH], dirs[lo:lo + _WIDTH])

    def _escape(self, idx: np.ndarray, dirs: np.ndarray) -> None:
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
        small-gradient, dead or stuck; a failed line search marks the run stuck.

        Up to ``_WIDTH`` runs are copied into compact arrays; a run that stops (small gradient,
        divergence, failed line search, ``iterations`` steps) is written back and its slot is
        taken in place by the next waiting run (memory cleared), or dropped when none waits,
        so every iteration works on whole arrays (no fancy-indexed copies of the memories).
        A trial with a non-finite value is never accepted; ``|x|`` beyond ``cfg.bound`` is
        checked every 8 iterations and at the write-back (a pass over ``x`` each time).  The
        direction comes from the compact form (:func:`_lbfgs_direction`, equal to
        :func:`compact_lbfgs_product`) with ``[S Y]^T g`` carried over from the previous
        iteration and its small matrices (``R``, its diagonal, ``Y^T Y``, ``gamma``) updated as
        pairs arrive: after a step the new pair is stored first, then ``[S Y]^T g_new`` is one
        pass over the memory (the new pair's own entries included) and
        ``[S Y]^T y = [S Y]^T g_new - [S Y]^T g_old`` gives the new columns of ``R`` and
        ``Y^T Y`` for free, so an iteration reads the ``(2m, N)`` memory twice (that product and
        the direction's ``coef @ [S Y]``) plus one value-and-gradient pass."""
        queue = np.nonzero(~(self.small_gradient() | self.dead | self.stuck))[0]
        if queue.size == 0 or iterations <= 0:
            return
        from landscape_proofs.search import jit     # compiled where it covers the problem
        if jit.use_compiled(self.obj, self.x.shape[1], queue.size):
            return jit.lbfgs_compiled(self, queue, iterations, _MEMORY)
        m, cfg = _MEMORY, self.cfg
        ids, queue = queue[:_WIDTH], queue[_WIDTH:]
        b, N = ids.size, self.x.shape[1]
        x, f, g, gn = self.x[ids], self.f[ids], self.g[ids], self.gn[ids]
        its = np.zeros(b, dtype=np.int64)
        mem = np.zeros((b, 2 * m, N))            # rows 0..m-1: steps s, rows m..2m-1: y
        YY = np.zeros((b, m, m))                 # Y^T Y
        R = np.repeat(np.eye(m)[None], b, axis=0)   # S^T Y's upper time triangle (I: unused)
        Dd = np.zeros((b, m))                    # its diagonal s_i^T y_i (0: unused)
        gam = np.zeros(b)                        # s^T y / y^T y of the newest pair
        cnt = np.zeros(b, dtype=np.int64)        # pairs stored so far (slot = count % m)
        MG = np.zeros((b, 2 * m))                # [S Y]^T g for the current memory and g
        dead = np.zeros(b, dtype=bool)
        stuck = np.zeros(b, dtype=bool)
        back = np.zeros(b, dtype=np.int64)      # a run's next trial step is 2^-back
        sweep = 0

        def clear(sel):                          # forget the pairs of the slots sel
            cnt[sel], mem[sel], YY[sel], R[sel], Dd[sel], MG[sel] = 0, 0.0, 0.0, np.eye(m), \
                0.0, 0.0

        def write_back(sel):
            dead[sel] |= np.abs(x[sel]).max(axis=1) > cfg.bound
            r = ids[sel]
            self.x[r], self.f[r], self.g[r], self.gn[r] = x[sel], f[sel], g[sel], gn[sel]
            self.it[r] += its[sel]
            self.dead[r] |= dead[sel]
            self.stuck[r] |= stuck[sel]

        errors = np.seterr(all="ignore")      # for the whole loop (non-finite trials are
        try:                                  # rejected), not one context per operation
            while True:
                check_deadline()      # search --timeout: DeadlineExceeded ends this batch
                try:
                    d, slope = _lbfgs_direction(g, gn, MG, mem, R, Dd, YY, gam, cnt)
                except np.linalg.LinAlgError:     # a singular R: every memory afresh
                    clear(slice(None))
                    d, slope = _lbfgs_direction(g, gn, MG, mem, R, Dd, YY, gam, cnt)
                reset = ~((slope < 0) & (slope > -np.inf))   # not a descent direction
                if reset.any():                                 # forget, take the gradient
                    clear(reset)
                    d[reset] = -g[reset] * np.minimum(1.0, 1.0 / np.maximum(gn[reset],
                                                                       1e-300))[:, None]
                    slope[reset] = np.einsum("bn,bn->b", g[reset], d[reset])
                back_before = back.any()      # (else every trial step is 1: s = d)
                t, xt, ft, gt, gnt, ok, back = self._trial_steps(x, f, gn, d, slope, back)
                stuck |= back >= 40
                if ok.any():
                    a = np.nonzero(ok)[0]
                    whole = a.size == b
                    # every slot's products at once (a slot that did not move is masked out):
                    # cheaper than gathering the moved slots' memories
                    s_new = t[:, None] * d if back_before else d
                    y_new = gt - g
                    sy, yy = _dot(s_new, y_new), _dot(y_new, y_new)
                    keep = (ok & np.isfinite(sy) & np.isfinite(yy)
                            & (sy > 1e-12 * np.sqrt(_dot(s_new, s_new) * yy)))
                    r = np.nonzero(keep)[0]
                    if r.size:
                        slot = cnt[r] % m
                        mem[r, slot] = s_new[r]
                        mem[r, m + slot] = y_new[r]
                    # [S Y]^T g_new with the new pairs in place: their own entries are
                    # s^T g_new and y^T g_new; the others minus [S Y]^T g give S^T y, Y^T y
                    MGn = (mem @ gt[:, :, None])[:, :, 0]
                    if r.size:
                        colS = MGn[r, :m] - MG[r, :m]             # S^T y_new (old pairs)
                        colY = MGn[r, m:] - MG[r, m:]             # Y^T y_new
                        kr = np.arange(r.size)
                        colS[kr, slot] = sy[r]
                        colY[kr, slot] = yy[r]
                        YY[r, :, slot] = colY
                        YY[r, slot, :] = colY
                        R[r, slot, :] = 0.0       # the new pair is the newest: its row is
                        R[r, :, slot] = colS      # empty but for s^T y, its column full
                        Dd[r, slot] = sy[r]
                        gam[r] = sy[r] / yy[r]
                        cnt[r] += 1
                    if whole:
                        x, f, g, gn, MG = xt, ft, gt, gnt, MGn
                    else:
                        x[a], f[a], g[a], gn[a], MG[a] = xt[a], ft[a], gt[a], gnt[a], MGn[a]
                    its += ok                 # (an accepted value is finite: _acceptable)
                    sweep += 1
                    if sweep % 8 == 0:        # |x| beyond the bound: a pass over x, so not
                        big_x = np.maximum(x.max(axis=1), -x.min(axis=1)) > cfg.bound
                        dead |= big_x         # at every step (a finite value is)

                out = (stuck | dead | (gn <= cfg.gtol * (1.0 + np.abs(f)))
                       | (its >= iterations))
                if out.any():
                    write_back(out)
                    free = np.nonzero(out)[0]
                    new, queue = queue[:free.size], queue[free.size:]
                    if new.size:              # waiting runs take the freed slots in place
                        sl = free[:new.size]
                        ids[sl] = new
                        x[sl], f[sl], g[sl], gn[sl] = (self.x[new], self.f[new], self.g[new],
                                                       self.gn[new])
                        its[sl], dead[sl], stuck[sl], back[sl] = 0, False, False, 0
                        clear(sl)
                    gone = free[new.size:]
                    if gone.size:             # no run waits: the arrays shrink
                        k = np.ones(b, dtype=bool)
                        k[gone] = False
                        if not k.any():
                            b = 0             # every run written back already
                            return
                        ids, x, f, g, gn, its = ids[k], x[k], f[k], g[k], gn[k], its[k]
                        mem, YY, R, Dd, gam = mem[k], YY[k], R[k], Dd[k], gam[k]
                        cnt, MG = cnt[k], MG[k]
                        dead, stuck, back = dead[k], stuck[k], back[k]
                        b = ids.size
        finally:
            np.seterr(**errors)
            if ids.size and b:
                write_back(np.ones(b, dtype=bool))

    def _trial_steps(self, x, f, gn, d, slope, back):
        """One pass of Armijo backtracking for every run at once: a run with ``back = 0``
        tries the unit step along ``d``, one with ``back = 1`` the half step, one with
        ``back = k >= 2`` the steps ``2^-k .. 2^-(k+_TRIALS-1)`` (at most ``2^-39``) together;
        all trials' values and gradients come from one evaluation.  A run whose trials all fail
        does not move: it tries the next smaller steps in the next pass, beside the other runs'
        unit steps (its point, gradient and memory are unchanged, so it recomputes the same
        direction), instead of in a pass of its own; the step it finally takes is the one that
        halving one at a time would take (the largest acceptable), a trial within rounding noise
        of the value with a smaller gradient being acceptable too (as in :mod:`.local`).
        Returns (steps, points, values, gradients, gradient norms, accepted, the new ``back``:
        0 where accepted, >= 40 where every step down to ``2^-39`` failed)."""
        b = x.shape[0]
        if not back.any():                      # the common pass: unit steps only
            t = np.ones(b)
            xt = x + d
            ft, gt = self.value_gradient(xt)
            gnt = np.sqrt(_dot(gt, gt))
            ok = self._acceptable(ft, gnt, f, gn, slope, t)
            return t, xt, ft, gt, gnt, ok, np.where(ok, 0, 1)
        n = np.where(back < 2, 1, np.minimum(_TRIALS, 40 - back))
        first = np.cumsum(n) - n
        row = np.repeat(np.arange(b), n)
        steps = 0.5 ** (back[row] + np.arange(row.size) - first[row])
        trial = x[row]
        trial += steps[:, None] * d[row]
        fp, gp = self.value_gradient(trial)
        gnp = np.sqrt(_dot(gp, gp))
        okp = self._acceptable(fp, gnp, f[row], gn[row], slope[row], steps)
        pick = np.minimum.reduceat(np.where(okp, np.arange(row.size), row.size), first)
        ok = pick < row.size
        pick = np.where(ok, pick, first)
        return (steps[pick], trial[pick], fp[pick], gp[pick], gnp[pick], ok,
                np.where(ok, 0, back + n))

    @staticmethod
    def _acceptable(ft, gnt, f, gn, slope, t):
        fin = np.isfinite(ft)
        ok = fin & (ft <= f + 1e-4 * t * slope)
        if ok.all():
            return ok
        near = ~ok & fin & (np.abs(ft - f) <= _NOISE * (1.0 + np.abs(f)))
        return ok | (near & (gnt < gn))

    def run(self) -> DescentResult:
        """As :meth:`.local._Runner.run`, except that the hybrid method skips its gradient
        warm-up: the L-BFGS phase that starts :meth:`hessian_free` is a first-order method
        already, and its first step is the warm-up's (the scaled gradient, Armijo); the 30
        separate gradient steps (values and gradients in separate passes, backtracking on
        values alone) only cost time."""
        if self.cfg.method is Method.HYBRID:
            self.second_order(self.cfg.newton_iterations)
            return self.result()
        return super().run()

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
            dirs = self.grouped_curvature_check(todo)
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


def float_groups(obj, x: np.ndarray, f: np.ndarray, tol: float = 1e-6) -> list[np.ndarray]:
    """Partition the rows of ``x`` (points with values ``f``) into groups whose gauge
    invariants agree to ``tol`` relative to their size: the value, the end-to-end product
    ``R = W_H ... W_1`` (``d_H x d_0`` entries) and, per layer, ``|W_k|_F^2`` and
    ``|W_k W_k^T|_F^2``
    (the sums of the squared singular values and of their squares; invariant under the
    orthogonal gauge of a weight-decayed network, where critical points are balanced).  Points
    of one orbit always share a group; points of different orbits may share one only when
    all these agree.  Greedy: each group is the points within tolerance of its first (lowest
    index) ungrouped point, which is its representative (first in the returned array); at most
    ``b`` passes over the ``(b, 1 + d_H d_0 + 2 H)`` keys.  An objective that is not a chain of
    layers (no Hessian-vector products) gives one group per point."""
    b = x.shape[0]
    if b == 0:
        return []
    if not hasattr(obj, "hvp_vector"):
        return [np.array([i]) for i in range(b)]
    with np.errstate(all="ignore"):
        Ws = obj.unflatten(x)
        R = Ws[0]
        for W in Ws[1:]:
            R = W @ R
        cols = [f[:, None], R.reshape(b, -1)]
        for W in Ws:
            G = W @ np.swapaxes(W, 1, 2)
            cols += [np.einsum("bii->b", G)[:, None], np.einsum("bij,bij->b", G, G)[:, None]]
        key = np.concatenate(cols, axis=1)
    scale = tol * (1.0 + np.abs(key))
    left = np.ones(b, dtype=bool)
    out = []
    for i in range(b):
        if not left[i]:
            continue
        same = left & np.all(np.abs(key - key[i]) <= np.maximum(scale, scale[i]), axis=1)
        same[i] = True                       # a non-finite key is a group of its own
        members = np.nonzero(same)[0]
        left[members] = False
        out.append(members)
    return out


def compact_lbfgs_product(g: np.ndarray, mem: np.ndarray, gram: np.ndarray,
                          count: np.ndarray) -> np.ndarray:
    """``H_k g`` for each row of ``g`` (shape (b, N)), ``H_k`` the L-BFGS inverse-Hessian
    approximation of the stored pairs, in the compact form of Byrd, Nocedal and Schnabel (1994):

        H_k = gam I + [S  gam Y] [[R^-T (D + gam Y^T Y) R^-1, -R^-T], [-R^-1, 0]] [S  gam Y]^T

    with R the upper triangle of ``S^T Y`` in time order, D its diagonal and
    ``gam = s^T y / y^T y`` of the newest pair (``min(1, 1 / |g|)`` with no pair).  ``mem``:
    (b, 2m, N), the steps ``s`` in rows ``0..m-1`` and the gradient changes ``y`` in rows
    ``m..2m-1``, circular (pair ``count - 1`` in slot ``(count - 1) % m``), unused slots zero;
    ``gram`` holds ``mem mem^T`` (only its ``S^T Y`` block's upper time triangle and its
    ``Y^T Y`` block are read).  Equal (up to rounding) to the two-loop recursion
    (``tests/test_hvp.py`` checks it against one)."""
    MG = (mem @ g[:, :, None])[:, :, 0]                             # [S^T g, Y^T g]
    with np.errstate(all="ignore"):
        return _compact_direction(g, np.linalg.norm(g, axis=1), MG, mem, gram, count)


def _masks(m: int):
    """For each memory state ``key`` (``count`` if ``count < m``, else ``m + count % m``):
    which slots hold pairs, which (i, j) have pair i older than or as old as pair j, and the
    identity on the unused slots (so that R stays invertible)."""
    got = _MASKS.get(m)
    if got is None:
        used = np.zeros((2 * m, m), dtype=bool)
        older = np.zeros((2 * m, m, m), dtype=bool)
        for key in range(2 * m):
            count = key                              # key >= m: the same residue, a full memory
            age = (count - 1 - np.arange(m)) % m     # 0: the newest pair
            u = age < min(count, m)
            used[key] = u
            older[key] = (age[:, None] >= age[None, :]) & u[:, None] & u[None, :]
        eye_unused = (~used)[:, :, None] * np.eye(m)[None]
        got = _MASKS[m] = (used, older, eye_unused)
    return got


_MASKS: dict = {}


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two (b, N) arrays (``np.vecdot``, about twice as fast as
    ``einsum("bn,bn->b")`` on the search's arrays; ``einsum`` on NumPy < 2)."""
    return _VECDOT(a, b)


_VECDOT = getattr(np, "vecdot", None) or (lambda a, b: np.einsum("bn,bn->b", a, b))


def _lbfgs_direction(g, gn, MG, mem, R, Dd, YY, gam, count):
    """``(d, g^T d)`` with ``d = -H_k g``, the compact form of :func:`compact_lbfgs_product`
    from the small matrices the L-BFGS phase keeps up to date as pairs arrive (``R``: the upper
    time triangle of ``S^T Y``, the identity on unused slots; ``Dd`` its diagonal, 0 on unused
    slots; ``YY = Y^T Y``; ``gam`` of the newest pair) instead of rebuilding them from
    ``S^T Y`` and the slot ages at every iteration, and the slope from the coefficients."""
    m = R.shape[1]
    gm = np.where(count > 0, gam, np.minimum(1.0, 1.0 / np.maximum(gn, 1e-300)))
    u = np.linalg.solve(R, MG[:, :m, None])                          # R^-1 S^T g
    w = gm[:, None, None] * (YY @ u - MG[:, m:, None]) + Dd[:, :, None] * u
    p = np.linalg.solve(np.swapaxes(R, 1, 2), w)
    coef = np.concatenate([p[:, :, 0], -gm[:, None] * u[:, :, 0]], axis=1)
    d = ((-coef)[:, None, :] @ mem)[:, 0, :]
    d -= gm[:, None] * g
    return d, -(_dot(coef, MG) + gm * gn * gn)


def _compact_direction(g, gn, MG, mem, gram, count):
    """:func:`compact_lbfgs_product` with ``MG = [S Y]^T g`` and ``|g|`` given."""
    b, m = mem.shape[0], mem.shape[1] // 2
    used_t, older_t, eye_t = _masks(m)
    key = np.where(count < m, count, m + count % m)
    used = used_t[key]
    SY, YY = gram[:, :m, m:], gram[:, m:, m:]
    R = np.where(older_t[key], SY, 0.0) + eye_t[key]
    Dg = np.where(used, np.einsum("bii->bi", SY), 0.0)
    newest = (count - 1) % m
    rows = np.arange(b)
    yy_n = YY[rows, newest, newest]
    gam = np.where(count > 0, SY[rows, newest, newest] / np.where(yy_n > 0, yy_n, 1.0),
                   np.minimum(1.0, 1.0 / np.maximum(gn, 1e-300)))
    Sg, Yg = MG[:, :m, None], MG[:, m:]
    u = np.linalg.solve(R, Sg)                                      # (b, m, 1)
    w = gam[:, None] * ((YY @ u)[:, :, 0] - Yg) + Dg * u[:, :, 0]
    p = np.linalg.solve(np.swapaxes(R, 1, 2), w[:, :, None])[:, :, 0]
    coef = np.concatenate([p, -gam[:, None] * u[:, :, 0]], axis=1)
    out = (coef[:, None, :] @ mem)[:, 0, :]
    out += gam[:, None] * g
    return out
