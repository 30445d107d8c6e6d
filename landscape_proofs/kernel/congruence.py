"""Exact inertia of a symmetric rational matrix from a suggested congruence.

A producer (floats allowed) suggests a square rational matrix ``V``, typically rounded
eigenvectors of ``H``, whose last ``k`` columns may be an exact basis of ``ker H``.  This
module checks, exactly, that ``V`` certifies the inertia of ``H``:

1. ``H`` is symmetric and ``V`` is ``n x n``.  Both are scaled to integer matrices
   ``Hz = dH H`` and ``Vz = dV V`` (``dH, dV > 0``); positive scalings change neither signs
   nor diagonal dominance, so below ``H`` and ``V`` stand for the integer matrices.
2. ``k`` is the number of trailing columns ``v_j`` of ``V`` with ``H v_j = 0`` exactly
   (they are read off ``H V``).  Write ``V = [V_P | V_Z]`` with ``V_Z`` those ``k`` columns.
3. ``V_Z`` has full column rank ``k``: its rank modulo a prime ``p`` is ``k``.  (If its rank
   over Q were smaller, every ``k x k`` minor would be the integer 0, hence 0 mod ``p``.)
4. ``C = V^T H V`` is computed exactly.  Its rows and columns in ``Z`` vanish (``H V_Z = 0``),
   so ``C = diag(B, 0)`` with ``B = V_P^T H V_P``, and ``B`` must be strictly diagonally
   dominant: ``|B_ii| > sum_{j != i} |B_ij|`` for every row.

Then: ``B`` is nonsingular (a strictly diagonally dominant matrix is, by Gershgorin).
``V`` is nonsingular: if ``V_P a + V_Z b = 0`` then ``H V_P a = 0``, so ``B a = 0`` and
``a = 0``, then ``V_Z b = 0`` and ``b = 0`` by step 3.  By Sylvester's law of inertia
``inertia(H) = inertia(C) = inertia(B) + (0, 0, k)``.  Finally ``inertia(B)`` is read off
its diagonal: along ``B(t) = D + t (B - D)``, ``t`` in ``[0, 1]`` (``D`` the diagonal of
``B``), every matrix is symmetric and strictly diagonally dominant, hence nonsingular, so no
eigenvalue crosses 0 and ``B`` has as many positive (negative) eigenvalues as ``D`` has
positive (negative) entries.  Any failed step returns ``None`` (the caller falls back to
:func:`landscape_proofs.kernel.linalg.inertia`); nothing is ever guessed.

docs/inertia.md has the argument and the figures.
"""
from __future__ import annotations

from typing import Sequence

import flint

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import Inertia, is_symmetric, quadratic_form

# Primes for the rank of the kernel block modulo p (Mersenne primes 2^61 - 1 and 2^31 - 1).
# A rank deficiency mod p that is not one over Q only makes the check fail, never pass.
_PRIMES = (2**61 - 1, 2**31 - 1)


def _full_column_rank_mod_p(rows: list[list[flint.fmpz]]) -> bool:
    """True if the integer matrix given by ``rows`` has full column rank modulo one of the
    primes, which proves full column rank over Q."""
    k = len(rows[0]) if rows else 0
    if k == 0:
        return True
    Z = flint.fmpz_mat(rows)
    return any(flint.nmod_mat(Z, p).rank() == k for p in _PRIMES)


def inertia_by_congruence(H: flint.fmpq_mat, V: flint.fmpq_mat) -> Inertia | None:
    """The inertia of the symmetric matrix ``H`` certified by the congruence ``V``, or None.

    ``V`` must be square; its trailing columns with ``H v = 0`` (exactly) form the kernel
    block.  ``None`` means the certificate does not check (not that ``H`` has no inertia).

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> H = matrix([[0, -1], [-1, 0]])
    >>> inertia_by_congruence(H, matrix([[1, 1], [1, -1]])).as_tuple()
    (1, 1, 0)
    >>> inertia_by_congruence(H, matrix([[1, 1], [1, 1]])) is None   # singular V
    True
    """
    if not is_symmetric(H):
        raise ValueError("inertia needs a symmetric matrix")
    n = H.nrows()
    if V.nrows() != n or V.ncols() != n:
        return None
    if n == 0:
        return Inertia(0, 0, 0)
    Hz, _ = H.numer_denom()   # FLINT's denominators are positive: signs and dominance kept
    Vz, _ = V.numer_denom()
    HV = (Hz * Vz).tolist()
    k = 0
    while k < n and all(row[n - 1 - k] == 0 for row in HV):
        k += 1
    m = n - k
    Vrows = Vz.tolist()
    if k and not _full_column_rank_mod_p([row[m:] for row in Vrows]):
        return None
    # only B = V_P^T (H V_P) is needed: C's rows and columns in Z vanish (H V_Z = 0)
    B = (flint.fmpz_mat([row[:m] for row in Vrows]).transpose()
         * flint.fmpz_mat([row[:m] for row in HV])).tolist() if m else []
    positive = 0
    for i, row in enumerate(B):      # strict diagonal dominance: 2 |B_ii| > sum_j |B_ij|
        if 2 * abs(row[i]) <= sum(abs(x) for x in row):
            return None
        positive += row[i] > 0
    return Inertia(positive, m - positive, k)


