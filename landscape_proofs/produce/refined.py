"""Classify a point given approximately: refine it, then snap it or enclose it, and certify.

This is a *producer* (the entry point of ``landscape classify --refine``).  A float point
is treated as an approximation of a critical point:

1. **Refine** (:mod:`.numeric.refine`): gauge-fixed Newton in an mpmath context of
   ``digits + 20`` digits, until the correction is below ``10**-digits``.
2. **Snap**: if every coordinate is, to many digits, a rational of small height (continued
   fractions), and the exact gradient there is exactly zero, classify that rational point
   exactly (:func:`.classify.classify`): an exact certificate beats an enclosure.
3. **Enclose**: otherwise build an enclosure certificate around the refined point (center,
   radius, gauge, and the hints each claim needs: directions, layer, better point), and
   pass it through the trusted checker (:mod:`.certificates.enclosure`); a wider box and more
   bits are tried before answering ``inconclusive``.

Floats only *choose* what to claim; every reported kind has passed the checker.  If the
refinement does not converge, the point as written (its numbers read exactly) is classified
exactly instead, and the result says so.  See docs/enclosures.md.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction

import mpmath
import numpy as np

from landscape_proofs.budget import check_deadline
from landscape_proofs.kernel.checker import CheckResult, check_certificate
from landscape_proofs.kernel.enclosure import Enclosure, enclose_value
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.produce.certificate import FORMAT, producer_versions
from landscape_proofs.produce.classify import Budget, Classification, classify, one_chain
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.kernel.numbers import format_exact, parse_exact, to_fmpq, to_fraction
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.numeric.rationalize import rational_from_float
from landscape_proofs.numeric.refine import (Refinement, gauge_from_tangent, gauge_generators, mpf_to_fraction,
                             orbit_tangent_float, refine_critical_point, snap_refinement,
                             tangent_rank)
from landscape_proofs.families.base import Point, Problem
from landscape_proofs.families.exact_view import exact_objective
from landscape_proofs.families.io import problem_to_dict
from landscape_proofs.numeric.views import float64_objective, mp_objective

MIN_DIGITS, MAX_DIGITS = 20, 5000
GUARD_DIGITS = 20


@dataclass(frozen=True)
class RefinementReport:
    """How the refinement went (numbers as short strings: they are diagnostics, not proofs)."""

    digits: int
    converged: bool
    iterations: int
    residual: str            # max-norm of the full gradient at the refined point
    last_step: str           # max-norm of the last Newton correction
    distance_from_start: str  # max-norm distance from the given point
    free_coordinates: int
    gauge_dimension: int
    reason: str

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RefinedClassification:
    """The answer for an approximate point.

    ``value`` is the exact value when the certified point is exact (snapped, or the point as
    written), else ``None``; ``value_enclosure`` then bounds the value of the enclosed
    critical point.  ``certificate`` is the certificate's JSON (enclosure or exact).
    """

    kind: Kind
    reason: str
    method: str
    certificate: dict | None
    value: Fraction | None = None
    value_enclosure: tuple[Fraction, Fraction] | None = None
    snapped: bool = False
    refinement: RefinementReport | None = None
    exact: Classification | None = None
    n_params: int = 0
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        return {
            "kind": self.kind.value,
            "value": None if self.value is None else format_exact(self.value),
            "value_enclosure": (None if self.value_enclosure is None else
                                {"lo": format_exact(self.value_enclosure[0]),
                                 "hi": format_exact(self.value_enclosure[1])}),
            "reason": self.reason,
            "method": self.method,
            "snapped": self.snapped,
            "refinement": None if self.refinement is None else self.refinement.to_json(),
            "n_params": self.n_params,
            "notes": list(self.notes),
            "certificate": self.certificate,
        }

    def lines(self) -> list[str]:
        """Human-readable summary (what ``landscape classify --refine`` prints)."""
        out = [f"kind:   {self.kind.value}"]
        if self.value is not None:
            out.append(f"value:  {format_exact(self.value)}")
        elif self.value_enclosure is not None:
            lo, hi = self.value_enclosure
            out.append(f"value:  in [{_short(lo)}, {_short(hi)}] (enclosure)")
        out.append(f"reason: {self.reason}")
        if self.refinement is not None:
            r = self.refinement
            out.append(f"refinement: {'converged' if r.converged else 'did not converge'} in "
                       f"{r.iterations} steps to {r.digits} digits, gradient residual "
                       f"{r.residual}, moved {r.distance_from_start} from the given point")
        for note in self.notes:
            out.append(f"note:   {note}")
        out.append(f"method: {self.method}")
        return out


def _short(q: Fraction, digits: int = 25) -> str:
    """A decimal rendering of an exact rational for people (never read back)."""
    ctx = mpmath.MPContext()
    ctx.dps = digits
    return ctx.nstr(ctx.mpf(q.numerator) / q.denominator, digits)


# --- small helpers ----------------------------------------------------------------------------
def _weights_json(problem: Problem, flat) -> list:
    out, off = [], 0
    for r, c in problem.shapes:
        out.append([[format_exact(flat[off + i * c + j]) for j in range(c)] for i in range(r)])
        off += r * c
    return out


def _integer_direction(v: np.ndarray, bits: int = 24) -> list[int]:
    """A float direction rounded to integers (the checker decides whether it works)."""
    s = np.max(np.abs(v))
    return [int(round(float(x) / s * 2 ** bits)) for x in v]


def _power_of_two_at_least(x: Fraction) -> Fraction:
    e = math.ceil(math.log2(x.numerator) - math.log2(x.denominator))
    r = Fraction(2) ** e
    while r < x:
        r *= 2
    return r


class _Enclosing:
    """Builds and checks enclosure certificates around one refined point."""

    def __init__(self, problem: Problem, ref: Refinement, ctx, budget: Budget):
        self.problem = problem
        self.ref = ref
        self.budget = budget
        self.gauge = ref.gauge
        self.F = list(ref.gauge.free)
        self.center = [mpf_to_fraction(x) for x in ref.point]
        for p, q in zip(ref.gauge.fixed, ref.gauge.values):
            self.center[p] = q
        f64 = self.f64 = float64_objective(problem)
        xf = np.array([float(q) for q in self.center])
        self.H = f64.hessian(f64.unflatten(xf))[0]
        self.HF = self.H[np.ix_(self.F, self.F)]
        self.bits = int(math.ceil(ref.digits * math.log2(10))) + 64
        # radius: a few times the Newton correction |H_FF^{-1} g_F| at the center
        mp = mp_objective(problem, ctx)
        g = mp.gradient_vector(mp.unflatten([ctx.mpf(q.numerator) / q.denominator
                                             for q in self.center]))
        gF = [g[p] for p in self.F]
        gmax = max((abs(t) for t in gF), default=ctx.zero)
        floor = Fraction(1, 2 ** (self.bits - 48)) * max(1, max((abs(q) for q in self.center),
                                                                default=Fraction(0)))
        est = Fraction(0)
        if gmax > 0 and self.F:
            delta = np.linalg.lstsq(self.HF, np.array([float(t / gmax) for t in gF]), rcond=None)[0]
            est = 4 * mpf_to_fraction(ctx.mpf(float(np.max(np.abs(delta)))) * gmax)
        self.radius = _power_of_two_at_least(max(est, floor))
        self.notes: list[str] = []

    # -- certificates ------------------------------------------------------------------------------
    def certificate(self, claim: Kind, extra: dict, radius: Fraction, bits: int) -> dict:
        enc = Enclosure(tuple(to_fmpq(q) for q in self.center), to_fmpq(radius), tuple(self.F))
        lo, hi = enclose_value(read_problem(problem_to_dict(self.problem)), enc, bits)
        evidence = {"type": "enclosure", "gauge_generators": list(self.gauge.generators),
                    "precision_bits": bits}
        evidence.update(extra)
        return {
            "format": FORMAT,
            "claim": claim.value,
            "problem": problem_to_dict(self.problem),
            "point": {"center": _weights_json(self.problem, self.center),
                      "radius": format_exact(radius), "free": list(self.F)},
            "value": {"lower": format_exact(to_fraction(lo)), "upper": format_exact(to_fraction(hi))},
            "evidence": evidence,
            "method": f"gauge-fixed Newton to {self.ref.digits} digits; Krawczyk + "
                      "transversality + interval Hessian in arb",
            "notes": [],
            "producer": producer_versions(),
        }

    def attempt(self, claim: Kind, extra: dict):
        """(certificate, check result) for the first box the checker accepts, or the last."""
        tries = [(self.radius, self.bits), (self.radius * 2 ** 32, self.bits + 64),
                 (self.radius * 2 ** 64, 2 * self.bits)]
        cert = res = None
        for radius, bits in tries:
            check_deadline()     # search --timeout: DeadlineExceeded ends this group's work
            try:
                cert = self.certificate(claim, extra, radius, bits)
            except ArithmeticError as exc:  # no finite value enclosure: nothing to check
                return None, CheckResult(False, claim.value, str(exc))
            res = check_certificate(cert)
            if res.valid:
                break
        return cert, res

    # -- deciding what to claim ----------------------------------------------------------------------
    def run(self) -> tuple[Kind, dict | None, str]:
        """(kind, certificate or None, reason)."""
        if not self.F:
            return self.local_family()
        w = np.linalg.eigvalsh(self.HF)
        scale = max(1.0, float(np.max(np.abs(w))))
        smallest = float(np.min(np.abs(w)))
        if smallest <= 1e-9 * scale:
            return (Kind.INCONCLUSIVE, None,
                    f"the Hessian on the gauge slice is singular at the refined point (an "
                    f"eigenvalue of size about {smallest:.1e} against {scale:.1e}): the "
                    "critical set is larger than one symmetry orbit here, and the interval "
                    "Newton test needs a root that is isolated on the slice")
        if w[0] < 0:
            if w[-1] < 0 and np.linalg.eigvalsh(self.H)[-1] <= 1e-9 * scale:
                cert, res = self.attempt(Kind.LOCAL_MAXIMUM, {})
                if res.valid:
                    return Kind.LOCAL_MAXIMUM, cert, res.reason
            return self.saddle()
        return self.local_family()

    def saddle(self):
        w, V = np.linalg.eigh(self.H)
        if w[-1] <= 0:
            return (Kind.INCONCLUSIVE, None, "negative curvature but no positive curvature: "
                    "nothing proves the point is not a local maximum")
        extra = {"direction": _weights_json(self.problem, _integer_direction(V[:, 0])),
                 "ascent_direction": _weights_json(self.problem, _integer_direction(V[:, -1]))}
        cert, res = self.attempt(Kind.STRICT_SADDLE, extra)
        if res.valid:
            return Kind.STRICT_SADDLE, cert, res.reason
        return Kind.INCONCLUSIVE, None, f"the strict-saddle enclosure was not proven: {res.reason}"

    def global_hints(self) -> list[dict]:
        """The ``global`` evidence worth trying, best first (the checker decides)."""
        p, loss = self.problem, self.problem.loss
        # the square loss's critical values are known in closed form: isolate the optimum
        # among them (bottleneck or not, U U^T, scalar decay; kernel/critical_values.py)
        iso = ([{"type": "isolated-critical-value"}] if loss.square_like and one_chain(p)
               and not isinstance(p.weight_decay, tuple) else [])
        if p.sum_of_towers and loss.square_like and not loss.over_product and p.weight_decay == 0:
            iso = iso + _towers_rank_hint(p, self.center)
        if loss.convex_proven(*p.loss_argument_shape) is not True:
            return iso
        if p.psd_product:  # weight decay allowed: tr(U U^T)
            return [{"type": "psd-cone-optimality", "shift": format_exact(c)}
                    for c in self.psd_shifts()] + iso
        if p.weight_decay != 0:      # two-layer towers: ||dF/dR||_2^2 <= a b on the ball
            return iso + [{"type": "nuclear-dual-bound", "shift": format_exact(c)}
                          for c in self.nuclear_shifts()]
        if p.has_bottleneck:
            return iso
        if p.sum_of_towers:  # a sum of towers: the product map a submersion, G(W*) = 0
            return [{"type": "convex-stationary"}]
        return [{"type": "convex-stationary", "layer": k} for k in self.layers_by_rank()] + iso

    def local_family(self):
        p, loss = self.problem, self.problem.loss
        # 1. global, when a convex loss forces G(W*) = 0 (or, for U U^T, G(W*) PSD)
        for hint in self.global_hints():
            cert, res = self.attempt(Kind.GLOBAL_MINIMUM, {"global": hint})
            if res.valid:
                return Kind.GLOBAL_MINIMUM, cert, res.reason
        cert, res = self.attempt(Kind.LOCAL_MINIMUM, {})
        if not res.valid:
            return Kind.INCONCLUSIVE, None, f"the local-minimum enclosure was not proven: {res.reason}"
        lo, hi = (to_fmpq(parse_exact(cert["value"][end])) for end in ("lower", "upper"))
        # 2. spurious: above the exact square-loss optimum, or an exact better point (the
        # closed-form optimum is over all matrices: not the optimum of U U^T, PSD)
        square = loss.square_like and p.weight_decay == 0 and p.rank_set_product
        if square:
            X, Y = matrix(p.X), matrix(p.Y)
            if compare_with_square_optimum(X, Y, p.max_rank, lo) == 1:
                c2, r2 = self.attempt(Kind.SPURIOUS_LOCAL_MINIMUM,
                                      {"spurious": {"type": "above-square-optimum"}})
                if r2.valid:
                    return Kind.SPURIOUS_LOCAL_MINIMUM, c2, r2.reason
        if loss.square_like and one_chain(p) and not isinstance(p.weight_decay, tuple):
            # a critical value (of some point) provably below lo (kernel/critical_values.py)
            c2, r2 = self.attempt(Kind.SPURIOUS_LOCAL_MINIMUM,
                                  {"spurious": {"type": "below-critical-value"}})
            if r2.valid:
                return Kind.SPURIOUS_LOCAL_MINIMUM, c2, r2.reason
        better = self.better_point(lo)
        if better is not None:
            c2, r2 = self.attempt(Kind.SPURIOUS_LOCAL_MINIMUM,
                                  {"spurious": {"type": "better-point",
                                                "point": _weights_json(p, better)}})
            if r2.valid:
                return Kind.SPURIOUS_LOCAL_MINIMUM, c2, r2.reason
        if square:
            s_lo = compare_with_square_optimum(X, Y, p.max_rank, lo)
            s_hi = compare_with_square_optimum(X, Y, p.max_rank, hi)
            if s_lo is not None and s_hi is not None and s_lo <= 0 <= s_hi:
                self.notes.append(
                    "the value enclosure contains the exact global optimum; an enclosure "
                    "cannot prove the value equal to it, and no sound route to "
                    "global-minimum applies here (it needs a convex loss, no bottleneck, and "
                    "full-rank partial products), so the point is reported as local-minimum")
        return Kind.LOCAL_MINIMUM, cert, res.reason

    def layers_by_rank(self) -> list[int]:
        """Layers k whose A_k (rank d_H) and B_k (rank d_0) look full rank, best first."""
        widths = self.problem.widths
        H = len(widths) - 1
        Ws, off = [], 0
        for r, c in self.problem.shapes:
            Ws.append(np.array([float(q) for q in self.center[off:off + r * c]]).reshape(r, c))
            off += r * c
        scored = []
        for k in range(1, H + 1):
            A = np.eye(widths[-1])
            for W in reversed(Ws[k:]):
                A = A @ W
            B = np.eye(widths[0])
            for W in Ws[:k - 1]:
                B = W @ B
            sa = np.linalg.svd(A, compute_uv=False)
            sb = np.linalg.svd(B, compute_uv=False)
            if A.shape[0] > A.shape[1] or B.shape[1] > B.shape[0]:
                continue
            score = min(sa[-1] / max(sa[0], 1e-300), sb[-1] / max(sb[0], 1e-300))
            if score > 1e-12:
                scored.append((score, k))
        return [k for _, k in sorted(scored, reverse=True)]

    def psd_shifts(self) -> list[Fraction]:
        """Shifts c (powers of two) for which ``(G + G^T)/2 + lam/2 I + c U U^T`` looks
        positive definite at the center (float64 hint; the checker decides in arb)."""
        n, k = self.problem.n, self.problem.k
        U = np.array([float(q) for q in self.center]).reshape(n, k)
        G = self.f64.function_gradient([U[None]])[0]
        S = (G + G.T) / 2 + float(self.problem.weight_decay) / 2 * np.eye(n)
        return _pd_shift([(S, U @ U.T)])

    def nuclear_shifts(self) -> list[Fraction]:
        """Shifts c (powers of two) for which ``D_alpha - G^T D_beta^-1 G + c sum a_u a_u^T``
        (per hidden unit u of a tower ``B A``, the units with the same decays summed, as the
        kernel does) looks positive definite at the center (float64 hint; the checker decides
        in arb); [] when the towers do not qualify."""
        from landscape_proofs.kernel.model import read_problem

        kp = read_problem(self.problem.to_dict())
        towers = kp.tower_decays()
        if towers is None:
            return []
        Ws = self.f64.unflatten(np.array([float(q) for q in self.center]))
        G = self.f64.function_gradient(Ws)[0]
        groups = {}
        for ia, ib in (t for t in towers if t[1] is not None):   # one layer: no condition
            dA, dB, A = kp.decay_block(ia), kp.decay_block(ib), Ws[ia][0]
            for u in range(A.shape[0]):
                da = np.array([float(x) for x in dA[u]])
                db = np.array([float(r[u]) for r in dB])
                N, S = groups.get((tuple(da), tuple(db)), (np.diag(da) - G.T @ (G / db[:, None]), 0.0))
                groups[tuple(da), tuple(db)] = (N, S + np.outer(A[u], A[u]))
        return _pd_shift(list(groups.values()))

    def better_point(self, lo):
        """An exact point with value < lo, from a short float search (checked exactly)."""
        from landscape_proofs.numeric.descent import candidate_points  # producer-only, float64

        exact = exact_objective(self.problem)
        for cand in candidate_points(self.problem, self.budget):
            flat = [rational_from_float(float(x), 10 ** 6) for W in cand for x in np.ravel(W)]
            if exact.value(exact.unflatten(flat)) < lo:
                return flat
        return None


def _from_exact(c: Classification, **kw) -> RefinedClassification:
    return RefinedClassification(
        kind=c.kind, reason=c.reason, method=c.method,
        certificate=c.certificate.to_json() if c.certificate is not None else None,
        value=c.value, exact=c, n_params=c.n_params, **kw)


FLOAT_RANGE = 1e300    # the largest entry a refinement starts from (float64 steps)


def classify_refined(problem: Problem, point: Point, *, digits: int = 100,
                     budget: Budget = Budget(), snap: bool = True) -> RefinedClassification:
    """Treat ``point`` as an approximation: refine, snap or enclose, and certify.

    Parameters
    ----------
    digits : the refinement's target accuracy (20 to 5000).
    snap : try rational reconstruction first (exact classification when it succeeds).

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1, 1], "Y": [[2]],
    ...                        "loss": "square"})
    >>> r = classify_refined(p, Point.of(p, [[["1.41"]], [["1.42"]]]), digits=40, snap=False)
    >>> r.kind.value, r.certificate["point"]["radius"] != 0
    ('global-minimum', True)
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise InputError(f"expected an integer number of digits in [{MIN_DIGITS}, {MAX_DIGITS}]",
                         field="digits", got=digits)
    if not problem.loss.polynomial:
        return _from_exact(classify(problem, point, budget),
                           notes=(f"not refined: the {problem.loss.name} loss is not a "
                                  "polynomial (refinement and enclosures need a smooth "
                                  "polynomial loss); the point was classified as written",))
    ctx = mpmath.MPContext()
    ctx.dps = digits + GUARD_DIGITS
    mp = mp_objective(problem, ctx)
    f64 = float64_objective(problem)
    start = [q for W in point.weights for row in W for q in row]
    big = next((i for i, q in enumerate(start) if abs(q) > FLOAT_RANGE), None)
    if big is not None:     # the float steps of the refinement would overflow
        raise InputError(f"--refine starts from float approximations: every entry must be at "
                         f"most {FLOAT_RANGE:.0e} in absolute value", field=f"weights (entry {big})",
                         got=f"about 1e{len(str(abs(start[big].numerator))) - len(str(start[big].denominator))}")
    ref, pre_notes = _refine(problem, mp, f64, start, digits)
    moved = max((abs(x - ctx.mpf(q.numerator) / q.denominator) for x, q in zip(ref.point, start)),
                default=ctx.zero)
    report = RefinementReport(
        digits=digits, converged=ref.converged, iterations=ref.iterations,
        residual=ctx.nstr(ref.residual, 3), last_step=ctx.nstr(ref.step, 3),
        distance_from_start=ctx.nstr(moved, 3), free_coordinates=len(ref.gauge.free),
        gauge_dimension=len(ref.gauge.fixed), reason=ref.reason)
    if not ref.converged:
        rebuilt = _rank_structured(problem, ref, start, budget, report, pre_notes + (
            f"the refinement did not converge ({ref.reason})",))
        if rebuilt is not None:
            return rebuilt
        return _from_exact(classify(problem, point, budget), refinement=report,
                           notes=pre_notes + (f"the refinement did not converge ({ref.reason}); "
                                              "the point was classified as written, its numbers "
                                              "read exactly",))
    if snap:
        cand = snap_refinement(ref)
        if cand is not None:
            exact = exact_objective(problem)
            W = exact.unflatten(cand)
            if problem.loss.is_smooth_at(exact.loss_argument(W)) and \
                    all(x == 0 for x in exact.gradient_vector(W)):
                snapped = Point.of(problem, _rows(problem, cand))
                return _from_exact(classify(problem, snapped, budget), refinement=report,
                                   snapped=True,
                                   notes=pre_notes + ("snapped to an exact rational critical point at "
                                          f"max-norm distance {ctx.nstr(moved, 3)} from the "
                                          "given point; classified exactly",))
    enc = _Enclosing(problem, ref, ctx, budget)
    kind, cert, reason = enc.run()
    if cert is None:
        rebuilt = _rank_structured(problem, ref, start, budget, report,
                                   pre_notes + (f"no enclosure ({reason})",))
        if rebuilt is not None:
            return rebuilt
    value_enc = None
    if cert is not None:
        value_enc = (parse_exact(cert["value"]["lower"]), parse_exact(cert["value"]["upper"]))
    return RefinedClassification(
        kind=kind, reason=reason,
        method="gauge-fixed Newton refinement + interval enclosure (Krawczyk, arb)",
        certificate=cert, value_enclosure=value_enc, refinement=report,
        n_params=problem.n_params, notes=pre_notes + tuple(enc.notes))


