"""The kernel's own evaluation of the objective and its derivatives.

Deliberately a different method from the producers' closed forms in ``core/``:

- values along a curve ``W(t) = W + t C_1 + t^2 C_2 + ...`` (and of the objective on any
  commutative ring) evaluate the *definition*: matrices whose entries are polynomials in t
  are multiplied, the loss is applied entrywise, the decay added;
- the Jacobian ``J`` of ``vec(E)`` (E the loss argument, row-major) is built column by column
  from the product rule: the column of parameter ``(p, q)`` of a block is, for each factor
  position where the block stands, ``(factors above) e_p e_q^T (factors below, X)``;
- the gradient is ``J^T vec(dl/dE)`` plus the decay term; the Hessian is
  ``J^T (d^2 l/dE^2) J + S + decay``, where ``S`` is the second derivative of the multilinear
  product paired with ``dl/dE``: for two factor positions ``a < c`` of one tower and unit
  moves ``e_p e_q^T`` at ``a``, ``e_r e_s^T`` at ``c``,
  ``<G, A e_r e_s^T M e_p e_q^T B> = (A^T G B^T)[r, q] * M[s, p]``
  (A the factors above c, M those between, B those below a times X).

Parameters are flattened block by block, each block row-major (``weights[0]`` first).
"""
from __future__ import annotations

import flint
from flint import fmpq, fmpq_mat, fmpq_poly

from landscape_proofs.kernel.model import Problem


def _like(M, like):
    """M (fmpq_mat) in the matrix ring of ``like`` (fmpq_mat or arb_mat)."""
    return M if isinstance(like, fmpq_mat) else type(like)(M)


def _mm(A, B):
    """Product of matrices given as lists of rows over any commutative ring."""
    cols = list(zip(*B))
    out = []
    for row in A:
        r = []
        for col in cols:
            s = row[0] * col[0]
            for x, y in zip(row[1:], col[1:]):
                s = s + x * y
            r.append(s)
        out.append(r)
    return out


def compose(factors):
    """``F_k ... F_1`` for ``factors = [F_1, ..., F_k]`` (None for no factor: the identity)."""
    P = None
    for F in factors:
        P = F if P is None else F * P
    return P


def lowest_order(p: fmpq_poly, start: int = 1):
    """(q, c): the lowest power q >= start of t with a nonzero coefficient c, or None."""
    for q, c in enumerate(p.coeffs()):
        if q >= start and c != 0:
            return q, c
    return None


