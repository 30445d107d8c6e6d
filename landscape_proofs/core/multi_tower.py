"""Exact objective, gradient, Hessian and curves of a multi-tower linear network over Q.

``L(W) = l(E) + lam/2 sum over all layers ||W||_F^2`` with ``E = R X - Y`` (or ``E = R`` for a
loss of the product) and ``R = sum_t R_t``, ``R_t = W^(t)_{H_t} ... W^(t)_1`` the product of
tower ``t``.  ``G = dF/dR`` is shared by every tower: ``G = (dl/dE) X^T`` (residual loss) or
``dl/dE`` (product loss).  Since ``dR/dW^(t) = dR_t/dW^(t)``:

* gradient: ``dL/dW^(t)_k = A^(t)_k^T G B^(t)_k^T + lam W^(t)_k``, tower t's own chain rule
  (notation of ``objective.py``) with the shared ``G``;
* Hessian: ``H = J^T Hl J + blockdiag_t(S_t) + lam I`` with ``J = [J_1 ... J_T]`` the
  Jacobian of ``vec(E)`` (tower t's columns are those of tower t alone) and ``S_t`` the
  second-order term of tower t's product paired with ``G``.  There is no cross-tower
  second-order term: ``d^2 R / dW^(s) dW^(t) = 0`` for ``s != t`` because R is a sum.

The formulas are written once (:class:`TowerSumObjective`, over a number ring) and run over Q
here and in an mpmath context in ``numeric/multi_tower.py``.  Both tower-level pieces come
from the chain objective itself: tower t seen
through the *linear* loss ``R_t -> <G, R_t>`` (gradient ``G``, Hessian 0, a loss of the
product) has gradient ``A_k^T G B_k^T + lam W_k`` and Hessian ``S_t + lam I`` exactly.

Parameters are flattened tower by tower (tower 1 first), within a tower layer by layer
(W_1 first), each matrix row-major.  This module knows nothing of problem files.
"""
from __future__ import annotations

from typing import Sequence

import flint

from landscape_proofs.core.ring import ExactRing, Ring
from landscape_proofs.kernel.linalg import Matrix, inner, zeros
from landscape_proofs.core.objective import (ExactDeepLinear, ExactEvaluation, Poly, _poly_matmul, _poly_matmul_const, _sum_of_squares,
                        curve_entries)


class _LinearInProduct:
    """The loss ``R -> <G, R>`` (G fixed): gradient G, Hessian 0, polynomial of degree 1."""

    over_product = True
    polynomial = True

    def __init__(self, G: Matrix):
        self.G = G

    def value_exact(self, E: Matrix) -> flint.fmpq:
        return inner(self.G, E)

    def gradient_exact(self, E: Matrix) -> Matrix:
        return self.G

    def hessian_exact(self, E: Matrix) -> Matrix:
        k = E.nrows() * E.ncols()
        return zeros(k, k)