def _tangent(problem, start) -> tuple[np.ndarray, bool]:
    """The orbit tangent at ``start`` in float64 (N x G: the generators the checker builds, in
    its order; for deep-linear their float64 twin), and whether the group is orthogonal."""
    # symmetric factorization: U -> U Q, Q in O(k), with or without weight decay
    orthogonal = problem.orthogonal_symmetry
    chains = problem.chains()
    # one chain of layers under a scalar decay: the float twin (a per-entry decay keeps only
    # some rotations, which the exact tangent selects)
    if not (problem.psd_product or problem.sum_of_towers or getattr(problem, "decay_entries", None)):
        x = np.array([float(q) for q in start])
        Wf, off = [], 0
        for r, c in problem.shapes:
            Wf.append(x[off:off + r * c].reshape(r, c))
            off += r * c
        return orbit_tangent_float(chains[0].widths, Wf, orthogonal), orthogonal
    exact = exact_objective(problem)
    T = exact.orbit_tangent(exact.unflatten(start), orthogonal=orthogonal)
    Tf = np.array([[float(x) for x in v] for v in T], dtype=np.float64).reshape(len(T), len(start))
    return Tf.T, orthogonal


#: how many smaller gauge dimensions are tried when the slice chosen at the start has a root
#: that is not critical (the orbit is smaller at the critical point than at the start)
GAUGE_RETRIES = 4


