"""Exact convexity decisions for polynomial custom losses.

The input is the term list of :meth:`CustomLoss._polynomial_terms`:
``[(coeff fmpq, ((i, j, exponent), ...)), ...]``.  The loss depends only on the entries it
mentions, so it is convex on m x n matrices iff it is convex as a polynomial in those
entries.  :func:`decide_convexity` answers ``True`` (proven convex), ``False`` (proven not
convex, with an exact rational witness point where the Hessian has a negative eigenvalue)
or ``None`` (not decided):

* total degree <= 2: the Hessian is constant; convex iff it is positive semidefinite
  (exact inertia);
* one entry mentioned: convex iff ``l''`` is >= 0 on R.  ``l''`` has constant sign between
  consecutive distinct real roots, so checking one rational point in each gap between the
  isolating intervals (exact Sturm isolation, :mod:`landscape_proofs.kernel.algebraic`)
  decides it, and a negative value there is the witness;
* a quadratic part with a PSD (constant) Hessian plus positive multiples of even powers of
  single entries: a sum of convex functions (the kernel's own rule, ``Custom.convex_proven``);
* several entries, degree >= 3: a bounded deterministic search for a witness: the exact
  Hessian at small rational points (the origin, points on the coordinate axes, a small grid)
  and the exact univariate decision along lines through the origin (``t -> l(t v)``, whose
  second derivative is ``v^T H(t v) v``).  An odd total degree >= 3 is never convex (along a
  line where the top-degree part is nonzero, ``l''`` has odd degree); otherwise nothing
  found means ``None``.
* then, if the caller hands in a ``hints`` function (a producer: ``produce/sos_convex.py``
  finds them with a semidefinite program and a float search), the two kinds of hint it may
  return are checked *exactly* here:

  - a Gram certificate of **SOS-convexity**: with ``H(x)`` the Hessian and new variables
    ``y``, the identity ``y^T H(x) y = m(x, y)^T Q m(x, y)`` with ``Q`` rational positive
    semidefinite (expanded and checked by the kernel's own Gram reader,
    :func:`landscape_proofs.kernel.sos._gram`: symmetry, exact LDL^T) makes ``y^T H(x) y``
    a sum of squares, so ``H(x)`` is PSD at every ``x``: convex (``True``).  A hint that fails
    any test proves nothing and the answer stays ``None``;
  - rational points where the exact Hessian may have a negative eigenvalue (suggested near the
    float minimiser of the smallest eigenvalue): each is re-checked by exact inertia, and one
    that passes is a witness (``False``).

>>> from flint import fmpq
>>> d = decide_convexity([(fmpq(1), ((0, 0, 2),)), (fmpq(-1, 100), ((0, 0, 4),))])
>>> d.convex, d.detail
(False, 'proven not convex: the Hessian at r_0_0 = 5 has a negative eigenvalue (d^2 l/dr_0_0^2 = -1)')
>>> decide_convexity([(fmpq(1), ((0, 0, 4),))]).convex
True
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

import flint

from landscape_proofs.kernel.algebraic import isolate_real_roots
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.gram import GramRejected, polynomial_ring
from landscape_proofs.kernel.sos import _gram
from landscape_proofs.kernel.linalg import inertia, negative_direction

Q = flint.fmpq
Poly = flint.fmpq_poly

MAX_TERMS = 200          # larger polynomials are not searched (None unless degree <= 2 / univariate)
MAX_ENTRIES = 16         # likewise for more entries
MAX_POINTS = 400         # Hessians evaluated in the multivariate search
MAX_LINES = 200          # lines through the origin decided exactly
_NICE = (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 10, -10, Q(1, 2), Q(-1, 2), 20, -20, 100, -100)
_AXIS = (1, -1, 2, -2, Q(1, 2), Q(-1, 2), 3, -3, 5, -5, 10, -10)


@dataclass(frozen=True)
class ConvexityDecision:
    """``convex``: True / False (proven) or None; ``witness``: {(i, j): fmpq} for False
    (unmentioned entries arbitrary), where the exact Hessian has a negative eigenvalue;
    ``constant_hessian``: decided by the degree <= 2 rule (a constant Hessian)."""

    convex: bool | None
    detail: str
    witness: dict | None = field(default=None, compare=False)
    constant_hessian: bool = False


def _name(prefix: str, ij) -> str:
    return f"{prefix}_{ij[0]}_{ij[1]}"


def _degree(terms) -> int:
    return max((sum(e for _i, _j, e in f) for c, f in terms if c != 0), default=0)


def hessian_at(terms, entries, point) -> flint.fmpq_mat:
    """The exact Hessian of the polynomial in the variables ``entries`` at ``point``
    ({(i, j): value}, missing entries 0)."""
    k = len(entries)
    index = {ij: a for a, ij in enumerate(entries)}
    H = flint.fmpq_mat(k, k)
    for c, factors in terms:
        for a, (i, j, e) in enumerate(factors):
            for b, (i2, j2, e2) in enumerate(factors):
                if a == b:
                    if e < 2:
                        continue
                    term = c * e * (e - 1) * Q(point.get((i, j), 0)) ** (e - 2)
                else:
                    term = (c * e * e2 * Q(point.get((i, j), 0)) ** (e - 1)
                            * Q(point.get((i2, j2), 0)) ** (e2 - 1))
                if term == 0:
                    continue
                for g, (i3, j3, e3) in enumerate(factors):
                    if g != a and g != b:
                        term *= Q(point.get((i3, j3), 0)) ** e3
                H[index[(i, j)], index[(i2, j2)]] += term
    return H


def _along_line(terms, entries, v) -> Poly:
    """t -> l(t v) as a polynomial in t (v indexed like ``entries``)."""
    val = dict(zip(entries, v))
    coeffs: dict[int, flint.fmpq] = {}
    for c, factors in terms:
        x = Q(c)
        deg = 0
        for i, j, e in factors:
            x *= Q(val[(i, j)]) ** e
            deg += e
        if x != 0:
            coeffs[deg] = coeffs.get(deg, Q(0)) + x
    top = max(coeffs, default=0)
    return Poly([coeffs.get(d, Q(0)) for d in range(top + 1)])


def negative_point(q: Poly):
    """A rational t with q(t) < 0, or None when q >= 0 on all of R (exact).

    Small "nice" points are tried first; then one point in each gap between the isolated
    distinct real roots of q (q has constant sign on each gap).
    """
    if q == 0:
        return None
    for t in _NICE:
        if q(Q(t)) < 0:
            return Q(t)
    if q.degree() < 1:
        return None
    sqf = q / q.gcd(q.derivative())
    roots = isolate_real_roots(sqf)
    # refine until the closed intervals are pairwise disjoint
    while any(r2.lo <= r1.hi for r1, r2 in zip(roots, roots[1:])):
        for r1, r2 in zip(roots, roots[1:]):
            if r2.lo <= r1.hi:
                r1.bisect()
                r2.bisect()
        roots.sort(key=lambda r: r.lo)
    if not roots:
        tests = [Q(0)]
    else:
        tests = [roots[0].lo - 1, roots[-1].hi + 1]
        tests += [(r1.hi + r2.lo) / 2 for r1, r2 in zip(roots, roots[1:])]
    for t in tests:
        if q(t) < 0:
            return t
    return None


def _point_text(prefix, entries, point) -> str:
    return ", ".join(f"{_name(prefix, ij)} = {point.get(ij, Q(0))}" for ij in entries)


def _witness(terms, entries, prefix, point, how: str = "") -> ConvexityDecision:
    H = hessian_at(terms, entries, point)
    neg = inertia(H).negative
    if neg == 0:  # cannot happen: every caller found negative curvature there
        raise ArithmeticError("a convexity witness without a negative Hessian eigenvalue")
    what = "a negative eigenvalue" if neg == 1 else f"{neg} negative eigenvalues"
    extra = f" ({how})" if how else ""
    return ConvexityDecision(False, f"proven not convex: the Hessian at "
                             f"{_point_text(prefix, entries, point)} has {what}{extra}",
                             {ij: Q(point.get(ij, 0)) for ij in entries})


def _grid_points(entries):
    k = len(entries)
    yield {}
    for ij in entries:
        for s in _AXIS:
            yield {ij: Q(s)}
    if 3 ** k <= 243:
        for vals in itertools.product((0, 1, -1), repeat=k):
            yield {ij: Q(v) for ij, v in zip(entries, vals) if v}
    for a, b in itertools.combinations(entries, 2):
        for s, t in itertools.product((1, -1, 2, -2), repeat=2):
            yield {a: Q(s), b: Q(t)}


def _directions(entries):
    k = len(entries)
    for a in range(k):
        yield tuple(int(a == b) for b in range(k))
    if 3 ** k <= 243:
        for vals in itertools.product((0, 1, -1), repeat=k):
            if any(vals) and next(v for v in vals if v) > 0:
                yield vals
    for a, b in itertools.combinations(range(k), 2):
        for s, t in ((1, 1), (1, -1), (1, 2), (2, 1), (1, -2), (2, -1)):
            v = [0] * k
            v[a], v[b] = s, t
            yield tuple(v)


def hessian_form(terms, entries):
    """``y^T H(x) y`` as an ``fmpq_mpoly`` in the kernel's ring of ``2k`` variables: ``x_a``
    (index ``a``) is entry ``entries[a]``, ``y_a`` is index ``k + a``."""
    k = len(entries)
    index = {ij: a for a, ij in enumerate(entries)}
    ring = polynomial_ring(2 * k)
    table: dict = {}
    for c, factors in terms:
        e = [0] * (2 * k)
        for i, j, ex in factors:
            e[index[(i, j)]] += ex
        table[tuple(e)] = table.get(tuple(e), Q(0)) + Q(c)
    p = ring.from_dict({e: c for e, c in table.items() if c != 0})
    gens = ring.gens()
    q = ring.from_dict({})
    for a in range(k):
        da = p.derivative(a)
        q += gens[k + a] ** 2 * da.derivative(a)
        for b in range(a + 1, k):
            q += 2 * gens[k + a] * gens[k + b] * da.derivative(b)
    return q


def check_sos_convexity(terms, entries, certificate) -> str:
    """Verify ``y^T H(x) y = m^T Q m`` exactly (``certificate``: ``{"basis": [monomials as
    [[index, exponent], ...]], "gram": rational matrix}``, indices as in :func:`hessian_form`).
    Returns the reason; raises :class:`GramRejected`.  The expansion of the right side and the
    PSD test (exact LDL^T) are the kernel's own (:func:`landscape_proofs.kernel.sos._gram`)."""
    if not isinstance(certificate, dict):
        raise GramRejected("an SOS-convexity certificate must be an object {basis, gram}")
    k = len(entries)
    q = hessian_form(terms, entries)
    try:
        rhs, b = _gram(polynomial_ring(2 * k), 2 * k, certificate.get("gram"),
                       certificate.get("basis"), "sos-convexity")
    except InputError as exc:   # a malformed number
        raise GramRejected(str(exc)) from None
    residual = q - rhs
    if not residual.is_zero():
        raise GramRejected(f"the identity y^T H(x) y = m^T Q m fails: the difference has "
                           f"{len(residual)} nonzero terms")
    return (f"SOS-convex: y^T H(x) y = m(x, y)^T Q m(x, y) with a rational positive semidefinite "
            f"{b} x {b} Gram matrix (identity expanded and Q checked by exact LDL^T), so the "
            f"Hessian is positive semidefinite everywhere")


