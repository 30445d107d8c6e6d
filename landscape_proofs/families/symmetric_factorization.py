"""Symmetric matrix factorization: ``f(U) = l(U U^T) + weight_decay/2 ||U||_F^2``.

``U`` is ``n x k``.  The loss takes the ``n x n`` residual ``E = U U^T - Y`` (square, l1,
power, custom over ``r_i_j``) or the product ``R = U U^T`` itself (custom over ``R_i_j``).
The problem exposes ``X`` = the ``n x n`` identity, so that ``E = R X - Y`` holds as for the
other families (docs/families.md, "symmetric-factorization").

A point is a :class:`~landscape_proofs.families.deep_linear.Point` with a single weight, ``U``;
its file form is ``{"weights": [U]}`` or ``{"U": U}``.

Soundness note: the product ``U U^T`` ranges over the PSD matrices of rank <= min(n, k), not over
all matrices of rank <= min(n, k); the square-loss closed form (reduced-rank regression,
``exact/optimum.py``) is therefore *not* the optimum here and is refused for this family.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.families.fields import check_top_level_fields
from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.losses.base import Loss
from landscape_proofs.losses.registry import default_loss, loss_from_json, loss_hint
from landscape_proofs.families.base import Chain, Problem
from landscape_proofs.families.deep_linear import MAX_WIDTH, DeepLinearProblem, Point, Rows, exact_matrix

FAMILY = "symmetric-factorization"
PROBLEM_KEYS = {"family", "shape", "Y", "loss", "weight_decay", "name", "description"}


def _shape(value: object) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError("expected [n, k], the shape of U (U U^T is n x n)", field="shape", got=value)
    for i, d in enumerate(value):
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise InputError("expected an integer >= 1", field=f"shape[{i}]", got=d)
        if d > MAX_WIDTH:
            raise InputError(f"expected at most {MAX_WIDTH}", field=f"shape[{i}]", got=d)
    return int(value[0]), int(value[1])


@dataclass(frozen=True)
class SymmetricFactorizationProblem(Problem):
    """``l(U U^T) + lam/2 ||U||^2`` over ``U in R^{n x k}``.

    Exposes what the classifier and checker read (``family``, ``X``, ``Y``, ``loss``,
    ``weight_decay``, ``shapes``, ``n_params``, ``max_rank``, ``has_bottleneck``,
    ``loss_argument_shape``, ``validate_point``) plus ``n``, ``k`` (alias ``rank``); no
    ``widths`` or ``depth``.

    >>> p = SymmetricFactorizationProblem(n=2, k=1, Y=((1, 0), (0, 0)))
    >>> p.shapes, p.n_params, p.max_rank, p.has_bottleneck
    (((2, 1),), 2, 1, True)
    """

    n: int
    k: int
    Y: Rows | None = None
    loss: Loss = dataclasses.field(default_factory=default_loss)
    weight_decay: Fraction = Fraction(0)

    family = FAMILY
    psd_product = True          # R = U U^T
    rank_set_product = False    # only the PSD matrices of rank <= min(n, k)

    def __post_init__(self):
        if isinstance(self.weight_decay, (list, tuple)):
            raise InputError("expected a number >= 0 (a per-entry decay is for deep-linear and "
                             "matrix-factorization problems)", field="weight_decay", got="a list")
        n, k = _shape((self.n, self.k))
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "k", k)
        # Y (n x n), the loss and the weight decay validated as for a deep-linear problem
        # from n to n with X the identity (same messages).
        one = DeepLinearProblem(widths=(n, n), X=None, Y=self.Y, loss=self.loss,
                                weight_decay=self.weight_decay)
        object.__setattr__(self, "X", one.X)
        object.__setattr__(self, "Y", one.Y)
        object.__setattr__(self, "weight_decay", one.weight_decay)
        object.__setattr__(self, "_x_is_identity", True)

    @property
    def rank(self) -> int:
        """k, the inner dimension (the Burer-Monteiro entry reads ``rank`` and ``n``)."""
        return self.k

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        return ((self.n, self.k),)

    @property
    def n_params(self) -> int:
        return self.n * self.k

    @property
    def max_rank(self) -> int:
        """min(n, k): U U^T ranges over the PSD n x n matrices of rank <= this number."""
        return min(self.n, self.k)

    @property
    def has_bottleneck(self) -> bool:
        return self.k < self.n

    @property
    def loss_argument_shape(self) -> tuple[int, int]:
        return (self.n, self.n)

    def validate_point(self, weights: object, field: str = "weights") -> tuple[Rows, ...]:
        """``[U]``, a list holding one n x k matrix; returned as exact rows."""
        if not isinstance(weights, (list, tuple)) or len(weights) != 1:
            raise InputError(f"expected a list holding one {self.n} x {self.k} matrix [U]",
                             field=field, got=weights if not isinstance(weights, (list, tuple))
                             else f"{len(weights)} matrices")
        return (exact_matrix(weights[0], f"{field}[0]", (self.n, self.k)),)

    # -- the plug-in statements (families/base.py) --------------------------------------------
    def chains(self) -> tuple[Chain, ...]:
        """One chain ``k -> n`` of one layer ``U``, split into two factors ``U U^T``."""
        return (Chain((self.k, self.n), range(0, 1), 2),)

    def describe_shape(self) -> str:
        return f"U: {self.n} x {self.k}"

    def exact_objective(self):
        from landscape_proofs.core.symmetric_factorization import ExactSymmetricFactorization
        from landscape_proofs.kernel.linalg import matrix
        from landscape_proofs.kernel.numbers import to_fmpq

        return ExactSymmetricFactorization(
            n=self.n, k=self.k, Y=matrix(self.Y) if self.Y is not None else None,
            loss=self.loss, over_product=self.loss.over_product,
            weight_decay=to_fmpq(self.weight_decay))

    @classmethod
    def from_dict(cls, data: dict) -> "SymmetricFactorizationProblem":
        return symmetric_factorization_from_dict(data)

    def to_dict(self) -> dict:
        return symmetric_factorization_to_dict(self)

    def point_from_dict(self, data: object) -> Point:
        return symmetric_factorization_point_from_dict(data, self)


def symmetric_factorization_from_dict(data: dict) -> SymmetricFactorizationProblem:
    """Build the problem from its JSON object (exact numbers).

    >>> p = symmetric_factorization_from_dict({"family": "symmetric-factorization",
    ...     "shape": [2, 1], "Y": [[1, 0], [0, 0]], "loss": "square"})
    >>> p.n, p.k
    (2, 1)
    """
    check_top_level_fields(data, PROBLEM_KEYS, FAMILY)
    if "shape" not in data:
        raise InputError("missing: expected [n, k], the shape of U", field="shape")
    n, k = _shape(data["shape"])
    if "loss" not in data:
        raise InputError(f"missing: expected {loss_hint()}", field="loss")
    loss = loss_from_json(data["loss"])
    return SymmetricFactorizationProblem(n=n, k=k, Y=data.get("Y"), loss=loss,
                                         weight_decay=data.get("weight_decay", 0))


def symmetric_factorization_to_dict(problem: SymmetricFactorizationProblem) -> dict:
    out = {"family": FAMILY, "shape": [problem.n, problem.k]}
    if problem.Y is not None:
        out["Y"] = [[format_exact(x) for x in row] for row in problem.Y]
    out["loss"] = problem.loss.to_json()
    out["weight_decay"] = format_exact(problem.weight_decay)
    return out


def symmetric_factorization_point_from_dict(data: object,
                                            problem: SymmetricFactorizationProblem) -> Point:
    """``{"weights": [U]}`` or ``{"U": U}``."""
    if not isinstance(data, dict):
        raise InputError('expected a JSON object {"weights": [U]} or {"U": U}',
                         got=type(data).__name__)
    unknown = sorted(set(data) - {"weights", "U"})
    if unknown:
        raise InputError('unknown field; a symmetric-factorization point is {"weights": [U]} or '
                         '{"U": U}', field=unknown[0], got=unknown[0], show_got=False)
    if "weights" in data and "U" in data:
        raise InputError('expected either "weights" or "U", not both', field="U")
    if "U" in data:
        return Point((exact_matrix(data["U"], "U", (problem.n, problem.k)),))
    if "weights" not in data:
        raise InputError(f"missing: expected [U], U an {problem.n} x {problem.k} matrix",
                         field="weights")
    return Point.of(problem, data["weights"])


__all__ = ["SymmetricFactorizationProblem", "symmetric_factorization_from_dict",
           "symmetric_factorization_to_dict", "symmetric_factorization_point_from_dict", "FAMILY"]
