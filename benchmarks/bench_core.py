"""Speed benchmarks of the core routes of landscape_proofs, each beside the naive route.

Run from the repository root::

    python benchmarks/bench_core.py                 # full run, about 3 minutes
    python benchmarks/bench_core.py --json out.json # also write the figures as JSON
    python benchmarks/bench_core.py --quick         # fewer repeats, short caps (a smoke run)

What is measured (docs/benchmarks.md has the discussion and the figures of a run):

1. ``classify.classify`` on critical points of widths [4, 4, 4, 4] (48 parameters) whose
   kinds are known by hand; target: under 1 s each (median of several runs, after one
   warm-up run).  The whole call is timed: exact gradient, Hessian, inertia, the search
   for evidence, and the trusted checker re-verifying the certificate.
2. The exact Hessian at a rational point of widths [5, 9, 9, 9, 5] (252 parameters):
   assembly (``exact_objective(problem).hessian(W)``) and ``exact.linalg.inertia``;
   target: inertia under 3 s.  The same at 48 parameters, where the naive route finishes.
3. Float64 gradients at 10,000 points of widths [4, 4, 4, 4] with the batched evaluator
   (``problems.numeric_view.float64_objective(problem).gradient(Ws)``); target: under 50 ms.

The naive routes are measured in the same run: for 1 and 2, SymPy's ``hessian`` of the
expanded objective, substitution and ``Matrix.charpoly`` with Descartes' rule
(``benchmarks/naive_sympy.py``, run in subprocesses with a wall-time cap and a memory cap,
two at a time on a machine with two cores or more; a capped figure is a lower bound); for 3,
a per-point Python loop of NumPy matrix products, and ``sympy.lambdify`` of the entrywise
gradient called point by point.

The naive routes also report the inertia they find; it is compared with ours, so a wrong
answer from either side shows up in the table as a failure, not only a slow figure.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import flint
import numpy as np
import sympy as sp

from landscape_proofs.produce.classify import classify
from landscape_proofs.kernel.linalg import inertia, matrix, nullspace
from landscape_proofs.kernel.numbers import to_fraction
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.numeric.views import float64_objective

HERE = Path(__file__).resolve().parent
NAIVE_WORKER = HERE / "naive_sympy.py"
NAIVE_MEMORY_CAP = 8 * 2**30  # bytes of address space for one naive subprocess


# -- exact helpers (Fractions in, Fractions out) --------------------------------------------------
def diag(*d) -> list[list[Fraction]]:
    return [[Fraction(d[i]) if i == j else Fraction(0) for j in range(len(d))] for i in range(len(d))]


def rows_of(M: flint.fmpq_mat) -> list[list[Fraction]]:
    return [[to_fraction(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]


def mul(*mats) -> list[list[Fraction]]:
    """The product of matrices given as rows of Fractions (left to right)."""
    M = matrix(mats[0])
    for A in mats[1:]:
        M = M * matrix(A)
    return rows_of(M)


def inv(A) -> list[list[Fraction]]:
    return rows_of(matrix(A).inv())


def add_outer(A, u, z) -> list[list[Fraction]]:
    """A + u z^T."""
    return [[A[i][j] + u[i] * z[j] for j in range(len(z))] for i in range(len(u))]


def as_strings(rows) -> list[list[str]]:
    return [[str(Fraction(x)) for x in row] for row in rows]


# -- the cases ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A point of a problem, with the kind it is known (by hand) to have."""

    name: str
    problem: DeepLinearProblem
    weights: tuple
    expected: str | None = None   # a Kind value, or None for a point that is not critical

    @property
    def point(self) -> Point:
        return Point.of(self.problem, self.weights)


