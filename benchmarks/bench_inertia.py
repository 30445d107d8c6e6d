"""Exact Hessian inertia: FLINT's characteristic polynomial vs a float-suggested congruence.

Run from the repository root::

    python benchmarks/bench_inertia.py            # all sizes (several minutes on 2 cores)
    python benchmarks/bench_inertia.py --quick    # the 252-parameter cases only
    python benchmarks/bench_inertia.py --json out.json
    python benchmarks/bench_inertia.py --blas-threads 1   # sets OPENBLAS/OMP/MKL_NUM_THREADS
                                                          # before NumPy is imported

For each case the exact Hessian ``H = exact_objective(problem).hessian(W)`` is built once, then
timed (one run each, wall clock):

* ``charpoly``: ``kernel.linalg.inertia(H)`` (rref to split off the kernel, characteristic
  polynomial of the pivot block, Descartes' rule);
* ``congruence``: ``numeric.congruence.suggest_congruence(H, T)`` (float64 ``eigh``, rounding
  to ``Z / 2^40``, the exact kernel vectors among the orbit tangent ``T``) plus the exact check
  ``kernel.congruence.inertia_by_congruence(H, V)``; the orbit tangent's own cost is shown apart
  (the classifier computes it anyway for its slice evidence).

Both inertias are compared; a disagreement, or a congruence check that fails, is printed.
A fixed unit of work, FLINT's charpoly of a 200 x 200 random integer matrix with entries in
[-10, 10], is timed in the same run (the median of 3 runs just before each case, since the
load of a shared machine drifts) so that figures from different machines can be compared.

Cases: widths [5, 9, 9, 9, 5] (252 parameters), [16, 16, 16] (512) and [22, 22, 22] (968), at
a random rational point (not critical) and at a critical point of the weight-decay problem
X = I, Y = diag(y), lam = 1/10, W_l = diag(s) (padded with zeros), with
y_i = s_i^H + lam / s_i^(H-2) so that every gradient entry vanishes (for H = 2 layers,
s_i^2 = y_i - lam: the global minimum); the gradient is checked to be exactly zero.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from fractions import Fraction

if "--blas-threads" in sys.argv[:-1]:  # must precede the first import of NumPy
    _threads = sys.argv[sys.argv.index("--blas-threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads

import flint  # noqa: E402

from landscape_proofs.families.exact_view import exact_objective, exact_weights  # noqa: E402
from landscape_proofs.families.io import problem_from_dict  # noqa: E402
from landscape_proofs.families.deep_linear import Point  # noqa: E402
from landscape_proofs.kernel.congruence import inertia_by_congruence  # noqa: E402
from landscape_proofs.kernel.linalg import inertia  # noqa: E402
from landscape_proofs.numeric.congruence import DEFAULT_BITS, suggest_congruence  # noqa: E402


def unit_seconds() -> float:
    """FLINT charpoly of a fixed 200 x 200 integer matrix, entries in [-10, 10]."""
    rng = random.Random(12345)
    M = flint.fmpz_mat(200, 200, [rng.randint(-10, 10) for _ in range(200 * 200)])
    t = time.perf_counter()
    M.charpoly()
    return time.perf_counter() - t


def diag_rows(d: list[Fraction], r: int, c: int) -> list[list[str]]:
    return [[str(d[i]) if i == j and i < len(d) else "0" for j in range(c)] for i in range(r)]


def random_case(widths: list[int], seed: int):
    rng = random.Random(seed)
    d0, dH = widths[0], widths[-1]
    problem = problem_from_dict({
        "family": "deep-linear", "widths": widths, "loss": "square",
        "Y": [[str(rng.randint(-3, 3)) for _ in range(d0)] for _ in range(dH)]})
    shapes = list(zip(widths[1:], widths[:-1]))
    weights = [[[Fraction(rng.randint(-2, 2), rng.choice((1, 2))) for _ in range(c)]
                for _ in range(r)] for r, c in shapes]
    return problem, weights, False


def decay_case(widths: list[int], seed: int):
    """X = I, Y = diag(y), weight decay lam, W_l = diag(s) padded: critical by construction."""
    rng = random.Random(seed)
    lam = Fraction(1, 10)
    H = len(widths) - 1
    d = min(widths)
    s = [Fraction(rng.randint(4, 12), 4) for _ in range(d)]
    y = [si ** H + lam / si ** (H - 2) for si in s]
    d0, dH = widths[0], widths[-1]
    problem = problem_from_dict({
        "family": "deep-linear", "widths": widths, "loss": "square",
        "weight_decay": str(lam), "Y": diag_rows(y, dH, d0)})
    shapes = list(zip(widths[1:], widths[:-1]))
    weights = [[[Fraction(x) for x in row] for row in diag_rows(s, r, c)] for r, c in shapes]
    return problem, weights, True


def run_case(name: str, problem, weights, critical: bool) -> dict:
    obj = exact_objective(problem)
    W = exact_weights(Point.of(problem, weights))
    if critical:
        assert all(x == 0 for x in obj.gradient_vector(W)), "the point is not critical"
    t = time.perf_counter()
    H = obj.hessian(W)
    t_hess = time.perf_counter() - t
    n = H.nrows()

    t = time.perf_counter()
    T = obj.orbit_tangent(W, orthogonal=True) if critical else None
    t_tangent = time.perf_counter() - t

    t = time.perf_counter()
    V = suggest_congruence(H, T)
    t_suggest = time.perf_counter() - t
    t = time.perf_counter()
    ine_c = inertia_by_congruence(H, V) if V is not None else None
    t_check = time.perf_counter() - t

    t = time.perf_counter()
    ine_p = inertia(H)
    t_poly = time.perf_counter() - t

    agree = ine_c is None or ine_c == ine_p
    row = {"case": name, "n": n, "hessian_s": t_hess, "charpoly_s": t_poly,
           "tangent_s": t_tangent, "suggest_s": t_suggest, "check_s": t_check,
           "congruence_s": t_suggest + t_check, "inertia": ine_p.as_tuple(),
           "congruence_inertia": None if ine_c is None else ine_c.as_tuple(),
           "agree": agree}
    print(f"  {name}: n={n} inertia {ine_p.as_tuple()} charpoly {t_poly:.2f} s, "
          f"congruence {t_suggest:.2f} + {t_check:.2f} s "
          f"({'ok' if ine_c is not None else 'FAILED, fallback'}"
          f"{'' if agree else ', DISAGREE'})", flush=True)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--blas-threads", help="BLAS threads for eigh (read before the imports)")
    args = ap.parse_args(argv)
    sizes = [[5, 9, 9, 9, 5]] if args.quick else [[5, 9, 9, 9, 5], [16, 16, 16], [22, 22, 22]]
    rows = []
    for widths in sizes:
        for label, build in (("random point", random_case), ("weight-decay minimum", decay_case)):
            problem, weights, critical = build(widths, seed=sum(widths))
            unit = statistics.median(unit_seconds() for _ in range(3))
            print(f"unit (charpoly, 200 x 200 integer matrix): {unit:.3f} s", flush=True)
            row = run_case(f"{widths} {label}", problem, weights, critical)
            row["unit_s"] = unit
            rows.append(row)
    print()
    head = ["case", "N", "inertia", "unit", "charpoly", "congruence", "(eigh+round / check)",
            "speed-up", "charpoly units", "congruence units"]
    body = []
    for r in rows:
        ok = r["congruence_inertia"] is not None
        unit = r["unit_s"]
        body.append([r["case"], str(r["n"]), str(r["inertia"]), f"{unit:.2f} s",
                     f"{r['charpoly_s']:.2f} s",
                     f"{r['congruence_s']:.2f} s" + ("" if ok else " (failed)"),
                     f"{r['suggest_s']:.2f} / {r['check_s']:.2f}",
                     f"{r['charpoly_s'] / r['congruence_s']:.1f}x" if ok else "-",
                     f"{r['charpoly_s'] / unit:.1f}", f"{r['congruence_s'] / unit:.1f}"])
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)))
    print("-|-".join("-" * w for w in widths))
    for b in body:
        print(" | ".join(c.ljust(w) for c, w in zip(b, widths)))
    print(f"\nunit: FLINT charpoly of a fixed 200 x 200 integer matrix, median of 3 runs "
          f"before each case; V rounded to Z / 2^{DEFAULT_BITS}; "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"python-flint {flint.__version__}, BLAS threads "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    bad = [r["case"] for r in rows if not r["agree"]]
    if bad:
        print("DISAGREEMENT:", bad)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows}, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
