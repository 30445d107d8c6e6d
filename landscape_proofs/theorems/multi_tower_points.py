"""Exact candidate points of a multi-tower problem, and their classification (a producer).

A multi-tower network and the two-layer network of width ``sum_t r_t`` have the same range
(the matrices of rank <= ``max_rank``, docs/families.md) and the same loss of it, so candidate
*products* are taken from the two-layer problem (its closed-form Baldi-Hornik products for the
square loss, and rounded limits of float descent), and each product is split over the towers
exactly: ``R = C F`` (pivot columns, nonzero RREF rows), tower ``t`` takes the next
``k_t <= r_t`` rank-one terms ``c_i f_i^T`` and passes them through its layers
(``W_1 = [F_t; 0]``, middle layers ``[I 0; 0 0]``, last layer ``[C_t 0]``; a one-layer tower
holds ``C_t F_t`` itself).

For a closed-form square-loss product ``R = P Y X^T (X X^T)^{-1}`` this split is critical when
every tower has at least two layers: a layer below the top of tower t has
``A^T (R X - Y) X^T = -A^T (I - P) Y X^T = 0`` (the columns of ``A`` lie in ``col(R)``, inside
``range(P)``), and the top layer's gradient ``-(I - P) Y X^T F_t^T`` vanishes because the rows
of ``F_t`` lie in ``row(R)`` and ``P`` commutes with ``Sigma``.  Whatever the argument, every
candidate is classified exactly by :func:`landscape_proofs.produce.classify.classify`.
"""
from __future__ import annotations

from landscape_proofs.kernel.linalg import rank, zeros
from landscape_proofs.families.exact_view import exact_objective, exact_weights
from landscape_proofs.produce.candidates import (Candidate, CheckBudget, ClassifiedPoint, classify_candidates,
                       closed_form_candidates, dedupe, descent_candidates, product,
                       rank_factorization)


def tower_factorization(problem, R):
    """Weights (every layer, tower 1 first) whose towers sum to ``R``; None if rank R > max_rank."""
    C, F = rank_factorization(R)
    k = F.nrows()
    if k > problem.max_rank:
        return None
    Ws, start = [], 0
    for widths in problem.towers:
        idx = list(range(start, min(k, start + min(widths))))
        start += len(idx)
        H = len(widths) - 1
        for i in range(H):
            rows, cols = widths[i + 1], widths[i]
            W = zeros(rows, cols)
            for a, c in enumerate(idx):
                if H == 1:          # a one-layer tower holds its share C_t F_t itself
                    for r in range(rows):
                        for j in range(cols):
                            W[r, j] += C[r, c] * F[c, j]
                elif i == 0:
                    for j in range(cols):
                        W[a, j] = F[c, j]
                elif i == H - 1:
                    for r in range(rows):
                        W[r, a] = C[r, c]
                else:
                    W[a, a] = 1
            Ws.append(W)
    return tuple(Ws)


def multi_tower_candidates(problem, budget: CheckBudget, point=None, *,
                           descent: bool = True) -> list[Candidate]:
    """The given point, split closed-form products, the origin, split descent products."""
    two = problem.two_layer_equivalent()
    out = []
    if point is not None:
        out.append(Candidate("the given point", tuple(exact_weights(point)), "given"))
    sources = closed_form_candidates(two, budget)
    sources.append(Candidate("origin", tuple(zeros(r, c) for r, c in two.shapes), "origin"))
    if descent:
        sources += descent_candidates(two, budget)
    for c in sources:
        Ws = tower_factorization(problem, product(c.weights))
        if Ws is not None:
            label = c.label if c.source == "origin" else f"{c.label}, split over the towers"
            out.append(Candidate(label, Ws, c.source))
    return dedupe(out)


def classified_multi_tower_points(problem, budget: CheckBudget, point=None, *,
                                  descent: bool = True) -> list[ClassifiedPoint]:
    """Classify the candidates exactly; ``product_rank`` is rank(sum_t R_t)."""
    obj = exact_objective(problem)
    return classify_candidates(problem, multi_tower_candidates(problem, budget, point,
                                                               descent=descent),
                               budget, rank_of=lambda weights: rank(obj.product(list(weights))))
