"""Every critical value of the square loss of a deep linear network, exactly; isolation.

For ``L(W) = 1/2 ||W_H ... W_1 X - Y||^2`` (no weight decay, any X), at every critical point
the value is

    c0 + 1/2 (tr M - sum of a sub-multiset S of the eigenvalues of M),   |S| <= r,

with ``P`` the projector onto the row space of X, ``c0 = 1/2 ||Y (I - P)||^2``,
``M = Y P Y^T`` and ``r`` the smallest width.  Proof (docs/certificates.md, "isolated critical
value"): write ``L = c0 + 1/2 ||R' - Z||^2`` with ``R' = R U S`` and ``Z = Y V`` from a thin
SVD ``X = U S V^T``; L depends on W_1 only through ``W_1 U S`` (a surjective linear map), so W
is critical iff the network with first layer ``W_1 U S`` is. There, with ``E = R' - Z``, the
gradients in the last and first layers vanish: ``E B^T = 0`` and ``A^T E = 0`` where
``R' = W_H B = A W'_1``; hence ``E R'^T = 0`` and ``R'^T E = 0``. The second gives
``R' = Pi Z`` (Pi the projector onto the column space of R'); with the first,
``Z Z^T Pi = Pi Z Z^T Pi`` is symmetric, so range(Pi) is invariant under ``Z Z^T = M`` and
``||E||^2 = tr M - tr(Pi M Pi)`` is ``tr M`` minus a sum of ``rank R' <= r`` eigenvalues of M.

So a *critical* point whose value lies in ``[lo, hi]`` is a global minimum as soon as every
such sum that can lie in ``[lo, hi]`` is the sum of the r largest eigenvalues: that is what
:func:`isolate_global_value` decides, with exact root isolation (no floating point).
"""
from __future__ import annotations

import itertools
import math

from flint import fmpq

from landscape_proofs.kernel.algebraic import real_roots, times_per_factor
from landscape_proofs.kernel.linalg import frobenius_sq
from landscape_proofs.kernel.optimum import square_loss_split

MAX_DIM = 10           # output dimension d_H: at most prod (m_i + 1) <= 2^10 subsets
MAX_ROUNDS = 200


def isolate_global_value(X, Y, r: int, lo: fmpq, hi: fmpq) -> str:
    """A reason string if every critical value in [lo, hi] is the global minimum; raises
    ``ArithmeticError`` with the reason otherwise (not proven)."""
    d = Y.nrows()
    if d > MAX_DIM:
        raise ArithmeticError(f"isolated-critical-value: d_H = {d} > {MAX_DIM} outputs")
    c0, M = square_loss_split(X, Y)
    trace = sum((M[i, i] for i in range(d)), fmpq(0))
    s_lo, s_hi = trace - 2 * (hi - c0), trace - 2 * (lo - c0)     # sums of eigenvalues
    roots, mult, _ = real_roots(M.charpoly())
    caps = [mult[x.factor_index] for x in roots]
    k = min(r, d)
    top, left = [0] * len(roots), k                 # the r largest eigenvalues, as counts
    for i in range(len(roots) - 1, -1, -1):
        top[i] = min(left, caps[i])
        left -= top[i]
    checked = 0
    for counts in itertools.product(*[range(c + 1) for c in caps]):
        if sum(counts) > k or list(counts) == top:
            continue
        checked += 1
        if not _outside(roots, counts, s_lo, s_hi):
            raise ArithmeticError("isolated-critical-value: a critical value of another kind "
                                  "could not be separated from the value enclosure")
    if _outside(roots, top, s_lo, s_hi):
        raise ArithmeticError("isolated-critical-value: the value enclosure does not contain "
                              "the global optimum")
    return (f"every critical value of the square loss is c0 + (tr M - a sum of <= {k} "
            f"eigenvalues of M)/2; the {checked} other sums are excluded from the value "
            "enclosure exactly, so the critical point's value is the optimum")


def _outside(roots, counts, s_lo, s_hi) -> bool:
    """The sum of counts[i] * root_i is provably outside [s_lo, s_hi] (refining as needed)."""
    used = [(x, c) for x, c in zip(roots, counts) if c]
    for _ in range(MAX_ROUNDS):
        lo = sum((c * x.lo for x, c in used), fmpq(0))
        hi = sum((c * x.hi for x, c in used), fmpq(0))
        if hi < s_lo or lo > s_hi:
            return True
        if not used:
            return False
        for x, _ in used:
            x.bisect()
    return False


