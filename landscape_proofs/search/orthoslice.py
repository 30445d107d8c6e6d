"""Gauge fixing by orthogonal maps onto a triangular slice (a producer step for search).

With weight decay the symmetry of a chain of layers is ``W_k -> Q_k W_k Q_{k-1}^T`` with
``Q_k`` orthogonal (``Q_0``, ``Q_H`` identities); for ``l(U U^T)`` it is ``U -> U Q``.  The GL
gauge is fixed exactly by rational maps (:class:`.dedupe.SliceGauge`), but an orthogonal map
that sends a rational point onto a slice has square roots in it, so here:

* the slice is *triangular*: below a layer ``m``, ``d_k`` columns ``J_k`` of
  ``W_k Q_{k-1}^T`` are frozen upper triangular (their entries below the diagonal are 0);
  above it, ``d_{k-1}`` rows ``I_k`` of ``Q_k W_k`` are frozen lower triangular;
  ``U U^T``: ``k`` rows of ``U`` frozen lower triangular.  That freezes ``d (d - 1) / 2``
  coordinates per orthogonal gauge, as many as ``so(d)`` has generators, and the QR
  decomposition makes the slice meet each orbit through a point where the frozen block is
  invertible (every matrix is uniquely skew times ``R`` plus upper triangular, so the
  orbit's tangent is transversal to the slice there);
* a run's endpoint ``x`` (exact binary floats) is mapped onto it by the orthogonal maps of the
  QR decompositions: ``B = (W_k Q_{k-1}^T)[:, J]``, ``R^T R = B^T B`` (Cholesky, positive
  pivots), ``Q_k = S R^{-T} B^T`` with the signs ``S`` of the slice center's diagonal.  ``Q_k`` is
  exactly orthogonal and the frozen entries of the image are exactly 0 by construction;
  the free entries are computed in ball arithmetic (``arb``, 128 bits), which encloses the
  true image.  A Cholesky pivot not proven positive means no map (``None``).

What the distance says: ``max_p |y_p - c_p|`` over the free coordinates is bounded above
rigorously (an exact dyadic upper bound of the balls), so a box of at least that radius
around the center holds the orbit image of ``x``.  Nothing here is trusted by the kernel:
the box itself is a certificate it re-checks; the run count is the producer's statement.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from landscape_proofs.search.dedupe import ECHELON_CONDITION, NotGaugeFixable, _fmpq_of_float

BALL_BITS = 128       # working precision of the ball arithmetic
RANK_TOL = 1e-7       # relative singular value below which a block counts as rank-deficient
MAX_FREE_SIGNS = 10   # rank-deficient blocks whose unit-normal signs are all tried (2^n)


@dataclass(frozen=True)
class TriangularPlan:
    """Where each orthogonal gauge is fixed: ``m`` the free layer of a chain; ``columns[k]``
    (``k < m``) one ``(units, J)`` per block of hidden units of layer ``k``'s rows (the
    columns ``J`` of those rows made upper triangular), ``rows[k]`` (``k > m``) one
    ``(units, I)`` per block of layer ``k``'s columns (the rows ``I`` of those columns made
    lower triangular); for ``U U^T`` (``symmetric``) ``rows[0]`` is one block of all columns.
    A block is a set of hidden units with the same decays (all of them for a scalar decay):
    the gauge is the product of the blocks' orthogonal groups."""

    symmetric: bool
    m: int
    columns: dict
    rows: dict


def _chain_shapes(problem):
    if problem.sum_of_towers:
        raise NotGaugeFixable("multi-tower gauges (moves between towers) are not gauge-fixed")
    if not problem.orthogonal_symmetry:
        raise NotGaugeFixable("the gauge is GL, not orthogonal")
    return [tuple(s) for s in problem.shapes]


