"""Exact classification at hundreds to thousands of parameters, in same-run units (issue 16).

Run from the repository root::

    python benchmarks/bench_classify_sizes.py               # everything (several minutes)
    python benchmarks/bench_classify_sizes.py --no-before   # skip the old exact-only route
    python benchmarks/bench_classify_sizes.py --json out.json

The unit: FLINT's characteristic polynomial of a fixed 200 x 200 integer matrix (entries in
[-10, 10]), the median of 3 runs just before each case, so that figures taken on a loaded or
another machine compare (``bench_inertia.unit_seconds``).  All runs on one BLAS thread.

Cases (X = I, Y = diag(y), weight decay 1/10; ``bench_inertia.decay_case``):

* ``diagonal``: widths [k, k, k], W_1 = W_2 = diag(s), y_i = s_i^2 + 1/10: a global minimum
  (nuclear-norm bound); widths [k, k, k, k], W_l = diag(s), y_i = s_i^3 + 1/(10 s_i): a local
  minimum (slice argument; no global bound applies to three layers);
* ``rotated``: the same point moved along the O(k) symmetry of every hidden layer,
  W_1 -> Q W_1, W_l -> Q W_l Q, W_H -> W_H Q, with the dense rational reflection
  Q = I - (2/k) 1 1^T: the same kind, but a Hessian with no zero pattern to split, so the
  float-guided congruence does the work (and, for the local minimum, the certificate carries
  V and the kernel checks it instead of a characteristic polynomial).

Figures per case: ``classify`` (the whole call: exact gradient, Hessian, inertia, evidence,
the kernel's re-check inside the producer), then ``verify``: the certificate written to JSON
text, read back and checked by the kernel in the same process (``check_certificate``), and
``before``: ``classify`` with the producer's inertia and negative directions forced back to the
exact-only routes of the previous version (charpoly, exact elimination; ``--no-before`` skips it;
above 1,100 parameters it is skipped too: it takes many minutes).

Search (``--search``, default on): per start on [32, 32, 32] (2,048 parameters, Y a fixed
integer matrix, decay 1/10): the descent stage of ``landscape search`` (Hessian-free above 400
parameters: L-BFGS, then truncated Newton and the Lanczos escape near criticality), timed, then
run again with its evaluations counted (gradients, Hessian-vector products, values alone), against
a plain NumPy gradient-descent loop (one start, fixed step, backpropagation by hand) of (a) the
*same iteration count* (the mean of ours), (b) the *same number of gradient evaluations* (ours,
an HVP counted as two gradients), (c) our own stopping rule ``|grad| <= 1e-9 (1 + |f|)`` from our
first start (step ``1 / (1.2 L)``, L the largest Hessian eigenvalue at our limit; at most
200,000 iterations); each three times in the same run, with the unit and the 1-minute load
average taken before each, for each number of starts in ``--starts`` (default ``8,200``: 200 is
``landscape search``'s default; at 2,048 parameters the search descends them in batches of 76,
32 runs moving at a time, a finished run's place taken by a waiting one).
Ours is timed in wall-clock and CPU time (on a shared machine the CPU time is the steadier).
The old dense second-order descent (a 2048 x 2048 ``eigh`` per iteration) is timed on one
start with ``--dense-search``.  JAX and Numba are not installed here (both are on PyPI; the
package needs neither); the comparison is with NumPy.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import flint  # noqa: E402
import numpy as np  # noqa: E402

from bench_inertia import decay_case, unit_seconds  # noqa: E402
from landscape_proofs.families.deep_linear import Point  # noqa: E402
from landscape_proofs.kernel.checker import check_certificate  # noqa: E402
from landscape_proofs.kernel.limits import Limits, using  # noqa: E402
from landscape_proofs.numeric.threads import one_blas_thread  # noqa: E402
from landscape_proofs.produce.classify import classify  # noqa: E402


def rotated(problem, weights, k):
    """Every hidden layer moved by Q = I - (2/k) 1 1^T (orthogonal and symmetric, so Q^T = Q):
    W_1 -> Q W_1, W_l -> Q W_l Q, W_H -> W_H Q; the loss and the weight decay are unchanged."""
    Q = [[Fraction(int(i == j)) - Fraction(2, k) for j in range(k)] for i in range(k)]
    mul = lambda A, B: [[sum(A[i][t] * B[t][j] for t in range(len(B)))  # noqa: E731
                         for j in range(len(B[0]))] for i in range(len(A))]
    out = []
    for i, W in enumerate(weights):
        if i > 0:
            W = mul(W, Q)
        if i < len(weights) - 1:
            W = mul(Q, W)
        out.append(W)
    return problem, out


class _Before:
    """Context manager: the producer's inertia and negative directions as before issue 16."""

    def __enter__(self):
        import landscape_proofs.numeric.congruence as nc
        from landscape_proofs.kernel.linalg import inertia, negative_direction

        self.nc = nc
        self.saved = (nc.classification_inertia, nc.classification_negative_direction)
        nc.classification_inertia = lambda H, T=None, min_n=None, **kw: (inertia(H), "charpoly", None)
        nc.classification_negative_direction = lambda H, min_n=None: negative_direction(H)
        return self

    def __exit__(self, *exc):
        self.nc.classification_inertia, self.nc.classification_negative_direction = self.saved


