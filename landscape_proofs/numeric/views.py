"""The bridge from problem data (Fractions, loss specifications) to the numeric evaluators.

Mirrors :mod:`.exact_view`.  Numbers leave the exact world here: ``float(Fraction)`` is
correctly rounded, and the mpmath path rounds each p/q once at the context's precision.

The choice of a numeric kernel for a loss specification is made here, not in
``losses.py``: the trusted checker imports ``losses.py``, and its import closure must not
reach ``numeric/`` (design.md; ``tests/test_architecture.py`` checks imports in any scope).
A custom loss hands over its SymPy derivatives (:meth:`CustomLoss.derivative_expressions`)
and they are compiled with ``sympy.lambdify`` (for float64: NumPy; for mpmath: the
functions of the given context, so constants such as 1/3 are rounded at its precision).

Producer code only; the checker never imports this module.
"""
from __future__ import annotations

import functools
from typing import Sequence

import mpmath
import numpy as np
import sympy

from landscape_proofs.losses.specs import CustomLoss, L1Loss, LossSpec, PowerLoss, SquareLoss
from landscape_proofs.numeric.float64 import BatchedDeepLinear
from landscape_proofs.numeric.kernels import (EntryFunctionKernel, Float64LossKernel, L1Kernel,
                               MpEntryFunctionKernel, MpL1Kernel, MpLossKernel,
                               MpPowerKernel, MpSquareKernel, PowerKernel, SquareKernel)
from landscape_proofs.numeric.mp import MpDeepLinear, to_matrix
from landscape_proofs.numeric.multi_tower import BatchedMultiTower, MpMultiTower
from landscape_proofs.numeric.symmetric_factorization import (BatchedSymmetricFactorization,
                                                MpSymmetricFactorization)
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.multi_tower import MultiTowerProblem
from landscape_proofs.families.symmetric_factorization import SymmetricFactorizationProblem


# -- loss specification -> kernel --------------------------------------------------------
def _lambdified(loss: CustomLoss, modules) -> tuple:
    entries, syms, expr, grad, hess = loss.derivative_expressions()
    compile_ = lambda e: sympy.lambdify(syms, e, modules=modules)  # noqa: E731
    return (entries, compile_(expr), tuple(compile_(g) for g in grad),
            tuple(tuple(compile_(h) for h in row) for row in hess))


@functools.lru_cache(maxsize=128)
def _custom_float64_kernel(loss: CustomLoss) -> EntryFunctionKernel:
    """Compiled once per (hashable, frozen) custom loss."""
    return EntryFunctionKernel(*_lambdified(loss, "numpy"))


def float64_kernel(loss: LossSpec) -> Float64LossKernel:
    """The batched float64 kernel of a loss specification.

    For the l1 loss the "gradient" is sign(E) with sign(0) = 0: a hint for producers at a
    kink, never a derivative.

    >>> from landscape_proofs.losses.specs import loss_from_json
    >>> float64_kernel(loss_from_json({"name": "power", "p": 4}))
    PowerKernel(p=4)
    """
    if isinstance(loss, SquareLoss):
        return SquareKernel()
    if isinstance(loss, PowerLoss):
        return PowerKernel(loss.p)
    if isinstance(loss, L1Loss):
        return L1Kernel()
    if isinstance(loss, CustomLoss):
        return _custom_float64_kernel(loss)
    raise TypeError(f"no float64 kernel for the loss {loss!r}")


def _mp_namespace(ctx) -> dict:
    """mpmath's public names bound to ``ctx`` (``mpf``, ``sqrt``, ``exp``, ``sign``, ...)."""
    return {name: getattr(ctx, name) for name in dir(mpmath)
            if not name.startswith("_") and hasattr(ctx, name)}


def mp_kernel(loss: LossSpec, ctx) -> MpLossKernel:
    """The kernel of a loss specification computing in the mpmath context ``ctx``."""
    if isinstance(loss, SquareLoss):
        return MpSquareKernel(ctx)
    if isinstance(loss, PowerLoss):
        return MpPowerKernel(ctx, loss.p)
    if isinstance(loss, L1Loss):
        return MpL1Kernel(ctx)
    if isinstance(loss, CustomLoss):
        # namespace first: lambdify resolves names there before the mpmath module, so
        # ``mpf(1)/mpf(3)`` is ctx.mpf and is rounded at ctx's precision.
        return MpEntryFunctionKernel(ctx, *_lambdified(loss, [_mp_namespace(ctx), "mpmath"]))
    raise TypeError(f"no mpmath kernel for the loss {loss!r}")


# -- problems -> evaluators ------------------------------------------------------------------
def _float_matrix(rows) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in rows], dtype=np.float64)


def float64_objective(problem: DeepLinearProblem) -> BatchedDeepLinear:
    """The batched float64 evaluator of ``problem``'s objective (dispatch on the family)."""
    if isinstance(problem, SymmetricFactorizationProblem):  # value and gradient only
        return BatchedSymmetricFactorization(
            problem.n, problem.k,
            Y=_float_matrix(problem.Y) if problem.Y is not None else None,
            loss_kernel=float64_kernel(problem.loss),
            over_product=problem.loss.over_product,
            weight_decay=float(problem.weight_decay),
        )
    if isinstance(problem, MultiTowerProblem):
        return BatchedMultiTower(
            problem.towers,
            X=_float_matrix(problem.X),
            Y=_float_matrix(problem.Y) if problem.Y is not None else None,
            loss_kernel=float64_kernel(problem.loss),
            over_product=problem.loss.over_product,
            weight_decay=float(problem.weight_decay),
        )
    return BatchedDeepLinear(
        widths=problem.widths,
        X=_float_matrix(problem.X),
        Y=_float_matrix(problem.Y) if problem.Y is not None else None,
        loss_kernel=float64_kernel(problem.loss),
        over_product=problem.loss.over_product,
        weight_decay=float(problem.weight_decay),
    )


def mp_objective(problem: DeepLinearProblem, ctx) -> MpDeepLinear:
    """The evaluator of ``problem``'s objective in the mpmath context ``ctx``."""
    if isinstance(problem, SymmetricFactorizationProblem):
        return MpSymmetricFactorization(ctx, problem.n, problem.k, Y=problem.Y,
                                        loss_kernel=mp_kernel(problem.loss, ctx),
                                        over_product=problem.loss.over_product,
                                        weight_decay=problem.weight_decay)
    if isinstance(problem, MultiTowerProblem):
        return MpMultiTower(ctx, problem.towers, X=problem.X, Y=problem.Y,
                            loss_kernel=mp_kernel(problem.loss, ctx),
                            over_product=problem.loss.over_product,
                            weight_decay=problem.weight_decay)
    return MpDeepLinear(
        ctx,
        widths=problem.widths,
        X=problem.X,
        Y=problem.Y,
        loss_kernel=mp_kernel(problem.loss, ctx),
        over_product=problem.loss.over_product,
        weight_decay=problem.weight_decay,
    )


def float64_weights(points: Sequence[Point]) -> list[np.ndarray]:
    """A batch of points as H arrays of shape (B, d_k, d_{k-1}) (``[0]`` holds W_1)."""
    if not points:
        raise ValueError("float64_weights: expected at least one point")
    H = len(points[0].weights)
    return [np.stack([_float_matrix(p.weights[k]) for p in points]) for k in range(H)]


def mp_weights(point: Point, ctx) -> list:
    """The point's weights as ``ctx`` matrices."""
    return [to_matrix(ctx, W) for W in point.weights]