def unit_blocks(problem) -> list[list[tuple[int, ...]]]:
    """Per hidden layer (between layers ``k`` and ``k + 1``), its units grouped by equal
    decays: rows ``p, q`` of layer ``k`` and columns ``p, q`` of layer ``k + 1`` carry the
    same decays entry by entry (then rotating the two units keeps the decay; the kernel's
    orbit tangent names exactly these rotations: ``rotation_keeps_decay``).  One block per
    hidden layer for a scalar decay."""
    from landscape_proofs.kernel.model import read_problem

    shapes = [tuple(s) for s in problem.shapes]
    kp = read_problem(problem.to_dict())
    out = []
    for k in range(len(shapes) - 1):
        low, up = kp.decay_block(k), kp.decay_block(k + 1)
        blocks: list[list[int]] = []
        for p in range(shapes[k][0]):
            home = next((b for b in blocks if low[b[0]] == low[p]
                         and all(r[b[0]] == r[p] for r in up)), None)
            if home is None:
                blocks.append([p])
            else:
                home.append(p)
        out.append([tuple(b) for b in blocks])
    return out


def _frozen(plan: TriangularPlan, shapes) -> dict:
    """``{flat index: 0}`` for the coordinates the plan freezes."""
    offs = [sum(r * c for r, c in shapes[:k]) for k in range(len(shapes))]
    out = {}
    for k, blocks in plan.columns.items():            # column J[a] zero below unit a
        c = shapes[k][1]
        for units, J in blocks:
            out.update({offs[k] + units[i] * c + j: 0 for a, j in enumerate(J)
                        for i in range(a + 1, len(units))})
    for k, blocks in plan.rows.items():               # row I[a] zero right of unit a
        c = shapes[k][1]
        for units, rows in blocks:
            out.update({offs[k] + i * c + units[j]: 0 for a, i in enumerate(rows)
                        for j in range(a + 1, len(units))})
    return out


def triangular_slice(problem, x) -> tuple[dict, TriangularPlan]:
    """A triangular slice chosen at the float point ``x`` (well-conditioned frozen blocks,
    pivoted QR): ``({"point": {"center", "free"}}, plan)``; the center's free entries are 0.
    Below the free layer each block of ``d`` units needs ``d`` (or, at rank ``d - 1``, ``d -
    1``) independent columns of its rows, above it as many rows of its columns."""
    from scipy.linalg import qr

    shapes = _chain_shapes(problem)
    offs = [sum(r * c for r, c in shapes[:k]) for k in range(len(shapes))]
    Ws = [np.asarray(x[o:o + r * c], dtype=float).reshape(r, c) for o, (r, c) in zip(offs, shapes)]

    def pick(M, d):
        """(pivot columns J of M, r = len(J) in {d, d - 1}, the float Q with Q M[:, J] upper
        trapezoidal), or None when M's rank is below d - 1 or the block is ill conditioned
        (a block of one unit whose row is 0 is fixed by a sign alone)."""
        s = np.linalg.svd(M, compute_uv=False)
        r = min(d, int(np.sum(s > RANK_TOL * max(s[0], 1e-300))))
        if r < d - 1 or (r == 0 and d > 1):
            return None
        if r == 0:
            return (), np.eye(1)
        J = sorted(qr(M, pivoting=True)[2][:r])
        B = M[:, J]
        sb = np.linalg.svd(B, compute_uv=False)
        if sb[-1] * ECHELON_CONDITION < sb[0]:
            return None
        return tuple(int(j) for j in J), np.linalg.qr(B, mode="complete")[0].T

    def fix(M, blocks):
        """Per block of M's rows: (units, J), and the block-diagonal float Q; None if any
        block fails."""
        Q, out = np.zeros((M.shape[0], M.shape[0])), []
        for units in blocks:
            got = pick(M[list(units), :], len(units))
            if got is None:
                return None
            out.append((units, got[0]))
            Q[np.ix_(units, units)] = got[1]
        return tuple(out), Q

    plan = None
    if problem.psd_product:
        got = fix(Ws[0].T, [tuple(range(Ws[0].shape[1]))])
        if got is not None:
            plan = TriangularPlan(True, 0, {}, {0: got[0]})
    else:
        H, d = len(shapes), [shapes[0][1]] + [r for r, _ in shapes]
        blocks = unit_blocks(problem)
        for m in range(H):
            cols, rws, ok = {}, {}, True
            below, above = np.eye(d[0]), np.eye(d[H])
            for k in range(m):                        # the image of layer k has J upper
                got = fix(Ws[k] @ below.T, blocks[k])
                if got is None:
                    ok = False
                    break
                cols[k], below = got
            for k in range(H - 1, m, -1):             # rows I of Q_k W_k lower triangular
                got = fix((above @ Ws[k]).T, blocks[k - 1]) if ok else None
                if got is None:
                    ok = False
                    break
                rws[k], above = got
            if ok:
                plan = TriangularPlan(False, m, cols, rws)
                break
    if plan is None:
        raise NotGaugeFixable("no triangular slice: at the representative a block has rank "
                              "below d - 1 (a continuous stabilizer: no slice isolates the "
                              "point) or is ill conditioned, or the widths do not narrow to "
                              "one layer and widen after it (up to one)")
    frozen = _frozen(plan, shapes)
    n = offs[-1] + shapes[-1][0] * shapes[-1][1]
    flat = iter(["0"] * n)
    return ({"point": {"center": [[[next(flat) for _ in range(c)] for _ in range(r)]
                                  for r, c in shapes],
                       "free": [p for p in range(n) if p not in frozen]}}, plan)