def _refine(problem, mp, f64, start, digits: int) -> tuple[Refinement, tuple[str, ...]]:
    """Gauge-fixed refinement from ``start``: (refinement, notes).

    The gauge is chosen where the orbit has the dimension it has at the start.  At the
    critical point it may be smaller (two rank-1 towers carrying the same direction; a rank
    deficient U): a slice of the start's dimension then generally misses the critical set,
    and its root is not critical.  Smaller gauges are tried, and at the point reached the
    gauge is checked (and chosen again if its dimension is wrong there).  All hints: the
    checker verifies transversality.
    """
    ctx = mp.ctx
    hessian = lambda v: f64.hessian(f64.unflatten(v))[0]  # noqa: E731
    T, orthogonal = _tangent(problem, start)
    k = tangent_rank(T, start)
    notes: tuple[str, ...] = ()
    first = ref = None
    for rank in range(k, max(k - GAUGE_RETRIES, 0) - 1, -1):
        ref = refine_critical_point(mp, start, digits=digits, hessian=hessian,
                                    gauge=gauge_from_tangent(T, start, orthogonal, rank=rank))
        first = first or ref
        if not ref.converged:
            break
        if _is_critical(ctx, ref):
            if rank < k:
                notes = (f"the slice of the symmetry orbit's dimension at the given point ({k}) "
                         f"has no critical root nearby; a slice of dimension {rank} has",)
            break
        ref = None
    if ref is None or not ref.converged:
        return first, notes
    near = [Fraction(float(x)) for x in ref.point]
    T2, _ = _tangent(problem, near)
    k2 = tangent_rank(T2, near)
    if k2 == len(ref.gauge.fixed):  # same slice; generators independent at the point reached
        return replace(ref, gauge=replace(ref.gauge,
                                          generators=gauge_generators(T2, ref.gauge.fixed))), notes
    again = refine_critical_point(mp, list(ref.point), digits=digits, hessian=hessian,
                                  gauge=gauge_from_tangent(T2, near, orthogonal, rank=k2))
    notes += (f"the symmetry orbit has dimension {k2} at the refined point "
              f"({len(ref.gauge.fixed)} frozen coordinates before): the gauge was chosen again "
              "there and the refinement repeated",)
    return replace(again, iterations=ref.iterations + again.iterations), notes


