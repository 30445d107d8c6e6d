"""From a float limit point to a certified statement about an exact point nearby.

A float limit point of a descent is only a hint.  This module proposes exact rational
points near it and hands each one to :func:`landscape_proofs.classify.classify`, whose
certificates the trusted checker re-verifies.  Routes, tried in order:

1. **Entrywise snapping.** Each coordinate ``x`` becomes the *simplest* rational (smallest
   denominator, then numerator) in ``[x - delta (1 + |x|), x + delta (1 + |x|)]``, for
   ``delta`` in :data:`TOLERANCES` (tight first).  A converged run that approaches a
   rational point (the origin, ``diag(3, 0)`` factors, ``a = 2, b = 1/2``) lands on it.
2. **Canonical refactorization of the snapped product.**  Runs end at an arbitrary point of
   a symmetry orbit, whose coordinates are irrational even when the product is rational.
   The product ``R = W_H ... W_1`` is snapped entrywise (also at the looser
   :data:`PRODUCT_TOLERANCES`); when its exact rank ``r'`` equals
   the limit point's numerical rank and every partial product of the limit point has rank
   ``r'`` (so the canonical point below has the limit point's rank profile), ``R`` is
   factored exactly as ``R = U V`` (``V`` the nonzero rows of ``rref(R)``, ``U`` the pivot
   columns of ``R``) and the layers are ``W_1 = [V; 0]``, ``W_k = [I_r' 0; 0 0]``,
   ``W_H = [U 0]``.  It is skipped with weight decay, where the orthogonal symmetry does not
   relate it to the limit point.
3. **Refinement and certified enclosure** (irrational critical points): gauge-fixed Newton
   refinement in mpmath, then an interval (Krawczyk) enclosure of the critical point whose
   certificate the checker re-verifies in interval arithmetic
   (:func:`landscape_proofs.classify_refined.classify_refined`, docs/enclosures.md).

A candidate is first tested for exact criticality (one exact gradient, cheap); the first
critical one is classified.  If no candidate is critical, the limit point is reported as
*not certified*, with the reason (which gradient entry was nonzero at which snap): a point
with a nonzero gradient is never reported as critical.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import flint
import numpy as np

from ..classify import Budget, classify
from ..errors import NotDifferentiableError, UnsupportedError
from ..kinds import Kind
from ..problems.deep_linear import DeepLinearProblem, Point
from ..problems.exact_view import exact_objective, exact_weights

TOLERANCES = (1e-12, 1e-10, 1e-8, 1e-6)
# The product route also tries looser tolerances: runs converge slowly (sublinearly) to
# degenerate minima, e.g. of the quartic loss, and end 1e-3 away from the critical set.
# Looser snapping cannot cause a false claim: the snapped point is checked exactly.
PRODUCT_TOLERANCES = TOLERANCES + (1e-4, 1e-3)


@dataclass(frozen=True)
class Certification:
    """What could be proven about one float limit point."""

    certified: bool
    kind: Kind | None                   # None: no exact or enclosed critical point found
    value: Fraction | None              # exact value of the certified exact point
    certificate: dict | None            # the certificate (JSON), checked by the checker
    point: Point | None                 # the exact point (None for an enclosure)
    route: str                          # how the point was obtained
    distance: float | None              # max |exact - float| over coordinates (entrywise routes)
    reason: str
    value_enclosure: tuple[Fraction, Fraction] | None = None   # enclosure route


def simplest_rational(lo: Fraction, hi: Fraction) -> Fraction:
    """The rational with the smallest denominator in ``[lo, hi]`` (then smallest |numerator|).

    >>> simplest_rational(Fraction(3, 10), Fraction(2, 5))
    Fraction(1, 3)
    >>> simplest_rational(Fraction(-1, 10), Fraction(1, 10))
    Fraction(0, 1)
    """
    if lo > hi:
        lo, hi = hi, lo
    if lo <= 0 <= hi:
        return Fraction(0)
    if hi < 0:
        return -simplest_rational(-hi, -lo)
    # 0 < lo <= hi: continued-fraction descent of the Stern-Brocot tree
    terms = []
    while True:
        a = math.floor(lo)
        if a == lo or a + 1 <= hi:
            terms.append(a if a == lo else a + 1)
            break
        terms.append(a)
        lo, hi = 1 / (hi - a), 1 / (lo - a)
    out = Fraction(terms[-1])
    for a in reversed(terms[:-1]):
        out = a + 1 / out
    return out


def snap_vector(x: np.ndarray, delta: float) -> list[Fraction]:
    """Each coordinate as the simplest rational within ``delta (1 + |x|)`` (a producer's
    rounding, never a proof)."""
    out = []
    for v in x:
        v = float(v)
        q = Fraction(v)
        r = Fraction(delta * (1.0 + abs(v)))
        out.append(simplest_rational(q - r, q + r))
    return out


def _point_from_vector(problem: DeepLinearProblem, v) -> Point:
    mats, off = [], 0
    for r, c in problem.shapes:
        mats.append([list(v[off + i * c: off + (i + 1) * c]) for i in range(r)])
        off += r * c
    return Point.of(problem, mats)


def canonical_factorization(problem: DeepLinearProblem, R: flint.fmpq_mat) -> Point | None:
    """Layers ``W_1 = [V; 0]``, ``W_k = [I 0; 0 0]``, ``W_H = [U 0]`` with ``R = U V`` exact,
    or None when ``rank R`` exceeds a width.

    >>> from landscape_proofs.problems.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [2, 1, 2],
    ...                        "Y": [[1, 0], [0, 1]], "loss": "square"})
    >>> canonical_factorization(p, flint.fmpq_mat([[2, 4], [1, 2]])).weights
    (((Fraction(1, 1), Fraction(2, 1)),), ((Fraction(2, 1),), (Fraction(1, 1),)))
    """
    rref, r = R.rref()
    if r > problem.max_rank:
        return None
    m, n = R.nrows(), R.ncols()
    pivots = []
    for i in range(r):
        for j in range(n):
            if rref[i, j] != 0:
                pivots.append(j)
                break
    V = [[Fraction(int(rref[i, j].p), int(rref[i, j].q)) for j in range(n)] for i in range(r)]
    U = [[Fraction(int(R[i, j].p), int(R[i, j].q)) for j in pivots] for i in range(m)]
    widths = problem.widths
    H = problem.depth
    if H == 1:
        return Point.of(problem, [[[Fraction(int(R[i, j].p), int(R[i, j].q)) for j in range(n)]
                                   for i in range(m)]])
    mats = []
    for k in range(H):
        rows, cols = widths[k + 1], widths[k]
        M = [[Fraction(0)] * cols for _ in range(rows)]
        for a in range(r):
            if k == 0:
                M[a] = list(V[a])
            elif k == H - 1:
                for i in range(rows):
                    M[i][a] = U[i][a]
            else:
                M[a][a] = Fraction(1)
        mats.append(M)
    return Point.of(problem, mats)


def _exact_gradient_check(problem, point):
    """(critical: bool | None, detail). None: the loss is not smooth there (ask classify)."""
    obj = exact_objective(problem)
    W = exact_weights(point)
    try:
        E = obj.loss_argument(W)
        if not problem.loss.is_smooth_at(E):
            return None, "the loss is not smooth there"
        g = obj.gradient_vector(W)
    except (UnsupportedError, NotDifferentiableError) as exc:
        return None, str(exc)
    nz = [i for i, x in enumerate(g) if x != 0]
    if nz:
        i = max(nz, key=lambda k: abs(g[k]))
        return False, f"gradient entry {i} is {float(g[i]):.3g} (exactly nonzero)"
    return True, "exact gradient is 0"


def _candidates(problem, x: np.ndarray, rank_profile: tuple[int, ...]):
    """Yield (route, Point, distance) proposals, without repeats."""
    seen = set()

    def fresh(pt):
        key = pt.weights
        if key in seen:
            return False
        seen.add(key)
        return True

    for delta in TOLERANCES:
        v = snap_vector(x, delta)
        pt = _point_from_vector(problem, v)
        if fresh(pt):
            dist = float(np.max(np.abs(np.array([float(q) for q in v]) - x))) if len(v) else 0.0
            yield f"entrywise snap (relative tolerance {delta:g})", pt, dist
    if problem.weight_decay != 0 or problem.depth < 2 or not rank_profile:
        return
    # rank of W_H...W_1: entry H - 1 of the profile (order of dedupe.invariants)
    H = problem.depth
    prod_rank = rank_profile[H - 1]
    if any(r != prod_rank for r in rank_profile):
        return
    Ws, off = [], 0
    for r, c in problem.shapes:
        Ws.append(x[off:off + r * c].reshape(r, c))
        off += r * c
    R = Ws[0]
    for W in Ws[1:]:
        R = W @ R
    for delta in PRODUCT_TOLERANCES:
        Rq = snap_vector(R.ravel(), delta)
        Rm = flint.fmpq_mat(R.shape[0], R.shape[1], [flint.fmpq(q.numerator, q.denominator) for q in Rq])
        if Rm.rank() != prod_rank:
            continue
        pt = canonical_factorization(problem, Rm)
        if pt is not None and fresh(pt):
            yield (f"canonical factorization of the product snapped at relative tolerance "
                   f"{delta:g}"), pt, None


def _enclosure_route(problem, x, budget: Budget, digits: int) -> Certification | None:
    """Refine the float point in mpmath and certify an interval enclosure of the critical
    point near it (``landscape_proofs.classify_refined``; the checker re-verifies the
    enclosure with interval arithmetic).  None when the modules are not available."""
    try:
        from ..classify_refined import classify_refined
    except ImportError:
        return None
    start = _point_from_vector(problem, [Fraction(float(v)) for v in x])  # exact binary values
    try:
        r = classify_refined(problem, start, digits=digits, budget=budget)
    except (UnsupportedError, NotDifferentiableError, ArithmeticError, ValueError) as exc:
        return Certification(False, None, None, None, None, "refinement + enclosure", None,
                             f"the enclosure route failed: {type(exc).__name__}: {exc}")
    route = (f"mpmath refinement to {digits} digits + "
             + ("rational reconstruction" if r.snapped else "certified interval enclosure"))
    certified = r.certificate is not None and r.kind is not Kind.INCONCLUSIVE
    point = _exact_point_of(problem, r) if r.snapped else None
    return Certification(certified, r.kind, r.value, r.certificate if certified else None, point,
                         route, None, r.reason, value_enclosure=r.value_enclosure)


def _exact_point_of(problem, r):
    cert = r.certificate
    if not cert:
        return None
    try:
        from ..problems.io import point_from_dict
        return point_from_dict(cert["point"], problem)
    except Exception:  # an enclosure point has no exact weights
        return None


def certify_limit_point(problem: DeepLinearProblem, x: np.ndarray, rank_profile: tuple[int, ...],
                        budget: Budget = Budget(), use_enclosures: bool = True,
                        cache: dict | None = None, digits: int = 40) -> Certification:
    """Certify what the float limit point ``x`` (flattened) is near.

    Rational routes first (exact classification of the first exactly critical candidate),
    then, with ``use_enclosures``, refinement to ``digits`` digits and a certified enclosure.
    ``rank_profile`` is the limit point's numerical ranks of partial products (see
    :mod:`.dedupe`); it gates the canonical-refactorization route.  ``cache`` (a dict the
    caller keeps) remembers classifications by exact point, so that limit points that snap
    to the same exact point are classified once.
    """
    tried = []
    for route, pt, dist in _candidates(problem, np.asarray(x, dtype=float), rank_profile):
        critical, detail = _exact_gradient_check(problem, pt)
        if critical is False:
            tried.append(f"{route}: {detail}")
            continue
        if cache is not None and pt.weights in cache:
            c = cache[pt.weights]
        else:
            c = classify(problem, pt, budget)
            if cache is not None:
                cache[pt.weights] = c
        if c.kind is Kind.NOT_CRITICAL:
            tried.append(f"{route}: not critical ({c.reason})")
            continue
        certified = c.certificate is not None
        if certified:
            reason = c.reason
        elif critical:
            reason = f"an exactly critical point, but {c.reason}"
        else:
            reason = f"not classified exactly: {c.reason}"
        return Certification(certified, c.kind, c.value if certified else None,
                             c.certificate.to_json() if certified else None, pt, route, dist,
                             reason)
    summary = "; ".join(tried[:2]) + ("; ..." if len(tried) > 2 else "")
    why = (f"no exact critical point among {len(tried)} rational candidates near the limit "
           f"point ({summary})")
    if use_enclosures:
        enc = _enclosure_route(problem, x, budget, digits)
        if enc is not None:
            if enc.certified:
                return enc
            return Certification(False, enc.kind, None, None, None, enc.route, None,
                                 f"{why}; enclosure route: {enc.reason}")
    return Certification(False, None, None, None, None, "none", None,
                         f"{why}; an irrational critical point needs a certified enclosure")
