"""Producer: sum-of-squares certificates, found by a semidefinite program, made exact by rounding.

The kernel (``kernel/sos.py``) checks, exactly,

    (1 + |x|^2)^k * s * (L(x) - L(x0)) = m^T Q m  [+ (rho^2 - |x - x0|^2) n^T P n]

with ``Q`` (and ``P``) rational and positive semidefinite.  This module only *guesses* ``Q``
and ``P``: a float SDP (cvxpy with Clarabel, SCS as a fallback) finds a Gram matrix as far
inside the PSD cone as it can; then, for a few rounding precisions,

1. ``P`` is rounded through a factor: ``P = V V^T`` with ``V`` the rounded float factor, so
   ``P`` is PSD by construction;
2. ``Q`` is rounded entrywise and projected *exactly* onto the affine space of matrices that
   satisfy the identity (Peyrl and Parrilo, 2008): the identity fixes, for each monomial
   ``x^g``, the sum of the entries ``Q_ij`` with ``m_i m_j = x^g``; the orthogonal projection
   spreads each monomial's defect evenly over those entries;
3. ``Q`` is tested for PSD exactly (symmetric elimination over Q).

If the float solution had a margin inside the cone, a fine enough rounding keeps it there.
A float never becomes a claim: the kernel re-checks the identity and the PSD tests.

The monomial basis for the global case is cut to the half Newton polytope (monomials ``a`` with
``2a`` in the convex hull of the support of the left side), which both shrinks the SDP and
removes monomials whose diagonal entries would be forced to 0 (no interior, no rounding).
"""
from __future__ import annotations

import itertools
import warnings
from fractions import Fraction

import flint

from landscape_proofs.kernel.linalg import negative_direction
from landscape_proofs.kernel.numbers import format_exact

MAX_PARAMETERS = 6       # the producer's size threshold (the kernel's limits are larger)
MAX_DEGREE = 12          # of the left side
MAX_BASIS = 60
DENOMINATORS = (10**3, 10**5, 10**7, 10**9)


def available() -> bool:
    """Whether cvxpy (the SDP front end) can be imported."""
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        return False
    return True


def objective_polynomial(obj, shift=None):
    """L(shift + y) as an ``fmpq_mpoly`` in y (the core objective evaluated on the generators)."""
    N = obj.n_params
    ring = flint.fmpq_mpoly_ctx.get(("x", N), "lex")
    shift = shift or [0] * N
    gens, p, entries = ring.gens(), 0, []
    for r, c in obj.shapes:
        entries.append([[gens[p + i * c + j] + shift[p + i * c + j] for j in range(c)]
                        for i in range(r)])
        p += r * c
    return obj.value_on(entries), ring


def _monomials(n: int, lo: int, hi: int):
    for d in range(lo, hi + 1):
        for combo in itertools.combinations_with_replacement(range(n), d):
            e = [0] * n
            for i in combo:
                e[i] += 1
            yield tuple(e)


