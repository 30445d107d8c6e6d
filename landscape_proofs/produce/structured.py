"""Exact layers with a prescribed rank structure around a float point (a producer step).

A float point near a critical set whose layers have larger ranks than their product (a
low-rank target ``Y`` fitted by wide layers: ``W_1`` of rank 5, ``W_2 W_1`` of rank 4) is not
near any point that entrywise rounding makes exactly critical, and when the critical set there
is larger than one symmetry orbit no enclosure isolates it either.  Here the layers are
rebuilt exactly around a snapped product ``R`` with the float point's numerical ranks: ``W_1 =
C B_0 + U V`` (``B_0`` a basis of the row space of ``R``, ``C`` the rounded coordinates of
``W_1`` on it, ``U V`` the rounded truncated SVD of the rest of ``W_1``, times the exact
projector off that row space), and the product ``M`` of the other layers solves ``M [C, U] =
[Z, 0]`` with ``Z B_0 = R`` (so that ``M W_1 = R`` exactly), recursively.  Used by ``search``
(:mod:`landscape_proofs.search.snap`) and ``classify --refine``
(:mod:`landscape_proofs.produce.refined`); the exact points are candidates, classified exactly
like any other.
"""
from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from landscape_proofs.numeric.refine import simplest_rational

RANK_TOL = 1e-6             # numerical rank: singular values above RANK_TOL * the largest
LAYER_TOL = 1e-8            # relative rounding of the layers' parts


def _rounded(M: np.ndarray, delta: float) -> flint.fmpq_mat:
    """``M`` entrywise as the simplest rationals within ``delta (1 + |x|)``."""
    out = []
    for v in np.asarray(M, dtype=float).ravel():
        q = simplest_rational(Fraction(float(v)), Fraction(delta * (1.0 + abs(float(v)))))
        out.append(flint.fmpq(q.numerator, q.denominator))
    return flint.fmpq_mat(M.shape[0], M.shape[1], out)


def _eye(n: int) -> flint.fmpq_mat:
    return flint.fmpq_mat(n, n, [int(i == j) for i in range(n) for j in range(n)])


def numerical_rank(M: np.ndarray, tol: float = RANK_TOL) -> int:
    s = np.linalg.svd(np.asarray(M, dtype=float), compute_uv=False)
    return int(np.sum(s > tol * s[0])) if s.size and s[0] > 0 else 0


def rank_profile(Ws: list, tol: float = RANK_TOL) -> tuple[int, ...]:
    """Numerical ranks of ``W_j ... W_i`` for ``i <= j``, ordered by ``i`` then ``j`` (the
    order of :func:`landscape_proofs.search.dedupe.invariants`)."""
    out = []
    for i in range(len(Ws)):
        P = Ws[i]
        out.append(numerical_rank(P, tol))
        for j in range(i + 1, len(Ws)):
            P = Ws[j] @ P
            out.append(numerical_rank(P, tol))
    return tuple(out)


