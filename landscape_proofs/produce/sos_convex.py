"""Producer: hints that decide convexity of a polynomial loss (SOS-convexity, negative curvature).

:func:`convexity_hints` is what :func:`landscape_proofs.losses.convexity.decide_convexity`
accepts as ``hints``; it returns guesses, and ``decide_convexity`` checks every one exactly.

* **SOS-convexity** (Helton and Nie 2010; Ahmadi and Parrilo 2013).  ``p`` is SOS-convex when
  ``q(x, y) = y^T H(x) y`` (``H`` the Hessian of ``p``) is a sum of squares in ``(x, y)``; then
  ``H(x)`` is PSD at every ``x``, so ``p`` is convex.  ``q`` is a quadratic form in ``y``, so
  every square is a square of a polynomial linear in ``y``: the Gram basis is made of monomials
  ``x^a y_i``, cut to half the Newton polytope of ``q``.  The SDP, the rounding to rationals and
  the exact projection onto the identity are those of :mod:`landscape_proofs.produce.sos`;
  when that fails because every Gram matrix is singular (no interior), :func:`face_certificate`
  guesses the rational face the float solution lies on and rounds inside it.
* **Negative curvature.**  When the SDP finds nothing (it is infeasible for every non-convex
  ``p``, and for the rare convex ones that are not SOS-convex), a float search minimises the
  smallest eigenvalue of ``H(x)``, scaled by ``(1 + |x|^2)^((d-2)/2)`` so that the search stays
  bounded, from a few seeded starts; minimisers with a negative value are rounded to nearby
  rationals of small denominators, which ``decide_convexity`` re-checks by exact inertia.

Without cvxpy the SDP is skipped (the answer for a convex loss stays undecided, never an
error); the float search needs only NumPy and SciPy.
"""
from __future__ import annotations

import itertools
import warnings
from fractions import Fraction
from math import comb

import flint

from landscape_proofs.core.linear import affine_solutions
from landscape_proofs.kernel.linalg import negative_direction, nullspace
from landscape_proofs.losses.convexity import hessian_form
from landscape_proofs.produce import sos

MAX_ENTRIES = 6          # entries (variables) the producer tries
MAX_DEGREE = 10          # of the loss
MAX_BASIS = sos.MAX_BASIS
MAX_CANDIDATES = 400    # monomials x^a y_i tested against the Newton polytope
STARTS = 12
DENOMINATORS = (1, 2, 10, 100, 1000, 10**4, 10**6)
MAX_POINTS = 40


def _monomials(k: int, hi: int):
    for d in range(hi + 1):
        for combo in itertools.combinations_with_replacement(range(k), d):
            e = [0] * k
            for i in combo:
                e[i] += 1
            yield e


def gram_basis(q, k: int) -> list:
    """Monomials ``x^a y_i`` (exponent tuples over ``2k`` variables) in half the Newton
    polytope of ``q = y^T H(x) y``."""
    support = [tuple(e) for e in q.monoms()]
    if not support:
        return []
    half = (q.total_degree() - 2) // 2
    if k * comb(k + half, half) > MAX_CANDIDATES:
        return []           # each candidate costs an LP; such a basis would be too large anyway
    out = []
    for a in _monomials(k, half):
        for i in range(k):
            m = tuple(a) + tuple(int(b == i) for b in range(k))
            if sos.in_half_newton_polytope(m, support):
                out.append(m)
    return out


def sos_convexity_certificate(terms, entries) -> dict | None:
    """``{"basis", "gram"}`` with ``y^T H(x) y = m^T Q m``, rounded and exactly PSD, or None."""
    k = len(entries)
    if not sos.available() or not 1 <= k <= MAX_ENTRIES:
        return None
    q = hessian_form(terms, entries)
    if q.is_zero() or q.total_degree() > MAX_DEGREE:
        return None
    basis = gram_basis(q, k)
    if not basis or len(basis) > MAX_BASIS:
        return None
    with warnings.catch_warnings():   # "solution may be inaccurate": the exact check decides
        warnings.simplefilter("ignore")
        return sos.gram_certificate(q, basis) or face_certificate(q, basis)