def classification_cases() -> tuple[list[Case], dict[str, DeepLinearProblem]]:
    """Critical points of widths [4, 4, 4, 4], kinds derived by hand.

    P_id: X = I_4, Y = diag(8, 27, 1, 64).
      * W_i = diag(2, 3, 1, 4): the product is Y, the loss is 0: a global minimum.
      * W_i = diag(2, 3, 1, 0): product diag(8, 27, 1, 0), residual -64 e_4 e_4^T.  The
        parameters (W_3)_{4,3} and (W_1)_{3,4} span a Hessian block [[1, -64], [-64, 1]]:
        a strict saddle.
      * W_i = diag(2, 3, 0, 4): the third coordinate is (abc - 1)^2 / 2 at a = b = c = 0,
        the Hessian is PSD and the loss drops like -t^3 along a chain: a non-strict saddle.
    P_dense: X a dense 4 x 5 integer matrix (rank 4), z spans its kernel (X z = 0),
      Y = W_3 W_2 W_1 X + u z^T with dense integer W_i.  Then G = (R X - Y) X^T = 0 and the
      loss is convex in R: a global minimum with a nonzero value.
    P_ortho: X a 4 x 5 matrix with orthogonal rows (X X^T = diag(2, 2, 3, 2)),
      Y = diag(8, 27, 1, 64) X + u z^T, and W = (S_1 D, S_2 D S_1^{-1}, D S_2^{-1}) with
      D = diag(2, 3, 1, 0) and unimodular S_1, S_2: the strict saddle of P_id moved by the
      GL(4) x GL(4) symmetry to a point with dense weights.
    """
    Y_id = diag(8, 27, 1, 64)
    P_id = DeepLinearProblem(widths=(4, 4, 4, 4), Y=Y_id)
    cases = [
        Case("X=I, W_i=diag(2,3,1,4)", P_id, (diag(2, 3, 1, 4),) * 3, "global-minimum"),
        Case("X=I, W_i=diag(2,3,1,0)", P_id, (diag(2, 3, 1, 0),) * 3, "strict-saddle"),
        Case("X=I, W_i=diag(2,3,0,4)", P_id, (diag(2, 3, 0, 4),) * 3, "non-strict-saddle"),
    ]

    X_dense = [[1, 2, 0, -1, 3], [0, 1, 1, 2, -1], [2, 0, 1, 1, 1], [1, -1, 2, 0, 1]]
    X_dense = [[Fraction(x) for x in row] for row in X_dense]
    (z,) = nullspace(matrix(X_dense))
    den = 1
    for x in z:
        den = den * to_fraction(x).denominator
    z = [to_fraction(x) * den for x in z]
    rng = random.Random(20240611)
    Wd = [[[Fraction(rng.randint(-2, 2)) for _ in range(4)] for _ in range(4)] for _ in range(3)]
    u = [Fraction(x) for x in (1, -2, 0, 3)]
    Y_dense = add_outer(mul(Wd[2], Wd[1], Wd[0], X_dense), u, z)
    P_dense = DeepLinearProblem(widths=(4, 4, 4, 4), X=X_dense, Y=Y_dense)
    cases.append(Case("X dense 4x5, dense W_i, R = least-squares fit", P_dense, tuple(Wd),
                      "global-minimum"))

    X_ortho = [[1, 1, 0, 0, 0], [1, -1, 0, 0, 0], [0, 0, 1, 1, 1], [0, 0, 1, -1, 0]]
    X_ortho = [[Fraction(x) for x in row] for row in X_ortho]
    z_o = [Fraction(x) for x in (0, 0, 1, 1, -2)]
    Y_ortho = add_outer(mul(Y_id, X_ortho), [Fraction(x) for x in (1, 0, -1, 1)], z_o)
    P_ortho = DeepLinearProblem(widths=(4, 4, 4, 4), X=X_ortho, Y=Y_ortho)
    S1 = mul([[1, 0, 0, 0], [1, 1, 0, 0], [0, -1, 1, 0], [2, 0, 1, 1]],
             [[1, 1, 0, -1], [0, 1, 2, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    S2 = mul([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 1, 0], [0, -1, 0, 1]],
             [[1, 0, 1, 0], [0, 1, -1, 1], [0, 0, 1, 0], [0, 0, 0, 1]])
    D = diag(2, 3, 1, 0)
    W_o = (mul(S1, D), mul(S2, D, inv(S1)), mul(D, inv(S2)))
    cases.append(Case("X orthogonal rows 4x5, dense W_i (GL-moved saddle)", P_ortho, W_o,
                      "strict-saddle"))
    return cases, {"id": P_id, "dense": P_dense, "ortho": P_ortho}


def random_point(problem: DeepLinearProblem, seed: int, p: int = 2, q: tuple = (1, 2)) -> tuple:
    """Entries a/b with a in [-p, p], b in q: a generic (non-critical) rational point."""
    rng = random.Random(seed)
    return tuple([[Fraction(rng.randint(-p, p), rng.choice(q)) for _ in range(c)]
                  for _ in range(r)] for r, c in problem.shapes)


def large_problem(n_samples: int | None = None) -> DeepLinearProblem:
    """Widths [5, 9, 9, 9, 5]: 45 + 81 + 81 + 45 = 252 parameters, Y small integers;
    X = I_5, or a dense 5 x n_samples integer matrix."""
    rng = random.Random(7)
    n = n_samples or 5
    X = None if n_samples is None else [[Fraction(rng.randint(-3, 3)) for _ in range(n)]
                                        for _ in range(5)]
    Y = [[Fraction(rng.randint(-3, 3)) for _ in range(n)] for _ in range(5)]
    return DeepLinearProblem(widths=(5, 9, 9, 9, 5), X=X, Y=Y)


# -- timing ---------------------------------------------------------------------------------------
@dataclass
class Runs:
    """Wall-clock and CPU seconds (this process) of each timed run."""

    wall_s: list[float]
    cpu_s: list[float]

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_s)


def timed(fn, repeat: int, warmup: int = 1):
    """(median wall seconds, the runs, last result) of ``fn()`` after ``warmup`` untimed runs."""
    result = None
    for _ in range(warmup):
        result = fn()
    runs = Runs([], [])
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        runs.wall_s.append(time.perf_counter() - t)
        runs.cpu_s.append(time.process_time() - c)
    return statistics.median(runs.wall_s), runs, result


@dataclass
class Row:
    """One line of the table."""

    section: str
    name: str
    ours_s: float | None            # median wall-clock seconds
    target_s: float | None = None
    ours_cpu_s: float | None = None  # median CPU seconds of the same runs
    naive_s: float | None = None
    naive_cpu_s: float | None = None
    naive_capped: bool = False      # the naive route was stopped at its cap: naive_s is a lower bound
    naive_route: str = ""
    correct: bool = True            # answers agree with the known kind / with the naive route
    note: str = ""
    details: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if not self.correct:
            return "FAIL (answer)"
        if self.target_s is None:
            return "-"
        return "pass" if self.ours_s is not None and self.ours_s < self.target_s else "FAIL"


def fmt_s(x: float | None, capped: bool = False) -> str:
    if x is None:
        return "-"
    if capped:
        return f"> {x:.0f} s"
    if x < 1e-3:
        return f"{x * 1e6:.0f} us"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def fmt_gain(row: Row) -> str:
    if row.naive_s is None or not row.ours_s:
        return "-"
    g = row.naive_s / row.ours_s
    return (">" if row.naive_capped else "") + (f"{g:,.0f}x" if g >= 10 else f"{g:.1f}x")


def print_table(rows: list[Row]) -> None:
    header = ["measurement", "target", "ours", "ours CPU", "naive", "naive CPU", "gain",
              "vs target"]
    body = [[r.name, fmt_s(r.target_s).replace(".00 s", " s"), fmt_s(r.ours_s), fmt_s(r.ours_cpu_s),
             fmt_s(r.naive_s, r.naive_capped), fmt_s(r.naive_cpu_s), fmt_gain(r), r.verdict]
            for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    section = None
    for r, b in zip(rows, body):
        if r.section != section:
            section = r.section
            print(f"[{section}]")
        print("  ".join(c.ljust(w) for c, w in zip(b, widths)))
    print()
    print("ours/naive: median wall-clock time; CPU: CPU time of the measuring process; gain: "
          "naive / ours (wall); '> N s': the naive route was stopped at its N s cap")
    print("naive routes and notes:")
    routes = list(dict.fromkeys(r.naive_route for r in rows if r.naive_route))
    for route in routes:
        print(f"  - {route}")
        for r in rows:
            if r.naive_route == route and r.note:
                print(f"    * {r.name.strip()}: {r.note}")
    for r in rows:
        if not r.naive_route and r.note:
            print(f"  * {r.name.strip()}: {r.note}")


# -- the naive SymPy route, in capped subprocesses ---------------------------------------------------
def _limit_memory():  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (NAIVE_MEMORY_CAP, NAIVE_MEMORY_CAP))


def run_naive(job: dict, cap: float, workdir: Path) -> dict:
    """Run one naive job; stop it (only this child, by its handle) when it exceeds ``cap`` s."""
    path = workdir / f"{job['id']}.json"
    path.write_text(json.dumps(job))
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(NAIVE_WORKER), str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_limit_memory)
    try:
        out, err = proc.communicate(timeout=cap)
        stopped = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        stopped = True
    wall = time.perf_counter() - start
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    stages = [e["stage"] for e in events if e["event"] == "stage"]
    finished = any(e["event"] == "done" for e in events)
    status = "finished" if finished else ("stopped at the cap" if stopped else "failed")
    if not finished and not stopped and "MemoryError" in err:
        status = f"out of the {NAIVE_MEMORY_CAP // 2**30} GB memory cap"
    return {"id": job["id"], "cap_s": cap, "wall_s": wall, "status": status,
            "last_stage": stages[-1] if stages else None, "events": events,
            "stderr_tail": err[-400:] if not finished else ""}


