"""Exact objective, gradient, Hessian and curves of a deep linear network over Q.

``L(W) = l(E) + lam/2 sum_k ||W_k||_F^2`` with ``E = W_H ... W_1 X - Y`` (or ``E = W_H ... W_1``
for a loss of the product).  Write ``R = W_H ... W_1``, ``A_k = W_H ... W_{k+1}``
(d_H x d_k, identity for k = H) and ``B_k = W_{k-1} ... W_1`` (d_{k-1} x d_0, identity for
k = 1), so that ``R = A_k W_k B_k``.  Let ``G = dF/dR``: ``G = (dl/dE) X^T`` for a residual
loss and ``G = dl/dE`` for a product loss.

* gradient:  ``dL/dW_k = A_k^T G B_k^T + lam W_k``
* Hessian, for parameters p = (W_k)_{ab} and q = (W_j)_{cd}:
  ``H_pq = <J_p, Hl J_q> + [k > j] M_kj[b, c] (A_k^T G B_j^T)[a, d] + (sym.) + lam [p = q]``
  where ``J_p = vec(A_k e_a e_b^T B_k X)`` (or without X) and ``M_kj = W_{k-1} ... W_{j+1}``.

Parameters are flattened layer by layer (W_1 first), each row-major.  This module knows
nothing of problem files: it takes FLINT matrices and a loss object with the
``value_exact/gradient_exact/hessian_exact/along_curve`` methods (see ``losses.py``).
"""
from __future__ import annotations

from typing import Sequence

import flint

from landscape_proofs.core.ring import ExactRing, Ring
from landscape_proofs.kernel.linalg import Matrix, split_vector, zeros
from landscape_proofs.kernel.numbers import to_fmpq

Poly = flint.fmpq_poly