class Objective:
    """L(W) = l(E(W)) + lam/2 ||W||^2 for a kernel :class:`Problem`."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.loss = problem.loss
        self.shapes = problem.shapes
        self.offsets = problem.offsets
        self.n_params = problem.n_params
        self.lam = problem.weight_decay          # None: per-entry decay (self.decay)
        self.decay = problem.decay_vector
        self.has_decay = any(x != 0 for x in self.decay)

    # -- the product and the loss argument ------------------------------------------------
    def _factor(self, W, pos):
        b, transposed = pos
        return W[b].transpose() if transposed else W[b]

    def product(self, W):
        total = None
        for tower in self.problem.towers:
            P = compose(self._factor(W, pos) for pos in tower)
            total = P if total is None else total + P
        return total

    def loss_argument(self, W):
        R = self.product(W)
        if self.loss.over_product:
            return R
        return R * _like(self.problem.X, R) - _like(self.problem.Y, R)

    def value(self, W):
        v = self.loss.value_exact(self.loss_argument(W))
        if self.has_decay:
            v += sum((d * x * x for d, x in zip(self.decay, self.flatten(W))), fmpq(0)) / 2
        return v

    def function_gradient(self, W):
        """dl/dR at R = product(W): G X^T for a residual loss, G for a product loss."""
        G = self.loss.gradient_exact(self.loss_argument(W))
        return G if self.loss.over_product else G * self.problem.X.transpose()

    def flatten(self, W) -> list:
        return [x for M in W for x in M.entries()]

    def unflatten(self, v):
        """Blocks from a flat vector (fmpq_mat for rationals, arb_mat for balls)."""
        exact = all(isinstance(x, (fmpq, int)) for x in v)
        out, k = [], 0
        for r, c in self.shapes:
            part = list(v[k:k + r * c])
            out.append(fmpq_mat(r, c, part) if exact else flint.arb_mat(r, c, part))
            k += r * c
        return out

    # -- values on rings: curves and polynomial identities ---------------------------------
    def value_on(self, entries, loss=None):
        """L at blocks whose entries are ring elements over Q (lists of rows); with ``loss``,
        the objective with that loss instead (sos.py: the l1 piece)."""
        total = None
        for tower in self.problem.towers:
            P = None
            for b, transposed in tower:
                F = [list(r) for r in zip(*entries[b])] if transposed else entries[b]
                P = F if P is None else _mm(F, P)
            total = P if total is None else [[x + y for x, y in zip(r, s)] for r, s in zip(total, P)]
        if self.loss.over_product:
            E = total
        else:
            X, Y = self.problem.X, self.problem.Y
            Xr = [[X[i, j] for j in range(X.ncols())] for i in range(X.nrows())]
            E = [[x - Y[i, j] for j, x in enumerate(row)] for i, row in enumerate(_mm(total, Xr))]
        out = (loss or self.loss).along_curve(E)
        if self.has_decay:
            flat = (x for block in entries for row in block for x in row)
            for d, x in zip(self.decay, flat):
                if d != 0:
                    out = out + x * x * (d / 2)
        return out

    def value_along(self, W, coefficients):
        """L(W + t C_1 + t^2 C_2 + ...) as an fmpq_poly (for l1: valid for small t > 0)."""
        entries = [[[fmpq_poly([M[i, j]] + [C[k][i, j] for C in coefficients])
                     for j in range(M.ncols())] for i in range(M.nrows())]
                   for k, M in enumerate(W)]
        return self.value_on(entries)

    # -- derivatives -------------------------------------------------------------------------
    def _chain(self, W, tower):
        """Factors of a tower (F_1 first), and prefix products below / above each position."""
        F = [self._factor(W, pos) for pos in tower]
        X = None if self.loss.over_product else _like(self.problem.X, F[0])
        below = [X]            # below[a] = F_a ... F_1 X  (a = 0: X, or None for the identity)
        for f in F:
            below.append(f if below[-1] is None else f * below[-1])
        above = [None] * (len(F) + 1)   # above[a] = F_L ... F_{a+1}; above[L] = None (identity)
        for a in range(len(F) - 1, -1, -1):
            above[a] = F[a] if above[a + 1] is None else above[a + 1] * F[a]
        return F, below, above

    def _index(self, pos, p, q):
        """Parameter index of unit (p, q) of the factor at ``pos`` (a block or its transpose)."""
        b, transposed = pos
        if transposed:
            p, q = q, p
        return self.offsets[b] + p * self.shapes[b][1] + q

    def jacobian(self, W) -> fmpq_mat:
        """d vec(E) / d theta, row-major vec, by the product rule (exact)."""
        m, n = self.problem.loss_argument_shape
        J = fmpq_mat(m * n, self.n_params)
        for tower in self.problem.towers:
            F, below, above = self._chain(W, tower)
            for a, pos in enumerate(tower):
                up, down = above[a + 1], below[a]
                rows, cols = F[a].nrows(), F[a].ncols()
                for p in range(rows):
                    for q in range(cols):
                        col = self._index(pos, p, q)
                        for i in range(m):
                            u = up[i, p] if up is not None else fmpq(int(i == p))
                            if u == 0:
                                continue
                            for j in range(n):
                                d = down[q, j] if down is not None else fmpq(int(q == j))
                                if d != 0:
                                    J[i * n + j, col] += u * d
        return J

    def gradient_vector(self, W, G=None) -> list:
        """J^T vec(G) + decay; G = dl/dE by default (an l1 multiplier at kinks: Clarke)."""
        E = self.loss_argument(W)
        G = self.loss.gradient_exact(E) if G is None else G
        m, n = E.nrows(), E.ncols()
        g = self.jacobian(W).transpose() * fmpq_mat(m * n, 1, G.entries())
        theta = self.flatten(W)
        return [g[i, 0] + self.decay[i] * theta[i] for i in range(self.n_params)]

    def hessian(self, W, G=None) -> fmpq_mat:
        """Of L; with G (an l1 multiplier at a kink): of the smooth minorant <G, E> + decay."""
        E = self.loss_argument(W)
        m, n = E.nrows(), E.ncols()
        J = self.jacobian(W)
        if hasattr(self.loss, "hessian_diagonal"):       # D J, D the diagonal loss Hessian
            d = self.loss.hessian_diagonal(E)
            DJ = fmpq_mat(m * n, self.n_params, [d[i] * J[i, j] for i in range(m * n)
                                                 for j in range(self.n_params)])
        else:
            DJ = self.loss.hessian_exact(E) * J
        H = J.transpose() * DJ
        G = self.loss.gradient_exact(E) if G is None else G
        for tower in self.problem.towers:
            self._add_second_order(W, tower, G, H)
        for i, d in enumerate(self.decay):
            H[i, i] += d
        return H

    def _add_second_order(self, W, tower, G, H):
        F, below, above = self._chain(W, tower)
        for a in range(len(F)):
            B = below[a]
            for c in range(a + 1, len(F)):
                A = above[c + 1]
                K = G if A is None else A.transpose() * G
                K = K if B is None else K * B.transpose()        # rows(F_c) x cols(F_a)
                M = compose(F[a + 1:c])                           # F_{c-1} ... F_{a+1}
                for r in range(F[c].nrows()):
                    for s in range(F[c].ncols()):
                        j = self._index(tower[c], r, s)
                        for p in range(F[a].nrows()):
                            msp = M[s, p] if M is not None else fmpq(int(s == p))
                            if msp == 0:
                                continue
                            for q in range(F[a].ncols()):
                                v = K[r, q] * msp
                                if v != 0:
                                    i = self._index(tower[a], p, q)
                                    H[i, j] += v
                                    H[j, i] += v

    # -- symmetries (the slice argument) -----------------------------------------------------
    def rotation_keeps_decay(self, b1: int, b2: int):
        """Which rotations of hidden units p, q (rows of block b1, columns of block b2) leave a
        per-entry decay unchanged for every W: those where the decays of rows p and q of b1
        agree entry by entry, and so do those of columns p and q of b2 (then the decay is a
        sum of lam_k (w_pk^2 + w_qk^2), which the rotation keeps).  A scalar decay keeps all."""
        if self.problem.decay_entries is None:
            return lambda p, q: True
        low, up = self.problem.decay_block(b1), self.problem.decay_block(b2)
        return lambda p, q: low[p] == low[q] and all(r[p] == r[q] for r in up)

    def orbit_tangent(self, W, orthogonal: bool) -> list:
        """Velocities at W of one-parameter groups that leave L unchanged everywhere.

        Inside a tower (GL, or O when ``orthogonal``): F_a -> A F_a, F_{a+1} -> F_{a+1} A^{-1},
        velocity (E F_a, -F_{a+1} E). ``U U^T``: U -> U Q, Q in O(k), velocity U E, E in so(k).
        Between towers (docs/families.md): without decay, moving A E B from one tower's
        product to another's; with decay, rotating the joint hidden layer of two-layer towers.
        """
        vecs = []
        zero = W[0][0, 0] * 0

        def place(moves):
            v = [zero] * self.n_params
            for b, D in moves:
                o = self.offsets[b]
                v[o:o + D.nrows() * D.ncols()] = D.entries()
            return v

        def basis(d, keeps=lambda p, q: True):
            out = []
            for p in range(d):
                for q in range(d):
                    if orthogonal and p >= q or not keeps(p, q):
                        continue
                    E = fmpq_mat(d, d)
                    E[p, q] = 1
                    if orthogonal:
                        E[q, p] = -1
                    out.append(E)
            return out

        if self.problem.symmetric:
            U = W[0]
            orthogonal = True
            return [place([(0, U * E)]) for E in basis(U.ncols())]
        towers = self.problem.towers
        for tower in towers:
            for a in range(len(tower) - 1):
                (b1, _), (b2, _) = tower[a], tower[a + 1]
                for E in basis(W[b1].nrows(), self.rotation_keeps_decay(b1, b2)):
                    vecs.append(place([(b1, E * W[b1]), (b2, -(W[b2] * E))]))
        if len(towers) < 2:
            return vecs
        if not orthogonal:
            ends = []
            for tower in towers:
                blocks = [b for b, _ in tower]
                A = compose(W[b] for b in blocks[1:])         # W_H ... W_2 of the tower
                B = compose(W[b] for b in blocks[:-1])        # W_{H-1} ... W_1
                ends.append((blocks, A, B))
            for s, (bs, _, Bs) in enumerate(ends):
                for t, (bt, At, _) in enumerate(ends):
                    if s == t:
                        continue
                    rows, cols = self.shapes[bt[0]][0], self.shapes[bs[-1]][1]
                    for p in range(rows):
                        for q in range(cols):
                            E = fmpq_mat(rows, cols)
                            E[p, q] = 1
                            left = E if At is None else At * E
                            right = E if Bs is None else E * Bs
                            vecs.append(place([(bs[-1], -left), (bt[0], right)]))
        else:
            two = [[b for b, _ in t] for t in towers if len(t) == 2]
            for i, (vs, us) in enumerate(two):
                for vt, ut in two[i + 1:]:
                    for p in range(W[vt].nrows()):
                        for q in range(W[vs].nrows()):
                            E = fmpq_mat(W[vt].nrows(), W[vs].nrows())
                            E[p, q] = 1
                            vecs.append(place([(vs, -(E.transpose() * W[vt])), (us, -(W[ut] * E)),
                                               (vt, E * W[vs]), (ut, W[us] * E.transpose())]))
        return vecs