def naive_point_time(result: dict, name: str) -> tuple[float | None, list | None]:
    """Derivation (expand + hessian) + substitution + charpoly for one point, if it finished."""
    derive = sum(e["seconds"] for e in result["events"] if e["event"] in ("expanded", "derived"))
    for e in result["events"]:
        if e["event"] == "point" and e["name"] == name:
            return derive + e["substitute_seconds"] + e["charpoly_seconds"], e["inertia"]
    return None, None


def hessian_job(job_id: str, problem: DeepLinearProblem, points: list[tuple[str, tuple]]) -> dict:
    return {"id": job_id, "mode": "hessian-inertia", "widths": list(problem.widths),
            "X": as_strings(problem.X), "Y": as_strings(problem.Y),
            "points": [{"name": n, "weights": [as_strings(W) for W in ws]} for n, ws in points]}


# -- float64 naive routes ----------------------------------------------------------------------------
def numpy_loop_gradient(Ws, X, Y):
    """Backpropagation point by point, plain NumPy on 2-D arrays (the per-point loop)."""
    H, B = len(Ws), Ws[0].shape[0]
    out = [np.empty_like(W) for W in Ws]
    for b in range(B):
        ws = [W[b] for W in Ws]
        prefix, p = [None], None
        for W in ws:
            p = W if p is None else W @ p
            prefix.append(p)
        D = (prefix[-1] @ X - Y) @ X.T            # G = (R X - Y) X^T
        for k in range(H - 1, -1, -1):            # dL/dW_k = A_k^T G B_k^T
            out[k][b] = D if prefix[k] is None else D @ prefix[k].T
            D = ws[k].T @ D
    return out


