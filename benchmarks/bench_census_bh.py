"""Counts of critical points against Bharadwaj & Hosten's tables (issue 11, items 5 and 6).

Deep linear networks trained on one data point with a generic per-entry weight decay
(``"weight_decay": [L_1, ..., L_H]``), as in Mehta, Chen, Tang & Hauenstein (2018) and
Bharadwaj & Hosten (2023).  For each architecture ``[d_x, hidden..., d_y]`` and a few seeded
draws of (x, y, Lambda) this runs

* the algebraic count (``search/census_algebra.py``): the number of complex critical points,
  a Groebner basis over Q with every zero proven simple;
* the census (``search/census.py``): every real critical point, certified, within a budget.

Run from the repository root::

    python benchmarks/bench_census_bh.py                   # every row, 2 draws, 600 s census budget
    python benchmarks/bench_census_bh.py --rows 1,1,1 2,1,2 --draws 3 --census-timeout 60
    python benchmarks/bench_census_bh.py --rows 1,2,2,1 --from-draw 2 --draws 4   # draws 2, 3

The last column is the 1-minute load average when the row ends (the machine is shared).

The published N_C below are the counts the issue quotes from Bharadwaj & Hosten's tables
(generic data, one data point); None where no count was quoted.  Results: docs/census.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

from landscape_proofs.kernel.census import check_census
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.search.census import census
from landscape_proofs.search.census_algebra import complex_count

PUBLISHED = {(1, 1, 1): 5, (2, 1, 2): 9, (1, 2, 2): 33, (1, 3, 2): 73, (1, 1, 1, 1): None,
             (1, 2, 2, 1): 129}
PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)


def draw(widths, seed: int) -> dict:
    """One data point x, y (nonzero integers) and decays p/q with distinct primes q: generic
    (no two decay entries equal, so no rotation of hidden units is a symmetry)."""
    rng = random.Random(seed)
    x = [[rng.choice([-3, -2, -1, 1, 2, 3])] for _ in range(widths[0])]
    y = [[rng.choice([-3, -2, -1, 1, 2, 3])] for _ in range(widths[-1])]
    decays = []
    for i in range(len(widths) - 1):
        decays.append([[f"{rng.randint(1, 5)}/{rng.choice(PRIMES)}" for _ in range(widths[i])]
                       for _ in range(widths[i + 1])])
    return {"family": "deep-linear", "widths": list(widths), "X": x, "Y": y, "loss": "square",
            "weight_decay": decays}


def float_real_count(prob: dict) -> tuple[int, int]:
    """(complex, real) critical points by an independent float solve: SymPy's Groebner basis of
    the gradient, the multiplication matrices on the standard monomials, the eigenvectors of a
    random combination (each one the evaluation of the monomials at a zero), Newton-polished
    in complex floats; real when every imaginary part is below 1e-8.  Evidence, not proof."""
    import itertools

    import numpy as np
    import sympy

    from landscape_proofs.families.io import problem_from_dict
    from landscape_proofs.symbolic.derive import derive_objective, parameter_symbols

    p = problem_from_dict(prob)
    L, xs = derive_objective(p), parameter_symbols(p)
    n, grads = len(xs), [sympy.expand(sympy.diff(derive_objective(p), x)) for x in xs]
    G = sympy.groebner(grads, *xs, order="grevlex", domain="QQ")
    leads = [sympy.Poly(g, *xs).monoms(order="grevlex")[0] for g in G.exprs]
    bounds = [min(m[i] for m in leads if all(m[j] == 0 for j in range(n) if j != i))
              for i in range(n)]
    basis = [e for e in itertools.product(*(range(b) for b in bounds))
             if not any(all(e[i] >= m[i] for i in range(n)) for m in leads)]
    index, m = {e: k for k, e in enumerate(basis)}, len(basis)

    def mult(ell):
        M = np.zeros((m, m))
        for col, e in enumerate(basis):
            rem = G.reduce(sympy.expand(ell * sympy.Mul(*[x ** k for x, k in zip(xs, e)])))[1]
            for mon, c in (sympy.Poly(rem, *xs).terms() if rem != 0 else ()):
                M[index[mon], col] = float(c)
        return M
    coef = np.random.default_rng(1).normal(size=n)
    _, vecs = np.linalg.eig(mult(sum(c * x for c, x in zip(coef, xs))).T)
    one = index[(0,) * n]
    gf = sympy.lambdify(xs, grads, "numpy")
    Hf = sympy.lambdify(xs, sympy.hessian(L, xs), "numpy")
    real = []
    for k in range(m):
        v = vecs[:, k] / vecs[one, k]
        z = np.array([v[index[tuple(int(j == i) for j in range(n))]] for i in range(n)])
        for _ in range(20):
            z = z - np.linalg.solve(np.array(Hf(*z), dtype=complex),
                                    np.array(gf(*z), dtype=complex))
        if np.max(np.abs(z.imag)) < 1e-8 and not any(np.max(np.abs(z.real - r)) < 1e-7
                                                     for r in real):
            real.append(z.real)
    return m, len(real)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", nargs="*", default=None, help="widths like 1,2,2 (default: all)")
    ap.add_argument("--draws", type=int, default=2, help="draws (seeds) below this number")
    ap.add_argument("--from-draw", type=int, default=0, help="first draw (seed)")
    ap.add_argument("--census-timeout", type=float, default=600.0)
    ap.add_argument("--algebra-timeout", type=float, default=600.0)
    ap.add_argument("--max-boxes", type=int, default=400000,
                    help="box budget (the kernel reads at most 400,001 tree nodes)")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--float-solve", action="store_true",
                    help="also count the real critical points by a float solve (float_real_count)")
    args = ap.parse_args(argv)
    rows = ([tuple(int(d) for d in r.split(",")) for r in args.rows] if args.rows
            else list(PUBLISHED))
    out = []
    print(f"{'widths':<14} {'draw':>4} {'N_C':>5} {'published':>9} {'alg s':>7} "
          f"{'real':>5} {'census s':>9} {'boxes':>7} {'verify s':>8} {'load':>5}  note")
    for widths in rows:
        for seed in range(args.from_draw, args.draws):
            prob = draw(widths, seed)
            n = read_problem(prob).n_params
            t = time.monotonic()
            nc, note = complex_count(prob, n, args.algebra_timeout)
            t_alg = time.monotonic() - t
            t = time.monotonic()
            rep = census(prob, timeout=args.census_timeout, algebra_timeout=0,
                         max_boxes=args.max_boxes)
            t_cen = time.monotonic() - t
            t_ver = None
            if rep.complete:                    # the kernel's check alone (landscape verify)
                t = time.monotonic()
                assert check_census(rep.certificate).valid
                t_ver = round(time.monotonic() - t, 2)
            if args.float_solve:
                t = time.monotonic()
                fc, fr = float_real_count(prob)
                print(f"# draw {seed}: float solve {fc} complex, {fr} real "
                      f"({time.monotonic() - t:.1f} s)", flush=True)
            pub = PUBLISHED.get(tuple(widths))
            row = {"widths": list(widths), "draw": seed, "parameters": n, "complex_count": nc,
                   "published": pub, "algebra_seconds": round(t_alg, 2),
                   "real_count": rep.real_count, "census_seconds": round(t_cen, 2),
                   "census_complete": rep.complete, "boxes": rep.boxes,
                   "verify_seconds": t_ver,
                   "reason": rep.reason if not rep.complete else "",
                   "kinds": rep.kinds, "load": round(os.getloadavg()[0], 2)}
            out.append(row)
            print(f"{str(list(widths)):<14} {seed:>4} {str(nc):>5} {str(pub):>9} {t_alg:>7.1f} "
                  f"{str(rep.real_count):>5} {t_cen:>9.1f} {rep.boxes:>7} {str(t_ver):>8} "
                  f"{row['load']:>5.1f}  "
                  f"{row['reason'] or rep.kinds}",
                  flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