def _rational_sqrt(q: fmpq):
    """sqrt(q) as a rational, or None when it is irrational (q >= 0)."""
    p, d = int(q.p), int(q.q)
    rp, rd = math.isqrt(p), math.isqrt(d)
    return fmpq(rp, rd) if rp * rp == p and rd * rd == d else None


def nuclear_norm_optimum(Y, lam: fmpq, r: int) -> fmpq:
    """``min over rank R <= r of 1/2 ||R - Y||^2 + lam ||R||_*`` (lam > 0), exactly.

    A lower bound of ``1/2 ||W_2 W_1 - Y||^2 + lam/2 (||W_1||^2 + ||W_2||^2)``, because
    ``||W_1||^2 + ||W_2||^2 >= 2 ||W_2 W_1||_*`` (the variational form of the nuclear norm).
    By von Neumann's trace inequality the minimiser shares Y's singular vectors, and singular
    value by singular value it is ``max(sigma - lam, 0)``: the value is the sum of
    ``phi(sigma) = lam sigma - lam^2/2`` (sigma > lam) or ``sigma^2/2`` over the r largest
    singular values, plus ``sigma^2/2`` over the others.  Raises ``ArithmeticError`` when a
    singular value of Y is irrational (then a rational value cannot equal the optimum anyway
    unless by cancellation, which this exact route does not decide)."""
    _, factors = (Y * Y.transpose()).charpoly().factor()
    sigmas = []
    for f, m in factors:
        if f.degree() != 1:
            raise ArithmeticError("nuclear-norm-bound: Y has irrational singular values")
        mu = -f.coeffs()[0] / f.coeffs()[1]
        s = _rational_sqrt(mu)
        if s is None:
            raise ArithmeticError(f"nuclear-norm-bound: the singular value sqrt({mu}) of Y is "
                                  "irrational")
        sigmas += [s] * m
    sigmas.sort(reverse=True)
    total = fmpq(0)
    for j, s in enumerate(sigmas):
        total += (lam * s - lam * lam / 2) if j < r and s > lam else s * s / 2
    return total


def psd_rank_optimum(Y, k: int) -> fmpq:
    """``min over PSD Z of rank <= k of 1/2 ||Z - Y||^2`` for symmetric Y, exactly.

    With Y's eigenvalues ``lam_i`` (eigenvectors q_i): the optimum keeps the ``k`` largest
    *positive* ones, ``Z = sum lam_i q_i q_i^T`` over them (Eckart-Young restricted to the
    PSD cone: for PSD Z of rank <= k, ``||Z - Y||^2 >= sum over the others of lam_i^2`` by
    von Neumann's trace inequality, the negative ones contributing in full); the value is
    half the sum of the squares of the eigenvalues not kept.  Exact when the kept eigenvalues
    are whole groups of roots of the characteristic polynomial's irreducible factors (their
    squares then sum to a rational, by Newton's identities); ``ArithmeticError`` otherwise.
    """
    if Y != Y.transpose():
        raise ArithmeticError("psd-rank-optimum: Y is not symmetric")
    roots, mult, factors = real_roots(Y.charpoly())
    kept, left = {}, k
    for x in reversed(roots):                         # largest first, positive only
        if left == 0 or not x.lo >= 0:               # the root lies in (lo, hi]: > 0 iff lo >= 0
            break
        t = min(left, mult[x.factor_index])
        kept[id(x)] = t
        left -= t
    # the kept squares must sum to a rational: each factor's roots all kept equally often
    times = times_per_factor(roots, kept)
    if times is None:
        raise ArithmeticError("psd-rank-optimum: the kept eigenvalues split an irreducible "
                              "factor; the optimum is irrational here")
    total_sq = frobenius_sq(Y)
    kept_sq = fmpq(0)
    for idx, t in times.items():
        if t:
            c = factors[idx][0].coeffs()              # monic after scaling: e1, e2
            e1 = -c[-2] / c[-1]
            e2 = c[-3] / c[-1] if len(c) >= 3 else fmpq(0)
            kept_sq += t * (e1 * e1 - 2 * e2)         # sum of the squares of its roots
    return (total_sq - kept_sq) / 2
