"""Speed of refinement + certified enclosure (issue 3, item 7): 48 parameters, 100 digits.

Run from the repository root::

    python benchmarks/bench_refine.py                 # the default instances, 100 digits
    python benchmarks/bench_refine.py --digits 1000   # the same at 1000 digits
    python benchmarks/bench_refine.py --json out.json

Target: refine a float approximation to 100 digits and certify the critical point it
converges to (Krawczyk + transversality + the kind, in arb) in under 2 s, for widths
[4, 4, 4, 4] (48 parameters).  What is timed is ``classify_refined(..., snap=False)``, the
path of ``landscape classify --refine`` when the point is irrational: the refinement, the
producer's choice of claim, building the certificate and the trusted checker's verdict on
it (the producer runs the checker before reporting).  The independent re-check of the
certificate (``landscape verify``'s work) is timed separately.  Imports are done before
timing.  Instances (seeded):

* ``global``: random integer X (4 x 6) and Y (4 x 6); a global minimum W_3 W_2 W_1 = Y X^+
  with random W_1, W_2, perturbed by 1e-8 (certified by convex-stationary + full ranks);
* ``saddle``: X = I, Y a random symmetric integer matrix; the product keeps two of Y's
  eigen-directions (irrational), a strict saddle.

The figures of a run are recorded in docs/enclosures.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from fractions import Fraction

import numpy as np

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.io import loads_exact, problem_from_dict

TARGET_SECONDS = 2.0
WIDTHS = [4, 4, 4, 4]


def _point(problem, Ws, rng, noise=1e-8):
    return Point.of(problem, [[[Fraction(float(x + noise * rng.normal())) for x in row] for row in W]
                              for W in Ws])


def global_instance(seed: int):
    rng = np.random.default_rng(seed)
    while True:
        X = rng.integers(-3, 4, size=(4, 6))
        if np.linalg.matrix_rank(X) == 4:
            break
    Y = rng.integers(-3, 4, size=(4, 6))
    p = problem_from_dict({"family": "deep-linear", "widths": WIDTHS, "X": X.tolist(),
                           "Y": Y.tolist(), "loss": "square"})
    Xf = X.astype(float)
    R = Y @ Xf.T @ np.linalg.inv(Xf @ Xf.T)
    W1, W2 = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    return p, _point(p, [W1, W2, R @ np.linalg.inv(W2 @ W1)], rng)


def saddle_instance(seed: int):
    rng = np.random.default_rng(seed)
    Y = rng.integers(-3, 4, size=(4, 4))
    Y = Y + Y.T
    p = problem_from_dict({"family": "deep-linear", "widths": WIDTHS, "Y": Y.tolist(),
                           "loss": "square"})
    lam, U = np.linalg.eigh(Y.astype(float))
    keep = np.zeros(4)
    keep[[1, 3]] = 1                      # not the two largest |eigenvalues|: a saddle
    R = U @ np.diag(lam * keep) @ U.T
    A, B = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    W1 = A @ np.diag(keep) @ U.T
    return p, _point(p, [W1, B, R @ np.linalg.pinv(B @ W1)], rng)


def run(kind: str, seed: int, digits: int) -> dict:
    p, pt = (global_instance if kind == "global" else saddle_instance)(seed)
    t0 = time.perf_counter()
    res = classify_refined(p, pt, digits=digits, snap=False)
    t1 = time.perf_counter()
    text = json.dumps(res.certificate) if res.certificate else None
    verified = None
    if text is not None:
        cert = loads_exact(text)
        t2 = time.perf_counter()
        verified = check_certificate(cert).valid
        t3 = time.perf_counter()
    return {"instance": kind, "seed": seed, "digits": digits, "n_params": p.n_params,
            "kind": res.kind.value, "seconds": round(t1 - t0, 3),
            "verify_seconds": round(t3 - t2, 3) if text else None, "verified": verified,
            "refine_iterations": res.refinement.iterations if res.refinement else None,
            "free_coordinates": res.refinement.free_coordinates if res.refinement else None,
            "residual": res.refinement.residual if res.refinement else None}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--digits", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    rows = [run(kind, seed, args.digits) for kind in ("global", "saddle") for seed in range(args.seeds)]
    print(f"{'instance':9} {'seed':>4} {'N':>3} {'kind':16} {'refine+certify':>15} {'verify':>7} "
          f"{'steps':>5} {'free':>4}  residual")
    for r in rows:
        print(f"{r['instance']:9} {r['seed']:>4} {r['n_params']:>3} {r['kind']:16} "
              f"{r['seconds']:>13.3f} s {r['verify_seconds'] or 0:>5.3f} s {r['refine_iterations']:>5} "
              f"{r['free_coordinates']:>4}  {r['residual']}")
    worst = max(r["seconds"] for r in rows)
    ok = all(r["verified"] for r in rows) and worst < TARGET_SECONDS
    print(f"worst refine+certify: {worst:.3f} s at {args.digits} digits "
          f"(target {TARGET_SECONDS} s): {'OK' if ok else 'MISSED'}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"digits": args.digits, "target_seconds": TARGET_SECONDS, "rows": rows,
                       "worst_seconds": worst, "ok": ok}, fh, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
