"""Speed of `landscape check` (issue 4): Lu & Kawaguchi on widths [3, 3, 3, 3] with n = 5 samples.

Run from the repository root::

    python benchmarks/bench_check.py            # 3 instances, the CLI in a fresh process each
    python benchmarks/bench_check.py --json out.json

Target: under 30 s per check with the default budget (the whole command is timed: interpreter
start, imports, assumption checks, closed-form critical points, float descent, exact
classification of every candidate, and the checker re-verifying every certificate).
The figures of a run are recorded in docs/theorems/README.md.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 30.0


def instance(seed: int) -> dict:
    """Widths [3, 3, 3, 3], n = 5.  Even seeds: random integer data (Sigma's characteristic
    polynomial is then usually irreducible: 2 closed-form critical products).  Odd seeds: the
    worst case for the check, X = [I_3 0] and Y = [diag(y) Z] so that Sigma = diag(y^2) has a
    rational spectrum and all 8 subsets of eigen-directions give exact critical points."""
    rng = random.Random(seed)
    if seed % 2 == 0:
        X = [[rng.randint(-3, 3) for _ in range(5)] for _ in range(3)]
        Y = [[rng.randint(-3, 3) for _ in range(5)] for _ in range(3)]
    else:
        ys = rng.sample(range(1, 8), 3)
        X = [[int(i == j) for j in range(5)] for i in range(3)]
        Y = [[ys[i] if i == j else (rng.randint(-2, 2) if j >= 3 else 0) for j in range(5)]
             for i in range(3)]
    return {"family": "deep-linear", "widths": [3, 3, 3, 3], "X": X, "Y": Y, "loss": "square"}


def run_once(problem: dict) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.json"
        path.write_text(json.dumps(problem))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "landscape_proofs", "check", "lu_kawaguchi2017",
                              str(path), "--json"], capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"landscape check failed ({out.returncode}): {out.stderr}")
    return elapsed, json.loads(out.stdout)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=4)
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    rows = []
    for seed in range(args.instances):
        elapsed, res = run_once(instance(seed))
        rows.append({"seed": seed, "seconds": round(elapsed, 2), "applies": res["applies"],
                     "status": res["conclusion"]["status"],
                     "points": len(res["conclusion"]["evidence"]["points"]),
                     "certificates": len(res["conclusion"]["certificates"])})
        print(f"seed {seed}: {elapsed:6.2f} s  applies={res['applies']}  "
              f"status={res['conclusion']['status']}  certificates={rows[-1]['certificates']}")
    worst = max(r["seconds"] for r in rows)
    ok = worst < TARGET_SECONDS
    print(f"worst {worst:.2f} s (target < {TARGET_SECONDS:.0f} s): {'ok' if ok else 'TOO SLOW'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "worst_seconds": worst,
                                               "target_seconds": TARGET_SECONDS}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
