"""Multi-tower linear networks: the outputs of several deep linear towers, summed.

``L(W) = loss(R X - Y) + weight_decay/2 * sum over every layer ||W||_F^2`` with
``R = sum_t W^(t)_{H_t} ... W^(t)_1`` (or ``loss(R)`` for a custom loss over the product).
Every tower maps ``d_0 -> d_H`` (the same input and output widths); its hidden widths and
depth are its own.  Zhang (2019, arXiv:1901.09827) treats these networks: a sum of towers is a
two-layer network of width ``sum_t r_t``, ``r_t`` the narrowest width of tower ``t``
(docs/families.md, "multi-tower").

Parameter order (used everywhere: points, ``shapes``, flattening, certificates): the layers of
tower 1, ``W^(1)_1`` first, then those of tower 2, and so on.  A point is a
:class:`~landscape_proofs.families.deep_linear.Point` whose ``weights`` list all layers in
that order; its file form is ``{"weights": [...]}`` with the same flat list.
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
from landscape_proofs.families.deep_linear import MAX_DEPTH, MAX_WIDTH, DeepLinearProblem, Point, Rows, exact_matrix

FAMILY = "multi-tower"
PROBLEM_KEYS = {"family", "towers", "X", "Y", "loss", "weight_decay", "name", "description"}
MAX_TOWERS = 32


def _towers(value: object) -> tuple[tuple[int, ...], ...]:
    """Validate ``[[d_0, ..., d_H], ...]``: shared d_0 and d_H, each width in 1..MAX_WIDTH."""
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError("expected a non-empty list of towers, each a list of widths "
                         "[d_0, ..., d_H]", field="towers", got=value)
    if len(value) > MAX_TOWERS:
        raise InputError(f"expected at most {MAX_TOWERS} towers", field="towers",
                         got=f"{len(value)} towers")
    out = []
    for t, w in enumerate(value):
        where = f"towers[{t}]"
        if not isinstance(w, (list, tuple)) or len(w) < 2:
            raise InputError("expected a list [d_0, ..., d_H] of at least 2 widths (H >= 1 layers)",
                             field=where, got=w)
        if len(w) - 1 > MAX_DEPTH:
            raise InputError(f"expected at most {MAX_DEPTH} layers", field=where, got=len(w) - 1)
        for i, d in enumerate(w):
            if isinstance(d, bool) or not isinstance(d, int) or d < 1:
                raise InputError("expected an integer >= 1", field=f"{where}[{i}]", got=d)
            if d > MAX_WIDTH:
                raise InputError(f"expected a width of at most {MAX_WIDTH}", field=f"{where}[{i}]",
                                 got=d)
        out.append(tuple(w))
    d0, dH = out[0][0], out[0][-1]
    for t, w in enumerate(out[1:], start=1):
        if w[0] != d0:
            raise InputError(f"expected the input width d_0 = {d0} of towers[0] (every tower "
                             "starts at the same d_0)", field=f"towers[{t}][0]", got=w[0])
        if w[-1] != dH:
            raise InputError(f"expected the output width d_H = {dH} of towers[0] (every tower "
                             "ends at the same d_H)", field=f"towers[{t}][{len(w) - 1}]", got=w[-1])
    return tuple(out)


@dataclass(frozen=True)
class MultiTowerProblem(Problem):
    """A sum of deep linear towers with data and a loss.

    Exposes the attributes the classifier and the checker use on
    :class:`~landscape_proofs.families.deep_linear.DeepLinearProblem` (``family``, ``X``,
    ``Y``, ``loss``, ``weight_decay``, ``shapes``, ``n_params``, ``max_rank``,
    ``has_bottleneck``, ``loss_argument_shape``, ``validate_point``) but deliberately no
    ``widths`` or ``depth``: code written for one tower must not run silently on the wrong
    layer list.

    Parameters
    ----------
    towers : one width list (d_0, ..., d_H) per tower; all share d_0 and d_H.
    X : d_0 x n data (None: the d_0 x d_0 identity).
    Y : d_H x n targets (None only for a custom loss over the product).
    loss : a :class:`~landscape_proofs.losses.base.Loss`, applied to R X - Y (or to R).
    weight_decay : adds weight_decay/2 * (sum of ||W||_F^2 over every layer of every tower).

    >>> p = MultiTowerProblem(towers=((2, 1, 2), (2, 1, 2)), Y=((3, 0), (0, 1)))
    >>> p.shapes, p.n_params, p.max_rank, p.has_bottleneck
    (((1, 2), (2, 1), (1, 2), (2, 1)), 8, 2, False)
    """

    towers: tuple[tuple[int, ...], ...]
    X: Rows | None = None
    Y: Rows | None = None
    loss: Loss = dataclasses.field(default_factory=default_loss)
    weight_decay: Fraction = Fraction(0)

    family = FAMILY
    sum_of_towers = True

    def __post_init__(self):
        if isinstance(self.weight_decay, (list, tuple)):
            raise InputError("expected a number >= 0 (a per-entry decay is for deep-linear and "
                             "matrix-factorization problems)", field="weight_decay", got="a list")
        towers = _towers(self.towers)
        object.__setattr__(self, "towers", towers)
        # X, Y, the loss and the weight decay are validated exactly as for a deep-linear
        # problem from d_0 to d_H (same field names, same messages).
        one = DeepLinearProblem(widths=(towers[0][0], towers[0][-1]), X=self.X, Y=self.Y,
                                loss=self.loss, weight_decay=self.weight_decay)
        object.__setattr__(self, "X", one.X)
        object.__setattr__(self, "Y", one.Y)
        object.__setattr__(self, "weight_decay", one.weight_decay)
        object.__setattr__(self, "_x_is_identity", one._x_is_identity)

    # -- shape facts -----------------------------------------------------------------------
    @property
    def n_towers(self) -> int:
        return len(self.towers)

    @property
    def input_width(self) -> int:
        """d_0."""
        return self.towers[0][0]

    @property
    def output_width(self) -> int:
        """d_H."""
        return self.towers[0][-1]

    @property
    def n_samples(self) -> int:
        return len(self.X[0])

    @property
    def tower_depths(self) -> tuple[int, ...]:
        """H_t, the number of weight matrices of each tower."""
        return tuple(len(w) - 1 for w in self.towers)

    @property
    def tower_ranks(self) -> tuple[int, ...]:
        """r_t = min(widths of tower t), the largest rank tower t's product can reach."""
        return tuple(min(w) for w in self.towers)

    @property
    def tower_layers(self) -> tuple[range, ...]:
        """For each tower, the indices of its layers in the parameter order (``shapes``)."""
        out, start = [], 0
        for H in self.tower_depths:
            out.append(range(start, start + H))
            start += H
        return tuple(out)

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Shapes of all layers in parameter order: tower 1 (W_1 first), then tower 2, ..."""
        return tuple((w[i + 1], w[i]) for w in self.towers for i in range(len(w) - 1))

    @property
    def n_params(self) -> int:
        return sum(a * b for a, b in self.shapes)

    @property
    def max_rank(self) -> int:
        """min(d_0, d_H, sum_t r_t): the largest rank the sum of the towers can reach.

        The range of ``R = sum_t R_t`` is exactly the set of d_H x d_0 matrices of rank at most
        this number (proof in docs/families.md).
        """
        return min(self.input_width, self.output_width, sum(self.tower_ranks))

    @property
    def has_bottleneck(self) -> bool:
        return self.max_rank < min(self.input_width, self.output_width)

    @property
    def loss_argument_shape(self) -> tuple[int, int]:
        """Shape of the matrix the loss takes: residual (d_H x n) or product (d_H x d_0)."""
        if self.loss.over_product:
            return (self.output_width, self.input_width)
        return (self.output_width, self.n_samples)

    def two_layer_equivalent(self) -> DeepLinearProblem:
        """The two-layer problem of width sum_t r_t with the same data, loss and weight decay.

        Its products ``U V`` range over the same matrices as the sums of the towers (Zhang's
        reduction); values of the two problems at corresponding points agree only without
        weight decay.
        """
        return DeepLinearProblem(widths=(self.input_width, sum(self.tower_ranks), self.output_width),
                                 X=self.X, Y=self.Y, loss=self.loss, weight_decay=self.weight_decay)

    def validate_point(self, weights: object, field: str = "weights") -> tuple[Rows, ...]:
        """Check a point's shapes (all layers, parameter order); return it as exact rows."""
        n = len(self.shapes)
        layout = ", ".join(f"tower {t + 1}: {H}" for t, H in enumerate(self.tower_depths))
        if not isinstance(weights, (list, tuple)):
            raise InputError(f"expected a list of {n} weight matrices (tower 1's layers W_1 first, "
                             f"then tower 2's, ...; {layout})", field=field, got=weights)
        if len(weights) != n:
            raise InputError(f"expected {n} weight matrices, the layers of every tower in order "
                             f"({layout})", field=field, got=f"{len(weights)} matrices")
        out = []
        for t, layers in enumerate(self.tower_layers):
            for k, i in enumerate(layers):
                r, c = self.shapes[i]
                try:
                    out.append(exact_matrix(weights[i], f"{field}[{i}]", (r, c)))
                except InputError as exc:
                    raise InputError(f"{exc.expected} (tower {t + 1}, layer W_{k + 1}, "
                                     f"{r} x {c})", field=exc.field, got=exc.got,
                                     show_got=exc.show_got) from None
        return tuple(out)

    def tower_weights(self, weights) -> tuple[tuple, ...]:
        """Split a flat layer list into one layer list per tower."""
        return tuple(tuple(weights[i] for i in layers) for layers in self.tower_layers)

    # -- the plug-in statements (families/base.py) --------------------------------------------
    def chains(self) -> tuple[Chain, ...]:
        return tuple(Chain(tuple(w), lay, len(w) - 1)
                     for w, lay in zip(self.towers, self.tower_layers))

    def describe_shape(self) -> str:
        return f"towers {[list(w) for w in self.towers]}"

    def exact_objective(self):
        from landscape_proofs.core.multi_tower import ExactMultiTower
        from landscape_proofs.kernel.linalg import matrix
        from landscape_proofs.kernel.numbers import to_fmpq

        return ExactMultiTower(towers=self.towers, X=matrix(self.X),
                               Y=matrix(self.Y) if self.Y is not None else None,
                               loss=self.loss, over_product=self.loss.over_product,
                               weight_decay=to_fmpq(self.weight_decay))

    @classmethod
    def from_dict(cls, data: dict) -> "MultiTowerProblem":
        return multi_tower_from_dict(data)

    def to_dict(self) -> dict:
        return multi_tower_to_dict(self)

    def point_from_dict(self, data: object) -> Point:
        return multi_tower_point_from_dict(data, self)