def _rational_rows(K, den: int):
    """A rational basis (as rows) of the row space of the float matrix ``K``: its reduced row
    echelon form computed in floats (partial pivoting), entries rounded to nearby rationals of
    denominator <= ``den``.  Right when that space has such a basis; a guess otherwise."""
    import numpy as np

    A = np.array(K, dtype=float)
    rows, cols = A.shape
    r = 0
    for c in range(cols):
        if r == rows:
            break
        p = r + int(np.argmax(np.abs(A[r:, c])))
        if abs(A[p, c]) < 1e-6:
            continue
        A[[r, p]] = A[[p, r]]
        A[r] /= A[r, c]
        for i in range(rows):
            if i != r:
                A[i] -= A[i, c] * A[r]
        r += 1
    out = []
    for row in A[:r]:
        fr = [Fraction(float(x)).limit_denominator(den) for x in row]
        out.append([flint.fmpq(f.numerator, f.denominator) for f in fr])
    return out


def _nullspace(rows, n: int):
    """An exact basis of {v : R v = 0} (columns), R given by rational rows."""
    return nullspace(flint.fmpq_mat(len(rows), n, [x for row in rows for x in row]))


def _solve_exact(A, rhs):
    """One exact solution of ``A z = rhs`` (free variables 0), or None if there is none."""
    sol = affine_solutions(A, rhs)
    return None if sol is None else sol[0]


def face_certificate(q, basis, max_rank: int = 24):
    """Like :func:`sos.gram_certificate`, for SDPs with no interior: ``Q = V G V^T`` where the
    columns of ``V`` span the (guessed, rational) range of the float Gram matrix, ``G`` is rounded
    and projected exactly onto the identity (an exact solution of the linear equations the
    identity imposes on ``G``), then tested PSD exactly.  Every Gram matrix of a sum of fourth
    powers of linear forms in several entries, for example, is singular beyond its zero
    diagonals, and entrywise rounding loses PSD there."""
    import numpy as np

    Qf = sos.float_gram(q, basis)
    if Qf is None:
        return None
    b = len(basis)
    w, U = np.linalg.eigh((Qf + Qf.T) / 2)
    small = w < 1e-5 * max(1.0, float(w[-1]))
    if not small.any():
        return None                       # full rank: entrywise rounding was the right tool
    ring = q.context()
    target = {tuple(e): c for e, c in zip(q.monoms(), q.coeffs())}
    mons = [ring.from_dict({tuple(a): 1}) for a in basis]
    for den in (10, 100, 1000):
        V_cols = _nullspace(_rational_rows(U[:, small].T, den), b)
        r = len(V_cols)
        if not 1 <= r <= max_rank:
            continue
        V = flint.fmpq_mat(b, r, [V_cols[k][i] for i in range(b) for k in range(r)])
        n = [sum((V[i, k] * mons[i] for i in range(b) if V[i, k] != 0), ring.from_dict({}))
             for k in range(r)]
        cells = [(k, l) for k in range(r) for l in range(k, r)]
        cols = [(n[k] * n[l]) * (1 if k == l else 2) for k, l in cells]
        keys = sorted(set(target) | {tuple(e) for c in cols for e in c.monoms()})
        row = {g: i for i, g in enumerate(keys)}
        A = flint.fmpq_mat(len(keys), len(cells))
        for j, c in enumerate(cols):
            for e, x in zip(c.monoms(), c.coeffs()):
                A[row[tuple(e)], j] = x
        Vf = np.array([[float(V[i, k]) for k in range(r)] for i in range(b)])
        Gf = np.linalg.pinv(Vf) @ Qf @ np.linalg.pinv(Vf).T
        for gden in sos.DENOMINATORS:
            g0 = [sos._q(Gf[k, l], gden) for k, l in cells]
            Ag = A * flint.fmpq_mat(len(cells), 1, g0)
            z = _solve_exact(A, [target.get(g, flint.fmpq(0)) - Ag[row[g], 0] for g in keys])
            if z is None:
                break                     # the guessed face does not carry the identity
            G = flint.fmpq_mat(r, r)
            for (k, l), x, dz in zip(cells, g0, z):
                G[k, l] = G[l, k] = x + dz
            if negative_direction(G) is None:
                Q = V * G * V.transpose()
                return {"basis": [sos._mono_json(a) for a in basis], "gram": sos._mat_json(Q)}
    return None


