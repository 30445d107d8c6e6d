"""``landscape search``: many starts, batched descent, limit points grouped and certified.

Pipeline (every float step is a producer step; only the checker's yes counts):

1. draw ``starts`` points (:mod:`.starts`, seeded);
2. run the local method on all of them in batches (:mod:`.local`);
3. runs whose gradient did not get small are *stopped short* (or *diverged*): they are
   counted, never classified, never called critical;
4. the converged runs are grouped by symmetry invariants (:mod:`.dedupe`);
5. each group's best-converged member is handed to :mod:`.snap`, which proposes exact
   points nearby and classifies the first exactly critical one (certificate re-verified by
   the checker), or reports the group as *not certified* with the reason; groups whose exact
   points are proven to lie on one orbit (:func:`.dedupe.orbit_map`) are then merged, and
   no others; the runs of a group certified by an enclosure (an irrational point) are
   gauge-fixed exactly onto its certificate's slice and certified in one wider box, which
   also merges float groups all of whose runs land in it (:func:`.boxes.orbit_boxes`);
6. the global value is stated when it is proven: the closed-form optimum of the square
   loss without weight decay (compared exactly), or the value of a certified global
   minimum that was reached.

The result is a :class:`SearchReport` (frozen; ``to_json()``, ``table()``).  With the same
problem, configuration and seed the report is the same (timings aside).

Families: ``deep-linear`` (and ``matrix-factorization``), ``multi-tower`` and
``symmetric-factorization``; what differs between them (starts, invariants, canonical exact
points) is in :mod:`.families`, :mod:`.starts`, :mod:`.dedupe` and :mod:`.snap`.

>>> from landscape_proofs.families.io import problem_from_dict
>>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[4]],
...                        "loss": "square"})
>>> r = search(p, SearchConfig(starts=8, seed=1))
>>> [(g.kind.value, str(g.value), g.starts) for g in r.groups]
[('global-minimum', '0', 8)]
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from landscape_proofs.budget import DeadlineExceeded, deadline
from landscape_proofs.produce.certificate import write_certificate
from landscape_proofs.produce.classify import Budget
from landscape_proofs.kernel.errors import InputError, NotDifferentiableError, UnsupportedError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.numeric.float64 import flatten
from landscape_proofs.families.base import Point, Problem
from landscape_proofs.families.io import point_to_dict, problem_to_dict, write_text_atomic
from landscape_proofs.numeric.views import float64_objective
from landscape_proofs.search.blas import single_blas_thread
from landscape_proofs.search.boxes import orbit_boxes
from landscape_proofs.search.dedupe import exact_invariants, group, problem_invariants
from landscape_proofs.search.families import require_searchable
from landscape_proofs.search.local import DescentConfig, RunStatus, STATUS_OF_CODE, descend
from landscape_proofs.search.snap import certify_limit_point, simplest_rational
from landscape_proofs.search.starts import DEFAULT_PLAN, StartSpec, iter_starts, natural_scale

Progress = Callable[[int, int, str], None]


MAX_STARTS = 10_000_000


@dataclass(frozen=True)
class SearchConfig:
    """What ``landscape search`` does; every field has a sensible default."""

    starts: int = 200
    seed: int = 0
    descent: DescentConfig = DescentConfig()
    plan: tuple[StartSpec, ...] = DEFAULT_PLAN
    dedupe_tol: float = 1e-5
    rank_tol: float = 1e-6
    max_groups_classified: int = 256   # new exact classifications (reuses are free)
    chunk: int = 256
    budget: Budget = Budget()
    enclosures: bool = True        # certify irrational limit points by interval enclosures
    digits: int = 40               # refinement precision of the enclosure route
    timeout: float | None = None   # seconds; groups left when it expires stay unclassified

    def __post_init__(self):
        for name in ("starts", "chunk", "max_groups_classified"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError("expected an integer >= 1", field=name, got=v)
        if self.starts > MAX_STARTS:
            raise InputError(f"expected at most {MAX_STARTS} starts (memory grows with them)",
                             field="starts", got=self.starts)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError("expected an integer >= 0", field="seed", got=self.seed)
        for name in ("dedupe_tol", "rank_tol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 < v < 1):
                raise InputError("expected a number in (0, 1)", field=name, got=v)
        if self.timeout is not None and (isinstance(self.timeout, bool) or not isinstance(
                self.timeout, (int, float)) or not 0 < self.timeout < 1e9):
            raise InputError("expected a number of seconds > 0", field="timeout", got=self.timeout)

    def to_json(self) -> dict:
        d = self.descent
        return {"starts": self.starts, "seed": self.seed, "method": d.method.value,
                "gtol": d.gtol, "plan": [s.label for s in self.plan],
                "dedupe_tol": self.dedupe_tol, "rank_tol": self.rank_tol,
                "enclosures": self.enclosures, "digits": self.digits}


@dataclass(frozen=True)
class StartOutcome:
    """Where one start ended (floats: hints)."""

    index: int
    start: str               # start kind and scale, e.g. "gaussian@1"
    status: RunStatus
    value: float
    gradient_norm: float
    iterations: int
    group: int | None        # id of the limit-point group (converged runs only)

    def to_json(self) -> dict:
        return {"index": self.index, "start": self.start, "status": self.status.value,
                "value_approx": _finite(self.value), "gradient_norm": _finite(self.gradient_norm),
                "iterations": self.iterations, "group": self.group}


@dataclass(frozen=True)
class LimitPointGroup:
    """Converged runs with equal symmetry invariants, and what was proven about them."""

    id: int
    starts: int                          # how many runs ended in this group
    representative: int                  # index of the run that was classified
    value_approx: float                  # float value at the representative (a hint)
    rank_profile: tuple[int, ...]        # ranks of W_j...W_i (per tower; U U^T: rank U)
    certified: bool
    kind: Kind | None                    # None: no exact critical point found nearby
    value: Fraction | None               # exact value of the certified point
    route: str                           # how the exact point was obtained
    distance: float | None               # max coordinate distance float -> exact point
    reason: str
    point: Point | None = None
    certificate: dict | None = field(default=None, repr=False)   # JSON, checked
    certificate_file: str | None = None
    subgroups: int = 1                   # float groups merged (same orbit, proven)
    value_enclosure: tuple[Fraction, Fraction] | None = None     # enclosure route
    orbit_proven: int = 0                # merged float groups whose exact points are A . point
    # enclosure groups: runs gauge-fixed exactly into one certified box H (boxes.orbit_boxes)
    runs_in_certified_box: int | None = None     # None: no enclosure (exact point, or none)
    box_certificate: dict | None = field(default=None, repr=False)   # H, checked
    box_certificate_file: str | None = None
    box_reason: str | None = None
    box_farthest: Fraction | None = None         # max |gauge-fixed run - center| over those runs

    @property
    def value_text(self) -> str:
        if self.value is not None:
            return str(format_exact(self.value))
        if self.value_enclosure is not None:
            lo, hi = self.value_enclosure
            return f"{float(lo):.10g} (enclosed)" if float(lo) == float(hi) else \
                f"[{float(lo):.6g}, {float(hi):.6g}]"
        return f"~{self.value_approx:.6g}"

    @property
    def label(self) -> str:
        if self.kind is None:
            return "not certified"
        return self.kind.value if self.certified else f"{self.kind.value} (not certified)"

    def to_json(self) -> dict:
        return {"id": self.id, "starts": self.starts, "representative": self.representative,
                "value_approx": _finite(self.value_approx), "rank_profile": list(self.rank_profile),
                "certified": self.certified,
                "kind": None if self.kind is None else self.kind.value,
                "value": None if self.value is None else format_exact(self.value),
                "value_enclosure": (None if self.value_enclosure is None else
                                    {"lo": format_exact(self.value_enclosure[0]),
                                     "hi": format_exact(self.value_enclosure[1])}),
                "route": self.route, "distance": self.distance, "reason": self.reason,
                "point": None if self.point is None else point_to_dict(self.point),
                "certificate_file": self.certificate_file, "subgroups": self.subgroups,
                "orbit_proven": self.orbit_proven,
                "runs_in_certified_box": self.runs_in_certified_box,
                "box_certificate_file": self.box_certificate_file, "box_reason": self.box_reason,
                "box_farthest": (None if self.box_farthest is None
                                 else format_exact(self.box_farthest))}


@dataclass(frozen=True)
class GlobalValue:
    """The global minimum value when it is proven (``value``), else a float hint or nothing."""

    value: Fraction | None
    approx: float | None
    source: str

    def to_json(self) -> dict:
        return {"value": None if self.value is None else format_exact(self.value),
                "approx": _finite(self.approx), "source": self.source}

    def describe(self) -> str:
        if self.value is not None:
            return f"{format_exact(self.value)} ({self.source})"
        if self.approx is not None:
            return f"~{self.approx:.10g} ({self.source})"
        return f"unknown ({self.source})"


@dataclass(frozen=True)
class SearchReport:
    """Everything ``landscape search`` found; see :meth:`table` and :meth:`to_json`."""

    problem: Problem
    config: SearchConfig
    outcomes: tuple[StartOutcome, ...]
    groups: tuple[LimitPointGroup, ...]
    global_value: GlobalValue
    seconds: float
    descent_seconds: float
    stopped: str | None = None     # "timeout" or "interrupted": some groups left unclassified

    @property
    def complete(self) -> bool:
        return self.stopped is None

    def count(self, status: RunStatus) -> int:
        return sum(o.status is status for o in self.outcomes)

    @property
    def stopped_short(self) -> int:
        return self.count(RunStatus.STOPPED_SHORT)

    @property
    def diverged(self) -> int:
        return self.count(RunStatus.DIVERGED)

    @property
    def converged(self) -> int:
        return self.count(RunStatus.CONVERGED)

    @property
    def at_kink(self) -> int:
        return self.count(RunStatus.AT_KINK)

    @property
    def undecided(self) -> int:
        """Converged runs (in groups) whose group is not certified."""
        return sum(g.starts for g in self.groups if not g.certified)

    @property
    def inconclusive_share(self) -> float:
        """The share of the runs in groups whose group is not certified (0 without groups)."""
        n = sum(g.starts for g in self.groups)
        return self.undecided / n if n else 0.0

    def spurious_minima(self) -> tuple[LimitPointGroup, ...]:
        return tuple(g for g in self.groups
                     if g.certified and g.kind is Kind.SPURIOUS_LOCAL_MINIMUM)

    def to_json(self, include_starts: bool = True) -> dict:
        out = {
            "problem": problem_to_dict(self.problem),
            "config": self.config.to_json(),
            "starts": self.config.starts,
            "starts_run": len(self.outcomes),
            "converged": self.converged,
            "stopped_short": self.stopped_short,
            "diverged": self.diverged,
            "at_kink": self.at_kink,
            "global_value": self.global_value.to_json(),
            "groups": [g.to_json() for g in self.groups],
            "undecided": self.undecided,
            "inconclusive_share": self.inconclusive_share,
            "complete": self.complete,
            "stopped": self.stopped,
            "seconds": round(self.seconds, 4),
            "descent_seconds": round(self.descent_seconds, 4),
        }
        if include_starts:
            out["runs"] = [o.to_json() for o in self.outcomes]
        return out

    def table(self) -> str:
        """The summary table for people."""
        c = self.config
        lines = [f"{c.starts} starts (seed {c.seed}), {c.descent.method.value} descent, "
                 f"{self.seconds:.2f} s ({self.descent_seconds:.2f} s descending)",
                 f"global value: {self.global_value.describe()}", ""]
        if self.stopped:
            lines.insert(1, f"INCOMPLETE ({self.stopped}): the groups after that were left "
                            "unclassified; what is listed as certified holds")
        if len(self.outcomes) < c.starts:
            lines.insert(2, f"only {len(self.outcomes)} of {c.starts} starts were descended "
                            "before the time budget ran out; the others were not run")
        head = ("group", "value", "kind", "starts", "certificate")
        rows = []
        for g in self.groups:
            val = g.value_text
            cert = g.certificate_file or ("(in memory)" if g.certificate is not None else "-")
            rows.append((str(g.id), str(val), g.label, str(g.starts), cert))
        widths = [max(len(x) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
        fmt = lambda cells: "  ".join(x.ljust(w) for x, w in zip(cells, widths)).rstrip()  # noqa: E731
        lines += [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]
        for g in self.groups:
            if not g.certified:
                lines.append(f"  group {g.id}: {g.reason}")
            elif g.runs_in_certified_box is not None:
                lines.append(f"  group {g.id}: {g.box_reason}" + (
                    f" ({g.box_certificate_file})" if g.box_certificate_file else ""))
        lines.append("")
        lines.append(f"stopped short (gradient not small; never counted as critical points): "
                     f"{self.stopped_short}")
        lines.append(f"diverged: {self.diverged}")
        if self.at_kink:
            lines.append(f"runs that stopped at a kink of the nonsmooth loss (grouped and "
                         f"classified exactly, no float gradient test): {self.at_kink}")
        lines.append(f"total: {len(self.outcomes)} starts = {sum(g.starts for g in self.groups)} in "
                     f"{len(self.groups)} limit-point groups + {self.stopped_short} stopped short "
                     f"+ {self.diverged} diverged")
        lines.append(f"undecided: {self.undecided} of {sum(g.starts for g in self.groups)} runs "
                     f"in groups are in groups not certified ({self.inconclusive_share:.1%})")
        return "\n".join(lines)


def _finite(x):
    return None if x is None or not np.isfinite(x) else float(x)


# --- the global value ---------------------------------------------------------------------
def square_loss_optimum_approx(problem: Problem) -> float:
    """1/2 (||Y (I - P)||^2 + sum_{i > r} sigma_i(Y P)^2) in float64 (a hint).

    Valid for deep-linear and multi-tower problems (whose products range over all matrices
    of rank <= ``max_rank``), not for ``U U^T`` (see :func:`psd_square_optimum_approx`).
    """
    X = np.array([[float(v) for v in row] for row in problem.X])
    Y = np.array([[float(v) for v in row] for row in problem.Y])
    P = np.linalg.pinv(X) @ X
    YP = Y @ P
    s = np.linalg.svd(YP, compute_uv=False)
    r = problem.max_rank
    return 0.5 * (float(np.sum((Y - YP) ** 2)) + float(np.sum(s[r:] ** 2)))


def psd_square_optimum_approx(problem) -> float:
    """``min 1/2 ||U U^T - Y||^2`` over ``n x k`` matrices ``U``, in float64 (a hint).

    With ``S = (Y + Y^T)/2``, ``A = (Y - Y^T)/2``: ``||P - Y||^2 = ||P - S||^2 + ||A||^2`` for a
    symmetric ``P``, and the nearest PSD matrix of rank <= k to ``S`` keeps its (at most k)
    largest positive eigenvalues (Eckart-Young in the eigenbasis of ``S``).
    """
    Y = np.array([[float(v) for v in row] for row in problem.Y])
    S, A = (Y + Y.T) / 2, (Y - Y.T) / 2
    lam = np.sort(np.linalg.eigvalsh(S))[::-1]
    kept = np.zeros_like(lam)
    top = min(problem.k, lam.size)
    kept[:top] = np.maximum(lam[:top], 0.0)
    return 0.5 * (float(np.sum((lam - kept) ** 2)) + float(np.sum(A ** 2)))


def psd_square_optimum_exact(problem) -> Fraction | None:
    """``min 1/2 ||U U^T - Y||^2`` exactly, when the symmetric part ``S`` of ``Y`` is
    positive semidefinite of rank ``<= k``; else None (the optimum is then irrational in
    general).  ``S = V V^T`` for a real ``n x k`` matrix ``V`` (eigendecomposition), so the
    bound ``1/2 ||P - Y||^2 = 1/2 ||P - S||^2 + 1/2 ||A||^2 >= 1/2 ||A||^2`` of
    :func:`psd_square_optimum_approx` is reached: the value is ``1/2 ||A||^2``, rational.
    """
    from landscape_proofs.kernel.linalg import frobenius_sq, inertia
    Y = matrix(problem.Y)
    n = Y.nrows()
    if n != Y.ncols() or n > 200:                     # guard: exact charpoly of S
        return None
    S = matrix([[(Y[i, j] + Y[j, i]) / 2 for j in range(n)] for i in range(n)])
    signs = inertia(S)
    if signs.negative or signs.positive > problem.k:
        return None
    A = matrix([[(Y[i, j] - Y[j, i]) / 2 for j in range(n)] for i in range(n)])
    q = frobenius_sq(A) / 2
    return Fraction(int(q.p), int(q.q))


def global_value(problem: Problem, groups=()) -> GlobalValue:
    """The global value when proven: the square-loss closed form (exact when rational) or
    the value of a certified global minimum among ``groups``."""
    for g in groups:
        if g.certified and g.kind is Kind.GLOBAL_MINIMUM and g.value is not None:
            return GlobalValue(g.value, float(g.value), "value of a certified global minimum reached")
    for g in groups:
        if g.certified and g.kind is Kind.GLOBAL_MINIMUM and g.value_enclosure is not None:
            lo, hi = g.value_enclosure
            return GlobalValue(None, float((lo + hi) / 2),
                               f"enclosed in [{float(lo):.12g}, {float(hi):.12g}] by a certified "
                               "global minimum reached")
    if problem.psd_product:
        if problem.loss.square_like and problem.weight_decay == 0:
            exact = psd_square_optimum_exact(problem)
            if exact is not None:
                return GlobalValue(exact, float(exact), "closed form of the PSD-constrained "
                                   "optimum, exact: the symmetric part of Y is positive "
                                   "semidefinite of rank <= k (exact inertia), so U U^T "
                                   "reaches it and only the antisymmetric part is left")
            return GlobalValue(None, psd_square_optimum_approx(problem),
                               "float64 closed form of the PSD-constrained optimum: a hint, "
                               "not proven (no exact evidence proves a PSD-constrained "
                               "optimum; see docs/families.md)")
        return GlobalValue(None, None, "no closed form for this loss and no certified global "
                           "minimum reached")
    if problem.loss.square_like and problem.weight_decay == 0:
        approx = square_loss_optimum_approx(problem)
        X, Y = matrix(problem.X), matrix(problem.Y)
        for delta in (1e-12, 1e-9):
            q = Fraction(approx)
            cand = simplest_rational(q - Fraction(delta * (1 + abs(approx))),
                                     q + Fraction(delta * (1 + abs(approx))))
            if compare_with_square_optimum(X, Y, problem.max_rank, cand) == 0:
                return GlobalValue(cand, approx, "closed-form optimum of the square loss, exact")
        return GlobalValue(None, approx, "closed-form optimum of the square loss: irrational; "
                           "compared exactly with each certified value")
    return GlobalValue(None, None, "no closed form for this loss and no certified global "
                       "minimum reached")


# --- the search ---------------------------------------------------------------------------
def _descend_all(problem, cfg: SearchConfig, progress: Progress | None):
    obj = float64_objective(problem)
    specs = tuple(cfg.plan[i % len(cfg.plan)] for i in range(cfg.starts)) if cfg.plan else ()
    nu = natural_scale(problem)
    N = problem.n_params
    from landscape_proofs.search import jit   # compiled descent loaded now where it pays
    jit.expect(obj, N, cfg.starts)
    # memory per point: a dense N x N Hessian, or (Hessian-free) 128 N: the descent keeps 32
    # starts moving at a time (hessian_free._WIDTH, with their L-BFGS pairs and Lanczos bases)
    # and the rest of its batch waiting, so a finished run's place is taken at once; 76 starts
    # a batch at 2,048 parameters (--timeout drops the batch it interrupts)
    per_point = N * N if _descend(N, obj) is descend else 128 * N
    chunk = max(1, min(cfg.chunk, int(2e7 // max(per_point, 1))))
    parts = []
    with deadline(cfg.timeout):       # --timeout: the starts not descended in time are not run
        # drawn chunk by chunk (the same numbers as all at once): none drawn that is not run
        for lo, Ws in iter_starts(problem, cfg.starts, cfg.seed, cfg.plan, chunk):
            try:
                parts.append(_descend(N, obj)(obj, flatten(Ws), cfg.descent, nu))
            except DeadlineExceeded:
                break
            if progress:
                progress(min(lo + chunk, cfg.starts), cfg.starts, "descent")
    if not parts:
        empty = np.zeros((0, N))
        return obj, specs, empty, np.zeros(0), np.zeros(0), np.zeros(0, int), np.zeros(0, int)
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
    return obj, specs, cat("x"), cat("value"), cat("gradient_norm"), cat("iterations"), cat("status")


def _descend(N: int, obj):
    """The local method for N parameters: dense second order (:func:`.local.descend`) up to
    ``hessian_free.HESSIAN_FREE_MIN_N`` parameters, Hessian-free (Lanczos on Hessian-vector
    products, :mod:`.hessian_free`) above, where the objective has Hessian-vector products."""
    from landscape_proofs.search import hessian_free

    if N > hessian_free.HESSIAN_FREE_MIN_N and hasattr(obj, "hvp_vector"):
        return hessian_free.descend_hessian_free
    return descend


def _mark_kinks(obj, x, status, tol: float = 1e-7):
    """Nonsmooth loss (l1): a run that stopped short where an entry of the loss argument is
    ~0 stopped at a kink; no float gradient test applies there, so it goes to exact
    classification (which decides kinks exactly) instead of being written off."""
    short = np.nonzero(status == 1)[0]
    if short.size == 0:
        return status
    E = obj.loss_argument(obj.unflatten(x[short]))
    E = E.reshape(E.shape[0], -1)
    scale = 1.0 + np.abs(E).max(axis=1)
    kink = (np.abs(E) <= tol * scale[:, None]).any(axis=1)
    status = status.copy()
    status[short[kink]] = 3
    return status


def _polish_nonsmooth(problem, obj, x, val, status, config, t0):
    """Runs of an l1 loss that stopped (short, or at a kink) continue on a smoothed loss
    (:mod:`.nonsmooth`); they count as stopped at a kink when they end on one."""
    from landscape_proofs.search import nonsmooth

    runs = np.nonzero((status == 1) | (status == 3))[0]
    deadline = None if config.timeout is None else t0 + config.timeout
    x, val, _ = nonsmooth.polish(problem, obj, x, val, runs, deadline)
    status = status.copy()
    status[runs] = 1            # re-marked at a kink by _mark_kinks where they end on one
    return x, val, status


def search(problem: Problem, config: SearchConfig = SearchConfig(),
           progress: Progress | None = None, out_dir: str | Path | None = None) -> SearchReport:
    """Run a multi-start search on ``problem`` and certify what it reached.

    ``progress(done, total, stage)`` is called as work completes (no output otherwise).
    With ``out_dir``, each certificate is written there as
    ``group-<id>-<kind>.json`` together with ``search.json`` (the report).
    """
    require_searchable(problem)
    t0 = time.perf_counter()
    with single_blas_thread():
        obj, specs, x, val, gn, its, status = _descend_all(problem, config, progress)
        if problem.loss.differentiable is False:
            x, val, status = _polish_nonsmooth(problem, obj, x, val, status, config, t0)
            status = _mark_kinks(obj, x, status)
        t_desc = time.perf_counter() - t0
        conv = np.nonzero((status == 0) | (status == 3))[0]
        groups_idx = []
        inv = None
        if conv.size:
            Ws = obj.unflatten(x)
            inv = problem_invariants(problem, Ws, val, rank_tol=config.rank_tol)
            groups_idx = group(inv, conv, tol=config.dedupe_tol)
    groups, members_of = [], []
    cache: dict = {}
    fresh = 0                         # new classifications made (max_groups_classified)
    n_run = len(val)                  # fewer than config.starts when the descent ran out of time
    stopped = "timeout" if n_run < config.starts else None
    end = None if config.timeout is None else t0 + config.timeout
    left = lambda: None if end is None else max(end - time.perf_counter(), 1e-3)  # noqa: E731
    for gid, members in enumerate(groups_idx, start=1):
        rep = int(members[np.argmin(gn[members])])
        profile = inv.rank_profile(rep)
        if stopped is None and end is not None and time.perf_counter() > end:
            stopped = "timeout"
        cert = None
        if stopped is None:
            # past the budget of new classifications, a group is still certified when its
            # snapped point is one classified before, or on its orbit (proven, snap.py); the
            # deadline is checked between candidates and before each kernel check of an
            # enclosure (produce/refined.py), so one group overruns it by one check at most
            try:
                with deadline(left()):
                    cert = certify_limit_point(problem, x[rep], profile, config.budget,
                                               cache=cache, use_enclosures=config.enclosures,
                                               digits=config.digits,
                                               reuse_only=fresh >= config.max_groups_classified)
            except KeyboardInterrupt:     # keep what was finished; say the rest was not done
                stopped = "interrupted"
            except DeadlineExceeded:
                stopped = "timeout"
            else:
                fresh += cert.fresh
        if cert is not None:
            groups.append(LimitPointGroup(
                id=gid, starts=int(members.size), representative=rep,
                value_approx=float(val[rep]), rank_profile=profile, certified=cert.certified,
                kind=cert.kind, value=cert.value, route=cert.route,
                distance=cert.distance, reason=cert.reason, point=cert.point,
                certificate=cert.certificate, value_enclosure=cert.value_enclosure,
                orbit_proven=int(cert.orbit_proven)))
        else:
            why = ({"timeout": "not classified: the time budget (--timeout) ran out first",
                    "interrupted": "not classified: the search was interrupted first"}[stopped]
                   if stopped else
                   f"not classified: more than max_groups_classified = "
                   f"{config.max_groups_classified} groups")
            groups.append(LimitPointGroup(
                id=gid, starts=int(members.size), representative=rep,
                value_approx=float(val[rep]), rank_profile=profile, certified=False, kind=None,
                value=None, route="none", distance=None, reason=why))
        members_of.append(members)
        if progress:
            progress(gid, len(groups_idx), "certify")
    groups, members_of = _merge_exact(problem, groups, members_of)
    if config.enclosures and stopped is None and (end is None or time.perf_counter() < end):
        # irrational limit points: the runs gauge-fixed into one certified box (dedupe.py)
        try:
            with deadline(left()):
                groups, members_of = orbit_boxes(problem, groups, members_of, x, config.dedupe_tol)
        except DeadlineExceeded:
            stopped = "timeout"
    if stopped is None and (end is None or time.perf_counter() < end):
        groups = _census_upgrade(problem, groups)
    group_of = {int(b): g.id for g, members in zip(groups, members_of) for b in members}
    outcomes = tuple(
        StartOutcome(index=i, start=specs[i].label, status=STATUS_OF_CODE[int(status[i])],
                     value=float(val[i]), gradient_norm=float(gn[i]), iterations=int(its[i]),
                     group=group_of.get(i))
        for i in range(n_run))
    gv = global_value(problem, groups)
    report = SearchReport(problem, config, outcomes, tuple(groups), gv,
                          time.perf_counter() - t0, t_desc, stopped)
    if out_dir is not None:
        report = write_report(report, out_dir)
    return report


def _census_upgrade(problem, groups):
    """Local-minimum groups (an exact point, or an enclosure and its box) on a small instance
    in the census's scope: ``global-minimum`` where a complete census proves it
    (:func:`.census.global_by_census`; one census for all groups)."""
    from dataclasses import replace

    from landscape_proofs.search.census import global_by_census

    todo = [k for k, g in enumerate(groups) if g.certified and g.kind is Kind.LOCAL_MINIMUM
            and (g.point is not None or g.value_enclosure is not None)]
    boxes = [k for k in todo if groups[k].box_certificate is not None]
    ups = global_by_census(problem, [groups[k].certificate for k in todo]
                           + [groups[k].box_certificate for k in boxes])
    box_up = dict(zip(boxes, ups[len(todo):]))
    groups = list(groups)
    for k, up in zip(todo, ups):
        if up is None:
            continue
        g = replace(groups[k], kind=Kind.GLOBAL_MINIMUM, reason=up[1], certificate=up[0],
                    route=groups[k].route + "; global by a census")
        if k in box_up and box_up[k] is not None:     # the wider box is global too
            g = replace(g, box_certificate=box_up[k][0])
        elif k in box_up:
            g = replace(g, box_reason=g.box_reason + " (that claim is local-minimum: the box's "
                        "value enclosure is too wide for the census to call it global)")
        groups[k] = g
    return groups


def _merge_exact(problem, groups, members_of):
    """Merge certified groups whose exact points lie on one orbit, *proven*: the same exact
    point, an explicit rational gauge map (:func:`.dedupe.orbit_map`), or for ``U U^T`` equal
    exact ``U U^T`` (a complete invariant).  Equal exact invariants alone only propose the
    pair; groups not proven equal stay apart.  Renumber."""
    merged, merged_members, index = [], [], {}
    for g, members in zip(groups, members_of):
        key = None
        if g.point is not None and g.certified:
            try:
                key = (g.kind, exact_invariants(problem, g.point))
            except (UnsupportedError, NotDifferentiableError):
                key = None
        k = next((k for k in index.get(key, ()) if _same_orbit(problem, merged[k].point,
                                                               g.point)), None)
        if k is not None:
            h = merged[k]
            proven = g.orbit_proven + (g.point.weights != h.point.weights)
            merged[k] = replace(h, starts=h.starts + g.starts, subgroups=h.subgroups + g.subgroups,
                                orbit_proven=h.orbit_proven + proven)
            merged_members[k] = np.concatenate([merged_members[k], members])
            continue
        if key is not None:
            index.setdefault(key, []).append(len(merged))
        merged.append(g)
        merged_members.append(members)
    out = [replace(g, id=i) for i, g in enumerate(merged, start=1)]
    return out, merged_members


def _same_orbit(problem, P, Q) -> bool:
    from landscape_proofs.search.dedupe import orbit_map

    if P.weights == Q.weights or problem.psd_product:   # psd: keys hold U U^T exactly
        return True
    return orbit_map(problem, P, Q) is not None


def write_report(report: SearchReport, out_dir: str | Path) -> SearchReport:
    """Write every certificate and ``search.json`` to ``out_dir``; return the report with
    the certificate file names filled in."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        # a reused folder: the certificates a previous search wrote there (this tool's own
        # names only, group-NNN-<kind>.json) would sit next to the new ones and be mistaken
        # for them; they are removed first (docs/reliability.md)
        for old in out.glob("group-[0-9][0-9][0-9]-*.json"):
            old.unlink()
        groups = []
        for g in report.groups:
            if g.certificate is not None:
                path = out / f"group-{g.id:03d}-{g.kind.value}.json"
                write_certificate(g.certificate, path)
                g = replace(g, certificate_file=str(path))
            if g.box_certificate is not None:
                path = out / f"group-{g.id:03d}-box-{g.kind.value}.json"
                write_certificate(g.box_certificate, path)
                g = replace(g, box_certificate_file=str(path))
            groups.append(g)
        report = replace(report, groups=tuple(groups))
        write_text_atomic(out / "search.json", json.dumps(report.to_json(), indent=1) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write to the output folder ({exc.strerror})",
                         source=str(out_dir)) from None
    return report
