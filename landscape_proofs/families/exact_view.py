"""The bridge from problem data (Fractions) to the exact engine (FLINT rationals)."""
from __future__ import annotations

from landscape_proofs.kernel.linalg import matrix
from landscape_proofs.core.multi_tower import ExactMultiTower
from landscape_proofs.kernel.numbers import to_fmpq
from landscape_proofs.core.objective import ExactDeepLinear
from landscape_proofs.core.symmetric_factorization import ExactSymmetricFactorization
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.multi_tower import MultiTowerProblem
from landscape_proofs.families.symmetric_factorization import SymmetricFactorizationProblem


def exact_objective(problem: DeepLinearProblem | MultiTowerProblem) -> ExactDeepLinear | ExactMultiTower:
    """The exact evaluator of ``problem``'s objective (dispatch on the family)."""
    if isinstance(problem, SymmetricFactorizationProblem):
        return ExactSymmetricFactorization(
            n=problem.n, k=problem.k,
            Y=matrix(problem.Y) if problem.Y is not None else None,
            loss=problem.loss,
            over_product=problem.loss.over_product,
            weight_decay=to_fmpq(problem.weight_decay),
        )
    if isinstance(problem, MultiTowerProblem):
        return ExactMultiTower(
            towers=problem.towers,
            X=matrix(problem.X),
            Y=matrix(problem.Y) if problem.Y is not None else None,
            loss=problem.loss,
            over_product=problem.loss.over_product,
            weight_decay=to_fmpq(problem.weight_decay),
        )
    return ExactDeepLinear(
        widths=problem.widths,
        X=matrix(problem.X),
        Y=matrix(problem.Y) if problem.Y is not None else None,
        loss=problem.loss,
        over_product=problem.loss.over_product,
        weight_decay=to_fmpq(problem.weight_decay),
    )


def exact_weights(point: Point) -> list:
    """The point's weights as FLINT matrices (all layers, in the problem's parameter order)."""
    return [matrix(W) for W in point.weights]