def _float_of(M) -> np.ndarray:
    return np.array([[float(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())])


def _rank_snap(M: np.ndarray, k: int, delta: float):
    """An exact matrix of rank at most ``k`` near ``M``: the two factors of its truncated SVD
    snapped entrywise, as ``(U S, V^T)`` (``fmpq_mat``); ``None`` when ``k == 0``."""
    if k <= 0:
        return None
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    return _rounded(U[:, :k] * S[:k], delta), _rounded(Vt[:k], delta)


def _least_change(Bf: np.ndarray, G, T, keep: int, delta: float):
    """Exact ``B`` with ``B G = T`` (``G`` of full column rank) near the float ``Bf``: ``T G^+``
    plus the part of ``Bf`` that ``G`` does not see, ``Bf (I - G G^+)``, rounded to an exact
    matrix of rank ``keep`` (its numerical rank at the limit point)."""
    Gram = G.transpose() * G
    if Gram.det() == 0:
        return None
    Gp = Gram.inv() * G.transpose()
    B = T * Gp
    rest = _rank_snap(Bf @ (np.eye(G.nrows()) - _float_of(G * Gp)), keep, delta)
    if rest is not None:
        U, V = rest
        B = B + U * V * (_eye(G.nrows()) - G * Gp)
    return B


def _fit_two_layers(Af: np.ndarray, Bf: np.ndarray, R, ranks, delta: float):
    """Exact ``(A, B)`` with ``B A = R`` exactly and ``rank A, rank B`` as given, near the float
    ``(Af, Bf)`` whose product is near ``R`` (rank ``r``).  ``A`` keeps its part in the row space
    of ``R`` (coordinates ``C`` on a basis ``B0`` of it) and gets the rest of rank ``k = rank A - r``
    exactly orthogonal to it (``U V``); ``B`` then solves ``B [C, U] = [Z, 0]``, ``Z B0 = R``,
    which makes ``B A = Z B0 = R``.  None when a rank or an exact check fails."""
    ra, rb = ranks
    E, r = R.rref()
    k = ra - r
    if r == 0 or k < 0 or rb < r:
        return None
    B0 = flint.fmpq_mat(r, R.ncols(), [E[i, j] for i in range(r) for j in range(R.ncols())])
    B0p = B0.transpose() * (B0 * B0.transpose()).inv()
    off = _eye(R.ncols()) - B0p * B0          # the projector off the row space of R
    C = _rounded(Af @ _float_of(B0p), delta)
    A, G = C * B0, C
    if k:
        U, V = _rank_snap(Af @ _float_of(off), k, delta)
        A = A + U * (V * off)
        G = flint.fmpq_mat(C.nrows(), r + k, [
            (C[i, j] if j < r else U[i, j - r]) for i in range(C.nrows()) for j in range(r + k)])
    Z = R * B0p
    T = flint.fmpq_mat(Z.nrows(), r + k, [
        (Z[i, j] if j < r else 0) for i in range(Z.nrows()) for j in range(r + k)])
    if G.rank() != r + k:
        return None
    B = _least_change(Bf, G, T, rb - r, delta)
    if B is None or B * A != R or A.rank() != ra or B.rank() != rb:
        return None
    return A, B


def _fit_chain(Wfs: list, R, rank_of, delta: float):
    """Exact layers near the floats ``Wfs`` (``W_1`` first) whose product is ``R`` exactly:
    ``W_1`` and the product of the others are fitted (:func:`_fit_two_layers`), then the others
    around that exact product, recursively.  ``rank_of(i, j)`` is the numerical rank of
    ``W_j ... W_i`` at the limit point (0-based, within ``Wfs``)."""
    if len(Wfs) == 1:
        return [R] if R.rank() == rank_of(0, 0) else None
    rest = Wfs[1]
    for W in Wfs[2:]:
        rest = W @ rest
    fit = _fit_two_layers(Wfs[0], rest, R, (rank_of(0, 0), rank_of(1, len(Wfs) - 1)), delta)
    if fit is None:
        return None
    tail = _fit_chain(Wfs[1:], fit[1], lambda i, j: rank_of(i + 1, j + 1), delta)
    return None if tail is None else [fit[0]] + tail




def rank_structured_points(Ws: list, profile, tolerances):
    """``(description, exact layers)``: for each product tolerance, the product of the float
    layers ``Ws`` snapped, and the layers rebuilt around it with the ranks ``profile`` (from
    ``W_1``'s side and, transposed, from ``W_H``'s).  Nothing is checked here but the exact
    product and the ranks along the way; the caller classifies."""
    H = len(Ws)
    start = [sum(H - t for t in range(i)) for i in range(H)]

    def rank_of(i, j):                      # W_j ... W_i, i <= j
        return profile[start[i] + j - i]

    Rf = Ws[0]
    for W in Ws[1:]:
        Rf = W @ Rf
    r = rank_of(0, H - 1)
    seen = set()
    for delta in tolerances:
        R = _rounded(Rf, delta)
        key = str(R)
        if key in seen or R.rank() != r:
            continue
        seen.add(key)
        for side in ("first", "last"):
            if side == "first":
                layers = _fit_chain(Ws, R, rank_of, LAYER_TOL)
            else:       # the transposed chain W_1^T ... W_H^T, whose product is R^T
                layers = _fit_chain([W.T for W in reversed(Ws)], R.transpose(),
                                    lambda i, j: rank_of(H - 1 - j, H - 1 - i), LAYER_TOL)
                layers = None if layers is None else [M.transpose() for M in reversed(layers)]
            if layers is not None:
                yield (f"layers rebuilt exactly around the product snapped at relative tolerance "
                       f"{delta:g}, keeping the ranks of partial products {list(profile)} (from "
                       f"the {side} layer on)"), layers
