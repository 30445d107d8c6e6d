"""From a float limit point to a certified statement about an exact point nearby.

A float limit point of a descent is only a hint.  This module proposes exact rational
points near it and hands each one to :func:`landscape_proofs.produce.classify.classify`, whose
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
   relate it to the limit point; with a scalar decay and a rank-one product, the balanced
   factors of the snapped product are proposed instead (:func:`_balanced_rank_one`).
   When the limit point's layers have larger ranks than the product (wide layers, a
   low-rank ``Y``: ``W_1`` of rank 5 and ``W_2 W_1`` of rank 4), the canonical point would lie
   on another stratum; instead the layers are rebuilt exactly around the snapped product with
   the limit point's ranks (:mod:`landscape_proofs.produce.structured`), and the result is
   kept only when near the float point.
3. **Refinement and certified enclosure** (irrational critical points): gauge-fixed Newton
   refinement in mpmath, then an interval (Krawczyk) enclosure of the critical point whose
   certificate the checker re-verifies in interval arithmetic; where the slice Hessian is
   singular because the critical set is larger than the orbit, after a small step along that
   set (kept only for a certified global minimum, ``_along_critical_set``)
   (:func:`landscape_proofs.produce.refined.classify_refined`, docs/enclosures.md).

Other families (:mod:`.families`) use the same routes with their own canonical point:

* ``multi-tower`` (without weight decay), when each tower's partial products all have one
  rank ``r_t``: the sum ``R`` is snapped and split into one part per tower, of rank ``r_t``,
  summing to the snapped ``R`` exactly, either (when ``sum_t r_t = rank R``) by dealing out the
  terms of ``R = sum_i c_i f_i^T`` (pivot columns, rows of ``rref(R)``), or by snapping every
  tower's product but one (the last tower of nonzero rank), which takes ``R`` minus the others.
  Each tower carries its part canonically as above: the canonical point has the limit point's
  rank profile and (snapped) product;
* ``symmetric-factorization`` (with or without weight decay, the symmetry ``U -> U Q`` being
  orthogonal in both cases): ``P = U U^T`` is snapped (symmetrically) and, when ``P = L D L^T``
  (exact symmetric elimination with diagonal pivots) has square rationals on ``D``, the
  canonical point is ``U = [L sqrt(D) 0]``, exactly ``U U^T = P``: on the orbit of the limit
  point when ``P`` is its ``U U^T``.  Otherwise (an irrational square root) the route fails;
* the enclosure route is :func:`~landscape_proofs.produce.refined.classify_refined`, for
  every family it handles; where it refuses a problem (``UnsupportedError``), the limit point
  is reported as *not certified*, with its reason.

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

from landscape_proofs.budget import check_deadline
from landscape_proofs.produce.classify import Budget, classify
from landscape_proofs.kernel.errors import NotDifferentiableError, UnsupportedError
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.base import Point, Problem
from landscape_proofs.families.exact_view import exact_objective, exact_weights

TOLERANCES = (1e-12, 1e-10, 1e-8, 1e-6)
# The product route also tries looser tolerances: runs converge slowly (sublinearly) to
# degenerate minima, e.g. of the quartic loss, and end 1e-3 away from the critical set.
# Looser snapping cannot cause a false claim: the snapped point is checked exactly.
PRODUCT_TOLERANCES = TOLERANCES + (1e-4, 1e-3)
# The solved-layer route goes looser still (quartic losses end ~1e-3 from the minimizing set);
# its exact point must stay within 1e-2 (relative) of the float point.
SOLVED_TOLERANCES = PRODUCT_TOLERANCES + (3e-3, 1e-2)


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
    fresh: bool = True          # False: the classification of an earlier group was reused
    orbit_proven: bool = False  # the snapped point is A . (the certified point), A exact


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


def _point_from_vector(problem: Problem, v) -> Point:
    mats, off = [], 0
    for r, c in problem.shapes:
        mats.append([list(v[off + i * c: off + (i + 1) * c]) for i in range(r)])
        off += r * c
    return Point.of(problem, mats)


def canonical_factorization(problem: Problem, R: flint.fmpq_mat) -> Point | None:
    """Layers ``W_1 = [V; 0]``, ``W_k = [I 0; 0 0]``, ``W_H = [U 0]`` with ``R = U V`` exact,
    or None when ``rank R`` exceeds a width.

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "deep-linear", "widths": [2, 1, 2],
    ...                        "Y": [[1, 0], [0, 1]], "loss": "square"})
    >>> canonical_factorization(p, flint.fmpq_mat([[2, 4], [1, 2]])).weights
    (((Fraction(1, 1), Fraction(2, 1)),), ((Fraction(2, 1),), (Fraction(1, 1),)))
    """
    mats = factor_through(problem.widths, R)
    return None if mats is None else Point.of(problem, mats)


def _frac(x) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def factor_through(widths, R: flint.fmpq_mat) -> list | None:
    """Layers (rows of Fractions, W_1 first) of one chain of ``widths`` whose product is ``R``
    exactly: ``W_1 = [V; 0]``, ``W_k = [I 0; 0 0]``, ``W_H = [U 0]``, ``R = U V`` (``V`` the
    nonzero rows of ``rref(R)``, ``U`` the pivot columns of ``R``); every partial product has
    rank ``rank R``.  None when ``rank R`` exceeds a width."""
    rref, r = R.rref()
    if r > min(widths):
        return None
    m, n = R.nrows(), R.ncols()
    pivots = []
    for i in range(r):
        for j in range(n):
            if rref[i, j] != 0:
                pivots.append(j)
                break
    V = [[_frac(rref[i, j]) for j in range(n)] for i in range(r)]
    U = [[_frac(R[i, j]) for j in pivots] for i in range(m)]
    H = len(widths) - 1
    if H == 1:
        return [[[_frac(R[i, j]) for j in range(n)] for i in range(m)]]
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
    return mats


def _rational_sqrt(q: Fraction) -> Fraction | None:
    """sqrt(q) when it is rational (q >= 0), else None."""
    if q < 0:
        return None
    a, b = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(a, b) if a * a == q.numerator and b * b == q.denominator else None


MAX_SQUARES_INTEGER = 10 ** 30   # sums of squares are searched for integers below this
                                 # (a size guard, not a bound of truth)


TWO_SQUARES_SEARCH = 10 ** 8     # n = a^2 + b^2 is searched directly below this


def _orthogonal_block(d: Fraction) -> list[list[Fraction]] | None:
    """Up to ``m`` mutually orthogonal rational vectors of squared norm ``d`` in ``Q^m``, ``m``
    in (1, 2, 4): with ``d = p q / q^2``, the integer ``n = p q`` as one square, two squares
    (searched directly for small n), else four (sympy's ``sum_of_four_squares``; Lagrange),
    then ``(s)``; ``(a, b), (-b, a)``; or the rows of the quaternion multiplication matrix of
    ``(a, b, c, e)``, each divided by q."""
    from sympy.solvers.diophantine.diophantine import sum_of_four_squares

    n = d.numerator * d.denominator
    if n > MAX_SQUARES_INTEGER:
        return None
    r = math.isqrt(n)
    rep = (r,) if r * r == n else None
    if rep is None and n <= TWO_SQUARES_SEARCH:
        for a in range(r, math.isqrt(n // 2) - 1, -1):
            b = math.isqrt(n - a * a)
            if b * b == n - a * a:
                rep = (a, b)
                break
    if rep is None:
        rep = tuple(int(x) for x in sum_of_four_squares(n))
    a, b, c, e = [Fraction(int(x), d.denominator) for x in rep] + [Fraction(0)] * (4 - len(rep))
    return {1: [[a]], 2: [[a, b], [-b, a]],
            4: [[a, b, c, e], [-b, a, -e, c], [-c, e, a, -b], [-e, -c, b, a]]}[len(rep)]


def symmetric_square_root(P, k: int) -> list | None:
    """A rational ``n x k`` matrix ``U`` (rows of Fractions) with ``U U^T = P`` exactly, or None.

    ``P`` (a square list of Fraction rows) is eliminated symmetrically (square pivots first):
    ``P = sum_i d_i l_i l_i^T``.  Then ``U = sum_i l_i v_i^T`` for mutually orthogonal rational
    ``v_i`` in ``Q^k`` with ``|v_i|^2 = d_i``: pivots whose ratios are rational squares share a
    block of 1, 2 or 4 columns holding that many orthogonal vectors of one squared norm
    (:func:`_orthogonal_block`, scaled by the square roots of the ratios).  None when ``P`` is
    not symmetric or not PSD, or more than ``k`` columns are needed.  A heuristic (pivot order
    and representations are not searched); every ``U`` it returns is exact.

    >>> symmetric_square_root([[Fraction(4), Fraction(2)], [Fraction(2), Fraction(10)]], 2)
    [[Fraction(2, 1), Fraction(0, 1)], [Fraction(1, 1), Fraction(3, 1)]]
    >>> symmetric_square_root([[Fraction(2)]], 1) is None     # sqrt(2) is irrational
    True
    >>> symmetric_square_root([[Fraction(2)]], 2)             # 2 = 1^2 + 1^2
    [[Fraction(1, 1), Fraction(1, 1)]]
    """
    n = len(P)
    A = [list(row) for row in P]
    if any(A[i][j] != A[j][i] for i in range(n) for j in range(i)):
        return None
    pivots = []                                     # (d_i, l_i)
    while any(A[t][t] != 0 for t in range(n)):
        i = next((t for t in range(n) if A[t][t] > 0 and _rational_sqrt(A[t][t]) is not None),
                 None)
        if i is None:
            i = next((t for t in range(n) if A[t][t] > 0), None)
        if i is None or len(pivots) == k:
            return None
        d = A[i][i]
        col = [A[a][i] / d for a in range(n)]
        pivots.append((d, col))
        A = [[A[a][b] - d * col[a] * col[b] for b in range(n)] for a in range(n)]
    if any(x != 0 for row in A for x in row):
        return None
    classes: list[list[int]] = []                   # pivots whose ratios are rational squares
    for i, (d, _) in enumerate(pivots):
        home = next((c for c in classes if _rational_sqrt(d / pivots[c[0]][0]) is not None), None)
        if home is None:
            classes.append([i])
        else:
            home.append(i)
    V, used = [None] * len(pivots), 0               # V[i]: (first column, entries)
    for members in classes:
        d0 = pivots[members[0]][0]
        block = _orthogonal_block(d0)
        if block is None:
            return None
        for start in range(0, len(members), len(block)):
            if used + len(block[0]) > k:
                return None
            for row, i in zip(block, members[start:start + len(block)]):
                t = _rational_sqrt(pivots[i][0] / d0)
                V[i] = (used, [t * x for x in row])
            used += len(block[0])
    U = [[Fraction(0)] * k for _ in range(n)]
    for (d, col), (first, entries) in zip(pivots, V):
        for a in range(n):
            for j, x in enumerate(entries):
                U[a][first + j] += col[a] * x
    return U


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
    """Yield (route, Point, distance) proposals, without repeats: the tight entrywise snaps,
    the structured routes, then the loose entrywise snaps (slow runs to degenerate minima,
    quartic bottoms, end ~1e-5 away: a last resort, after the canonical points)."""
    seen = set()

    def fresh(pt):
        key = pt.weights
        if key in seen:
            return False
        seen.add(key)
        return True

    def entrywise(tolerances):
        for delta in tolerances:
            v = snap_vector(x, delta)
            pt = _point_from_vector(problem, v)
            if fresh(pt):
                dist = float(np.max(np.abs(np.array([float(q) for q in v]) - x))) if len(v) else 0.0
                yield f"entrywise snap (relative tolerance {delta:g})", pt, dist

    yield from entrywise(TOLERANCES)
    yield from _structured_routes(problem, x, rank_profile, fresh)
    yield from entrywise(PRODUCT_TOLERANCES[len(TOLERANCES):])


def _structured_routes(problem, x: np.ndarray, rank_profile: tuple[int, ...], fresh):
    """The canonical, tower and symmetric routes of :func:`_candidates`."""
    if problem.psd_product:
        yield from _symmetric_candidates(problem, x, rank_profile, fresh)
        return
    if problem.sum_of_towers:
        yield from _tower_candidates(problem, x, rank_profile, fresh)
        return
    if (problem.weight_decay != 0 and not isinstance(problem.weight_decay, tuple)
            and problem.depth >= 2 and rank_profile and max(rank_profile) == 1):
        yield from _balanced_rank_one(problem, x, fresh)
        return
    if problem.weight_decay != 0 or problem.depth < 2 or not rank_profile:
        return
    # rank of W_H...W_1: entry H - 1 of the profile (order of dedupe.invariants)
    H = problem.depth
    prod_rank = rank_profile[H - 1]
    if any(r != prod_rank for r in rank_profile):
        yield from _structured_candidates(problem, x, rank_profile, fresh)
        return
    R = _float_product(problem, x)
    for delta in PRODUCT_TOLERANCES:
        Rq = snap_vector(R.ravel(), delta)
        Rm = flint.fmpq_mat(R.shape[0], R.shape[1], [flint.fmpq(q.numerator, q.denominator) for q in Rq])
        if Rm.rank() != prod_rank:
            continue
        pt = canonical_factorization(problem, Rm)
        if pt is not None and fresh(pt):
            yield (f"canonical factorization of the product snapped at relative tolerance "
                   f"{delta:g}"), pt, None
    for delta, Rm in _projected_regression(problem, R, prod_rank):
        pt = canonical_factorization(problem, Rm)
        if pt is not None and fresh(pt):
            yield (f"canonical factorization of the least-squares product projected onto the "
                   f"snapped column space (relative tolerance {delta:g})"), pt, None
    for delta, M in (_rank_one_on_spheres(R) if prod_rank == 1 else ()):
        pt = canonical_factorization(problem, _fmpq_mat(M))
        if pt is not None and fresh(pt):
            yield (f"canonical factorization of the rank-one product with its singular vectors "
                   f"on rational points of the sphere (relative tolerance {delta:g})"), pt, None
    yield from _solved_factor_candidates(problem, x, fresh)


def _float_product(problem, x: np.ndarray) -> np.ndarray:
    """``W_H ... W_1`` of the flattened float point ``x`` (one chain)."""
    Ws = _layers(problem, x)
    R = Ws[0]
    for W in Ws[1:]:
        R = W @ R
    return R


def _rational_root(q: Fraction, k: int) -> Fraction | None:
    """The rational ``q^(1/k)`` (q >= 0), or None when it is irrational."""
    root = []
    for part in (q.numerator, q.denominator):
        try:
            r = round(part ** (1.0 / k))
        except OverflowError:     # beyond floats: no simple balanced factor to propose
            return None
        r = next((c for c in (r - 1, r, r + 1) if c >= 0 and c ** k == part), None)
        if r is None:
            return None
        root.append(r)
    return Fraction(root[0], root[1])


def _sphere_base(c: Fraction, n: int, target: np.ndarray) -> list[Fraction] | None:
    """A rational point of the sphere ``|p|^2 = c`` in R^n: ``-sign(t_j) sqrt(c) e_j`` (far
    from the target ``t``) when ``c`` is a rational square, else the first one found among
    small numerators and denominators (a sum of squares ``c d^2``; n <= 3), or None."""
    j = int(np.argmax(np.abs(target)))
    s = _rational_root(c, 2)
    if s is not None:
        return [(-s if target[j] > 0 else s) if i == j else Fraction(0) for i in range(n)]
    if n > 3 or c.denominator > 10 ** 6:
        return None
    for d in range(1, 13):
        goal, top = c * d * d, math.isqrt(int(c * d * d)) + 1
        if goal.denominator != 1 or top > 60:     # small numerators only (a bounded search)
            continue
        for a in range(-top, top + 1):
            rest = goal - a * a
            for b in ([0] if n == 1 else range(-top, top + 1)):
                last = rest - b * b if n == 3 else rest
                r = math.isqrt(int(last)) if last >= 0 else -1
                if r >= 0 and r * r == last and (n == 3 or b * b == rest) and (n > 1 or last == 0):
                    coords = ([a] if n == 1 else [a, b] if n == 2 else [a, b, r])
                    return [Fraction(v, d) for v in coords]
    return None


def on_sphere(target: np.ndarray, c: Fraction, delta: float) -> list[Fraction] | None:
    """A rational point ``p`` with ``|p|^2 = c`` exactly near the float ``target`` (``|target|^2
    ~ c``): the second intersection of the sphere with the line from a rational point ``p0`` of
    it through ``target``, its direction snapped at relative tolerance ``delta`` (rational
    points are dense on a sphere that has one: stereographic projection).  None without a
    rational point ``p0`` or when the snapped direction is 0."""
    target = np.asarray(target, dtype=float)
    p0 = _sphere_base(c, len(target), target)
    if p0 is None:
        return None
    d = snap_vector(target - np.array([float(v) for v in p0]), delta)
    dd = sum(v * v for v in d)
    if dd == 0:
        return p0
    t = -2 * sum(a * b for a, b in zip(p0, d)) / dd
    return [a + t * b for a, b in zip(p0, d)]


def _projected_regression(problem, R: np.ndarray, r: int):
    """``P' Y X^T (X X^T)^-1`` with ``P'`` the exact orthogonal projection onto the span of the
    float product's top ``r`` left singular vectors, snapped entrywise (any basis: ``P' = B
    (B^T B)^-1 B^T`` is rational).  The square loss's critical products are ``P`` times the
    least-squares solution for ``P`` a projection onto eigenvectors of ``Y X^T (X X^T)^-1 X
    Y^T`` (Baldi and Hornik); when those tie (``Y = I`` with a bottleneck: every rank-``r``
    projection), the runs end anywhere on a manifold of minima larger than the gauge orbit,
    whose rational points these are."""
    from landscape_proofs.kernel.linalg import matrix

    if not problem.loss.square_like or problem.loss.over_product or r < 1 or problem.Y is None:
        return
    X, Y = matrix(problem.X), matrix(problem.Y)
    G = X * X.transpose()
    if G.det() == 0:
        return
    ols = Y * X.transpose() * G.inv()
    U = np.linalg.svd(R)[0][:, :r]
    for delta in PRODUCT_TOLERANCES:
        B = _fmpq_mat(_snapped_matrix(U, delta))
        BtB = B.transpose() * B
        if BtB.det() == 0:
            continue
        Rq = B * BtB.inv() * B.transpose() * ols
        if Rq.rank() == r:
            yield delta, Rq


def _rank_one_on_spheres(R: np.ndarray):
    """Rational rank-one matrices ``sigma' u' v'^T`` near the float ``R``: ``sigma`` snapped,
    the singular vectors moved onto rational points of the unit sphere (:func:`on_sphere`).
    A product ``q q^T`` with ``q`` an irrational unit vector (``Y = I`` with a bottleneck: a
    circle of minima, no orbit of the gauge) has no rational entrywise snap, but these."""
    U, S, Vt = np.linalg.svd(R)
    for delta in PRODUCT_TOLERANCES:
        sigma = simplest_rational(*(Fraction(S[0]) + k * Fraction(delta * (1 + S[0])) for k in (-1, 1)))
        u, v = on_sphere(U[:, 0], Fraction(1), delta), on_sphere(Vt[0], Fraction(1), delta)
        if sigma > 0 and u is not None and v is not None:
            yield delta, [[sigma * a * b for b in v] for a in u]


def _balanced_rank_one(problem, x: np.ndarray, fresh):
    """With a scalar weight decay every critical point is balanced (``W_(k+1)^T W_(k+1) =
    W_k W_k^T``), so one whose product has rank 1, ``R = sigma u v^T``, lies on the orbit of
    the orthogonal gauge through the balanced factors ``W_1 = s e_1 v^T``, ``W_k = s e_1
    e_1^T``, ``W_H = s u e_1^T``, ``s = sigma^(1/H)``.  The product is snapped (as in the
    canonical route); the point is proposed when ``sigma``, ``s``, ``u`` and ``v`` are rational
    (the classification then decides it exactly)."""
    from landscape_proofs.numeric.views import float64_objective

    obj = float64_objective(problem)
    value = lambda v: float(obj.value(obj.unflatten(np.asarray(v, dtype=float)[None, :]))[0])  # noqa: E731
    H, R = problem.depth, _float_product(problem, x)
    m, n = R.shape
    seen = set()
    entrywise = ((delta, snap_vector(R.ravel(), delta)) for delta in PRODUCT_TOLERANCES)
    snapped = ((d, [[Rq[i * n + j] for j in range(n)] for i in range(m)]) for d, Rq in entrywise)
    for delta, M in [*snapped, *_rank_one_on_spheres(R)]:
        key = tuple(v for r in M for v in r)
        if key in seen:
            continue
        seen.add(key)
        i0 = max(range(m), key=lambda i: sum(v * v for v in M[i]))
        row = M[i0]
        if not any(row) or any(M[i][j] * row[k] != M[i][k] * row[j] for i in range(m)
                               for j in range(n) for k in range(n)):
            continue                          # 0, or not rank one
        norm_row = _rational_root(sum(v * v for v in row), 2)
        sigma = _rational_root(sum(v * v for r in M for v in r), 2)
        s = None if sigma is None else _rational_root(sigma, H)
        if norm_row is None or s is None or s == 0:
            continue
        v = [a / norm_row for a in row]
        u = [sum(a * b for a, b in zip(M[i], v)) / sigma for i in range(m)]
        layers = []
        for k, (rows, cols) in enumerate(problem.shapes):
            W = [[Fraction(0)] * cols for _ in range(rows)]
            if k == 0:
                W[0] = [s * a for a in v]
            if k == H - 1:
                for i in range(rows):
                    W[i][0] = s * u[i]
            if 0 < k < H - 1:
                W[0][0] = s
            layers.append(W)
        y = np.array([float(a) for W in layers for r in W for a in r])
        if abs(value(y) - value(x)) > 1e-6 * (1 + abs(value(x))):
            continue                  # not the runs' critical value: another point
        pt = Point.of(problem, layers)
        if fresh(pt):
            yield (f"balanced factors of the rank-one product snapped at relative tolerance "
                   f"{delta:g}"), pt, None


def _solve_factor(P, R, side: str):
    """``W`` with ``W P = R`` (side "last") or ``P W = R`` (side "first"), exactly, through
    ``P^T (P P^T)^{-1}`` resp. ``(P^T P)^{-1} P^T``; None when that Gram matrix is singular."""
    if side == "last":
        G = P * P.transpose()
        if G.det() == 0:
            return None
        W = R * P.transpose() * G.inv()
        return W if W * P == R else None
    G = P.transpose() * P
    if G.det() == 0:
        return None
    W = G.inv() * P.transpose() * R
    return W if P * W == R else None


def _zero_entries(layers, zeros, side: str):
    """The snapped layers with the last (resp. first) one moved least, row by row (column by
    column), so that the product's entries ``zeros`` are exactly 0: row ``i`` of ``W_H`` is
    projected onto the orthogonal complement of the columns ``j`` of ``P = W_{H-1}...W_1``
    with ``(i, j)`` in ``zeros`` (exact rationals); None when those columns are dependent."""
    import flint

    rest = layers[:-1] if side == "last" else layers[1:]
    P = rest[0]
    for M in rest[1:]:
        P = M * P
    W = layers[-1] if side == "last" else layers[0]
    if side == "first":             # P W = R: transpose to W^T P^T = R^T
        P, W = P.transpose(), W.transpose()
        zeros = [(j, i) for i, j in zeros]
    W = flint.fmpq_mat(W)
    for i in sorted({i for i, _ in zeros}):
        cols = [j for a, j in zeros if a == i]
        C = flint.fmpq_mat(P.nrows(), len(cols), [P[r, j] for r in range(P.nrows()) for j in cols])
        G = C.transpose() * C
        if G.det() == 0:
            return None
        w = flint.fmpq_mat(1, W.ncols(), [W[i, c] for c in range(W.ncols())])
        w = w - (w * C) * G.inv() * C.transpose()
        for c in range(W.ncols()):
            W[i, c] = w[0, c]
    if side == "first":
        return [W.transpose()] + list(layers[1:])
    return list(layers[:-1]) + [W]


def _solved_factor_candidates(problem, x, fresh, layer_tol: float = 1e-8,
                              max_distance: float = 1e-2):
    """Slowly converging runs (degenerate minima, e.g. of ``(ab)^4 - (ab)^6``) end where the
    product is close to a critical point of the outer loss but the rank profile is not yet
    that of the limit.  The product is snapped (:data:`PRODUCT_TOLERANCES`), all layers but
    the last (resp. the first) are snapped entrywise, and the remaining layer is solved
    exactly so that the product is the snapped one.  Kept only within ``max_distance`` (relative
    to ``1 + max |x|``) of the float point, so that the exact point is near the run's limit."""
    H = problem.depth
    if problem.weight_decay != 0 or H < 2:
        return
    Ws = _layers(problem, x)
    R = Ws[0]
    for W in Ws[1:]:
        R = W @ R
    scale = 1.0 + float(np.max(np.abs(x))) if x.size else 1.0
    snapped = [_fmpq_mat(_snapped_matrix(W, layer_tol)) for W in Ws]
    tight = _fmpq_mat(_snapped_matrix(R, layer_tol))
    targets = []
    for delta in SOLVED_TOLERANCES:
        loose = _fmpq_mat(_snapped_matrix(R, delta))
        targets.append((delta, "", loose))
        # only the entries that snap to 0 moved, the others kept (tightly snapped): a product
        # near a critical set such as {R_00 = 0} whose other entries are generic
        mixed = flint.fmpq_mat(tight.nrows(), tight.ncols(), [
            0 if loose[i, j] == 0 else tight[i, j]
            for i in range(tight.nrows()) for j in range(tight.ncols())])
        if mixed != loose:
            targets.append((delta, " (only the entries near 0)", mixed))
    # the k smallest entries of the product (those within 1e-2 relative of 0) made 0 with the
    # least change, k = 1, 2, ... (at most 6)
    small = sorted((abs(R[i, j]), i, j) for i in range(R.shape[0]) for j in range(R.shape[1])
                   if abs(R[i, j]) <= SOLVED_TOLERANCES[-1] * (1 + np.abs(R).max()))
    for k in range(1, min(len(small), 6) + 1):
        zeros = [(i, j) for _, i, j in small[:k]]
        delta = small[k - 1][0]
        for side in ("last", "first"):
            layers = _zero_entries(snapped, zeros, side)
            if layers is None:
                continue
            pt, dist = _near(problem, layers, x, max_distance * scale)
            if pt is not None and fresh(pt):
                yield (f"{side} layer moved least (exact projection) so that the product's "
                       f"{k} smallest entries (up to {delta:.2g}) are 0, then brought to a "
                       "gauge normal form (the same orbit)"), pt, dist
    for delta, how, Rq in targets:
        for side in ("last", "first"):
            rest = snapped[:-1] if side == "last" else snapped[1:]
            P = rest[0]
            for M in rest[1:]:
                P = M * P
            W = _solve_factor(P, Rq, side)
            if W is None:
                continue
            layers = snapped[:-1] + [W] if side == "last" else [W] + snapped[1:]
            pt, dist = _near(problem, layers, x, max_distance * scale)
            if pt is not None and fresh(pt):
                yield (f"{side} layer solved exactly for the product snapped{how} at relative "
                       f"tolerance {delta:g}, then brought to a gauge normal form (the same "
                       "orbit)"), pt, dist