class TowerSumObjective:
    """Value, gradient, Jacobian and Hessian of a sum of towers, written once over a number
    ring (``core/ring.py``); each tower is a :class:`~.objective.ChainObjective` of the same
    ring carrying the problem's loss (``tower_objectives``).

    Subclasses set ``ring``, ``towers``, ``d0``, ``dH``, ``over_product``, ``lam``,
    ``tower_objectives``, the layout (:meth:`_layout`) and :meth:`_linear_towers` (tower t
    under the linear loss ``R_t -> <G, R_t>``); :meth:`_prepare` converts the weights a caller
    hands in.  :class:`ExactMultiTower` runs it over Q, ``numeric.multi_tower.MpMultiTower``
    in an mpmath context.
    """

    ring: Ring

    def _layout(self) -> None:
        self.shapes = [s for t in self.tower_objectives for s in t.shapes]
        self.layers = []        # layers[t]: indices of tower t's layers in the flat list
        self.param_offsets = []  # param_offsets[t]: first parameter of tower t
        self.offsets = []
        off, k = 0, 0
        for t in self.tower_objectives:
            self.layers.append(range(k, k + t.H))
            self.param_offsets.append(off)
            for o in t.offsets:
                self.offsets.append(off + o)
            off += t.n_params
            k += t.H
        self.n_params = off

    def _prepare(self, W):
        return W

    def _split(self, W) -> list[list]:
        return [[W[i] for i in layers] for layers in self.layers]

    def _linear_towers(self, G) -> list:
        raise NotImplementedError

    # -- products ----------------------------------------------------------------------
    def _product(self, W):
        """R = sum_t W^(t)_{H_t} ... W^(t)_1 (weights already prepared)."""
        R = self.ring.zeros(self.dH, self.d0)
        for obj, Wt in zip(self.tower_objectives, self._split(W)):
            R = R + obj._product(Wt)
        return R

    def _argument(self, R):
        return self.tower_objectives[0]._argument(R)

    def _G(self, E):
        return self.tower_objectives[0]._G(E)

    def loss_argument(self, W):
        """E: the residual R X - Y, or the product R itself for a product loss."""
        return self._argument(self._product(self._prepare(W)))

    # -- value, gradient, Hessian --------------------------------------------------------
    def value(self, W):
        W = self._prepare(W)
        v = self.tower_objectives[0]._loss_value(self._argument(self._product(W)))
        if self.lam != 0:
            v += self.lam / 2 * self.ring.sum_of_squares(W)
        return v

    def function_gradient(self, W):
        """G = dF/dR at R = sum_t R_t (the gradient in function space)."""
        return self._G(self.loss_argument(W))

    def gradient(self, W) -> list:
        # dL/dW^(t)_k = A^(t)_k^T G B^(t)_k^T + lam W^(t)_k: tower t's chain rule, shared G
        W = self._prepare(W)
        G = self._G(self._argument(self._product(W)))
        out = []
        for lin, Wt in zip(self._linear_towers(G), self._split(W)):
            out.extend(lin.gradient(Wt))
        return out

    def gradient_vector(self, W) -> list:
        nrows, ncols = self.ring.nrows, self.ring.ncols
        return [g[i, j] for g in self.gradient(W) for i in range(nrows(g)) for j in range(ncols(g))]

    def _jacobian(self, W):
        blocks = [obj._jacobian(Wt, obj._above(Wt), obj._below(Wt))
                  for obj, Wt in zip(self.tower_objectives, self._split(W))]
        J = self.ring.zeros(self.ring.nrows(blocks[0]), self.n_params)
        for Jt, off in zip(blocks, self.param_offsets):
            for i in range(self.ring.nrows(Jt)):
                for j in range(self.ring.ncols(Jt)):
                    x = Jt[i, j]
                    if x != 0:
                        J[i, off + j] = x
        return J

    def jacobian(self, W):
        """d vec(E) / d params = [J_1 ... J_T], J_t the Jacobian of tower t's own product."""
        return self._jacobian(self._prepare(W))

    def hessian(self, W):
        W = self._prepare(W)
        mm, T = self.ring.matmul, self.ring.transpose
        E = self._argument(self._product(W))
        Hl = self.tower_objectives[0]._loss_hessian(E)
        G = self._G(E)
        J = self._jacobian(W)
        Hmat = mm(mm(T(J), Hl), J)
        # + blockdiag_t(S_t + lam I); no cross-tower second-order term (R is a sum)
        for lin, Wt, off in zip(self._linear_towers(G), self._split(W), self.param_offsets):
            St = lin.hessian(Wt)
            n = self.ring.nrows(St)
            for p in range(n):
                for q in range(n):
                    x = St[p, q]
                    if x != 0:
                        Hmat[off + p, off + q] += x
        return Hmat