def _cholesky_upper(G):
    """``R`` upper triangular with ``R^T R = G`` (arb), or None when a pivot is not proven
    positive."""
    import flint

    n = G.nrows()
    R = flint.arb_mat(n, n)
    for i in range(n):
        s = G[i, i] - sum((R[k, i] ** 2 for k in range(i)), flint.arb(0))
        if not s > 0:
            return None
        R[i, i] = s.sqrt()
        for j in range(i + 1, n):
            R[i, j] = (G[i, j] - sum((R[k, i] * R[k, j] for k in range(i)), flint.arb(0))) / R[i, i]
    return R


def _column_fix(B, signs, last):
    """The orthogonal ``Q`` (d x d, arb) with ``Q B = [S R; 0]``, ``R`` upper triangular with a
    positive diagonal, for ``B`` (d x r, r = d or d - 1) of full column rank; None when a
    pivot is not proven positive.  ``Q``'s first r rows are ``S R^{-T} B^T`` (orthonormal:
    ``R^{-T} B^T B R^{-1} = I``); for r = d - 1 the last row is ``last`` times the unit
    normal of B's columns (the cofactor vector, normalised)."""
    import flint

    d, r = B.nrows(), B.ncols()
    R = _cholesky_upper(B.transpose() * B)
    if R is None:
        return None
    top = R.transpose().solve(B.transpose())          # R^{-T} B^T, r x d
    rows = [[top[a, j] * signs[a] for j in range(d)] for a in range(r)]
    if r == d - 1:
        n = [flint.arb_mat([[B[i2, j] for j in range(r)] for i2 in range(d) if i2 != i]).det()
             * (-1) ** i for i in range(d)]
        norm2 = sum((v * v for v in n), flint.arb(0))
        if not norm2 > 0:
            return None
        inv = 1 / norm2.sqrt()
        rows.append([v * inv * last for v in n])
    return flint.arb_mat(rows)


def _sub(M, rows, cols):
    import flint

    return flint.arb_mat([[M[i, j] for j in cols] for i in rows])


