"""The exact global solution of min 1/2 ||R X - Y||_F^2 over rank(R) <= r.

Reduced-rank regression plus Eckart-Young (docs/certificates.md):
with P the orthogonal projector onto the row space of X and M = (Y P)(Y P)^T,

    optimum = 1/2 ( ||Y (I - P)||^2 + sum of the d_H - r smallest eigenvalues of M ),

attained by R* = Pi Y X^+, Pi the orthogonal projector onto an M-invariant subspace spanned
by eigenvectors of the r largest eigenvalues (then R* X = Pi Y P, the truncated SVD of Y P).

Everything is rational.  The eigenvalues are roots of the irreducible factors of the
characteristic polynomial of M.  When every irreducible factor has all its roots counted
the same number of times among the r largest (always true when the eigenvalues are
rational, and whenever no irrational conjugates straddle the cut), the optimum is rational
and so is a minimizer: ker f(M) for a factor f taken whole, or cyclic subspaces
span{v, M v, ..., M^(deg f - 1) v} (v in ker f(M)) for a factor taken t times, each of which
holds one eigenvector per root of f.  Otherwise the optimum is irrational; it is returned
as a rational enclosure and no minimizer is given.
"""
from __future__ import annotations

from dataclasses import dataclass

import flint

from landscape_proofs.kernel.algebraic import _separate, isolate_real_roots
from landscape_proofs.kernel.linalg import Matrix, frobenius_sq, identity, matrix, nullspace, rank, zeros
from landscape_proofs.kernel.optimum import row_space_projector

Q = flint.fmpq


def rank_factorization(C: Matrix) -> tuple[Matrix, Matrix]:
    """(P, F) with C = P F, P of full column rank q = rank C (the pivot columns of C) and
    F of full row rank (the nonzero rows of the RREF of C).

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> P, F = rank_factorization(matrix([[1, 2], [2, 4]]))
    >>> (P.nrows(), P.ncols(), F.nrows(), F.ncols()), P * F == matrix([[1, 2], [2, 4]])
    ((2, 1, 1, 2), True)
    """
    m, n = C.nrows(), C.ncols()
    if m == 0 or n == 0:
        return flint.fmpq_mat(m, 0), flint.fmpq_mat(0, n)
    R, q = C.rref()
    pivots = []
    for i in range(q):
        for j in range(n):
            if R[i, j] != 0:
                pivots.append(j)
                break
    P = flint.fmpq_mat(m, q, [C[i, j] for i in range(m) for j in pivots])
    F = flint.fmpq_mat(q, n, [R[i, j] for i in range(q) for j in range(n)])
    return P, F


def pseudo_inverse(X: Matrix) -> Matrix:
    """The Moore-Penrose pseudo-inverse over Q: X = P F gives X^+ = F^T (F F^T)^-1 (P^T P)^-1 P^T."""
    P, F = rank_factorization(X)
    if P.ncols() == 0:
        return zeros(X.ncols(), X.nrows())
    return F.transpose() * (F * F.transpose()).inv() * (P.transpose() * P).inv() * P.transpose()


def _poly_at_matrix(f, M: Matrix) -> Matrix:
    """f(M) by Horner's rule (f an fmpq_poly)."""
    co = f.coeffs()
    n = M.nrows()
    out = zeros(n, n)
    for c in reversed(co):
        out = out * M + identity(n) * c
    return out


def _orthogonal_projector(vectors: list[list[Q]], n: int) -> Matrix:
    if not vectors:
        return zeros(n, n)
    B = flint.fmpq_mat(n, len(vectors), [vectors[j][i] for i in range(n) for j in range(len(vectors))])
    return B * (B.transpose() * B).inv() * B.transpose()


@dataclass(frozen=True)
class SquareOptimum:
    """The optimum of 1/2 ||R X - Y||^2 over rank(R) <= r.

    ``lower <= optimum <= upper`` always; ``exact`` is the optimum when it is rational
    (then lower == upper == exact); ``minimizer`` is an exact R* of rank <= r attaining it,
    given whenever the optimum is rational.
    """

    rank_bound: int
    lower: Q
    upper: Q
    exact: Q | None
    minimizer: Matrix | None