BEFORE_MAX_N = 1100   # the exact-only route takes many minutes beyond (72 s at 968, rotated)


# [32, 32, 32] has 2,048 parameters, above the kernel's default limit of 1,024 (kernel/limits.py;
# `--max-parameters` on the command line): the benchmark raises it for classify and verify
LIMITS = Limits(max_parameters=4096)


def time_classify(problem, point):
    with using(LIMITS):
        t = time.perf_counter()
        res = classify(problem, point)
        return time.perf_counter() - t, res


def time_verify(res):
    text = json.dumps(res.certificate.to_json())
    with using(LIMITS):
        t = time.perf_counter()
        verdict = check_certificate(json.loads(text))
        return time.perf_counter() - t, verdict, len(text)


def classify_rows(widths_list, before: bool):
    rows = []
    for widths in widths_list:
        k = widths[0]
        base = decay_case(widths, seed=sum(widths))
        for label, (problem, weights) in (("diagonal", base[:2]),
                                          ("rotated", rotated(base[0], base[1], k))):
            point = Point.of(problem, weights)
            unit = statistics.median(unit_seconds() for _ in range(3))
            load, cpu = os.getloadavg()[0], time.process_time()
            t, res = time_classify(problem, point)
            cpu = time.process_time() - cpu      # CPU seconds: less sensitive to shared cores
            tv, verdict, size = time_verify(res)
            row = {"case": f"{widths} {label}", "n": res.n_params, "unit_s": unit,
                   "classify_s": t, "verify_s": tv, "kind": res.kind.value,
                   "inertia": res.inertia, "holds": verdict.valid, "certificate_bytes": size,
                   "classify_cpu_s": cpu, "load_average": load}
            if before and res.n_params <= BEFORE_MAX_N:
                with _Before():
                    tb, rb = time_classify(problem, point)
                row.update(before_s=tb, before_kind=rb.kind.value, before_inertia=rb.inertia)
            print(f"  {row['case']}: N={row['n']} unit {unit:.2f} s, classify {t:.2f} s "
                  f"({t / unit:.1f} units; CPU {cpu:.2f} s, load {load:.1f}) {row['kind']} "
                  f"{row['inertia']}, verify {tv:.3f} s"
                  + (f", before {row['before_s']:.2f} s ({row['before_s'] / unit:.1f} units) "
                     f"{row['before_kind']}" if "before_s" in row else ""), flush=True)
            rows.append(row)
    return rows


# --- search per start --------------------------------------------------------------------------
def search_problem(k=32, seed=0):
    from landscape_proofs.families.io import problem_from_dict

    rng = np.random.default_rng(seed)
    Y = [[int(x) for x in row] for row in rng.integers(-3, 4, size=(k, k))]
    return problem_from_dict({"family": "deep-linear", "widths": [k, k, k], "Y": Y,
                              "loss": "square", "weight_decay": "1/10"}), np.array(Y, float)


def plain_gd(W1, W2, Y, lam, iterations, step):
    """Plain NumPy gradient descent on 1/2 ||W2 W1 - Y||^2 + lam/2 (|W1|^2 + |W2|^2)."""
    for _ in range(iterations):
        E = W2 @ W1 - Y
        g1 = W2.T @ E + lam * W1
        g2 = E @ W1.T + lam * W2
        W1 = W1 - step * g1
        W2 = W2 - step * g2
    return W1, W2


