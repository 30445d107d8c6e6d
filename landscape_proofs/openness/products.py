"""Local openness of product maps, decided exactly, with a numeric cross-check.

A map ``f`` is *locally open at x onto its range* when every neighbourhood ``N`` of ``x``
has an image ``f(N)`` that is a neighbourhood of ``f(x)`` in the range of ``f``
(docs/openness.md).  The maps:

* the pair ``M(U, V) = U V`` (U m x k, V k x n);
* the symmetric map ``U -> U U^T``;
* the deep product ``mu(W) = W_H ... W_1`` (``weights[0]`` is W_1); H = 1 is the identity.

The proofs of every rule below are in ``docs/openness.md``.  In short, with
``a = rank U``, ``b = rank V``, ``rho = rank UV`` and ``c = k - a - b + rho`` (the number of
inner dimensions neither reached by V nor seen by U):

* pair, ``k >= min(m, n)`` (range: all matrices): open iff ``rho + k - b >= m``
  (some U' of full row rank has U'V = UV) or ``rho + k - a >= n`` (some V' of full column
  rank has UV' = UV);
* pair, ``k < min(m, n)`` (range: rank <= k): open iff ``a = b = rho``;
* when a pair is not open, the direction ``D = P Q^T`` with the ``c + 1`` columns of ``P``
  independent in the left kernel of U and those of ``Q`` independent in the kernel of V is
  never reached: some neighbourhood of (U, V) maps to no ``UV + delta D``, ``delta != 0``;
* symmetric: open onto the PSD matrices of rank <= min(k, m) at every U;
* deep (H >= 3), complete (Theorem D): in the interval decomposition of the chain
  (``landscape_proofs.openness.intervals``), open iff at every inner vertex j the internal lanes
  through j number at least ``min(X_j, Y_j, r - rho)`` (sources dead before j, sinks born
  after j, r the narrowest width, rho = rank of the product); otherwise the pair
  (W_H...W_{j+1}, W_j...W_1) misses a direction.  The earlier sufficient rules (submersion,
  equal partial ranks, composition at a split, moving only some layers) are kept as
  :func:`decide_chain_by_rules`, a cross-check;
* the multi-tower map: ``landscape_proofs.openness.towers`` (proven rules, or ``undecided``).

The shared types (verdicts, maps, ranges, decisions) are in ``landscape_proofs.openness.common``;
the decision for a problem at a point (which map is asked) is
``landscape_proofs.openness.dispatch.decide_openness``.

The exact decisions use only ``exact/`` (rational arithmetic).  The numeric probe at the
end of this module (section "numeric cross-check") is a producer's float64 evidence; it
never changes a verdict.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import flint

from landscape_proofs.kernel.linalg import Matrix, identity, nullspace, rank, zeros
from landscape_proofs.kernel.numbers import to_fraction
from landscape_proofs.core.rank_constrained import rank_factorization
from landscape_proofs.openness.common import (MapRange, Openness, OpennessDecision, ProductKind,
                                              chain_widths, matrix_json, partial_product)
from landscape_proofs.openness.intervals import IntervalData, interval_data

Q = flint.fmpq


# --- small exact helpers --------------------------------------------------------------------
def _integer_vector(v: Sequence[Q]) -> list[Q]:
    """Scale a nonzero rational vector to coprime integers (same direction)."""
    den = math.lcm(*(int(Q(x).q) for x in v)) if v else 1
    ints = [int(Q(x) * den) for x in v]
    g = math.gcd(*ints) or 1
    return [Q(x // g) for x in ints]


def _columns(vectors: Sequence[Sequence[Q]], nrows: int) -> Matrix:
    """The matrix whose columns are ``vectors``."""
    M = zeros(nrows, len(vectors))
    for j, v in enumerate(vectors):
        for i, x in enumerate(v):
            M[i, j] = x
    return M


def unreachable_direction(U: Matrix, V: Matrix, count: int) -> Matrix:
    """D = P Q^T: ``count`` independent columns of P in the left kernel of U (x^T U = 0),
    ``count`` independent columns of Q in the kernel of V; rank(D) = count.

    >>> D = unreachable_direction(matrix([[1, 0], [0, 0], [0, 0]]), matrix([[0, 0, 0], [1, 0, 0]]), 1)
    >>> [[int(D[i, j]) for j in range(3)] for i in range(3)]
    [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    """
    left = [_integer_vector(v) for v in nullspace(U.transpose())]
    right = [_integer_vector(v) for v in nullspace(V)]
    if count > len(left) or count > len(right):
        raise ArithmeticError(f"unreachable_direction: need {count} kernel vectors, have "
                              f"{len(left)} and {len(right)}")
    P = _columns(left[:count], U.nrows())
    Qm = _columns(right[:count], V.ncols())
    return P * Qm.transpose()


def fill_rows_witness(U: Matrix, V: Matrix) -> Matrix | None:
    """U' with U'V = UV and rank(U') = m, or None when rho + k - rank(V) < m.

    Construction (docs/openness.md, pair lemma 1): keep rows of U whose images u_i V form a
    basis of the row space of UV; replace every other row by the combination of kept rows
    with the same image plus a fresh vector of the left kernel of V.
    """
    m, k = U.nrows(), U.ncols()
    R = U * V
    rho = rank(R)
    kernel = [_integer_vector(v) for v in nullspace(V.transpose())]   # z with z^T V = 0
    if rho + len(kernel) < m:
        return None
    kept: list[int] = []
    for i in range(m):
        trial = kept + [i]
        Rs = flint.fmpq_mat(len(trial), R.ncols(), [R[r, c] for r in trial for c in range(R.ncols())])
        if rank(Rs) == len(trial):
            kept.append(i)
    Up = zeros(m, k)
    for i in kept:
        for c in range(k):
            Up[i, c] = U[i, c]
    free = iter(kernel)
    if kept:
        Rk = flint.fmpq_mat(len(kept), R.ncols(), [R[r, c] for r in kept for c in range(R.ncols())])
        gram_inv = (Rk * Rk.transpose()).inv()
    for i in range(m):
        if i in kept:
            continue
        z = next(free)
        row = [Q(x) for x in z]
        if kept:
            ri = flint.fmpq_mat(1, R.ncols(), [R[i, c] for c in range(R.ncols())])
            coeff = ri * Rk.transpose() * gram_inv          # r_i = coeff R_kept (consistent)
            for t, j in enumerate(kept):
                for c in range(k):
                    row[c] += coeff[0, t] * U[j, c]
        for c in range(k):
            Up[i, c] = row[c]
    if Up * V != R or rank(Up) != m:  # pragma: no cover - would be a bug in the construction
        raise ArithmeticError("fill_rows_witness: construction failed its own check")
    return Up


# --- the pair U V -------------------------------------------------------------------------------
def decide_pair(U: Matrix, V: Matrix) -> OpennessDecision:
    """Decide exactly whether ``(U, V) -> U V`` is locally open at (U, V) onto its range.

    >>> decide_pair(matrix([[1], [0]]), matrix([[1, 0]])).verdict.value
    'open'
    >>> d = decide_pair(matrix([[1, 0], [0, 0], [0, 0]]), matrix([[0, 0, 0], [1, 0, 0]]))
    >>> d.verdict.value, d.rule
    ('not-open', 'pair-unequal-ranks')
    """
    m, k = U.nrows(), U.ncols()
    if V.nrows() != k:
        raise ValueError(f"decide_pair: U is {m} x {k} but V has {V.nrows()} rows")
    n = V.ncols()
    a, b, rho = rank(U), rank(V), rank(U * V)
    c = k - a - b + rho
    ranks = (("m", m), ("k", k), ("n", n), ("rank(U)", a), ("rank(V)", b), ("rank(UV)", rho),
             ("c = k - rank(U) - rank(V) + rank(UV)", c))
    widths = (n, k, m)
    if k >= min(m, n):
        rng = MapRange(m, n, min(m, n))
        if rho + k - b >= m:
            Up = fill_rows_witness(U, V)
            return OpennessDecision(
                Openness.OPEN, ProductKind.PAIR, widths, rng, "pair-fill-rows",
                f"k = {k} >= min(m, n) = {min(m, n)} and rank(UV) + k - rank(V) = "
                f"{rho} + {k} - {b} = {rho + k - b} >= m = {m}: a U' of full row rank with "
                "U'V = UV exists (witness given), so UV is open there",
                ranks, witness=("U", Up))
        if rho + k - a >= n:
            Vt = fill_rows_witness(V.transpose(), U.transpose())
            return OpennessDecision(
                Openness.OPEN, ProductKind.PAIR, widths, rng, "pair-fill-columns",
                f"k = {k} >= min(m, n) = {min(m, n)} and rank(UV) + k - rank(U) = "
                f"{rho} + {k} - {a} = {rho + k - a} >= n = {n}: a V' of full column rank with "
                "UV' = UV exists (witness given), so UV is open there",
                ranks, witness=("V", Vt.transpose()))
        D = unreachable_direction(U, V, c + 1)
        return OpennessDecision(
            Openness.NOT_OPEN, ProductKind.PAIR, widths, rng, "pair-no-fill",
            f"k = {k} >= min(m, n) = {min(m, n)} but rank(UV) + k - rank(V) = {rho + k - b} < "
            f"m = {m} and rank(UV) + k - rank(U) = {rho + k - a} < n = {n}: the rank-{c + 1} "
            f"direction D (left kernel of U x kernel of V) is not reached near the point",
            ranks, unreachable=D)
    rng = MapRange(m, n, k)
    if a == b == rho:
        return OpennessDecision(
            Openness.OPEN, ProductKind.PAIR, widths, rng, "pair-equal-ranks",
            f"k = {k} < min(m, n) = {min(m, n)} and rank(U) = rank(V) = rank(UV) = {rho}: "
            "open onto the matrices of rank <= k",
            ranks)
    D = unreachable_direction(U, V, c + 1)
    return OpennessDecision(
        Openness.NOT_OPEN, ProductKind.PAIR, widths, rng, "pair-unequal-ranks",
        f"k = {k} < min(m, n) = {min(m, n)} and not rank(U) = rank(V) = rank(UV) "
        f"(ranks {a}, {b}, {rho}): UV + delta D has rank {rho + c + 1} <= k = {k} but is "
        f"not reached near the point (D of rank {c + 1} from the left kernel of U and the "
        "kernel of V)",
        ranks, unreachable=D)


def pair_obstruction(A: Matrix, B: Matrix, max_rank: int) -> Matrix | None:
    """The pair obstruction at (A, B) for targets of rank <= max_rank, or None.

    If ``c + 1 <= min(m - rank A, n - rank B)`` (c = k - rank A - rank B + rank AB), the
    direction D of rank c + 1 is not reached by the unrestricted pair map near (A, B);
    it is returned when moreover ``rank(AB) + c + 1 <= max_rank``.
    """
    m, k, n = A.nrows(), A.ncols(), B.ncols()
    a, b, rho = rank(A), rank(B), rank(A * B)
    c = k - a - b + rho
    if c + 1 <= min(m - a, n - b) and rho + c + 1 <= max_rank:
        return unreachable_direction(A, B, c + 1)
    return None


# --- the symmetric map U U^T -------------------------------------------------------------------
def decide_symmetric(U: Matrix) -> OpennessDecision:
    """``U -> U U^T`` is locally open onto its range at every U (docs/openness.md).

    >>> decide_symmetric(matrix([[1, 0], [0, 0], [0, 0]])).verdict.value
    'open'
    """
    m, k = U.nrows(), U.ncols()
    r = rank(U)
    return OpennessDecision(
        Openness.OPEN, ProductKind.SYMMETRIC, (m, k), MapRange(m, m, min(k, m), psd=True),
        "symmetric-always",
        f"U U^T is open onto the PSD matrices of rank <= {min(k, m)} at every U "
        f"(here rank(U) = {r}): Schur complement + square roots, docs/openness.md",
        (("m", m), ("k", k), ("rank(U)", r)))


# --- chains W_H ... W_1 ---------------------------------------------------------------------------
def partial_ranks(weights: Sequence[Matrix]) -> dict[tuple[int, int], int]:
    """rank(W_j ... W_{i+1}) for 0 <= i < j <= H (the map from vertex i to vertex j)."""
    H = len(weights)
    out = {}
    for i in range(H):
        P = weights[i]
        out[(i, i + 1)] = rank(P)
        for j in range(i + 1, H):
            P = weights[j] * P
            out[(i, j + 1)] = rank(P)
    return out


def _differential_rank(weights: Sequence[Matrix]) -> int:
    """dim of the image of d mu at W: sum over layers l of col(A_l) (x) row(B_l)."""
    d0, dH = weights[0].ncols(), weights[-1].nrows()
    vectors = differential_vectors(weights)
    if not vectors:
        return 0
    M = flint.fmpq_mat(len(vectors), dH * d0, [x for v in vectors for x in v])
    return rank(M)


def differential_vectors(weights: Sequence[Matrix]) -> list[list[Q]]:
    """Vectors (vec of d_H x d_0 matrices, row-major) spanning the image of d mu at W:
    ``a b^T`` for a in a basis of col(A_l) and b in one of row(B_l), every layer l."""
    H = len(weights)
    d0, dH = weights[0].ncols(), weights[-1].nrows()
    vectors = []
    for l in range(H):
        A = partial_product(weights, l + 1, H) if l + 1 < H else identity(dH)
        B = partial_product(weights, 0, l) if l > 0 else identity(d0)
        colA = _basis_columns(A)
        rowB = _basis_columns(B.transpose())
        for a in colA:
            for bb in rowB:
                vectors.append([a[i] * bb[j] for i in range(dH) for j in range(d0)])
    return vectors


def _basis_columns(A: Matrix) -> list[list[Q]]:
    """A basis of the column space of A (columns of A at the pivots of its RREF)."""
    if A.nrows() == 0 or A.ncols() == 0:
        return []
    R, r = A.rref()
    pivots = []
    for i in range(r):
        for j in range(A.ncols()):
            if R[i, j] != 0:
                pivots.append(j)
                break
    return [[A[i, j] for i in range(A.nrows())] for j in pivots]


def _check_chain(weights: Sequence[Matrix], who: str) -> None:
    H = len(weights)
    if H == 0:
        raise ValueError(f"{who}: expected at least one weight matrix")
    for l in range(1, H):
        if weights[l].ncols() != weights[l - 1].nrows():
            raise ValueError(f"{who}: W_{l + 1} has {weights[l].ncols()} columns but "
                             f"W_{l} has {weights[l - 1].nrows()} rows")


def decide_chain(weights: Sequence[Matrix]) -> OpennessDecision:
    """Decide whether ``mu(W) = W_H ... W_1`` is locally open at W onto its range (complete).

    ``weights[0]`` is W_1.  H = 1: the identity (open); H = 2: :func:`decide_pair` with
    U = W_2, V = W_1; H >= 3: the interval criterion of docs/openness.md ("complete
    criterion"): open iff at every inner vertex j the internal lanes through j number at
    least ``min(X_j, Y_j, r - rho)``; otherwise not open, with the direction that the pair
    (W_H...W_{j+1}, W_j...W_1) misses near the point.  Never ``undecided``.

    >>> z = matrix([[0]])
    >>> decide_chain([z, z, z]).verdict.value      # abc at the origin: t = (t^(1/3))^3
    'open'
    """
    _check_chain(weights, "decide_chain")
    weights = tuple(weights)
    if len(weights) <= 2:
        return _decide_chain(weights, {})
    return _decide_deep_criterion(weights)


def decide_chain_by_rules(weights: Sequence[Matrix]) -> OpennessDecision:
    """The sufficient rules of the previous version (absorb an invertible layer, equal partial
    ranks, submersion, composition at a split, moving only some layers, the split
    obstruction), which may answer ``undecided``.  Kept as an independent cross-check of
    :func:`decide_chain` (the tests check that they never disagree)."""
    _check_chain(weights, "decide_chain_by_rules")
    return _decide_chain(tuple(weights), {})


def chain_intervals(weights: Sequence[Matrix]) -> IntervalData:
    """The interval (lane) decomposition of the chain (``landscape_proofs.openness.intervals``)."""
    _check_chain(weights, "chain_intervals")
    return interval_data(chain_widths(weights), partial_ranks(weights))


def _decide_deep_criterion(weights: tuple) -> OpennessDecision:
    """H >= 3: the complete criterion (docs/openness.md, "The deep product: complete
    criterion").  The obstruction half is rule deep-split-obstruction; the open half is the
    routing theorem (rule deep-routing)."""
    H = len(weights)
    widths = chain_widths(weights)
    r = min(widths)
    rng = MapRange(widths[-1], widths[0], r)
    pr = partial_ranks(weights)
    data = interval_data(widths, pr)
    counts = data.vertex_counts()
    ranks = tuple((f"rank(W_{j}...W_{i + 1})" if j > i + 1 else f"rank(W_{j})", v)
                  for (i, j), v in sorted(pr.items()))
    extra = dict(intervals=data.mult, vertices=tuple((v.j, v.c, v.X, v.Y) for v in counts))
    rho, q = data.rho, data.q
    bad = [v for v in counts if v.obstructed]
    if bad:
        v = bad[0]
        j = v.j
        A, B = partial_product(weights, j, H), partial_product(weights, 0, j)
        D = pair_obstruction(A, B, r)
        if D is None:  # pragma: no cover - the two computations are the same numbers
            raise ArithmeticError(f"vertex {j}: the lane counts say obstructed but the pair "
                                  "obstruction does not apply")
        return OpennessDecision(
            Openness.NOT_OPEN, ProductKind.DEEP, widths, rng, "deep-split-obstruction",
            f"lanes {data.describe()}; at vertex {j} only c = {v.c} internal lanes pass, "
            f"fewer than min(X = {v.X} sources dead before {j}, Y = {v.Y} sinks born after "
            f"{j}, r - rho = {q}): the pair (A, B) = (W_H...W_{j + 1}, W_{j}...W_1) misses "
            f"the rank-{v.c + 1} direction D near (A, B), and W_H...W_1 + delta D has rank "
            f"{rho + v.c + 1} <= {r}, so it lies in the range but is not reached",
            ranks, unreachable=D, split=j, **extra)
    table = "; ".join(f"j = {v.j}: c = {v.c} >= min(X = {v.X}, Y = {v.Y}, {q})" for v in counts)
    return OpennessDecision(
        Openness.OPEN, ProductKind.DEEP, widths, rng, "deep-routing",
        f"lanes {data.describe()}; at every inner vertex the internal lanes suffice ({table}), "
        "so every target near the product is reached by routing it through them (routing "
        "theorem, docs/openness.md): open onto the matrices of rank <= "
        f"{r}", ranks, **extra)


def _chain_key(weights: Sequence[Matrix]) -> tuple:
    return tuple((W.nrows(), W.ncols(), tuple(W.entries())) for W in weights)


def _decide_chain(weights: tuple, cache: dict) -> OpennessDecision:
    """decide_chain with a cache of the sub-chains already decided (same exact matrices)."""
    key = _chain_key(weights)
    if key not in cache:
        cache[key] = _decide_chain_uncached(weights, cache)
    return cache[key]


def _decide_chain_uncached(weights: tuple, cache: dict) -> OpennessDecision:
    H = len(weights)
    widths = chain_widths(weights)
    if H == 1:
        m, n = weights[0].nrows(), weights[0].ncols()
        return OpennessDecision(Openness.OPEN, ProductKind.IDENTITY, widths, MapRange(m, n, min(m, n)),
                                "identity", "one layer: the map is the identity, which is open")
    if H == 2:
        return decide_pair(weights[1], weights[0])
    # an invertible layer is absorbed into a neighbour: (.., W_(l+1), W_l, ..) -> (.., W_(l+1) W_l,
    # W_l, ..) is a local diffeomorphism, so openness (and a missed direction) is that of the
    # shorter chain (docs/openness.md, rule deep-absorb-invertible)
    for l, W in enumerate(weights):
        if W.nrows() == W.ncols() and rank(W) == W.nrows():
            if l + 1 < H:
                merged = weights[:l] + (weights[l + 1] * W,) + weights[l + 2:]
                into = f"W_{l + 2} W_{l + 1}"
            else:
                merged = weights[:l - 1] + (W * weights[l - 1],)
                into = f"W_{l + 1} W_{l}"
            sub = _decide_chain(merged, cache)
            return OpennessDecision(
                sub.verdict, ProductKind.DEEP, widths, MapRange(widths[-1], widths[0], min(widths)),
                "deep-undecided" if sub.verdict is Openness.UNDECIDED else "deep-absorb-invertible",
                f"W_{l + 1} is square and invertible, so it is absorbed ({into}); the chain of "
                f"{H - 1} layers decides: {sub.reason}", sub.ranks, unreachable=sub.unreachable,
                parts=(sub,))
    return _decide_deep(weights, cache)


def _decide_deep(weights: tuple, cache: dict) -> OpennessDecision:
    H = len(weights)
    widths = chain_widths(weights)
    r = min(widths)
    d0, dH = widths[0], widths[-1]
    rng = MapRange(dH, d0, r)
    pr = partial_ranks(weights)
    rho = pr[(0, H)]
    ranks = tuple((f"rank(W_{j}...W_{i + 1})" if j > i + 1 else f"rank(W_{j})", v)
                  for (i, j), v in sorted(pr.items()))
    found: list[OpennessDecision] = []

    # (1) equal partial ranks: W is rho full chains plus zeros
    if all(v == rho for v in pr.values()):
        found.append(OpennessDecision(
            Openness.OPEN, ProductKind.DEEP, widths, rng, "deep-equal-partial-ranks",
            f"every partial product W_j...W_(i+1) has rank {rho} = rank(W_H...W_1): the point is "
            f"{rho} full chains plus zero layers, open onto rank <= {r}", ranks))

    # (2) submersion onto the manifold of rank-r matrices
    if not found and rho == r:
        dim = r * (d0 + dH - r)
        drank = _differential_rank(weights)
        if drank == dim:
            found.append(OpennessDecision(
                Openness.OPEN, ProductKind.DEEP, widths, rng, "deep-submersion",
                f"rank(W_H...W_1) = {r} is the largest rank and the differential has rank "
                f"{drank} = r (d_0 + d_H - r) = {dim}: a submersion onto the rank-{r} matrices",
                ranks + (("rank(d mu)", drank),)))

    # (3) composition at a split j whose two sides have no internal bottleneck
    if not found:
        for j in range(1, H):
            bottom_ok = all(widths[i] >= min(d0, widths[j]) for i in range(1, j))
            top_ok = all(widths[i] >= min(widths[j], dH) for i in range(j + 1, H))
            if not (bottom_ok and top_ok):
                continue
            bottom = _decide_chain(weights[:j], cache)
            top = _decide_chain(weights[j:], cache)
            A = partial_product(weights, j, H)
            B = partial_product(weights, 0, j)
            pair = decide_pair(A, B)
            if all(p.verdict is Openness.OPEN for p in (bottom, top, pair)):
                found.append(OpennessDecision(
                    Openness.OPEN, ProductKind.DEEP, widths, rng, "deep-composition",
                    f"split at vertex {j} (width {widths[j]}): W_{j}...W_1 is open onto all "
                    f"{widths[j]} x {d0} matrices, W_H...W_{j + 1} onto all {dH} x {widths[j]} "
                    f"matrices, and the pair (W_H...W_{j + 1}, W_{j}...W_1) is open "
                    f"({pair.rule}); a composition of open maps is open",
                    ranks, split=j, parts=(bottom, top, pair)))
                break

    # (4) perturb only some layers (first and last among them); the fixed layers between
    #     them are connectors C = P Q (rank factorisation) folded into the free ones
    if not found and H <= MAX_SUBSET_DEPTH:
        found.extend(_partial_perturbation(weights, r, rng, ranks, cache))

    # (5) the pair obstruction at a split (sound for every split)
    obstruction = None
    for j in range(1, H):
        A = partial_product(weights, j, H)
        B = partial_product(weights, 0, j)
        D = pair_obstruction(A, B, r)
        if D is not None:
            c = widths[j] - rank(A) - rank(B) + rho
            obstruction = OpennessDecision(
                Openness.NOT_OPEN, ProductKind.DEEP, widths, rng, "deep-split-obstruction",
                f"split at vertex {j}: with A = W_H...W_{j + 1} (rank {rank(A)}), "
                f"B = W_{j}...W_1 (rank {rank(B)}), rank(AB) = {rho}, the pair map at (A, B) "
                f"misses the rank-{c + 1} direction D near (A, B), and W_H...W_1 + delta D has "
                f"rank {rho + c + 1} <= {r}, so it lies in the range but is not reached",
                ranks, unreachable=D, split=j)
            break

    if found and obstruction is not None:  # pragma: no cover - the rules are proven disjoint
        raise ArithmeticError(f"openness rules disagree: {found[0].rule} vs {obstruction.rule}")
    if found:
        return found[0]
    if obstruction is not None:
        return obstruction
    return OpennessDecision(
        Openness.UNDECIDED, ProductKind.DEEP, widths, rng, "deep-undecided",
        "no proven rule applies: no split obstruction, rank(W_H...W_1) "
        f"{'= ' if rho == r else '< '}{r} "
        f"{'but the differential is not onto' if rho == r else '(range singular there)'}, and "
        "no split composes open pieces", ranks)


MAX_SUBSET_DEPTH = 7


def _partial_perturbation(weights: tuple, r: int, rng: MapRange, ranks,
                          cache: dict) -> list[OpennessDecision]:
    """Rule deep-partial: move only the layers in S (S contains W_1 and W_H).

    Between consecutive free layers s < s' the fixed product C = W_{s'-1}...W_{s+1} = P Q is
    folded in: Y = Q W_s P' (P', Q' from the neighbouring connectors).  X -> Y is a linear
    surjection (open), and the chain of the Y's has range rank <= min(d_0, ranks of the
    connectors, d_H); when that minimum is r and the Y-chain is open at its point, so is
    mu (restricting the domain only shrinks images).  Returns [] or [the decision].
    """
    import itertools

    H = len(weights)
    widths = chain_widths(weights)
    inner = list(range(1, H - 1))                   # 0-based layers that may stay fixed
    for size in range(1, len(inner) + 1):
        for fixed in itertools.combinations(inner, size):
            free = [l for l in range(H) if l not in fixed]
            facs = []
            conn = []
            ok = True
            for a, b in zip(free, free[1:]):
                C = partial_product(weights, a + 1, b)       # W_b ... W_{a+2} (identity if b = a + 1)
                if rank(C) < r:
                    ok = False
                    break
                conn.append(rank_factorization(C))
            if not ok:
                continue
            for t, l in enumerate(free):
                Y = weights[l]
                if t > 0:
                    Y = Y * conn[t - 1][0]           # right: P of the connector below
                if t < len(free) - 1:
                    Y = conn[t][1] * Y               # left: Q of the connector above
                facs.append(Y)
            sub = _decide_chain(tuple(facs), cache)
            if sub.verdict is Openness.OPEN:
                names = ", ".join(f"W_{l + 1}" for l in free)
                fixed_names = ", ".join(f"W_{l + 1}" for l in fixed)
                return [OpennessDecision(
                    Openness.OPEN, ProductKind.DEEP, widths, rng, "deep-partial",
                    f"moving only {names} (keeping {fixed_names}): the fixed connectors have "
                    f"rank >= {r}, and the folded chain with widths {list(chain_widths(facs))} is "
                    f"open at its point ({sub.rule}); so W_H...W_1 is open",
                    ranks, parts=(sub,))]
    return []


# =====================================================================================
# Numeric cross-check (producer code, float64; never changes a verdict)
# =====================================================================================
@dataclass(frozen=True)
class ProbeReport:
    """What the float64 probe saw: random in-range targets at ``distance`` and, when the
    exact decision named one, the unreachable direction, each tried with a move of norm at
    most ``budget``.

    ``verdict`` is the probe's own opinion: ``open`` when every target tried was reached,
    ``not-open`` when some target was not.
    """

    verdict: Openness
    distance: float
    budget: float
    random_tried: int
    random_reached: int
    largest_move: float
    direction_reached: bool | None
    direction_move: float | None
    seed: int

    def to_json(self) -> dict:
        return {
            "verdict": self.verdict.value,
            "distance": self.distance,
            "budget": self.budget,
            "random_targets": {"tried": self.random_tried, "reached": self.random_reached,
                               "largest_move": self.largest_move},
            "unreachable_direction_reached": self.direction_reached,
            "unreachable_direction_move": self.direction_move,
            "seed": self.seed,
        }


DEFAULT_DISTANCE = 1e-9


def default_budget(depth: int) -> float:
    """The probe's default move budget: 0.05 for H <= 3 factors, 0.15 for H = 4, 0.3 beyond.

    A reachable target at distance t needs a move of order t^(1/H) at the worst open points
    (a chain of H zero factors); 1e-9^(1/3) = 1e-3 and 1e-9^(1/4) = 6e-3 leave a margin of
    about ten for the probe's inefficiency.  Non-open points are missed only if the budget
    exceeds the radius of the neighbourhood that the obstruction excludes, which is of the
    order of the smallest nonzero singular values involved (docs/openness.md).
    """
    return 0.05 if depth <= 3 else (0.15 if depth == 4 else 0.3)


def probe_openness(kind: str, factors: Sequence[Matrix], decision: OpennessDecision | None = None,
                   *, targets: int = 8, distance: float = DEFAULT_DISTANCE,
                   budget: float | None = None, seed: int = 0) -> ProbeReport:
    """Try to reach random nearby targets in the range with small moves (float64).

    Parameters
    ----------
    kind : ``"chain"`` (factors [W_1, ..., W_H]), ``"symmetric"`` (factors [U]) or
        ``"towers"`` (factors: one list [W_1, ..., W_H] per tower; the map is the sum).
    factors : the exact factors (rounded to float64 here).
    decision : the exact decision; its unreachable direction, if any, is tried too.
    targets, distance, budget, seed : how many random targets, how far from the product
        (Frobenius), the largest move allowed (Frobenius over all factors), the RNG seed.

    The move a reachable target needs scales like ``distance ** (1/H)`` at the worst open
    points (e.g. ``abc`` at the origin); ``budget=None`` takes :func:`default_budget`.
    See docs/openness.md, "numeric cross-check".
    """
    import numpy as np

    from landscape_proofs.openness.probe import ProductMap, random_targets, reach

    def to_float(M):
        return np.array([[float(to_fraction(M[i, j])) for j in range(M.ncols())]
                         for i in range(M.nrows())], dtype=np.float64)

    if kind == "towers":
        depths = [len(t) for t in factors]
        fl = [to_float(M) for t in factors for M in t]
        pmap = ProductMap(fl, kind, depths=depths)
        depth = max(depths)
        max_rank = min(fl[0].shape[1], fl[-1].shape[0],
                       sum(min([t[0].ncols()] + [M.nrows() for M in t]) for t in factors))
        psd = False
    else:
        fl = [to_float(M) for M in factors]
        pmap = ProductMap(fl, kind)
        depth = len(factors) if kind == "chain" else 2
        if kind == "symmetric":
            max_rank, psd = min(fl[0].shape), True
        else:
            max_rank, psd = min([fl[0].shape[1]] + [W.shape[0] for W in fl]), False
    if budget is None:
        budget = default_budget(depth)
    rng = np.random.default_rng(seed)
    center = pmap.value(pmap.x0)
    reached, largest = 0, 0.0
    for T in random_targets(center, distance, targets, rng, max_rank, psd=psd):
        att = reach(pmap, T, budget, rng)
        if att.reached:
            reached += 1
            largest = max(largest, att.move)
    d_reached = d_move = None
    if decision is not None and decision.unreachable is not None:
        D = np.array([[float(to_fraction(decision.unreachable[i, j]))
                       for j in range(decision.unreachable.ncols())]
                      for i in range(decision.unreachable.nrows())])
        T = center + distance * D / np.linalg.norm(D)
        att = reach(pmap, T, budget, rng)
        d_reached = att.reached
        d_move = att.move if np.isfinite(att.move) else None
    all_ok = reached == targets and d_reached is not False
    return ProbeReport(Openness.OPEN if all_ok else Openness.NOT_OPEN, distance, budget, targets,
                       reached, largest, d_reached, d_move, seed)


# --- text for people (the command line prints these lines) ---------------------------------------
def _matrix_text(M: Matrix) -> str:
    return "[" + ", ".join("[" + ", ".join(str(x) for x in row) + "]" for row in matrix_json(M)) + "]"


def describe_map(decision: OpennessDecision) -> str:
    """E.g. ``"pair (U, V) -> U V with U 3 x 2, V 2 x 3"``."""
    w = decision.widths
    if decision.map is ProductKind.PAIR:
        n, k, m = w
        return f"pair (U, V) -> U V with U {m} x {k}, V {k} x {n}"
    if decision.map is ProductKind.SYMMETRIC:
        m, k = w
        return f"symmetric U -> U U^T with U {m} x {k}"
    if decision.map is ProductKind.IDENTITY:
        return f"identity W_1 -> W_1 ({w[1]} x {w[0]})"
    if decision.map is ProductKind.TOWERS:
        return (f"sum of {len(decision.towers)} towers W^(t)_H...W^(t)_1 with widths "
                + ", ".join(str(list(t)) for t in decision.towers))
    return f"deep product W_{len(w) - 1}...W_1 with widths {list(w)}"


def decision_lines(decision: OpennessDecision, probe: ProbeReport | None = None) -> list[str]:
    """The decision (and the probe's cross-check) as lines of text."""
    out = [f"map:      {describe_map(decision)}",
           f"range:    {decision.range.describe()}",
           f"verdict:  {decision.verdict.value}",
           f"rule:     {decision.rule}",
           f"reason:   {decision.reason}"]
    if decision.ranks:
        out.append("ranks:    " + ", ".join(f"{k} = {v}" for k, v in decision.ranks))
    if decision.unreachable is not None:
        out.append("unreachable direction D (mu(W) + delta D lies in the range but is not reached "
                   f"near the point): {_matrix_text(decision.unreachable)}")
    if decision.witness is not None:
        name, M = decision.witness
        out.append(f"witness:  {name}' = {_matrix_text(M)} (same product, full rank)")
    for part in decision.parts:
        out.append(f"  part:   {describe_map(part)}: {part.verdict.value} ({part.rule})")
    if probe is not None:
        d = ("" if probe.direction_reached is None else
             f"; the direction D: {'reached' if probe.direction_reached else 'not reached'}")
        agree = ("agrees" if probe.verdict is decision.verdict else
                 ("no exact verdict to compare" if decision.verdict is Openness.UNDECIDED
                  else "DISAGREES with the exact verdict"))
        out.append(f"probe:    float64, seed {probe.seed}: reached {probe.random_reached} of "
                   f"{probe.random_tried} random in-range targets at distance {probe.distance:g} "
                   f"with moves <= {probe.budget:g}{d}; probe says {probe.verdict.value} ({agree})")
    return out
