"""Local openness of the multi-tower map ``Phi(W) = sum_t W^(t)_{H_t} ... W^(t)_1``.

Every tower maps ``R^{d_0} -> R^{d_H}``; tower ``t`` alone reaches the matrices of rank
``<= r_t`` (its narrowest width), and the sum reaches exactly the ``d_H x d_0`` matrices of
rank ``<= q = min(d_0, d_H, sum_t r_t)`` (docs/families.md).  The rules below are proven in
docs/openness.md ("The multi-tower map"); when none applies the answer is ``undecided``.

Open rules, in the order tried:

* ``towers-single`` (one tower): the chain decision (complete);
* ``towers-absorb-invertible``: a square invertible layer is merged into a neighbour
  (a local diffeomorphism of the parameters); the verdict is that of the shorter towers;
* ``towers-free-tower``: a one-layer tower is a free summand: open onto all matrices;
* ``towers-one-tower``: a tower with no bottleneck (``r_t = min(d_0, d_H)``) whose own chain
  map is open at its point;
* ``towers-concatenated-pair``: every tower has two layers: ``sum_t U_t V_t = [U_1 .. U_T]
  [V_1; ..; V_T]`` is one pair map of inner width ``sum_t k_t`` (the parameters are only
  rearranged), decided completely by the pair theorem;
* ``towers-one-chain``: exactly one tower has more than two layers: with the two-layer towers
  padded by identity layers the sum is equivalent to one chain (:func:`one_chain`), decided
  completely by Theorem D (either verdict, with its direction);
* ``towers-submersion``: ``rank Phi(W) = q`` and ``d Phi`` is onto the tangent space of the
  rank-``q`` matrices;
* ``towers-split-composition``: cut every tower at an inner vertex ``j_t`` so that no piece has
  an inner bottleneck and every piece is open; if the concatenated pair
  ``[A_1 .. A_T] [B_1; ..; B_T]`` (tops and bottoms) is open, so is ``Phi``;
* ``towers-subset``: a proper subset of the towers whose sum alone reaches all matrices and is
  open (decided recursively).

Obstruction: ``towers-split-obstruction``: for a cut ``(j_t)`` the concatenated pair ``(A, B)``
satisfies the pair lemma (docs/openness.md, Lemma 3) with ``rank(AB) + c + 1 <= q``: the
direction ``D`` is missed near the point.
"""
from __future__ import annotations

import itertools
from typing import Sequence

import flint

from landscape_proofs.kernel.linalg import Matrix, rank, zeros
from landscape_proofs.openness.common import (MapRange, Openness, OpennessDecision, ProductKind,
                                              chain_widths, partial_product)
from landscape_proofs.openness.products import (decide_chain, decide_pair, differential_vectors,
                                                pair_obstruction)

MAX_SPLIT_COMBINATIONS = 4096   # cuts (j_t) tried by the split rules
MAX_SUBSET_TOWERS = 6           # the subset rule runs for at most this many towers


def _hcat(mats: Sequence[Matrix]) -> Matrix:
    rows = mats[0].nrows()
    M = zeros(rows, sum(A.ncols() for A in mats))
    off = 0
    for A in mats:
        for i in range(rows):
            for j in range(A.ncols()):
                M[i, off + j] = A[i, j]
        off += A.ncols()
    return M


def _vcat(mats: Sequence[Matrix]) -> Matrix:
    return _hcat([A.transpose() for A in mats]).transpose()


def _product(tower: Sequence[Matrix]) -> Matrix:
    return partial_product(tower, 0, len(tower))


def tower_range(towers: Sequence[Sequence[Matrix]]) -> MapRange:
    """``d_H x d_0`` matrices of rank ``<= min(d_0, d_H, sum_t r_t)``."""
    d0, dH = towers[0][0].ncols(), towers[0][-1].nrows()
    return MapRange(dH, d0, min(d0, dH, sum(min(chain_widths(t)) for t in towers)))


def _check(towers) -> tuple[tuple[Matrix, ...], ...]:
    towers = tuple(tuple(t) for t in towers)
    if not towers or any(not t for t in towers):
        raise ValueError("decide_towers: expected at least one tower of at least one layer")
    d0, dH = towers[0][0].ncols(), towers[0][-1].nrows()
    for n, t in enumerate(towers):
        for l in range(1, len(t)):
            if t[l].ncols() != t[l - 1].nrows():
                raise ValueError(f"decide_towers: tower {n + 1}: W_{l + 1} has {t[l].ncols()} "
                                 f"columns but W_{l} has {t[l - 1].nrows()} rows")
        if t[0].ncols() != d0 or t[-1].nrows() != dH:
            raise ValueError(f"decide_towers: tower {n + 1} maps R^{t[0].ncols()} -> "
                             f"R^{t[-1].nrows()}, expected R^{d0} -> R^{dH} like tower 1")
    return towers