def decide_convexity(terms, prefix: str = "r", hints=None) -> ConvexityDecision:
    """Decide convexity of the polynomial ``terms`` in the entries it mentions (see module).

    ``hints``: optional ``hints(terms, entries) -> dict | None`` from a producer (for example
    :func:`landscape_proofs.produce.sos_convex.convexity_hints`), asked only when the bounded
    exact search decides nothing; its ``"basis"``/``"gram"`` (an SOS-convexity certificate)
    and ``"points"`` (candidate witnesses ``{(i, j): fmpq}``) are checked exactly here.
    """
    key = tuple((int(c.p), int(c.q), tuple(f)) for c, f in terms)
    return _decide(key, prefix, hints)


def _from_hints(terms, entries, prefix, hints) -> ConvexityDecision | None:
    hint = hints(terms, entries)
    if not isinstance(hint, dict):
        return None
    if "gram" in hint:
        try:
            why = check_sos_convexity(terms, entries, hint)
        except GramRejected:
            pass               # a hint that fails proves nothing
        else:
            return ConvexityDecision(True, f"proven convex ({why})")
    points = hint.get("points")
    for pt in points if isinstance(points, list) else ():
        try:
            pt = {ij: Q(v) for ij, v in pt.items() if ij in entries}
        except (AttributeError, TypeError, ValueError):
            continue           # not a point of exact rationals
        if inertia(hessian_at(terms, entries, pt)).negative:
            return _witness(terms, entries, prefix, pt,
                            "near the float minimiser of the smallest Hessian eigenvalue, "
                            "rounded and checked exactly")
    return None