class ChainObjective:
    """Value, gradient, Jacobian and Hessian of ``l(E) + lam/2 sum_k ||W_k||^2`` for one chain
    ``R = W_H ... W_1``, written once over a number ring (``core/ring.py``).

    Subclasses set ``ring``, the layout (:meth:`_layout`), ``X``, ``Y``, ``over_product``,
    ``lam``, and the loss hooks :meth:`_loss_value`, :meth:`_loss_gradient`,
    :meth:`_loss_hessian`; :meth:`_prepare` converts the weights a caller hands in (identity
    by default).  :class:`ExactDeepLinear` runs it over Q, ``numeric.mp.MpDeepLinear`` in an
    mpmath context.
    """

    ring: Ring
    # A per-entry decay: one lam_p >= 0 per parameter (ring scalars; W_1 first, row-major),
    # set by :meth:`_set_decay`; None for the scalar ``lam``.
    decay: list | None = None

    def _set_decay(self, weight_decay, scalar) -> None:
        """``lam`` from a number, or ``decay`` from one matrix (rows) per layer, each entry
        converted by ``scalar``; ``lam`` is then 0 and every decay term comes from ``decay``."""
        if isinstance(weight_decay, (list, tuple)):
            self.decay = [scalar(x) for M in weight_decay for row in M for x in row]
            if len(self.decay) != self.n_params:
                raise ValueError(f"weight_decay: expected {self.n_params} entries, got {len(self.decay)}")
            self.lam = scalar(0)
        else:
            self.decay, self.lam = None, scalar(weight_decay)

    def _decay_block(self, k: int):
        """Layer k's decays as a ring matrix (per-entry decay only)."""
        r, c = self.shapes[k]
        M = self.ring.zeros(r, c)
        for i in range(r):
            for j in range(c):
                M[i, j] = self.decay[self.offsets[k] + i * c + j]
        return M

    def _layout(self, widths: Sequence[int]) -> None:
        self.widths = tuple(widths)
        self.H = len(self.widths) - 1
        self.shapes = [(self.widths[i + 1], self.widths[i]) for i in range(self.H)]
        self.offsets = []
        off = 0
        for r, c in self.shapes:
            self.offsets.append(off)
            off += r * c
        self.n_params = off

    # -- hooks ---------------------------------------------------------------------------
    def _prepare(self, W):
        return W

    def _loss_value(self, E):
        raise NotImplementedError

    def _loss_gradient(self, E):
        raise NotImplementedError

    def _loss_hessian(self, E):
        raise NotImplementedError

    # -- products --------------------------------------------------------------------
    def _product(self, W):
        mm = self.ring.matmul
        R = W[0]
        for Wk in W[1:]:
            R = mm(Wk, R)
        return R

    def _argument(self, R):
        """E from R: the residual R X - Y, or R itself for a product loss."""
        if self.over_product:
            return R
        return self.ring.matmul(R, self.X) - self.Y

    def loss_argument(self, W):
        """E: the residual R X - Y, or the product R itself for a product loss."""
        return self._argument(self._product(self._prepare(W)))

    def _above(self, W):
        """A_k for k = 1..H (list index k-1): A_H = I, A_k = A_{k+1} W_{k+1}."""
        A = [None] * self.H
        A[self.H - 1] = self.ring.identity(self.widths[-1])
        for k in range(self.H - 2, -1, -1):
            A[k] = self.ring.matmul(A[k + 1], W[k + 1])
        return A

    def _below(self, W):
        """B_k for k = 1..H (list index k-1): B_1 = I, B_{k+1} = W_k B_k."""
        B = [None] * self.H
        B[0] = self.ring.identity(self.widths[0])
        for k in range(1, self.H):
            B[k] = self.ring.matmul(W[k - 1], B[k - 1])
        return B

    def _middle(self, W, k, j):
        """M_kj = W_{k-1} ... W_{j+1} in 1-based layers; list indices k > j."""
        M = self.ring.identity(self.widths[j + 1])
        for i in range(j + 1, k):
            M = self.ring.matmul(W[i], M)
        return M

    def _G(self, E):
        gl = self._loss_gradient(E)
        return gl if self.over_product else self.ring.matmul(gl, self.ring.transpose(self.X))

    # -- value, gradient, Hessian ----------------------------------------------------------
    def value(self, W):
        W = self._prepare(W)
        v = self._loss_value(self._argument(self._product(W)))
        if self.lam != 0:
            v += self.lam / 2 * self.ring.sum_of_squares(W)
        if self.decay is not None:
            flat = (Wk[i, j] for Wk in W for i in range(self.ring.nrows(Wk))
                    for j in range(self.ring.ncols(Wk)))
            for d, x in zip(self.decay, flat):
                v += d * x * x / 2
        return v

    def function_gradient(self, W):
        """G = dF/dR at R = W_H ... W_1 (the gradient in function space)."""
        return self._G(self.loss_argument(W))

    def gradient(self, W) -> list:
        """dL/dW_k = A_k^T G B_k^T + lam W_k, one matrix per layer."""
        W = self._prepare(W)
        mm, T = self.ring.matmul, self.ring.transpose
        G = self._G(self._argument(self._product(W)))
        A, B = self._above(W), self._below(W)
        out = []
        for k in range(self.H):
            g = mm(mm(T(A[k]), G), T(B[k]))
            if self.lam != 0:
                g = g + W[k] * self.lam
            if self.decay is not None:
                L = self._decay_block(k)
                for i in range(self.ring.nrows(g)):
                    for j in range(self.ring.ncols(g)):
                        g[i, j] += L[i, j] * W[k][i, j]
            out.append(g)
        return out

    def gradient_vector(self, W) -> list:
        nrows, ncols = self.ring.nrows, self.ring.ncols
        return [g[i, j] for g in self.gradient(W) for i in range(nrows(g)) for j in range(ncols(g))]

    def _jacobian(self, W, A, B):
        """d vec(E) / d params: column p = vec(A_k e_a e_b^T B_k Z), Z = X (or I for a product
        loss); ``A``, ``B`` from :meth:`_above`, :meth:`_below`."""
        m = self.widths[-1]
        BZ = [B[k] if self.over_product else self.ring.matmul(B[k], self.X) for k in range(self.H)]
        ncol = self.ring.ncols(BZ[0])
        J = self.ring.zeros(m * ncol, self.n_params)
        for k, (dk, dk1) in enumerate(self.shapes):
            Ak, Bk = A[k], BZ[k]
            off = self.offsets[k]
            for a in range(dk):
                for b in range(dk1):
                    p = off + a * dk1 + b
                    for i in range(m):
                        aik = Ak[i, a]
                        if aik == 0:
                            continue
                        for j in range(ncol):
                            bbj = Bk[b, j]
                            if bbj != 0:
                                J[i * ncol + j, p] = aik * bbj
        return J

    def jacobian(self, W):
        W = self._prepare(W)
        return self._jacobian(W, self._above(W), self._below(W))

    def hessian(self, W):
        """``J^T Hl J`` + the second-order term of the product + ``lam I``."""
        W = self._prepare(W)
        mm, T = self.ring.matmul, self.ring.transpose
        E = self._argument(self._product(W))
        Hl = self._loss_hessian(E)
        G = self._G(E)
        A, B = self._above(W), self._below(W)
        N = self.n_params
        J = self._jacobian(W, A, B)
        JT = T(J)   # J^T Hl J; Hl = I (the square loss) skips a product (issue 16, 0.8 s at N=2048)
        exact_identity = isinstance(Hl, flint.fmpq_mat) and Hl == self.ring.identity(Hl.nrows())
        Hmat = mm(JT if exact_identity else mm(JT, Hl), J)
        # second-order term of the product: <G, A_k E_ab M_kj E_cd B_j>, k > j
        for k in range(self.H):
            for j in range(k):
                P = mm(mm(T(A[k]), G), T(B[j]))                  # d_k x d_{j-1}
                M = self._middle(W, k, j)                          # d_{k-1} x d_j
                dk, dk1 = self.shapes[k]
                dj, dj1 = self.shapes[j]
                ok, oj = self.offsets[k], self.offsets[j]
                for a in range(dk):
                    for d in range(dj1):
                        pad = P[a, d]
                        if pad == 0:
                            continue
                        for b in range(dk1):
                            for c in range(dj):
                                mbc = M[b, c]
                                if mbc == 0:
                                    continue
                                v = pad * mbc
                                p = ok + a * dk1 + b
                                q = oj + c * dj1 + d
                                Hmat[p, q] += v
                                Hmat[q, p] += v
        if self.lam != 0:
            for p in range(N):
                Hmat[p, p] += self.lam
        if self.decay is not None:
            for p, d in enumerate(self.decay):
                Hmat[p, p] += d
        return Hmat


