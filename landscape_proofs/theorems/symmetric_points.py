"""Exact candidate points of a symmetric-factorization problem ``l(U U^T) + lam/2 ||U||^2``, their
classification, and an exact global-optimality test over the PSD cone (a producer).

Candidates (all rational):

* **the given point**, and **the origin** (always critical: the gradient ``(G + G^T) U + lam U``
  vanishes at ``U = 0``);
* **closed form (square loss).**  With ``M = (Y + Y^T)/2 - lam/2 I`` the gradient is
  ``2 (U U^T - M) U``, so ``R = M P`` is a critical product whenever ``P`` is the orthogonal
  projector onto an ``M``-invariant subspace and ``M P`` is PSD of rank ``<= k``: any ``U`` with
  ``U U^T = R`` has ``col(U) = col(R)`` inside ``range(P)``, where ``M`` and ``R`` agree.  The
  invariant subspaces ``ker f(M)`` of the irreducible factors ``f`` of the characteristic
  polynomial are rational, so ``R`` is rational; it is factored as ``U U^T`` exactly when
  :func:`psd_factor` succeeds (the pivots of its ``L D L^T`` decomposition are rational squares);
* **descent.**  Multi-start float descent (:mod:`landscape_proofs.numeric.descent`); each limit's
  product ``U U^T`` is rounded with small denominators and factored exactly (the float ``U``
  drifts along its ``O(k)`` orbit and rarely rounds to a critical point), and the raw ``U`` is
  rounded as well.

Every candidate is classified by :func:`landscape_proofs.produce.classify.classify`, whose certificates
the checker re-verifies.  :func:`psd_cone_optimality` decides exactly whether ``R = U U^T``
minimises ``phi(Z) = l(Z) + lam/2 tr Z`` over *all* PSD matrices (``tr(U U^T) = ||U||^2``), for a
loss proven convex: then ``U`` is a global minimum of ``l(U U^T) + lam/2 ||U||^2`` whatever ``k``.
The checker has no evidence type for that argument (yet); the theorem test reports it as exact
producer-side evidence, never as a certificate.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import flint

from landscape_proofs.kernel.linalg import identity, inertia, matrix, rank, zeros
from landscape_proofs.kernel.numbers import format_exact, to_fmpq
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.theorems import facts
from landscape_proofs.produce.candidates import (Candidate, CheckBudget, ClassifiedPoint, _describe_factor, _projector_onto,
                       _rationalize_matrix, classify_candidates, dedupe, descent_limits,
                       invariant_pieces)

Q = flint.fmpq


# --- exact factorization R = U U^T ----------------------------------------------------------
_SQUARES_LIMIT = {2: 10**8, 3: 10**5, 4: 10**4}  # search sizes (the loops stop at the first hit)


def _int_squares(N: int, m: int) -> list[int] | None:
    """m nonnegative integers whose squares sum to N (largest first), or None."""
    if m == 1:
        r = math.isqrt(N)
        return [r] if r * r == N else None
    for a in range(math.isqrt(N), -1, -1):
        rest = _int_squares(N - a * a, m - 1)
        if rest is not None:
            return [a] + rest
    return None


def rational_squares(q: flint.fmpq, m_max: int) -> list[flint.fmpq] | None:
    """Fewest rationals (at most ``m_max``) whose squares sum to ``q >= 0``, or None.

    ``p/d = (p d) / d^2``, so it is enough to write the integer ``p d`` as a sum of squares;
    every positive rational is a sum of four (Lagrange), but the search is capped in size.

    >>> rational_squares(flint.fmpq(3, 4), 4)
    [1/2, 1/2, 1/2]
    >>> rational_squares(flint.fmpq(2), 1) is None
    True
    """
    if q < 0:
        return None
    p, d = int(q.p), int(q.q)
    N = p * d
    for m in range(1, min(m_max, 4) + 1):
        if m > 1 and N > _SQUARES_LIMIT[m]:
            break
        ints = _int_squares(N, m)
        if ints is not None:
            return [Q(a, d) for a in ints]
    return None


def rational_sqrt(q: flint.fmpq) -> flint.fmpq | None:
    """The nonnegative rational square root of ``q``, or None when ``q`` is not a rational square.

    >>> rational_sqrt(flint.fmpq(9, 4)), rational_sqrt(flint.fmpq(2))
    (3/2, None)
    """
    r = rational_squares(q, 1)
    return None if r is None else r[0]


def psd_factor(R: flint.fmpq_mat, k: int) -> flint.fmpq_mat | None:
    """A rational ``n x k`` matrix ``U`` with ``U U^T = R`` exactly, or None.

    Symmetric Gaussian elimination writes ``R = sum_i d_i l_i l_i^T`` (pivots that are rational
    squares first); each ``d_i l_i l_i^T`` becomes the columns ``s_ij l_i`` with
    ``sum_j s_ij^2 = d_i`` (one column when ``d_i`` is a square; spare columns, when ``k`` exceeds
    the rank, allow a sum of up to four squares).  None when ``R`` is not symmetric, not PSD (a
    negative pivot, or a zero pivot with a nonzero row), or no such split into ``k`` columns was
    found.  The result is compared with ``R`` exactly before it is returned.

    >>> psd_factor(matrix([[1, 1], [1, 5]]), 2)
    [1, 0]
    [1, 2]
    >>> psd_factor(matrix([[2, 0], [0, 0]]), 1) is None   # sqrt(2) is irrational
    True
    >>> psd_factor(matrix([[2, 0], [0, 0]]), 2)           # 2 = 1^2 + 1^2
    [1, 1]
    [0, 0]
    """
    n = R.nrows()
    if R.ncols() != n or R.transpose() != R:
        return None
    A = flint.fmpq_mat(R)
    terms = []
    for _ in range(n):
        diag = [i for i in range(n) if A[i, i] != 0]
        if any(A[i, i] < 0 for i in diag):
            return None
        if not diag:
            break
        i = next((i for i in diag if rational_sqrt(A[i, i]) is not None), diag[0])
        d = A[i, i]
        col = [A[j, i] / d for j in range(n)]
        terms.append((d, col))
        for a in range(n):
            for b in range(n):
                A[a, b] -= d * col[a] * col[b]
    if any(x != 0 for x in A.entries()) or len(terms) > k:
        return None  # a zero pivot with a nonzero row (not PSD), or rank > k
    columns, spare = [], k - len(terms)
    for d, col in terms:
        roots = rational_squares(d, 1 + spare)
        if roots is None:
            return None
        spare -= len(roots) - 1
        columns += [[s * x for x in col] for s in roots]
    U = zeros(n, k)
    for c, col in enumerate(columns):
        for a in range(n):
            U[a, c] = col[a]
    return U if U * U.transpose() == R else None


# --- candidates ---------------------------------------------------------------------------------
def closed_form_symmetric_candidates(problem, budget: CheckBudget) -> list[Candidate]:
    """Square loss: ``R = M P`` over invariant subspaces of ``M = sym(Y) - lam/2 I`` (see module doc)."""
    if not problem.loss.square_like:
        return []
    Y = matrix(problem.Y)
    n, k = problem.n, problem.k
    M = (Y + Y.transpose()) * Q(1, 2) - identity(n) * (to_fmpq(problem.weight_decay) / 2)
    pieces = invariant_pieces(M)
    out = []
    subsets = [combo for size in range(1, len(pieces) + 1)
               for combo in itertools.combinations(range(len(pieces)), size)
               if sum(len(pieces[i].basis) for i in combo) <= k]
    for combo in subsets[: budget.max_subsets]:
        R = M * _projector_onto([list(v) for i in combo for v in pieces[i].basis])
        if inertia(R).negative:
            continue  # a kept eigenvalue is negative: U U^T cannot equal M P
        U = psd_factor(R, k)
        if U is None:
            continue
        kept = ", ".join(_describe_factor(pieces[i].factor) for i in combo)
        out.append(Candidate(f"closed form: keep eigenvalues of sym(Y) - lam/2 I {{{kept}}}",
                             (U,), "closed-form"))
    return out


def descent_symmetric_candidates(problem, budget: CheckBudget) -> list[Candidate]:
    """Rounded limits of multi-start float descent: the product factored exactly, and raw ``U``."""
    import numpy as np

    out = []
    for m, Ws in descent_limits(problem, budget):
        Uf = Ws[0]
        Rf = Uf @ Uf.T
        scale = max(1.0, float(np.max(np.abs(Rf))))
        for den in (1, 2, 3, 4, 6, 12, 60):
            R = _rationalize_matrix(Rf, den)
            R = (R + R.transpose()) * Q(1, 2)
            if max(abs(float(R[i, j]) - Rf[i, j]) for i in range(problem.n)
                   for j in range(problem.n)) <= 1e-6 * scale:
                U = psd_factor(R, problem.k)
                if U is not None:
                    out.append(Candidate(f"descent #{m}: product rounded (denominators <= {den}) "
                                         "and factored exactly", (U,), "descent"))
                break
        out.append(Candidate(f"descent #{m}: U rounded (denominators <= 1000)",
                             (_rationalize_matrix(Uf, 1000),), "descent"))
    return out


def symmetric_candidates(problem, budget: CheckBudget, point=None, *,
                         descent: bool = True) -> list[Candidate]:
    """The given point, closed-form points (square loss), the origin, descent limits; deduplicated."""
    out = []
    if point is not None:
        out.append(Candidate("the given point", tuple(exact_weights(point)), "given"))
    out += closed_form_symmetric_candidates(problem, budget)
    out.append(Candidate("origin", (zeros(problem.n, problem.k),), "origin"))
    if descent:
        out += descent_symmetric_candidates(problem, budget)
    return dedupe(out)


def classified_symmetric_points(problem, budget: CheckBudget, point=None, *,
                                descent: bool = True) -> list[ClassifiedPoint]:
    """Classify the candidates exactly; ``product_rank`` is rank(U U^T) = rank(U)."""
    return classify_candidates(problem, symmetric_candidates(problem, budget, point,
                                                             descent=descent),
                               budget, rank_of=lambda weights: rank(weights[0]))


# --- global optimality over the PSD cone --------------------------------------------------------
@dataclass(frozen=True)
class PsdOptimality:
    """Whether ``R = U U^T`` minimises ``phi(Z) = l(Z) + lam/2 tr Z`` over the PSD cone.

    ``holds`` is True (proven: the point is a global minimum of ``l(U U^T) + lam/2 ||U||^2``),
    False (the optimality conditions fail) or None (not decidable here: the loss is not proven
    convex, or not differentiable at the point).  ``detail`` gives the numbers.
    """

    holds: bool | None
    detail: str


def psd_cone_optimality(problem, weights) -> PsdOptimality:
    """Decide the optimality conditions of ``min phi(Z)`` over PSD ``Z`` at ``R = U U^T``, exactly.

    With ``S = sym(dl/dZ) + lam/2 I`` (the gradient of ``phi`` at ``R``, symmetrised): if ``l`` is
    convex and differentiable at ``R``, ``S >= 0`` and ``<S, R> = 0``, then for every PSD ``Z``,
    ``phi(Z) >= phi(R) + <S, Z - R> = phi(R) + <S, Z> >= phi(R)``; every ``U'`` gives a PSD
    ``U' U'^T``, so ``U`` is a global minimum.  (For convex differentiable ``l`` the conditions
    are also necessary for ``R`` to minimise ``phi`` over the cone.)

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "symmetric-factorization", "shape": [2, 2],
    ...                        "Y": [[1, 0], [0, -1]], "loss": "square"})
    >>> psd_cone_optimality(p, [matrix([[1, 0], [0, 0]])]).holds
    True
    """
    conv = facts.loss_convex(problem)
    if conv.holds is not True or conv.declared:
        return PsdOptimality(None, f"l is not proven convex ({conv.detail})")
    obj = exact_objective(problem)
    W = list(weights)
    E = obj.loss_argument(W)
    if not problem.loss.is_smooth_at(E):
        return PsdOptimality(None, "l is not differentiable at this point")
    G = obj.function_gradient(W)
    n = problem.n
    S = (G + G.transpose()) * Q(1, 2) + identity(n) * (to_fmpq(problem.weight_decay) / 2)
    R = obj.product(W)
    ine = inertia(S)
    pairing = sum((S[i, j] * R[i, j] for i in range(n) for j in range(n)), Q(0))
    what = "S = sym(dl/dZ) + lam/2 I"
    if ine.negative:
        return PsdOptimality(False, f"{what} has {ine.negative} negative eigenvalue(s): R = U U^T "
                             "does not minimise l over the PSD cone")
    if pairing != 0:
        return PsdOptimality(False, f"<S, U U^T> = {format_exact(pairing)} != 0")
    return PsdOptimality(True, f"l is convex ({conv.detail}); {what} is PSD (inertia "
                         f"{ine.as_tuple()}) and <S, U U^T> = 0, so U U^T minimises "
                         "l(Z) + lam/2 tr Z over all PSD Z: a global minimum")