def _in_hull(point, vertices) -> bool:
    """2a in conv(support): a small LP feasibility problem (scipy, a guess only)."""
    import numpy as np
    from scipy.optimize import linprog

    V = np.array(vertices, dtype=float).T
    A = np.vstack([V, np.ones(V.shape[1])])
    b = np.array(list(point) + [1.0])
    res = linprog(np.zeros(V.shape[1]), A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    return bool(res.success)


def newton_basis(p: dict, n: int) -> list:
    """Monomials a with 2a in the Newton polytope of p (p's terms: exponent tuple -> coeff)."""
    supp = [e for e, c in p.items() if c != 0]
    if not supp:
        return []
    degs = [sum(e) for e in supp]
    if max(degs) % 2 or min(degs) % 2:
        return []
    out = [a for a in _monomials(n, min(degs) // 2, max(degs) // 2)
           if all(min(e[i] for e in supp) <= 2 * a[i] <= max(e[i] for e in supp) for i in range(n))
           and _in_hull([2 * x for x in a], supp)]
    return out


def _solve(p: dict, basis: list, ball=None):
    """Float Gram matrices (Q, P or None) for p = m^T Q m [+ g n^T P n], or None."""
    import cvxpy as cp
    import numpy as np

    b0 = len(basis)
    Q = cp.Variable((b0, b0), symmetric=True)
    t = cp.Variable()
    terms: dict = {}

    def add(g, expr):
        terms.setdefault(g, []).append(expr)

    for i in range(b0):
        for j in range(b0):
            add(tuple(x + y for x, y in zip(basis[i], basis[j])), Q[i, j])
    cons = [Q - t * np.eye(b0) >> 0]
    P = None
    if ball is not None:
        g_terms, nbasis = ball
        b1 = len(nbasis)
        P = cp.Variable((b1, b1), symmetric=True)
        cons.append(P - t * np.eye(b1) >> 0)
        for gexp, gc in g_terms.items():
            for i in range(b1):
                for j in range(b1):
                    add(tuple(x + y + z for x, y, z in zip(gexp, nbasis[i], nbasis[j])),
                        float(gc) * P[i, j])
    for g in set(terms) | set(p):
        if g not in terms:
            return None               # a monomial of p that no product of the basis reaches
        cons.append(cp.sum(cp.hstack(terms[g])) == float(p.get(g, 0)))
    prob = cp.Problem(cp.Maximize(t), cons + [t <= 1])
    for solver in ("CLARABEL", "SCS"):
        try:
            with warnings.catch_warnings():   # "may be inaccurate": a guess the kernel checks
                warnings.simplefilter("ignore")
                prob.solve(solver=solver)
        except (cp.error.SolverError, ValueError, ArithmeticError):
            continue
        if prob.status in ("optimal", "optimal_inaccurate") and t.value is not None \
                and t.value > -1e-7:
            Qv, Pv = Q.value, (None if P is None else P.value)
            if Qv is None or not np.all(np.isfinite(Qv)) or (P is not None and (
                    Pv is None or not np.all(np.isfinite(Pv)))):
                continue
            return Qv, Pv, float(t.value)
    return None


def _q(x: float, den: int):
    f = Fraction(round(float(x) * den), den)
    return flint.fmpq(f.numerator, f.denominator)


def _project(Qf, basis, target: dict, den: int):
    """Round Q, then project it exactly onto {Q : sum_{m_i m_j = x^g} Q_ij = target_g}."""
    b = len(basis)
    Q = [[_q((Qf[i][j] + Qf[j][i]) / 2, den) for j in range(b)] for i in range(b)]
    classes: dict = {}
    for i in range(b):
        for j in range(b):
            classes.setdefault(tuple(x + y for x, y in zip(basis[i], basis[j])), []).append((i, j))
    if any(g not in classes for g, c in target.items() if c != 0):
        return None
    for g, cells in classes.items():
        defect = (target.get(g, flint.fmpq(0)) - sum((Q[i][j] for i, j in cells), flint.fmpq(0)))
        if defect != 0:
            d = defect / len(cells)
            for i, j in cells:
                Q[i][j] += d
    return flint.fmpq_mat(b, b, [x for row in Q for x in row])


def _factor_round(Pf, den: int):
    """P = V V^T with V the rounded factor of the float P (eigenvalues clipped at 0)."""
    import numpy as np

    w, U = np.linalg.eigh((Pf + Pf.T) / 2)
    F = U * np.sqrt(np.clip(w, 0, None))
    V = flint.fmpq_mat(F.shape[0], F.shape[1], [_q(x, den) for x in F.ravel()])
    return V * V.transpose()


def _mono_json(a) -> list:
    return [[i, e] for i, e in enumerate(a) if e]


def _mat_json(M) -> list:
    return [[format_exact(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]


def _dict_of(poly) -> dict:
    return {tuple(e): c for e, c in zip(poly.monoms(), poly.coeffs())}


def sos_evidence(obj, W, value, *, sign: int = 1, local: bool = False,
                 degrees=(0, 1, 2), radii=(1, Fraction(1, 100))):
    """Evidence ``sos-lower-bound`` (global, s = +1) or ``sos-local`` whose identity and PSD
    tests hold exactly (the kernel re-checks them), or None when none was found."""
    if not available():
        return None
    N = obj.n_params
    if N > MAX_PARAMETERS or N == 0:
        return None
    x0 = obj.flatten(W)
    L, ring = objective_polynomial(obj, x0 if local else None)
    y = ring.gens()
    base = (L - value) * sign
    if base.is_zero():
        return None
    for k in degrees:
        lhs = (1 + sum(g * g for g in y)) ** k * base
        if lhs.total_degree() > MAX_DEGREE:
            break
        p = _dict_of(lhs)
        found = _attempt(p, newton_basis(p, N), None, ring, lhs)
        if found is not None:
            ev = {"type": "sos-local" if local else "sos-lower-bound", "multiplier_degree": k}
            ev.update(found)
            return ev
        if not local:
            continue
        # on a ball around the point: monomials of y from half the lowest order of the left
        # side (lower ones would have to cancel) to half its degree; at the lowest order only
        # those in half the Newton polytope of the lowest homogeneous part
        low = min(sum(e) for e in p)
        if low % 2:
            continue
        half, q = (lhs.total_degree() + 1) // 2, low // 2
        first = {e: c for e, c in p.items() if sum(e) == low}
        start = [a for a in newton_basis(first, N) if sum(a) == q]
        basis = start + list(_monomials(N, q + 1, half))
        nbasis = start + list(_monomials(N, q + 1, half - 1))
        if len(basis) > MAX_BASIS:
            continue
        lines = None
        for r2 in radii:
            r2 = flint.fmpq(Fraction(r2).numerator, Fraction(r2).denominator)
            ball = (r2 - sum(g * g for g in y), nbasis)
            found = _attempt(p, basis, ball, ring, lhs)
            if found is None:      # a line of zeros through the point: restrict to its face
                lines = _zero_lines(lhs, N) if lines is None else lines
                found = _face_attempt(p, basis, ball, ring, lhs, lines) if lines else None
            if found is not None:
                ev = {"type": "sos-local", "multiplier_degree": k}
                ev.update(found)
                if "ball" in ev:
                    ev["ball"]["radius_squared"] = format_exact(r2)
                return ev
    return None


def _zero_lines(lhs, N: int) -> list:
    """Directions ``v`` (rational, from the kernel of the quadratic part of ``lhs`` at 0) along
    which ``lhs(t v)`` is identically 0: a line of zeros through the point (a flat valley that
    is no symmetry orbit).  A sum of squares ``m^T Q m`` that vanishes there has ``Q m(t v) =
    0`` for every t, so Q is singular and the SDP has no interior: :func:`_face_attempt`."""
    from landscape_proofs.kernel.linalg import nullspace

    H = flint.fmpq_mat(N, N)
    for e, c in _dict_of(lhs).items():
        if sum(e) == 2:
            idx = [i for i, k in enumerate(e) for _ in range(k)]
            i, j = idx
            H[i, j] += c if i == j else c / 2
            if i != j:
                H[j, i] += c / 2
    ctx1 = flint.fmpq_mpoly_ctx.get(("t",), "lex")
    t = ctx1.gens()[0]
    return [v for v in nullspace(H) if lhs.compose(*[t * x for x in v]).is_zero()]


def _face_basis(basis: list, lines: list) -> flint.fmpq_mat:
    """Columns spanning the vectors orthogonal to every ``m(t v)`` coefficient vector (one per
    power of t, per line): the face of Gram matrices that vanish on the lines."""
    from landscape_proofs.kernel.linalg import nullspace

    K = []
    for v in lines:
        by_degree = {}
        for i, a in enumerate(basis):
            c = flint.fmpq(1)
            for x, k in zip(v, a):
                c *= x ** k
            if c != 0:
                by_degree.setdefault(sum(a), [flint.fmpq(0)] * len(basis))[i] = c
        K += list(by_degree.values())
    if not K:
        return None
    ns = nullspace(flint.fmpq_mat(len(K), len(basis), [x for row in K for x in row]))
    return flint.fmpq_mat(len(basis), len(ns), [v[i] for i in range(len(basis)) for v in ns]) if ns else None


def _face_attempt(p, basis, ball, ring, lhs, lines):
    """:func:`_attempt` on the face ``Q = N Q' N^T``, ``P = M P' M^T`` of Gram matrices that
    vanish on the lines of zeros (:func:`_zero_lines`), where the SDP has an interior: ``P'``
    is rounded through a factor (PSD by construction), ``Q'`` rounded and projected exactly
    onto the identity's affine space in its own coordinates (a least-norm rational solve), and
    kept only if exactly PSD.  The kernel re-checks the monomial Gram matrices it yields."""
    import cvxpy as cp
    import numpy as np

    N = _face_basis(basis, lines)
    M = _face_basis(ball[1], lines)
    if N is None or M is None or len(basis) > MAX_BASIS:
        return None
    fl = lambda A: np.array([[float(A[i, j]) for j in range(A.ncols())] for i in range(A.nrows())])  # noqa: E731
    Nf, Mf, nb = fl(N), fl(M), ball[1]
    q, r = N.ncols(), M.ncols()
    Qp, Pp, t = cp.Variable((q, q), symmetric=True), cp.Variable((r, r), symmetric=True), cp.Variable()
    Q, P = Nf @ Qp @ Nf.T, Mf @ Pp @ Mf.T
    terms: dict = {}
    for i in range(len(basis)):
        for j in range(len(basis)):
            terms.setdefault(tuple(x + y for x, y in zip(basis[i], basis[j])), []).append(Q[i, j])
    for g, c in _dict_of(ball[0]).items():
        for i in range(len(nb)):
            for j in range(len(nb)):
                terms.setdefault(tuple(a + b + d for a, b, d in zip(g, nb[i], nb[j])), []).append(
                    float(c) * P[i, j])
    if any(g not in terms for g in p):
        return None
    cons = [Qp - t * np.eye(q) >> 0, Pp - t * np.eye(r) >> 0, t <= 1]
    cons += [cp.sum(cp.hstack(terms[g])) == float(p.get(g, 0)) for g in terms]
    prob = cp.Problem(cp.Maximize(t), cons)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            prob.solve(solver="CLARABEL")
    except (cp.error.SolverError, ValueError, ArithmeticError):
        return None
    if prob.status not in ("optimal", "optimal_inaccurate") or t.value is None or t.value <= 1e-7:
        return None
    cells = [(i, j) for i in range(q) for j in range(i, q)]
    for den in DENOMINATORS:
        P1 = M * _factor_round(Pp.value, den) * M.transpose()
        sig = ring.from_dict({})
        for i in range(len(nb)):
            for j in range(len(nb)):
                if P1[i, j] != 0:
                    sig += ring.from_dict({tuple(a + b for a, b in zip(nb[i], nb[j])): P1[i, j]})
        target = _dict_of(lhs - ball[0] * sig)
        # class sums of N Q' N^T as a linear map of Q'`s upper triangle (cells), exactly
        classes = {}
        for i in range(len(basis)):
            for j in range(len(basis)):
                classes.setdefault(tuple(x + y for x, y in zip(basis[i], basis[j])), []).append((i, j))
        if any(g not in classes for g, c in target.items() if c != 0):
            continue
        keys = list(classes)
        A = flint.fmpq_mat(len(keys), len(cells))
        for row, g in enumerate(keys):
            for i, j in classes[g]:
                for col, (a, b) in enumerate(cells):
                    w = N[i, a] * N[j, b] + (N[i, b] * N[j, a] if a != b else 0)
                    if w != 0:
                        A[row, col] += w
        z0 = flint.fmpq_mat(len(cells), 1, [_q((Qp.value[a][b] + Qp.value[b][a]) / 2, den) for a, b in cells])
        rhs = flint.fmpq_mat(len(keys), 1, [target.get(g, flint.fmpq(0)) for g in keys]) - A * z0
        rref, rk = A.transpose().rref()      # independent rows of A: the pivots of A^T
        piv = [next(j for j in range(A.nrows()) if rref[i, j] != 0) for i in range(rk)]
        Ar = flint.fmpq_mat(rk, len(cells), [A[i, j] for i in piv for j in range(len(cells))])
        br = flint.fmpq_mat(rk, 1, [rhs[i, 0] for i in piv])
        try:
            z = z0 + Ar.transpose() * (Ar * Ar.transpose()).solve(br)
        except ZeroDivisionError:
            continue
        if A * z != flint.fmpq_mat(len(keys), 1, [target.get(g, flint.fmpq(0)) for g in keys]):
            continue                  # the rows left out were not implied: inconsistent
        Q1 = flint.fmpq_mat(q, q)
        for (a, b), x in zip(cells, [z[k, 0] for k in range(len(cells))]):
            Q1[a, b] = Q1[b, a] = x
        if negative_direction(Q1) is not None:
            continue
        Qm = N * Q1 * N.transpose()
        return {"basis": [_mono_json(a) for a in basis], "gram": _mat_json(Qm),
                "ball": {"basis": [_mono_json(a) for a in nb], "gram": _mat_json(P1)}}
    return None


def _attempt(p, basis, ball, ring, lhs):
    if not basis or len(basis) > MAX_BASIS:
        return None
    g = None if ball is None else _dict_of(ball[0])
    for _ in range(6):   # facial reduction: a zero diagonal entry of a PSD matrix means its
        sol = _solve(p, basis, None if ball is None else (g, ball[1]))   # monomial is unused
        if sol is None:
            return None
        Qf, Pf, t = sol
        if t > 1e-6:
            break
        keep = [i for i in range(len(basis)) if Qf[i][i] > 1e-6]
        nkeep = [] if ball is None else [i for i in range(len(ball[1])) if Pf[i][i] > 1e-6]
        if len(keep) == len(basis) and (ball is None or len(nkeep) == len(ball[1])):
            break
        if not keep:
            return None
        basis = [basis[i] for i in keep]
        if ball is not None:
            if not nkeep:
                ball = None      # no ball needed: a plain sum of squares
            else:
                ball = (ball[0], [ball[1][i] for i in nkeep])
    else:
        return None
    for den in DENOMINATORS:
        target = lhs
        P = None
        if ball is not None:
            P = _factor_round(Pf, den)
            nb = ball[1]
            sig = ring.from_dict({})
            for i in range(len(nb)):
                for j in range(len(nb)):
                    if P[i, j] != 0:
                        e = tuple(a + b for a, b in zip(nb[i], nb[j]))
                        sig += ring.from_dict({e: P[i, j]})
            target = lhs - ball[0] * sig
        Q = _project(Qf, basis, _dict_of(target), den)
        if Q is None or negative_direction(Q) is not None:
            continue
        out = {"basis": [_mono_json(a) for a in basis], "gram": _mat_json(Q)}
        if ball is not None:
            out["ball"] = {"basis": [_mono_json(a) for a in ball[1]], "gram": _mat_json(P)}
        return out
    return None


def gram_certificate(lhs, basis: list):
    """``{"basis", "gram"}`` with ``lhs = m^T Q m`` exactly and ``Q`` exactly PSD over the given
    monomials (exponent tuples in ``lhs``'s ring), found by the SDP and rounding above; or None.
    The caller (or the kernel) re-checks it; nothing here is a claim."""
    if not available() or lhs.is_zero():
        return None
    return _attempt(_dict_of(lhs), basis, None, None, lhs)


def in_half_newton_polytope(a, support) -> bool:
    """Whether ``2a`` lies in the convex hull of ``support`` (exponent tuples; an LP, a guess)."""
    two = [2 * x for x in a]
    if any(not min(e[i] for e in support) <= two[i] <= max(e[i] for e in support)
           for i in range(len(two))):
        return False
    return _in_hull(two, support)


def float_gram(lhs, basis: list):
    """The SDP's float Gram matrix for ``lhs = m^T Q m`` (a numpy array, as far inside the PSD
    cone as the solver gets), or None: for producers that round it their own way."""
    if not available() or lhs.is_zero() or not basis or len(basis) > MAX_BASIS:
        return None
    sol = _solve(_dict_of(lhs), basis)
    return None if sol is None else sol[0]