def sympy_gradient_expressions(problem: DeepLinearProblem):
    """(symbols, the entrywise partial derivatives of 1/2 ||W_H ... W_1 X - Y||^2)."""
    syms, Ws = [], []
    for k, (r, c) in enumerate(problem.shapes):
        block = sp.symbols(f"w{k + 1}_0:{r}_0:{c}")
        syms.extend(block)
        Ws.append(sp.Matrix(r, c, block))
    R = Ws[0]
    for Wk in Ws[1:]:
        R = Wk * R
    E = R * sp.Matrix(problem.X) - sp.Matrix(problem.Y)
    L = sum(e ** 2 for e in E) / 2
    return syms, [sp.diff(L, s) for s in syms]


def lambdify_loop(f, flat: np.ndarray) -> np.ndarray:
    out = np.empty_like(flat)
    for b in range(flat.shape[0]):
        out[b] = f(*flat[b].tolist())
    return out


# -- the sections --------------------------------------------------------------------------------------
def bench_classify(cases: list[Case], repeat: int) -> list[Row]:
    rows = []
    for case in cases:
        point = case.point
        med, times, c = timed(lambda: classify(case.problem, point), repeat)
        ok = c.kind.value == case.expected
        rows.append(Row("1. exact classification, 48 parameters", case.name, med, target_s=1.0,
                        ours_cpu_s=times.cpu_median, correct=ok,
                        note="" if ok else f"expected {case.expected}, got {c.kind.value}",
                        details={"kind": c.kind.value, "expected": case.expected,
                                 "hessian_inertia": c.inertia, "method": c.method,
                                 "runs": asdict(times)}))
        print(f"  classify {case.name}: {c.kind.value} {c.inertia}, median {fmt_s(med)} "
              f"(CPU {fmt_s(times.cpu_median)})", flush=True)
    return rows


