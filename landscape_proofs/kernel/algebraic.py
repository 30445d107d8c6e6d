"""Exact facts about real algebraic numbers: roots of rational polynomials.

Real roots are isolated with Sturm sequences and exact rational bisection (no floating
point, no global precision setting).  The main use is deciding exactly how a sum of the k
smallest eigenvalues of a rational symmetric matrix compares with a rational number, which
is what the closed-form optimum of the square loss needs (Eckart-Young).
"""
from __future__ import annotations

from dataclasses import dataclass

import flint

from landscape_proofs.kernel.linalg import Matrix, is_symmetric, rank, row_space_basis
from landscape_proofs.kernel.numbers import to_fmpq

Poly = flint.fmpq_poly
Q = flint.fmpq


def sturm_sequence(f: Poly) -> list[Poly]:
    """f, f', and the negated remainders, down to a constant."""
    seq = [f, f.derivative()]
    while seq[-1] != 0 and seq[-1].degree() > 0:
        r = -(seq[-2] % seq[-1])
        if r == 0:
            break
        seq.append(r)
    return [s for s in seq if s != 0]


def _variations(seq: list[Poly], x: Q) -> int:
    values = [s(x) for s in seq]
    signs = [v > 0 for v in values if v != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def count_roots(seq: list[Poly], a: Q, b: Q) -> int:
    """Number of distinct real roots of seq[0] in the half-open interval (a, b]."""
    return _variations(seq, a) - _variations(seq, b)


def root_bound(f: Poly) -> Q:
    """Cauchy's bound: every root has |x| < 1 + max |a_i / a_n|."""
    c = f.coeffs()
    lead = c[-1]
    return 1 + max((abs(x / lead) for x in c[:-1]), default=Q(0))


@dataclass
class IsolatedRoot:
    """A real root of the squarefree polynomial ``factor``: the only one in (lo, hi]."""

    lo: Q
    hi: Q
    factor_index: int
    seq: list

    def bisect(self) -> None:
        mid = (self.lo + self.hi) / 2
        if count_roots(self.seq, self.lo, mid) == 1:
            self.hi = mid
        else:
            self.lo = mid


def isolate_real_roots(f: Poly, factor_index: int = 0) -> list[IsolatedRoot]:
    """Isolating intervals of the distinct real roots of f (f squarefree), sorted."""
    if f.degree() < 1:
        return []
    seq = sturm_sequence(f)
    B = root_bound(f)
    out: list[IsolatedRoot] = []
    stack = [(-B, B)]
    while stack:
        a, b = stack.pop()
        n = count_roots(seq, a, b)
        if n == 1:
            out.append(IsolatedRoot(a, b, factor_index, seq))
        elif n > 1:
            m = (a + b) / 2
            stack += [(a, m), (m, b)]
    out.sort(key=lambda r: r.lo)
    return out


def _separate(roots: list[IsolatedRoot]) -> list[IsolatedRoot]:
    """Refine until the closed intervals are pairwise disjoint, then sort them."""
    while True:
        roots.sort(key=lambda r: r.lo)
        clash = False
        for r1, r2 in zip(roots, roots[1:]):
            if r2.lo <= r1.hi:
                r1.bisect()
                r2.bisect()
                clash = True
        if not clash:
            return roots


def real_roots(p: Poly):
    """The distinct roots of ``p`` isolated (ascending, pairwise disjoint closed intervals),
    the multiplicity of each irreducible factor, and the factors; ``ArithmeticError`` when
    ``p`` has a non-real root."""
    _, factors = p.factor()
    roots: list[IsolatedRoot] = []
    for idx, (f, _) in enumerate(factors):
        roots.extend(isolate_real_roots(f, idx))
    mult = [m for _, m in factors]
    if sum(mult[r.factor_index] for r in roots) != p.degree():
        raise ArithmeticError("the polynomial has non-real roots (a matrix that is not symmetric?)")
    return _separate(roots), mult, factors


def times_per_factor(roots: list[IsolatedRoot], taken: dict) -> dict | None:
    """``{factor index: t}`` when every root of each irreducible factor is taken the same
    number ``t`` of times (``taken``: ``id(root) -> times``, 0 when absent), else None."""
    per_factor: dict[int, set] = {}
    for r in roots:
        per_factor.setdefault(r.factor_index, set()).add(taken.get(id(r), 0))
    if any(len(v) != 1 for v in per_factor.values()):
        return None
    return {idx: next(iter(v)) for idx, v in per_factor.items()}


def compare_smallest_root_sum(p: Poly, k: int, c: Q, max_rounds: int = 200) -> int | None:
    """sign( (sum of the k smallest roots of p, with multiplicity) - c ), or None.

    ``p`` must have only real roots (e.g. the characteristic polynomial of a symmetric
    matrix).  Exact when, for every irreducible factor, all its roots are taken the same
    number of times (then the sum is rational); otherwise decided by exact interval
    refinement when the sum is not equal to ``c``; ``None`` when undecided.
    """
    c = to_fmpq(c)
    if k <= 0:
        return (Q(0) > c) - (Q(0) < c)
    roots, mult, factors = real_roots(p)
    chosen: list[tuple[IsolatedRoot, int]] = []     # the k smallest roots, with multiplicity
    left = k
    for r in roots:
        if left == 0:
            break
        t = min(left, mult[r.factor_index])
        chosen.append((r, t))
        left -= t
    if left:
        raise ValueError(f"k = {k} exceeds the degree {p.degree()}")
    # exact route: each factor's roots all taken the same number of times
    times = times_per_factor(roots, {id(r): t for r, t in chosen})
    if times is not None:
        total = Q(0)
        for idx, t in times.items():
            co = factors[idx][0].coeffs()
            total += t * (-co[-2] / co[-1])            # t times the sum of the factor's roots
        return (total > c) - (total < c)
    # interval route
    for _ in range(max_rounds):
        lo = sum((t * r.lo for r, t in chosen), Q(0))
        hi = sum((t * r.hi for r, t in chosen), Q(0))
        if lo > c:
            return 1
        if hi < c:
            return -1
        for r, _ in chosen:
            r.bisect()
    return None


def compare_smallest_eigenvalue_sum(M: Matrix, k: int, c, max_rounds: int = 200) -> int | None:
    """sign( (sum of the k smallest eigenvalues of symmetric M) - c ), or None if undecided.

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> compare_smallest_eigenvalue_sum(matrix([[25, 0, 0], [0, 9, 0], [0, 0, 1]]), 2, 10)
    0
    """
    if not is_symmetric(M):
        raise ValueError("needs a symmetric matrix")
    return compare_smallest_root_sum(M.charpoly(), k, to_fmpq(c), max_rounds)


def spans_top_eigenspace(S: Matrix, C: Matrix) -> bool | None:
    """Is col(C) the span of the eigenvectors of symmetric S for its k = rank(C) largest
    eigenvalues?  ``None`` when that span is not unique (lambda_k = lambda_{k+1}).

    Exact: col(C) must be S-invariant (rank [B | S B] = k for a basis B), and the k
    eigenvalues of S restricted to it, the roots of charpoly((B^T B)^{-1} B^T S B), must all
    exceed a rational t with lambda_{k+1} <= t < lambda_k (from separated isolating
    intervals), counted with a Sturm sequence.  An invariant k-dimensional subspace whose
    eigenvalues all exceed lambda_{k+1} lies in the top-k eigenspace, which has dimension k.

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> S = matrix([[1, 0, 0], [0, 9, 0], [0, 0, 4]])
    >>> spans_top_eigenspace(S, matrix([[0, 0], [1, 1], [0, 2]])), spans_top_eigenspace(S, matrix([[1], [0], [0]]))
    (True, False)
    >>> spans_top_eigenspace(matrix([[2, 0], [0, 2]]), matrix([[1], [1]])) is None
    True
    """
    if not is_symmetric(S):
        raise ValueError("needs a symmetric matrix")
    m = S.nrows()
    if C.nrows() != m:
        raise ValueError(f"C has {C.nrows()} rows, S is {m} x {m}")
    k = rank(C)
    if k == 0 or k == m:
        return True
    roots, mult, _ = real_roots(S.charpoly())      # ascending, disjoint closed intervals
    taken, below = 0, None
    for i in range(len(roots) - 1, -1, -1):        # from the largest eigenvalue down
        taken += mult[roots[i].factor_index]
        if taken == k:
            below = roots[i - 1]
            break
        if taken > k:
            return None                            # the k-th and (k+1)-th eigenvalues coincide
    t = below.hi                                   # lambda_{k+1} <= t < lambda_k
    B = row_space_basis(C.transpose()).transpose()  # m x k, a basis of col(C)
    SB = S * B
    both = flint.fmpq_mat(m, 2 * k, [x for i in range(m)
                                     for x in [B[i, j] for j in range(k)] + [SB[i, j] for j in range(k)]])
    if rank(both) > k:
        return False                               # col(C) is not S-invariant
    Bt = B.transpose()
    q = ((Bt * B).inv() * (Bt * SB)).charpoly()    # the eigenvalues of S on col(C)
    q = q / q.gcd(q.derivative())                  # squarefree part, same roots
    seq = sturm_sequence(q)
    low = min(-root_bound(q), t - 1)
    return count_roots(seq, low, t) == 0
