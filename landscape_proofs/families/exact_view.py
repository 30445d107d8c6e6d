"""The bridge from problem data (Fractions) to the exact engine (FLINT rationals).

Each family states its exact objective (``Problem.exact_objective``); this module keeps the
two entry points producers call.
"""
from __future__ import annotations

from landscape_proofs.families.base import Point, Problem
from landscape_proofs.kernel.linalg import matrix


def exact_objective(problem: Problem):
    """The exact (core) evaluator of ``problem``'s objective, as its family states it."""
    return problem.exact_objective()


def exact_weights(point: Point) -> list:
    """The point's weights as FLINT matrices (all layers, in the problem's parameter order)."""
    return [matrix(W) for W in point.weights]