def bench_inertia(problem: DeepLinearProblem, weights, label: str, repeat: int,
                  repeat_inertia: int) -> tuple[list[Row], flint.fmpq_mat, tuple]:
    obj = exact_objective(problem)
    W = exact_weights(Point.of(problem, weights))
    med_h, times_h, Hm = timed(lambda: obj.hessian(W), repeat)
    med_i, times_i, ine = timed(lambda: inertia(Hm), repeat_inertia,
                                warmup=0 if obj.n_params > 100 else 1)
    n = obj.n_params
    bits = max(max(abs(int(x.p)).bit_length(), int(x.q).bit_length()) for x in Hm.entries())
    sec = "2. exact Hessian inertia"
    details = {"n_params": n, "inertia": ine.as_tuple(), "hessian_entry_bits": bits}
    details["problem"] = {"widths": list(problem.widths), "n_samples": problem.n_samples,
                          "X_is_identity": problem._x_is_identity}
    rows = [
        Row(sec, f"Hessian assembly, {label}", med_h, ours_cpu_s=times_h.cpu_median,
            details={**details, "runs": asdict(times_h)}),
        Row(sec, f"inertia (charpoly + Descartes), {label}", med_i,
            target_s=3.0 if n >= 200 else None, ours_cpu_s=times_i.cpu_median,
            details={**details, "runs": asdict(times_i)}),
        Row(sec, f"assembly + inertia, {label}", med_h + med_i,
            ours_cpu_s=times_h.cpu_median + times_i.cpu_median, details=details),
    ]
    print(f"  {label}: Hessian {fmt_s(med_h)}, inertia {ine.as_tuple()} {fmt_s(med_i)} "
          f"(CPU {fmt_s(times_i.cpu_median)})", flush=True)
    return rows, Hm, ine.as_tuple()


