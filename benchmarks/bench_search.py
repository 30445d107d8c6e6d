"""Multi-start throughput of ``landscape search`` beside plain SciPy BFGS and autodiff loops.

Run from the repository root::

    python benchmarks/bench_search.py                  # full run, about a minute
    python benchmarks/bench_search.py --json out.json  # also write the figures as JSON
    python benchmarks/bench_search.py --quick          # fewer starts (a smoke run)

Problem: widths [3, 3, 3, 3] (27 parameters), X = I, Y = [[3, 1, 0], [1, 2, 1], [0, 1, 1]],
square loss.  All methods start from the same 1,000 points (``search.starts.draw_starts``,
seed 0) and are judged by one float criterion, ``|grad| <= 1e-6 (1 + |f|)`` at the end
(a float criterion: it is how the baselines stop, not a proof).  Figures:

1. ``landscape search`` end to end (target: under 10 s on 2 cores): starts, batched hybrid
   descent to ``|grad| <= 1e-9 (1 + |f|)``, grouping, exact classification and checking
   of the certificate of every group.  The descent alone is timed too.
2. ``scipy.optimize.minimize(method="BFGS", jac=True)`` in a Python loop over the starts,
   with a hand-written NumPy value-and-gradient (backpropagation) for one point.
3. PyTorch (if installed): the batch of all starts as one tensor, gradients by autograd,
   gradient descent with per-start backtracking (Armijo), the same rule as ours.
4. JAX (if installed): ``jit(vmap(value_and_grad))`` with the same batched backtracking
   gradient descent.

The autodiff baselines are first-order; ours is second-order (saddle-free Newton).  Each
figure is starts per second over the runs that met the criterion; the table prints both.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from landscape_proofs.numeric.float64 import flatten  # noqa: E402
from landscape_proofs.families.io import problem_from_dict  # noqa: E402
from landscape_proofs.search.blas import single_blas_thread  # noqa: E402
from landscape_proofs.search.multistart import SearchConfig, search  # noqa: E402
from landscape_proofs.search.starts import draw_starts  # noqa: E402

Y = [[3, 1, 0], [1, 2, 1], [0, 1, 1]]
PROBLEM = {"family": "deep-linear", "widths": [3, 3, 3, 3], "Y": Y, "loss": "square"}
TOL = 1e-6
GD_ITERATIONS = 3000


def _layers(x):
    return x[:9].reshape(3, 3), x[9:18].reshape(3, 3), x[18:].reshape(3, 3)


def value_and_grad(x, Yf):
    """1/2 ||W3 W2 W1 - Y||^2 and its gradient at one point (backpropagation)."""
    W1, W2, W3 = _layers(x)
    P2 = W2 @ W1
    E = W3 @ P2 - Yf
    D3 = E
    g3 = D3 @ P2.T
    D2 = W3.T @ D3
    g2 = D2 @ W1.T
    g1 = W2.T @ D2
    return 0.5 * float(np.sum(E * E)), np.concatenate([g1.ravel(), g2.ravel(), g3.ravel()])


def converged(f, g):
    return np.linalg.norm(g, axis=-1) <= TOL * (1 + np.abs(f))


def bench_ours(x0_count):
    p = problem_from_dict(PROBLEM)
    search(p, SearchConfig(starts=20, seed=1))          # warm-up (imports, lambdas)
    t = time.perf_counter()
    r = search(p, SearchConfig(starts=x0_count, seed=0))
    total = time.perf_counter() - t
    from landscape_proofs.numeric.views import float64_objective
    obj = float64_objective(p)
    ok = sum(o.status.value == "converged" and o.gradient_norm <= TOL * (1 + abs(o.value))
             for o in r.outcomes)
    return {"method": "landscape search (hybrid: gradient + saddle-free Newton, batched)",
            "seconds": total, "descent_seconds": r.descent_seconds, "starts": x0_count,
            "met_criterion": ok,
            "groups": [(g.label, str(g.value), g.starts) for g in r.groups],
            "certified": all(g.certified for g in r.groups), "n_params": obj.n_params}


def bench_bfgs(x0):
    from scipy.optimize import minimize
    Yf = np.array(Y, dtype=float)
    t = time.perf_counter()
    ok = 0
    with single_blas_thread():
        for x in x0:
            res = minimize(value_and_grad, x, args=(Yf,), jac=True, method="BFGS",
                           # BFGS's gtol bounds the max-norm: 1/10 of it meets the 2-norm test
                           options={"gtol": TOL / 10, "maxiter": 5000})
            f, g = value_and_grad(res.x, Yf)
            ok += bool(converged(np.array(f), g))
    return {"method": "scipy.optimize.minimize BFGS, Python loop", "seconds": time.perf_counter() - t,
            "starts": len(x0), "met_criterion": ok}


def _batched_gd(value_and_grad_batch, x, to_np, from_np):
    """Gradient descent with per-start Armijo backtracking on a batch (backend-neutral)."""
    B = x.shape[0]
    step = np.full(B, 1e-2)
    f, g = value_and_grad_batch(x)
    f, g = to_np(f), to_np(g)
    xn = to_np(x)
    for _ in range(GD_ITERATIONS):
        act = ~converged(f, g)
        if not act.any():
            break
        t = step.copy()
        pend = act.copy()
        newx = xn.copy()
        for _ in range(30):
            trial = xn - t[:, None] * g
            ft = to_np(value_and_grad_batch(from_np(trial))[0])
            ok = pend & (ft <= f - 1e-4 * t * np.sum(g * g, axis=1))
            newx[ok] = trial[ok]
            pend &= ~ok
            if not pend.any():
                break
            t = np.where(pend, t * 0.5, t)
        moved = act & ~pend
        step = np.where(moved, 2 * t, t)
        xn = np.where(moved[:, None], newx, xn)
        f, g = value_and_grad_batch(from_np(xn))
        f, g = to_np(f), to_np(g)
    return int(np.sum(converged(f, g)))


def bench_torch(x0):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    Yt = torch.tensor(Y, dtype=torch.float64)

    def vg(x):
        x = x.detach().requires_grad_(True)
        W1, W2, W3 = x[:, :9].reshape(-1, 3, 3), x[:, 9:18].reshape(-1, 3, 3), x[:, 18:].reshape(-1, 3, 3)
        f = 0.5 * ((W3 @ W2 @ W1 - Yt) ** 2).sum(dim=(1, 2))
        (g,) = torch.autograd.grad(f.sum(), x)
        return f.detach(), g

    t = time.perf_counter()
    ok = _batched_gd(vg, torch.tensor(x0), lambda a: a.numpy() if hasattr(a, "numpy") else a,
                     torch.from_numpy)
    return {"method": f"PyTorch {torch.__version__} autograd, batched backtracking GD",
            "seconds": time.perf_counter() - t, "starts": len(x0), "met_criterion": ok}


def bench_jax(x0):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    Yj = jnp.array(Y, dtype=jnp.float64)

    def f1(x):
        W1, W2, W3 = x[:9].reshape(3, 3), x[9:18].reshape(3, 3), x[18:].reshape(3, 3)
        return 0.5 * jnp.sum((W3 @ W2 @ W1 - Yj) ** 2)

    vg = jax.jit(jax.vmap(jax.value_and_grad(f1)))
    vg(jnp.array(x0[:2]))                                  # compile outside the timing
    vg(jnp.array(x0))
    t = time.perf_counter()
    ok = _batched_gd(vg, jnp.array(x0), np.asarray, jnp.asarray)
    return {"method": f"JAX {jax.__version__} jit(vmap(value_and_grad)), batched backtracking GD",
            "seconds": time.perf_counter() - t, "starts": len(x0), "met_criterion": ok}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    n = 200 if args.quick else 1000
    p = problem_from_dict(PROBLEM)
    Ws, _ = draw_starts(p, n, seed=0)
    x0 = flatten(Ws)
    rows = [bench_ours(n), bench_bfgs(x0), bench_torch(x0), bench_jax(x0)]
    rows = [r for r in rows if r is not None]
    print(f"{n} starts, widths [3, 3, 3, 3], square loss; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"criterion: |grad| <= {TOL:g} (1 + |f|) at the end")
    print(f"{'method':<78} {'seconds':>8} {'met':>6} {'starts/s':>9}")
    for r in rows:
        rate = r["met_criterion"] / r["seconds"] if r["seconds"] else float("inf")
        r["starts_per_second"] = rate
        print(f"{r['method']:<78} {r['seconds']:>8.2f} {r['met_criterion']:>6} {rate:>9.0f}")
    ours = rows[0]
    print(f"landscape search: descent {ours['descent_seconds']:.2f} s; groups {ours['groups']}; "
          f"all certified: {ours['certified']}; target under 10 s: "
          f"{'met' if ours['seconds'] < 10 else 'MISSED'}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"starts": n, "rows": rows, "cores": os.cpu_count()}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
