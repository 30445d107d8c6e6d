"""The L-BFGS phase of the Hessian-free descent compiled with Numba (float hints; never proofs).

:meth:`landscape_proofs.search.hessian_free._HessianFreeRunner.lbfgs` moves up to 32 runs
together through NumPy; at [32, 32, 32] about a hundred NumPy calls per iteration (each a few
microseconds of fixed cost on 32 x 32 matrices) cost more than the products themselves.  Here
the whole phase of one run is one compiled call (:func:`_lbfgs_run`, ``@njit(cache=True)``):
the forward and backward pass of the deep linear network with the square loss
(:func:`_value_grad`; ``np.dot`` on contiguous 2-D arrays, i.e. BLAS), the L-BFGS direction
by the two-loop recursion over the same ``_MEMORY`` pairs (equal to the compact form
of the NumPy phase up to rounding, ``tests/test_hvp.py``), the same Armijo rule
(``f(x + t d) <= f + 1e-4 t g^T d``, or within rounding noise of ``f`` with a smaller
gradient), the same steps ``1, 1/2, ..., 2^-39`` (the NumPy phase tries several together;
both take the largest acceptable one), the same pair test (``s^T y > 1e-12 |s| |y|``), the same
reset to the scaled gradient when ``d`` is not a descent direction, and the same stops:
small gradient (``|g| <= gtol (1 + |f|)``), the iteration budget, a failed line search
(*stuck*), ``|x|`` beyond ``cfg.bound`` (*dead*; checked every eighth step and at the end).

Which problems: :func:`covers` -- one chain of ``H >= 2`` layers
(:class:`~landscape_proofs.numeric.float64.BatchedDeepLinear` itself) whose float64 loss kernel
is :class:`~landscape_proofs.losses.numeric_kernels.SquareKernel` of the residual (not of the
product), any ``X``, a scalar or per-entry weight decay, and at least :data:`JIT_MIN_N`
parameters (below, the compile or cache-load time would not pay); Numba is imported and the
functions loaded only once the process has run :data:`JIT_LOAD_WORK` parameters x runs of
covered L-BFGS phases in NumPy (:func:`use_compiled`), or by :func:`load`, after which every
covered phase of the process uses them.  Everything else,
and a missing Numba, keeps the NumPy phase.  The deadline of ``search --timeout`` is checked
between compiled chunks of :data:`_CHUNK` iterations.
"""
from __future__ import annotations

import importlib.util

import numpy as np

from landscape_proofs.budget import check_deadline
from landscape_proofs.losses.numeric_kernels import SquareKernel
from landscape_proofs.numeric.float64 import BatchedDeepLinear
from landscape_proofs.search.local import _NOISE

JIT_MIN_N = 400        # parameters (hessian_free.HESSIAN_FREE_MIN_N); tests lower it
# Loading costs about 0.6 s (importing Numba, reading the on-disk cache; about 10 s the first
# time, when it compiles) and saves about 1.7 us per parameter and run of a descent (docs/
# benchmarks.md, fifth round), so a search of 200 starts at [32, 32, 32] (a batch of 76 at a
# time) only breaks even.  Numba is loaded once the process's NumPy L-BFGS phases of covered
# problems have done this many parameters x runs (about 400 starts at [32, 32, 32], 2.5 s):
# a default search in a fresh process is never slowed, and a longer one (or a process running
# many) loads it once and runs compiled from then on.
JIT_LOAD_WORK = 800_000
WORK = {"numpy": 0}    # parameters x runs of covered phases run in NumPy so far
_CHUNK = 500           # iterations per compiled call; the deadline is checked between calls
_BUDGET, _SMALL, _STUCK, _DEAD = 0, 1, 2, 3   # why a compiled call returned

STATS = {"runs": 0, "iterations": 0, "evaluations": 0}   # what the compiled phase did (benchmarks)

_KERNELS: dict = {}