def bench_float64(problem: DeepLinearProblem, n_points: int, repeat: int,
                  plain_lambdify_points: int) -> list[Row]:
    sec = "3. float64 gradients, 10,000 points, 48 parameters"
    obj = float64_objective(problem)
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((n_points, r, c)) for r, c in problem.shapes]
    med, times, ours = timed(lambda: obj.gradient(Ws), repeat, warmup=2)
    ours_flat = obj.flatten(ours)
    scale = np.max(np.abs(ours_flat))
    label = f"{n_points:,} points, X 4x5"
    cpu = times.cpu_median
    rows = [Row(sec, f"batched gradient, {label}", med, target_s=0.05, ours_cpu_s=cpu,
                details={"runs": asdict(times), "n_points": n_points})]
    print(f"  float64 batched gradient: {fmt_s(med)}", flush=True)

    X = np.array([[float(x) for x in row] for row in problem.X])
    Y = np.array([[float(x) for x in row] for row in problem.Y])
    med_l, times_l, loop = timed(lambda: numpy_loop_gradient(Ws, X, Y), 3, warmup=0)
    err = float(np.max(np.abs(obj.flatten(loop) - ours_flat)) / scale)
    rows.append(Row(sec, "  vs NumPy per-point loop", med, ours_cpu_s=cpu, naive_s=med_l,
                    naive_cpu_s=times_l.cpu_median,
                    naive_route="NumPy per-point loop: backpropagation on 2-D arrays, one point "
                                "at a time (median of 3)",
                    correct=err < 1e-12,
                    details={"naive_runs": asdict(times_l), "max_relative_difference": err}))
    print(f"  NumPy loop: {fmt_s(med_l)} (max rel. diff {err:.1e})", flush=True)

    flat = obj.flatten(Ws)
    t = time.perf_counter()
    syms, grad = sympy_gradient_expressions(problem)
    derive = time.perf_counter() - t
    t = time.perf_counter()
    f_cse = sp.lambdify(syms, grad, "numpy", cse=True)
    setup_cse = derive + time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    lam = lambdify_loop(f_cse, flat)
    loop_cse, loop_cse_cpu = time.perf_counter() - t, time.process_time() - c
    err = float(np.max(np.abs(lam - ours_flat)) / scale)
    rows.append(Row(sec, "  vs sympy.lambdify(cse=True) loop", med, ours_cpu_s=cpu,
                    naive_s=loop_cse, naive_cpu_s=loop_cse_cpu,
                    naive_route="sympy.lambdify of the 48 partial derivatives of the (unexpanded) "
                                "objective, called once per point with Python floats; the "
                                "one-off derivation + lambdify time is not counted",
                    correct=err < 1e-9,
                    note=f"one-off derivation + lambdify: {setup_cse:.1f} s",
                    details={"setup_s": setup_cse, "max_relative_difference": err}))
    print(f"  lambdify(cse=True) loop: {fmt_s(loop_cse)} (+ setup {setup_cse:.1f} s, "
          f"max rel. diff {err:.1e})", flush=True)

    if plain_lambdify_points:
        t = time.perf_counter()
        f_plain = sp.lambdify(syms, grad, "numpy")
        setup_plain = derive + time.perf_counter() - t
        m = plain_lambdify_points
        t, c = time.perf_counter(), time.process_time()
        lam = lambdify_loop(f_plain, flat[:m])
        part, part_cpu = time.perf_counter() - t, time.process_time() - c
        err = float(np.max(np.abs(lam - ours_flat[:m])) / scale)
        rows.append(Row(sec, "  vs sympy.lambdify (default) loop", med, ours_cpu_s=cpu,
                        naive_s=part * n_points / m, naive_cpu_s=part_cpu * n_points / m,
                        naive_route=f"the same with lambdify's defaults (no cse), timed on "
                                    f"{m} points and scaled to {n_points:,}",
                        correct=err < 1e-9,
                        note=f"extrapolated from {m} points; one-off setup {setup_plain:.1f} s",
                        details={"setup_s": setup_plain, "timed_points": m, "timed_s": part,
                                 "max_relative_difference": err}))
        print(f"  lambdify loop: {fmt_s(part)} for {m} points (+ setup {setup_plain:.1f} s)",
              flush=True)
    return rows


# -- machine -------------------------------------------------------------------------------------------
def machine_info() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_flint": flint.__version__,
        "flint": getattr(flint, "__FLINT_VERSION__", "?"),
        "sympy": sp.__version__,
        "numpy": np.__version__,
        "load_average_at_start": os.getloadavg(),
    }


