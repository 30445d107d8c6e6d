"""Float-guided suggestions for the exact inertia of a rational symmetric matrix (producer).

``suggest_congruence(H)`` diagonalizes the float64 conversion of ``H`` (``numpy.linalg.eigh``)
and rounds the eigenvectors to integers over a common power-of-two denominator ``2^bits``;
columns for the eigenvalues closest to 0 may be replaced by an exact rational basis of
``ker H`` (for example the orbit tangent at a critical point).  The suggestion is untrusted:
``landscape_proofs.kernel.congruence.inertia_by_congruence`` checks it exactly, and
``certified_inertia`` falls back to ``landscape_proofs.kernel.linalg.inertia`` (characteristic
polynomial) when the check fails.  docs/inertia.md has the argument and the figures.

The classifier first tries a cheaper exact check of the same certificate
(:func:`float_exact_congruence`): with ``V`` rounded to fewer bits, ``H V`` and ``V^T H V`` are
computed *exactly* with float64 BLAS products of small integer matrices (digit splitting, every
partial sum an integer of absolute value at most 2^50, so no rounding occurs), about ten times
faster than FLINT's ``fmpz_mat`` products at 2,048 rows; when it cannot decide, the kernel's
check (:func:`inertia_by_congruence`) runs as before.  For a Hessian that looks positive
semidefinite the congruence is suggested first by pivoted Cholesky (:func:`cholesky_congruence`,
no eigendecomposition; docs/inertia.md, "Third round").
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
    return _float_eigh(to_float(H))


def _float_eigh(A: np.ndarray | None):
    """``(w, U)`` of the symmetrised float matrix ``A``, or None (no matrix, no convergence,
    or a non-finite result)."""
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


def _hint_matrix(basis, n: int) -> flint.fmpz_mat | None:
    """The kernel hints ``basis`` (vectors, or an ``n x k`` fmpq_mat of columns) as the columns
    of one integer matrix (scaled by one common denominator: the same directions), or None."""
    if basis is None:
        return None
    if isinstance(basis, flint.fmpq_mat):
        Kq = basis if basis.nrows() == n else None
    else:
        vecs = [v for v in (list(v) for v in basis) if len(v) == n]
        flat = [v[i] for i in range(n) for v in vecs]
        try:                           # fmpq and int entries directly (the orbit tangent)
            Kq = flint.fmpq_mat(n, len(vecs), flat) if vecs else None
        except TypeError:
            Kq = flint.fmpq_mat(n, len(vecs), [to_fmpq(x) for x in flat])
    if Kq is None or Kq.ncols() == 0:
        return None
    return Kq.numer_denom()[0]


def _hint_array(basis, n: int) -> np.ndarray | None:
    """:func:`_hint_matrix` as an int64 ``n x k`` array (entries below 2^50), else None;
    unchecked (the exact check tests ``H V_Z = 0`` and the rank of ``V_Z`` itself)."""
    Kz = _hint_matrix(basis, n)
    F = _exact_float_entries(Kz) if Kz is not None else None
    return F.reshape(n, Kz.ncols()).astype(np.int64) if F is not None else None


def kernel_vectors(H: flint.fmpq_mat, basis, Az: np.ndarray | None = None) -> list[list[int]]:
    """Integer vectors from ``basis`` (vectors, or an ``n x k`` fmpq_mat of columns) that lie
    exactly in ``ker H`` and are linearly independent (a maximal independent subset mod a
    prime; the kernel check re-proves independence).  Vectors not in the kernel are dropped.
    ``Az`` (optional): ``d H`` as exact float64 integers (:func:`integer_float`); then ``H v``
    is computed by one exact float64 product when the sizes allow it."""
    n = H.nrows()
    Kz = _hint_matrix(basis, n)
    if Kz is None:
        return []
    k = Kz.ncols()
    h = _bits(Az) if Az is not None else 0
    F = _exact_float_entries(Kz) if h else None
    big = int(np.max(np.abs(F))) if F is not None and F.size else 0
    if F is not None and n.bit_length() + h + big.bit_length() <= 50:   # H K exactly, in float64
        Kf = F.reshape(n, k)
        zero = (~(Az @ Kf).any(axis=0)).tolist()
        cols = Kf.astype(np.int64).T.tolist()
    else:
        rows = Kz.tolist()
        cols = [[row[j] for row in rows] for j in range(k)]
        Hz, _ = H.numer_denom()
        HK = (Hz * Kz).tolist()
        zero = [all(row[j] == 0 for row in HK) for j in range(k)]
    inside = [j for j in range(k) if any(cols[j]) and zero[j]]
    if not inside:
        return []
    K = Kz if len(inside) == k else flint.fmpz_mat([list(r) for r in zip(*(cols[j] for j in inside))])
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


def _spectrum(H: flint.fmpq_mat, A: np.ndarray | None, kernel_basis, exact_kernel: bool,
              Az: np.ndarray | None = None, K: list[list[int]] | None = None):
    """``(w, U, K)``: the float eigenpairs of ``A`` (the float conversion of ``H``) and the exact
    kernel vectors chosen as in :func:`suggest_congruence` (``K``: those of ``kernel_basis``,
    if already computed), or None."""
    eig = _float_eigh(A)
    if eig is None:
        return None
    w, U = eig
    if K is None:
        K = kernel_vectors(H, kernel_basis, Az)
    if exact_kernel and near_zero_count(w) > len(K):
        K = exact_kernel_basis(H)
    return w, U, K


def _rounded(w: np.ndarray, U: np.ndarray, K: list[list[int]], bits: int) -> list[list[int]]:
    """The rows of the integer matrix ``2^bits V``: the eigenvectors of all but the ``len(K)``
    eigenvalues closest to 0, rounded, then the kernel vectors (not scaled; the same directions)."""
    keep = np.sort(np.argsort(np.abs(w), kind="stable")[len(K):])   # drop the k closest to 0
    rows = np.rint(U[:, keep] * float(2**bits)).astype(np.int64).tolist()
    if K:
        for i, row in enumerate(rows):
            row.extend(v[i] for v in K)
    return rows


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
    sp = _spectrum(H, to_float(H), kernel_basis, exact_kernel)
    if sp is None:
        return None
    return flint.fmpq_mat(flint.fmpz_mat(_rounded(*sp, bits))) / flint.fmpz(2**bits)


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


# --- exact integer products through float64 BLAS ------------------------------------------------
EXACT_BOUND = 2**50   # every partial sum of an exact product stays below this (2^53: float64's
                      # integers; the margin covers any summation order, FMA included)


def integer_float(H: flint.fmpq_mat, scaled: bool = True) -> tuple[np.ndarray | None, np.ndarray | None, int]:
    """``(Az, A, d)``: ``Az`` the integer matrix ``d H`` as float64 (exact: every entry below
    EXACT_BOUND in absolute value; else None), ``A`` the float64 matrix nearest to ``H`` (as
    :func:`to_float`; None if it does not fit), ``d`` the common denominator (a Python int).
    One conversion of ``H`` serves the float eigendecomposition and the exact check.  With
    ``scaled`` False, ``A`` is None whenever ``Az`` is not (the caller divides when it needs
    ``A``: one ``N x N`` array less)."""
    m, n = H.nrows(), H.ncols()
    Hz, d = H.numer_denom()
    Az = _exact_float_entries(Hz)
    if Az is not None:
        Az = Az.reshape(m, n)
        return Az, (Az / float(d) if scaled else None), int(d)
    return None, to_float(H), int(d)


def _exact_float_entries(Mz: flint.fmpz_mat) -> np.ndarray | None:
    """The entries of the integer matrix ``Mz`` (row-major) as a flat float64 array, or None
    when one is EXACT_BOUND or more in absolute value.  ``float`` of an integer is correctly
    rounded, hence monotone: an integer of absolute value at least 2^50 never becomes a float
    below 2^50 (a power of two is a float), so the bound test on the floats is exact, and below
    the bound the conversion is exact.  (One C-level conversion per entry: 4x faster than
    going through Python integers at 2,048 rows.)"""
    entries = Mz.entries()
    try:
        F = np.fromiter(map(float, entries), dtype=np.float64, count=len(entries))
    except OverflowError:
        return None
    return F if F.size == 0 or float(np.max(np.abs(F))) < EXACT_BOUND else None


def _digits(X: np.ndarray, s: int) -> list[np.ndarray]:
    """Base-2^s digits of the int64 matrix ``X``: ``X = sum_i 2^(s i) D_i`` with
    ``|D_i| <= 2^s`` (``D_i = X_i mod 2^s`` for the lower digits, floor division passing the rest
    on, the last digit in ``[-2^s, 2^s)``), at least one digit."""
    out, top = [], 1 << s
    while X.min(initial=0) < -top or X.max(initial=0) >= top:
        out.append(X & (top - 1))
        X = X >> s
    out.append(X)
    return out


def _bits(X: np.ndarray) -> int:
    return max(int(X.max()), -int(X.min())).bit_length() if X.size else 0


def _exact_products(A_digits, sa: int, B_digits, sb: int, transpose_a: bool = False):
    """The terms ``(shift, P)`` (P int64) of ``A B = sum 2^shift P`` for ``A = sum 2^(sa i) A_i``
    and ``B = sum 2^(sb j) B_j`` (``A^T B`` with ``transpose_a``); every product is a float64
    product whose partial sums are integers below EXACT_BOUND (the caller chose the digit sizes
    so that ``inner * 2^(sa + sb) <= EXACT_BOUND``), hence exact."""
    terms = []
    Bf = [Bj.astype(np.float64, copy=False) for Bj in B_digits]    # each digit converted once
    for i, Ai in enumerate(A_digits):
        Af = Ai.astype(np.float64, copy=False)
        if transpose_a:
            Af = Af.T
        for j, Bj in enumerate(Bf):
            P = Af @ Bj
            terms.append((sa * i + sb * j, P.astype(np.int64)))
    return terms


def _float_digits(X: np.ndarray, s: int) -> list[np.ndarray]:
    """:func:`_digits` of a float64 matrix of integers below 2^53 in absolute value, computed
    in float64 (exactly: dividing by 2^s, ``floor``, multiplying back and subtracting never
    round on such integers), as float64 digits."""
    out, top = [], float(2**s)
    while X.min(initial=0) < -top or X.max(initial=0) >= top:
        Q = np.floor(X / top)
        out.append(X - Q * top)
        X = Q
    out.append(X)
    return out


_LIMB = 56


def _two_limbs(terms):
    """``(hi, lo)`` int64 with ``sum 2^shift P = hi 2^56 + lo`` exactly and ``0 <= lo < 2^56``,
    or None if ``hi`` could overflow."""
    hi = lo = None
    for shift, P in terms:
        if shift >= _LIMB:
            if _bits(P) + shift - _LIMB > 60:
                return None
            h, low = P << (shift - _LIMB), np.zeros_like(P)
        else:
            r = _LIMB - shift
            h, low = P >> r, (P & ((1 << r) - 1)) << shift     # P = (P >> r) 2^r + (P & mask)
        hi = h if hi is None else hi + h
        lo = low if lo is None else lo + low
        hi += lo >> _LIMB                                          # carry: lo stays below 2^57
        lo &= (1 << _LIMB) - 1
    return hi, lo


def _times(Az: np.ndarray, X: np.ndarray, h: int, budget: int) -> np.ndarray:
    """``Az X`` exactly for the float64 integer matrix ``Az`` (``h``-bit entries) and the int64
    matrix ``X``: one float64 product when every partial sum stays below EXACT_BOUND (the result
    is then float64), else ``X`` in ``(budget - h)``-bit digits, the products summed in int64 (the
    caller checked that every term and partial sum stays below 2^62)."""
    lg = EXACT_BOUND.bit_length() - 1 - budget
    sv = budget - h
    Xd = _digits(X, sv)
    if len(Xd) == 1 and h + _bits(X) + lg <= EXACT_BOUND.bit_length() - 1:
        return Az @ Xd[0].astype(np.float64)
    T = np.zeros((Az.shape[0], X.shape[1]), dtype=np.int64)
    for shift, P in _exact_products([Az], 0, Xd, sv):
        T += P << shift
    return T


def float_exact_congruence(Az: np.ndarray, Vz: np.ndarray, k: int | None = None) -> Inertia | None:
    """The check of :func:`landscape_proofs.kernel.congruence.inertia_by_congruence` (same
    steps, same conclusion) for ``H = Az / d`` and ``V = Vz / e`` given as exact integer
    matrices (``Az`` float64 with integer entries below EXACT_BOUND, ``Vz`` int64), with the two
    products computed exactly through float64 BLAS (digit splitting) instead of FLINT.  None when
    the check fails or the sizes do not allow exact float products (the caller then runs the
    kernel's check, or the exact fallback).

    ``k`` (optional): the kernel block is the last ``k`` columns, and ``H V_Z = 0`` is checked
    for those only (else None); the argument of the kernel's check needs ``H V_Z = 0``, not that
    ``k`` be the most trailing zero columns.  Rows of ``V_P`` that are zero (a suggestion
    supported on ``r`` pivot rows, :func:`cholesky_congruence`) are left out of the products:
    ``H V_P = H[:, R] V_P[R]`` and ``V_P^T (H V_P) = V_P[R]^T (H V_P)[R]`` exactly."""
    n = Az.shape[0]
    if Vz.shape != (n, n) or n == 0:
        return None
    lg = max(1, (n - 1).bit_length())                 # n <= 2^lg
    budget = EXACT_BOUND.bit_length() - 1 - lg        # digit bits of a product's two factors
    h, bv = _bits(Az), _bits(Vz)
    if h >= budget - 4 or h + bv + lg > 60:
        return None
    # H V (H: one digit, V in (budget - h)-bit digits; int64 terms and partial sums < 2^62)
    if k is None:
        T = _times(Az, Vz, h, budget)
        k = 0
        while k < n and not T[:, n - 1 - k].any():
            k += 1
        m = n - k
        VP, TP = Vz[:, :m], T[:, :m]
    else:
        if not 0 <= k <= n:
            return None
        m = n - k
        if k and _times(Az, Vz[:, m:], h, budget).any():
            return None                                # a column of V_Z is not in ker H
        R = np.nonzero(Vz[:, :m].any(axis=1))[0]        # the rows where V_P is not zero
        VP = Vz[R, :m]
        TP = _times(Az[np.ix_(R, R)], VP, h, budget)   # (H V_P)[R] = H[R, R] V_P[R]
    if k:   # full column rank of V_Z mod p; first on the k x k block of the rows where V_P is 0
        C = np.nonzero(~Vz[:, :m].any(axis=1))[0] if m else np.arange(n)   # (a nonzero minor)
        for Z in ([Vz[C, m:]] if len(C) >= k and len(C) < n else []) + [Vz[:, m:]]:
            Zm = flint.fmpz_mat(Z.tolist())
            if any(flint.nmod_mat(Zm, p).rank() == k for p in (2**61 - 1, 2**31 - 1)):
                break
        else:
            return None
    if m == 0:
        return Inertia(0, 0, k)
    bv, bt = _bits(VP), _bits(TP)
    if lg + bv + bt + 3 > _LIMB + 62:        # the limb sums below could overflow int64
        return None
    best = min(((-(-bv // a) * -(-bt // (budget - a)), a) for a in range(1, budget)))
    sa, sb = best[1], budget - best[1]
    Td = _float_digits(TP, sb) if TP.dtype == np.float64 else _digits(TP, sb)
    limbs = _two_limbs(_exact_products(_digits(VP, sa), sa, Td, sb, transpose_a=True))
    if limbs is None:
        return None
    hi, lo = limbs                                     # B = hi 2^56 + lo, exactly
    idx = np.arange(m)
    off_hi, off_lo = hi.copy(), lo.copy()
    off_hi[idx, idx], off_lo[idx, idx] = 0, 0
    small = (off_hi == 0) | (off_hi == -1)             # |entry| <= 2^56: one int64 each
    absval = np.where(off_hi == 0, off_lo, (1 << _LIMB) - off_lo)   # |hi 2^56 + lo|, exactly
    absval[~small] = 0
    rows_hi = (absval >> 28).sum(axis=1)               # row sums split in two: no overflow
    rows_lo = (absval & ((1 << 28) - 1)).sum(axis=1)
    large_rows = set(np.nonzero(~small.all(axis=1))[0].tolist())
    positive = 0
    for i in range(m):                                 # strict dominance, exactly (Python ints)
        diag = (int(hi[i, i]) << _LIMB) + int(lo[i, i])
        off = (int(rows_hi[i]) << 28) + int(rows_lo[i])
        if i in large_rows:                            # the large entries of row i, exactly
            js = np.nonzero(~small[i])[0].tolist()
            off += sum(abs((int(hi[i, j]) << _LIMB) + int(lo[i, j])) for j in js)
        if abs(diag) <= off:
            return None
        positive += diag > 0
    return Inertia(positive, m - positive, k)


# --- what the classifier calls ------------------------------------------------------------------
# Below this many rows the characteristic polynomial and the exact elimination take
# milliseconds (docs/inertia.md: the charpoly route still wins at 252 parameters at structured
# critical points), so the float route, and the import of NumPy, are not worth it.
FLOAT_GUIDED_MIN_N = 120


def _components(Az: np.ndarray) -> list[list[int]]:
    """:func:`landscape_proofs.kernel.congruence.components` from the exact integer matrix
    ``Az`` (an entry is 0 exactly when the rational one is): the same search, one vectorized
    row scan per vertex; each component sorted, ordered by its least index."""
    pattern = Az != 0
    n = pattern.shape[0]
    seen = np.zeros(n, dtype=bool)
    out = []
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        members, stack = [start], [start]
        while stack:
            new = np.nonzero(pattern[stack.pop()] & ~seen)[0]
            seen[new] = True
            members.extend(new.tolist())
            stack.extend(new.tolist())
        out.append(sorted(members))
    return out


FAST_BITS = 20   # V's bits (at most) for the float-exact check (40 bits if it fails)
MIN_FAST_BITS = 10   # ... and at least


def _rounded_array(w: np.ndarray, U: np.ndarray, K: list[list[int]], bits: int) -> np.ndarray | None:
    """:func:`_rounded` as an int64 array (no Python lists), or None if a kernel vector does
    not fit in int64."""
    keep = np.sort(np.argsort(np.abs(w), kind="stable")[len(K):])
    P = np.rint(U[:, keep] * float(2**bits)).astype(np.int64)
    if not K:
        return P
    try:
        Z = np.array(K, dtype=np.int64).T
    except OverflowError:
        return None
    return np.hstack([P, Z.reshape(P.shape[0], len(K))])


def _product_count(h: int, bv: int, lg: int) -> int:
    """The number of float64 products :func:`float_exact_congruence` makes for ``h``-bit ``H``,
    ``bv``-bit ``V`` and ``n <= 2^lg`` rows (its digit sizes; an upper bound for ``B``)."""
    budget = EXACT_BOUND.bit_length() - 1 - lg
    bt = h + bv + lg
    return (-(-bv // (budget - h))
            + min(-(-bv // a) * -(-bt // (budget - a)) for a in range(1, budget)))


def fast_bits(w: np.ndarray, k: int, h: int, n: int, kbits: int = 0) -> int:
    """The bits of ``V`` for :func:`float_exact_congruence` (0: do not try it), from the float
    spectrum ``w`` (``k`` of its eigenvalues replaced by the kernel block, ``kbits``-bit vectors).

    Rounding each eigenvector entry (uniformly, by at most ``2^-(bits+1)``) perturbs
    ``B = V^T H V`` off its diagonal by about ``2^-bits (m |w_i| + sum_j |w_j|) / 4`` in row ``i``
    (``m`` kept columns; ``u^T e`` has standard deviation ``2^-bits / sqrt(12)``), which must stay
    below ``|w_i|``: ``need = log2(m + sum |w| / min |w|) - 2``, plus one bit of margin (at
    2,048 rows: 16 bits, where 14 pass and 13 fail).  Among the bits from ``need`` to FAST_BITS the one with the fewest float64 products
    (:func:`_product_count`; the most bits among those) is taken, within the size limits of
    :func:`float_exact_congruence` (``h + bits + log2 n <= 59``).  Only a heuristic: too few
    bits make the exact check fail (then 40 bits and the kernel's check), never pass wrongly."""
    keep = np.sort(np.abs(w))[k:]
    if keep.size == 0 or not keep[0] > 0:
        need = MIN_FAST_BITS
    else:
        need = math.ceil(math.log2(keep.size + float(np.sum(keep)) / float(keep[0]))) - 1
    return _choose_bits(need, h, n, kbits)


def _choose_bits(need: int, h: int, n: int, kbits: int) -> int:
    """The bits from ``max(need, MIN_FAST_BITS)`` to FAST_BITS (and ``h + bits + log2 n <= 59``)
    with the fewest float64 products, the most bits among those; 0 if there are none."""
    lg = max(1, (n - 1).bit_length())
    top = min(FAST_BITS, 59 - h - lg)
    lo = max(MIN_FAST_BITS, need)
    if lo > top or h >= EXACT_BOUND.bit_length() - 1 - lg - 4:
        return 0
    return min(range(lo, top + 1), key=lambda b: (_product_count(h, max(b, kbits), lg), -b))


def cholesky_congruence(A: np.ndarray, K, h: int):
    """``(Vz, bits)``: an integer congruence for a float matrix ``A`` that looks positive
    semidefinite with kernel spanned by the ``k`` exact vectors ``K`` (lists of integers, or the
    columns of an int64 array), or None (``A`` not positive
    semidefinite of rank ``r = n - k`` to float accuracy, or nothing to gain).

    Pivoted Cholesky (LAPACK ``dpstrf``) ``P^T A P = L L^T`` picks ``r`` pivot rows ``R`` with
    ``A[R, R] = L11 L11^T`` positive definite; with ``M = L11^-T`` (``dtrtri``),
    ``M^T A[R, R] M = I``.  ``V_P`` is ``M`` scaled to ``bits``-bit integers on the rows ``R``
    and zero elsewhere, ``V_Z`` the kernel vectors: ``V^T H V`` is then nearly ``diag(I, 0)``, and
    the products of the exact check shrink to ``r x r`` blocks.  About 8x cheaper than ``eigh``
    at 2,048 rows; untrusted like every suggestion here (:func:`float_exact_congruence` decides).
    Bits: rounding ``M`` by ``2^-(bits+1) max |M|`` perturbs row ``i`` of ``B`` by about
    ``2^-bits max |M| sum_j |L11 e_j|``, below 1: ``need = log2(max |M| sum_j |L11 e_j|)``
    (plus margin, :func:`_choose_bits`)."""
    from scipy.linalg import lapack

    n = A.shape[0]
    K = np.zeros((n, 0), dtype=np.int64) if len(K) == 0 else K
    try:
        K = K if isinstance(K, np.ndarray) else np.array(K, dtype=np.int64).T
    except OverflowError:
        return None
    k = K.shape[1]
    r = n - k
    if r == 0:
        return None
    # SciPy ships its own OpenBLAS, loaded by the import above: limit it here too (a limit set
    # before the import does not reach it; two threads on shared cores made dpstrf 4x slower)
    with one_blas_thread():
        try:
            c, piv, rank, info = lapack.dpstrf(A, lower=1)
        except (ValueError, np.linalg.LinAlgError):
            return None
        if info < 0 or rank < r:
            return None
        L11 = np.tril(c[:r, :r])
        spread = float(np.sum(np.linalg.norm(L11, axis=0)))
        Linv, info = lapack.dtrtri(L11, lower=1, overwrite_c=1)
    del c, L11
    if info != 0 or not np.all(np.isfinite(Linv)):
        return None
    M = Linv.T
    top = max(float(M.max()), -float(M.min()))
    spread *= top
    if not (top > 0 and math.isfinite(spread) and spread > 0):
        return None
    bits = _choose_bits(math.ceil(math.log2(spread)) + CHOLESKY_MARGIN, h, n, _bits(K))
    if not bits:
        return None
    M *= 2.0**bits / top                               # in place: no N x N temporaries
    np.rint(M, out=M)
    Vz = np.zeros((n, n), dtype=np.int64)
    Vz[piv[:r] - 1, :r] = M
    Vz[:, r:] = K
    return Vz, bits


CHOLESKY_MARGIN = 0   # bits added to cholesky_congruence's estimate (calibrated: 14 of 14 needed at [16]^4)


def classification_inertia(H: flint.fmpq_mat, kernel_basis=None, min_n: int | None = None,
                           keep_v: bool = True):
    """``(inertia, method, V)`` for the classifier: above ``min_n`` rows a float-suggested
    congruence checked exactly (``V`` is returned so that a certificate can carry it; with
    ``keep_v`` False it is not built, and None is returned in its place), else, or when that
    check fails, the exact characteristic polynomial (``V`` is None).  The congruence is
    checked first with :func:`fast_bits` bits (at most FAST_BITS) by
    :func:`float_exact_congruence`, then with
    DEFAULT_BITS by the kernel's :func:`inertia_by_congruence`.  ``method``: ``"congruence"``
    or ``"charpoly"``; ``min_n`` defaults to FLOAT_GUIDED_MIN_N (read at each call, so tests
    can lower it)."""
    n = H.nrows()
    fast = n >= max(1, FLOAT_GUIDED_MIN_N if min_n is None else min_n)
    Az, A, d = integer_float(H, scaled=False) if fast else (None, None, 1)
    if n <= 1:
        comps = [list(range(n))]
    else:
        comps = components(H) if Az is None else _components(Az)
    if len(comps) > 1:   # H decouples: block by block (kernel.congruence.inertia_by_blocks)
        blocks = {}

        def block(sub):
            ine, how, _ = classification_inertia(sub, None, min_n)
            blocks[how] = blocks.get(how, 0) + 1
            return ine

        ine = inertia_by_blocks(H, block, comps)
        return ine, "blocks (" + ", ".join(f"{v} by {k}" for k, v in sorted(blocks.items())) + ")", None
    if fast:
        with one_blas_thread():
            if Az is not None and np.array_equal(Az, Az.T):
                # first pivoted Cholesky (positive semidefinite H; no eigh), the kernel hints
                # unfiltered (the check tests them); then the spectrum.  Cholesky on d H: the
                # positive scaling changes neither the pivots nor the rounded V
                K = _hint_array(kernel_basis, n)
                K = np.zeros((n, 0), dtype=np.int64) if K is None else K
                ch = cholesky_congruence(Az, K, _bits(Az))
                ine = float_exact_congruence(Az, ch[0], K.shape[1]) if ch is not None else None
                if ine is not None:
                    Vz, bits = ch
                    V = (flint.fmpq_mat(flint.fmpz_mat(Vz.tolist())) / flint.fmpz(2**bits)
                         if keep_v else None)
                    return ine, "congruence", V
            if A is None and Az is not None:
                A = Az / float(d)
            sp = _spectrum(H, A, kernel_basis, True, Az)
            # V's bits: enough for the spectrum, few products, H V within int64 (fast_bits)
            if sp is not None and Az is not None and np.array_equal(Az, Az.T):
                K = sp[2]
                kbits = max((max(max(v), -min(v)).bit_length() for v in K), default=0)
                bits = fast_bits(sp[0], len(K), _bits(Az), n, kbits)
                Vz = _rounded_array(*sp, bits) if bits else None
                ine = float_exact_congruence(Az, Vz) if Vz is not None else None
                if ine is not None:
                    V = (flint.fmpq_mat(flint.fmpz_mat(Vz.tolist())) / flint.fmpz(2**bits)
                         if keep_v else None)
                    return ine, "congruence", V
            if sp is not None:
                V = flint.fmpq_mat(flint.fmpz_mat(_rounded(*sp, DEFAULT_BITS))) / flint.fmpz(2**DEFAULT_BITS)
                ine = inertia_by_congruence(H, V)
                if ine is not None:
                    return ine, "congruence", V if keep_v else None
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
