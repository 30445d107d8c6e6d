"""Exact linear algebra over Q on FLINT matrices (``flint.fmpq_mat``).

Everything here is exact; no float ever enters.  Symmetric inertia is computed from the
characteristic polynomial: a real symmetric matrix has only real eigenvalues, so
Descartes' rule of signs counts the positive roots of ``p(x)`` and of ``p(-x)`` *exactly*,
and the multiplicity of the root 0 is the order of ``p`` at 0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import flint

from landscape_proofs.kernel.numbers import to_fmpq

Matrix = flint.fmpq_mat


def matrix(rows: Sequence[Sequence[object]]) -> Matrix:
    """Build an ``fmpq_mat`` from a list of rows of exact rationals."""
    rows = [list(r) for r in rows]
    m = len(rows)
    n = len(rows[0]) if m else 0
    return flint.fmpq_mat(m, n, [to_fmpq(x) for r in rows for x in r])


def zeros(m: int, n: int) -> Matrix:
    return flint.fmpq_mat(m, n)


def identity(n: int) -> Matrix:
    return flint.fmpq_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])


def split_vector(v: Sequence[object], shapes: Sequence[tuple[int, int]]) -> list[Matrix]:
    """Cut a flat parameter vector into matrices of the given shapes, each row-major."""
    out, off = [], 0
    for r, c in shapes:
        out.append(flint.fmpq_mat(r, c, [to_fmpq(x) for x in v[off:off + r * c]]))
        off += r * c
    return out


def frobenius_sq(M: Matrix) -> flint.fmpq:
    """Sum of squared entries."""
    return sum((x * x for x in M.entries()), flint.fmpq(0))


def inner(A: Matrix, B: Matrix) -> flint.fmpq:
    """Frobenius inner product <A, B> = sum_ij A_ij B_ij."""
    return sum((a * b for a, b in zip(A.entries(), B.entries())), flint.fmpq(0))


def rank(M: Matrix) -> int:
    if M.nrows() == 0 or M.ncols() == 0:
        return 0
    return M.rank()


def _pivots(R: Matrix, r: int) -> list[int]:
    """The pivot columns of the first ``r`` rows of a reduced row echelon form ``R``."""
    return [next(j for j in range(R.ncols()) if R[i, j] != 0) for i in range(r)]


def nullspace(M: Matrix) -> list[list[flint.fmpq]]:
    """A basis of {v : M v = 0}, exactly, from the reduced row echelon form."""
    n = M.ncols()
    if M.nrows() == 0:
        return [[flint.fmpq(int(i == j)) for i in range(n)] for j in range(n)]
    R, r = M.rref()
    pivots = _pivots(R, r)
    free = [j for j in range(n) if j not in set(pivots)]
    basis = []
    for f in free:
        v = [flint.fmpq(0)] * n
        v[f] = flint.fmpq(1)
        for i, p in enumerate(pivots):
            v[p] = -R[i, f]
        basis.append(v)
    return basis


def row_space_basis(M: Matrix) -> Matrix:
    """The nonzero rows of the reduced row echelon form (a basis of the row space)."""
    R, r = M.rref()
    return flint.fmpq_mat(r, M.ncols(), [R[i, j] for i in range(r) for j in range(M.ncols())])


def quadratic_form(M: Matrix, v: Sequence[object]) -> flint.fmpq:
    """v^T M v, exactly."""
    col = flint.fmpq_mat(len(v), 1, [to_fmpq(x) for x in v])
    return (col.transpose() * M * col)[0, 0]


@dataclass(frozen=True)
class Inertia:
    """Numbers of positive, negative and zero eigenvalues of a symmetric matrix."""

    positive: int
    negative: int
    zero: int

    @property
    def is_pd(self) -> bool:
        return self.negative == 0 and self.zero == 0

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.positive, self.negative, self.zero)


def _sign_changes(coeffs: Iterable[flint.fmpq]) -> int:
    signs = [1 if c > 0 else -1 for c in coeffs if c != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def is_symmetric(M: Matrix) -> bool:
    return M.nrows() == M.ncols() and M == M.transpose()


def _charpoly_inertia(M: Matrix) -> Inertia:
    """Descartes' rule of signs on the characteristic polynomial (exact for real roots)."""
    n = M.nrows()
    coeffs = M.charpoly().coeffs()  # ascending powers, length n + 1
    zero = 0
    while zero < len(coeffs) and coeffs[zero] == 0:
        zero += 1
    rest = coeffs[zero:]
    positive = _sign_changes(rest)
    negative = _sign_changes([c if (k % 2 == 0) else -c for k, c in enumerate(rest)])
    if positive + negative + zero != n:  # cannot happen for a symmetric matrix
        raise ArithmeticError("Descartes counts do not add up; matrix not symmetric?")
    return Inertia(positive, negative, zero)