# -- main ----------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="PATH", help="also write the results to this JSON file")
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats and short caps on the naive routes (a smoke run)")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive SymPy subprocesses")
    ap.add_argument("--naive-workers", type=int, default=None,
                    help="naive subprocesses run at once (default: min(2, nproc))")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    info = machine_info()
    print(f"machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, "
          f"python-flint {info['python_flint']} (FLINT {info['flint']}), SymPy {info['sympy']}, "
          f"NumPy {info['numpy']}; load average {info['load_average_at_start'][0]:.2f}",
          flush=True)
    quick = args.quick
    repeat = 3 if quick else 7
    caps = ({"id": 20, "large": 10, "other": 5, "charpoly": 5} if quick else
            {"id": 240, "large": 60, "other": 25, "charpoly": 25})

    rows: list[Row] = []
    print("ours:", flush=True)
    cases, problems = classification_cases()
    rows += bench_classify(cases, repeat)

    P_big = large_problem()
    W_big = random_point(P_big, seed=11)
    big_rows, H_big, ine_big = bench_inertia(P_big, W_big, "252 parameters", 5 if not quick else 2,
                                             3 if not quick else 1)
    P_big2 = large_problem(n_samples=7)
    W_big2 = random_point(P_big2, seed=11, p=3, q=(1, 2, 3))
    big2_rows, _, _ = bench_inertia(P_big2, W_big2, "252 parameters, larger entries",
                                    5 if not quick else 2, 3 if not quick else 1)
    W_48 = random_point(problems["id"], seed=5)
    small_rows, _, ine_48 = bench_inertia(problems["id"], W_48, "48 parameters", repeat, repeat)
    rows += big_rows + big2_rows + small_rows

    f64_rows = bench_float64(problems["dense"], 10_000, 10 if quick else 30,
                             plain_lambdify_points=100 if quick else 300)

    if not args.no_naive:
        by_name = {c.name: c for c in cases}
        jobs = [
            (hessian_job("naive-id", problems["id"],
                         [(c.name, c.weights) for c in cases if c.problem is problems["id"]]
                         + [("random-48", W_48)]), caps["id"]),
            (hessian_job("naive-252", P_big, [("random-252", W_big)]), caps["large"]),
            (hessian_job("naive-dense", problems["dense"],
                         [(c.name, c.weights) for c in cases if c.problem is problems["dense"]]),
             caps["other"]),
            (hessian_job("naive-ortho", problems["ortho"],
                         [(c.name, c.weights) for c in cases if c.problem is problems["ortho"]]),
             caps["other"]),
            ({"id": "naive-charpoly-252", "mode": "charpoly-inertia", "name": "random-252",
              "matrix": [[str(to_fraction(H_big[i, j])) for j in range(H_big.ncols())]
                         for i in range(H_big.nrows())]}, caps["charpoly"]),
        ]
        workers = args.naive_workers or min(2, info["nproc"] or 1)
        print(f"naive SymPy routes ({len(jobs)} subprocesses, {workers} at a time, caps "
              f"{sorted(set(c for _, c in jobs))} s)...", flush=True)
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(run_naive, job, cap, Path(tmp)) for job, cap in jobs]
            results = {f.result()["id"]: f.result() for f in futures}
        for r in results.values():
            print(f"  {r['id']}: {r['status']} after {r['wall_s']:.1f} s"
                  + (f" (during: {r['last_stage']})" if r["status"] != "finished" else ""),
                  flush=True)
        attach_naive(rows, results, by_name, ine_big, ine_48)
    rows += f64_rows

    total = time.perf_counter() - t_start
    info["load_average_at_end"] = os.getloadavg()
    print()
    print_table(rows)
    print(f"\ntotal time {total:.0f} s; load average at the end "
          f"{info['load_average_at_end'][0]:.2f}")
    if args.json:
        out = {"machine": info, "total_s": total, "quick": quick,
               "naive": None if args.no_naive else
               {k: {kk: vv for kk, vv in v.items()} for k, v in results.items()},
               "rows": [{**asdict(r), "verdict": r.verdict} for r in rows]}
        Path(args.json).write_text(json.dumps(out, indent=1, default=str))
        print(f"wrote {args.json}")
    return 0 if all(r.verdict in ("pass", "-") for r in rows) else 1


