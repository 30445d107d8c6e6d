"""Exact objective, gradient, Hessian and curves of ``l(U U^T) + lam/2 ||U||^2`` over Q.

``R = U U^T`` (n x n), ``E = R - Y`` (or ``E = R`` for a loss of the product), ``G = dl/dE``.
Along ``U + tV``: ``R(t) = R + t (V U^T + U V^T) + t^2 V V^T``, so

* gradient: ``dL/dU = (G + G^T) U + lam U``;
* Jacobian: ``d R_ij / d U_ab = [i = a] U_jb + [j = a] U_ib`` (row ``i n + j``, column
  ``a k + b``);
* Hessian: ``H = J^T Hl J + S + lam I`` with the second-order term
  ``v^T S v = 2 <G, V V^T>``, i.e. the bilinear form ``S(V, V') = <G + G^T, V V'^T>``,
  entrywise ``S[(a, b), (c, d)] = [b = d] (G + G^T)_{ac}``;
* symmetry: ``U -> U Q`` (Q orthogonal, k x k) leaves ``U U^T`` and ``||U||`` unchanged, with
  or without weight decay: the orbit tangent is spanned by ``U E``, E skew-symmetric.

``U`` is flattened row-major.  A point is the list ``[U]``.
"""
from __future__ import annotations

from typing import Sequence

import flint

from landscape_proofs.kernel.linalg import Matrix, frobenius_sq, join_matrices, split_vector, zeros
from landscape_proofs.core.objective import Poly, _sum_of_squares, curve_entries


class ExactSymmetricFactorization:
    """Exact evaluation of one symmetric-factorization objective (interface of ExactDeepLinear).

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> from landscape_proofs.losses.specs import SquareLoss
    >>> obj = ExactSymmetricFactorization(2, 1, matrix([[1, 0], [0, 0]]), SquareLoss(), False,
    ...                                   flint.fmpq(0))
    >>> obj.value([matrix([[1], [0]])]), obj.value([matrix([[0], [0]])])
    (0, 1/2)
    """

    def __init__(self, n: int, k: int, Y: Matrix | None, loss, over_product: bool,
                 weight_decay: flint.fmpq):
        self.n, self.k = int(n), int(k)
        self.X = flint.fmpq_mat(self.n, self.n, [1 if i == j else 0 for i in range(self.n)
                                                 for j in range(self.n)])
        self.Y = Y
        self.loss = loss
        self.over_product = over_product
        self.lam = flint.fmpq(weight_decay)
        self.shapes = [(self.n, self.k)]
        self.offsets = [0]
        self.n_params = self.n * self.k

    # -- products ----------------------------------------------------------------------
    def product(self, W: Sequence[Matrix]) -> Matrix:
        U = W[0]
        return U * U.transpose()

    def loss_argument(self, W: Sequence[Matrix]) -> Matrix:
        R = self.product(W)
        return R if self.over_product else R - self.Y

    def _G(self, E):
        return self.loss.gradient_exact(E)

    # -- value, gradient, Hessian --------------------------------------------------------
    def value(self, W: Sequence[Matrix]) -> flint.fmpq:
        v = self.loss.value_exact(self.loss_argument(W))
        if self.lam != 0:
            v += self.lam / 2 * frobenius_sq(W[0])
        return v

    def function_gradient(self, W: Sequence[Matrix]) -> Matrix:
        """G = dl/dR at R = U U^T (not symmetrised)."""
        return self._G(self.loss_argument(W))

    def gradient(self, W: Sequence[Matrix]) -> list[Matrix]:
        G = self.function_gradient(W)
        U = W[0]
        g = (G + G.transpose()) * U
        if self.lam != 0:
            g = g + U * self.lam
        return [g]

    def gradient_vector(self, W) -> list[flint.fmpq]:
        return [x for g in self.gradient(W) for x in g.entries()]

    def jacobian(self, W: Sequence[Matrix]) -> Matrix:
        """d vec(U U^T) / d vec(U), both row-major."""
        U = W[0]
        n, k = self.n, self.k
        J = flint.fmpq_mat(n * n, n * k)
        for a in range(n):
            for b in range(k):
                p = a * k + b
                for j in range(n):
                    u = U[j, b]
                    if u != 0:
                        J[a * n + j, p] += u   # i = a
                        J[j * n + a, p] += u   # j = a (both when i = j = a)
        return J

    def hessian(self, W: Sequence[Matrix]) -> Matrix:
        E = self.loss_argument(W)
        Hl = self.loss.hessian_exact(E)
        G = self._G(E)
        J = self.jacobian(W)
        Hmat = J.transpose() * Hl * J
        S = G + G.transpose()
        k = self.k
        for a in range(self.n):
            for c in range(self.n):
                s = S[a, c]
                if s != 0:
                    for b in range(k):
                        Hmat[a * k + b, c * k + b] += s
        if self.lam != 0:
            for p in range(self.n_params):
                Hmat[p, p] += self.lam
        return Hmat

    # -- parameters <-> matrices --------------------------------------------------------
    def unflatten(self, v: Sequence) -> list[Matrix]:
        return split_vector(v, self.shapes)

    def flatten(self, W: Sequence[Matrix]) -> list[flint.fmpq]:
        return join_matrices(W)

    # -- symmetry ------------------------------------------------------------------------
    def orbit_tangent(self, W: Sequence[Matrix], orthogonal: bool | None = None) -> list[list[flint.fmpq]]:
        """U E for E in a basis of so(k).

        The symmetry group of ``U -> l(U U^T) + lam/2 ||U||^2`` is O(k) (``U -> U Q``) whether
        or not there is weight decay; ``orthogonal`` is accepted for the common interface and
        ignored (GL(k) is *not* a symmetry: ``U A A^T U^T != U U^T`` in general).
        """
        U = W[0]
        vecs = []
        for a in range(self.k):
            for b in range(a + 1, self.k):
                E = zeros(self.k, self.k)
                E[a, b] = 1
                E[b, a] = -1
                vecs.append(list((U * E).entries()))
        return vecs

    # -- curves ------------------------------------------------------------------------
    def value_along(self, W: Sequence[Matrix], coefficients: Sequence[Sequence[Matrix]]) -> Poly:
        """L(U(t)) as a polynomial in t, U(t) = U + sum_j t^j C_j; ``coefficients[j-1]`` = [C_j]."""
        return self.value_on(curve_entries(W, coefficients, self.shapes))

    def value_on(self, entries) -> object:
        """L at ``entries = [U]``, U's entries ring elements over Q (see ExactDeepLinear.value_on)."""
        P = entries[0]
        E = []
        for i in range(self.n):
            row = []
            for j in range(self.n):
                s = P[i][0] * P[j][0]
                for c in range(1, self.k):
                    s += P[i][c] * P[j][c]
                if not self.over_product:
                    s -= self.Y[i, j]
                row.append(s)
            E.append(row)
        total = self.loss.along_curve(E)
        if self.lam != 0:
            total += _sum_of_squares(entries) * self.lam / 2
        return total
