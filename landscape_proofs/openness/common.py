"""What every openness decision shares: the verdicts, the maps, ranges, decisions, helpers.

The lowest module of ``landscape_proofs.openness``: the deciders (``products`` for the pair,
the symmetric map and chains, ``towers`` for sums of towers) and the dispatcher
(``dispatch``, from problems and points) import from here, never the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Sequence

from landscape_proofs.kernel.linalg import Matrix, identity
from landscape_proofs.kernel.numbers import format_exact, to_fraction


class Openness(str, Enum):
    """The verdict about local openness at a point."""

    OPEN = "open"
    NOT_OPEN = "not-open"
    UNDECIDED = "undecided"

    def __str__(self) -> str:
        return self.value


class ProductKind(str, Enum):
    """Which product map is meant."""

    IDENTITY = "identity"      # H = 1: W_1 -> W_1
    PAIR = "pair"              # (U, V) -> U V
    DEEP = "deep"              # (W_1, ..., W_H) -> W_H ... W_1, H >= 3
    SYMMETRIC = "symmetric"    # U -> U U^T
    TOWERS = "multi-tower"     # (towers) -> sum_t W^(t)_{H_t} ... W^(t)_1

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class MapRange:
    """The range of a product map: ``rows x cols`` matrices of rank <= ``max_rank``
    (positive semidefinite ones when ``psd``)."""

    rows: int
    cols: int
    max_rank: int
    psd: bool = False

    @property
    def is_everything(self) -> bool:
        """True when the range is all ``rows x cols`` matrices (an open set)."""
        return not self.psd and self.max_rank >= min(self.rows, self.cols)

    def describe(self) -> str:
        """A short phrase, e.g. ``"3 x 3 matrices of rank <= 2"``."""
        if self.psd:
            return f"{self.rows} x {self.rows} PSD matrices of rank <= {self.max_rank}"
        if self.is_everything:
            return f"all {self.rows} x {self.cols} matrices"
        return f"{self.rows} x {self.cols} matrices of rank <= {self.max_rank}"


@dataclass(frozen=True)
class OpennessDecision:
    """The exact answer for one map at one point, with the numbers that decided it.

    Attributes
    ----------
    verdict : open / not-open / undecided.
    map : which product map.
    widths : (d_0, ..., d_H) for a chain (the pair U V is (n, k, m)); (m, k) for U U^T.
    range : the range the openness refers to.
    rule : short name of the rule that decided (see docs/openness.md).
    reason : one sentence with the numbers.
    ranks : named ranks the rule used, e.g. ``(("rank(U)", 1), ...)``.
    unreachable : for ``not-open``: an exact direction D such that a neighbourhood of the
        point maps to no ``mu(point) + delta D`` (delta != 0), and ``mu(point) + delta D``
        lies in the range.  ``None`` otherwise.
    witness : for the pair rules ``fill-rows`` / ``fill-columns``: the exact factor U' (or
        V') of full row (column) rank in the same fiber, ``(name, matrix)``.
    split : for deep rules that split the chain: the vertex j (between W_j and W_{j+1}).
    parts : the decisions this one was composed from (deep ``composition``, multi-tower rules).
    intervals : for chains of depth >= 3: the interval (lane) multiplicities ``((a, b), m)``
        of the chain as a quiver representation (nonzero ones; ``landscape_proofs.openness.intervals``).
    vertices : for chains of depth >= 3: per inner vertex j, ``(j, c_j, X_j, Y_j)`` (internal
        lanes through j, sources dead before j, sinks born after j), the numbers of the
        criterion ``c_j >= min(X_j, Y_j, r - rho)``.
    towers : for the multi-tower map: the widths of every tower.
    """

    verdict: Openness
    map: ProductKind
    widths: tuple[int, ...]
    range: MapRange
    rule: str
    reason: str
    ranks: tuple[tuple[str, int], ...] = ()
    unreachable: Matrix | None = None
    witness: tuple[str, Matrix] | None = None
    split: int | None = None
    parts: tuple["OpennessDecision", ...] = field(default=())
    intervals: tuple[tuple[tuple[int, int], int], ...] = ()
    vertices: tuple[tuple[int, int, int, int], ...] = ()
    towers: tuple[tuple[int, ...], ...] = ()

    def to_json(self) -> dict:
        out = {
            "verdict": self.verdict.value,
            "map": self.map.value,
            "widths": list(self.widths),
            "range": self.range.describe(),
            "range_max_rank": self.range.max_rank,
            "rule": self.rule,
            "reason": self.reason,
            "ranks": {name: value for name, value in self.ranks},
            "unreachable_direction": (None if self.unreachable is None
                                      else matrix_json(self.unreachable)),
            "witness": (None if self.witness is None else
                        {"factor": self.witness[0], "matrix": matrix_json(self.witness[1])}),
            "split": self.split,
            "parts": [p.to_json() for p in self.parts],
        }
        if self.intervals:
            out["intervals"] = {f"[{a},{b}]": k for (a, b), k in self.intervals}
            out["vertices"] = [{"j": j, "internal": c, "sources_dead": X, "sinks_unborn": Y,
                                "obstructed": c < min(X, Y, self.range.max_rank - self.intervals_rho)}
                               for j, c, X, Y in self.vertices]
        if self.towers:
            out["towers"] = [list(w) for w in self.towers]
        return out

    @property
    def intervals_rho(self) -> int:
        """The number of full lanes [0, H] (rank of the product) in ``intervals``."""
        H = len(self.widths) - 1
        return dict(self.intervals).get((0, H), 0)


def matrix_json(M: Matrix) -> list:
    """An exact matrix as JSON rows (integers or "p/q" strings)."""
    return [[format_exact(to_fraction(M[i, j])) for j in range(M.ncols())] for i in range(M.nrows())]



def partial_product(weights: Sequence[Matrix], lo: int, hi: int) -> Matrix:
    """W_hi ... W_{lo+1} (1-based layers; identity of size d_lo when hi == lo)."""
    P = identity(weights[lo].ncols()) if lo < len(weights) else identity(weights[-1].nrows())
    for k in range(lo, hi):
        P = weights[k] * P
    return P


def chain_widths(weights: Sequence[Matrix]) -> tuple[int, ...]:
    """(d_0, d_1, ..., d_H) of the chain ``weights`` (``weights[0]`` is W_1)."""
    return (weights[0].ncols(),) + tuple(W.nrows() for W in weights)