class OrthoSliceGauge:
    """Orthogonal gauge fixing onto a :func:`triangular_slice` (see the module docstring)."""

    flips = False
    exact = False                  # the images are enclosed in balls, not rational
    maps = "orthogonal maps (QR, ball arithmetic)"

    def __init__(self, problem, certificate: dict, plan: TriangularPlan):
        from landscape_proofs.kernel.numbers import parse_exact, to_fmpq

        self.shapes = _chain_shapes(problem)
        self.plan = plan
        pt = certificate["point"]
        self.center = [to_fmpq(parse_exact(v)) for W in pt["center"] for row in W for v in row]
        self.free = list(pt["free"])
        frozen = _frozen(plan, self.shapes)
        if sorted(frozen) != [p for p in range(len(self.center)) if p not in set(self.free)] \
                or any(self.center[p] != 0 for p in frozen):
            raise NotGaugeFixable("the certificate's slice is not the plan's triangular slice")
        self.offs = [sum(r * c for r, c in self.shapes[:k]) for k in range(len(self.shapes))]
        # the signs of the center's diagonal entries in each frozen block; a block of rank
        # d - 1 leaves the sign of one unit normal free: both are tried (self.deficient)
        self.signs, self.deficient = {}, []
        for k, blocks in plan.columns.items():
            for n, (units, J) in enumerate(blocks):
                self.signs[("c", k, n)] = self._diag_signs(k, [(units[a], j)
                                                              for a, j in enumerate(J)])
                if len(J) < len(units):
                    self.deficient.append(("c", k, n))
        for k, blocks in plan.rows.items():
            for n, (units, rows) in enumerate(blocks):
                self.signs[("r", k, n)] = self._diag_signs(k, [(i, units[a])
                                                              for a, i in enumerate(rows)])
                if len(rows) < len(units):
                    self.deficient.append(("r", k, n))
        if len(self.deficient) > MAX_FREE_SIGNS:
            raise NotGaugeFixable(f"more than {MAX_FREE_SIGNS} rank-deficient blocks (2^n "
                                  "sign choices)")

    def _diag_signs(self, k, cells):
        c = self.shapes[k][1]
        out = []
        for i, j in cells:
            v = self.center[self.offs[k] + i * c + j]
            if v == 0:
                raise NotGaugeFixable("the center's frozen block has a zero diagonal entry")
            out.append(1 if v > 0 else -1)
        return out

    def _images(self, x):
        """Each orbit image of ``x`` on the slice (flat arb lists; one per choice of the free
        unit-normal signs), or [] when a map was not found."""
        import itertools

        import flint

        W = []
        for o, (r, c) in zip(self.offs, self.shapes):
            W.append(flint.arb_mat(r, c, [flint.arb(_fmpq_of_float(v)) for v in x[o:o + r * c]]))
        out = []
        for choice in itertools.product((1, -1), repeat=len(self.deficient)):
            last = dict(zip(self.deficient, choice))
            y = self._image(W, last)
            if y is None:
                return []
            out.append([v for M in y for v in M.entries()])
        return out

    def _blockwise(self, M, blocks, tag, last):
        """The block-diagonal orthogonal Q with, per block (units, J), ``Q[units, units]
        M[units, J]`` upper triangular (signs as the center's); None if a pivot fails."""
        import flint

        Q = flint.arb_mat(M.nrows(), M.nrows())
        for n, (units, J) in enumerate(blocks):
            key = (tag[0], tag[1], n)
            if not J:                                 # one unit, its row 0: a sign
                q = flint.arb_mat([[flint.arb(last.get(key, 1))]])
            else:
                q = _column_fix(_sub(M, units, J), self.signs[key], last.get(key, 1))
                if q is None:
                    return None
            for a, i in enumerate(units):
                for b, j in enumerate(units):
                    Q[i, j] = q[a, b]
        return Q

    def _image(self, W, last):
        p = self.plan
        if p.symmetric:                       # U Q^T with (U Q^T)[I, :] = [R^T S, 0]
            Q = self._blockwise(W[0].transpose(), p.rows[0], ("r", 0), last)
            return None if Q is None else [W[0] * Q.transpose()]
        H = len(W)
        y = [None] * H
        below = None                          # Q_{k-1}
        for k in range(p.m):                  # Q_k from columns J of W_k Q_{k-1}^T
            M = W[k] if below is None else W[k] * below.transpose()
            below = self._blockwise(M, p.columns[k], ("c", k), last)
            if below is None:
                return None
            y[k] = below * M
        above = None                          # Q_k
        for k in range(H - 1, p.m, -1):       # Q_{k-1} from rows I of Q_k W_k
            N = W[k] if above is None else above * W[k]
            Q = self._blockwise(N.transpose(), p.rows[k], ("r", k), last)
            if Q is None:
                return None
            y[k], above = N * Q.transpose(), Q
        mid = W[p.m]
        if above is not None:
            mid = above * mid
        if below is not None:
            mid = mid * below.transpose()
        y[p.m] = mid
        return y

    def _bound(self, flat):
        """The exact dyadic upper bound of the free coordinates' gaps (the kernel's
        ``upper_q``), or None for a ball too wide to matter (not finite, or above 2^64)."""
        import flint

        from landscape_proofs.kernel.enclosure import upper_q

        best = flint.fmpq(0)
        for q in self.free:
            gap = (flat[q] - flint.arb(self.center[q])).abs_upper()
            if not gap.is_finite() or not gap < 2 ** 64:
                return None
            best = max(best, upper_q(gap))
        return best

    def distance(self, x):
        """A rigorous upper bound (exact fmpq) of ``max_{p free} |(Q . x)_p - c_p|`` for the
        nearest image, or None when no map was found (a pivot not proven positive)."""
        import flint

        try:
            with flint.ctx.workprec(BALL_BITS):
                bounds = [self._bound(flat) for flat in self._images(x)]
        except (ArithmeticError, ValueError):   # a singular solve: no map for this x
            return None
        bounds = [b for b in bounds if b is not None]
        return min(bounds) if bounds else None

    def start(self, x):
        """Exact rationals on the slice near the image of ``x`` nearest the center (frozen
        entries exactly 0): the midpoints rounded, a starting point for the refinement."""
        import flint

        try:
            with flint.ctx.workprec(BALL_BITS):
                images = [(self._bound(f), f) for f in self._images(x)]
        except (ArithmeticError, ValueError):
            return None
        images = [(b, f) for b, f in images if b is not None]
        if not images:
            return None
        flat = min(images, key=lambda bf: bf[0])[1]
        with flint.ctx.workprec(BALL_BITS):
            free = set(self.free)
            return [Fraction(float(v.mid())) if q in free else Fraction(0)
                    for q, v in enumerate(flat)]


