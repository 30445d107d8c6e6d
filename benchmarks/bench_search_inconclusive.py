"""The share of limit points `search` leaves undecided on the bundled examples (issue 12, item 6).

For each problem in ``landscape_proofs/data/examples`` this runs ``search`` (seeded) and counts
the converged starts whose limit-point group is not certified, as a share of all converged
starts (the report's ``undecided`` and ``inconclusive_share``).  Target: at most 1 % on every
example.  Exit 1 when an example is above the target.

    python benchmarks/bench_search_inconclusive.py [--starts 200] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from landscape_proofs.produce.tour import example_files, load_example
from landscape_proofs.families.io import problem_from_dict
from landscape_proofs.search.multistart import SearchConfig, search


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    rows, total_conv, total_undecided = [], 0, 0
    print(f"{'example':<22} {'converged':>9} {'undecided':>9} {'share':>7} {'groups':>6} {'s':>6}")
    for path in example_files():
        ex = load_example(path)
        problem = problem_from_dict(ex["problem"])
        t0 = time.monotonic()
        try:
            rep = search(problem, SearchConfig(starts=args.starts, seed=args.seed))
        except Exception as exc:          # a family search does not take: say so, go on
            print(f"{ex['name']:<22} not searchable: {type(exc).__name__}: {exc}")
            continue
        conv = sum(g.starts for g in rep.groups)
        undecided = rep.undecided                 # runs in groups not certified
        assert undecided == sum(g.starts for g in rep.groups if not g.certified)
        total_conv += conv
        total_undecided += undecided
        share = undecided / conv if conv else 0.0
        rows.append({"example": ex["name"], "converged": conv, "undecided": undecided,
                     "share": share, "groups": len(rep.groups),
                     "undecided_reasons": [g.reason for g in rep.groups if not g.certified][:3],
                     "seconds": round(time.monotonic() - t0, 2)})
        print(f"{ex['name']:<22} {conv:>9} {undecided:>9} {share:>7.1%} {len(rep.groups):>6} "
              f"{rows[-1]['seconds']:>6}", flush=True)
    overall = total_undecided / total_conv if total_conv else 0.0
    print(f"{'all':<22} {total_conv:>9} {total_undecided:>9} {overall:>7.1%}")
    worst = max((r["share"] for r in rows), default=0.0)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"rows": rows, "overall_share": overall, "worst_share": worst}, fh, indent=1)
    return 0 if worst <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
