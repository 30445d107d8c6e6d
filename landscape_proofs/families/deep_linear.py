"""The deep linear network problem: frozen, validated data.

``L(W_1, ..., W_H) = loss(W_H ... W_1 X - Y) + weight_decay/2 * sum_i ||W_i||_F^2``
(or ``loss(W_H ... W_1)`` for a custom loss over the product).

Indexing convention, used everywhere: ``weights[0]`` is ``W_1``, the layer that touches
the input, of shape ``d_1 x d_0``; ``weights[H-1]`` is ``W_H``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from landscape_proofs.families.base import (MAX_DEPTH, MAX_WIDTH, Chain, Point, Problem, Rows,  # noqa: F401
                                           exact_matrix, identity_rows, matrix_to_json)
from landscape_proofs.families.fields import check_top_level_fields
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import format_exact, parse_exact
from landscape_proofs.losses.base import Loss
from landscape_proofs.losses.registry import default_loss, loss_from_json, loss_hint

FAMILY = "deep-linear"
PROBLEM_KEYS = {"family", "widths", "X", "Y", "loss", "weight_decay", "name", "description"}

@dataclass(frozen=True)
class DeepLinearProblem(Problem):
    """A deep linear network with data and a loss.

    Parameters
    ----------
    widths : (d_0, d_1, ..., d_H), H >= 1 layers.
    X : d_0 x n data (None: the d_0 x d_0 identity).
    Y : d_H x n targets (None only for a custom loss over the product).
    loss : a :class:`~landscape_proofs.losses.base.Loss`.
    weight_decay : adds weight_decay/2 * sum_i ||W_i||_F^2 (>= 0); or a per-entry decay,
        one matrix L_i per layer shaped like W_i with entries >= 0, adding
        1/2 * sum_i sum_jk L_i[j][k] W_i[j][k]^2 (a tuple of rows; all entries equal is the
        scalar).
    """

    widths: tuple[int, ...]
    X: Rows | None = None
    Y: Rows | None = None
    loss: Loss = dataclasses.field(default_factory=default_loss)
    weight_decay: Fraction = Fraction(0)

    family = FAMILY

    def __post_init__(self):
        w = self.widths
        if not isinstance(w, (list, tuple)) or len(w) < 2:
            raise InputError("expected a list [d_0, ..., d_H] of at least 2 widths (H >= 1 layers)",
                             field="widths", got=w)
        if len(w) - 1 > MAX_DEPTH:
            raise InputError(f"expected at most {MAX_DEPTH} layers", field="widths", got=len(w) - 1)
        for i, d in enumerate(w):
            if isinstance(d, bool) or not isinstance(d, int) or d < 1:
                raise InputError("expected an integer >= 1", field=f"widths[{i}]", got=d)
            if d > MAX_WIDTH:
                raise InputError(f"expected a width of at most {MAX_WIDTH}", field=f"widths[{i}]", got=d)
        object.__setattr__(self, "widths", tuple(w))
        if not isinstance(self.loss, Loss):
            raise InputError("expected a loss specification", field="loss", got=self.loss)
        X = self.X if self.X is not None else identity_rows(w[0])
        X = exact_matrix(X, "X", (w[0], None))
        object.__setattr__(self, "X", X)
        n = len(X[0])
        if self.loss.over_product:
            if self.Y is not None:
                Y = exact_matrix(self.Y, "Y", (w[-1], None))
                object.__setattr__(self, "Y", Y)
            self.loss.check_shape(w[-1], w[0])
        else:
            if self.Y is None:
                raise InputError(f"missing: Y ({w[-1]} x {n}) is required for this loss", field="Y")
            Y = exact_matrix(self.Y, "Y", (w[-1], n))
            object.__setattr__(self, "Y", Y)
            self.loss.check_shape(w[-1], n)
        object.__setattr__(self, "weight_decay", _decay(self.weight_decay, self.shapes))
        object.__setattr__(self, "_x_is_identity", self.X == identity_rows(w[0]))

    # -- shape facts -----------------------------------------------------------------
    @property
    def depth(self) -> int:
        """H, the number of weight matrices."""
        return len(self.widths) - 1

    @property
    def decay_entries(self) -> tuple[Fraction, ...] | None:
        """A per-entry decay as one lam_p per parameter (W_1 first, row-major); None when the
        decay is a scalar."""
        if not isinstance(self.weight_decay, tuple):
            return None
        return tuple(x for L in self.weight_decay for row in L for x in row)

    @property
    def n_samples(self) -> int:
        return len(self.X[0])

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Shape (d_i, d_{i-1}) of W_i, for i = 1..H."""
        return tuple((self.widths[i + 1], self.widths[i]) for i in range(self.depth))

    @property
    def n_params(self) -> int:
        return sum(a * b for a, b in self.shapes)

    @property
    def max_rank(self) -> int:
        """r = min(d_0, ..., d_H), the largest rank the product can reach."""
        return min(self.widths)

    @property
    def has_bottleneck(self) -> bool:
        return self.max_rank < min(self.widths[0], self.widths[-1])

    @property
    def loss_argument_shape(self) -> tuple[int, int]:
        """Shape of the matrix the loss takes: residual (d_H x n) or product (d_H x d_0)."""
        if self.loss.over_product:
            return (self.widths[-1], self.widths[0])
        return (self.widths[-1], self.n_samples)

    def validate_point(self, weights: object, field: str = "weights") -> tuple[Rows, ...]:
        """Check a point's shapes against the widths; return it as exact rows."""
        if not isinstance(weights, (list, tuple)):
            raise InputError(f"expected a list of {self.depth} weight matrices", field=field, got=weights)
        if len(weights) != self.depth:
            raise InputError(f"expected {self.depth} weight matrices (one per layer)", field=field,
                             got=f"{len(weights)} matrices")
        out = []
        for i, (W, (r, c)) in enumerate(zip(weights, self.shapes)):
            out.append(exact_matrix(W, f"{field}[{i}]", (r, c)))
        return tuple(out)

    # -- the plug-in statements (families/base.py) --------------------------------------------
    def chains(self) -> tuple[Chain, ...]:
        return (Chain(tuple(self.widths), range(self.depth), self.depth),)

    def describe_shape(self) -> str:
        return f"widths {list(self.widths)}"

    def exact_objective(self):
        from landscape_proofs.core.objective import ExactDeepLinear
        from landscape_proofs.kernel.linalg import matrix
        from landscape_proofs.kernel.numbers import to_fmpq

        wd = self.weight_decay
        return ExactDeepLinear(widths=self.widths, X=matrix(self.X),
                               Y=matrix(self.Y) if self.Y is not None else None,
                               loss=self.loss, over_product=self.loss.over_product,
                               weight_decay=wd if isinstance(wd, tuple) else to_fmpq(wd))

    @classmethod
    def from_dict(cls, data: dict) -> "DeepLinearProblem":
        check_top_level_fields(data, PROBLEM_KEYS)
        if "widths" not in data:
            raise InputError("missing: expected a list [d_0, ..., d_H]", field="widths")
        if "loss" not in data:
            raise InputError(f"missing: expected {loss_hint()}", field="loss")
        loss = loss_from_json(data["loss"])
        return cls(widths=data["widths"], X=data.get("X"), Y=data.get("Y"), loss=loss,
                   weight_decay=data.get("weight_decay", 0))

    def to_dict(self) -> dict:
        out = {"family": self.family, "widths": list(self.widths)}
        if not self._x_is_identity:
            out["X"] = matrix_to_json(self.X)
        if self.Y is not None:
            out["Y"] = matrix_to_json(self.Y)
        out["loss"] = self.loss.to_json()
        wd = self.weight_decay
        out["weight_decay"] = ([matrix_to_json(L) for L in wd] if isinstance(wd, tuple)
                               else format_exact(wd))
        return out

    def point_from_dict(self, data: object) -> Point:
        """``{"weights": [W_1, ..., W_H]}``, or ``{"U": ..., "V": ...}`` for two layers."""
        if isinstance(data, dict) and "weights" in data and ("U" in data or "V" in data):
            raise InputError('expected either "weights" or "U" and "V", not both',
                             field="U" if "U" in data else "V")
        if isinstance(data, dict) and "weights" not in data and self.depth == 2 and (
                "U" in data or "V" in data):
            return point_from_factors(data, self)  # {"U": m x k, "V": k x n}: weights [V, U]
        if isinstance(data, dict) and "weights" not in data:
            raise InputError(f"missing: expected a list of {self.depth} weight matrices",
                             field="weights")
        return super().point_from_dict(data)