class Counting:
    """The float64 objective with its evaluations counted over all points: gradients (a fused
    value-and-gradient pass counts as one), Hessian-vector products, and values alone."""

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


def search_rows(starts_list, dense: bool, repeats: int = 3):
    """Per start on [32, 32, 32], for each number of starts in ``starts_list``: our descent
    (timed, wall and CPU, then counted in a second, identical run), and plain NumPy GD with
    (a) the same iterations, (b) the same gradient evaluations (an HVP counted as two), (c) our
    stopping rule; ``repeats`` times each, in the same run, with the unit and the load
    average before each."""
    import landscape_proofs.search.hessian_free as hf
    import landscape_proofs.search.multistart as ms
    from landscape_proofs.numeric.float64 import flatten
    from landscape_proofs.numeric.hessian_free import batched_smallest_eigenpair
    from landscape_proofs.search.multistart import SearchConfig, _descend_all
    from landscape_proofs.search.starts import draw_starts

    problem, Yf = search_problem()
    k = 32
    rows = []
    for rep in range(repeats):
        for starts in starts_list:
            cfg = SearchConfig(starts=starts, seed=0)
            unit = statistics.median(unit_seconds() for _ in range(3))
            load = os.getloadavg()[0]
            with one_blas_thread():           # as landscape search runs it
                t, c0 = time.perf_counter(), time.process_time()
                obj, specs, x, val, gn, its, status = _descend_all(problem, cfg, None)
                ours = (time.perf_counter() - t) / starts
                ours_cpu = (time.process_time() - c0) / starts
            real = ms.float64_objective
            counted = {}
            ms.float64_objective = lambda p: counted.setdefault("obj", Counting(real(p)))  # noqa: E731
            try:
                with one_blas_thread():
                    _descend_all(problem, cfg, None)
            finally:
                ms.float64_objective = real
            c = counted["obj"]
            grads = (c.grads + 2 * c.hvps) / starts          # gradient evaluations per start
            mean_its = int(round(float(np.mean(its))))
            W1 = np.random.default_rng(1).standard_normal((k, k)) * 0.1
            W2 = np.random.default_rng(2).standard_normal((k, k)) * 0.1
            with one_blas_thread():
                t = time.perf_counter()
                plain_gd(W1, W2, Yf, 0.1, mean_its, 1e-3)
                gd = time.perf_counter() - t
                t = time.perf_counter()
                plain_gd(W1, W2, Yf, 0.1, int(round(grads)), 1e-3)
                gd_grads = time.perf_counter() - t
            chunk = min(cfg.chunk, int(2e7 // (128 * obj.n_params)))
            row = {"case": "search per start, [32, 32, 32]", "n": 2048, "unit_s": unit,
                   "load_average_1min": load, "batch": min(chunk, starts),
                   "ours_per_start_s": ours, "ours_per_start_cpu_s": ours_cpu,
                   "mean_iterations": mean_its, "max_iterations": int(np.max(its)),
                   "gradients_per_start": c.grads / starts, "hvps_per_start": c.hvps / starts,
                   "values_per_start": c.values / starts,
                   "gradient_equivalents_per_start": grads,
                   "converged": int(np.sum(status == 0)), "starts": starts,
                   "values": sorted({round(float(v), 6) for v in val}),
                   "plain_gd_same_iterations_s": gd, "plain_gd_same_gradients_s": gd_grads}
            # plain GD from our first start to our stopping rule |grad| <= 1e-9 (1 + |f|), step
            # 1/(1.2 L), L the largest Hessian eigenvalue at our limit (Lanczos), <= 200,000
            x0 = flatten(draw_starts(problem, 1, 0, cfg.plan)[0])[0]
            L = float(batched_smallest_eigenpair(obj, x[:1])[2][0])
            W1, W2 = x0[:k * k].reshape(k, k).copy(), x0[k * k:].reshape(k, k).copy()
            step, n_gd = 1.0 / (1.2 * L), 0
            with one_blas_thread():
                t = time.perf_counter()
                while n_gd < 200_000:
                    E = W2 @ W1 - Yf
                    g1, g2 = W2.T @ E + 0.1 * W1, E @ W1.T + 0.1 * W2
                    f = 0.5 * np.sum(E * E) + 0.05 * (np.sum(W1 * W1) + np.sum(W2 * W2))
                    if np.sqrt(np.sum(g1 * g1) + np.sum(g2 * g2)) <= 1e-9 * (1 + abs(f)):
                        break
                    W1, W2 = W1 - step * g1, W2 - step * g2
                    n_gd += 1
                gd_conv = time.perf_counter() - t
            row.update(plain_gd_to_tolerance_s=gd_conv, plain_gd_to_tolerance_iterations=n_gd,
                       plain_gd_final_value=float(f), ours_value=float(val[0]))
            row["moving_at_a_time"] = min(hf._WIDTH, row["batch"])
            print(f"  search (run {rep + 1}, load {load:.1f}): {starts} starts (batches of "
                  f"{row['batch']}, {row['moving_at_a_time']} descending at a time), unit {unit:.2f} s, ours {ours:.4f} s per start (CPU "
                  f"{ours_cpu:.4f} s; {mean_its} iterations, at most {row['max_iterations']}, "
                  f"{c.grads / starts:.0f} gradients + {c.hvps / starts:.0f} HVPs + "
                  f"{c.values / starts:.0f} values per start, {row['converged']} converged, "
                  f"values {row['values']}); plain NumPy GD: {mean_its} iterations "
                  f"{gd:.4f} s, {grads:.0f} iterations (same gradients) {gd_grads:.4f} s, to "
                  f"our tolerance {gd_conv:.3f} s ({n_gd} iterations, value {f:.6f}; ours "
                  f"{val[0]:.6f})", flush=True)
            rows.append(row)
    if dense:
        old = hf.HESSIAN_FREE_MIN_N
        hf.HESSIAN_FREE_MIN_N = 10**9
        try:
            t = time.perf_counter()
            _, _, _, _, _, its_d, st_d = _descend_all(problem, SearchConfig(starts=1, seed=0), None)
            rows[-1]["dense_per_start_s"] = time.perf_counter() - t
            rows[-1]["dense_iterations"] = int(its_d[0])
        finally:
            hf.HESSIAN_FREE_MIN_N = old
        print(f"  dense second-order descent, 1 start: {rows[-1]['dense_per_start_s']:.1f} s "
              f"({rows[-1]['dense_iterations']} iterations)", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="16,22,32", help="k for widths [k, k, k]")
    ap.add_argument("--deep", default="10,16", help="k for widths [k, k, k, k] (a local "
                    "minimum: slice evidence, with the congruence V in the certificate)")
    ap.add_argument("--no-before", action="store_true")
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--dense-search", action="store_true")
    ap.add_argument("--starts", default="8,200", help="numbers of starts for the search "
                    "rows, comma-separated (200 is landscape search's default)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    widths = ([[int(k)] * 3 for k in args.sizes.split(",") if k]
              + [[int(k)] * 4 for k in args.deep.split(",") if k])
    rows = classify_rows(widths, not args.no_before)
    if not args.no_search:
        rows += search_rows([int(n) for n in args.starts.split(",") if n], args.dense_search)
    print()
    print("case | N | kind | unit | classify (units) | verify | verify / classify | before (units)")
    print("-----|---|------|------|------------------|--------|-------------------|---------------")
    for r in rows:
        if "classify_s" not in r:
            continue
        u = r["unit_s"]
        before = (f"{r['before_s']:.2f} s ({r['before_s'] / u:.1f})" if "before_s" in r else "-")
        print(f"{r['case']} | {r['n']} | {r['kind']} | {u:.2f} s | {r['classify_s']:.2f} s "
              f"({r['classify_s'] / u:.1f}) | {r['verify_s']:.3f} s | "
              f"{r['verify_s'] / r['classify_s']:.3f} | {before}")
    print(f"\n{os.cpu_count()} CPUs, Python {platform.python_version()}, python-flint "
          f"{flint.__version__}, NumPy {np.__version__}")
    bad = [r["case"] for r in rows if "classify_s" in r and (not r["holds"] or (
        "before_kind" in r and r["before_kind"] != r["kind"]))]
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows}, f, indent=1)
    if bad:
        print("PROBLEM (certificate rejected or kind changed):", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
