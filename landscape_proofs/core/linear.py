"""Exact affine solves over Q for producers (the kernel has its own linear algebra and never
needs a particular solution)."""
from __future__ import annotations

import flint


def affine_solutions(M, b):
    """``(particular, nullspace basis)`` of ``M a = b`` over Q (``M`` an ``fmpq_mat``, ``b`` a
    sequence; vectors as lists of ``fmpq``; free variables 0 in the particular solution), or
    None when the system has no solution."""
    m, u = M.nrows(), M.ncols()
    aug = flint.fmpq_mat(m, u + 1)
    for i in range(m):
        for j in range(u):
            aug[i, j] = M[i, j]
        aug[i, u] = b[i]
    E, r = aug.rref()
    pivots = []
    for i in range(r):
        j = next(j for j in range(u + 1) if E[i, j] != 0)
        if j == u:
            return None                       # 0 = 1: inconsistent
        pivots.append(j)
    part = [flint.fmpq(0)] * u
    for i, j in enumerate(pivots):
        part[j] = E[i, u]
    basis = []
    for f in (j for j in range(u) if j not in pivots):
        v = [flint.fmpq(0)] * u
        v[f] = flint.fmpq(1)
        for i, j in enumerate(pivots):
            v[j] = -E[i, f]
        basis.append(v)
    return part, basis
