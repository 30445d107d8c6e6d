"""``landscape hunt``: search over instances for a counterexample to a landscape property.

The only property so far is :attr:`Property.NO_SPURIOUS_MINIMUM`, "every local minimum
reached is global".  An instance *refutes* it when the hunt produces a
``spurious-local-minimum`` certificate for it: a local-minimum proof (definite Hessian or
slice argument) plus an exact point of strictly lower value, re-verified by the trusted
checker.  Floats only propose the candidates.

Instances come from :func:`landscape_proofs.search.strategies.problems` (or, with
``family="multi-tower"`` / ``"symmetric-factorization"``,
:func:`~landscape_proofs.search.strategies.multi_tower_problems` /
:func:`~landscape_proofs.search.strategies.symmetric_factorization_problems`) under the chosen
constraints, driven by :func:`hypothesis.find` with a fixed seed and no example database,
so a hunt is reproducible.  On each instance the hunt classifies exactly:

1. *special points*: the origin, and for every entry (i, j) of the product the
   coordinate-aligned rank-one point ``W_1 = a e_1 e_j^T``, ``W_k = e_1 e_1^T``,
   ``W_H = e_i e_1^T`` with ``a`` the best scale on that line (a short float search, then
   rational snapping); for a multi-tower network, that point in one tower with the other
   towers 0 (for each tower); for ``U U^T``, ``U = a e_i e_1^T`` (the first column; any other
   is the same up to the symmetry ``U -> U Q``);
2. the limit points of a small :func:`~landscape_proofs.search.multistart.search`.

When an instance refutes the property, Hypothesis shrinks it (fewer layers and widths
first, then smaller integers: the strategy draws them in that order) and the hunt keeps
the smallest refuting instance and its certificate.  A shrink budget bounds the exact work
spent shrinking; past it the smallest instance found so far is kept.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction

import numpy as np

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.classify import Budget, classify
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.base import Point, Problem
from landscape_proofs.families.io import problem_to_dict
from landscape_proofs.families.registry import DEFAULT_FAMILY, FAMILY_CLASSES
from landscape_proofs.losses.registry import DEFAULT_LOSS_NAME
from landscape_proofs.numeric.views import float64_objective
from landscape_proofs.search.families import chains
from landscape_proofs.search.multistart import SearchConfig, search
from landscape_proofs.search.snap import _exact_gradient_check, simplest_rational


class Property(str, Enum):
    NO_SPURIOUS_MINIMUM = "no-spurious-minimum"

    def __str__(self) -> str:
        return self.value

    @property
    def statement(self) -> str:
        return "every local minimum reached is global"


@dataclass(frozen=True)
class HuntConstraints:
    """The instances to hunt over (see :func:`landscape_proofs.search.strategies.problems`).

    ``family`` picks the strategy: ``deep-linear`` (all constraints apply),
    ``multi-tower`` (``min_towers``..``max_towers`` towers, each of depth
    ``min_depth``..``max_depth``; ``bottleneck`` must be None) or
    ``symmetric-factorization`` (``U`` of shape ``n x k`` with ``n, k <= max_width``;
    ``bottleneck`` is ``k < n``; the depth bounds do not apply and ``data`` must be
    ``identity``).
    """

    losses: tuple[str, ...] = (DEFAULT_LOSS_NAME,)
    bottleneck: bool | None = None
    weight_decay: bool | None = False
    min_depth: int = 1
    max_depth: int = 3
    max_width: int = 3
    data: str = "identity"
    max_entry: int = 3
    family: str = DEFAULT_FAMILY
    min_towers: int = 2
    max_towers: int = 2

    def strategy(self):
        """The Hypothesis strategy of the family (``strategies.problems_for``)."""
        from landscape_proofs.search import strategies

        return strategies.problems_for(self)

    def to_json(self) -> dict:
        out = {"losses": list(self.losses), "bottleneck": self.bottleneck,
               "weight_decay": self.weight_decay, "min_depth": self.min_depth,
               "max_depth": self.max_depth, "max_width": self.max_width, "data": self.data,
               "max_entry": self.max_entry}
        if self.family != DEFAULT_FAMILY:
            out["family"] = self.family
        cls = FAMILY_CLASSES.get(self.family)
        if cls is not None and cls.sum_of_towers:
            out.update(min_towers=self.min_towers, max_towers=self.max_towers)
        return out


@dataclass(frozen=True)
class HuntConfig:
    property: Property = Property.NO_SPURIOUS_MINIMUM
    constraints: HuntConstraints = HuntConstraints()
    max_examples: int = 40        # instances generated before giving up
    starts: int = 12              # search starts per instance
    seed: int = 0
    shrink: bool = True
    shrink_budget: int = 150      # exact evaluations allowed while shrinking

    def __post_init__(self):
        object.__setattr__(self, "property", Property(self.property))
        for name in ("max_examples", "starts"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError("expected an integer >= 1", field=name, got=v)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError("expected an integer >= 0", field="seed", got=self.seed)


@dataclass(frozen=True)
class InstanceVerdict:
    """What the hunt proved on one instance."""

    refuted: bool
    certificate: dict | None      # JSON, checked
    how: str                      # "special point: origin", "search limit point", ...
    starts: int                   # search starts run on the instance
    certified_points: int         # exact classifications with a checked certificate
    uncertified_points: int       # limit points left without a certificate


@dataclass(frozen=True)
class HuntReport:
    """The outcome of a hunt: a shrunk counterexample with its certificate, or what was tried."""

    config: HuntConfig
    found: bool
    problem: Problem | None
    certificate: dict | None
    how: str
    verified: bool | None             # the checker's verdict on the certificate
    check_reason: str
    instances: int                    # instances evaluated while generating
    shrink_evaluations: int           # instances evaluated while shrinking
    starts: int                       # search starts over all evaluated instances
    certified_points: int
    uncertified_points: int
    seconds: float
    first_problem: Problem | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        return {
            "property": self.config.property.value,
            "statement": self.config.property.statement,
            "constraints": self.config.constraints.to_json(),
            "found": self.found,
            "problem": None if self.problem is None else problem_to_dict(self.problem),
            "n_params": None if self.problem is None else self.problem.n_params,
            "first_found": (None if self.first_problem is None
                            else problem_to_dict(self.first_problem)),
            "how": self.how,
            "certificate_verified": self.verified,
            "check_reason": self.check_reason,
            "instances": self.instances,
            "shrink_evaluations": self.shrink_evaluations,
            "starts": self.starts,
            "certified_points": self.certified_points,
            "uncertified_points": self.uncertified_points,
            "seed": self.config.seed,
            "max_examples": self.config.max_examples,
            "seconds": round(self.seconds, 3),
            "certificate": self.certificate,
        }

    def _points_text(self) -> list[str]:
        """The spurious local minimum and the better point, as in a point file."""
        cert = self.certificate or {}
        out = []
        if isinstance(cert.get("point"), dict):
            out.append(f"  local minimum: {json.dumps(cert['point'])} (value {cert.get('value')})")
        better = (cert.get("evidence") or {}).get("better_point")
        if better is not None:
            out.append(f"  better point:  {json.dumps({'weights': better})}")
        return out

    def text(self) -> str:
        c = self.config
        lines = [f"property: {c.property.statement} ({c.property.value})",
                 f"constraints: {json.dumps(c.constraints.to_json())}"]
        if self.found:
            p = self.problem
            lines += [f"COUNTEREXAMPLE (shrunk to {p.n_params} parameters, {describe_shape(p)}):",
                      f"  problem: {json.dumps(problem_to_dict(p))}",
                      f"  found at: {self.how}",
                      *self._points_text(),
                      f"  certificate: spurious-local-minimum, "
                      f"{'verified' if self.verified else 'NOT verified'} by the checker "
                      f"({self.check_reason})"]
        else:
            lines.append("no counterexample found")
        lines.append(f"tried {self.instances} instances ({self.shrink_evaluations} more while "
                     f"shrinking), {self.starts} search starts in all; {self.certified_points} "
                     f"points certified exactly, {self.uncertified_points} limit points left "
                     f"uncertified; seed {c.seed}, {self.seconds:.1f} s")
        return "\n".join(lines)


def describe_shape(problem) -> str:
    """``widths [..]``, ``towers [[..], ..]`` or ``U: n x k`` (``Problem.describe_shape``)."""
    return problem.describe_shape()


# --- special points -------------------------------------------------------------------------
def _aligned_layers(shapes, i: int, j: int, a) -> list:
    """Layers of one chain (``shapes``, W_1 first): ``W_1 = a e_1 e_j^T``, ``W_k = e_1 e_1^T``,
    ``W_H = e_i e_1^T`` (product ``a e_i e_j^T``)."""
    H = len(shapes)
    mats = []
    for k, (r, c) in enumerate(shapes):
        M = [[Fraction(0)] * c for _ in range(r)]
        if H == 1:
            M[i][j] = a
        elif k == 0:
            M[0][j] = a
        elif k == H - 1:
            M[i][0] = Fraction(1)
        else:
            M[0][0] = Fraction(1)
        mats.append(M)
    return mats


def special_points(problem: Problem) -> list[tuple[str, Point]]:
    """The origin and the coordinate-aligned rank-one points with their best scale."""
    out = [("special point: origin", Point.of(problem, [[[0] * c for _ in range(r)]
                                                        for r, c in problem.shapes]))]
    obj = float64_objective(problem)
    for label, mats, free in _aligned_lines(problem):
        # value along a -> mats(a); the flat coordinate ``free`` holds the only free entry
        base = np.array([float(x) for M in mats(Fraction(0)) for row in M for x in row])
        a = _best_scale(obj, base, free)
        if a is None:
            continue
        for delta in (1e-9, 1e-6):
            q = Fraction(a)
            r = Fraction(delta * (1 + abs(a)))
            s = simplest_rational(q - r, q + r)
            if s != 0:
                out.append((f"special point: {label}, scale {s}", Point.of(problem, mats(s))))
    return out


def _aligned_lines(problem):
    """Yield (label, a -> layers, index of the free coordinate) for each aligned line."""
    if problem.psd_product:   # U = a e_i e_0^T (U e_j ~ U e_0 under U -> U Q)
        (n, k), = problem.shapes
        for i in range(n):
            yield (f"U = a e_{i} e_0^T",
                   lambda a, i=i: [[[a if (r == i and c == 0) else Fraction(0)
                                     for c in range(k)] for r in range(n)]], i * k)
        return
    tower = problem.sum_of_towers
    offsets = np.cumsum([0] + [r * c for r, c in problem.shapes])
    for t, chain in enumerate(chains(problem)):
        shapes = [problem.shapes[k] for k in chain.layers]
        H = len(shapes)
        m, n = shapes[-1][0], shapes[0][1]     # the product is d_H x d_0
        for i in range(m):
            for j in range(n):
                def mats(a, i=i, j=j, chain=chain, shapes=shapes):
                    own = _aligned_layers(shapes, i, j, a)
                    return [own[k - chain.layers[0]] if k in chain.layers else
                            [[Fraction(0)] * c for _ in range(r)]
                            for k, (r, c) in enumerate(problem.shapes)]
                # W_1[0, j] of the chain (W_1[i, j] when the chain has one layer)
                free = int(offsets[chain.layers[0]]) + (0 if H > 1 else i) * n + j
                label = (f"tower {t + 1} aligned rank one (other towers 0), entry ({i}, {j})"
                         if tower else f"aligned rank one, entry ({i}, {j})")
                yield label, mats, free


def _best_scale(obj, base: np.ndarray, k: int) -> float | None:
    """The best ``a`` on the line ``base + a e_k`` (flat; ``base[k] = 0``): the lowest value on
    a grid, then a few 1-D Newton steps (derivative = gradient entry ``k``)."""
    grid = np.concatenate([-np.logspace(-2, 2, 41), np.logspace(-2, 2, 41)])
    pts = np.repeat(base[None], grid.size, axis=0)
    pts[:, k] = grid
    with np.errstate(all="ignore"):
        vals = obj.value(obj.unflatten(pts))
    if not np.isfinite(vals).any():
        return None
    a = float(grid[int(np.nanargmin(vals))])
    for _ in range(30):
        x = base.copy()
        x[k] = a
        with np.errstate(all="ignore"):
            g = obj.gradient_vector(obj.unflatten(x))[0, k]
            h = obj.hessian(obj.unflatten(x))[0, k, k]
        if not np.isfinite(h) or h <= 0:
            break
        a_new = a - g / h
        if not np.isfinite(a_new) or abs(a_new - a) <= 1e-14 * (1 + abs(a)):
            a = a_new if np.isfinite(a_new) else a
            break
        a = a_new
    return a


# --- one instance ---------------------------------------------------------------------------
def _budget(seed: int) -> Budget:
    return Budget(curve_candidates=120, better_point_starts=8, descent_steps=200, seed=seed)


def refute_no_spurious_minimum(problem: Problem, starts: int = 12,
                               seed: int = 0) -> InstanceVerdict:
    """Look for a certified spurious local minimum of ``problem`` (special points first)."""
    certified = uncertified = 0
    seen = set()
    for how, pt in special_points(problem):
        if pt.weights in seen:
            continue
        seen.add(pt.weights)
        critical, _ = _exact_gradient_check(problem, pt)
        if critical is False:
            continue
        c = classify(problem, pt, _budget(seed))
        if c.certificate is not None:
            certified += 1
        if c.kind is Kind.SPURIOUS_LOCAL_MINIMUM and c.certificate is not None:
            return InstanceVerdict(True, c.certificate.to_json(), how, 0, certified, uncertified)
    report = search(problem, SearchConfig(starts=starts, seed=seed, max_groups_classified=12,
                                          budget=_budget(seed)))
    for g in report.groups:
        if g.certified:
            certified += 1
        else:
            uncertified += 1
    spurious = report.spurious_minima()
    if spurious:
        g = spurious[0]
        return InstanceVerdict(True, g.certificate,
                               f"search limit point (group {g.id}, reached by {g.starts} of "
                               f"{starts} starts, {g.route})", starts, certified, uncertified)
    return InstanceVerdict(False, None, "", starts, certified, uncertified)


# --- the hunt -------------------------------------------------------------------------------
class _Tally:
    def __init__(self, budget: int):
        self.generate = 0
        self.shrink = 0
        self.starts = 0
        self.certified = 0
        self.uncertified = 0
        self.found_first = None
        self.budget = budget
        self.verdicts: dict[str, InstanceVerdict] = {}


def hunt(config: HuntConfig = HuntConfig(), progress=None) -> HuntReport:
    """Run the hunt; ``progress(done, total, stage)`` is called after each instance."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample, Unsatisfiable

    t0 = time.perf_counter()
    strategy = config.constraints.strategy()
    tally = _Tally(config.shrink_budget)

    def condition(problem: Problem) -> bool:
        key = json.dumps(problem_to_dict(problem), sort_keys=True)
        if key in tally.verdicts:
            return tally.verdicts[key].refuted
        shrinking = tally.found_first is not None
        if shrinking:
            if tally.shrink >= tally.budget:
                return False          # budget spent: keep the smallest found so far
            tally.shrink += 1
        else:
            tally.generate += 1
        v = refute_no_spurious_minimum(problem, config.starts, config.seed)
        tally.verdicts[key] = v
        tally.starts += v.starts
        tally.certified += v.certified_points
        tally.uncertified += v.uncertified_points
        if v.refuted and tally.found_first is None:
            tally.found_first = problem
        if progress:
            progress(tally.generate, config.max_examples,
                     "shrinking" if shrinking else "instances")
        return v.refuted

    phases = [Phase.generate, Phase.shrink] if config.shrink else [Phase.generate]
    st_settings = settings(max_examples=config.max_examples, database=None, deadline=None,
                           phases=phases, suppress_health_check=list(HealthCheck))
    problem = None
    try:
        problem = find(strategy, condition, settings=st_settings,
                       random=random.Random(config.seed))
    except (NoSuchExample, Unsatisfiable):
        problem = None
    if problem is None:
        return HuntReport(config, False, None, None, "", None, "", tally.generate, tally.shrink,
                          tally.starts, tally.certified, tally.uncertified,
                          time.perf_counter() - t0)
    key = json.dumps(problem_to_dict(problem), sort_keys=True)
    v = tally.verdicts.get(key) or refute_no_spurious_minimum(problem, config.starts, config.seed)
    check = check_certificate(v.certificate)
    return HuntReport(config, True, problem, v.certificate, v.how, check.valid, check.reason,
                      tally.generate, tally.shrink, tally.starts, tally.certified,
                      tally.uncertified, time.perf_counter() - t0, first_problem=tally.found_first)