# --- JSON ------------------------------------------------------------------------------------
def multi_tower_from_dict(data: dict) -> MultiTowerProblem:
    """Build a multi-tower problem from its JSON object (exact numbers).

    >>> p = multi_tower_from_dict({"family": "multi-tower", "towers": [[2, 1, 2], [2, 2]],
    ...                            "Y": [[3, 0], [0, 1]], "loss": "square"})
    >>> p.tower_ranks, p.max_rank
    ((1, 2), 2)
    """
    check_top_level_fields(data, PROBLEM_KEYS, FAMILY)
    if "towers" not in data:
        raise InputError("missing: expected a list of towers [[d_0, ..., d_H], ...]", field="towers")
    if "loss" not in data:
        raise InputError(f"missing: expected {loss_hint()}", field="loss")
    towers = _towers(data["towers"])  # before the loss: shape errors name the towers first
    loss = loss_from_json(data["loss"])
    return MultiTowerProblem(towers=towers, X=data.get("X"), Y=data.get("Y"), loss=loss,
                             weight_decay=data.get("weight_decay", 0))


def multi_tower_to_dict(problem: MultiTowerProblem) -> dict:
    out = {"family": FAMILY, "towers": [list(w) for w in problem.towers]}
    if not problem._x_is_identity:
        out["X"] = [[format_exact(x) for x in row] for row in problem.X]
    if problem.Y is not None:
        out["Y"] = [[format_exact(x) for x in row] for row in problem.Y]
    out["loss"] = problem.loss.to_json()
    out["weight_decay"] = format_exact(problem.weight_decay)
    return out


def multi_tower_point_from_dict(data: object, problem: MultiTowerProblem) -> Point:
    """``{"weights": [...]}``: every layer, tower 1 first (W_1 first within each tower)."""
    if not isinstance(data, dict):
        raise InputError('expected a JSON object {"weights": [...]}', got=type(data).__name__)
    unknown = sorted(set(data) - {"weights"})
    if unknown:
        raise InputError('unknown field; a multi-tower point is {"weights": [...]}, the layers of '
                         "tower 1 (W_1 first), then those of tower 2, ...", field=unknown[0],
                         got=unknown[0], show_got=False)
    if "weights" not in data:
        raise InputError(f"missing: expected a list of {len(problem.shapes)} weight matrices "
                         "(tower 1's layers W_1 first, then tower 2's, ...)", field="weights")
    return Point.of(problem, data["weights"])


__all__ = ["MultiTowerProblem", "multi_tower_from_dict", "multi_tower_to_dict",
           "multi_tower_point_from_dict", "FAMILY"]