class TwoLayerView:
    """A multi-tower network whose towers all have two layers, seen as one two-layer chain:
    ``sum_t U_t V_t = [U_1 ... U_T] [V_1; ...; V_T]``, with the same data, loss and scalar
    decay (:meth:`~landscape_proofs.families.multi_tower.MultiTowerProblem.two_layer_equivalent`,
    whose values agree exactly here).  The symmetries the kernel names for such towers (GL or
    O of each tower's hidden layer, and the moves between towers) span exactly ``gl(D)`` or
    ``so(D)`` of the joint hidden layer, ``D = sum_t d_t``.  For any other problem the view is
    the identity."""

    def __init__(self, problem):
        self.problem = problem
        n = problem.n_params
        if not problem.sum_of_towers:
            self.chain, self.perm = problem, list(range(n))
            return
        towers = [tuple(w) for w in problem.towers]
        if any(len(w) != 3 for w in towers):
            raise NotGaugeFixable("multi-tower with a tower of more than two layers: the moves "
                                  "between towers are not gauge-fixed")
        self.chain = problem.two_layer_equivalent()
        d0, dH, D = towers[0][0], towers[0][-1], sum(w[1] for w in towers)
        # the chain's flat index -> the towers' flat index (tower t: V_t then U_t, row-major)
        offs, o = [], 0
        for _, d, _ in towers:
            offs.append(o)
            o += d * d0 + dH * d
        perm = []
        for t, (_, d, _) in enumerate(towers):            # W_1 = [V_1; ...; V_T]
            perm += [offs[t] + i * d0 + j for i in range(d) for j in range(d0)]
        for i in range(dH):                               # W_2 = [U_1 ... U_T]
            for t, (_, d, _) in enumerate(towers):
                perm += [offs[t] + d * d0 + i * d + j for j in range(d)]
        assert sorted(perm) == list(range(n)) and D * (d0 + dH) == n
        self.perm = perm

    def to_chain(self, x):
        return np.asarray(x)[self.perm]

    def cert_to_chain(self, certificate: dict) -> dict:
        """The certificate's center and slice in the chain's coordinates."""
        pt = certificate["point"]
        flat = [v for W in pt["center"] for row in W for v in row]
        free = set(pt["free"])
        it = iter([flat[q] for q in self.perm])
        return {"point": {"center": [[[next(it) for _ in range(c)] for _ in range(r)]
                                     for r, c in self.chain.shapes],
                          "free": [i for i, q in enumerate(self.perm) if q in free],
                          "radius": pt.get("radius")}}