def square_optimum(X: Matrix, Y: Matrix, r: int, width=Q(1, 10**12), max_rounds: int = 400) -> SquareOptimum:
    """The exact optimum (or a rational enclosure of width <= ``width``) and a minimizer.

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> opt = square_optimum(identity(3), matrix([[5, 0, 0], [0, 3, 0], [0, 0, 1]]), 1)
    >>> opt.exact, opt.minimizer == matrix([[5, 0, 0], [0, 0, 0], [0, 0, 0]])
    (5, True)
    """
    P = row_space_projector(X)
    YP = Y * P
    base = frobenius_sq(Y - YP) / 2
    M = YP * YP.transpose()
    d = M.nrows()
    k_small = max(d - r, 0)
    k_top = d - k_small
    _, factors = M.charpoly().factor()
    roots = []
    mult = []
    for idx, (f, m) in enumerate(factors):
        mult.append(m)
        roots.extend(isolate_real_roots(f, idx))
    roots = _separate(roots)
    # count, for each isolated root, how many copies are among the k_small smallest
    small = {}
    left = k_small
    for root in roots:
        t = min(left, mult[root.factor_index])
        small[id(root)] = t
        left -= t
    per_factor: dict[int, set] = {}
    for root in roots:
        per_factor.setdefault(root.factor_index, set()).add(small[id(root)])
    if all(len(v) == 1 for v in per_factor.values()):
        tail = Q(0)
        for idx, v in per_factor.items():
            co = factors[idx][0].coeffs()
            tail += next(iter(v)) * (-co[-2] / co[-1])
        value = base + tail / 2
        Rstar = _minimizer(X, Y, M, factors, per_factor, mult, k_top)
        return SquareOptimum(r, value, value, value, Rstar)
    chosen = [(root, small[id(root)]) for root in roots if small[id(root)]]
    for _ in range(max_rounds):
        lo = sum((t * root.lo for root, t in chosen), Q(0))
        hi = sum((t * root.hi for root, t in chosen), Q(0))
        if hi - lo <= 2 * width:
            break
        for root, _t in chosen:
            root.bisect()
    lo = sum((t * root.lo for root, t in chosen), Q(0))
    hi = sum((t * root.hi for root, t in chosen), Q(0))
    return SquareOptimum(r, base + lo / 2, base + hi / 2, None, None)


def _minimizer(X, Y, M, factors, per_factor, mult, k_top) -> Matrix:
    """Pi Y X^+ with Pi the projector onto a rational M-invariant subspace holding the top
    k_top eigenvalues (each factor's roots taken the same number of times)."""
    d = M.nrows()
    basis: list[list[Q]] = []
    for idx, counts in per_factor.items():
        f, m = factors[idx]
        t_top = m - next(iter(counts))
        if t_top == 0:
            continue
        K = nullspace(_poly_at_matrix(f, M))          # sum of the eigenspaces of f's roots
        if t_top == m:
            basis.extend(K)
            continue
        deg = f.degree()
        span: list[list[Q]] = []
        for v in K:
            if len(span) == t_top * deg:
                break
            trial = span + [v]
            if _rank_of(trial, d) < len(trial):
                continue
            w = v
            block = [v]
            for _ in range(deg - 1):
                w = [sum((M[i, j] * w[j] for j in range(d)), Q(0)) for i in range(d)]
                block.append(w)
            span.extend(block)
        basis.extend(span)
    if len(basis) != k_top or (basis and _rank_of(basis, d) != k_top):  # pragma: no cover
        raise ArithmeticError("rank-constrained minimizer: the invariant subspace has the wrong "
                              "dimension")
    Pi = _orthogonal_projector(basis, d)
    return Pi * Y * pseudo_inverse(X)


def _rank_of(vectors: list[list[Q]], n: int) -> int:
    return rank(flint.fmpq_mat(len(vectors), n, [x for v in vectors for x in v]))


def sigma_matrix(problem):
    """Sigma = Y X^T (X X^T)^{-1} X Y^T (d_H x d_H), exactly; None when X X^T is singular."""
    if problem.Y is None:
        return None
    X, Y = matrix(problem.X), matrix(problem.Y)
    XXt = X * X.transpose()
    if rank(XXt) < XXt.nrows():
        return None
    YXt = Y * X.transpose()
    return YXt * XXt.inv() * YXt.transpose()