def available() -> bool:
    """Numba can be imported (looked up once; nothing is imported here)."""
    got = _KERNELS.get("available")
    if got is None:
        got = _KERNELS["available"] = importlib.util.find_spec("numba") is not None
    return got


def covers(obj, n_params: int) -> bool:
    """The compiled phase handles ``obj``: one chain of at least two layers with the square
    loss of the residual (any X, scalar or per-entry decay), at least :data:`JIT_MIN_N`
    parameters, and Numba importable."""
    return (type(obj) is BatchedDeepLinear and type(obj.kernel) is SquareKernel
            and not obj.over_product and obj.H >= 2 and n_params >= JIT_MIN_N
            and available())


def use_compiled(obj, n_params: int, runs: int) -> bool:
    """Whether the L-BFGS phase of ``runs`` runs on ``obj`` runs compiled: where
    :func:`covers` holds and the compiled functions are loaded already, or the NumPy phases of
    covered problems in this process have reached :data:`JIT_LOAD_WORK` parameters x runs
    (then they are loaded now); otherwise this phase's work is added to that count and it runs
    in NumPy.  A search never pays the load unless it (or the process) is large enough."""
    if not covers(obj, n_params):
        return False
    if "lbfgs" in _KERNELS or WORK["numpy"] >= JIT_LOAD_WORK:
        return True
    WORK["numpy"] += runs * n_params
    return False


def load() -> bool:
    """Import Numba and compile (or load from the on-disk cache) the compiled phase now, so
    that later phases of any size use it; False when Numba is missing."""
    if not available():
        return False
    _kernels()
    return True


class _Layout:
    """The objective's data in the arrays the compiled functions take."""

    def __init__(self, obj: BatchedDeepLinear):
        w = np.asarray(obj.widths, dtype=np.int64)
        self.widths = w
        self.offs = np.asarray(obj.offsets, dtype=np.int64)
        self.poff = np.concatenate([[0], np.cumsum(w[1:] * w[0])]).astype(np.int64)
        self.xid = bool(obj._x_identity)
        X = np.eye(w[0]) if obj.X is None else obj.X
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.XT = np.ascontiguousarray(self.X.T)
        self.Y = np.ascontiguousarray(obj.Y, dtype=np.float64)
        if obj.decay_blocks is not None:
            self.decay, self.lam = np.concatenate([L.ravel() for L in obj.decay_blocks]), 0.0
        else:
            self.decay, self.lam = np.empty(0), float(obj.lam)
        self.work = np.empty(int(self.poff[-1]))

    def args(self):
        return (self.widths, self.offs, self.poff, self.work, self.X, self.XT, self.Y,
                self.xid, self.decay, self.lam)


def _layout(obj) -> _Layout:
    got = getattr(obj, "_jit_layout", None)
    if got is None:
        got = _Layout(obj)
        try:
            obj._jit_layout = got
        except AttributeError:
            pass
    return got


