"""What every problem family states, and the pieces they share.

A *family* is one module in ``families/``: a frozen problem class deriving from
:class:`Problem` and registered in :mod:`landscape_proofs.families.registry`.  The class
states, as class attributes and methods (never as ``if family == ...`` elsewhere):

* its name (``family``) and the other names files may use (``readers`` in the registry);
* its reader and writer (``from_dict``, ``to_dict``) and its points' (``point_from_dict``,
  ``point_to_dict``);
* its parameter shapes in parameter order (``shapes``) and its *chains*: the product map
  ``R`` as a sum of chains of layers (:class:`Chain`; ``R = U U^T`` is one chain whose single
  layer is used twice, ``psd_product``);
* its exact objective, the core evaluator (``exact_objective``);
* its symmetry (``orthogonal_symmetry``: only ``W -> W Q`` with Q orthogonal, or the full
  general-linear gauge between layers);
* its closed-form facts (``rank_set_product``: the products are exactly the matrices of rank
  at most ``max_rank``, so the reduced-rank-regression optimum applies to the square loss).

The numeric views (``numeric/views.py``), the search (``search/``) and the symbolic layer read
these statements; they do not name families.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Sequence

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import format_exact, parse_exact
from landscape_proofs.families.fields import check_top_level_fields

# a point file: the weights, and labels an example file's points carry (not used)
POINT_KEYS = {"weights", "name", "description", "expected", "expected_without_sos"}

Rows = tuple[tuple[Fraction, ...], ...]

MAX_WIDTH = 64
MAX_DEPTH = 32


def exact_matrix(rows: object, field: str, shape: tuple[int | None, int | None] = (None, None)) -> Rows:
    """Validate a list of rows of exact numbers, with an optional expected shape."""
    if not isinstance(rows, (list, tuple)) or not rows:
        dims = " x ".join("?" if d is None else str(d) for d in shape)
        want = "a non-empty list of rows" + (f" ({dims})" if shape[0] else "")
        if isinstance(rows, str):       # X and Y may name a .npy or .csv file (docs/formats.md)
            want += ", or the name of a .npy or .csv file"
        raise InputError(f"expected {want}", field=field, got=rows)
    out = []
    ncols = shape[1]
    for i, row in enumerate(rows):
        if not isinstance(row, (list, tuple)):
            raise InputError("expected a list of numbers (one row)", field=f"{field}[{i}]", got=row)
        if ncols is None:
            ncols = len(row)
            if ncols == 0:
                raise InputError("expected a non-empty row", field=f"{field}[{i}]", got=row)
        if len(row) != ncols:
            raise InputError(f"expected a row of {ncols} numbers (rows must all have the same length)",
                             field=f"{field}[{i}]", got=f"{len(row)} numbers")
        out.append(tuple(parse_exact(x, f"{field}[{i}][{j}]") for j, x in enumerate(row)))
    if shape[0] is not None and len(out) != shape[0]:
        raise InputError(f"expected {shape[0]} rows ({shape[0]} x {ncols})", field=field,
                         got=f"{len(out)} rows")
    return tuple(out)


def identity_rows(n: int) -> Rows:
    return tuple(tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n))


@dataclass(frozen=True)
class Chain:
    """Layers ``W_1 .. W_H`` of one chain of the product map: ``widths`` ``(d_0, ..., d_H)``,
    ``layers`` their indices in the problem's parameter order, ``factors`` the number of
    factors the chain's product splits into (``H``; 2 for ``U U^T``)."""

    widths: tuple[int, ...]
    layers: range
    factors: int

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def n_ranks(self) -> int:
        """Length of the chain's rank profile (ranks of ``W_j ... W_i``, ``i <= j``)."""
        return self.depth * (self.depth + 1) // 2


def matrix_to_json(rows) -> list:
    return [[format_exact(x) for x in row] for row in rows]


class Problem:
    """Base class of the families' problem classes (see the module docstring).

    Subclasses are frozen dataclasses holding ``X``, ``Y``, ``loss`` and, where the family has
    one, ``weight_decay``.
    """

    #: canonical name, the ``"family"`` field of a problem file
    family: ClassVar[str] = "problem"
    #: points are lists of layers (what search, hunt and derive handle); shallow-rank: no
    layered: ClassVar[bool] = True
    #: ``R = U U^T`` for the single layer ``U``: the products are PSD
    psd_product: ClassVar[bool] = False
    #: ``R = sum_t R_t``, one tower per chain, each with its own layers (the towers are named
    #: as such even when there is one)
    sum_of_towers: ClassVar[bool] = False
    #: the products are exactly the matrices of rank <= ``max_rank``
    rank_set_product: ClassVar[bool] = True

    # -- file form ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict) -> "Problem":
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError

    def point_from_dict(self, data: object) -> "Point":
        """``{"weights": [...]}``, the layers in parameter order."""
        if not isinstance(data, dict):
            raise InputError('expected a JSON object {"weights": [...]}', got=type(data).__name__)
        if "weights" not in data:
            raise InputError(f"missing: expected a list of {len(self.shapes)} weight matrices",
                             field="weights")
        check_top_level_fields(data, POINT_KEYS)
        return Point.of(self, data["weights"])

    def point_to_dict(self, point) -> dict:
        return point.to_dict()

    # -- structure ---------------------------------------------------------------------------
    def chains(self) -> tuple[Chain, ...]:
        """The product map as a sum of chains of layers (see :class:`Chain`)."""
        raise NotImplementedError

    @property
    def orthogonal_symmetry(self) -> bool:
        """True when the symmetry is orthogonal only: weight decay, or ``U -> U Q``."""
        return self.psd_product or getattr(self, "weight_decay", 0) != 0

    def describe_shape(self) -> str:
        """A short description of the parameter shapes, for messages."""
        return f"shapes {[list(s) for s in self.shapes]}"

    def exact_objective(self):
        """The core evaluator of the objective (value, gradient, Hessian, orbit tangent)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Point:
    """A point in weight space: ``weights[0]`` is W_1, ..., ``weights[H-1]`` is W_H."""

    weights: tuple[Rows, ...]

    @classmethod
    def of(cls, problem: Problem, weights: Sequence) -> "Point":
        """Validate ``weights`` against ``problem`` and build the point."""
        return cls(problem.validate_point(weights))

    def to_dict(self) -> dict:
        return {"weights": [matrix_to_json(W) for W in self.weights]}
