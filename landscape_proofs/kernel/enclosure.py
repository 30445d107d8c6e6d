"""Trusted: check an *enclosure* certificate with interval arithmetic (FLINT's arb balls).

An enclosure certificate says: *a true critical point W\\* of the problem lies in this box,
and W\\* is of this kind*, without ever writing W\\* down (it is usually irrational).  The box
is a center ``c`` (exact rationals), a radius ``r`` and a set ``F`` of free coordinates:

    B = { W : |W_p - c_p| <= r for p in F,  W_p = c_p for p not in F }

(the coordinates outside ``F`` fix the gauge of the symmetry group).  The argument, proved in
docs/enclosures.md and checked below step by step:

1. **A zero on the slice** (Krawczyk).  ``g(z) = (grad L)_F (c + S z)`` with ``S`` the unit
   vectors of ``F``.  With ``J`` an interval enclosure of ``H_FF`` over ``B``, ``C`` any
   (exact) matrix and ``Z = [-r, r]^m``: if ``||I - C J||_inf < 1`` and
   ``K = -C g(0) + (I - C J) Z`` lies in ``Z``, then ``g`` has exactly one zero in ``Z``.
2. **Critical for the whole problem** (transversality).  ``grad L(W)`` is orthogonal to the
   orbit tangent ``T(W)`` at every ``W`` (invariance).  If the square matrix made of the
   rows ``P`` (frozen coordinates) of some ``|P|`` tangent generators is nonsingular on
   ``B``, then ``span(S) + T(W) = R^N`` there, so ``grad L(W*) = 0``.
3. **The kind**, from interval enclosures of the Hessian, the value and partial products
   over ``B``: a negative (and a positive) curvature direction for ``strict-saddle``; an
   interval LDL^T with positive pivots of ``H_FF`` for ``local-minimum`` (slice argument);
   for ``global-minimum`` (convex loss) ``G(W*) = 0`` from full-rank partial products
   (deep-linear, no bottleneck) or a full-rank product Jacobian (multi-tower), or, for
   ``l(U U^T)``, a PSD symmetric part of ``G(W*)`` (``(G + G^T)/2 + c U U^T`` positive
   definite); a value bound against the exact optimum (not for ``U U^T``: the closed form is
   over all matrices, not PSD ones) or a better exact point for ``spurious-local-minimum``.

Families: deep-linear (and matrix-factorization, which loads as it), multi-tower and
symmetric-factorization, each with an interval objective below written from the closed
forms of its exact evaluator, and the symmetry generators of that exact evaluator's
``orbit_tangent`` (evaluated on balls) for step 2.

No floating point enters: every number is an exact rational turned into an arb ball (a
rigorous enclosure at the working precision), and every decision is an exact comparison of
rationals read off ball endpoints.  The precision only affects how tight the balls are, never
soundness.  Imports: the exact layer, the problem definitions, the losses, the errors and
python-flint; nothing that searches or guesses.
"""
from __future__ import annotations

from dataclasses import dataclass

import flint
from flint import arb, arb_mat, fmpq, fmpz

from landscape_proofs.kernel.critical_values import MAX_DIM, isolate_global, isolate_global_value
from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel.linalg import identity
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.optimum import compare_with_square_optimum
from landscape_proofs.kernel.losses import Custom, Power, Square
from landscape_proofs.kernel.model import Problem, read_matrix
from landscape_proofs.kernel.objective import Objective, compose
from landscape_proofs.kernel.verdict import CheckResult
from landscape_proofs.kernel.verdict import Rejected as _Rejected  # one rejection for the kernel

ENCLOSURE_CLAIMS = ("strict-saddle", "local-minimum", "local-maximum", "global-minimum",
                    "spurious-local-minimum")
MIN_BITS, MAX_BITS = 64, 65536


@dataclass(frozen=True)
class Enclosure:
    """The box: center (N exact rationals, flattened W_1 first, row-major), radius, free set."""

    center: tuple[fmpq, ...]
    radius: fmpq
    free: tuple[int, ...]

    @property
    def fixed(self) -> tuple[int, ...]:
        free = set(self.free)
        return tuple(p for p in range(len(self.center)) if p not in free)


def is_enclosure_point(point: object) -> bool:
    """Whether a certificate's ``point`` is an enclosure (has a ``center``) rather than exact."""
    return isinstance(point, dict) and "center" in point


# --- exact decisions from balls ------------------------------------------------------------------
def _exact(x: arb) -> fmpq:
    """The exact rational value of a ball of radius 0 (a binary number m 2^e)."""
    man, exp = x.man_exp()
    man, exp = fmpz(man), int(exp)
    return fmpq(man * fmpz(2) ** exp) if exp >= 0 else fmpq(man, fmpz(2) ** (-exp))


def upper_q(x: arb) -> fmpq:
    """An exact rational >= every number in the ball ``x``."""
    if not x.is_finite():
        raise _Rejected("an enclosure is not finite (precision too low, or the box too wide)")
    return _exact(x.upper())


def lower_q(x: arb) -> fmpq:
    """An exact rational <= every number in the ball ``x``."""
    return -upper_q(-x)


def show(q: fmpq) -> str:
    """A short rendering of an exact rational for messages: exact when short, else ~decimal."""
    text = str(q)
    return text if len(text) <= 24 else "~" + arb(q).str(6, radius=False)


def _ipow(x: arb, n: int) -> arb:
    """x^n for an integer n >= 0 by multiplication (arb's ``**`` is the real power, which is
    NaN on a ball that contains negative numbers).  Even powers go through |x| >= 0."""
    if n == 0:
        return arb(1)
    base = abs(x) if n % 2 == 0 else x
    out = base
    for _ in range(n - 1):
        out = out * base
    return out


def _times_factors(term: arb, E: arb_mat, factors, skip=()) -> arb:
    """``term`` times ``E_ij^e`` for each factor ``(i, j, e)`` whose position is not in ``skip``."""
    for g, (i, j, e) in enumerate(factors):
        if g not in skip:
            term *= _ipow(E[i, j], e)
    return term