# -- the compiled module (plain Python here; compiled by _kernels() on first use) -----------------
def _value_grad_py(x, g, widths, offs, poff, pw, X, XT, Y, xid, decay, lam):
    """L(x) (returned) and its gradient written into ``g``: the formulas of
    ``numeric/float64.py``: prefixes ``P_k = W_k ... W_1``, ``E = P_H X - Y``,
    ``G = E X^T``, ``D_H = G``, ``dL/dW_k = D_k P_{k-1}^T + decay * W_k``,
    ``D_{k-1} = W_k^T D_k``; ``decay`` per entry, or (empty) the scalar ``lam``."""
    H = widths.size - 1
    d0 = widths[0]
    P = x[offs[0]:offs[0] + widths[1] * d0].reshape(widths[1], d0)     # P_1 = W_1
    for k in range(1, H):
        r, c = widths[k + 1], widths[k]
        W = x[offs[k]:offs[k] + r * c].reshape(r, c)
        Pk = pw[poff[k]:poff[k + 1]].reshape(r, d0)
        np.dot(W, P, Pk)
        P = Pk
    if xid:
        E = P - Y
    else:
        E = np.dot(P, X) - Y
    Ef = E.ravel()
    value = 0.5 * _dot(Ef, Ef)
    if xid:
        D = E
    else:
        D = np.dot(E, XT)
    for k in range(H - 1, -1, -1):
        r, c = widths[k + 1], widths[k]
        gk = g[offs[k]:offs[k] + r * c].reshape(r, c)
        if k == 0:
            gk[:, :] = D
        else:
            if k == 1:
                Pp = x[offs[0]:offs[0] + c * d0].reshape(c, d0)
            else:
                Pp = pw[poff[k - 1]:poff[k]].reshape(c, d0)
            np.dot(D, Pp.T, gk)
            W = x[offs[k]:offs[k] + r * c].reshape(r, c)
            D = np.dot(W.T, D)
    if decay.size:
        a = decay * x
        _axpy(1.0, a, g)
        return value + 0.5 * _dot(a, x)
    if lam != 0.0:
        _axpy(lam, x, g)
        return value + 0.5 * lam * _dot(x, x)
    return value


def _axpy_py(alpha, a, b):
    """b += alpha a (alpha a scalar argument: the loop vectorises)."""
    for i in range(a.size):
        b[i] += alpha * a[i]


def _scale_py(alpha, a):
    for i in range(a.size):
        a[i] *= alpha


def _dot_py(a, b):
    return np.dot(a, b)        # BLAS ddot: a vectorised sum (a plain loop's is sequential)


