"""Problem families as frozen, validated data."""
from .deep_linear import DeepLinearProblem, Point

__all__ = ["DeepLinearProblem", "Point"]
