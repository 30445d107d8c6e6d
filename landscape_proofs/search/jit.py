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
covered L-BFGS phases in NumPy (:func:`use_compiled`), or by :func:`load`, or at once when a
search expects to save more than a load from a present on-disk cache costs (:func:`expect`,
:func:`cache_present`), after which every covered phase of the process uses them.  Everything
else, and a missing Numba, keeps the NumPy phase.  The deadline of ``search --timeout`` is
checked between compiled chunks of iterations, 1 at first, doubled while a chunk takes under
0.05 s, up to :data:`_CHUNK` (so a large problem meets its deadline within about 0.1 s).

The curvature test after the descent is compiled too (:func:`smallest_eigenpairs`: the Lanczos
recurrence of ``numeric/hessian_free.batched_smallest_eigenpair`` per point, on the compiled
Hessian-vector product :func:`_hvp_py`), and runs so wherever the L-BFGS phase is loaded
(:func:`use_compiled_curvature`).
"""
from __future__ import annotations

import importlib.util
import time

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
# With the on-disk cache present, a search that expects to save more than the load loads at
# once (:func:`expect`): measured on [32, 32, 32] (docs/benchmarks.md, sixth round)
JIT_SAVING = 1.7e-6    # seconds saved per parameter x run of a descent, compiled
JIT_WARM_LOAD = 0.6    # seconds to import Numba and load the compiled functions from the cache
WORK = {"numpy": 0}    # parameters x runs of covered phases run in NumPy so far
_CHUNK = 500           # iterations per compiled call; the deadline is checked between calls
_BUDGET, _SMALL, _STUCK, _DEAD = 0, 1, 2, 3   # why a compiled call returned

STATS = {"runs": 0, "iterations": 0, "evaluations": 0,   # what the compiled phase did
         "lanczos_points": 0, "lanczos_steps": 0}          # (benchmarks)

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


def expect(obj, n_params: int, runs: int) -> bool:
    """Told by a search before it descends ``runs`` starts on ``obj``: load the compiled
    functions now (True) when :func:`covers` holds, the descent is Hessian-free
    (``n_params >`` :data:`JIT_MIN_N`, equal to ``hessian_free.HESSIAN_FREE_MIN_N``: at or
    below it the dense method runs), their on-disk cache is present and fresh
    (:func:`cache_present`: loading then costs about :data:`JIT_WARM_LOAD` seconds, not a
    compile) and the expected saving, :data:`JIT_SAVING` seconds per parameter x run, exceeds
    that; otherwise nothing changes and :func:`use_compiled`'s deferred rule applies (a cold
    compile is never paid for a small search)."""
    if "lbfgs" in _KERNELS or n_params <= JIT_MIN_N or not covers(obj, n_params):
        return "lbfgs" in _KERNELS
    if runs * n_params * JIT_SAVING <= JIT_WARM_LOAD or not cache_present():
        return False
    return load()


def _cache_dir() -> str | None:
    """Where Numba keeps (or would write) this module's on-disk cache: the directory of
    ``NUMBA_CACHE_DIR`` if set, else ``__pycache__`` beside this file when it can be written,
    else the user-wide cache (``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``), each with
    Numba's sub-path (the parent directory's name and the SHA-1 of its path); None when a
    custom locator is configured (``NUMBA_CACHE_LOCATOR_CLASSES``: not predicted)."""
    import hashlib
    import os

    if os.environ.get("NUMBA_CACHE_LOCATOR_CLASSES"):
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    sub = os.path.basename(here) + "_" + hashlib.sha1(here.encode()).hexdigest()
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.path.join(os.environ["NUMBA_CACHE_DIR"], sub)
    tree = os.path.join(here, "__pycache__")
    if os.access(tree if os.path.isdir(tree) else here, os.W_OK):
        return tree
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "numba", sub)


def cache_present() -> bool:
    """The on-disk cache of the compiled entry points (:func:`_lbfgs_run_py`,
    :func:`_lanczos_py`) is there and fresh, as Numba will judge it: an index file per
    function (``jit.<name>-<line>.py<version>.nbi``) written by the installed Numba version
    for this file's current contents (its SHA-256 digest, Numba's source stamp, is in the
    index), and a data file beside it.  Read without importing Numba (a few milliseconds);
    answered once per process."""
    got = _KERNELS.get("cache_present")
    if got is None:
        got = _KERNELS["cache_present"] = _cache_is_present()
    return got


def _cache_is_present() -> bool:
    import hashlib
    import importlib.metadata
    import os
    import pickle
    import sys

    where = _cache_dir()
    if where is None or not available():
        return False
    try:
        version = importlib.metadata.version("numba")
        with open(__file__, "rb") as f:
            stamp = hashlib.sha256(f.read()).digest()
        tag = "py%d%d%s" % (sys.version_info[0], sys.version_info[1], getattr(sys, "abiflags", ""))
        for fn in (_lbfgs_run_py, _lanczos_py):
            base = "jit.%s-%d.%s" % (fn.__name__, fn.__code__.co_firstlineno, tag)
            with open(os.path.join(where, base + ".nbi"), "rb") as f:
                # the first pickle is Numba's version string (a str: safe to read); the rest
                # (the stamp and the overloads) is only searched for the stamp, not unpickled
                if pickle.load(f) != version or stamp not in f.read():
                    return False
            if not any(name.startswith(base + ".") and name.endswith(".nbc")
                       for name in os.listdir(where)):
                return False
    except (OSError, ValueError, EOFError, pickle.UnpicklingError,
            importlib.metadata.PackageNotFoundError):
        return False
    return True


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
    for k in range(H - 1, 0, -1):
        r, c = widths[k + 1], widths[k]
        gk = g[offs[k]:offs[k] + r * c].reshape(r, c)
        if k == 1:
            Pp = x[offs[0]:offs[0] + c * d0].reshape(c, d0)
        else:
            Pp = pw[poff[k - 1]:poff[k]].reshape(c, d0)
        np.dot(D, Pp.T, gk)
        W = x[offs[k]:offs[k] + r * c].reshape(r, c)
        if k == 1:                # D_1 = W_2^T D_2 is the first layer's gradient: in place
            np.dot(W.T, D, g[offs[0]:offs[0] + c * d0].reshape(c, d0))
        else:
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



# -- the Hessian-vector product and the Lanczos curvature test, compiled --------------------------
def _hvp_prepare_py(x, P, D, widths, offs, poff, X, XT, Y, xid):
    """What the Hessian-vector products at ``x`` share (``numeric/float64.py``'s
    ``hvp_operator``): the prefixes ``P_k = W_k ... W_0`` (0-based layers; slot ``k`` of the
    ``poff`` layout, ``(d_{k+1}, d_0)``) and the backward chain ``D_{H-1} = G = E X^T``,
    ``D_{k-1} = W_k^T D_k`` (the same slots)."""
    H = widths.size - 1
    d0 = widths[0]
    P[poff[0]:poff[1]] = x[offs[0]:offs[0] + widths[1] * d0]
    for k in range(1, H):
        r, c = widths[k + 1], widths[k]
        W = x[offs[k]:offs[k] + r * c].reshape(r, c)
        np.dot(W, P[poff[k - 1]:poff[k]].reshape(c, d0), P[poff[k]:poff[k + 1]].reshape(r, d0))
    last = P[poff[H - 1]:poff[H]].reshape(widths[H], d0)
    G = D[poff[H - 1]:poff[H]].reshape(widths[H], d0)
    if xid:
        G[:, :] = last - Y
    else:
        np.dot(np.dot(last, X) - Y, XT, G)
    for k in range(H - 1, 0, -1):
        r, c = widths[k + 1], widths[k]
        W = x[offs[k]:offs[k] + r * c].reshape(r, c)
        np.dot(W.T, D[poff[k]:poff[k + 1]].reshape(r, d0), D[poff[k - 1]:poff[k]].reshape(c, d0))


def _hvp_py(x, v, out, P, D, dP, ta, tb, tc, widths, offs, poff, X, XT, xid, decay, lam):
    """``out = H(x) v`` for the square loss of the residual (its second derivative is the
    identity), after :func:`_hvp_prepare` at ``x``: the formulas of ``hvp_operator``,
    ``dP_0 = V_0``, ``dP_k = V_k P_{k-1} + W_k dP_{k-1}``, ``dE = dP_{H-1} X``,
    ``dD_{H-1} = dE X^T``, and down the layers ``d(grad_k) = dD_k P_{k-1}^T + D_k dP_{k-1}^T
    + decay * V_k``, ``dD_{k-1} = W_k^T dD_k + V_k^T D_k`` (``ta``, ``tb``, ``tc``: scratch
    vectors of at least ``max d_k x max(d_0, n)`` entries)."""
    H = widths.size - 1
    d0 = widths[0]
    for k in range(1, H):
        r, c = widths[k + 1], widths[k]
        V = v[offs[k]:offs[k] + r * c].reshape(r, c)
        W = x[offs[k]:offs[k] + r * c].reshape(r, c)
        if k == 1:
            dPp = v[offs[0]:offs[0] + c * d0].reshape(c, d0)
        else:
            dPp = dP[poff[k - 1]:poff[k]].reshape(c, d0)
        dPk = dP[poff[k]:poff[k + 1]].reshape(r, d0)
        np.dot(V, P[poff[k - 1]:poff[k]].reshape(c, d0), dPk)
        t = ta[:r * d0].reshape(r, d0)
        np.dot(W, dPp, t)
        dPk += t
    dH = widths[H]
    if H == 1:
        dPl = v[offs[0]:offs[0] + dH * d0].reshape(dH, d0)
    else:
        dPl = dP[poff[H - 1]:poff[H]].reshape(dH, d0)
    dD = tb[:dH * d0].reshape(dH, d0)
    if xid:
        dD[:, :] = dPl
    else:
        np.dot(np.dot(dPl, X), XT, dD)
    spare = tc
    for k in range(H - 1, -1, -1):
        r, c = widths[k + 1], widths[k]
        ok = out[offs[k]:offs[k] + r * c].reshape(r, c)
        if k == 0:
            ok[:, :] = dD
            break
        V = v[offs[k]:offs[k] + r * c].reshape(r, c)
        W = x[offs[k]:offs[k] + r * c].reshape(r, c)
        Dk = D[poff[k]:poff[k + 1]].reshape(r, d0)
        if k == 1:
            Pp = P[poff[0]:poff[1]].reshape(c, d0)
            dPp = v[offs[0]:offs[0] + c * d0].reshape(c, d0)
        else:
            Pp = P[poff[k - 1]:poff[k]].reshape(c, d0)
            dPp = dP[poff[k - 1]:poff[k]].reshape(c, d0)
        np.dot(dD, Pp.T, ok)
        t = ta[:r * c].reshape(r, c)
        np.dot(Dk, dPp.T, t)
        ok += t
        if k == 1:                # dD_0 is the first layer's block of the product: in place
            nxt = out[offs[0]:offs[0] + c * d0].reshape(c, d0)
        else:
            nxt = spare[:c * d0].reshape(c, d0)
        np.dot(W.T, dD, nxt)
        t2 = ta[:c * d0].reshape(c, d0)
        np.dot(V.T, Dk, t2)
        nxt += t2
        if k == 1:
            break
        spare = dD.ravel()
        dD = nxt
    if decay.size:
        for i in range(v.size):
            out[i] += decay[i] * v[i]
    elif lam != 0.0:
        _axpy(lam, v, out)


def _sturm2_py(alpha, beta, n, s0, s1, pivmin):
    """How many eigenvalues of the tridiagonal ``T`` (diagonal ``alpha[:n]``, off-diagonal
    ``beta[:n-1]``) lie below ``s0`` and below ``s1``: the negative pivots of
    ``T - s I = L D L^T`` (Sylvester; a pivot below ``pivmin`` in size counts as ``-pivmin``,
    as LAPACK's ``dstebz``), both shifts in one pass (two independent recurrences: the
    divisions overlap instead of waiting for each other)."""
    c0 = 0
    c1 = 0
    d0 = alpha[0] - s0
    d1 = alpha[0] - s1
    for i in range(n):
        if i > 0:
            b2 = beta[i - 1] * beta[i - 1]
            d0 = alpha[i] - s0 - b2 / d0
            d1 = alpha[i] - s1 - b2 / d1
        if abs(d0) < pivmin:
            d0 = -pivmin
        if abs(d1) < pivmin:
            d1 = -pivmin
        if d0 < 0.0:
            c0 += 1
        if d1 < 0.0:
            c1 += 1
    return c0, c1


def _ritz_py(alpha, beta, n, s):
    """The smallest and the largest eigenvalue of the Lanczos matrix ``T_n`` (bisection on
    :func:`_sturm2` inside Gershgorin's interval, to a few units of rounding of ``|T|``), and
    in ``s[:n]`` a unit eigenvector of the smallest (inverse iteration: three solves with
    ``T - theta I`` by Gaussian elimination with partial pivoting, LAPACK's ``dgttrf``)."""
    lo = np.inf
    hi = -np.inf
    bmax = 0.0
    for i in range(n):
        r = 0.0
        if i > 0:
            r += abs(beta[i - 1])
        if i < n - 1:
            r += abs(beta[i])
            bmax = max(bmax, beta[i] * beta[i])
        lo = min(lo, alpha[i] - r)
        hi = max(hi, alpha[i] + r)
    norm = max(abs(lo), abs(hi))
    pivmin = 2.2250738585072014e-308 * max(1.0, bmax)
    atol = 4.0 * 2.220446049250313e-16 * norm + pivmin
    ends = np.empty(2)
    a0, b0, a1, b1 = lo, hi, lo, hi          # brackets of the smallest and of the largest
    eps = 2.220446049250313e-16
    for _it in range(200):
        open0 = b0 - a0 > max(atol, eps * max(abs(a0), abs(b0)))
        open1 = b1 - a1 > max(atol, eps * max(abs(a1), abs(b1)))
        if not (open0 or open1):
            break
        m0, m1 = 0.5 * (a0 + b0), 0.5 * (a1 + b1)
        c0, c1 = _sturm2(alpha, beta, n, m0, m1, pivmin)   # both counts in one pass
        if open0:
            if c0 >= 1:
                b0 = m0
            else:
                a0 = m0
        if open1:
            if c1 >= n:
                b1 = m1
            else:
                a1 = m1
    ends[0], ends[1] = 0.5 * (a0 + b0), 0.5 * (a1 + b1)
    theta = ends[0]
    if n == 1:
        s[0] = 1.0
        return ends[0], ends[1]
    d = np.empty(n)
    dl = np.empty(n - 1)
    du = np.empty(n - 1)
    du2 = np.zeros(n)
    swap = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        d[i] = alpha[i] - theta
    for i in range(n - 1):
        dl[i] = beta[i]
        du[i] = beta[i]
    small = 2.220446049250313e-16 * max(norm, 1e-300)
    for i in range(n - 1):                    # T - theta I = P L U, U with two superdiagonals
        if abs(d[i]) >= abs(dl[i]):
            if d[i] == 0.0:
                d[i] = small
            f = dl[i] / d[i]
            dl[i] = f
            d[i + 1] -= f * du[i]
        else:
            swap[i] = True
            f = d[i] / dl[i]
            d[i] = dl[i]
            dl[i] = f
            tmp = du[i]
            du[i] = d[i + 1]
            d[i + 1] = tmp - f * d[i + 1]
            if i < n - 2:
                du2[i] = du[i + 1]
                du[i + 1] = -f * du[i + 1]
    if d[n - 1] == 0.0:
        d[n - 1] = small
    for i in range(n):                        # a fixed start with no special structure
        s[i] = 1.0 + 0.5 * np.sin(1.0 + 7.0 * i)
    for _it in range(3):
        for i in range(n - 1):
            if swap[i]:
                tmp = s[i]
                s[i] = s[i + 1]
                s[i + 1] = tmp - dl[i] * s[i]
            else:
                s[i + 1] -= dl[i] * s[i]
        s[n - 1] /= d[n - 1]
        s[n - 2] = (s[n - 2] - du[n - 2] * s[n - 1]) / d[n - 2]
        for i in range(n - 3, -1, -1):
            s[i] = (s[i] - du[i] * s[i + 1] - du2[i] * s[i + 2]) / d[i]
        nrm = np.sqrt(_dot(s[:n], s[:n]))
        for i in range(n):
            s[i] /= nrm
    return ends[0], ends[1]


def _lanczos_step_py(w, a, q, b, p):
    """``w += a q + b p`` and ``|w|^2``, in one pass."""
    acc = 0.0
    for i in range(w.size):
        v = w[i] + a * q[i] + b * p[i]
        w[i] = v
        acc += v * v
    return acc


def _lanczos_py(x, q0, K, check_every, tol, negative_tol, full, Q, v, res, P, D, dP, ta, tb,
                tc, widths, offs, poff, X, XT, Y, xid, decay, lam):
    """The smallest Hessian eigenpair at ``x``: the Lanczos recurrence of
    ``numeric/hessian_free.batched_smallest_eigenpair`` for one point, on compiled
    Hessian-vector products, with its stopping rules (checked at the same steps) and its
    answer: ``v`` a unit Ritz vector, ``res = (v^T H v, the largest |Ritz value|, steps)``;
    ``nan`` for both numbers where the recurrence produced a non-finite number.  ``Q``: a
    (K + 1, N) work array; ``full``: reorthogonalise against all earlier vectors (classical
    Gram-Schmidt, a second pass where the first cancelled much)."""
    N = x.size
    _hvp_prepare(x, P, D, widths, offs, poff, X, XT, Y, xid)
    alpha = np.zeros(K)
    beta = np.zeros(K)
    s = np.empty(K)
    w = np.empty(N)
    Q[0, :] = q0
    scale = 0.0
    for j in range(K):
        qj = Q[j]
        _hvp(x, qj, w, P, D, dP, ta, tb, tc, widths, offs, poff, X, XT, xid, decay, lam)
        a = _dot(w, qj)
        if j:                                   # w -= a q_j + beta_{j-1} q_{j-1}, |w|^2
            bj = np.sqrt(_lanczos_step(w, -a, qj, -beta[j - 1], Q[j - 1]))
        else:
            bj = np.sqrt(_lanczos_step(w, -a, qj, 0.0, qj))
        if full:
            for _pass in range(2):
                before = bj
                c = np.dot(Q[:j + 1], w)
                w -= np.dot(c, Q[:j + 1])
                bj = np.sqrt(_dot(w, w))
                if not bj < 0.7 * before:
                    break
        alpha[j] = a
        beta[j] = bj
        scale = max(scale, abs(a) + bj)
        tiny = not bj > 1e-12 * scale
        n = j + 1
        if n == K or n % check_every == 0 or tiny:
            bad = False
            for i in range(n):
                if not np.isfinite(alpha[i]) or (i < n - 1 and not np.isfinite(beta[i])):
                    bad = True
            if bad:
                v[:] = Q[0]
                res[0] = np.nan
                res[1] = np.nan
                res[2] = n
                return
            th0, th1 = _ritz(alpha, beta, n, s)
            spread = max(abs(th0), abs(th1))
            resid = abs(bj * s[n - 1])
            clear = th0 < -max(tol, 1e-6) * (1.0 + spread)
            if (n == K or tiny or resid <= tol * (1.0 + spread)
                    or (clear and resid <= negative_tol * abs(th0))):
                np.dot(s[:n], Q[:n], v)
                nv = np.sqrt(_dot(v, v))
                _scale(1.0 / nv, v)
                _hvp(x, v, w, P, D, dP, ta, tb, tc, widths, offs, poff, X, XT, xid, decay, lam)
                res[0] = _dot(v, w)
                res[1] = spread
                res[2] = n
                return
        inv = 1.0 / bj
        q = Q[j + 1]
        for i in range(N):
            q[i] = inv * w[i]


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
        g["_lanczos_step"] = fused(_lanczos_step_py)
        g["_value_grad"] = jit(_value_grad_py)
        g["_sturm2"] = jit(_sturm2_py)
        g["_ritz"] = jit(_ritz_py)
        g["_hvp_prepare"] = jit(_hvp_prepare_py)
        g["_hvp"] = jit(_hvp_py)
        _KERNELS["lanczos"] = jit(_lanczos_py)
        got = _KERNELS["lbfgs"] = (jit(_lbfgs_run_py), g["_value_grad"])
    return got


_dot, _axpy, _scale = _dot_py, _axpy_py, _scale_py   # compiled versions: _kernels()
_step, _pair, _update_dot, _update_dot_q = _step_py, _pair_py, _update_dot_py, _update_dot_q_py
_value_grad = _value_grad_py
_sturm2, _ritz, _hvp_prepare, _hvp = _sturm2_py, _ritz_py, _hvp_prepare_py, _hvp_py
_lanczos_step = _lanczos_step_py


def value_and_gradient(obj, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The compiled objective at the rows of ``x`` (B, N): values (B,) and gradients (B, N),
    as ``obj.value_and_gradient`` (for the tests; ``obj`` as :func:`covers`, any size)."""
    vg = _kernels()[1]
    lay = _layout(obj)
    x = np.ascontiguousarray(x, dtype=np.float64)
    G = np.empty_like(x)
    v = np.array([vg(x[i], G[i], *lay.args()) for i in range(x.shape[0])])
    return v, G


class _HvpWork:
    """Scratch arrays of the compiled Hessian-vector product for one objective."""

    def __init__(self, lay: _Layout):
        size = int(lay.poff[-1])
        self.P, self.D, self.dP = np.empty(size), np.empty(size), np.empty(size)
        big = int(lay.widths.max()) * max(int(lay.widths[0]), lay.X.shape[1])
        self.ta, self.tb, self.tc = np.empty(big), np.empty(big), np.empty(big)


def hessian_vector_products(obj, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``H(x_i) v_i`` for the rows of ``x`` and ``v`` (B, N), compiled (:func:`_hvp_py`),
    as ``obj.hvp_vector(obj.unflatten(x), v)`` (for the tests; ``obj`` as :func:`covers`,
    any size)."""
    _kernels()
    lay = _layout(obj)
    wk = _HvpWork(lay)
    x = np.ascontiguousarray(x, dtype=np.float64)
    v = np.ascontiguousarray(v, dtype=np.float64)
    out = np.empty_like(v)
    for i in range(x.shape[0]):
        _hvp_prepare(x[i], wk.P, wk.D, lay.widths, lay.offs, lay.poff, lay.X, lay.XT, lay.Y,
                     lay.xid)
        _hvp(x[i], v[i], out[i], wk.P, wk.D, wk.dP, wk.ta, wk.tb, wk.tc, lay.widths, lay.offs,
             lay.poff, lay.X, lay.XT, lay.xid, lay.decay, lay.lam)
    return out


def use_compiled_curvature(obj, n_params: int) -> bool:
    """Whether the curvature test at points of ``obj`` runs compiled
    (:func:`smallest_eigenpairs`): where :func:`covers` holds and the compiled functions are
    loaded already (the L-BFGS phase before it decides the load, :func:`use_compiled`)."""
    return "lanczos" in _KERNELS and covers(obj, n_params)


def smallest_eigenpairs(obj, X: np.ndarray, tol: float = 1e-8, max_steps: int = 200,
                        check_every: int = 8, seed: int = 0, full_reorth: bool | None = None,
                        negative_tol: float = 1e-3
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`landscape_proofs.numeric.hessian_free.batched_smallest_eigenpair` compiled, one
    point (row of ``X``) at a time: the same start vector, recurrence, reorthogonalisation
    rule, stopping rules (checked at the same steps) and outputs ``(lam_min, v_min, big,
    steps)``, ``lam_min`` the Rayleigh quotient of the unit vector ``v_min``; the Ritz values
    of the small tridiagonal matrix come from bisection and inverse iteration
    (:func:`_ritz_py`) instead of a dense ``eigh``.  Float hints, never proofs."""
    _kernels()
    run = _KERNELS["lanczos"]
    X = np.ascontiguousarray(X, dtype=np.float64)
    b, N = X.shape
    if full_reorth is None:
        full_reorth = N <= 600
    K = max(1, min(int(max_steps), N) if full_reorth else int(max_steps))
    lay = _layout(obj)
    key = (tuple(lay.widths), lay.X.shape[1], K, seed)
    got = _KERNELS.get("lanczos_work")
    if got is None or got[0] != key:     # kept between calls and objectives (no fresh pages)
        q = np.random.default_rng(seed).standard_normal(N)
        got = _KERNELS["lanczos_work"] = (key, _HvpWork(lay), q / np.linalg.norm(q),
                                          np.empty((K + 1, N)))
    _key, wk, q, Q = got
    lam, big = np.full(b, np.nan), np.full(b, np.nan)
    V = np.zeros((b, N))
    steps = np.zeros(b, dtype=np.int64)
    res = np.zeros(3)
    with np.errstate(all="ignore"):
        for i in range(b):
            run(X[i], q, K, int(check_every), float(tol), float(negative_tol), bool(full_reorth),
                Q, V[i], res, wk.P, wk.D, wk.dP, wk.ta, wk.tb, wk.tc, lay.widths, lay.offs,
                lay.poff, lay.X, lay.XT, lay.Y, lay.xid, lay.decay, lay.lam)
            lam[i], big[i], steps[i] = res[0], res[1], int(res[2])
    STATS["lanczos_points"] += b
    STATS["lanczos_steps"] += int(steps.sum())
    return lam, V, big, steps


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
        code, chunk = _BUDGET, 1
        try:
            while code == _BUDGET and ist[1] < iterations:
                check_deadline()      # search --timeout: DeadlineExceeded ends this batch
                t = time.perf_counter()
                code = run(x, g, S, Yp, rho, ist, fst, min(chunk, iterations - ist[1]),
                           cfg.gtol, cfg.bound, _NOISE, *args)
                if time.perf_counter() - t < 0.05:   # chunks of ~0.1 s at most between checks
                    chunk = min(_CHUNK, 2 * chunk)  # (the memory carries over: same steps)
        finally:
            runner.x[r], runner.g[r], runner.f[r], runner.gn[r] = x, g, fst[0], fst[1]
            runner.it[r] += ist[1]
            runner.dead[r] |= code == _DEAD or np.abs(x).max() > cfg.bound
            runner.stuck[r] |= code == _STUCK
            STATS["runs"] += 1
            STATS["iterations"] += int(ist[1])
            STATS["evaluations"] += int(ist[2])
