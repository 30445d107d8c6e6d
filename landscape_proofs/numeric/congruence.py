"""Float-guided suggestions for the exact inertia of a rational symmetric matrix (producer).

``suggest_congruence(H)`` diagonalizes the float64 conversion of ``H`` (``numpy.linalg.eigh``)
and rounds the eigenvectors to integers over a common power-of-two denominator ``2^bits``;
columns for the eigenvalues closest to 0 may be replaced by an exact rational basis of
``ker H`` (for example the orbit tangent at a critical point).  The suggestion is untrusted:
``landscape_proofs.kernel.congruence.inertia_by_congruence`` checks it exactly, and
``certified_inertia`` falls back to ``landscape_proofs.kernel.linalg.inertia`` (characteristic
polynomial) when the check fails.  docs/inertia.md has the argument and the figures.
"""
from __future__ import annotations

import math
from typing import Sequence

import flint
import numpy as np

from landscape_proofs.kernel.congruence import (check_negative_direction, components,
                                                inertia_by_blocks, inertia_by_congruence)
from landscape_proofs.kernel.linalg import Inertia, inertia
from landscape_proofs.kernel.numbers import to_fmpq
from landscape_proofs.numeric.threads import one_blas_thread

DEFAULT_BITS = 40   # V = round(U 2^bits) / 2^bits; 40 bits sit just above eigh's accuracy
NEAR_ZERO = 1e-9    # float eigenvalues below this fraction of the largest look like zeros


def to_float(H: flint.fmpq_mat) -> np.ndarray | None:
    """The float64 matrix nearest (entrywise, up to rounding) to ``H``, or None if an entry
    does not fit in a float."""
    m, n = H.nrows(), H.ncols()
    Hz, d = H.numer_denom()
    try:
        A = np.array(Hz.tolist(), dtype=np.float64).reshape(m, n) / float(d)
    except OverflowError:
        A = None
    if A is None or not np.all(np.isfinite(A)):
        try:
            A = np.array([[float(H[i, j]) for j in range(n)] for i in range(m)], dtype=float)
        except OverflowError:
            return None
        A = A.reshape(m, n)
    return A if np.all(np.isfinite(A)) else None


def _eigh(H: flint.fmpq_mat):
    A = to_float(H)
    if A is None:
        return None
    A = (A + A.T) / 2
    try:
        w, U = np.linalg.eigh(A)
    except np.linalg.LinAlgError:
        return None
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(U))):
        return None
    return w, U