class ExactEvaluation:
    """What the three exact evaluators share: the loss's exact kernels, the product, the
    gradient as one vector, and the parameter layout (blocks flattened row-major, W_1 first)."""

    def _loss_value(self, E):
        return self.loss.value_exact(E)

    def _loss_gradient(self, E):
        return self.loss.gradient_exact(E)

    def _loss_hessian(self, E):
        return self.loss.hessian_exact(E)

    def product(self, W: Sequence[Matrix]) -> Matrix:
        return self._product(W)

    def gradient_vector(self, W) -> list[flint.fmpq]:
        return [x for g in self.gradient(W) for x in g.entries()]

    def unflatten(self, v: Sequence) -> list[Matrix]:
        return split_vector(v, self.shapes)

    def flatten(self, W: Sequence[Matrix]) -> list[flint.fmpq]:
        return [x for M in W for x in M.entries()]   # matrix after matrix, row-major


class ExactDeepLinear(ExactEvaluation, ChainObjective):
    """Exact evaluation of one deep linear objective (no floats anywhere)."""

    ring = ExactRing()

    def __init__(self, widths: Sequence[int], X: Matrix, Y: Matrix | None, loss,
                 over_product: bool, weight_decay: flint.fmpq):
        self._layout(widths)
        self.X = X
        self.Y = Y
        self.loss = loss
        self.over_product = over_product
        self._set_decay(weight_decay, to_fmpq)

    # -- symmetry ------------------------------------------------------------------------
    def orbit_tangent(self, W: Sequence[Matrix], orthogonal: bool | None = None) -> list[list[flint.fmpq]]:
        """Spanning vectors of the tangent space of the symmetry orbit at W.

        For each hidden layer i (between W_i and W_{i+1}) and each generator E of gl(d_i)
        (so(d_i) when ``orthogonal``, the default with weight decay):
        dW_i = E W_i, dW_{i+1} = -W_{i+1} E, every other layer 0.
        """
        if orthogonal is None:
            orthogonal = self.lam != 0 or self.decay is not None
        vecs = []
        for i in range(self.H - 1):
            d = self.widths[i + 1]
            gens = []
            keeps = self._rotation_keeps_decay(i)
            for a in range(d):
                for b in range(d):
                    if orthogonal:
                        if a < b and keeps(a, b):
                            E = zeros(d, d)
                            E[a, b] = 1
                            E[b, a] = -1
                            gens.append(E)
                    else:
                        E = zeros(d, d)
                        E[a, b] = 1
                        gens.append(E)
            for E in gens:
                dW = [zeros(r, c) for r, c in self.shapes]
                dW[i] = E * W[i]
                dW[i + 1] = -(W[i + 1] * E)
                vecs.append(self.flatten(dW))
        return vecs

    def _rotation_keeps_decay(self, i: int):
        """Which rotations of hidden units a, b between W_{i+1} and W_{i+2} (list indices i,
        i + 1) keep a per-entry decay: rows a, b of layer i's decays agree, and so do columns
        a, b of layer i + 1's (a scalar decay keeps them all)."""
        if self.decay is None:
            return lambda a, b: True
        low, up = self._decay_block(i), self._decay_block(i + 1)
        r_up = self.shapes[i + 1][0]
        c_low = self.shapes[i][1]
        return lambda a, b: (all(low[a, j] == low[b, j] for j in range(c_low))
                             and all(up[j, a] == up[j, b] for j in range(r_up)))

    # -- curves and polynomials ------------------------------------------------------------
    def value_along(self, W: Sequence[Matrix], coefficients: Sequence[Sequence[Matrix]]) -> Poly:
        """L(W(t)) as a polynomial in t, W(t) = W + sum_j t^j C_j (valid for small t > 0).

        ``coefficients[j-1]`` is C_j, a list of H matrices shaped like W.
        """
        return self.value_on(curve_entries(W, coefficients, self.shapes))

    def value_on(self, entries) -> object:
        """L at weights whose entries are ring elements over Q: ``entries[k][i][j]`` is (W_k)_ij.

        With ``fmpq_poly`` entries this is L along a curve; with the generators of an
        ``fmpq_mpoly`` ring it is L itself as a polynomial in the parameters (polynomial
        losses only).
        """
        R = entries[0]
        for P in entries[1:]:
            R = _poly_matmul(P, R)
        if self.over_product:
            E = R
        else:
            E = _poly_matmul_const(R, self.X)
            E = [[E[i][j] - self.Y[i, j] for j in range(len(E[0]))] for i in range(len(E))]
        total = self.loss.along_curve(E)
        if self.lam != 0:
            total += _sum_of_squares(entries) * self.lam / 2
        if self.decay is not None:
            flat = (x for block in entries for row in block for x in row)
            for d, x in zip(self.decay, flat):
                if d != 0:
                    total += x * x * (d / 2)
        return total


