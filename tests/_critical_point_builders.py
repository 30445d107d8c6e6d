"""Random *exact* critical points of the deep linear square loss, with varied rank structure.

Used by tests/test_direct.py.  Data: X = diag(x) (full row rank), Y = O diag(y) with O the
identity or a rational rotation in the first two coordinates, so Sigma = O diag(y^2) O^T has
distinct eigenvalues and rational eigenvectors (the columns of O).

A point is assembled from *paths* through the hidden layers (a quiver representation written
in a basis, then hidden in a random change of basis at every hidden layer):

* a full path for every kept eigen-direction j in S: it reads the functional (y_j / x_j) e_j at
  layer 1 and writes o_j (column j of O) at the output, so W_H ... W_1 = P_S Y X^T (X X^T)^{-1},
  the critical product of Baldi-Hornik type;
* dangling input paths (read a functional u, die after layer e), dangling output paths (born at
  layer s, write an output vector o) and internal paths (born and dying inside).

With G = (R X - Y) X^T the gradient is A_k^T G B_k^T, whose entries pair every functional
alive at layer k-1 with every output vector reachable from layer k.  Criticality therefore
needs o^T G u = 0 whenever an output path born at s and an input path dying at e overlap
(s <= e + 1); G u = 0 for inputs alive at layer H-1 and o^T G = 0 for outputs born at layer 1.
The builder solves these linear conditions exactly; the test asserts the gradient is 0.
"""
from __future__ import annotations

import random
from fractions import Fraction

import flint

from landscape_proofs.kernel.linalg import nullspace
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.io import problem_from_dict

Q = flint.fmpq
ROTATION = ((Q(3, 5), Q(4, 5)), (Q(-4, 5), Q(3, 5)))


def _col(v):
    return flint.fmpq_mat(len(v), 1, list(v))


def _combination(rng: random.Random, basis, d):
    cs = [Q(rng.randint(-2, 2)) for _ in basis]
    return [sum((c * b[i] for c, b in zip(cs, basis)), Q(0)) for i in range(d)]


def _fractions(M) -> list:
    return [[Fraction(int(M[i, j].p), int(M[i, j].q)) for j in range(M.ncols())] for i in range(M.nrows())]


def random_critical_point(rng: random.Random, *, max_dim: int = 3, max_depth: int = 4):
    """(problem, point, kept subset S) with the point exactly critical (see module docstring)."""
    d = rng.randint(2, max_dim)
    H = rng.randint(2, max_depth)
    widths = [d] + [rng.randint(1, d + 2) for _ in range(H - 1)] + [d]
    ys = rng.sample(range(1, 10), d)
    xs = [rng.choice([1, 1, 2, 3]) for _ in range(d)]
    O = flint.fmpq_mat(d, d)
    for i in range(d):
        O[i, i] = 1
    if rng.random() < 0.5:
        for a in range(2):
            for b in range(2):
                O[a, b] = ROTATION[a][b]
    Dy = flint.fmpq_mat(d, d)
    X = flint.fmpq_mat(d, d)
    for i in range(d):
        Dy[i, i] = ys[i]
        X[i, i] = xs[i]
    Y = O * Dy
    r_max = min(widths)
    S = [j for j in range(d) if rng.random() < 0.5][:r_max]
    R = flint.fmpq_mat(d, d)
    full = []
    for j in S:
        o = [O[i, j] for i in range(d)]
        u = [Q(ys[j], xs[j]) if i == j else Q(0) for i in range(d)]
        full.append((u, o))
        R += _col(o) * _col(u).transpose()
    G = (R * X - Y) * X.transpose()
    ins = []
    for _ in range(rng.randint(0, 3)):
        e = rng.randint(1, H - 1)
        if e == H - 1:
            basis = nullspace(G)
            if not basis:
                continue
            u = _combination(rng, basis, d)
        else:
            u = [Q(rng.randint(-2, 2)) for _ in range(d)]
        if any(x != 0 for x in u):
            ins.append((e, u))
    outs = []
    for _ in range(rng.randint(0, 3)):
        s = rng.randint(1, H - 1)
        rows = []
        if s == 1:
            Gt = G.transpose()
            rows += [[Gt[a, i] for i in range(d)] for a in range(d)]
        for e, u in ins:
            if e >= s - 1:
                Gu = G * _col(u)
                rows.append([Gu[i, 0] for i in range(d)])
        if rows:
            basis = nullspace(flint.fmpq_mat(len(rows), d, [x for r in rows for x in r]))
        else:
            basis = [[Q(int(i == j)) for i in range(d)] for j in range(d)]
        if not basis:
            continue
        o = _combination(rng, basis, d)
        if any(x != 0 for x in o):
            outs.append((s, o))
    used = {l: 0 for l in range(1, H)}
    Ws = [flint.fmpq_mat(widths[l], widths[l - 1]) for l in range(1, H + 1)]

    def place(first, last, u=None, o=None, unit=False) -> bool:
        nodes = {}
        for l in range(first, last + 1):
            if used[l] >= widths[l]:
                return False
            nodes[l] = used[l]
            used[l] += 1
        for l in range(first + 1, last + 1):
            Ws[l - 1][nodes[l], nodes[l - 1]] += 1 if unit else rng.choice([1, 2, -1])
        if u is not None:
            for i in range(d):
                Ws[0][nodes[1], i] += u[i]
        if o is not None:
            for i in range(d):
                Ws[H - 1][i, nodes[H - 1]] += o[i]
        return True

    for u, o in full:
        assert place(1, H - 1, u, o, unit=True)
    for e, u in ins:
        place(1, e, u=u)
    for s, o in outs:
        place(s, H - 1, o=o)
    for _ in range(rng.randint(0, 2)):
        a = rng.randint(1, H - 1)
        place(a, rng.randint(a, H - 1))
    for l in range(1, H):
        n = widths[l]
        A = flint.fmpq_mat(n, n)
        for a in range(n):
            A[a, a] = rng.choice([1, -1, 2])
            for b in range(a):
                A[a, b] = rng.randint(-1, 1)
        if rng.random() < 0.5:
            A = A.transpose()
        Ws[l - 1] = A * Ws[l - 1]
        Ws[l] = Ws[l] * A.inv()
    problem = problem_from_dict({"family": "deep-linear", "widths": widths, "X": _fractions(X),
                                 "Y": _fractions(Y), "loss": "square"})
    return problem, Point.of(problem, [_fractions(W) for W in Ws]), S