def _primitive(v: Sequence[object]) -> list[int]:
    """The integer vector with coprime entries proportional (positively) to the rational ``v``."""
    q = [to_fmpq(x) for x in v]
    den = 1
    for x in q:
        den = math.lcm(den, int(x.q))
    ints = [int(x.p) * (den // int(x.q)) for x in q]
    g = math.gcd(*ints)
    return [a // g for a in ints] if g > 1 else ints


def kernel_vectors(H: flint.fmpq_mat, basis) -> list[list[int]]:
    """Integer vectors from ``basis`` (vectors, or an ``n x k`` fmpq_mat of columns) that lie
    exactly in ``ker H`` and are linearly independent (a maximal independent subset mod a
    prime; the kernel check re-proves independence).  Vectors not in the kernel are dropped."""
    n = H.nrows()
    if basis is None:
        return []
    if isinstance(basis, flint.fmpq_mat):
        Kq = basis if basis.nrows() == n else None
    else:
        vecs = [v for v in (list(v) for v in basis) if len(v) == n]
        Kq = (flint.fmpq_mat(n, len(vecs), [to_fmpq(v[i]) for i in range(n) for v in vecs])
              if vecs else None)
    if Kq is None or Kq.ncols() == 0:
        return []
    Kz, _ = Kq.numer_denom()           # one common denominator: the same directions
    rows = Kz.tolist()
    cols = [[row[j] for row in rows] for j in range(Kz.ncols())]
    Hz, _ = H.numer_denom()
    HK = (Hz * Kz).tolist()
    inside = [j for j in range(len(cols)) if any(cols[j]) and all(row[j] == 0 for row in HK)]
    if not inside:
        return []
    K = flint.fmpz_mat([[row[j] for j in inside] for row in rows])
    R, r = flint.nmod_mat(K, 2**61 - 1).rref()
    pivots, i = [], 0
    for j in range(len(inside)):
        if i < r and R[i, j] != 0:
            pivots.append(inside[j])
            i += 1
    out = []
    for j in pivots:                   # primitive: divide each vector by the gcd of its entries
        g = math.gcd(*cols[j])
        out.append([a // g for a in cols[j]] if g > 1 else cols[j])
    return out


def exact_kernel_basis(H: flint.fmpq_mat) -> list[list[int]]:
    """A basis of ker H as primitive integer vectors (FLINT's nullspace of the integer
    matrix d H; exact, usually much cheaper than the characteristic polynomial)."""
    Hz, _ = H.numer_denom()
    N, k = Hz.nullspace()
    return [_primitive([N[i, j] for i in range(N.nrows())]) for j in range(k)]


def near_zero_count(w: np.ndarray, rel: float = NEAR_ZERO) -> int:
    """How many float eigenvalues look like zeros: |w| <= rel * max |w|."""
    top = float(np.max(np.abs(w))) if len(w) else 0.0
    return int(np.sum(np.abs(w) <= rel * top)) if top > 0 else len(w)


def suggest_congruence(H: flint.fmpq_mat, kernel_basis=None, bits: int = DEFAULT_BITS,
                       exact_kernel: bool = True) -> flint.fmpq_mat | None:
    """A square rational V (rounded eigenvectors of H; its last columns an exact kernel
    basis) for :func:`inertia_by_congruence`, or None.

    ``kernel_basis``: vectors (or the columns of an ``n x k`` fmpq_mat) spanning part or all
    of ker H, for example the orbit tangent at a critical point; those not exactly in ker H
    are ignored, dependent ones dropped.  When the float spectrum shows more near-zero
    eigenvalues than that (``near_zero_count``) and ``exact_kernel`` is set, the kernel basis
    is computed exactly instead (:func:`exact_kernel_basis`).  The kernel vectors replace the
    eigenvectors of the eigenvalues of smallest absolute value.
    """
    if not 1 <= bits <= 52:
        raise ValueError("bits must be in 1..52")
    n = H.nrows()
    if n == 0:
        return flint.fmpq_mat(0, 0)
    eig = _eigh(H)
    if eig is None:
        return None
    w, U = eig
    K = kernel_vectors(H, kernel_basis)
    if exact_kernel and near_zero_count(w) > len(K):
        K = exact_kernel_basis(H)
    k = len(K)
    keep = np.sort(np.argsort(np.abs(w), kind="stable")[k:])   # drop the k closest to 0
    P = np.rint(U[:, keep] * float(2**bits)).astype(np.int64)
    rows = P.tolist()
    if k:
        for i in range(n):
            rows[i].extend(v[i] for v in K)
    return flint.fmpq_mat(flint.fmpz_mat(rows)) / flint.fmpz(2**bits)


def suggest_negative_direction(H: flint.fmpq_mat, bits: int = DEFAULT_BITS) -> list[flint.fmpq] | None:
    """The eigenvector of the most negative float eigenvalue, rounded to ``Z / 2^bits``, or
    None when the float spectrum shows no negative eigenvalue.  Unchecked: the caller checks
    it with ``kernel.congruence.check_negative_direction``."""
    eig = _eigh(H) if H.nrows() else None
    if eig is None:
        return None
    w, U = eig
    if not w[0] < 0:
        return None
    d = flint.fmpz(2**bits)
    v = [flint.fmpq(int(x), d) for x in np.rint(U[:, 0] * float(2**bits)).astype(np.int64)]
    if all(x == 0 for x in v):
        return None
    return v


def certified_negative_direction(H: flint.fmpq_mat, bits: int = DEFAULT_BITS) -> list[flint.fmpq] | None:
    """:func:`suggest_negative_direction`, returned only if the kernel accepts it."""
    v = suggest_negative_direction(H, bits)
    return v if v is not None and check_negative_direction(H, v) else None


def certified_inertia(H: flint.fmpq_mat, kernel_basis=None,
                      bits: int = DEFAULT_BITS) -> tuple[Inertia, str]:
    """The exact inertia of the symmetric matrix ``H`` and how it was established:
    ``"congruence"`` (a float-suggested V checked by ``kernel.congruence``) or
    ``"charpoly"`` (the fallback, ``kernel.linalg.inertia``)."""
    V = suggest_congruence(H, kernel_basis, bits) if H.nrows() == H.ncols() else None
    if V is not None:
        ine = inertia_by_congruence(H, V)
        if ine is not None:
            return ine, "congruence"
    return inertia(H), "charpoly"


# --- what the classifier calls ------------------------------------------------------------------
# Below this many rows the characteristic polynomial and the exact elimination take
# milliseconds (docs/inertia.md: the charpoly route still wins at 252 parameters at structured
# critical points), so the float route, and the import of NumPy, are not worth it.
FLOAT_GUIDED_MIN_N = 120


def classification_inertia(H: flint.fmpq_mat, kernel_basis=None, min_n: int | None = None):
    """``(inertia, method, V)`` for the classifier: above ``min_n`` rows a float-suggested
    congruence checked by the kernel (``V`` is returned so that a certificate can carry it),
    else, or when that check fails, the exact characteristic polynomial (``V`` is None).
    ``method``: ``"congruence"`` or ``"charpoly"``; ``min_n`` defaults to FLOAT_GUIDED_MIN_N
    (read at each call, so tests can lower it)."""
    n = H.nrows()
    comps = components(H) if n > 1 else [list(range(n))]
    if len(comps) > 1:   # H decouples: block by block (kernel.congruence.inertia_by_blocks)
        blocks = {}

        def block(sub):
            ine, how, _ = classification_inertia(sub, None, min_n)
            blocks[how] = blocks.get(how, 0) + 1
            return ine

        ine = inertia_by_blocks(H, block, comps)
        return ine, "blocks (" + ", ".join(f"{v} by {k}" for k, v in sorted(blocks.items())) + ")", None
    if n >= max(1, FLOAT_GUIDED_MIN_N if min_n is None else min_n):
        with one_blas_thread():
            V = suggest_congruence(H, kernel_basis)
        if V is not None:
            ine = inertia_by_congruence(H, V)
            if ine is not None:
                return ine, "congruence", V
    return inertia(H), "charpoly", None


def classification_negative_direction(H: flint.fmpq_mat, min_n: int | None = None):
    """A rational ``v`` with ``v^T H v < 0`` (checked exactly), or None when ``H`` is positive
    semidefinite: above ``min_n`` rows the rounded float eigenvector of the most negative
    eigenvalue first, then the exact symmetric elimination
    (``kernel.linalg.negative_direction``) as the fallback."""
    from landscape_proofs.kernel.linalg import negative_direction

    if H.nrows() >= max(1, FLOAT_GUIDED_MIN_N if min_n is None else min_n):
        with one_blas_thread():
            v = suggest_negative_direction(H)
        if v is not None and check_negative_direction(H, v):
            return v
    return negative_direction(H)


def congruence_json(V: flint.fmpq_mat) -> dict:
    """The certificate form of ``V`` (docs/certificates.md): a positive integer
    ``denominator`` and the ``rows`` of the integer matrix ``denominator * V``."""
    Vz, d = V.numer_denom()
    return {"denominator": int(d), "rows": [[int(x) for x in row] for row in Vz.tolist()]}