def _is_critical(ctx, ref: Refinement) -> bool:
    """Whether the full gradient (not only the slice's) is small at the point reached (a hint)."""
    scale = max([ctx.one] + [abs(x) for x in ref.point])
    return ref.residual <= ctx.mpf(10) ** (-(ref.digits // 2)) * scale


def _pd_shift(pairs) -> list[Fraction]:
    """``[c]``, one power of two for which every ``N + c P`` of ``pairs`` looks positive
    definite (``N`` about 0 on range(P), positive off it; a ``P`` about 0, a hidden unit that is
    off, needs ``N`` positive definite itself; float64 hint, the checker decides in arb), or []
    when none does."""
    best = Fraction(0)
    for N, P in pairs:
        w = np.linalg.eigvalsh(P)
        positive = w[w > 1e-9 * max(1.0, float(w[-1]))]
        if not positive.size:
            continue
        scale = max(1.0, float(np.max(np.abs(np.linalg.eigvalsh(N)))))
        best = max(best, Fraction(2) ** math.ceil(math.log2(2 * scale / float(positive[0]))))
    for N, P in pairs:
        scale = max(1.0, float(np.max(np.abs(np.linalg.eigvalsh(N)))))
        if np.linalg.eigvalsh(N + float(best) * P)[0] <= 1e-9 * scale:
            return []
    return [best or Fraction(1)]


def _towers_rank_hint(problem, center) -> list[dict]:
    """The ``isolated-critical-value`` hint for a sum of towers (kernel/enclosure.py,
    ``_towers_on_rank_manifold``): an r x r minor of R and r (d_H + d_0 - r) entries of R whose
    Jacobian rows are independent at the center, chosen by pivoted QR (floats only choose);
    [] when R or J_R is numerically short of those ranks."""
    from scipy.linalg import qr

    chains = problem.chains()
    d0, dH = chains[0].widths[0], chains[0].widths[-1]
    r = min(d0, dH, sum(min(c.widths) for c in chains))
    x = np.array([float(q) for q in center])

    def product(v):
        R, off = 0, 0
        for c in chains:
            P = np.eye(d0, dtype=v.dtype)
            for a, b in zip(c.widths[:-1], c.widths[1:]):
                P = v[off:off + a * b].reshape(b, a) @ P
                off += a * b
            R = R + P
        return R

    R = product(x)
    J = np.stack([product(x + 1e-30j * np.eye(x.size)[k]).imag.ravel() / 1e-30
                  for k in range(x.size)], axis=1)         # complex step: exact derivatives
    q = r * (dH + d0 - r)
    _, _, rows = qr(R.T, pivoting=True)
    _, _, cols = qr(R, pivoting=True)
    _, sj, jrows = qr(J.T, pivoting=True)
    sv = np.linalg.svd(R, compute_uv=False)
    if q > J.shape[0] or sv.size < r or sv[r - 1] <= 1e-9 * sv[0] \
            or abs(sj[q - 1, q - 1]) <= 1e-9 * abs(sj[0, 0]):
        return []
    return [{"type": "isolated-critical-value", "minor_rows": sorted(int(i) for i in rows[:r]),
             "minor_cols": sorted(int(j) for j in cols[:r]),
             "jacobian_rows": sorted(int(i) for i in jrows[:q])}]


def _rank_structured(problem, ref, start, budget, report, notes):
    """Where the refinement does not converge because the critical set is not isolated on the
    slice (a global minimum of a low-rank target whose layers have larger ranks than their
    product): exact layers rebuilt around the snapped product with the point's numerical ranks
    (:mod:`.structured`), classified exactly when exactly critical and near the given point
    (relative max-distance 1e-2).  One chain of layers without weight decay; None otherwise."""
    from landscape_proofs.produce.structured import rank_profile, rank_structured_points

    if problem.weight_decay != 0 or problem.psd_product or problem.sum_of_towers \
            or len(problem.shapes) < 2 or getattr(problem, "decay_entries", None):
        return None
    exact = exact_objective(problem)
    given = np.array([float(q) for q in start])
    for x in (np.array([float(t) for t in ref.point]), given):
        Ws, off = [], 0
        for r, c in problem.shapes:
            Ws.append(x[off:off + r * c].reshape(r, c))
            off += r * c
        profile = rank_profile(Ws)
        if len(set(profile)) == 1:          # all ranks equal: nothing to keep apart
            continue
        for how, layers in rank_structured_points(Ws, profile, (1e-12, 1e-10, 1e-8, 1e-6)):
            flat = [Fraction(int(M[i, j].p), int(M[i, j].q)) for M in layers
                    for i in range(M.nrows()) for j in range(M.ncols())]
            dist = max(abs(float(q) - v) for q, v in zip(flat, given))
            if dist > 1e-2 * (1 + float(np.max(np.abs(given)))):
                continue
            W = exact.unflatten(flat)
            if not problem.loss.is_smooth_at(exact.loss_argument(W)) or \
                    any(g != 0 for g in exact.gradient_vector(W)):
                continue
            return _from_exact(classify(problem, Point.of(problem, _rows(problem, flat)), budget),
                               refinement=report, snapped=True,
                               notes=notes + (f"{how}: an exact critical point at max-norm "
                                              f"distance {dist:.3g} from the given point, "
                                              "classified exactly",))
    return None


def _rows(problem: Problem, flat) -> list:
    out, off = [], 0
    for r, c in problem.shapes:
        out.append([[flat[off + i * c + j] for j in range(c)] for i in range(r)])
        off += r * c
    return out



def widened_enclosure(certificate: dict, radius: Fraction, note: str = "") -> dict:
    """The enclosure certificate ``certificate`` with its box's radius replaced by ``radius``:
    the same center, slice (free coordinates and frozen values), claim and evidence, and the
    value enclosure recomputed over the new box.  A producer step: the checker decides whether
    the wider box still proves the claim (docs/search.md, "Grouping by orbits").  Raises
    ArithmeticError when the value has no finite enclosure over the box."""
    import copy

    kproblem = read_problem(certificate["problem"])
    pt = certificate["point"]
    center = tuple(to_fmpq(parse_exact(x)) for W in pt["center"] for row in W for x in row)
    bits = certificate["evidence"]["precision_bits"]
    lo, hi = enclose_value(kproblem, Enclosure(center, to_fmpq(radius), tuple(pt["free"])), bits)
    out = copy.deepcopy(certificate)
    out["point"]["radius"] = format_exact(radius)
    out["value"] = {"lower": format_exact(to_fraction(lo)), "upper": format_exact(to_fraction(hi))}
    out["notes"] = list(out.get("notes") or []) + ([note] if note else [])
    return out


def enclose_on_slice(problem: Problem, start, fixed, values, claim: Kind, extra: dict, *,
                     digits: int = 40, budget: Budget = Budget()) -> tuple[dict | None, str]:
    """Refine ``start`` (N exact rationals) on the coordinate slice that freezes ``fixed`` at
    ``values`` (every orbit-tangent generator named, in order: the slice must freeze as many
    coordinates as there are generators), and attempt an enclosure certificate of ``claim``
    with the evidence hints ``extra``.  ``(certificate, reason)`` when the checker accepts it,
    ``(None, reason)`` otherwise.  Used by search to re-certify a group on a slice where the
    runs can be gauge-fixed exactly (docs/search.md, "Grouping by orbits")."""
    from landscape_proofs.numeric.refine import Gauge

    ctx = mpmath.MPContext()
    ctx.dps = digits + GUARD_DIGITS
    mp, f64 = mp_objective(problem, ctx), float64_objective(problem)
    fixed = tuple(fixed)
    gone = set(fixed)
    gauge = Gauge(fixed=fixed, free=tuple(p for p in range(problem.n_params) if p not in gone),
                  generators=tuple(range(len(fixed))), values=tuple(values),
                  orthogonal=problem.orthogonal_symmetry)
    ref = refine_critical_point(mp, list(start), digits=digits, gauge=gauge, round_gauge=False,
                                hessian=lambda v: f64.hessian(f64.unflatten(v))[0])
    if not ref.converged or not _is_critical(ctx, ref):
        return None, f"the refinement on the slice did not reach a critical point ({ref.reason})"
    cert, res = _Enclosing(problem, ref, ctx, budget).attempt(claim, extra)
    return (cert, res.reason) if cert is not None and res.valid else (None, res.reason)


__all__ = ["RefinedClassification", "RefinementReport", "classify_refined",
           "widened_enclosure", "enclose_on_slice"]
