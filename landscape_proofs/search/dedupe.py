"""Group limit points that are the same modulo the symmetry (a producer step, floats only).

The loss is unchanged by ``W_{k+1} -> W_{k+1} A^{-1}``, ``W_k -> A W_k`` (``A`` invertible;
orthogonal with weight decay), so two runs that end on one orbit must be counted once.
Orbits are compared through *invariants*, quantities the group action does not change:

* the value ``L(W)`` and the end-to-end product ``R = W_H ... W_1``;
* the rank of every contiguous partial product ``W_j ... W_i`` (``i <= j``): the action
  multiplies it by invertible matrices on both sides.  The product alone is not enough:
  in docs/examples.md (depth3-diag27), ``diag(3,0)^3`` (a non-strict saddle) and
  ``diag(1,0), I, diag(27,0)`` (a strict saddle) have the same product and value but
  ``W_2`` has rank 1 in one and 2 in the other;
* with weight decay (orthogonal ``A`` only): the Gram matrices ``W_1^T W_1`` and
  ``W_H W_H^T``, and the singular values of every ``W_k`` (the eigenvalues of
  ``W_k^T W_k``; the matrix itself is only invariant up to conjugation).

Other families (:func:`problem_invariants`, :mod:`.families`):

* ``multi-tower``: the value, the sum ``R = sum_t R_t``, and each tower's invariants as above
  (its rank profile; with weight decay its Gram matrices and spectra), tower 1 first.  These
  are invariants of each tower's own symmetry; the moves *between* towers (docs/families.md)
  can change them, so two runs on one orbit may land in two groups: finer than necessary,
  never coarser than the tower-wise grouping;
* ``symmetric-factorization``: the value, ``U U^T`` and ``rank U``.  ``U U^T`` is a complete
  invariant of the orbit ``{U Q : Q orthogonal}`` (``U_1 U_1^T = U_2 U_2^T`` exactly when
  ``U_2 = U_1 Q`` for an orthogonal ``Q``).

Equal invariants do not prove equal orbits; this grouping decides only which point is sent
to exact classification on behalf of the others, and the report says so.  What proves more:
:func:`orbit_map` (exact points) and :func:`.boxes.orbit_boxes` (runs of an irrational point,
gauge-fixed exactly into one box the kernel certifies).  Numerical ranks
use the relative tolerance ``rank_tol``; values and matrices compare with ``tol`` relative
to ``1 +`` their size.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from landscape_proofs.core.linear import affine_solutions


@dataclass(frozen=True)
class Invariants:
    """Invariants of B points (arrays over the batch)."""

    value: np.ndarray                   # (B,)
    product: np.ndarray                 # (B, d_H, d_0)
    ranks: np.ndarray                   # (B, H (H + 1) / 2) ranks of W_j...W_i, i <= j
    gram_first: np.ndarray | None       # (B, d_0, d_0)  W_1^T W_1   (weight decay only)
    gram_last: np.ndarray | None        # (B, d_H, d_H)  W_H W_H^T   (weight decay only)
    spectra: np.ndarray | None          # (B, sum_k min(d_k, d_{k-1})) singular values

    def rank_profile(self, b: int) -> tuple[int, ...]:
        return tuple(int(r) for r in self.ranks[b])


def _numerical_rank(M: np.ndarray, rank_tol: float) -> np.ndarray:
    s = np.linalg.svd(M, compute_uv=False)
    top = s[:, :1] if s.shape[1] else np.zeros((M.shape[0], 1))
    return (s > rank_tol * np.maximum(top, 1.0)).sum(axis=1)


def invariants(Ws: list[np.ndarray], values: np.ndarray, orthogonal: bool,
               rank_tol: float = 1e-6) -> Invariants:
    """Invariants of the points ``Ws`` (H arrays (B, d_k, d_{k-1}), W_1 first)."""
    H = len(Ws)
    ranks = []
    product = None
    for i in range(H):
        P = Ws[i]
        ranks.append(_numerical_rank(P, rank_tol))
        for j in range(i + 1, H):
            P = Ws[j] @ P
            ranks.append(_numerical_rank(P, rank_tol))
        if i == 0:
            product = P
    ranks = np.stack(ranks, axis=1)
    gf = gl = sp = None
    if orthogonal:
        gf = np.swapaxes(Ws[0], 1, 2) @ Ws[0]
        gl = Ws[-1] @ np.swapaxes(Ws[-1], 1, 2)
        sp = np.concatenate([np.linalg.svd(W, compute_uv=False) for W in Ws], axis=1)
    return Invariants(np.asarray(values, dtype=float), product, ranks, gf, gl, sp)


def problem_invariants(problem, Ws: list[np.ndarray], values: np.ndarray,
                       rank_tol: float = 1e-6) -> Invariants:
    """The invariants of a batch of points of ``problem``, for any searchable family
    (see the module docstring); for deep-linear, :func:`invariants` itself."""
    from landscape_proofs.search.families import chains, product, require_searchable

    require_searchable(problem)
    orthogonal = problem.weight_decay != 0
    if problem.psd_product:
        U = Ws[0]
        ranks = _numerical_rank(U, rank_tol)[:, None]
        return Invariants(np.asarray(values, dtype=float), product(problem, Ws), ranks,
                          None, None, None)
    if not problem.sum_of_towers:   # one chain: its invariants are the problem's
        return invariants(Ws, values, orthogonal=orthogonal, rank_tol=rank_tol)
    parts = [invariants([Ws[i] for i in c.layers], values, orthogonal, rank_tol)
             for c in chains(problem)]
    B = Ws[0].shape[0]
    flat = lambda name: np.concatenate([getattr(q, name).reshape(B, -1)  # noqa: E731
                                        for q in parts], axis=1)
    extra = (flat("gram_first"), flat("gram_last"), flat("spectra")) if orthogonal else \
        (None, None, None)
    return Invariants(np.asarray(values, dtype=float), product(problem, Ws),
                      np.concatenate([q.ranks for q in parts], axis=1), *extra)


def _close(a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray:
    """Rows of a (k, ...) close to b (...) in Frobenius norm, relative to 1 + |b|."""
    axes = tuple(range(1, a.ndim))
    diff = np.sqrt(((a - b[None]) ** 2).sum(axis=axes)) if axes else np.abs(a - b)
    return diff <= tol * (1.0 + np.sqrt((b ** 2).sum()))


def group(inv: Invariants, members: np.ndarray, tol: float = 1e-5) -> list[np.ndarray]:
    """Partition ``members`` (indices into the batch) into groups of equal invariants.

    Greedy and deterministic: points are taken in index order; a point joins the first group
    whose first point has the same rank profile and close value, product (and Gram matrices
    and spectra with weight decay); otherwise it starts a new group.  Groups are returned in
    order of their first point's value, then index.
    """
    reps: list[int] = []
    groups: list[list[int]] = []
    for b in members:
        b = int(b)
        found = -1
        if reps:
            R = np.array(reps)
            ok = np.all(inv.ranks[R] == inv.ranks[b], axis=1)
            ok &= np.abs(inv.value[R] - inv.value[b]) <= tol * (1.0 + np.abs(inv.value[b]))
            ok &= _close(inv.product[R], inv.product[b], tol)
            if inv.gram_first is not None:
                ok &= _close(inv.gram_first[R], inv.gram_first[b], tol)
                ok &= _close(inv.gram_last[R], inv.gram_last[b], tol)
                ok &= _close(inv.spectra[R], inv.spectra[b], tol)
            hits = np.nonzero(ok)[0]
            found = int(hits[0]) if hits.size else -1
        if found < 0:
            reps.append(b)
            groups.append([b])
        else:
            groups[found].append(b)
    order = sorted(range(len(groups)), key=lambda g: (inv.value[reps[g]], reps[g]))
    return [np.array(groups[g], dtype=np.int64) for g in order]


def exact_invariants(problem, point) -> tuple:
    """The same invariants, exactly, at a rational point (a hashable key).

    Used after certification to *propose* merges: float groups whose certified exact points
    have equal exact invariants (and equal kinds) are merged only when :func:`orbit_map` (or,
    for ``U U^T``, the equality of the key itself) proves one orbit.  This catches slowly
    converging runs (e.g. to the degenerate minima of a quartic loss) that the float
    tolerance kept apart, and never merges two orbits that merely share invariants.  With
    weight decay the singular values enter through the characteristic polynomials of
    ``W_k^T W_k``.
    """
    from landscape_proofs.kernel.numbers import to_fraction
    from landscape_proofs.families.exact_view import exact_objective, exact_weights
    from landscape_proofs.search.families import chains

    W = exact_weights(point)
    obj = exact_objective(problem)
    frac = lambda M: tuple(to_fraction(x) for x in M.entries())  # noqa: E731
    if problem.psd_product:
        # U U^T is a complete invariant of the orbit U O(k) (see the module docstring)
        return (to_fraction(obj.value(W)), frac(obj.product(W)), (W[0].rank(),))
    key = (to_fraction(obj.value(W)), frac(obj.product(W)))
    for chain in chains(problem):   # one chain for deep-linear, one per tower
        C = [W[i] for i in chain.layers]
        H = len(C)
        ranks = []
        for i in range(H):
            P = C[i]
            ranks.append(P.rank())
            for j in range(i + 1, H):
                P = C[j] * P
                ranks.append(P.rank())
        key += (tuple(ranks),)
        if problem.weight_decay != 0:
            grams = [Wk.transpose() * Wk for Wk in C]
            key += (frac(grams[0]), frac(C[-1] * C[-1].transpose()),
                    tuple(tuple(to_fraction(c) for c in G.charpoly().coeffs()) for G in grams))
    return key


# --- proofs that two exact points lie on one orbit ----------------------------------------
MAX_ORBIT_UNKNOWNS = 400     # size guard: entries of the gauge matrices A_1..A_{H-1}


def orbit_map(problem, P, Q, tries: int = 8):
    """Invertible rational ``A_1, ..., A_{H-1}`` (flint matrices) with ``Q = A . P``, i.e.
    ``Q_1 = A_1 P_1``, ``Q_k = A_k P_k A_{k-1}^{-1}``, ``Q_H = P_H A_{H-1}^{-1}``, checked exactly;
    or None when none was found.  A proof that the exact points ``P`` and ``Q`` lie on one
    orbit of the symmetry, hence have the same value, the same kind and congruent Hessians.

    Deep-linear (one chain) only.  With weight decay the symmetry is orthogonal, and a map is
    returned only when each ``A_k`` found is orthogonal (``A^T A = I`` exactly).  The maps
    solve the linear equations ``A_1 P_1 = Q_1``, ``A_k P_k = Q_k A_{k-1}``,
    ``Q_H A_{H-1} = P_H``; the particular solution and a few seeded combinations with the null
    space are tested for invertibility.  None is not a proof of different orbits.
    """
    import random

    import flint

    if problem.sum_of_towers or problem.psd_product:
        return None
    Pw = [flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in row] for row in W])
          if W and W[0] else flint.fmpq_mat(len(W), 0) for W in P.weights]
    Qw = [flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in row] for row in W])
          if W and W[0] else flint.fmpq_mat(len(W), 0) for W in Q.weights]
    H = len(Pw)
    dims = [Pw[k].nrows() for k in range(H - 1)]          # d_1 .. d_{H-1}
    if Pw == Qw:                                          # the identity maps
        return [flint.fmpq_mat(d, d, [int(i == j) for i in range(d) for j in range(d)])
                for d in dims]
    u = sum(d * d for d in dims)
    if H < 2 or u == 0 or u > MAX_ORBIT_UNKNOWNS:
        return None
    off = [sum(d * d for d in dims[:k]) for k in range(H - 1)]
    rows, rhs = [], []

    def var(k, i, j):                 # unknown A_{k+1}[i, j]
        return off[k] + i * dims[k] + j

    for k in range(H):
        W, Wq = Pw[k], Qw[k]
        for i in range(Wq.nrows()):
            for c in range(Wq.ncols()):
                row = [flint.fmpq(0)] * u
                const = flint.fmpq(0)
                if k < H - 1:                          # A_k W_k (row i, column c)
                    for j in range(W.nrows()):
                        row[var(k, i, j)] += W[j, c]
                else:
                    const += W[i, c]                   # P_H on the right side
                if k > 0:                              # - Q_k A_{k-1}
                    for j in range(Wq.ncols()):
                        row[var(k - 1, j, c)] -= Wq[i, j]
                if k == 0:
                    const += Wq[i, c]
                if k == H - 1:                         # Q_H A_{H-1} = P_H
                    row = [-x for x in row]
                rows.append(row)
                rhs.append(const)
    M = flint.fmpq_mat(len(rows), u, [x for row in rows for x in row])
    sol = affine_solutions(M, rhs)
    if sol is None:
        return None
    part, basis = sol
    rng = random.Random(0)
    for t in range(tries):
        a = list(part)
        if t and basis:
            for v in basis:
                c = rng.randint(-3, 3)
                a = [x + c * y for x, y in zip(a, v)]
        A = [flint.fmpq_mat(d, d, a[off[k]:off[k] + d * d]) for k, d in enumerate(dims)]
        if any(Ak.det() == 0 for Ak in A):
            continue
        if problem.weight_decay != 0 and any(Ak.transpose() * Ak != flint.fmpq_mat(
                Ak.nrows(), Ak.nrows(), [int(i == j) for i in range(Ak.nrows())
                                         for j in range(Ak.nrows())]) for Ak in A):
            continue
        if _acts(Pw, A) == Qw:           # re-checked exactly
            return A
    return None


def _acts(W, A):
    """``A . W``: the layers ``A_1 W_1, A_k W_k A_{k-1}^{-1}, W_H A_{H-1}^{-1}``."""
    H = len(W)
    out = []
    for k in range(H):
        M = W[k]
        if k < H - 1:
            M = A[k] * M
        if k > 0:
            M = M * A[k - 1].inv()
        out.append(M)
    return out


def _echelon_map(W):
    """Invertible ``E`` (flint) with ``E W = rref(W)``: the right block of ``rref([W | I])``."""
    import flint

    m, n = W.nrows(), W.ncols()
    aug = flint.fmpq_mat(m, n + m)
    for i in range(m):
        for j in range(n):
            aug[i, j] = W[i, j]
        aug[i, n + i] = 1
    E, _ = aug.rref()
    return flint.fmpq_mat(m, m, [E[i, n + j] for i in range(m) for j in range(m)])


def _height(W) -> int:
    return sum(int(M[i, j].p).bit_length() + int(M[i, j].q).bit_length()
               for M in W for i in range(M.nrows()) for j in range(M.ncols()))


def gauge_normal_form(problem, point):
    """A simpler exact point on the orbit of ``point`` (deep-linear without weight decay; the
    point itself otherwise): ``W_k`` brought to reduced row echelon form by the gauge, layer
    after layer from ``W_1`` (a forward sweep), or ``W_k`` to reduced column echelon form from
    ``W_H`` (a backward sweep); the one of smallest bit size, the point itself included.  The
    maps are invertible by construction (``rref([W | I])``), so the result is ``A . point``:
    same value, same kind.  ``(a, 0)`` becomes ``(1, 0)`` and ``(0, b)`` becomes ``(0, 1)``.
    """
    import flint

    from landscape_proofs.families.base import Point

    if problem.sum_of_towers or problem.psd_product or problem.weight_decay != 0 \
            or len(point.weights) < 2:
        return point
    W0 = [flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in row] for row in W])
          for W in point.weights]
    H = len(W0)
    fwd = list(W0)
    for k in range(H - 1):
        E = _echelon_map(fwd[k])
        fwd[k], fwd[k + 1] = E * fwd[k], fwd[k + 1] * E.inv()
    bwd = list(W0)
    for k in range(H - 1, 0, -1):
        F = _echelon_map(bwd[k].transpose()).transpose()     # W F = column echelon form
        bwd[k], bwd[k - 1] = bwd[k] * F, F.inv() * bwd[k - 1]
    best = min((W0, fwd, bwd), key=_height)
    if best is W0:
        return point
    rows = [[[Fraction(int(M[i, j].p), int(M[i, j].q)) for j in range(M.ncols())]
             for i in range(M.nrows())] for M in best]
    return Point.of(problem, rows)


# --- irrational limit points: run endpoints gauge-fixed into one certified box -------------
# An enclosure certificate proves a unique critical point z of L on the slice
# Sigma = {W : W_p = c_p, p frozen} inside the box X = {|W_F - c_F| <= r}.  Each run's float
# endpoint x (read exactly) is moved along its orbit, exactly, onto Sigma; a box H on Sigma
# with X's center holding X and those endpoints is then offered to the kernel with X's claim.
# Accepted: H holds exactly one critical point on Sigma, z (X lies in H), of that kind; every
# run whose moved endpoint lies in H ended on an orbit through H, near z's orbit and near no
# other critical point of the slice there (docs/search.md, "Grouping by orbits").


class NotGaugeFixable(Exception):
    """The slice's pattern allows no exact linear gauge fixing (the message says why)."""


