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

from landscape_proofs.core.ring import ExactRing, Ring
from landscape_proofs.kernel.linalg import Matrix, zeros
from landscape_proofs.core.objective import ExactEvaluation, Poly, _sum_of_squares, curve_entries


class GramObjective:
    """Value, gradient, Jacobian and Hessian of ``l(U U^T) + lam/2 ||U||^2``, written once over
    a number ring (``core/ring.py``).

    Subclasses set ``ring``, ``n``, ``k``, ``Y``, ``over_product``, ``lam``, ``shapes``,
    ``offsets``, ``n_params`` and the loss hooks ``_loss_value``, ``_loss_gradient``,
    ``_loss_hessian``; :meth:`_prepare` converts the weights a caller hands in.
    :class:`ExactSymmetricFactorization` runs it over Q,
    ``numeric.symmetric_factorization.MpSymmetricFactorization`` in an mpmath context.
    """

    ring: Ring

    def _prepare(self, W):
        return W

    # -- products ----------------------------------------------------------------------
    def _product(self, W):
        U = W[0]
        return self.ring.matmul(U, self.ring.transpose(U))

    def _argument(self, W):
        """E at prepared weights: U U^T - Y, or U U^T for a product loss."""
        R = self._product(W)
        return R if self.over_product else R - self.Y

    def loss_argument(self, W):
        return self._argument(self._prepare(W))

    def _G(self, E):
        return self._loss_gradient(E)

    # -- value, gradient, Hessian --------------------------------------------------------
    def value(self, W):
        W = self._prepare(W)
        v = self._loss_value(self._argument(W))
        if self.lam != 0:
            v += self.lam / 2 * self.ring.sum_of_squares(W[:1])
        return v

    def function_gradient(self, W):
        """G = dl/dR at R = U U^T (not symmetrised)."""
        return self._G(self.loss_argument(W))

    def gradient(self, W) -> list:
        """dL/dU = (G + G^T) U + lam U."""
        W = self._prepare(W)
        G = self._G(self._argument(W))
        U = W[0]
        g = self.ring.matmul(G + self.ring.transpose(G), U)
        if self.lam != 0:
            g = g + U * self.lam
        return [g]

    def gradient_vector(self, W) -> list:
        nrows, ncols = self.ring.nrows, self.ring.ncols
        return [g[i, j] for g in self.gradient(W) for i in range(nrows(g)) for j in range(ncols(g))]

    def _jacobian(self, U):
        n, k = self.n, self.k
        J = self.ring.zeros(n * n, n * k)   # d R_ij / d U_ab = [i = a] U_jb + [j = a] U_ib
        for a in range(n):
            for b in range(k):
                p = a * k + b
                for j in range(n):
                    u = U[j, b]
                    if u != 0:
                        J[a * n + j, p] += u   # i = a
                        J[j * n + a, p] += u   # j = a (both when i = j = a)
        return J

    def jacobian(self, W):
        """d vec(U U^T) / d vec(U), both row-major."""
        return self._jacobian(self._prepare(W)[0])

    def hessian(self, W):
        """``J^T Hl J + S + lam I`` (N x N)."""
        W = self._prepare(W)
        mm, T = self.ring.matmul, self.ring.transpose
        E = self._argument(W)
        Hl = self._loss_hessian(E)
        G = self._G(E)
        J = self._jacobian(W[0])
        Hmat = mm(mm(T(J), Hl), J)
        S = G + T(G)
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


class ExactSymmetricFactorization(ExactEvaluation, GramObjective):
    """Exact evaluation of one symmetric-factorization objective (interface of ExactDeepLinear).

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> from landscape_proofs.losses.registry import loss_from_json
    >>> obj = ExactSymmetricFactorization(2, 1, matrix([[1, 0], [0, 0]]), loss_from_json("square"),
    ...                                   False, flint.fmpq(0))
    >>> obj.value([matrix([[1], [0]])]), obj.value([matrix([[0], [0]])])
    (0, 1/2)
    """

    ring = ExactRing()

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