def decide_towers(towers: Sequence[Sequence[Matrix]], *,
                  consistency_check: bool = False) -> OpennessDecision:
    """Decide whether ``Phi(W) = sum_t W^(t)_{H_t}...W^(t)_1`` is locally open at the point.

    ``towers[t]`` lists the layers of tower ``t + 1``, ``W_1`` first.  With
    ``consistency_check`` the obstruction search runs even when an open rule applied (and
    raises if both did: that would be a bug, the rules are proven disjoint).

    >>> from landscape_proofs.kernel.linalg import matrix
    >>> e1, z = matrix([[1], [0]]), matrix([[0], [0]])
    >>> decide_towers([[e1.transpose(), e1], [z.transpose(), z]]).rule   # U V = [e1 0][e1^T; 0]
    'towers-concatenated-pair'
    """
    towers = _check(towers)
    return _decide(towers, {}, consistency_check)


def _key(towers) -> tuple:
    return tuple(tuple((W.nrows(), W.ncols(), tuple(W.entries())) for W in t) for t in towers)


def _decide(towers: tuple, cache: dict, check: bool) -> OpennessDecision:
    k = _key(towers)
    if k not in cache:
        cache[k] = _decide_uncached(towers, cache, check)
    return cache[k]


def _decision(verdict, towers, rule, reason, **kw) -> OpennessDecision:
    rng = tower_range(towers)
    d0, dH = rng.cols, rng.rows
    return OpennessDecision(verdict, ProductKind.TOWERS, (d0, dH), rng, rule, reason,
                            towers=tuple(chain_widths(t) for t in towers), **kw)


def _absorb(towers: tuple) -> tuple[tuple, list[str]]:
    """Merge every square invertible layer into a neighbour, tower by tower."""
    notes = []
    out = []
    for n, t in enumerate(towers):
        t = tuple(t)
        changed = True
        while changed and len(t) > 1:
            changed = False
            for l, W in enumerate(t):
                if W.nrows() == W.ncols() and rank(W) == W.nrows():
                    if l + 1 < len(t):
                        t = t[:l] + (t[l + 1] * W,) + t[l + 2:]
                    else:
                        t = t[:l - 1] + (W * t[l - 1],)
                    notes.append(f"tower {n + 1}: W_{l + 1} invertible, merged")
                    changed = True
                    break
        out.append(t)
    return tuple(out), notes


def _valid_splits(tower: tuple) -> list[int]:
    """Inner vertices j of a tower where both pieces have no inner bottleneck and are open."""
    w = chain_widths(tower)
    H = len(tower)
    out = []
    for j in range(1, H):
        if not all(w[i] >= min(w[0], w[j]) for i in range(1, j)):
            continue
        if not all(w[i] >= min(w[j], w[H]) for i in range(j + 1, H)):
            continue
        if decide_chain(tower[:j]).verdict is Openness.OPEN and \
                decide_chain(tower[j:]).verdict is Openness.OPEN:
            out.append(j)
    return out


def one_chain(towers: Sequence[Sequence[Matrix]], deep: int) -> list[Matrix]:
    """The chain equivalent to a sum of towers in which only tower ``deep`` has more than two
    layers (every tower at least two): ``C_1 = [W^deep_1; V_2; ...]`` (stacked),
    ``C_l = diag(W^deep_l, I_K)`` for the inner layers, ``C_H = [W^deep_H, U_2, ...]``
    (side by side), ``K`` the sum of the inner widths of the two-layer towers ``(V_t, U_t)``.
    Its product is ``Phi(W)`` (docs/openness.md, rule towers-one-chain)."""
    main = towers[deep]
    rest = [t for n, t in enumerate(towers) if n != deep]
    H = len(main)
    K = sum(t[0].nrows() for t in rest)
    C = [_vcat([main[0]] + [t[0] for t in rest])]
    for l in range(1, H - 1):
        W = main[l]
        B = zeros(W.nrows() + K, W.ncols() + K)
        for i in range(W.nrows()):
            for j in range(W.ncols()):
                B[i, j] = W[i, j]
        for i in range(K):
            B[W.nrows() + i, W.ncols() + i] = 1
        C.append(B)
    C.append(_hcat([main[-1]] + [t[1] for t in rest]))
    return C


