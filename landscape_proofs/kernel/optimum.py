"""The exact optimal value of the square loss of a product of rank at most r.

For any X (d_0 x n), Y (d_H x n) and r (Reduced-rank regression + Eckart-Young; see
docs/certificates.md for the proof):

    min_{rank R <= r} 1/2 ||R X - Y||_F^2 = 1/2 ( ||Y (I - P)||_F^2 + sum_{i > r} sigma_i(Y P)^2 )

with P the orthogonal projector onto the row space of X.  The sigma_i^2 are the
eigenvalues of the symmetric matrix (Y P)(Y P)^T, so the tail sum is a sum of the smallest
eigenvalues, compared with rationals exactly by :mod:`.algebraic`.
"""
from __future__ import annotations

from landscape_proofs.kernel.algebraic import compare_smallest_eigenvalue_sum
from landscape_proofs.kernel.linalg import Matrix, frobenius_sq, row_space_basis, zeros
from landscape_proofs.kernel.numbers import to_fmpq


def row_space_projector(X: Matrix) -> Matrix:
    """P = B^T (B B^T)^{-1} B for a basis B of the row space of X (n x n)."""
    n = X.ncols()
    B = row_space_basis(X)
    if B.nrows() == 0:
        return zeros(n, n)
    return B.transpose() * (B * B.transpose()).inv() * B


def square_loss_split(X: Matrix, Y: Matrix) -> tuple:
    """``(c0, M)``: ``c0 = 1/2 ||Y (I - P)||^2`` and ``M = (Y P)(Y P)^T``, P the projector onto
    the row space of X (``1/2 ||R X - Y||^2 = c0 + 1/2 ||R X - Y P||^2``)."""
    YP = Y * row_space_projector(X)
    return frobenius_sq(Y - YP) / 2, YP * YP.transpose()


def compare_with_square_optimum(X: Matrix, Y: Matrix, r: int, value) -> int | None:
    """sign(value - min_{rank R <= r} 1/2 ||R X - Y||^2), or None when undecided.

    >>> from landscape_proofs.kernel.linalg import matrix, identity
    >>> compare_with_square_optimum(identity(3), matrix([[5,0,0],[0,3,0],[0,0,1]]), 1, 5)
    0
    """
    value = to_fmpq(value)
    base, M = square_loss_split(X, Y)
    k = max(Y.nrows() - r, 0)
    s = compare_smallest_eigenvalue_sum(M, k, 2 * (value - base))
    return None if s is None else -s
