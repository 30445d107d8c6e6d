"""What the search needs to know about each problem family (producer code, floats only).

``landscape search`` and ``landscape hunt`` handle three families (docs/families.md):

* ``deep-linear`` (and ``matrix-factorization``, which loads as one): one chain of layers
  ``W_H ... W_1``; the product is ``R = W_H ... W_1``;
* ``multi-tower``: one chain per tower, the layers of tower 1 first; the product is the sum
  ``R = sum_t R_t`` of the towers' products;
* ``symmetric-factorization``: a single matrix ``U`` (``n x k``), seen as a one-layer chain
  ``k -> n``; the product is ``R = U U^T``.

Each family states its chains (``Problem.chains``, ``families/base.py``); this module only
reads them.  A *chain* lists its widths and the indices of its layers in the parameter order, so that the
starts, the symmetry invariants and the canonical refactorizations of :mod:`.starts`,
:mod:`.dedupe` and :mod:`.snap` are written once per chain.  Nothing here proves anything: the
exact classifier and the trusted checker decide every kind.
"""
from __future__ import annotations

import numpy as np

from landscape_proofs.families.base import Chain
from landscape_proofs.families.registry import layered_families
from landscape_proofs.kernel.errors import InputError

SEARCHABLE = layered_families()  # at import; ``require_searchable`` asks the registry


def require_searchable(problem, command: str = "landscape search") -> str:
    """The problem's family, or an :class:`InputError` naming the families handled."""
    family = getattr(problem, "family", None)
    if not getattr(problem, "layered", False):
        handled = layered_families()
        raise InputError(f"{command} handles the families {', '.join(handled)} (and "
                         "matrix-factorization, which loads as deep-linear)", field="family",
                         got=family if family is not None else type(problem).__name__)
    return family


def chains(problem) -> tuple[Chain, ...]:
    """The chains of ``problem``'s layers, as its family states them (``Problem.chains``).

    >>> from landscape_proofs.families.io import problem_from_dict
    >>> p = problem_from_dict({"family": "multi-tower", "towers": [[2, 1, 2], [2, 2]],
    ...                        "Y": [[1, 0], [0, 1]], "loss": "square"})
    >>> [(c.widths, list(c.layers)) for c in chains(p)]
    [((2, 1, 2), [0, 1]), ((2, 2), [2])]
    """
    require_searchable(problem)
    return problem.chains()


def chain_product(Ws) -> np.ndarray:
    """``W_H ... W_1`` of a batch of layers (each ``(B, d_k, d_{k-1})``)."""
    P = Ws[0]
    for W in Ws[1:]:
        P = W @ P
    return P


def product(problem, Ws) -> np.ndarray:
    """The family's product at a batch of points: ``W_H...W_1``, ``sum_t R_t`` or ``U U^T``."""
    require_searchable(problem)
    if problem.psd_product:
        U = Ws[0]
        return U @ np.swapaxes(U, 1, 2)
    R = None
    for c in chains(problem):
        Rt = chain_product([Ws[i] for i in c.layers])
        R = Rt if R is None else R + Rt
    return R


def orthogonal_symmetry(problem) -> bool:
    """True when the symmetry is orthogonal only: weight decay, or ``U -> U Q`` (always)."""
    return problem.orthogonal_symmetry


def target_norm(problem) -> float:
    """``rho``, the spectral norm of the least-squares product ``Y X^+`` (1 for a loss of the
    product, which names no target; for ``U U^T``, ``X`` is the identity)."""
    if problem.loss.over_product or problem.Y is None:
        return 1.0
    from landscape_proofs.numeric.views import exact_float_matrix

    X, Y = exact_float_matrix(problem.X), exact_float_matrix(problem.Y)
    return float(np.linalg.norm(Y @ np.linalg.pinv(X), 2)) if Y.size else 0.0


__all__ = ["SEARCHABLE", "Chain", "chains", "chain_product", "orthogonal_symmetry", "product",
           "require_searchable", "target_norm"]
