"""The naive SymPy route to an exact Hessian inertia, run as a capped subprocess.

This is the baseline the benchmarks in ``bench_core.py`` compare against.  It uses SymPy
only (no ``landscape_proofs``), the way one would without this package:

1. build ``L(W) = 1/2 ||W_H ... W_1 X - Y||_F^2`` over one symbol per weight and expand it;
2. ``sympy.hessian(L, symbols)`` (all second derivatives, symbolically);
3. at each point, substitute the rational weights (``Matrix.xreplace``; ``Matrix.subs``
   gives the same matrix but is about 50x slower at 48 parameters, so the faster one is used
   to keep the baseline fair);
4. ``Matrix.charpoly()`` (SymPy's exact DomainMatrix charpoly over QQ) and Descartes'
   rule of signs, which is exact for a real symmetric matrix.

Usage (one JSON job per run)::

    python benchmarks/naive_sympy.py JOB.json

Modes: ``"hessian-inertia"`` (steps 1-4 at the job's points) and ``"charpoly-inertia"``
(step 4 only, on a matrix given in the job).  Progress is printed as one JSON object per
line and flushed, so a parent that stops this process at its time cap still knows which
stage was running.  Each step reports its wall time (``seconds``) and the CPU time of this
process (``cpu_seconds``), which tells how much of the wall time was lost to other load.  Numbers in a job are strings "p/q" (exact).
"""
from __future__ import annotations

import json
import sys
import time

import sympy as sp


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def exact_matrix(rows) -> sp.Matrix:
    return sp.Matrix([[sp.Rational(x) for x in row] for row in rows])


def descartes_inertia(descending) -> tuple[int, int, int]:
    """(positive, negative, zero) eigenvalue counts from the charpoly of a symmetric matrix."""
    coeffs = list(reversed(descending))          # ascending powers
    zero = 0
    while zero < len(coeffs) and coeffs[zero] == 0:
        zero += 1
    rest = coeffs[zero:]

    def changes(cs):
        signs = [1 if c > 0 else -1 for c in cs if c != 0]
        return sum(1 for a, b in zip(signs, signs[1:]) if a != b)

    positive = changes(rest)
    negative = changes([c if k % 2 == 0 else -c for k, c in enumerate(rest)])
    return positive, negative, zero


def charpoly_inertia(Hp: sp.Matrix) -> tuple[tuple[int, int, int], float, float]:
    """(inertia, wall seconds, CPU seconds)."""
    t, c = time.perf_counter(), time.process_time()
    cp = Hp.charpoly()
    ine = descartes_inertia(cp.all_coeffs())
    return ine, time.perf_counter() - t, time.process_time() - c


def hessian_inertia(job: dict) -> None:
    widths = job["widths"]
    H = len(widths) - 1
    syms, Ws = [], []
    for k in range(H):
        r, c = widths[k + 1], widths[k]
        block = sp.symbols(f"w{k + 1}_0:{r}_0:{c}")
        syms.extend(block)
        Ws.append(sp.Matrix(r, c, block))
    X = exact_matrix(job["X"])
    Y = exact_matrix(job["Y"])

    emit(event="stage", stage="expand the objective")
    t0, c0 = time.perf_counter(), time.process_time()
    R = Ws[0]
    for Wk in Ws[1:]:
        R = Wk * R
    E = R * X - Y
    L = sp.expand(sum(e ** 2 for e in E) / 2)
    t1, c1 = time.perf_counter(), time.process_time()
    emit(event="expanded", seconds=t1 - t0, cpu_seconds=c1 - c0, terms=len(L.args))

    emit(event="stage", stage="sympy.hessian")
    Hsym = sp.hessian(L, syms)
    t2, c2 = time.perf_counter(), time.process_time()
    emit(event="derived", seconds=t2 - t1, cpu_seconds=c2 - c1)

    for point in job["points"]:
        emit(event="stage", stage=f"evaluate at {point['name']}")
        values = [sp.Rational(x) for W in point["weights"] for row in W for x in row]
        t, c = time.perf_counter(), time.process_time()
        Hp = Hsym.xreplace(dict(zip(syms, values)))
        t_sub = time.perf_counter() - t
        ine, t_cp, c_cp = charpoly_inertia(Hp)
        emit(event="point", name=point["name"], substitute_seconds=t_sub,
             charpoly_seconds=t_cp, charpoly_cpu_seconds=c_cp,
             cpu_seconds=time.process_time() - c, inertia=list(ine))


def main(argv: list[str]) -> int:
    with open(argv[1]) as fh:
        job = json.load(fh)
    if job["mode"] == "hessian-inertia":
        hessian_inertia(job)
    elif job["mode"] == "charpoly-inertia":
        emit(event="stage", stage="Matrix.charpoly")
        Hp = exact_matrix(job["matrix"])
        ine, t_cp, c_cp = charpoly_inertia(Hp)
        emit(event="point", name=job["name"], substitute_seconds=0.0,
             charpoly_seconds=t_cp, charpoly_cpu_seconds=c_cp, cpu_seconds=c_cp,
             inertia=list(ine))
    else:
        raise SystemExit(f"unknown mode {job['mode']!r}")
    emit(event="done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