def _fmpq_of_float(v):
    import flint

    n, d = Fraction(float(v)).as_integer_ratio()
    return flint.fmpq(n, d)


def _solve_unique(n: int, equations, left: bool, M):
    """The unique ``n x n`` matrix ``A`` with ``(A M)[i, j] = v`` (``left``) or ``(M A)[i, j] =
    v`` for every ``(i, j, v)`` of ``equations``, exactly, when it exists and is invertible;
    else None."""
    import flint

    rows, rhs = [], []
    for i, j, v in equations:
        row = [flint.fmpq(0)] * (n * n)
        for l in range(n):
            if left:                              # sum_l A[i, l] M[l, j]
                row[i * n + l] = M[l, j]
            else:                                 # sum_l M[i, l] A[l, j]
                row[l * n + j] = M[i, l]
        rows.append(row)
        rhs.append(v)
    if len(rows) < n * n:
        return None
    sol = affine_solutions(flint.fmpq_mat(len(rows), n * n, [x for r in rows for x in r]), rhs)
    if sol is None or sol[1]:
        return None                               # inconsistent, or not unique
    A = flint.fmpq_mat(n, n, sol[0])
    return A if A.det() != 0 else None


class SliceGauge:
    """Exact gauge fixing onto the slice of an enclosure certificate (one chain of layers,
    the GL gauge).

    ``y = A . x``: ``y_k = A_k x_k A_{k-1}^{-1}`` (``A_0``, ``A_H`` identities).  Pick a layer
    ``m`` without frozen coordinates.  Below it, ``A_k`` is solved from layer ``k``'s frozen
    entries, which are linear in ``A_k`` once ``A_{k-1}`` is known (a bottom-up sweep);
    above it, ``A_{k-1}^{-1}`` from layer ``k``'s, linear once ``A_k`` is known (top-down).
    Each solve must have exactly one solution, invertible (exact determinant); ``y_P = c_P``
    is re-checked exactly.  Where every layer has frozen coordinates, one gauge would be
    bound by two layers at once (bilinear), and with weight decay the maps must be
    orthogonal (nonlinear): :class:`NotGaugeFixable`.
    """

    def __init__(self, problem, certificate: dict):
        from landscape_proofs.kernel.numbers import parse_exact, to_fmpq

        if problem.psd_product:
            raise NotGaugeFixable("the gauge of U U^T is O(k): no rational map fixes it")
        if problem.sum_of_towers:
            raise NotGaugeFixable("towers: rational maps fix one chain of layers")
        # with weight decay the gauge is orthogonal: O(1) = {+1, -1} when every hidden width
        # is 1 (a finite group of sign flips, applied exactly); larger O(d) are fixed by
        # orthoslice.OrthoSliceGauge (QR maps enclosed in balls, not rational)
        self.flips = problem.weight_decay != 0 or problem.orthogonal_symmetry
        if self.flips and any(r != 1 for r, _ in problem.shapes[:-1]):
            raise NotGaugeFixable("the gauge is orthogonal (weight decay) with a hidden width "
                                  "above 1: no rational map fixes it (orthogonal maps onto a "
                                  "triangular slice do: search/orthoslice.py)")
        pt = certificate["point"]
        self.center = [to_fmpq(parse_exact(v)) for W in pt["center"] for row in W for v in row]
        self.free = list(pt["free"])
        self.shapes = [tuple(s) for s in problem.shapes]
        H = len(self.shapes)
        if sum(r * r for r, _ in self.shapes[:-1]) > MAX_ORBIT_UNKNOWNS:
            raise NotGaugeFixable(f"more than {MAX_ORBIT_UNKNOWNS} gauge unknowns")
        free, off = set(self.free), 0
        self.frozen = []
        for r, c in self.shapes:
            self.frozen.append([(i, j, self.center[off + i * c + j]) for i in range(r)
                                for j in range(c) if off + i * c + j not in free])
            off += r * c
        self.splits = [m for m in range(H) if not self.frozen[m]]
        if self.flips and len(self.splits) != H:
            raise NotGaugeFixable("sign flips leave no coordinate to freeze, but this slice "
                                  "freezes some")
        if not self.splits:
            raise NotGaugeFixable("every layer has frozen coordinates: one gauge would be fixed "
                                  "by two layers at once (bilinear, not solved)")

    def fix(self, x):
        """The exact point ``A . x`` on the slice (flat list of fmpq), or None when no
        unique invertible gauge map was found for this ``x``."""
        import flint

        W, off = [], 0
        for r, c in self.shapes:
            W.append(flint.fmpq_mat(r, c, [_fmpq_of_float(v) for v in x[off:off + r * c]]))
            off += r * c
        if self.flips:      # the image nearest the center over the 2^(H-1) sign flips
            best = None
            for signs in itertools.product((1, -1), repeat=len(W) - 1):
                s = (1,) + signs + (1,)
                y = [v * s[k] * s[k + 1] for k, M in enumerate(W) for v in M.entries()]
                d = max((abs(a - b) for a, b in zip(y, self.center)), default=0)
                best = (d, y) if best is None or d < best[0] else best
            return best[1]
        for m in self.splits:
            y = self._fix(W, m)
            if y is not None:
                return y
        return None

    def _fix(self, W, m: int):
        import flint

        eye = lambda n: flint.fmpq_mat(n, n, [int(i == j) for i in range(n)  # noqa: E731
                                              for j in range(n)])
        H = len(W)
        y = [None] * H
        below = eye(W[0].ncols())                  # A_{k-1}^{-1}
        for k in range(m):                         # bottom-up: A_k from layer k
            M = W[k] * below
            A = _solve_unique(M.nrows(), self.frozen[k], True, M)
            if A is None:
                return None
            y[k], below = A * M, A.inv()
        above = eye(W[-1].nrows())                 # A_k
        for k in range(H - 1, m, -1):              # top-down: A_{k-1}^{-1} from layer k
            N = above * W[k]
            B = _solve_unique(N.ncols(), self.frozen[k], False, N)
            if B is None:
                return None
            y[k], above = N * B, B.inv()
        y[m] = above * W[m] * below
        flat = [v for M in y for v in M.entries()]
        free = set(self.free)
        if any(flat[p] != self.center[p] for p in range(len(flat)) if p not in free):
            return None                            # re-checked exactly
        return flat

    def distance(self, x):
        """``max_{p free} |(A . x)_p - c_p|`` (an exact fmpq), or None when not fixed."""
        y = self.fix(x)
        if y is None:
            return None
        return max((abs(y[p] - self.center[p]) for p in self.free), default=y[0] * 0)