def curve_entries(W: Sequence[Matrix], coefficients, shapes):
    """Entries of W(t) = W + sum_j t^j C_j as ``fmpq_poly`` in t, layer by layer."""
    out = []
    for k, Wk in enumerate(W):
        r, c = shapes[k]
        out.append([[Poly([Wk[i, j]] + [C[k][i, j] for C in coefficients]) for j in range(c)]
                    for i in range(r)])
    return out


def _sum_of_squares(entries):
    flat = [q for P in entries for row in P for q in row]
    total = flat[0] * flat[0]
    for q in flat[1:]:
        total += q * q
    return total


def _poly_matmul(A, B):
    """A B for matrices (lists of rows) of ring elements; the inner dimension is >= 1."""
    n, m, p = len(A), len(B), len(B[0])
    out = []
    for i in range(n):
        row = []
        for j in range(p):
            s = A[i][0] * B[0][j]
            for k in range(1, m):
                s += A[i][k] * B[k][j]
            row.append(s)
        out.append(row)
    return out


def _poly_matmul_const(A, M: Matrix):
    """A M for a matrix A of ring elements and a rational matrix M."""
    n, m, p = len(A), M.nrows(), M.ncols()
    out = []
    for i in range(n):
        row = []
        for j in range(p):
            s = A[i][0] * 0
            for k in range(m):
                if M[k, j] != 0:
                    s += A[i][k] * M[k, j]
            row.append(s)
        out.append(row)
    return out


def lowest_order(p: Poly, start: int = 1) -> tuple[int, flint.fmpq] | None:
    """(q, c): the lowest power q >= start with nonzero coefficient c, or None."""
    coeffs = p.coeffs()
    for q in range(start, len(coeffs)):
        if coeffs[q] != 0:
            return q, coeffs[q]
    return None