def _hull(lo: fmpq, hi: fmpq) -> arb:
    """A ball containing the interval [lo, hi]."""
    return arb(lo).union(arb(hi))


# --- the objective over balls ---------------------------------------------------------------------
class _ArbLoss:
    """Value, gradient and Hessian of the loss l(E) for a matrix E of balls.

    ``hessian`` returns ``(diagonal, None)`` for a separable loss and ``(None, full)``
    otherwise (row-major vec, as ``losses.py``).
    """

    def __init__(self, loss):
        self.loss = loss
        if isinstance(loss, Custom):
            if not loss.polynomial:
                raise _Rejected("the custom loss is not a polynomial: interval derivatives "
                                "are available for polynomial losses only")
            self.terms = loss._polynomial_terms()  # [(coefficient, ((i, j, exponent), ...))]
        elif not isinstance(loss, (Square, Power)):
            # (the l1 loss is smooth only where the residual signs are fixed, and there it
            # is linear in E: its critical points are never isolated on a slice)
            raise _Rejected(f"no interval kernel for the {loss.name} loss: enclosures need a polynomial loss")

    def value(self, E: arb_mat) -> arb:
        e = E.entries()
        if isinstance(self.loss, Square):
            return sum((x * x for x in e), arb(0)) / 2
        if isinstance(self.loss, Power):
            return sum((_ipow(x, self.loss.p) for x in e), arb(0)) / self.loss.p
        return sum((_times_factors(arb(c), E, factors) for c, factors in self.terms), arb(0))

    def gradient(self, E: arb_mat) -> arb_mat:
        if isinstance(self.loss, Square):
            return E
        if isinstance(self.loss, Power):
            return arb_mat(E.nrows(), E.ncols(), [_ipow(x, self.loss.p - 1) for x in E.entries()])
        G = arb_mat(E.nrows(), E.ncols())
        for c, factors in self.terms:
            for a, (i, j, ex) in enumerate(factors):
                G[i, j] += _times_factors(arb(c) * ex * _ipow(E[i, j], ex - 1), E, factors, (a,))
        return G

    def hessian(self, E: arb_mat):
        e = E.entries()
        if isinstance(self.loss, Square):
            return [arb(1)] * len(e), None
        if isinstance(self.loss, Power):
            p = self.loss.p
            return [(p - 1) * _ipow(x, p - 2) for x in e], None
        m, n = E.nrows(), E.ncols()
        Hl = arb_mat(m * n, m * n)
        for c, factors in self.terms:
            for a, (i, j, ex) in enumerate(factors):
                for b, (k, l, f) in enumerate(factors):
                    if a == b:
                        if ex < 2:
                            continue
                        term = arb(c) * ex * (ex - 1) * _ipow(E[i, j], ex - 2)
                    else:
                        term = arb(c) * ex * f * _ipow(E[i, j], ex - 1) * _ipow(E[k, l], f - 1)
                    Hl[i * n + j, k * n + l] += _times_factors(term, E, factors, (a, b))
        return None, Hl


class _ArbTower:
    """One product ``R = W_H ... W_1`` (widths d_0, ..., d_H) over balls, and the pieces of the
    derivatives of a loss of it (the closed forms of exact/objective.py).

    With ``A_k = W_H ... W_{k+1}`` and ``B_k = W_{k-1} ... W_1`` (identities at the ends),
    ``R = A_k W_k B_k``, so ``dR/d(W_k)_ab = A_k e_a e_b^T B_k`` and, for a function-space
    gradient ``G``, ``d<G, R>/dW_k = A_k^T G B_k^T``.  Parameters: layer by layer (W_1
    first), each row-major; ``offsets`` are local to the tower.
    """

    def __init__(self, widths):
        self.widths = tuple(widths)
        self.H = len(self.widths) - 1
        self.shapes = [(self.widths[k + 1], self.widths[k]) for k in range(self.H)]
        sizes = [r * c for r, c in self.shapes]
        self.offsets = [sum(sizes[:k]) for k in range(self.H)]
        self.n_params = sum(sizes)

    def above(self, W) -> list[arb_mat]:
        """A_k = W_H ... W_{k+1} (list index k-1), A_H = I."""
        A = [None] * self.H
        A[-1] = arb_mat(identity(self.widths[-1]))
        for k in range(self.H - 2, -1, -1):
            A[k] = A[k + 1] * W[k + 1]
        return A

    def below(self, W) -> list[arb_mat]:
        """B_k = W_{k-1} ... W_1 (list index k-1), B_1 = I."""
        B = [arb_mat(identity(self.widths[0]))]
        for k in range(1, self.H):
            B.append(W[k - 1] * B[k - 1])
        return B

    def gradient(self, W, G) -> list[arb]:
        """d<G, R>/dW_k = A_k^T G B_k^T for every layer k, flattened."""
        A, B = self.above(W), self.below(W)
        out = []
        for k in range(self.H):
            out.extend((A[k].transpose() * G * B[k].transpose()).entries())
        return out

    def fill_jacobian(self, J: arb_mat, W, Z, col0: int) -> None:
        """Columns ``col0 + p``, p = (W_k)_ab, of ``d vec(R Z) / dW``: ``vec(A_k e_a e_b^T B_k Z)``,
        i.e. ``J[i*ncol + j, p] = A_k[i, a] (B_k Z)[b, j]`` (``Z`` None: the product itself)."""
        A, B = self.above(W), self.below(W)
        BZ = B if Z is None else [b * Z for b in B]
        m, ncol = self.widths[-1], BZ[0].ncols()
        for k, (dk, dk1) in enumerate(self.shapes):
            Ak, Bk, off = A[k], BZ[k], col0 + self.offsets[k]
            for a in range(dk):
                for b in range(dk1):
                    for i in range(m):
                        for j in range(ncol):
                            J[i * ncol + j, off + a * dk1 + b] = Ak[i, a] * Bk[b, j]

    def add_second_order(self, Hm: arb_mat, W, G, off0: int) -> None:
        """Add the second-order term of the product paired with G, ``<G, d^2 R[dW, dW']>``:
        for layers k > j, ``M_kj[b, c] (A_k^T G B_j^T)[a, d]`` at p = (W_k)_ab, q = (W_j)_cd
        (and its transpose), ``M_kj = W_{k-1} ... W_{j+1}``."""
        A, B = self.above(W), self.below(W)
        for k in range(self.H):
            for j in range(k):
                P = A[k].transpose() * G * B[j].transpose()
                M = arb_mat(identity(self.widths[j + 1]))
                for i in range(j + 1, k):
                    M = W[i] * M
                dk, dk1 = self.shapes[k]
                dj, dj1 = self.shapes[j]
                ok, oj = off0 + self.offsets[k], off0 + self.offsets[j]
                for a in range(dk):
                    for d in range(dj1):
                        pad = P[a, d]
                        for b in range(dk1):
                            for c in range(dj):
                                v = pad * M[b, c]
                                p, q = ok + a * dk1 + b, oj + c * dj1 + d
                                Hm[p, q] += v
                                Hm[q, p] += v