def _float_hessian(terms, entries):
    """x -> H(x) in float64 (each entry a polynomial: float coefficients, exponent rows)."""
    import numpy as np

    k = len(entries)
    q = hessian_form(terms, entries)
    # the coefficient of y_a y_b in q is H_ab (times 2 off the diagonal)
    parts = {}
    for e, c in zip(q.monoms(), q.coeffs()):
        ys = [i for i in range(k) for _ in range(e[k + i])]
        a, b = ys[0], ys[-1]
        w = float(c) / (1 if a == b else 2)
        parts.setdefault((a, b), []).append((w, e[:k]))
    table = {ab: (np.array([w for w, _ in v]), np.array([x for _, x in v], dtype=float))
             for ab, v in parts.items()}

    def H(x):
        M = np.zeros((k, k))
        for (a, b), (w, E) in table.items():
            M[a, b] = M[b, a] = float(w @ np.prod(np.power(x, E), axis=1))
        return M
    return H


def negative_curvature_points(terms, entries, seed: int = 0) -> list:
    """Rational points ``{(i, j): fmpq}`` near float minimisers of the scaled smallest Hessian
    eigenvalue where that is negative (guesses; the caller checks each exactly)."""
    try:
        import numpy as np
        from scipy.optimize import minimize
    except ImportError:
        return []
    k = len(entries)
    deg = max((sum(e for _i, _j, e in f) for c, f in terms if c != 0), default=0)
    if not 1 <= k <= MAX_ENTRIES or not 3 <= deg <= MAX_DEGREE:
        return []
    H = _float_hessian(terms, entries)

    def f(x):
        with np.errstate(all="ignore"):
            v = np.linalg.eigvalsh(H(x))[0] / (1 + x @ x) ** ((deg - 2) / 2)
        return v if np.isfinite(v) else 1e300

    rng = np.random.default_rng(seed)
    starts = [np.zeros(k)] + [rng.normal(size=k) * s for s in (0.5, 2.0) for _ in range(STARTS // 2)]
    found = []
    for x0 in starts:
        res = minimize(f, x0, method="Nelder-Mead",
                       options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 400 * k})
        if res.fun < 0:
            found.append((res.fun, res.x))
    found.sort(key=lambda t: t[0])
    out, seen = [], set()
    for _v, x in found:
        for den in DENOMINATORS:
            pt = tuple(Fraction(float(v)).limit_denominator(den) for v in x)
            if pt in seen:
                continue
            seen.add(pt)
            out.append({ij: flint.fmpq(v.numerator, v.denominator)
                        for ij, v in zip(entries, pt) if v})
            if len(out) >= MAX_POINTS:
                return out
    return out


def convexity_hints(terms, entries) -> dict | None:
    """An SOS-convexity certificate if the SDP finds one, else candidate witness points.

    A solver or float failure of any kind only means no hint: these are guesses, and the
    caller's exact checks are what decide."""
    try:
        cert = sos_convexity_certificate(terms, entries)
    except Exception:  # noqa: BLE001 (an SDP front end or solver failing is not an answer)
        cert = None
    if cert is not None:
        return cert
    try:
        pts = negative_curvature_points(terms, entries)
    except Exception:  # noqa: BLE001 (likewise for the float search)
        pts = []
    return {"points": pts} if pts else None