def inertia(M: Matrix) -> Inertia:
    """Exact inertia of a rational symmetric matrix.

    The kernel is split off first: with R = rref(M), pivot columns P and free columns F,
    the nullspace basis K of :func:`nullspace` is the identity on F, so B = [K | e_P] is
    invertible and B^T M B = diag(0, M[P, P]) (M K = 0).  By Sylvester's law of inertia,
    inertia(M) = inertia(M[P, P]) + (0, 0, |F|); M[P, P] is nonsingular and usually much
    smaller at critical points, whose Hessian kernel contains the symmetry orbit.  Its
    inertia comes from Descartes' rule on its characteristic polynomial.

    >>> inertia(matrix([[0, -2], [-2, 0]])).as_tuple()
    (1, 1, 0)
    >>> inertia(matrix([[1, 1], [1, 1]])).as_tuple()
    (1, 0, 1)
    """
    if not is_symmetric(M):
        raise ValueError("inertia needs a symmetric matrix")
    n = M.nrows()
    if n == 0:
        return Inertia(0, 0, 0)
    R, r = M.rref()
    if r == n:
        return _charpoly_inertia(M)
    if r == 0:
        return Inertia(0, 0, n)
    pivots = _pivots(R, r)
    sub = flint.fmpq_mat(r, r, [M[i, j] for i in pivots for j in pivots])
    core = _charpoly_inertia(sub)
    if core.zero:  # cannot happen: M[P, P] is nonsingular when M is symmetric
        raise ArithmeticError("principal block on the pivot columns is singular")
    return Inertia(core.positive, core.negative, n - r)


def negative_direction(M: Matrix) -> list[flint.fmpq] | None:
    """A rational v with v^T M v < 0, or None when M is positive semidefinite.

    Symmetric Gaussian elimination (LDL^T with pivoting by congruence) over Q: a negative
    pivot, or a 2x2 block with zero diagonal and nonzero off-diagonal, yields v directly.
    """
    n = M.nrows()
    A = [[M[i, j] for j in range(n)] for i in range(n)]
    # T tracks the congruence: current A = T^T M T restricted to remaining indices;
    # we keep basis vectors as columns of T (rows of Tt for convenience).
    basis = [[flint.fmpq(int(i == j)) for i in range(n)] for j in range(n)]
    active = list(range(n))
    while active:
        # diagonal pivot
        piv = None
        for i in active:
            if A[i][i] < 0:
                return basis[i]
            if A[i][i] > 0 and piv is None:
                piv = i
        if piv is None:
            # all active diagonals zero: a nonzero off-diagonal gives negative curvature
            for i in active:
                for j in active:
                    if i != j and A[i][j] != 0:
                        # (e_i - s e_j)^T A (e_i - s e_j) = -2 s A_ij with s = sign(A_ij)
                        s = 1 if A[i][j] > 0 else -1
                        return [bi - s * bj for bi, bj in zip(basis[i], basis[j])]
            return None  # remaining block is zero: PSD
        p = A[piv][piv]
        rest = [i for i in active if i != piv]
        for i in rest:
            f = A[i][piv] / p
            if f == 0:
                continue
            for j in active:
                A[i][j] -= f * A[piv][j]
            for j in active:
                A[j][i] = A[i][j] if j != piv else A[j][i]
            A[i][piv] = flint.fmpq(0)
            A[piv][i] = flint.fmpq(0)
            basis[i] = [bi - f * bp for bi, bp in zip(basis[i], basis[piv])]
        # re-symmetrize the active block
        for i in rest:
            for j in rest:
                if j > i:
                    A[j][i] = A[i][j]
        active = rest
    return None