def _add_loss_curvature(loss: _ArbLoss, E: arb_mat, J: arb_mat) -> arb_mat:
    """``J^T Hl J`` with ``Hl`` the loss Hessian at ``E`` (row-major vec)."""
    diag, full = loss.hessian(E)
    if diag is not None:
        rows, N = J.nrows(), J.ncols()
        return J.transpose() * arb_mat(rows, N, [diag[i] * J[i, p] for i in range(rows)
                                                 for p in range(N)])
    return J.transpose() * full * J


class ArbTowers:
    """A sum of deep linear towers on balls; one tower is the deep linear network.

    ``R = sum_t R_t`` (``R_t`` tower t's product), ``E = R X - Y`` (or ``R``), ``G = dF/dR``
    (``(dl/dE) X^T``, or ``dl/dE`` for a product loss), shared by every tower (R is a sum):

    * ``dL/dW^(t)_k = A_k^T G B_k^T + lam W^(t)_k`` (tower t's own A_k, B_k);
    * ``H = J^T Hl J + blockdiag_t(S_t) + lam I``: ``J = [J_1 ... J_T]`` the Jacobian of
      vec(E) (tower t's columns are those of R_t), ``S_t`` tower t's second-order term
      paired with G; no cross-tower second-order term (``d^2 R / dW^(s) dW^(t) = 0``).

    Parameters: tower by tower, layer by layer, row-major (as ``exact/multi_tower.py``).
    Every result is a ball enclosure of the exact value for *every* choice of the weights
    inside the input balls (arb arithmetic is inclusion-monotone).  Build and use it inside
    one working precision.
    """

    def __init__(self, towers, X, Y, loss, over_product: bool, decay: list):
        self.parts = [_ArbTower(w) for w in towers]
        self.shapes, self.offsets, self.layers, self.param_offsets = [], [], [], []
        off = 0
        for t in self.parts:
            self.layers.append(range(len(self.shapes), len(self.shapes) + t.H))
            self.param_offsets.append(off)
            for (r, c), o in zip(t.shapes, t.offsets):
                self.shapes.append((r, c))
                self.offsets.append(off + o)
            off += t.n_params
        self.n_params = off
        self.d0, self.dH = self.parts[0].widths[0], self.parts[0].widths[-1]
        self.X, self.Y = X, Y                                         # exact fmpq_mat
        self.over_product = over_product
        self.decay = [arb(to_fmpq(d)) for d in decay]     # one lam_p per parameter
        self.has_decay = any(to_fmpq(d) != 0 for d in decay)
        self.loss = _ArbLoss(loss)

    def unflatten(self, v) -> list[arb_mat]:
        return [arb_mat(r, c, [arb(x) for x in v[off:off + r * c]])
                for (r, c), off in zip(self.shapes, self.offsets)]

    def split(self, W) -> list[list[arb_mat]]:
        return [[W[i] for i in lay] for lay in self.layers]

    def product(self, W) -> arb_mat:
        R = arb_mat(self.dH, self.d0)
        for Wt in self.split(W):
            R = R + compose(Wt)
        return R

    def loss_argument(self, W) -> arb_mat:
        R = self.product(W)
        return R if self.over_product else R * self.X - self.Y

    def _G(self, E) -> arb_mat:
        gl = self.loss.gradient(E)
        return gl if self.over_product else gl * self.X.transpose()

    def value(self, W) -> arb:
        v = self.loss.value(self.loss_argument(W))
        if self.has_decay:
            flat = (x for Wk in W for x in Wk.entries())
            v += sum((d * x * x for d, x in zip(self.decay, flat)), arb(0)) / 2
        return v

    def gradient_vector(self, W) -> list[arb]:
        G = self._G(self.loss_argument(W))
        out = []
        for t, Wt in zip(self.parts, self.split(W)):
            out.extend(t.gradient(Wt, G))
        if self.has_decay:
            flat = [x for Wk in W for x in Wk.entries()]
            out = [g + d * x for g, d, x in zip(out, self.decay, flat)]
        return out

    def jacobian(self, W, Z) -> arb_mat:
        """``d vec(R Z) / dW`` (``Z`` None: of vec(R) itself), ``d_H ncol x N``."""
        ncol = self.d0 if Z is None else Z.ncols()
        J = arb_mat(self.dH * ncol, self.n_params)
        for t, Wt, off in zip(self.parts, self.split(W), self.param_offsets):
            t.fill_jacobian(J, Wt, Z, off)
        return J

    def hessian(self, W) -> arb_mat:
        E = self.loss_argument(W)
        G = self._G(E)
        J = self.jacobian(W, None if self.over_product else self.X)    # d vec(E) / dW
        Hm = _add_loss_curvature(self.loss, E, J)
        for t, Wt, off in zip(self.parts, self.split(W), self.param_offsets):
            t.add_second_order(Hm, Wt, G, off)
        if self.has_decay:
            for p, d in enumerate(self.decay):
                Hm[p, p] += d
        return Hm