def _structured_candidates(problem, x, rank_profile, fresh, max_distance: float = 1e-2):
    """Layers whose ranks differ from the product's (e.g. ``W_1`` of rank 5 and ``W_2 W_1`` of
    rank 4 when ``Y`` has rank 4 and the widths are 6): the layers rebuilt exactly around the
    snapped product with the limit point's ranks (:mod:`landscape_proofs.produce.structured`),
    kept when near the float point, in a gauge normal form."""
    from landscape_proofs.produce.structured import rank_structured_points

    scale = 1.0 + float(np.max(np.abs(x))) if x.size else 1.0
    for how, layers in rank_structured_points(_layers(problem, x), rank_profile,
                                               PRODUCT_TOLERANCES):
        pt, dist = _near(problem, layers, x, max_distance * scale)
        if pt is not None and fresh(pt):
            yield f"{how}, then brought to a gauge normal form (the same orbit)", pt, dist


def _near(problem, layers, x: np.ndarray, limit: float):
    """``(point in gauge normal form, max-distance to x)`` of exact layers, or ``(None, dist)``
    when they are farther than ``limit`` from the float point ``x``."""
    from landscape_proofs.search.dedupe import gauge_normal_form

    mats = [[[_frac(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
            for M in layers]
    flat = np.array([float(q) for M in mats for row in M for q in row])
    dist = float(np.max(np.abs(flat - x)))
    if dist > limit:
        return None, dist
    return gauge_normal_form(problem, Point.of(problem, mats)), dist


def _layers(problem, x: np.ndarray) -> list[np.ndarray]:
    Ws, off = [], 0
    for r, c in problem.shapes:
        Ws.append(x[off:off + r * c].reshape(r, c))
        off += r * c
    return Ws


def _snapped_matrix(M: np.ndarray, delta: float) -> list:
    q = snap_vector(M.ravel(), delta)
    return [q[i * M.shape[1]:(i + 1) * M.shape[1]] for i in range(M.shape[0])]


def _fmpq_mat(rows) -> flint.fmpq_mat:
    return flint.fmpq_mat(len(rows), len(rows[0]) if rows else 0,
                          [flint.fmpq(q.numerator, q.denominator) for row in rows for q in row])


def _symmetric_candidates(problem, x, rank_profile, fresh):
    """``U = [L sqrt(D) 0]`` from the snapped ``U U^T`` (see the module docstring)."""
    if not rank_profile:
        return
    U = _layers(problem, x)[0]
    P = U @ U.T
    P = (P + P.T) / 2
    for delta in PRODUCT_TOLERANCES:
        upper = _snapped_matrix(P, delta)
        Pq = [[upper[min(i, j)][max(i, j)] for j in range(problem.n)] for i in range(problem.n)]
        # the snapped U U^T's own rank decides (a degenerate direction leaves U's float rank
        # above it: U U^T = M of rank r < k is reached only quartically)
        if _fmpq_mat(Pq).rank() > problem.k:
            continue
        root = symmetric_square_root(Pq, problem.k)
        if root is None:
            continue
        pt = Point.of(problem, [root])
        if fresh(pt):
            yield (f"canonical square root of U U^T snapped at relative tolerance "
                   f"{delta:g}"), pt, None
    if rank_profile[0] == problem.k:
        yield from _cayley_frames(problem, U, fresh)
    if problem.k != 1:
        return
    for delta in PRODUCT_TOLERANCES:   # u on a rational point of its sphere |u|^2 = c, c snapped
        c = snap_vector(np.array([float(U[:, 0] @ U[:, 0])]), delta)[0]
        u = on_sphere(U[:, 0], c, delta) if c > 0 else None
        pt = None if u is None else Point.of(problem, [[[a] for a in u]])
        if pt is not None and fresh(pt):
            yield (f"u moved onto a rational point of the sphere |u|^2 = {c} (relative "
                   f"tolerance {delta:g})"), pt, None


def rational_orthogonal(O: np.ndarray, delta: float) -> flint.fmpq_mat | None:
    """A rational orthogonal matrix near the float orthogonal ``O`` (det +1): the Cayley
    transform ``A = (I - O)(I + O)^-1`` is skew; its snapped upper triangle gives a rational
    skew ``A'`` and ``(I - A')(I + A')^-1`` is exactly orthogonal.  None when ``I + O`` is
    nearly singular (an eigenvalue -1)."""
    n = O.shape[0]
    I = np.eye(n)
    if np.linalg.svd(I + O, compute_uv=False)[-1] < 1e-3:
        return None
    A = (I - O) @ np.linalg.inv(I + O)
    up = _snapped_matrix(A, delta)
    Aq = flint.fmpq_mat(n, n, [flint.fmpq(0)] * (n * n))
    for i in range(n):
        for j in range(i + 1, n):
            q = up[i][j]
            Aq[i, j], Aq[j, i] = flint.fmpq(q.numerator, q.denominator), -flint.fmpq(q.numerator, q.denominator)
    In = flint.fmpq_mat(n, n, [flint.fmpq(int(i == j)) for i in range(n) for j in range(n)])
    return (In - Aq) * (In + Aq).inv()


def _cayley_frames(problem, U: np.ndarray, fresh):
    """``U = Q diag(l)^(1/2)`` up to the gauge (``U U^T = Q diag(l) Q^T``): ``Q`` completed to
    an orthogonal matrix, made rational by :func:`rational_orthogonal` (column signs chosen so
    that no eigenvalue is -1), and ``l`` snapped, when its square roots are rational.  ``Y = I``
    with ``k = 2 < n = 3``: the minima ``U U^T`` are all rank-2 projections, a set larger than
    the orbit of ``O(2)``, with rational points exactly these."""
    n, k = U.shape
    Q, S, _ = np.linalg.svd(U)
    if np.linalg.det(Q) < 0:
        Q[:, -1] *= -1
    best = max(((Q * d, d) for d in (np.array([1.0 if (m >> i) & 1 == 0 else -1.0 for i in range(n)])
                                     for m in range(2 ** min(n, 6))) if np.prod(d) > 0),
               key=lambda od: np.linalg.svd(np.eye(n) + od[0], compute_uv=False)[-1])[0]
    for delta in PRODUCT_TOLERANCES:
        O = rational_orthogonal(best, delta)
        roots = [_rational_root(q, 2) for q in snap_vector(S[:k] ** 2, delta)]
        if O is None or any(r is None for r in roots):
            continue
        layers = [[[Fraction(int(O[i, j].p), int(O[i, j].q)) * roots[j] for j in range(k)]
                   for i in range(n)]]
        pt = Point.of(problem, layers)
        if fresh(pt):
            yield (f"u = Q diag(l)^(1/2) with Q a rational orthogonal matrix (Cayley transform "
                   f"snapped at relative tolerance {delta:g})"), pt, None


def _tower_candidates(problem, x, rank_profile, fresh):
    """Each tower carries its snapped product canonically; the sum is the snapped ``R``."""
    from landscape_proofs.search.families import chain_product, chains

    if problem.weight_decay != 0 or not rank_profile:
        return
    towers = chains(problem)
    Ws = _layers(problem, x)
    ranks, start = [], 0
    for c in towers:   # each tower's profile: ranks of W_j...W_i, all equal, or no route
        prof = rank_profile[start:start + c.n_ranks]
        start += c.n_ranks
        if any(r != prof[0] for r in prof):
            return
        ranks.append(prof[0])
    products = [chain_product([Ws[i][None] for i in c.layers])[0] for c in towers]
    R = sum(products)
    rest = max((t for t, r in enumerate(ranks) if r > 0), default=len(towers) - 1)
    snapped = [(delta, _fmpq_mat(_snapped_matrix(R, delta)), "R snapped")
               for delta in PRODUCT_TOLERANCES]
    projected = [(delta, Rq, "R the least-squares product projected onto a snapped column space")
                 for delta, Rq in _projected_regression(problem, R, sum(ranks))]
    for delta, Rq, what in snapped + projected:
        for how, parts in (("split by rows of rref(R)", _rref_split(Rq, ranks)),
                           ("every tower's product snapped", None if what != "R snapped" else
                            _snapped_split(Rq, products, rest, delta))):
            if parts is None or any(M.rank() != r for M, r in zip(parts, ranks)):
                continue
            mats = []
            for c, M in zip(towers, parts):
                layers = factor_through(c.widths, M)
                if layers is None:
                    break
                mats.extend(layers)
            else:
                pt = Point.of(problem, mats)
                if fresh(pt):
                    yield (f"canonical factorization of the towers' products ({how}), {what} "
                           f"at relative tolerance {delta:g}"), pt, None


def _rref_split(R: flint.fmpq_mat, ranks) -> list | None:
    """``R = sum_i c_i f_i^T`` (``c_i`` the pivot columns of ``R``, ``f_i^T`` the nonzero rows of
    ``rref(R)``), the terms dealt out to the towers in order, ``ranks[t]`` to tower ``t``
    (docs/families.md, "The range of the sum").  None unless ``sum(ranks) = rank R``."""
    rref, r = R.rref()
    if sum(ranks) != r:
        return None
    m, n = R.nrows(), R.ncols()
    pivots = [next(j for j in range(n) if rref[i, j] != 0) for i in range(r)]
    parts, i = [], 0
    for rt in ranks:
        M = flint.fmpq_mat(m, n)
        for a in range(i, i + rt):
            for x in range(m):
                for y in range(n):
                    M[x, y] += R[x, pivots[a]] * rref[a, y]
        parts.append(M)
        i += rt
    return parts


def _snapped_split(R: flint.fmpq_mat, products, rest: int, delta: float) -> list:
    """Every tower's product snapped, except tower ``rest``, which takes ``R`` minus the others."""
    parts = [None if t == rest else _fmpq_mat(_snapped_matrix(Pt, delta))
             for t, Pt in enumerate(products)]
    last = R
    for M in parts:
        if M is not None:
            last = last - M
    parts[rest] = last
    return parts


def _enclosure_route(problem, x, budget: Budget, digits: int) -> Certification | None:
    """Refine the float point in mpmath and certify an interval enclosure of the critical
    point near it (``landscape_proofs.produce.refined``; the checker re-verifies the
    enclosure with interval arithmetic).  None when the modules are not available."""
    try:
        from landscape_proofs.produce.refined import classify_refined
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
    dist = None
    if not certified and "singular" in (r.reason or ""):
        for v, t in _along_critical_set(problem, x):
            moved = _point_from_vector(problem, [Fraction(float(u)) for u in x + t * v])
            try:
                r2 = classify_refined(problem, moved, digits=digits, budget=budget)
            except (UnsupportedError, NotDifferentiableError, ArithmeticError, ValueError):
                continue
            # only a global minimum carries over: every critical point near the limit point
            # with the global value is one; another kind may belong to the other stratum only
            if r2.certificate is not None and r2.kind is Kind.GLOBAL_MINIMUM:
                r, certified, dist = r2, True, float(t * np.max(np.abs(v)))
                route += (f", after a step of {dist:.2g} along the critical set (the limit "
                          "point's slice Hessian is singular: the critical set there is larger "
                          "than one orbit)")
                break
    point = _exact_point_of(problem, r) if r.snapped else None
    return Certification(certified, r.kind, r.value, r.certificate if certified else None, point,
                         route, dist, r.reason, value_enclosure=r.value_enclosure)


MOVE_MAX_PARAMETERS = 200      # a dense float Hessian for the step along the critical set
MOVE_STEP = 1e-3               # its length, relative to 1 + max |x|


def _along_critical_set(problem, x):
    """Directions ``v`` (unit, float) and a step ``t``: the float Hessian's null directions
    at ``x`` that are not along the symmetry orbit, i.e. tangent to a critical set larger than
    the orbit (one chain of layers, at most :data:`MOVE_MAX_PARAMETERS` parameters).  A step
    along one leaves the lower stratum where the enclosure's slice Hessian is singular; the
    moved point is refined and enclosed anew (floats only choose it)."""
    if problem.psd_product or problem.sum_of_towers or len(problem.shapes) < 2 \
            or x.size > MOVE_MAX_PARAMETERS or getattr(problem, "decay_entries", None):
        return []
    from landscape_proofs.numeric.refine import orbit_tangent_float
    from landscape_proofs.numeric.views import float64_objective

    obj = float64_objective(problem)
    Ws = [W[None] for W in _layers(problem, x)]
    with np.errstate(all="ignore"):
        Hm = obj.hessian(Ws)[0]
    if not np.all(np.isfinite(Hm)):
        return []
    lam, V = np.linalg.eigh((Hm + Hm.T) / 2)
    top = float(np.max(np.abs(lam))) if lam.size else 0.0
    null = V[:, np.abs(lam) <= 1e-7 * max(top, 1.0)]
    T = orbit_tangent_float(problem.chains()[0].widths, [W[0] for W in Ws],
                            problem.orthogonal_symmetry)
    if T.size:
        Q, sv, _ = np.linalg.svd(T, full_matrices=False)
        Q = Q[:, sv > 1e-9 * max(float(sv[0]), 1.0)] if sv.size else Q[:, :0]
        null = null - Q @ (Q.T @ null)
    if not null.size:
        return []
    U, sv, _ = np.linalg.svd(null, full_matrices=False)
    dirs = U[:, sv > 0.5]
    t = MOVE_STEP * (1.0 + float(np.max(np.abs(x))))
    out = []
    for k in range(min(dirs.shape[1], 2)):
        out += [(dirs[:, k], t), (dirs[:, k], -t)]
    return out


def _exact_point_of(problem, r):
    cert = r.certificate
    if not cert:
        return None
    try:
        from landscape_proofs.families.io import point_from_dict
        return point_from_dict(cert["point"], problem)
    except Exception:  # an enclosure point has no exact weights
        return None


def certify_limit_point(problem: Problem, x: np.ndarray, rank_profile: tuple[int, ...],
                        budget: Budget = Budget(), use_enclosures: bool = True,
                        cache: dict | None = None, digits: int = 40,
                        reuse_only: bool = False) -> Certification:
    """Certify what the float limit point ``x`` (flattened) is near.

    Rational routes first (exact classification of the first exactly critical candidate),
    then, with ``use_enclosures``, refinement to ``digits`` digits and a certified enclosure.
    ``rank_profile`` is the limit point's numerical ranks of partial products (see
    :mod:`.dedupe`); it gates the canonical-refactorization route.  ``cache`` (a dict the
    caller keeps) remembers classifications by exact point, so that limit points that snap
    to the same exact point are classified once; and an exactly critical candidate that lies
    on the orbit of a point classified before (:func:`.dedupe.orbit_map`: an explicit rational
    gauge map, checked exactly) takes that point's classification (``fresh`` is then False,
    ``orbit_proven`` True, and ``point`` is the classified point).  With ``reuse_only``,
    nothing new is classified: only such reuses are made, otherwise the point is reported
    *not certified* (the caller's budget of new classifications ran out).
    """
    from landscape_proofs.produce.classify import size_refusal

    too_large = size_refusal(problem)      # before any exact work: the kernel would refuse
    if too_large is not None:
        return Certification(False, None, None, None, None, "none", None, too_large)
    tried = []
    for route, pt, dist in _candidates(problem, np.asarray(x, dtype=float), rank_profile):
        check_deadline()        # search --timeout (DeadlineExceeded: the group is not classified)
        critical, detail = _exact_gradient_check(problem, pt)
        if critical is False:
            tried.append(f"{route}: {detail}")
            continue
        fresh_work = False
        if cache is not None and pt.weights in cache:
            c = cache[pt.weights]
        else:
            reused = _orbit_reuse(problem, pt, cache) if critical else None
            if reused is not None:
                pt0, c0 = reused
                return Certification(True, c0.kind, c0.value, c0.certificate.to_json(), pt0,
                                     f"{route}; on the orbit of an exact point classified "
                                     "before (explicit rational gauge map, checked exactly)",
                                     dist, c0.reason, fresh=False, orbit_proven=True)
            if reuse_only:
                tried.append(f"{route}: exactly critical, not classified (budget of new "
                             "classifications spent)")
                break
            c = classify(problem, pt, budget)
            fresh_work = True
            if cache is not None:
                cache[pt.weights] = c
                if c.certificate is not None and critical:
                    _orbit_index(problem, cache, pt, c)
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
                             reason, fresh=fresh_work)
    summary = "; ".join(tried[:2]) + ("; ..." if len(tried) > 2 else "")
    why = (f"no exact critical point among {len(tried)} rational candidates near the limit "
           f"point ({summary})")
    if reuse_only:
        return Certification(False, None, None, None, None, "none", None,
                             f"not classified: the budget of new classifications "
                             f"(max_groups_classified) was spent, and {why}", fresh=False)
    if use_enclosures:
        enc = _enclosure_route(problem, x, budget, digits)
        if enc is not None:
            if enc.certified and enc.kind is not Kind.NOT_CRITICAL:
                return enc
            # "not critical" here is about the float point read exactly (a loss that is not
            # a polynomial, e.g. l1, is classified as written): no critical point was found
            kind = None if enc.kind is Kind.NOT_CRITICAL else enc.kind
            return Certification(False, kind, None, None, None, enc.route, None,
                                 f"{why}; enclosure route: {enc.reason}")
    return Certification(False, None, None, None, None, "none", None,
                         f"{why}; an irrational critical point needs a certified enclosure")


_ORBITS = "orbit index"       # a key of the caller's cache that no exact point has


def _orbit_index(problem, cache: dict, pt, c) -> None:
    """Remember a certified exactly critical point under its exact invariants."""
    from landscape_proofs.search.dedupe import exact_invariants

    try:
        key = exact_invariants(problem, pt)
    except (UnsupportedError, NotDifferentiableError):
        return
    cache.setdefault(_ORBITS, {}).setdefault(key, []).append((pt, c))


def _orbit_reuse(problem, pt, cache):
    """(pt0, classification) of a certified point on the orbit of ``pt``, or None."""
    from landscape_proofs.search.dedupe import exact_invariants, orbit_map

    if cache is None or _ORBITS not in cache:
        return None
    try:
        key = exact_invariants(problem, pt)
    except (UnsupportedError, NotDifferentiableError):
        return None
    for pt0, c0 in cache[_ORBITS].get(key, ())[:8]:
        # U U^T is a complete invariant of the orbit U O(k) (dedupe's docstring): equal keys
        # are the proof there; elsewhere an explicit map is
        if problem.psd_product or orbit_map(problem, pt0, pt) is not None:
            return pt0, c0
    return None