def _lbfgs_run_py(x, g, S, Yp, rho, ist, fst, limit, gtol, bound, noise,
                  widths, offs, poff, pw, X, XT, Y, xid, decay, lam):
    """L-BFGS from ``x`` (value ``fst[0]``, gradient ``g``, its norm ``fst[1]``) for at most
    ``limit`` accepted steps, in place; the memory (``S``, ``Yp``: (m + 1, N) circular, pair
    ``ist[0] - 1`` in row ``(ist[0] - 1) % (m + 1)``, the last m pairs in use, the next pair
    written straight into the free row and kept or not by the pair test; ``rho = 1 / s^T y``;
    ``fst[2]`` the newest
    pair's ``s^T y / y^T y``) carries over between calls.  ``ist[1]`` counts accepted steps and
    ``ist[2]`` value-and-gradient evaluations.  Returns why it stopped (_BUDGET, _SMALL,
    _STUCK, _DEAD)."""
    ring, N = S.shape            # m + 1 rows: the m pairs in use and the next one's row
    m = ring - 1
    a = np.empty(m)
    q = np.empty(N)
    xc, gc = x, g                # the current point and gradient; the trial's buffers swap
    xt, gt = np.empty(N), np.empty(N)     # with them when a step is accepted
    f, gn = fst[0], fst[1]
    steps = 0
    while True:
        if gn <= gtol * (1.0 + abs(f)):
            code = 1
            break
        if steps >= limit:
            code = 0
            break
        cnt = ist[0]
        k = min(cnt, m)
        gm = fst[2] if cnt > 0 else min(1.0, 1.0 / max(gn, 1e-300))
        # the two-loop recursion over the pairs newest (j = 0) to oldest and back, each pass
        # one update of q fused with the next dot product; q ends as -r of the usual
        # recursion (scaled by -gm where the first loop ends), i.e. the direction d = -H g
        if k == 0:
            slope = _update_dot(-gm, gc, 0.0, gc, q, gc)
        else:
            s = (cnt - 1) % ring
            a[0] = rho[s] * _dot(S[s], gc)
            for j in range(k):
                s = (cnt - 1 - j) % ring
                if j < k - 1:
                    nxt = (cnt - 2 - j) % ring
                    if j == 0:
                        acc = _update_dot(1.0, gc, -a[j], Yp[s], q, S[nxt])
                    else:
                        acc = _update_dot_q(1.0, -a[j], Yp[s], q, S[nxt])
                    a[j + 1] = rho[nxt] * acc
                else:                             # q = -gm (q - a y), and y^T q
                    if j == 0:
                        acc = _update_dot(-gm, gc, -a[j], Yp[s], q, Yp[s])
                    else:
                        acc = _update_dot_q(-gm, -a[j], Yp[s], q, Yp[s])
                    beta = rho[s] * acc
            slope = 0.0
            for j in range(k - 1, -1, -1):       # r += (a - beta) s, i.e. q -= (a + beta) s
                s = (cnt - 1 - j) % ring
                if j > 0:
                    nxt = (cnt - j) % ring
                    beta = rho[nxt] * _update_dot_q(1.0, -(beta + a[j]), S[s], q, Yp[nxt])
                else:
                    slope = _update_dot_q(1.0, -(beta + a[j]), S[s], q, gc)
        if not (slope < 0.0 and slope > -np.inf):   # not a descent direction: forget
            ist[0] = 0
            slope = _update_dot(-min(1.0, 1.0 / max(gn, 1e-300)), gc, 0.0, gc, q, gc)
        t = 1.0
        ok = False
        ft = 0.0
        gnt = 0.0
        for _trial in range(40):                  # 1, 1/2, ..., 2^-39: the largest acceptable
            _step(xc, t, q, xt)
            ft = _value_grad(xt, gt, widths, offs, poff, pw, X, XT, Y, xid, decay, lam)
            ist[2] += 1
            gnt = np.sqrt(_dot(gt, gt))
            if np.isfinite(ft):
                if ft <= f + 1e-4 * t * slope:
                    ok = True
                elif abs(ft - f) <= noise * (1.0 + abs(f)) and gnt < gn:
                    ok = True
            if ok:
                break
            t *= 0.5
        if not ok:
            code = 2
            break
        s = ist[0] % ring            # the free row (pair count - m - 1 is no longer used)
        sy, yy, ss = _pair(t, q, gt, gc, S[s], Yp[s])   # s = t d, y = g_new - g, their dots
        if np.isfinite(sy) and np.isfinite(yy) and sy > 1e-12 * np.sqrt(ss * yy):
            cnt = ist[0]
            rho[s] = 1.0 / sy
            fst[2] = sy / yy
            ist[0] = cnt + 1
        xc, xt = xt, xc
        gc, gt = gt, gc
        f, gn = ft, gnt
        steps += 1
        ist[1] += 1
        if ist[1] % 8 == 0 and np.abs(xc).max() > bound:   # (a pass over x: every 8th step,
            code = 3                                       # as the NumPy phase; and at the end)
            break
    if xc is not x:
        x[:] = xc
        g[:] = gc
    fst[0], fst[1] = f, gn
    return code


def _step_py(x, t, d, out):
    for i in range(x.size):
        out[i] = x[i] + t * d[i]


def _pair_py(t, d, g_new, g, s, y):
    sy = 0.0
    yy = 0.0
    ss = 0.0
    for i in range(d.size):
        si = t * d[i]
        yi = g_new[i] - g[i]
        s[i] = si
        y[i] = yi
        sy += si * yi
        yy += yi * yi
        ss += si * si
    return sy, yy, ss


def _update_dot_q_py(c, alpha, y, q, w):
    """``q = c (q + alpha y)`` and ``w^T q``, in one pass (``w`` may be ``y``)."""
    acc = 0.0
    for i in range(q.size):
        v = c * (q[i] + alpha * y[i])
        q[i] = v
        acc += w[i] * v
    return acc


def _update_dot_py(c, src, alpha, y, q, w):
    """``q = c (src + alpha y)`` and ``w^T q``, in one pass (``q`` a separate array: an
    aliased source would keep the loop from vectorising)."""
    acc = 0.0
    for i in range(q.size):
        v = c * (src[i] + alpha * y[i])
        q[i] = v
        acc += w[i] * v
    return acc


