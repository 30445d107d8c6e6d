"""The Hessian-free descent of ``landscape search`` on [32, 32, 32], this tree against another
one (``--ref``), interleaved, each beside plain NumPy gradient descent in the same process.

Run from the repository root::

    python benchmarks/bench_descent.py                       # this tree only
    python benchmarks/bench_descent.py --ref /work/main      # and a reference checkout
    python benchmarks/bench_descent.py --starts 8,200 --repeats 3 --json out.json

On a shared machine a timing moves by tens of percent from one minute to the next, so two
versions of the code are only comparable when measured side by side: each measurement runs in
its own child process (``PYTHONPATH`` set to the tree), the trees alternate (A, B, A, B, ...),
and each child also times the plain NumPy loops, so every ratio comes from one process.

Problem (as ``bench_classify_sizes.py``'s search rows): widths [32, 32, 32] (2,048
parameters), ``X = I``, ``Y`` a fixed integer matrix with entries in [-3, 3], square loss,
weight decay 1/10, the search's own starts (seed 0).  Per start, for each number of starts:
the descent stage (``multistart._descend_all``: what ``landscape search`` runs before grouping)
in wall-clock and CPU time, after one untimed warm-up descent in the same child; its iterations
(mean) and evaluations, counted in a second identical descent (gradients, a fused
value-and-gradient pass as one; Hessian-vector products; values alone); plain NumPy GD on one
start (``W <- W - 1e-3 grad``, three 32 x 32 products a step) with (a) our mean iteration count
and (b) our gradient evaluations, an HVP counted as two, in CPU time.  The 1-minute load
average is recorded before each child.  Nothing here asserts a time.

Also recorded: which L-BFGS phase ran in the timed descent (``lbfgs_path``: ``compiled``,
search/jit.py, or ``numpy``) with the compiled phase's runs and value-and-gradient evaluations
per start, and the wall time of the warm-up (the first descent in the process: it includes
importing Numba and compiling or loading the compiled phase, which the child loads first with
``jit.load()``, so that both descents are timed compiled: without it a process loads Numba
only after 800,000 parameters x runs of NumPy descent, about 400 starts here).  The
evaluation counts above come from a counting wrapper around the objective, which the compiled
phase does not serve (it takes the NumPy phase): they count the NumPy phase's evaluations.
Sixth round: the CPU time per start of the L-BFGS phases and of the grouped curvature test
(``lbfgs_cpu_per_start_s``, ``curvature_test_cpu_per_start_s``, timed by wrapping the two
methods in the timed descent), and which Lanczos ran (``lanczos_path``: ``compiled``,
``search/jit.py``, or ``numpy``) with the compiled one's points and steps.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r'''
import json, sys, time
import numpy as np
import landscape_proofs
import landscape_proofs.search.multistart as ms
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.numeric.threads import one_blas_thread

k = 32
rng = np.random.default_rng(0)
Y = [[int(x) for x in row] for row in rng.integers(-3, 4, size=(k, k))]
problem = problem_from_dict({"family": "deep-linear", "widths": [k, k, k], "Y": Y,
                             "loss": "square", "weight_decay": "1/10"})
Yf = np.array(Y, float)


class Counting:
    def __init__(self, obj):
        self.obj, self.grads, self.hvps, self.values = obj, 0, 0, 0

    def __getattr__(self, name):
        return getattr(self.obj, name)

    def value(self, Ws):
        self.values += Ws[0].shape[0]
        return self.obj.value(Ws)

    def gradient_vector(self, Ws):
        self.grads += Ws[0].shape[0]
        return self.obj.gradient_vector(Ws)

    def value_and_gradient(self, Ws):
        self.grads += Ws[0].shape[0]
        return self.obj.value_and_gradient(Ws)

    def hvp_vector(self, Ws, v):
        self.hvps += v.shape[0]
        return self.obj.hvp_vector(Ws, v)

    def hvp_operator(self, Ws):
        apply = self.obj.hvp_operator(Ws)

        def counted(v):
            self.hvps += v.shape[0]
            return apply(v)
        return counted


def plain_gd(W1, W2, iterations, step=1e-3):
    for _ in range(iterations):
        E = W2 @ W1 - Yf
        g1 = W2.T @ E + 0.1 * W1
        g2 = E @ W1.T + 0.1 * W2
        W1 = W1 - step * g1
        W2 = W2 - step * g2
    return W1, W2


starts = int(sys.argv[1])
cfg = ms.SearchConfig(starts=starts, seed=0)
try:                                    # the compiled L-BFGS phase (a tree may lack it)
    from landscape_proofs.search import jit as _jit
except ImportError:
    _jit = None
with one_blas_thread():
    t0 = time.perf_counter()
    if _jit is not None:        # compiled for every batch size (as after a large search)
        _jit.load()
    ms._descend_all(problem, ms.SearchConfig(starts=8, seed=0), None)      # warm-up
    warmup = time.perf_counter() - t0
    if _jit is not None:
        for key in _jit.STATS:
            _jit.STATS[key] = 0
    from landscape_proofs.search import hessian_free as _hf
    phase_cpu = {"lbfgs": 0.0, "grouped_curvature_check": 0.0}
    originals = {name: getattr(_hf._HessianFreeRunner, name) for name in phase_cpu}

    def _timed(name):
        def run(*a, **kw):
            c0 = time.process_time()
            try:
                return originals[name](*a, **kw)
            finally:
                phase_cpu[name] += time.process_time() - c0
        return run

    for name in phase_cpu:
        setattr(_hf._HessianFreeRunner, name, _timed(name))
    t, c = time.perf_counter(), time.process_time()
    obj, specs, x, val, gn, its, status = ms._descend_all(problem, cfg, None)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    for name in phase_cpu:
        setattr(_hf._HessianFreeRunner, name, originals[name])
    jit_stats = dict(_jit.STATS) if _jit is not None else {"runs": 0}
    real = ms.float64_objective
    box = {}
    ms.float64_objective = lambda p: box.setdefault("o", Counting(real(p)))
    try:
        ms._descend_all(problem, cfg, None)
    finally:
        ms.float64_objective = real
    cnt = box["o"]
    mean_its = int(round(float(np.mean(its))))
    geq = (cnt.grads + 2 * cnt.hvps) / starts
    W1 = np.random.default_rng(1).standard_normal((k, k)) * 0.1
    W2 = np.random.default_rng(2).standard_normal((k, k)) * 0.1
    c = time.process_time()
    plain_gd(W1, W2, mean_its)
    gd_its = time.process_time() - c
    c = time.process_time()
    plain_gd(W1, W2, int(round(geq)))
    gd_geq = time.process_time() - c
print(json.dumps({"starts": starts, "package": landscape_proofs.__file__,
                  "wall_per_start_s": wall / starts, "cpu_per_start_s": cpu / starts,
                  "mean_iterations": mean_its, "max_iterations": int(np.max(its)),
                  "converged": int(np.sum(status == 0)),
                  "values": sorted({round(float(v), 6) for v in val}),
                  "gradients_per_start": cnt.grads / starts, "hvps_per_start": cnt.hvps / starts,
                  "values_per_start": cnt.values / starts, "gradient_equivalents_per_start": geq,
                  "plain_gd_same_iterations_cpu_s": gd_its,
                  "plain_gd_same_gradients_cpu_s": gd_geq,
                  "lbfgs_path": "compiled" if jit_stats["runs"] else "numpy",
                  "compiled_lbfgs_runs": jit_stats["runs"],
                  "compiled_lbfgs_evaluations_per_start": jit_stats.get("evaluations", 0) / starts,
                  "warmup_8_starts_wall_s": warmup,
                  "lbfgs_cpu_per_start_s": phase_cpu["lbfgs"] / starts,
                  "curvature_test_cpu_per_start_s":
                      phase_cpu["grouped_curvature_check"] / starts,
                  "lanczos_path": "compiled" if jit_stats.get("lanczos_points") else "numpy",
                  "compiled_lanczos_points": jit_stats.get("lanczos_points", 0),
                  "compiled_lanczos_steps": jit_stats.get("lanczos_steps", 0)}))
'''


def child(tree: str, starts: int) -> dict:
    env = dict(os.environ, PYTHONPATH=tree, PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run([sys.executable, "-c", CHILD, str(starts)], env=env, cwd=HERE,
                         capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"bench_descent: the child for {tree} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", help="another checkout to compare with (its root directory)")
    ap.add_argument("--starts", default="8,200")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    trees = [("this tree", ROOT)] + ([("ref", os.path.abspath(args.ref))] if args.ref else [])
    rows = []
    print("tree | starts | load | ours wall / start | ours CPU / start | iterations | "
          "gradient evals (HVP = 2) | GD same iterations (CPU) | GD same evals (CPU) | "
          "ours / GD same iterations | ours / GD same evals")
    for rep in range(args.repeats):
        for starts in [int(n) for n in args.starts.split(",") if n]:
            for name, tree in trees:
                load = os.getloadavg()[0]
                r = child(tree, starts)
                r.update(tree=name, path=tree, run=rep + 1, load_average_1min=load)
                rows.append(r)
                print(f"{name} | {starts} | {load:.1f} | {r['wall_per_start_s']:.4f} s | "
                      f"{r['cpu_per_start_s']:.4f} s | {r['mean_iterations']} | "
                      f"{r['gradient_equivalents_per_start']:.0f} | "
                      f"{r['plain_gd_same_iterations_cpu_s']:.4f} s | "
                      f"{r['plain_gd_same_gradients_cpu_s']:.4f} s | "
                      f"{r['cpu_per_start_s'] / r['plain_gd_same_iterations_cpu_s']:.1f}x | "
                      f"{r['cpu_per_start_s'] / r['plain_gd_same_gradients_cpu_s']:.1f}x",
                      flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