class ExactMultiTower(ExactEvaluation, TowerSumObjective):
    """Exact evaluation of one multi-tower objective (no floats anywhere).

    The interface is that of :class:`~.objective.ExactDeepLinear` (``value``,
    ``loss_argument``, ``product``, ``function_gradient``, ``gradient``,
    ``gradient_vector``, ``jacobian``, ``hessian``, ``orbit_tangent``, ``value_along``,
    ``flatten``, ``unflatten``, ``n_params``, ``shapes``, ``offsets``); a point ``W`` is the
    flat list of every layer, tower 1 first.

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> from landscape_proofs.losses.registry import loss_from_json
    >>> obj = ExactMultiTower([[1, 1], [1, 1, 1]], matrix([[1]]), matrix([[3]]),
    ...                       loss_from_json("square"), False, flint.fmpq(0))
    >>> W = [matrix([[1]]), matrix([[1]]), matrix([[2]])]   # R = 1 + 1*2 = 3
    >>> obj.value(W), obj.gradient_vector(W)
    (0, [0, 0, 0])
    """

    ring = ExactRing()

    def __init__(self, towers: Sequence[Sequence[int]], X: Matrix, Y: Matrix | None, loss,
                 over_product: bool, weight_decay: flint.fmpq):
        self.towers = tuple(tuple(w) for w in towers)
        if not self.towers:
            raise ValueError("ExactMultiTower: expected at least one tower")
        d0, dH = self.towers[0][0], self.towers[0][-1]
        if any(w[0] != d0 or w[-1] != dH for w in self.towers):
            raise ValueError(f"ExactMultiTower: every tower must map d_0 = {d0} to d_H = {dH}")
        self.d0, self.dH = d0, dH
        self.X = X
        self.Y = Y
        self.loss = loss
        self.over_product = over_product
        self.lam = flint.fmpq(weight_decay)
        # each tower on its own: its Jacobian columns and orbit tangent are those of the sum
        self.tower_objectives = [ExactDeepLinear(w, X, Y, loss, over_product, self.lam)
                                 for w in self.towers]
        self._layout()

    def split(self, W: Sequence) -> list[list]:
        """The flat layer list as one layer list per tower."""
        if len(W) != len(self.shapes):
            raise ValueError(f"expected {len(self.shapes)} layers, got {len(W)}")
        return [[W[i] for i in layers] for layers in self.layers]

    _split = split

    def _linear_towers(self, G):
        """Tower t under the loss R_t -> <G, R_t> (see the module docstring)."""
        lin = _LinearInProduct(G)
        return [ExactDeepLinear(w, self.X, None, lin, True, self.lam) for w in self.towers]

    # -- symmetry ------------------------------------------------------------------------
    def orbit_tangent(self, W: Sequence[Matrix], orthogonal: bool | None = None) -> list[list[flint.fmpq]]:
        """Spanning vectors of the tangent space at W of the symmetries the slice argument uses.

        Every vector is the velocity at a = 0 of a smooth family phi(a, .) of maps with
        phi(0, .) = id that leave L unchanged at *every* point (docs/families.md, multi-tower:
        that is all the slice argument needs).  Three kinds:

        1. inside tower t (GL, or O with weight decay, at each hidden layer of the tower):
           dW_i = E W_i, dW_{i+1} = -W_{i+1} E, as for one deep linear network;
        2. between towers s != t, only without weight decay: for a unit matrix E
           (d^(t)_1 x d^(s)_{H_s - 1}), dW^(s)_{H_s} = -A^(t) E and dW^(t)_1 = E B^(s), with
           A^(t) = W^(t)_{H_t} ... W^(t)_2 and B^(s) = W^(s)_{H_s - 1} ... W^(s)_1 (identities
           for a one-layer tower).  The family W + a v is exact: R_s changes by -a A^(t) E B^(s)
           and R_t by +a A^(t) E B^(s), so R is unchanged for every a;
        3. between two two-layer towers s < t, with weight decay: the rotations of their
           concatenated hidden layer (U -> U Q^T, V -> Q V, Q orthogonal keeps U V and both
           norms): for a unit E (d^(t)_1 x d^(s)_1), dV_s = -E^T V_t, dV_t = E V_s,
           dU_s = -U_t E, dU_t = U_s E^T.

        Without kinds 2 and 3 the Hessian kernel at a minimum of, e.g., two one-unit towers
        is larger than the tangent and the slice argument could never apply.
        """
        if orthogonal is None:
            orthogonal = self.lam != 0
        N = self.n_params
        parts = self.split(W)
        vecs = []
        for obj, Wt, off in zip(self.tower_objectives, parts, self.param_offsets):
            for v in obj.orbit_tangent(Wt, orthogonal=orthogonal):
                full = [flint.fmpq(0)] * N
                full[off:off + len(v)] = v
                vecs.append(full)

        def place(moves):
            full = [flint.fmpq(0)] * N
            for layer, M in moves:
                o = self.offsets[layer]
                full[o:o + M.nrows() * M.ncols()] = M.entries()
            return full

        T = len(self.towers)
        if not orthogonal:  # kind 2
            above = [obj._above(Wt)[0] for obj, Wt in zip(self.tower_objectives, parts)]
            below = [obj._below(Wt)[-1] for obj, Wt in zip(self.tower_objectives, parts)]
            for s in range(T):
                for t in range(T):
                    if s == t:
                        continue
                    last_s, first_t = self.layers[s][-1], self.layers[t][0]
                    rows, cols = self.shapes[first_t][0], self.shapes[last_s][1]
                    for a in range(rows):
                        for b in range(cols):
                            E = zeros(rows, cols)
                            E[a, b] = 1
                            vecs.append(place([(last_s, -(above[t] * E)), (first_t, E * below[s])]))
        else:  # kind 3
            two = [t for t in range(T) if len(self.layers[t]) == 2]
            for i, s in enumerate(two):
                for t in two[i + 1:]:
                    Vs, Us = parts[s]
                    Vt, Ut = parts[t]
                    for a in range(Vt.nrows()):
                        for b in range(Vs.nrows()):
                            E = zeros(Vt.nrows(), Vs.nrows())
                            E[a, b] = 1
                            vecs.append(place([
                                (self.layers[s][0], -(E.transpose() * Vt)),
                                (self.layers[s][1], -(Ut * E)),
                                (self.layers[t][0], E * Vs),
                                (self.layers[t][1], Us * E.transpose()),
                            ]))
        return vecs

    # -- curves ------------------------------------------------------------------------
    def value_along(self, W: Sequence[Matrix], coefficients: Sequence[Sequence[Matrix]]) -> Poly:
        """L(W(t)) as a polynomial in t, W(t) = W + sum_j t^j C_j (valid for small t > 0).

        ``coefficients[j-1]`` is C_j, a flat list of matrices shaped like W.
        """
        return self.value_on(curve_entries(W, coefficients, self.shapes))

    def value_on(self, entries) -> object:
        """L at layers whose entries are ring elements over Q (see ExactDeepLinear.value_on)."""
        R = None
        for layers in self.layers:
            Rt = entries[layers[0]]
            for i in layers[1:]:
                Rt = _poly_matmul(entries[i], Rt)
            R = Rt if R is None else [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(R, Rt)]
        if self.over_product:
            E = R
        else:
            E = _poly_matmul_const(R, self.X)
            E = [[E[i][j] - self.Y[i, j] for j in range(len(E[0]))] for i in range(len(E))]
        total = self.loss.along_curve(E)
        if self.lam != 0:
            total += _sum_of_squares(entries) * self.lam / 2
        return total
