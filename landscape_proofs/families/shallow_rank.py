"""The shallow rank-constrained problem: min loss(R X - Y) over rank(R) <= p.

Frozen, validated data (docs/families.md).  ``R`` is ``d_H x d_0``; the data ``X``
(``d_0 x n``, the identity when omitted) and ``Y`` (``d_H x n``) and the loss vocabulary are
those of the deep-linear family; there is no weight decay.

The problem is studied through its *lift*: the deep-linear problem with widths
``[d_0, p, d_H]`` (loss of ``W_2 W_1``), at the *canonical factorization* ``R = U V`` with
``rank(U) = rank(V) = rank(R)`` (U = the pivot columns of R padded with zero columns to p,
V = the nonzero rows of the RREF of R padded with zero rows).  There the pair map
``(U, V) -> U V`` is locally open onto the rank <= p matrices (docs/openness.md), which is
what makes local minima correspond (docs/families.md).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.families.fields import check_top_level_fields
from landscape_proofs.kernel.linalg import matrix, rank
from landscape_proofs.kernel.numbers import format_exact, to_fraction
from landscape_proofs.losses.base import Loss
from landscape_proofs.losses.registry import default_loss, loss_from_json, loss_hint
from landscape_proofs.families.base import Problem
from landscape_proofs.families.deep_linear import MAX_WIDTH, DeepLinearProblem, Point, Rows, exact_matrix, identity_rows

FAMILY = "shallow-rank"
PROBLEM_KEYS = {"family", "shape", "rank", "X", "Y", "loss", "name", "description"}


def _shape(value: object) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError("expected [d_H, d_0] (rows and columns of R)", field="shape", got=value)
    for i, d in enumerate(value):
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise InputError("expected an integer >= 1", field=f"shape[{i}]", got=d)
        if d > MAX_WIDTH:
            raise InputError(f"expected at most {MAX_WIDTH}", field=f"shape[{i}]", got=d)
    return (value[0], value[1])


@dataclass(frozen=True)
class ShallowRankProblem(Problem):
    """min over rank(R) <= p of loss(R X - Y) (or loss(R) for a custom loss over the product).

    Parameters
    ----------
    shape : (d_H, d_0), the shape of R.
    rank : p >= 1, the rank bound.
    X : d_0 x n data (None: the d_0 x d_0 identity).
    Y : d_H x n targets (None only for a custom loss over the product).
    loss : a :class:`~landscape_proofs.losses.base.Loss`.

    >>> p = ShallowRankProblem((3, 3), 1, Y=((5, 0, 0), (0, 3, 0), (0, 0, 1)))
    >>> p.deep_linear().widths
    (3, 1, 3)
    """

    shape: tuple[int, int]
    rank: int
    X: Rows | None = None
    Y: Rows | None = None
    loss: Loss = dataclasses.field(default_factory=default_loss)

    family = FAMILY
    layered = False   # a point is the matrix R, not a list of layers

    def __post_init__(self):
        object.__setattr__(self, "shape", _shape(self.shape))
        p = self.rank
        if isinstance(p, bool) or not isinstance(p, int) or p < 1:
            raise InputError("expected an integer >= 1 (the rank bound p)", field="rank", got=p)
        if p > MAX_WIDTH:
            raise InputError(f"expected at most {MAX_WIDTH}", field="rank", got=p)
        # the lift validates X, Y and the loss exactly as the deep-linear family does
        deep = DeepLinearProblem(widths=(self.shape[1], p, self.shape[0]), X=self.X, Y=self.Y,
                                 loss=self.loss)
        object.__setattr__(self, "X", deep.X)
        object.__setattr__(self, "Y", deep.Y)
        object.__setattr__(self, "_deep", deep)

    @property
    def n_samples(self) -> int:
        return len(self.X[0])

    @property
    def effective_rank(self) -> int:
        """min(p, d_H, d_0): the largest rank R can have."""
        return min(self.rank, *self.shape)

    def deep_linear(self) -> DeepLinearProblem:
        """The lift: the deep-linear problem with widths [d_0, p, d_H], no weight decay."""
        return self._deep

    def validate_point(self, R: object, field: str = "R") -> Rows:
        """Check the shape of R and rank(R) <= p (exactly); return it as exact rows."""
        rows = exact_matrix(R, field, self.shape)
        r = rank(matrix(rows))
        if r > self.rank:
            raise InputError(f"expected a matrix of rank <= {self.rank} (the problem's rank bound)",
                             field=field, got=f"rank {r}")
        return rows

    def canonical_factorization(self, point: "ShallowPoint") -> tuple[Rows, Rows]:
        """(U, V), U d_H x p, V p x d_0, with U V = R and rank(U) = rank(V) = rank(R).

        U holds the pivot columns of R (of its RREF) and V the nonzero rows of the RREF of R,
        each padded with zeros to width p.

        >>> p = ShallowRankProblem((2, 2), 2, Y=((1, 0), (0, 1)))
        >>> p.canonical_factorization(ShallowPoint.of(p, [[1, 2], [2, 4]]))
        (((Fraction(1, 1), Fraction(0, 1)), (Fraction(2, 1), Fraction(0, 1))), ((Fraction(1, 1), Fraction(2, 1)), (Fraction(0, 1), Fraction(0, 1))))
        """
        return canonical_factorization(point.R, self.rank)

    def value(self, point: "ShallowPoint") -> Fraction:
        """loss(R X - Y), exactly."""
        from landscape_proofs.families.exact_view import exact_objective, exact_weights

        U, V = self.canonical_factorization(point)
        deep = self.deep_linear()
        return to_fraction(exact_objective(deep).value(exact_weights(Point.of(deep, [V, U]))))

    def lift(self, point: "ShallowPoint") -> Point:
        """The deep-linear point (W_1, W_2) = (V, U) of the canonical factorization."""
        U, V = self.canonical_factorization(point)
        return Point.of(self.deep_linear(), [V, U])

    # -- the plug-in statements (families/base.py) --------------------------------------------
    def describe_shape(self) -> str:
        return f"R: {self.shape[0]} x {self.shape[1]}, rank <= {self.rank}"

    @classmethod
    def from_dict(cls, data: dict) -> "ShallowRankProblem":
        return shallow_problem_from_dict(data)

    def to_dict(self) -> dict:
        return shallow_problem_to_dict(self)

    def point_from_dict(self, data: object) -> "ShallowPoint":
        return shallow_point_from_dict(data, self)


def canonical_factorization(R: Rows, p: int) -> tuple[Rows, Rows]:
    """R = U V with U = pivot columns of R and V = nonzero RREF rows, padded to width p."""
    M = matrix(R)
    m, n = M.nrows(), M.ncols()
    E, r = M.rref()
    if r > p:
        raise ValueError(f"canonical_factorization: rank {r} exceeds the bound {p}")
    pivots = []
    for i in range(r):
        for j in range(n):
            if E[i, j] != 0:
                pivots.append(j)
                break
    U = tuple(tuple(to_fraction(M[i, pivots[t]]) if t < r else Fraction(0) for t in range(p))
              for i in range(m))
    V = tuple(tuple(to_fraction(E[t, j]) if t < r else Fraction(0) for j in range(n))
              for t in range(p))
    if matrix(U) * matrix(V) != M:  # pragma: no cover - a property of the RREF
        raise ArithmeticError("canonical_factorization: U V != R")
    return U, V


@dataclass(frozen=True)
class ShallowPoint:
    """A point R (d_H x d_0, rank <= p) of a shallow rank-constrained problem."""

    R: Rows

    @classmethod
    def of(cls, problem: ShallowRankProblem, R) -> "ShallowPoint":
        """Validate ``R`` (shape, rank <= p exactly) and build the point."""
        return cls(problem.validate_point(R))

    def to_dict(self) -> dict:
        return shallow_point_to_dict(self)


# --- JSON ------------------------------------------------------------------------------------
def shallow_problem_from_dict(data: dict) -> ShallowRankProblem:
    """Build a shallow rank-constrained problem from its JSON object (exact numbers)."""
    check_top_level_fields(data, PROBLEM_KEYS, FAMILY)
    if "shape" not in data:
        raise InputError("missing: expected [d_H, d_0], the shape of R", field="shape")
    if "rank" not in data:
        raise InputError("missing: expected the rank bound p (an integer >= 1)", field="rank")
    if "loss" not in data:
        raise InputError(f"missing: expected {loss_hint()}", field="loss")
    loss = loss_from_json(data["loss"])
    return ShallowRankProblem(shape=data["shape"], rank=data["rank"], X=data.get("X"),
                              Y=data.get("Y"), loss=loss)


def shallow_problem_to_dict(problem: ShallowRankProblem) -> dict:
    out = {"family": FAMILY, "shape": list(problem.shape), "rank": problem.rank}
    if problem.X != identity_rows(problem.shape[1]):
        out["X"] = [[format_exact(x) for x in row] for row in problem.X]
    if problem.Y is not None:
        out["Y"] = [[format_exact(x) for x in row] for row in problem.Y]
    out["loss"] = problem.loss.to_json()
    return out


def shallow_point_from_dict(data: object, problem: ShallowRankProblem) -> ShallowPoint:
    if not isinstance(data, dict):
        raise InputError('expected a JSON object {"R": [[...], ...]}', got=type(data).__name__)
    unknown = sorted(set(data) - {"R"})
    if unknown:
        raise InputError('unknown field; a shallow-rank point is {"R": [[...], ...]}',
                         field=unknown[0], got=unknown[0], show_got=False)
    if "R" not in data:
        raise InputError(f"missing: expected the {problem.shape[0]} x {problem.shape[1]} matrix R",
                         field="R")
    return ShallowPoint.of(problem, data["R"])


def shallow_point_to_dict(point: ShallowPoint) -> dict:
    return {"R": [[format_exact(x) for x in row] for row in point.R]}


__all__ = ["ShallowRankProblem", "ShallowPoint", "canonical_factorization",
           "shallow_problem_from_dict", "shallow_problem_to_dict", "shallow_point_from_dict",
           "shallow_point_to_dict"]