def attach_naive(rows: list[Row], results: dict, cases: dict, ine_big, ine_48) -> None:
    """Put each naive figure (or its cap) beside the matching row, and compare inertias."""
    route_full = ("SymPy: expand 1/2||W_3 W_2 W_1 X - Y||^2, sympy.hessian, xreplace the point, "
                  "Matrix.charpoly + Descartes (derivation time included; it is shared by the "
                  "points of one problem)")
    job_of = {"X=I": "naive-id", "X dense": "naive-dense", "X orthogonal": "naive-ortho"}
    for row in rows:
        if row.section.startswith("1.") and row.name in cases:
            job = results[next(v for k, v in job_of.items() if row.name.startswith(k))]
            _fill(row, job, row.name, row.details.get("hessian_inertia"), route_full)
        elif row.section.startswith("2.") and "larger entries" in row.name:
            if row.name.startswith("inertia"):
                row.note = "naive route not run again: at 252 parameters it does not finish (row above)"
        elif row.section.startswith("2."):
            big = "252" in row.name
            if row.name.startswith("assembly + inertia"):
                _fill(row, results["naive-252" if big else "naive-id"],
                      "random-252" if big else "random-48", ine_big if big else ine_48,
                      route_full)
            elif row.name.startswith("inertia"):
                if big:
                    _fill(row, results["naive-charpoly-252"], "random-252", ine_big,
                          "SymPy Matrix.charpoly + Descartes on our exact 252 x 252 Hessian "
                          "(no derivation)", charpoly_only=True)
                else:
                    _fill(row, results["naive-id"], "random-48", ine_48,
                          "SymPy Matrix.charpoly + Descartes on the substituted Hessian "
                          "(the last step of the naive route alone)", charpoly_only=True)


def _fill(row: Row, job: dict, point: str, ours_inertia, route: str,
          charpoly_only: bool = False) -> None:
    row.naive_route = route
    row.details["naive_job"] = job["id"]
    if charpoly_only:
        hit = [e for e in job["events"] if e["event"] == "point" and e["name"] == point]
        naive_s, naive_ine = (hit[0]["charpoly_seconds"], hit[0]["inertia"]) if hit else (None, None)
        if hit:
            row.naive_cpu_s = hit[0]["charpoly_cpu_seconds"]
    else:
        naive_s, naive_ine = naive_point_time(job, point)
    how = (f"stopped at its {job['cap_s']:.0f} s cap" if job["status"] == "stopped at the cap"
           else job["status"]) + f" during: {job['last_stage']}"
    if naive_s is None and charpoly_only and job["id"] != "naive-charpoly-252":
        row.note = f"the naive route never reached its charpoly step ({how})"
        return
    if naive_s is None:
        row.naive_s, row.naive_capped = job["cap_s"], True
        row.note = f"naive route {how}"
        if job["status"] == "failed":
            row.naive_s, row.naive_capped = None, False
            row.note += f"; stderr: {job['stderr_tail']!r}"
        return
    row.naive_s = naive_s
    derive = [e for e in job["events"] if e["event"] in ("expanded", "derived")]
    if derive and not charpoly_only:
        row.details["naive_derivation_s"] = sum(e["seconds"] for e in derive)
        row.details["naive_derivation_cpu_s"] = sum(e["cpu_seconds"] for e in derive)
    hit = [e for e in job["events"] if e["event"] == "point" and e["name"] == point]
    if not charpoly_only:
        row.naive_cpu_s = row.details["naive_derivation_cpu_s"] + hit[0]["cpu_seconds"]
    row.details["naive_point_s"] = hit[0]["substitute_seconds"] + hit[0]["charpoly_seconds"]
    row.details["naive_point_cpu_s"] = hit[0]["cpu_seconds"]
    row.details["naive_inertia"] = naive_ine
    if ours_inertia is not None and list(ours_inertia) != list(naive_ine):
        row.correct = False
        row.note = f"inertia differs: ours {tuple(ours_inertia)}, naive {tuple(naive_ine)}"


if __name__ == "__main__":
    sys.exit(main())
