"""Interval (lane) decomposition of a chain of linear maps, and the routing of docs/openness.md.

A chain ``R^{d_0} -W_1-> R^{d_1} -> ... -W_H-> R^{d_H}`` is a representation of the linear
quiver ``0 -> 1 -> ... -> H``.  By Gabriel's theorem it is a direct sum of *interval modules*
``[a, b]`` (``0 <= a <= b <= H``): a line at each vertex ``a..b``, mapped identically from one
vertex to the next, and ``0`` elsewhere.  We call an interval summand a *lane*.  Its
multiplicity follows from the ranks ``r(i, j) = rank(W_j ... W_{i+1})`` (``r(i, i) = d_i``) by
inclusion-exclusion::

    m[a, b] = r(a, b) - r(a - 1, b) - r(a, b + 1) + r(a - 1, b + 1)      (0 outside 0..H)

(``r(i, j)`` counts the lanes that contain both ``i`` and ``j``).  Kinds of lanes:

* *full* ``[0, H]``: their number is ``rho = rank(W_H ... W_1)``;
* *sources* ``[0, b]`` with ``b < H`` (an input direction that dies after vertex ``b``);
* *sinks* ``[a, H]`` with ``a > 0`` (an output direction born at vertex ``a``);
* *internal* ``[a, b]`` with ``0 < a <= b < H``.

For an inner vertex ``j`` (``1 <= j <= H - 1``):
``c_j`` = internal lanes through ``j``, ``X_j`` = sources with ``b < j``, ``Y_j`` = sinks with
``a > j``.  The openness criterion of docs/openness.md ("The deep product: complete
criterion"): ``mu(W) = W_H ... W_1`` is locally open at ``W`` onto the matrices of rank
``<= r = min_i d_i`` iff ``c_j >= min(X_j, Y_j, r - rho)`` at every inner vertex.

This module is pure bookkeeping (integers) plus the exact lane normal form; the routing sweep
(:func:`route`) is the constructive half of the proof, exposed so that the tests can check it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from landscape_proofs.kernel.linalg import Matrix, zeros

Interval = tuple[int, int]


def interval_multiplicities(widths: Sequence[int],
                            ranks: Mapping[tuple[int, int], int]) -> dict[Interval, int]:
    """``m[a, b]`` from the widths and ``ranks[(i, j)] = rank(W_j ... W_{i+1})`` (``i < j``).

    >>> m = interval_multiplicities((1, 1, 1), {(0, 1): 0, (1, 2): 0, (0, 2): 0})
    >>> {k: v for k, v in m.items() if v}
    {(0, 0): 1, (1, 1): 1, (2, 2): 1}
    """
    H = len(widths) - 1

    def r(i: int, j: int) -> int:
        if i < 0 or j > H:
            return 0
        return widths[i] if i == j else ranks[(i, j)]

    out = {}
    for a in range(H + 1):
        for b in range(a, H + 1):
            v = r(a, b) - r(a - 1, b) - r(a, b + 1) + r(a - 1, b + 1)
            if v < 0:  # pragma: no cover - ranks of a chain always give m >= 0
                raise ArithmeticError(f"negative interval multiplicity m[{a}, {b}] = {v}: the "
                                      "ranks are not those of a chain")
            out[(a, b)] = v
    return out


@dataclass(frozen=True)
class VertexCount:
    """At an inner vertex ``j``: ``c`` internal lanes through ``j``, ``X`` sources dead before
    ``j``, ``Y`` sinks born after ``j``; ``obstructed`` iff ``c < min(X, Y, q)``."""

    j: int
    c: int
    X: int
    Y: int
    obstructed: bool


@dataclass(frozen=True)
class IntervalData:
    """The lanes of a chain and the numbers the openness criterion reads.

    ``widths`` (d_0..d_H), ``mult`` (nonzero multiplicities only, sorted), ``rho`` (full lanes),
    ``r`` (= min width, the largest rank of the product), ``q = r - rho``.
    """

    widths: tuple[int, ...]
    mult: tuple[tuple[Interval, int], ...]

    @property
    def H(self) -> int:
        return len(self.widths) - 1

    def m(self, a: int, b: int) -> int:
        return dict(self.mult).get((a, b), 0)

    @property
    def rho(self) -> int:
        return self.m(0, self.H)

    @property
    def r(self) -> int:
        return min(self.widths)

    @property
    def q(self) -> int:
        return self.r - self.rho

    def vertex_counts(self) -> tuple[VertexCount, ...]:
        H, q = self.H, self.q
        out = []
        for j in range(1, H):
            c = sum(k for (a, b), k in self.mult if 0 < a <= j <= b < H)
            X = sum(k for (a, b), k in self.mult if a == 0 and b < j)
            Y = sum(k for (a, b), k in self.mult if b == H and a > j)
            out.append(VertexCount(j, c, X, Y, c < min(X, Y, q)))
        return tuple(out)

    def is_open(self) -> bool:
        """The criterion: no inner vertex is obstructed."""
        return not any(v.obstructed for v in self.vertex_counts())

    def describe(self) -> str:
        """E.g. ``"[0,0]x2 [0,1]x3 [1,1] [3,3]x3"``."""
        return " ".join(f"[{a},{b}]" + (f"x{k}" if k > 1 else "") for (a, b), k in self.mult)


def interval_data(widths: Sequence[int], ranks: Mapping[tuple[int, int], int]) -> IntervalData:
    m = interval_multiplicities(widths, ranks)
    return IntervalData(tuple(widths), tuple(sorted((k, v) for k, v in m.items() if v)))


def from_multiplicities(H: int, mult: Mapping[Interval, int]) -> IntervalData:
    """The data of the chain with the given lanes (widths follow: d_i = lanes through i)."""
    widths = tuple(sum(k for (a, b), k in mult.items() if a <= i <= b) for i in range(H + 1))
    return IntervalData(widths, tuple(sorted((k, v) for k, v in mult.items() if v)))


def lanes(data: IntervalData) -> list[Interval]:
    """One entry per lane (intervals repeated by multiplicity), in sorted order."""
    return [iv for iv, k in data.mult for _ in range(k)]


def normal_form(data: IntervalData) -> list[Matrix]:
    """The chain ``[W_1, ..., W_H]`` of 0/1 matrices with exactly these lanes.

    The basis of vertex ``i`` lists the lanes through ``i`` in the order of :func:`lanes`;
    ``W_{i+1}`` sends the basis vector of a lane at ``i`` to that of the same lane at ``i + 1``
    when the lane continues, and to 0 when it ends at ``i``.  Every chain is this one in
    suitable bases (Gabriel), so openness, which is invariant under base changes, is decided
    on it as well.
    """
    L = lanes(data)
    at = [[n for n, (a, b) in enumerate(L) if a <= i <= b] for i in range(data.H + 1)]
    out = []
    for i in range(data.H):
        W = zeros(len(at[i + 1]), len(at[i]))
        for col, n in enumerate(at[i]):
            if L[n][1] >= i + 1:
                W[at[i + 1].index(n), col] = 1
        out.append(W)
    return out


# --- the routing sweep (constructive half of the criterion) -----------------------------------
Link = tuple[int, int, int]   # (layer l, from lane, to lane): reads vertex l - 1, writes vertex l


def route(data: IntervalData, demands: Sequence[tuple[int, int]]) -> list[list[Link]]:
    """Paths for ``demands`` (pairs (source lane, sink lane), indices into :func:`lanes`).

    A demand ``(x, y)`` with ``a_y <= b_x + 1`` is *direct*: one link ``x -> y`` at the layer
    ``max(a_y, 1)``.  Otherwise its *window* is ``[b_x + 1, a_y - 1]``: it must sit in an
    internal lane at every vertex of the window.  The sweep goes through the vertices
    ``j = 1 .. H - 1`` and keeps every demand in its lane while that lane lives; a demand
    whose window starts at ``j`` is picked up at layer ``j`` into a free internal lane alive at
    ``j``, one whose lane ended at ``j - 1`` hops at layer ``j`` into a free one, and one whose
    window ended at ``j - 1`` exits at layer ``j`` into its sink.  A lane is *free* when no
    active demand sits in it (earlier users have all exited: a demand leaves a live lane only
    by exiting).  Raises ``ValueError`` when a vertex has more active demands than internal
    lanes (then the criterion fails; docs/openness.md shows it never does otherwise).
    """
    L = lanes(data)
    H = data.H
    paths: list[list[Link]] = [[] for _ in demands]
    where: dict[int, int] = {}            # demand -> lane it sits in
    window = {}
    for k, (x, y) in enumerate(demands):
        (ax, bx), (ay, by) = L[x], L[y]
        if not (ax == 0 and bx < H and by == H and ay > 0):
            raise ValueError(f"demand {k}: expected a source lane and a sink lane, got "
                             f"{L[x]} and {L[y]}")
        if ay <= bx + 1:
            paths[k].append((max(ay, 1), x, y))
        else:
            window[k] = (bx + 1, ay - 1)
    for j in range(1, H + 1):
        # exits at layer j (window ended at j - 1): read the lane at j - 1, write the sink at j
        for k, (u, v) in window.items():
            if v == j - 1:
                paths[k].append((j, where.pop(k), demands[k][1]))
        if j == H:
            break
        occupied = {n for k, n in where.items() if L[n][1] >= j}
        free = [n for n, (a, b) in enumerate(L) if 0 < a <= j <= b < H and n not in occupied]
        for k, (u, v) in sorted(window.items()):
            if not u <= j <= v:
                continue
            if k in where and L[where[k]][1] >= j:
                continue                                    # stays in its lane
            if not free:
                raise ValueError(f"vertex {j}: more active demands than internal lanes")
            n = free.pop(0)
            src = where[k] if k in where else demands[k][0]
            paths[k].append((j, src, n))
            where[k] = n
    return paths


def flows(data: IntervalData, links: Sequence[Link], start: int) -> set[int]:
    """The lanes at vertex H reached from lane ``start`` at vertex 0 through the lanes (the
    identity maps of the chain) and ``links`` (the perturbation entries)."""
    L = lanes(data)
    cur = {start}
    for l in range(1, data.H + 1):
        nxt = {n for n in cur if L[n][1] >= l}
        nxt |= {to for (layer, fr, to) in links if layer == l and fr in cur}
        cur = nxt
    return cur
