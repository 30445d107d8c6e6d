"""Which product map a problem asks about, and its decision at a point.

The dispatcher of ``landscape_proofs.openness``: a deep-linear problem asks about the chain
``W_H ... W_1`` (``products.decide_chain``), a shallow rank-constrained one about the pair map
of its canonical factorization (``products.decide_pair``), a symmetric factorization about
``U -> U U^T`` (``products.decide_symmetric``), a multi-tower problem about the sum of its
towers (``towers.decide_towers``).  It sits above both deciders, so neither imports the other
back.
"""
from __future__ import annotations

from landscape_proofs.kernel.linalg import Matrix, matrix
from landscape_proofs.openness.common import OpennessDecision
from landscape_proofs.openness.products import decide_chain, decide_pair, decide_symmetric
from landscape_proofs.openness.towers import decide_towers


def decide_openness(problem, point) -> OpennessDecision:
    """The openness decision for the map that parameterises ``problem``, at ``point``.

    Deep-linear problems (and matrix factorization, which loads as deep-linear): the chain
    of the point's weights.  Multi-tower problems: the sum of the towers' products
    (:func:`decide_towers`).  Shallow rank-constrained problems: the pair map of the
    canonical factorization R = U V (open by construction, checked here exactly).
    Symmetric factorization: ``U -> U U^T`` (:func:`decide_symmetric`).
    """
    # the family states the shape of its product map (families/base.py)
    if not problem.layered:          # R itself, through its canonical factorization R = U V
        U, V = problem.canonical_factorization(point)
        return decide_pair(matrix(U), matrix(V))
    if problem.psd_product:
        return decide_symmetric(matrix(point.weights[0]))
    if problem.sum_of_towers:
        return decide_towers([[matrix(W) for W in t] for t in problem.tower_weights(point.weights)])
    return decide_chain([matrix(W) for W in point.weights])


def point_factors(problem, point) -> tuple[str, list[Matrix]]:
    """(map kind, exact factors) for the probe: ``"chain"`` with [W_1, ..., W_H],
    ``"symmetric"`` with [U], or ``"towers"`` with one list [W_1, ..., W_H] per tower."""
    if not problem.layered:
        U, V = problem.canonical_factorization(point)
        return "chain", [matrix(V), matrix(U)]
    if problem.psd_product:
        return "symmetric", [matrix(point.weights[0])]
    if problem.sum_of_towers:
        return "towers", [[matrix(W) for W in t] for t in problem.tower_weights(point.weights)]
    return "chain", [matrix(W) for W in point.weights]