def _kernels():
    """The compiled functions (Numba imported and the module compiled, or loaded from the
    on-disk cache, on the first call)."""
    got = _KERNELS.get("lbfgs")
    if got is None:
        import numba
        g = globals()
        try:                       # a cache beside the module, or Numba's user-wide one
            numba.njit(cache=True)(_dot_py)
            cache = True
        except RuntimeError:       # "no locator available": nowhere to write; compile each time
            cache = False
        jit = numba.njit(cache=cache)
        g["_dot"] = jit(_dot_py)
        g["_axpy"] = jit(_axpy_py)
        g["_scale"] = jit(_scale_py)
        g["_step"] = jit(_step_py)
        # fused passes that sum: reassociation lets the sums vectorise (rounding order only;
        # no assumption about infinities or nans, which the line search tests)
        fused = numba.njit(cache=cache, fastmath={"reassoc", "contract"})
        g["_pair"] = fused(_pair_py)
        g["_update_dot"] = fused(_update_dot_py)
        g["_update_dot_q"] = fused(_update_dot_q_py)
        g["_value_grad"] = jit(_value_grad_py)
        got = _KERNELS["lbfgs"] = (jit(_lbfgs_run_py), g["_value_grad"])
    return got


_dot, _axpy, _scale = _dot_py, _axpy_py, _scale_py   # compiled versions: _kernels()
_step, _pair, _update_dot, _update_dot_q = _step_py, _pair_py, _update_dot_py, _update_dot_q_py
_value_grad = _value_grad_py


def value_and_gradient(obj, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The compiled objective at the rows of ``x`` (B, N): values (B,) and gradients (B, N),
    as ``obj.value_and_gradient`` (for the tests; ``obj`` as :func:`covers`, any size)."""
    vg = _kernels()[1]
    lay = _layout(obj)
    x = np.ascontiguousarray(x, dtype=np.float64)
    G = np.empty_like(x)
    v = np.array([vg(x[i], G[i], *lay.args()) for i in range(x.shape[0])])
    return v, G


def lbfgs_compiled(runner, queue: np.ndarray, iterations: int, memory: int) -> None:
    """The L-BFGS phase of :meth:`~landscape_proofs.search.hessian_free._HessianFreeRunner.lbfgs`
    for the runs ``queue`` of ``runner``, one compiled call per run and chunk of
    :data:`_CHUNK` iterations; each run is written back as it finishes (stuck, diverged, or
    out of iterations, as there)."""
    run = _kernels()[0]
    lay = _layout(runner.obj)
    args = lay.args()
    cfg = runner.cfg
    N = runner.x.shape[1]
    S, Yp, rho = np.zeros((memory + 1, N)), np.zeros((memory + 1, N)), np.zeros(memory + 1)
    ist = np.zeros(3, dtype=np.int64)
    fst = np.zeros(3)
    for r in queue:
        x, g = runner.x[r].copy(), runner.g[r].copy()
        ist[:] = 0
        fst[:] = runner.f[r], runner.gn[r], 0.0
        code = _BUDGET
        try:
            while code == _BUDGET and ist[1] < iterations:
                check_deadline()      # search --timeout: DeadlineExceeded ends this batch
                code = run(x, g, S, Yp, rho, ist, fst, min(_CHUNK, iterations - ist[1]),
                           cfg.gtol, cfg.bound, _NOISE, *args)
        finally:
            runner.x[r], runner.g[r], runner.f[r], runner.gn[r] = x, g, fst[0], fst[1]
            runner.it[r] += ist[1]
            runner.dead[r] |= code == _DEAD or np.abs(x).max() > cfg.bound
            runner.stuck[r] |= code == _STUCK
            STATS["runs"] += 1
            STATS["iterations"] += int(ist[1])
            STATS["evaluations"] += int(ist[2])
