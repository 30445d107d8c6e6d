"""Pieces shared by the theorem modules: gathering and classifying points, extra factorizations.

Everything here is a producer: it proposes exact points and hands them to
:func:`landscape_proofs.produce.classify.classify`, whose certificates the checker re-verifies.
"""
from __future__ import annotations

from landscape_proofs.kernel.linalg import rank, zeros
from landscape_proofs.produce.kinds import Kind
from landscape_proofs.families.exact_view import exact_weights
from landscape_proofs.produce.candidates import (Candidate, CheckBudget, ClassifiedPoint, classify_candidates,
                       closed_form_candidates, dedupe, descent_candidates, origin_candidate,
                       product, rank_factorization)


def padded_factorization(widths, R):
    """Weights with W_H ... W_1 = R whose middle layers have full rank (``[I 0; 0 0]`` of size
    min(d_k, d_{k-1})) while W_1 = [F; 0] and W_H = [C 0].

    Critical whenever the standard factorization is: the columns of every ``A_k`` still lie in
    ``col(C) = col(R)``.  For depth >= 3 and ``rank R < min width`` it has the strict-saddle
    structure of the worked example in docs/theorems/achour2021.md
    (``diag(1,0), I, diag(27,0)``) where the standard one
    is a non-strict saddle.
    """
    H = len(widths) - 1
    if H < 3:
        return None
    C, F = rank_factorization(R)
    s = F.nrows()
    if s > min(widths[1:-1]):
        return None
    Ws = []
    for k in range(H):
        rows, cols = widths[k + 1], widths[k]
        W = zeros(rows, cols)
        if k == 0:
            for i in range(s):
                for j in range(cols):
                    W[i, j] = F[i, j]
        elif k == H - 1:
            for i in range(rows):
                for j in range(s):
                    W[i, j] = C[i, j]
        else:
            for i in range(min(rows, cols)):
                W[i, i] = 1
        Ws.append(W)
    return tuple(Ws)


def padded_candidates(problem, budget: CheckBudget) -> list[Candidate]:
    out = []
    for c in closed_form_candidates(problem, budget):
        Ws = padded_factorization(problem.widths, product(c.weights))
        if Ws is not None:
            label = (c.label.replace("closed form", "closed form, full-rank middle layers")
                     if c.label.startswith("closed form") else f"{c.label}, full-rank middle layers")
            out.append(Candidate(label, Ws, "closed-form"))
    return out


def given_candidate(problem, point) -> list[Candidate]:
    if point is None:
        return []
    return [Candidate("the given point", tuple(exact_weights(point)), "given")]


def classified_points(problem, budget: CheckBudget, point=None, *, padded: bool = False,
                      descent: bool = True) -> list[ClassifiedPoint]:
    """Classify the given point, closed-form points (optionally padded), the origin, descent limits."""
    cands = given_candidate(problem, point) + closed_form_candidates(problem, budget)
    if padded:
        cands += padded_candidates(problem, budget)
    cands.append(origin_candidate(problem))
    if descent:
        cands += descent_candidates(problem, budget)
    return classify_candidates(problem, dedupe(cands), budget)


def rank_above_first(cp: ClassifiedPoint) -> int:
    """rank(W_H ... W_2) at the point (Kawaguchi's condition (iv)); W_1 alone when H = 1."""
    Ws = cp.candidate.weights
    if len(Ws) == 1:
        return rank(Ws[0])
    return rank(product(Ws[1:]))


def rank_middle(cp: ClassifiedPoint) -> int | None:
    """rank(W_{H-1} ... W_2) at the point: Kawaguchi's condition (iv), Theorem 2.3, whose
    ``W_H ... W_2`` (his H hidden layers, output layer W_{H+1}) is the product of the layers
    strictly between the first and the last; the empty product (H = 2 here) is the d_1 x d_1
    identity, of rank d_1; None for a single layer."""
    Ws = cp.candidate.weights
    if len(Ws) < 2:
        return None
    if len(Ws) == 2:
        return Ws[0].nrows()
    return rank(product(Ws[1:-1]))


def is_critical_kind(kind: Kind) -> bool:
    return kind not in (Kind.NOT_CRITICAL, Kind.INCONCLUSIVE)