@lru_cache(maxsize=256)
def _decide(key, prefix, hints=None) -> ConvexityDecision:
    terms = [(Q(p, q), f) for p, q, f in key if p != 0]
    entries = sorted({(i, j) for _, f in terms for i, j, _ in f})
    deg = _degree(terms)
    k = len(entries)
    if deg <= 1:
        return ConvexityDecision(True, "l is affine (degree <= 1)", constant_hessian=True)
    if deg == 2:
        H = hessian_at(terms, entries, {})
        if inertia(H).negative == 0:
            return ConvexityDecision(True, "l is a polynomial of degree 2 with a positive "
                                     "semidefinite (constant) Hessian", constant_hessian=True)
        v = negative_direction(H)
        return _witness(terms, entries, prefix, {},
                        "constant Hessian, degree 2" + (f"; v^T H v < 0 for v = ({', '.join(map(str, v))})"
                                                        if v is not None else ""))
    if k == 1:
        (ij,) = entries
        p = _along_line(terms, entries, (1,))
        d2 = p.derivative().derivative()
        t = negative_point(d2)
        if t is None:
            return ConvexityDecision(True, f"l is a polynomial in {_name(prefix, ij)} alone whose "
                                     f"second derivative {d2} is >= 0 on R (exact root isolation)")
        return _witness(terms, entries, prefix, {ij: t},
                        f"d^2 l/d{_name(prefix, ij)}^2 = {d2(t)}")
    if all(c > 0 and len(f) == 1 and f[0][2] % 2 == 0 for c, f in terms if sum(e for *_, e in f) > 2) \
            and inertia(hessian_at(terms, entries, {})).negative == 0:
        # the kernel's rule (kernel/losses.py, Custom.convex_proven): a sum of convex terms
        return ConvexityDecision(True, "l is a quadratic part with a positive semidefinite "
                                 "Hessian plus positive multiples of even powers of single entries "
                                 "(a sum of convex functions)")
    if len(terms) > MAX_TERMS or k > MAX_ENTRIES:
        return ConvexityDecision(None, f"not decided: a polynomial of degree {deg} in {k} entries "
                                 f"with {len(terms)} terms is beyond the bounded witness search")
    n_points = 0
    seen = set()
    for pt in _grid_points(entries):
        frozen = tuple(sorted(pt.items()))
        if frozen in seen:
            continue
        seen.add(frozen)
        n_points += 1
        if n_points > MAX_POINTS:
            break
        if inertia(hessian_at(terms, entries, pt)).negative:
            return _witness(terms, entries, prefix, pt)
    n_lines = 0
    for v in _directions(entries):
        n_lines += 1
        if n_lines > MAX_LINES:
            break
        g = _along_line(terms, entries, v)
        t = negative_point(g.derivative().derivative())
        if t is not None:
            pt = {ij: t * vi for ij, vi in zip(entries, v) if vi}
            vs = ", ".join(str(x) for x in v)
            return _witness(terms, entries, prefix, pt,
                            f"curvature {g.derivative().derivative()(t)} along the direction ({vs})")
    if deg % 2 == 1:
        return ConvexityDecision(False, f"proven not convex: of odd total degree {deg} >= 3 (along a "
                                 "line where the top-degree part is nonzero, l'' has odd degree and "
                                 "takes negative values)")
    if hints is not None:
        decided = _from_hints(terms, entries, prefix, hints)
        if decided is not None:
            return decided
    return ConvexityDecision(None, f"not decided: degree {deg} in {k} entries; no negative Hessian "
                             f"eigenvalue at {min(n_points, MAX_POINTS)} sample points nor negative "
                             f"curvature along {min(n_lines, MAX_LINES)} lines through the origin"
                             + ("" if hints is None else "; no exactly verified SOS-convexity "
                                "certificate or witness from the SDP and float search"))