def _decay(value, shapes) -> Fraction | tuple[Rows, ...]:
    """A scalar decay >= 0, or a per-entry decay: one matrix per layer shaped like it, entries
    >= 0 (all entries equal: that scalar)."""
    if not isinstance(value, (list, tuple)):
        wd = parse_exact(value, "weight_decay")
        if wd < 0:
            raise InputError("expected a number >= 0", field="weight_decay", got=str(wd))
        return wd
    if len(value) != len(shapes):
        raise InputError(f"expected a number or a list of {len(shapes)} matrices (one per "
                         "weight matrix, shaped like it)", field="weight_decay",
                         got=f"{len(value)} matrices")
    out = tuple(exact_matrix(L, f"weight_decay[{k}]", shape)
                for k, (L, shape) in enumerate(zip(value, shapes)))
    for k, L in enumerate(out):
        for i, row in enumerate(L):
            for j, x in enumerate(row):
                if x < 0:
                    raise InputError("expected entries >= 0", field=f"weight_decay[{k}][{i}][{j}]",
                                     got=str(x))
    entries = {x for L in out for row in L for x in row}
    return entries.pop() if len(entries) == 1 else out


def point_from_factors(data: dict, problem: DeepLinearProblem) -> Point:
    """The deep-linear point of ``{"U": ..., "V": ...}`` for a two-layer problem."""
    unknown = sorted(set(data) - {"U", "V"})
    if unknown:
        raise InputError('unknown field; a factorization point is {"U": [[...]], "V": [[...]]}',
                         field=unknown[0], got=unknown[0], show_got=False)
    for key in ("U", "V"):
        if key not in data:
            raise InputError(f"missing: the factor {key}", field=key)
    n, k, m = problem.widths
    V = exact_matrix(data["V"], "V", (k, n))
    U = exact_matrix(data["U"], "U", (m, k))
    return Point((V, U))