def check_negative_direction(H: flint.fmpq_mat, v: Sequence[object]) -> bool:
    """True iff ``v^T H v < 0`` exactly (for a symmetric ``H``: a negative eigenvalue).

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> check_negative_direction(matrix([[0, -1], [-1, 0]]), [1, 1])
    True
    """
    if H.nrows() != H.ncols() or len(v) != H.nrows():
        return False
    return quadratic_form(H, v) < 0


# --- a congruence carried by a certificate -----------------------------------------------------
MAX_ENTRY_BITS = 256     # size guard on each integer of a carried congruence


def read_congruence(data: object, n: int, name: str = "congruence") -> flint.fmpq_mat:
    """The matrix ``V = rows / denominator`` of a certificate's ``congruence`` field
    (docs/certificates.md): an object with a positive integer ``denominator`` and ``rows``, an
    ``n x n`` list of integers of at most MAX_ENTRY_BITS bits.  A malformed field raises
    :class:`InputError` naming it; what ``V`` proves is decided by :func:`inertia_by_congruence`."""
    if not isinstance(data, dict) or set(data) != {"denominator", "rows"}:
        raise InputError("expected an object with denominator and rows", field=name)
    den = data["denominator"]
    if isinstance(den, bool) or not isinstance(den, int) or not 0 < den < 2**MAX_ENTRY_BITS:
        raise InputError("expected a positive integer", field=f"{name}.denominator", got=den)
    rows = data["rows"]
    if not isinstance(rows, list) or len(rows) != n:
        raise InputError(f"expected {n} rows (one per parameter)", field=f"{name}.rows")
    bound = 2**MAX_ENTRY_BITS
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != n:
            raise InputError(f"expected {n} integers", field=f"{name}.rows[{i}]")
        for x in row:
            if isinstance(x, bool) or not isinstance(x, int) or not -bound < x < bound:
                raise InputError(f"expected integers of at most {MAX_ENTRY_BITS} bits",
                                 field=f"{name}.rows[{i}]", got=x)
    if n == 0:
        return flint.fmpq_mat(0, 0)
    return flint.fmpq_mat(flint.fmpz_mat(rows)) / flint.fmpz(den)


def inertia_with_hint(H: flint.fmpq_mat, evidence: dict, exact) -> tuple[Inertia, str]:
    """``(inertia of H, how)``: from the evidence's ``congruence`` when it checks
    (``how = "congruence"``), otherwise from ``exact(H)`` (``how = "charpoly"``).  A congruence
    that does not check is only a wasted hint: the answer is then the exact one."""
    if isinstance(evidence, dict) and "congruence" in evidence:
        V = read_congruence(evidence["congruence"], H.nrows())
        ine = inertia_by_congruence(H, V)
        if ine is not None:
            return ine, "congruence"
    return exact(H), "charpoly"


# --- decoupled Hessians ---------------------------------------------------------------------------
def components(H: flint.fmpq_mat) -> list[list[int]]:
    """The index sets of the connected components of the graph on ``0..n-1`` with an edge
    ``i - j`` whenever ``H_ij != 0`` (exactly), each sorted, ordered by their least index.

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> components(matrix([[1, 0, 2], [0, 3, 0], [2, 0, 0]]))
    [[0, 2], [1]]
    """
    rows = H.numer_denom()[0].tolist()
    seen, out = [False] * H.nrows(), []
    for start in range(H.nrows()):
        if seen[start]:
            continue
        seen[start] = True
        members, stack = [start], [start]
        while stack:           # depth-first search, O(n^2) entries read at most
            for j, x in enumerate(rows[stack.pop()]):
                if x and not seen[j]:
                    seen[j] = True
                    members.append(j)
                    stack.append(j)
        out.append(sorted(members))
    return out


def inertia_by_blocks(H: flint.fmpq_mat, block_inertia, comps=None) -> Inertia:
    """inertia(H) as the sum of ``block_inertia(H[C, C])`` over the :func:`components` C.

    With P the permutation that lists each component's indices together, ``P^T H P`` is
    block diagonal (``H_ij = 0`` between components), so by Sylvester's law of inertia (P is
    orthogonal) the inertia of ``H`` is the sum of its diagonal blocks' inertias.  Hessians at
    structured points (diagonal weights) fall apart into many small blocks."""
    if not is_symmetric(H):
        raise ValueError("inertia needs a symmetric matrix")
    comps = components(H) if comps is None else comps   # (a caller's own components(H))
    if len(comps) <= 1:
        return block_inertia(H)
    rows = H.tolist()
    p = m = z = 0
    for C in comps:
        sub = flint.fmpq_mat(len(C), len(C), [rows[i][j] for i in C for j in C])
        ine = block_inertia(sub)
        p, m, z = p + ine.positive, m + ine.negative, z + ine.zero
    return Inertia(p, m, z)
