"""The bridge from problem data (Fractions, loss specifications) to the numeric evaluators.

Mirrors :mod:`.exact_view`.  Numbers leave the exact world here: ``float(Fraction)`` is
correctly rounded, and the mpmath path rounds each p/q once at the context's precision.

The numeric kernel of a loss is asked of the loss (``Loss.float64_kernel``,
``Loss.mp_kernel``); a custom loss compiles its SymPy derivatives with ``sympy.lambdify``
(for float64: NumPy; for mpmath: the functions of the given context, so constants such as
1/3 are rounded at its precision).

Producer code only; the checker never imports this module.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from landscape_proofs.losses.base import Loss
from landscape_proofs.numeric.float64 import BatchedDeepLinear
from landscape_proofs.numeric.kernels import Float64LossKernel, MpLossKernel
from landscape_proofs.numeric.mp import MpDeepLinear, to_matrix
from landscape_proofs.numeric.multi_tower import BatchedMultiTower, MpMultiTower
from landscape_proofs.numeric.symmetric_factorization import (BatchedSymmetricFactorization,
                                                MpSymmetricFactorization)
from landscape_proofs.families.base import Point, Problem


# -- loss -> kernel (asked of the loss) ------------------------------------------------------
def float64_kernel(loss: Loss) -> Float64LossKernel:
    """The batched float64 kernel of a loss (``loss.float64_kernel()``).

    For the l1 loss the "gradient" is sign(E) with sign(0) = 0: a hint for producers at a
    kink, never a derivative.

    >>> from landscape_proofs.losses.registry import loss_from_json
    >>> float64_kernel(loss_from_json({"name": "power", "p": 4}))
    PowerKernel(p=4)
    """
    return loss.float64_kernel()


def mp_kernel(loss: Loss, ctx) -> MpLossKernel:
    """The kernel of a loss computing in the mpmath context ``ctx``."""
    return loss.mp_kernel(ctx)


# -- problems -> evaluators ------------------------------------------------------------------
def _float_matrix(rows) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in rows], dtype=np.float64)


def exact_float_matrix(rows) -> np.ndarray:
    """A problem's exact matrix (rows of ``Fraction``, as ``families.base.exact_matrix``
    makes them) in float64: ``numerator / denominator``, the correctly rounded quotient that
    ``float(Fraction)`` computes, without its two Python-level calls per entry (about half the
    time; a search converts ``X`` and ``Y`` several times per batch)."""
    return np.array([[x.numerator / x.denominator for x in row] for row in rows],
                    dtype=np.float64)


def _decay(wd):
    """A scalar decay as a float; a per-entry one (a matrix per layer) as is."""
    return wd if isinstance(wd, (list, tuple)) else float(wd)


def float64_objective(problem: Problem) -> BatchedDeepLinear:
    """The batched float64 evaluator of ``problem``'s objective, chosen from the structure the
    family states (``Problem.chains``, ``Problem.psd_product``): ``U U^T``, one chain of
    layers, or a sum of chains."""
    chains = problem.chains()
    common = dict(Y=exact_float_matrix(problem.Y) if problem.Y is not None else None,
                  loss_kernel=float64_kernel(problem.loss),
                  over_product=problem.loss.over_product,
                  weight_decay=_decay(problem.weight_decay))
    if problem.psd_product:  # value and gradient only
        k, n = chains[0].widths
        return BatchedSymmetricFactorization(n, k, **common)
    if problem.sum_of_towers:
        return BatchedMultiTower(tuple(c.widths for c in chains), X=exact_float_matrix(problem.X),
                                 **common)
    return BatchedDeepLinear(widths=chains[0].widths, X=exact_float_matrix(problem.X), **common)


def mp_objective(problem: Problem, ctx) -> MpDeepLinear:
    """The evaluator of ``problem``'s objective in the mpmath context ``ctx`` (structure as in
    :func:`float64_objective`)."""
    chains = problem.chains()
    common = dict(Y=problem.Y, loss_kernel=mp_kernel(problem.loss, ctx),
                  over_product=problem.loss.over_product, weight_decay=problem.weight_decay)
    if problem.psd_product:
        k, n = chains[0].widths
        return MpSymmetricFactorization(ctx, n, k, **common)
    if problem.sum_of_towers:
        return MpMultiTower(ctx, tuple(c.widths for c in chains), X=problem.X, **common)
    return MpDeepLinear(ctx, widths=chains[0].widths, X=problem.X, **common)


def float64_weights(points: Sequence[Point]) -> list[np.ndarray]:
    """A batch of points as H arrays of shape (B, d_k, d_{k-1}) (``[0]`` holds W_1)."""
    if not points:
        raise ValueError("float64_weights: expected at least one point")
    H = len(points[0].weights)
    return [np.stack([_float_matrix(p.weights[k]) for p in points]) for k in range(H)]


def mp_weights(point: Point, ctx) -> list:
    """The point's weights as ``ctx`` matrices."""
    return [to_matrix(ctx, W) for W in point.weights]