class _Permuted:
    """A gauge of the chain view, read on the problem's own coordinates."""

    def __init__(self, inner, view: TwoLayerView):
        self.inner, self.view = inner, view
        self.flips = getattr(inner, "flips", False)
        self.exact = getattr(inner, "exact", True)
        self.maps = getattr(inner, "maps", None) or (
            "hidden-unit sign flips" if self.flips else "rational GL maps")
        if view.chain is not view.problem:
            self.maps += ", the towers read as one two-layer chain"

    def distance(self, x):
        return self.inner.distance(self.view.to_chain(x))


def recertify_on_slice(problem, certificate: dict, x, digits: int = 40):
    """The group's claim certified again on a slice where run endpoints can be mapped:
    an echelon slice (GL gauges, rational maps: :func:`.dedupe.echelon_slice`) or a
    :func:`triangular_slice` (orthogonal gauges, QR maps), chosen at the representative's
    endpoint ``x`` and built on the :class:`TwoLayerView` of the problem.  The
    representative's image starts the refinement (for a triangular slice the signs of the
    center's diagonal are those of the image).  Returns ``(certificate, reason, gauge)``;
    the certificate None when it was not accepted; ``gauge.distance`` reads the problem's
    coordinates."""
    from landscape_proofs.kernel.numbers import parse_exact
    from landscape_proofs.produce.kinds import Kind
    from landscape_proofs.produce.refined import enclose_on_slice
    from landscape_proofs.search.dedupe import SliceGauge, echelon_slice

    view = TwoLayerView(problem)
    chain, xc = view.chain, view.to_chain(x)
    if chain.orthogonal_symmetry:
        sl, plan = triangular_slice(chain, xc)
        start = OrthoSliceGauge(chain, _provisional(sl, plan), plan).start(xc)
        gauge_of = lambda c: OrthoSliceGauge(chain, c, plan)        # noqa: E731
        where = "the triangular slice"
    else:
        sl = echelon_slice(chain, xc)
        y = SliceGauge(chain, sl).fix(xc)
        start = None if y is None else [Fraction(int(v.p), int(v.q)) for v in y]
        gauge_of = lambda c: SliceGauge(chain, c)                   # noqa: E731
        where = "the echelon slice"
    if start is None:
        return None, f"the representative could not be mapped onto {where}", None
    free = set(sl["point"]["free"])
    center = [parse_exact(v) for W in sl["point"]["center"] for row in W for v in row]
    on_problem = [Fraction(0)] * len(start)
    for i, q in enumerate(view.perm):
        on_problem[q] = start[i]
    frozen = sorted((view.perm[i], center[i]) for i in range(len(start)) if i not in free)
    ev = certificate.get("evidence") or {}
    extra = {k: v for k, v in ev.items() if k not in ("type", "gauge_generators", "precision_bits")}
    cert, why = enclose_on_slice(problem, on_problem, [q for q, _ in frozen],
                                 [Fraction(v) for _, v in frozen],
                                 Kind(certificate["claim"]), extra, digits=digits)
    if cert is None:
        return None, why, None
    return cert, why, _Permuted(gauge_of(view.cert_to_chain(cert)), view)


def _provisional(sl: dict, plan: TriangularPlan) -> dict:
    """The slice with the diagonal entries of its frozen blocks set to 1 (the map's signs all
    +1: the QR pivots are positive)."""
    import copy

    out = copy.deepcopy(sl)
    C = out["point"]["center"]
    for k, blocks in plan.columns.items():
        for units, J in blocks:
            for a, j in enumerate(J):
                C[k][units[a]][j] = "1"
    for k, blocks in plan.rows.items():
        for units, rows in blocks:
            for a, i in enumerate(rows):
                C[k][i][units[a]] = "1"
    return out


__all__ = ["TriangularPlan", "triangular_slice", "unit_blocks", "OrthoSliceGauge", "TwoLayerView",
           "recertify_on_slice"]