def _cut(towers: tuple, js: Sequence[int]) -> tuple[Matrix, Matrix]:
    A = _hcat([partial_product(t, j, len(t)) for t, j in zip(towers, js)])
    B = _vcat([partial_product(t, 0, j) for t, j in zip(towers, js)])
    return A, B


def _combinations(choices: list[list[int]]):
    return itertools.islice(itertools.product(*choices), MAX_SPLIT_COMBINATIONS)


def _count(choices: list[list[int]]) -> int:
    n = 1
    for c in choices:
        n *= len(c)
    return n


def _decide_uncached(towers: tuple, cache: dict, check: bool) -> OpennessDecision:
    rng = tower_range(towers)
    q, d0, dH = rng.max_rank, rng.cols, rng.rows
    R = _product(towers[0])
    for t in towers[1:]:
        R = R + _product(t)
    rho = rank(R)
    ranks = (("d_0", d0), ("d_H", dH), ("q = min(d_0, d_H, sum_t r_t)", q),
             ("rank(Phi(W))", rho)) + tuple((f"r_{n + 1}", min(chain_widths(t)))
                                            for n, t in enumerate(towers))

    if len(towers) == 1:
        d = decide_chain(towers[0])
        return _decision(d.verdict, towers, "towers-single",
                         f"a single tower: the chain decision applies ({d.rule})", ranks=ranks,
                         unreachable=d.unreachable, parts=(d,))

    merged, notes = _absorb(towers)
    if notes:
        sub = _decide(merged, cache, check)
        return _decision(sub.verdict, towers, "towers-absorb-invertible" if
                         sub.verdict is not Openness.UNDECIDED else "towers-undecided",
                         "; ".join(notes) + f" (a local diffeomorphism of the parameters); the "
                         f"merged towers decide: {sub.reason}", ranks=ranks,
                         unreachable=sub.unreachable, parts=(sub,))

    found: list[OpennessDecision] = []
    for n, t in enumerate(towers):
        if len(t) == 1:
            found.append(_decision(
                Openness.OPEN, towers, "towers-free-tower",
                f"tower {n + 1} is one layer, a free {dH} x {d0} summand: any target T near "
                f"Phi(W) is reached by adding T - Phi(W) to it", ranks=ranks))
            break
    if not found:
        for n, t in enumerate(towers):
            if min(chain_widths(t)) >= min(d0, dH):
                d = decide_chain(t)
                if d.verdict is Openness.OPEN:
                    found.append(_decision(
                        Openness.OPEN, towers, "towers-one-tower",
                        f"tower {n + 1} has no bottleneck (r = {min(chain_widths(t))} >= "
                        f"min(d_0, d_H)) and its product map is open at its point ({d.rule}): "
                        "it alone reaches every target near Phi(W), the others kept fixed",
                        ranks=ranks, parts=(d,)))
                    break

    # complete cases: every tower has two layers (one pair map), or exactly one tower is deeper
    # (one chain, the shallow towers padded with identities)
    exact = None
    deep = [n for n, t in enumerate(towers) if len(t) >= 3]
    if (not found or check) and all(len(t) == 2 for t in towers):
        U = _hcat([t[1] for t in towers])
        V = _vcat([t[0] for t in towers])
        pair = decide_pair(U, V)
        exact = _decision(pair.verdict, towers, "towers-concatenated-pair",
                          f"every tower has two layers, so Phi(W) = [U_1 .. U_T][V_1; ..; V_T] "
                          f"is the pair map of inner width {U.ncols()} (the parameters are "
                          f"only rearranged), decided by the pair theorem: {pair.reason}",
                          ranks=ranks, unreachable=pair.unreachable, parts=(pair,))
    elif (not found or check) and len(deep) == 1 and all(len(t) >= 2 for t in towers):
        C = one_chain(towers, deep[0])
        d = decide_chain(C)
        exact = _decision(d.verdict, towers, "towers-one-chain",
                          f"only tower {deep[0] + 1} has more than two layers: with the others "
                          f"padded by identity layers, Phi is equivalent to the single chain of "
                          f"widths {list(chain_widths(C))} (block layers; docs/openness.md), decided "
                          f"by Theorem D: {d.reason}", ranks=ranks, unreachable=d.unreachable,
                          parts=(d,))
    if exact is not None and not check:
        return exact
    if exact is not None and found and exact.verdict is not Openness.OPEN:  # pragma: no cover
        raise ArithmeticError(f"openness rules disagree: {found[0].rule} vs {exact.rule}")

    if not found and rho == q:
        vectors = []
        for t in towers:
            vectors += differential_vectors(t)
        drank = rank(flint.fmpq_mat(len(vectors), dH * d0, [x for v in vectors for x in v])) \
            if vectors else 0
        if drank == q * (d0 + dH - q):
            found.append(_decision(
                Openness.OPEN, towers, "towers-submersion",
                f"rank(Phi(W)) = {q} is the largest rank and d Phi has rank {drank} = "
                f"q (d_0 + d_H - q): a submersion onto the rank-{q} matrices",
                ranks=ranks + (("rank(d Phi)", drank),)))

    inner = [list(range(1, len(t))) for t in towers]
    if not found:
        choices = [_valid_splits(t) for t in towers]
        if all(choices):
            for js in _combinations(choices):
                A, B = _cut(towers, js)
                p = decide_pair(A, B)
                if p.verdict is Openness.OPEN:
                    cuts = ", ".join(f"tower {n + 1} at vertex {j}" for n, j in enumerate(js))
                    found.append(_decision(
                        Openness.OPEN, towers, "towers-split-composition",
                        f"cut {cuts}: every top and bottom has no inner bottleneck and is open "
                        f"onto all matrices of its shape, and the concatenated pair (A, B) of "
                        f"inner width {A.ncols()} is open ({p.rule}); a composition of open "
                        "maps is open", ranks=ranks, parts=(p,)))
                    break

    if not found and len(towers) <= MAX_SUBSET_TOWERS:
        for size in range(2, len(towers)):
            for sub in itertools.combinations(range(len(towers)), size):
                part = tuple(towers[n] for n in sub)
                if tower_range(part).max_rank < min(d0, dH):
                    continue
                d = _decide(part, cache, False)
                if d.verdict is Openness.OPEN:
                    names = ", ".join(str(n + 1) for n in sub)
                    found.append(_decision(
                        Openness.OPEN, towers, "towers-subset",
                        f"towers {names} alone reach all {dH} x {d0} matrices and their sum "
                        f"is open at its point ({d.rule}): they reach every target near "
                        "Phi(W), the other towers kept fixed", ranks=ranks, parts=(d,)))
                    break
            if found:
                break

    obstruction = None
    if (not found or check) and all(len(t) >= 2 for t in towers):
        for js in _combinations(inner):
            A, B = _cut(towers, js)
            D = pair_obstruction(A, B, q)
            if D is not None:
                K = A.ncols()
                c = K - rank(A) - rank(B) + rho
                cuts = ", ".join(f"{j}" for j in js)
                obstruction = _decision(
                    Openness.NOT_OPEN, towers, "towers-split-obstruction",
                    f"cut the towers at vertices ({cuts}): the concatenated pair A = [tops] "
                    f"(rank {rank(A)}), B = [bottoms] (rank {rank(B)}), inner width {K}, "
                    f"rank(AB) = {rho}, misses the rank-{c + 1} direction D near (A, B), and "
                    f"Phi(W) + delta D has rank {rho + c + 1} <= q = {q}: in the range, not "
                    "reached", ranks=ranks, unreachable=D)
                break

    if found and obstruction is not None:  # pragma: no cover - the rules are proven disjoint
        raise ArithmeticError(f"openness rules disagree: {found[0].rule} vs {obstruction.rule}")
    if exact is not None:
        other = found[0] if found else obstruction
        if other is not None and other.verdict is not exact.verdict:  # pragma: no cover
            raise ArithmeticError(f"openness rules disagree: {other.rule} vs {exact.rule}")
        return exact
    if found:
        return found[0]
    if obstruction is not None:
        return obstruction
    total = _count(inner)
    searched = "" if total <= MAX_SPLIT_COMBINATIONS else (
        f" (only the first {MAX_SPLIT_COMBINATIONS} of {total} cuts were searched)")
    return _decision(
        Openness.UNDECIDED, towers, "towers-undecided",
        "no proven rule applies: no tower alone reaches a neighbourhood, no cut composes open "
        f"pieces, and no cut gives the pair obstruction{searched}", ranks=ranks)