ECHELON_CONDITION = 1e8    # the frozen blocks of an echelon slice must be this well conditioned


def echelon_slice(problem, x) -> dict:
    """A coordinate slice on which the gauge fixing is linear, chosen at the float point ``x``:
    below a layer ``m``, ``d_k`` columns of ``W_k`` (pivoted QR of ``W_k A_{k-1}^{-1}``)
    frozen to the identity; above it, ``d_{k-1}`` rows of ``W_k`` frozen to the identity;
    layer ``m`` free.  Needs ``d_0 >= ... >= d_m`` and ``d_{m+1} <= ... <= d_H`` (a network
    narrowest in the middle) and well-conditioned frozen blocks at ``x``.  Returns the
    ``{"point": {"center", "free"}}`` that :class:`SliceGauge` reads (free entries 0 in the
    center); every orbit-tangent generator is transversal there (block triangular, with
    the blocks ``E -> E I`` and ``E -> -I E`` on the diagonal)."""
    from scipy.linalg import qr

    if problem.sum_of_towers or problem.psd_product or problem.orthogonal_symmetry:
        raise NotGaugeFixable("echelon slices are built for one chain of layers, GL gauge")
    shapes = [tuple(s) for s in problem.shapes]
    H, d = len(shapes), [shapes[0][1]] + [r for r, _ in shapes]
    offs = [sum(r * c for r, c in shapes[:k]) for k in range(H)]
    Ws = [np.asarray(x[o:o + r * c], dtype=float).reshape(r, c) for o, (r, c) in zip(offs, shapes)]
    for m in range(H):
        if not (all(d[k] >= d[k + 1] for k in range(m))
                and all(d[k + 1] >= d[k] for k in range(m + 1, H))):
            continue
        frozen, below, above, ok = {}, np.eye(d[0]), np.eye(d[H]), True
        for k in range(m):                            # columns J of W_k A_{k-1}^{-1} := I
            M = Ws[k] @ below
            J = sorted(qr(M, pivoting=True)[2][:d[k + 1]])
            below = M[:, J]
            ok = ok and np.linalg.cond(below) < ECHELON_CONDITION
            frozen.update({offs[k] + i * d[k] + j: int(i == a) for i in range(d[k + 1])
                           for a, j in enumerate(J)})
        for k in range(H - 1, m, -1):                 # rows I of A_k W_k := I
            N = above @ Ws[k]
            rows = sorted(qr(N.T, pivoting=True)[2][:d[k]])
            above = N[rows, :]
            ok = ok and np.linalg.cond(above) < ECHELON_CONDITION
            frozen.update({offs[k] + i * d[k] + j: int(a == j) for a, i in enumerate(rows)
                           for j in range(d[k])})
        if ok:
            flat = [str(frozen.get(p, 0)) for p in range(offs[-1] + shapes[-1][0] * shapes[-1][1])]
            it = iter(flat)
            return {"point": {"center": [[[next(it) for _ in range(c)] for _ in range(r)]
                                         for r, c in shapes],
                              "free": [p for p in range(len(flat)) if p not in frozen]}}
    raise NotGaugeFixable("no echelon slice: the widths do not narrow to one layer and widen "
                          "after it, or a frozen block is singular at the representative")