class ArbDeepLinear(ArbTowers):
    """The deep linear objective on balls: one tower (closed forms of exact/objective.py)."""

    def __init__(self, problem: Problem):
        super().__init__([problem.widths], problem.X, problem.Y, problem.loss,
                         problem.loss.over_product, problem.decay_vector)


class ArbMultiTower(ArbTowers):
    """The multi-tower objective on balls (closed forms of exact/multi_tower.py)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.tower_widths, problem.X, problem.Y, problem.loss,
                         problem.loss.over_product, problem.decay_vector)


class ArbSymmetricFactorization:
    """``l(U U^T) + lam/2 ||U||^2`` on balls (closed forms of exact/symmetric_factorization.py).

    ``R = U U^T``, ``E = R - Y`` (or ``R``), ``G = dl/dE``:
    ``dL/dU = (G + G^T) U + lam U``; ``dR_ij/dU_ab = [i = a] U_jb + [j = a] U_ib``;
    ``H = J^T Hl J + S + lam I`` with ``S[(a, b), (c, d)] = [b = d] (G + G^T)_ac``.
    ``U`` is flattened row-major.
    """

    def __init__(self, problem: Problem):
        self.n, self.k = problem.shapes[0]
        self.shapes = [(self.n, self.k)]
        self.n_params = self.n * self.k
        self.Y = problem.Y
        self.over_product = problem.loss.over_product
        self.lam = to_fmpq(problem.weight_decay)
        self.loss = _ArbLoss(problem.loss)

    def unflatten(self, v) -> list[arb_mat]:
        return [arb_mat(self.n, self.k, [arb(x) for x in v])]

    def loss_argument(self, W) -> arb_mat:
        U = W[0]
        R = U * U.transpose()
        return R if self.over_product else R - self.Y

    def function_gradient(self, W) -> arb_mat:
        """G = dl/dE (not symmetrised)."""
        return self.loss.gradient(self.loss_argument(W))

    def value(self, W) -> arb:
        v = self.loss.value(self.loss_argument(W))
        if self.lam != 0:
            v += arb(self.lam) / 2 * sum((x * x for x in W[0].entries()), arb(0))
        return v

    def gradient_vector(self, W) -> list[arb]:
        G, U = self.function_gradient(W), W[0]
        g = (G + G.transpose()) * U                     # dL/dU = (G + G^T) U + lam U
        if self.lam != 0:
            g = g + U * arb(self.lam)
        return g.entries()

    def hessian(self, W) -> arb_mat:
        U, n, k = W[0], self.n, self.k
        E = self.loss_argument(W)
        J = arb_mat(n * n, n * k)      # J[i n + j, a k + b] = [i = a] U_jb + [j = a] U_ib
        for a in range(n):
            for b in range(k):
                for j in range(n):
                    J[a * n + j, a * k + b] += U[j, b]
                    J[j * n + a, a * k + b] += U[j, b]
        Hm = _add_loss_curvature(self.loss, E, J)
        G = self.loss.gradient(E)
        S = G + G.transpose()
        for a in range(n):
            for c in range(n):
                for b in range(k):
                    Hm[a * k + b, c * k + b] += S[a, c]
        if self.lam != 0:
            for p in range(self.n_params):
                Hm[p, p] += arb(self.lam)
        return Hm


def arb_objective(problem):
    """The interval objective of ``problem`` (dispatch on the family)."""
    if problem.symmetric:
        return ArbSymmetricFactorization(problem)
    if problem.sum_of_towers:
        return ArbMultiTower(problem)
    return ArbDeepLinear(problem)


# --- interval linear algebra -----------------------------------------------------------------------
def _submatrix(M: arb_mat, rows, cols) -> arb_mat:
    return arb_mat(len(rows), len(cols), [M[i, j] for i in rows for j in cols])


def _approximate_inverse(M: arb_mat) -> arb_mat:
    """An exact matrix (balls of radius 0) near the inverse of M's midpoint.  Any matrix
    would be sound here: it is only a preconditioner, and the tests below decide."""
    try:
        return M.mid().inv().mid()
    except ZeroDivisionError:
        raise _Rejected("the midpoint matrix is singular") from None


def _norm_inf_upper(M: arb_mat) -> fmpq:
    """An exact upper bound of max_i sum_j |M_ij| over every matrix in the balls."""
    rows = (sum((abs(M[i, j]) for j in range(M.ncols())), arb(0)) for i in range(M.nrows()))
    return max((upper_q(s) for s in rows), default=fmpq(0))


def _contraction(C: arb_mat, M: arb_mat) -> tuple[arb_mat, fmpq]:
    """(I - C M, an upper bound of its inf-norm) over every matrix in M."""
    D = arb_mat(identity(M.nrows())) - C * M
    return D, _norm_inf_upper(D)


def krawczyk(J: arb_mat, g: arb_mat, r: fmpq, coordinates, where: str) -> None:
    """Krawczyk's test: ``g`` (m x 1) a function at the center of ``Z = [-r, r]^m``, ``J`` an
    interval enclosure of its Jacobian over the box, ``C`` an exact approximate inverse: if
    ``||I - C J||_inf < 1`` and ``K = -C g + (I - C J) Z`` lies in ``Z``, the function has
    exactly one zero in the box.  ``coordinates`` name the m coordinates in messages."""
    C = _approximate_inverse(J)
    D, q = _contraction(C, J)
    if not q < 1:
        raise _Rejected(f"Krawczyk: ||I - C J||_inf <= {show(q)} is not < 1 on {where}")
    K = D * arb_mat(len(coordinates), 1, [_hull(-r, r)] * len(coordinates)) - C * g
    for i, p in enumerate(coordinates):
        lo, hi = lower_q(K[i, 0]), upper_q(K[i, 0])
        if lo < -r or hi > r:
            raise _Rejected(f"Krawczyk: K(Z) is not inside the box in coordinate {p} "
                            f"([{show(lo)}, {show(hi)}] vs radius {show(r)}): no root proven in it")


def check_nonsingular_everywhere(M: arb_mat, what: str) -> str:
    """Every matrix in the balls M is nonsingular: ||I - C M||_inf < 1 for an exact C.

    (If ``||I - C M'|| < 1`` then ``C M'`` is invertible, so ``M'`` is.)
    """
    if M.nrows() == 0:
        return f"{what}: empty"
    _, q = _contraction(_approximate_inverse(M), M)
    if not q < 1:
        raise _Rejected(f"{what}: could not prove it nonsingular on the box "
                        f"(||I - C M||_inf <= {show(q)}, not < 1)")
    return f"{what} nonsingular on the box"


def ldl_pivots(A: arb_mat):
    """Yield ``(j, d_j)``, the pivots of the interval LDL^T of the symmetric ``A`` (lower
    triangle): ``d_j = a_jj - sum_k L_jk^2 d_k``, ``L_ij = (a_ij - sum_k L_ik L_jk d_k) / d_j``.
    For every symmetric matrix in A's balls the exact recurrences stay in these balls
    (inclusion monotonicity).  The caller must prove the sign of each ``d_j`` before asking
    for the next: the elimination divides by it."""
    n = A.nrows()
    L = [[None] * n for _ in range(n)]
    d = []
    for j in range(n):
        s = A[j, j] - sum((L[j][k] * L[j][k] * d[k] for k in range(j)), arb(0))
        yield j, s
        d.append(s)
        for i in range(j + 1, n):
            L[i][j] = (A[i, j] - sum((L[i][k] * L[j][k] * d[k] for k in range(j)), arb(0))) / s


def check_positive_definite_everywhere(A: arb_mat, what: str) -> str:
    """Every symmetric matrix with entries in A's balls is positive definite.

    Interval LDL^T on the lower triangle: for any such matrix the exact recurrences
    ``d_j = a_jj - sum_k L_jk^2 d_k``, ``L_ij = (a_ij - sum_k L_ik L_jk d_k) / d_j`` stay in
    the computed balls (inclusion monotonicity); all ``d_j > 0`` means ``A = L D L^T`` with
    ``D > 0``.
    """
    for j, s in ldl_pivots(A):
        lo = lower_q(s)
        if not lo > 0:
            raise _Rejected(f"{what}: pivot {j} of the interval LDL^T is not provably "
                            f"positive (lower bound {show(lo)})")
    return f"{what} positive definite on the box ({A.nrows()} x {A.nrows()}, interval LDL^T)"


def _quadratic_form(Hm: arb_mat, v) -> arb:
    col = arb_mat(len(v), 1, [arb(x) for x in v])
    return (col.transpose() * Hm * col)[0, 0]


# --- reading the certificate ------------------------------------------------------------------------
def read_enclosure(point: dict, problem: Problem) -> Enclosure:
    """Parse ``{"center": weights, "radius": "p/q", "free": [indices]}`` (InputError if malformed)."""
    unknown = sorted(set(point) - {"center", "radius", "free"})
    if unknown:
        raise InputError("unknown field of an enclosure; allowed: center, radius, free",
                         field=f"point.{unknown[0]}", got=unknown[0], show_got=False)
    center = problem.validate_point(point.get("center"), "point.center")
    flat = tuple(x for W in center for x in W.entries())
    if "radius" not in point:
        raise InputError("missing: the radius of the enclosure (\"p/q\" > 0)", field="point.radius")
    radius = to_fmpq(parse_exact(point["radius"], "point.radius"))
    if not radius > 0:
        raise InputError("expected a radius > 0", field="point.radius", got=str(radius))
    free = point.get("free")
    N = len(flat)
    if (not isinstance(free, list) or any(isinstance(p, bool) or not isinstance(p, int) for p in free)
            or any(not 0 <= p < N for p in free) or sorted(set(free)) != free):
        raise InputError(f"expected a strictly increasing list of parameter indices in [0, {N})",
                         field="point.free", got=free)
    return Enclosure(flat, radius, tuple(free))


def _index_list(data, length: int, bound: int, name: str) -> list[int]:
    if (not isinstance(data, list) or len(data) != length
            or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < bound for i in data)
            or len(set(data)) != len(data)):
        raise _Rejected(f"{name}: expected {length} distinct indices in [0, {bound})")
    return data


def _flat_weights(problem: Problem, data, name: str) -> list[fmpq]:
    shapes = problem.shapes
    if not isinstance(data, list) or len(data) != len(shapes):
        raise _Rejected(f"{name}: expected {len(shapes)} matrices shaped like the weights")
    out = []
    for k, (M, shape) in enumerate(zip(data, shapes)):
        out.extend(read_matrix(M, f"{name}[{k}]", shape).entries())
    return out


def _box(enc: Enclosure) -> list[arb]:
    free, r = set(enc.free), enc.radius
    return [_hull(c - r, c + r) if p in free else arb(c) for p, c in enumerate(enc.center)]


# --- the check -------------------------------------------------------------------------------------
def check_enclosure(data: dict, problem: Problem, census=None) -> CheckResult:
    """Re-verify an enclosure certificate (parsed JSON) against its embedded ``problem``;
    ``census(evidence, lo, hi)`` decides the ``census`` global evidences (census.py, which
    imports this module: the checker passes it in).

    Raises :class:`InputError` when the enclosure itself is malformed (unusable input);
    returns ``valid=False`` with the reason when it does not establish the claim.
    """
    enc = read_enclosure(data["point"], problem)
    claim = data.get("claim")
    try:
        if claim not in ENCLOSURE_CLAIMS:
            raise _Rejected(f"claim {claim!r} cannot be certified by an enclosure "
                            f"(expected one of {', '.join(ENCLOSURE_CLAIMS)})")
        ev = data.get("evidence")
        if not isinstance(ev, dict) or ev.get("type") != "enclosure":
            raise _Rejected('evidence: expected an object with "type": "enclosure"')
        bits = ev.get("precision_bits")
        if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
            raise _Rejected(f"precision_bits: expected an integer in [{MIN_BITS}, {MAX_BITS}]")
        with flint.ctx.workprec(bits):
            reason = _check(problem, enc, claim, ev, data.get("value"), census)
    except _Rejected as exc:
        return CheckResult(False, str(claim), str(exc))
    except InputError as exc:
        return CheckResult(False, str(claim), f"malformed evidence: {exc}")
    except (LandscapeError, ZeroDivisionError, ArithmeticError) as exc:
        return CheckResult(False, str(claim), f"cannot be checked: {exc}")
    return CheckResult(True, claim, reason)


def enclose_value(problem: Problem, enc: Enclosure, bits: int) -> tuple[fmpq, fmpq]:
    """Exact rationals ``lo <= L(W) <= hi`` for every W in the box (ArithmeticError if the
    enclosure is not finite, or the loss has no interval kernel there)."""
    with flint.ctx.workprec(bits):
        try:
            obj = arb_objective(problem)
            v = obj.value(obj.unflatten(_box(enc)))
            return lower_q(v), upper_q(v)
        except _Rejected as exc:
            raise ArithmeticError(str(exc)) from None


def _check(problem, enc: Enclosure, claim, ev, recorded_value, census) -> str:
    obj = arb_objective(problem)
    F, P = list(enc.free), list(enc.fixed)
    r = enc.radius
    Wc = obj.unflatten(list(enc.center))
    Wb = obj.unflatten(_box(enc))

    # 1. Krawczyk on the slice: a unique zero of g(z) = (grad L)_F (c + S z) in Z = [-r, r]^F
    Hb = obj.hessian(Wb)                       # encloses H(W) for every W in the box
    if F:
        g0 = obj.gradient_vector(Wc)
        krawczyk(_submatrix(Hb, F, F), arb_mat(len(F), 1, [g0[p] for p in F]), r, F,
                 "the box (the root on the slice is degenerate, or the box is too wide)")
    # 2. transversality: rows P of |P| tangent generators form a nonsingular matrix on the box.
    # Every generator is an exact symmetry direction of L at every W (exact/*.orbit_tangent):
    # GL per hidden layer (O with weight decay); for multi-tower also the moves between
    # towers; for symmetric factorization U E, E in so(k), always (its group is O(k)).
    orthogonal = problem.symmetric or problem.weight_decay != 0
    T = Objective(problem).orbit_tangent(Wb, orthogonal=orthogonal)
    gens = _index_list(ev.get("gauge_generators"), len(P), len(T), "gauge_generators")
    if P:
        M = arb_mat(len(P), len(P), [arb(T[g][p]) for p in P for g in gens])
        check_nonsingular_everywhere(M, "gauge matrix T(W)[fixed, generators]")
    group = "O" if orthogonal else "GL"
    if problem.sum_of_towers:
        group += " per tower and between towers"
    where = (f"a critical point lies in the box (radius {show(r)}, {len(F)} free coordinates, "
             f"{'gauge of ' + group + ' transversal' if P else 'no continuous gauge'}; unique on the slice)")

    # the value, over the whole box
    v = obj.value(Wb)
    vlo, vhi = lower_q(v), upper_q(v)
    if recorded_value is not None:
        if not isinstance(recorded_value, dict) or set(recorded_value) != {"lower", "upper"}:
            raise _Rejected('value: expected {"lower": "p/q", "upper": "p/q"} for an enclosure')
        rlo = to_fmpq(parse_exact(recorded_value["lower"], "value.lower"))
        rhi = to_fmpq(parse_exact(recorded_value["upper"], "value.upper"))
        if not (rlo <= vlo and vhi <= rhi):
            raise _Rejected(f"recorded value interval [{show(rlo)}, {show(rhi)}] does not "
                            f"contain the recomputed enclosure [{show(vlo)}, {show(vhi)}]")

    # 3. the kind
    if claim == "strict-saddle":
        v_dir = _flat_weights(problem, ev.get("direction"), "direction")
        u_dir = _flat_weights(problem, ev.get("ascent_direction"), "ascent_direction")
        qv, qu = upper_q(_quadratic_form(Hb, v_dir)), lower_q(_quadratic_form(Hb, u_dir))
        if not qv < 0:
            raise _Rejected(f"direction: v^T H v <= {show(qv)} is not provably negative on the box")
        if not qu > 0:
            raise _Rejected(f"ascent_direction: u^T H u >= {show(qu)} is not provably positive on the box")
        return f"{where}; v^T H v <= {show(qv)} < 0 and u^T H u >= {show(qu)} > 0 on the box"
    if claim in ("local-minimum", "local-maximum", "spurious-local-minimum"):
        sign = -1 if claim == "local-maximum" else 1
        A = _submatrix(Hb, F, F)
        why = check_positive_definite_everywhere(A if sign > 0 else -A,
                                                 "slice Hessian" + (" (negated)" if sign < 0 else ""))
        local = f"{where}; {why}: slice argument"
        if claim != "spurious-local-minimum":
            return local
        return f"{local}; {_check_worse(problem, ev.get('spurious'), vlo)}"
    # global-minimum
    gl = ev.get("global")
    if census and isinstance(gl, dict) and gl.get("type") in ("census", "narrow-census"):
        return f"{where}; {census(gl, vlo, vhi)}"       # W* is critical (above)
    if isinstance(gl, dict) and gl.get("type") == "isolated-critical-value":
        # W* is critical (above) and the critical values are known exactly (critical_values.py)
        if problem.sum_of_towers and problem.weight_decay == 0:  # with decay: two-layer towers
            return (f"{where}; {_towers_on_rank_manifold(problem, obj, Wb, gl)}; "
                    f"{isolate_global_value(problem.X, problem.Y, problem.max_rank, vlo, vhi)}")
        return f"{where}; {isolate_global(problem, vlo, vhi)}"
    return f"{where}; {_check_global(problem, obj, Wb, gl)}"


def _towers_on_rank_manifold(problem, obj, Wb, gl) -> str:
    """Towers whose ranks sum to r: the image of W -> R lies in {rank <= r}; where R(W*) has
    rank r and J_R rank r (d_H + d_0 - r) = dim T M_r, the range of J_R is the tangent space of
    the manifold M_r of rank-r matrices, so grad L = J_R^T vec(grad F) = 0 makes R(W*) critical
    for F(R) = 1/2 ||R X - Y||^2 on M_r (docs/enclosures.md)."""
    if not isinstance(problem.loss, Square) or problem.loss.over_product or problem.Y.nrows() > \
            MAX_DIM or problem.weight_decay != 0 or (problem.X * problem.X.transpose()).det() == 0:
        raise _Rejected("isolated-critical-value for towers needs the square loss of a residual, "
                        f"at most {MAX_DIM} outputs, no weight decay and X X^T invertible")
    r, m, n = problem.max_rank, problem.Y.nrows(), problem.X.nrows()
    picks = [gl.get(k) for k in ("minor_rows", "minor_cols", "jacobian_rows")]
    for name, v, size, top in zip(("minor_rows", "minor_cols", "jacobian_rows"), picks,
                                  (r, r, r * (m + n - r)), (m, n, m * n)):
        if not isinstance(v, list) or len(v) != size or len(set(v)) != size or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < top for i in v):
            raise _Rejected(f"global.{name}: expected {size} distinct indices in [0, {top})")
    R, J = obj.product(Wb), obj.jacobian(Wb, None)
    check_nonsingular_everywhere(arb_mat([[R[i, j] for j in picks[1]] for i in picks[0]]),
                                 f"a {r} x {r} minor of R")
    Js = arb_mat([[J[i, k] for k in range(J.ncols())] for i in picks[2]])
    check_nonsingular_everywhere(Js * Js.transpose(), "J_R J_R^T on the chosen entries")
    return (f"R(W*) has rank {r} and J_R rank {len(picks[2])} = dim T M_{r} on the box: R(W*) "
            f"is a critical point of the square loss on the rank-{r} matrices")


def _check_worse(problem: Problem, sp, vlo: fmpq) -> str:
    """Evidence that L(W*) >= vlo exceeds the global infimum."""
    if not isinstance(sp, dict):
        raise _Rejected("spurious: expected {\"type\": \"better-point\", \"point\": W} or "
                        "{\"type\": \"above-square-optimum\"}")
    kind = sp.get("type")
    if kind == "better-point":
        W2 = _flat_weights(problem, sp.get("point"), "spurious.point")
        exact = Objective(problem)
        v2 = exact.value(exact.unflatten(W2))
        if not v2 < vlo:
            raise _Rejected(f"better point has value {show(v2)}, not below the lower bound {show(vlo)}")
        return f"an exact point has value {show(v2)} < {show(vlo)} <= L(W*)"
    if kind == "below-critical-value":  # kernel/critical_values.py, below=True
        return isolate_global(problem, vlo, vlo, below=True)
    if kind == "above-square-optimum":
        if problem.symmetric:
            # the closed form optimises over all matrices of rank <= r; U U^T ranges over the
            # PSD ones only, whose optimum is in general larger (docs/families.md)
            raise _Rejected("above-square-optimum is not valid for symmetric factorization: the "
                            "closed form is the optimum over all matrices, not PSD ones")
        if not isinstance(problem.loss, Square) or problem.weight_decay != 0:
            raise _Rejected("above-square-optimum needs the square loss without weight decay")
        s = compare_with_square_optimum(problem.X, problem.Y, problem.max_rank, vlo)
        if s != 1:
            raise _Rejected(f"the lower bound {show(vlo)} of the value is not provably above the "
                            "closed-form optimum")
        return f"L(W*) >= {show(vlo)} > the closed-form optimum (rank <= {problem.max_rank})"
    raise _Rejected(f"spurious: unknown type {kind!r}")


def _check_global(problem, obj, Wb, gl) -> str:
    """A convex loss, and a zero function-space gradient (or, for U U^T, a PSD one) at W*."""
    if not isinstance(gl, dict):
        raise _Rejected('global: expected an object, e.g. {"type": "convex-stationary", ...}')
    loss = problem.loss
    if loss.convex_proven(*problem.loss_argument_shape) is not True:
        raise _Rejected("the loss is not proven convex (a declared fact is not a proof)")
    if problem.symmetric:
        return _check_global_psd(problem, obj, Wb, gl)
    if gl.get("type") == "nuclear-dual-bound":
        return _check_nuclear_dual(problem, obj, Wb, gl)
    if gl.get("type") != "convex-stationary":
        raise _Rejected('global: expected {"type": "convex-stationary", ...}')
    if problem.weight_decay != 0:
        raise _Rejected("weight decay breaks the function-space argument")
    if problem.sum_of_towers:
        # grad L = J_R^T vec(G) (chain rule, J_R = d vec(R)/dW): J_R of full row rank forces
        # G(W*) = 0; then F(R*) <= F(R') for every matrix R', and L(W') = F(R(W')) >= L(W*)
        J = obj.jacobian(Wb, None)
        check_nonsingular_everywhere(J * J.transpose(), "J_R J_R^T")
        return ("the product map W -> R is a submersion on the box (J_R J_R^T nonsingular), so "
                "grad L = J_R^T vec(G) = 0 forces the function-space gradient G(W*) = 0; convex "
                "loss: R(W*) minimises the loss over all matrices")
    if problem.has_bottleneck:
        raise _Rejected(f"bottleneck: min width {problem.max_rank} < min(d_0, d_H): the "
                        "product cannot reach every matrix")
    k = gl.get("layer")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= problem.depth:
        raise _Rejected(f"global.layer: expected an integer in [1, {problem.depth}]")
    A, B = obj.parts[0].above(Wb)[k - 1], obj.parts[0].below(Wb)[k - 1]
    # dL/dW_k = A_k^T G B_k^T = 0 with A_k of rank d_H and B_k of rank d_0 forces G = 0
    check_nonsingular_everywhere(A * A.transpose(), f"A_{k} A_{k}^T")
    check_nonsingular_everywhere(B.transpose() * B, f"B_{k}^T B_{k}")
    return (f"the products above and below layer {k} (A_{k}, B_{k}) have ranks d_H and d_0 on "
            "the box, so dL/dW_k = A_k^T G B_k^T = 0 forces the function-space gradient "
            "G(W*) = 0; convex loss, no bottleneck: W_H...W_1 minimises the loss over all "
            "matrices")


def _check_nuclear_dual(problem: Problem, obj, Wb, gl) -> str:
    """The ball version of ``nuclear-dual-bound`` (checker.py: ``N_u = D_alpha_u - G^T
    D_beta_u^-1 G >= 0`` for every hidden unit u of every tower ``B A`` at a critical W* proves
    it global; G = dF/dR (N is even in G), a smooth convex loss; alpha_u, beta_u the decays of row u of A and
    column u of B).  At W* ``D_alpha_u a_u = G^T b_u`` and ``D_beta_u b_u = G a_u`` (a_u, b_u
    row u of A and column u of B, as columns), so ``N_u a_u = 0``; the units with the same
    decays share one N.  If ``N + c sum a_u a_u^T`` over them is positive definite on the box
    (c > 0), then for ``x = x1 + x2`` (x1 in the span of those a_u, x2 orthogonal to it)
    ``x^T N x = x2^T (N + c sum a_u a_u^T) x2 >= 0`` at W*: ``N >= 0``, the exact condition."""
    c, towers = to_fmpq(parse_exact(gl.get("shift"), "global.shift")), problem.tower_decays()
    if towers is None or not c > 0:
        raise _Rejected("nuclear-dual-bound needs towers of 1 or 2 layers, a decay > 0 and a shift c > 0")
    G, N = obj._G(obj.loss_argument(Wb)), {}    # N per decays: D_alpha - G^T D_beta^-1 G + c sum a a^T
    for ia, ib in (t for t in towers if t[1] is not None):   # one-layer towers: alpha o C* = G*
        dA, dB, A = problem.decay_block(ia), problem.decay_block(ib), Wb[ia]
        for u, da, db in ((u, tuple(dA[u]), tuple(r[u] for r in dB)) for u in range(A.nrows())):
            a = arb_mat(1, A.ncols(), [A[u, j] for j in range(A.ncols())])
            base = arb_mat([[x * (i == j) for j in range(len(da))] for i, x in enumerate(da)]) - G.transpose() * arb_mat(
                [[G[k, j] / x for j in range(G.ncols())] for k, x in enumerate(db)])       # D_alpha - G^T D_beta^-1 G
            N[da, db] = N.get((da, db), base) + a.transpose() * a * arb(c)
    for M in N.values():
        check_positive_definite_everywhere(M, f"D_alpha - G^T D_beta^-1 G + {show(c)} sum a_u a_u^T")
    return ("D_alpha - G^T D_beta^-1 G + c sum a_u a_u^T positive definite on the box for each hidden unit's decays: at "
            "W*, ||D_beta^-1/2 (dF/dR) D_alpha^-1/2||_2 <= 1 (it vanishes on each a_u): L >= L(W*) (nuclear-norm duality)")


def _check_global_psd(problem: Problem, obj, Wb, gl) -> str:
    """``f(R) = l(R - Y) + lam/2 tr R`` (or ``l(R) + ...``) is convex, ``L(U) = f(U U^T)``.

    With ``S = (G + G^T)/2 + lam/2 I`` (the symmetric part of ``grad f``): at the critical
    point ``0 = dL/dU = 2 S U``, so ``S`` vanishes on range(U).  If ``S + c U U^T`` is
    positive definite (c > 0), then for ``x = x1 + x2`` (x1 in range(U), x2 orthogonal to it)
    ``x^T S x = x2^T (S + c U U^T) x2 >= 0``: ``S >= 0``.  For every PSD ``R``:
    ``f(R) >= f(R*) + <S, R> - <S, R*> = f(R*) + <S, R> >= f(R*)`` (``<S, R*> = tr(U^T S U)
    = 0``), so ``L(U') = f(U' U'^T) >= f(R*) = L(U*)`` for every U' of any width.
    """
    if gl.get("type") != "psd-cone-optimality":
        raise _Rejected('global: expected {"type": "psd-cone-optimality", "shift": "c"} for '
                        "symmetric factorization")
    c = to_fmpq(parse_exact(gl.get("shift"), "global.shift"))
    if not c > 0:
        raise _Rejected(f"global.shift: expected a rational c > 0, got {show(c)}")
    U, G = Wb[0], obj.function_gradient(Wb)
    lam = to_fmpq(problem.weight_decay)
    S = (G + G.transpose()) * fmpq(1, 2) + arb_mat(identity(problem.shapes[0][0])) * arb(lam / 2)
    why = check_positive_definite_everywhere(S + U * U.transpose() * arb(c),
                                             f"(G + G^T)/2 + lam/2 I + {show(c)} U U^T")
    return (f"{why}; with (G + G^T + lam I) U = 0 at W*, the symmetric part of the gradient of "
            "the convex f(R) = l(R) + lam/2 tr R is PSD and vanishes on R*: R* = U* U*^T "
            "minimises f over all PSD matrices")


__all__ = ["ArbDeepLinear", "ArbMultiTower", "ArbSymmetricFactorization", "ENCLOSURE_CLAIMS",
           "arb_objective", "Enclosure",
           "check_enclosure", "check_nonsingular_everywhere", "check_positive_definite_everywhere",
           "enclose_value", "is_enclosure_point", "lower_q", "read_enclosure", "upper_q"]
