"""Trusted: ``L >= c`` everywhere by interval branch and bound in few variables (evidence
``interval-lower-bound``; docs/certificates.md, "Interval branch and bound").

``c = L(x0)`` is recomputed, and ``F(z) = P(z) - c`` where, as for ``sos-local`` (kernel/sos.py
builds ``P``), ``P(y) = L(x0 + y)`` in the parameters, or (``"space": "argument"``, no weight
decay) ``P(z) = l(E(x0) + z)`` in the entries of the loss argument (then ``L(x) = l(E(x)) >= c``
for every ``x``).  Only the ``m`` variables ``F`` involves are kept, ``1 <= m <= 4``.  The
evidence gives integer weights ``w_i`` in [1, 4], a radius ``rho > 0``, ``2m`` face trees and
one tree.  ``F = sum_k F_k`` by weighted degree ``k = sum_i w_i e_i``; ``D`` is the largest and
``C_k`` the sum of the absolute coefficients of ``F_k``.  The kernel checks:

1. outside the box ``|z_i| <= rho^(w_i)``: the face trees bound ``F_D`` below on the faces
   ``u_j = +-1`` of ``|u|_inf <= 1`` by ``mu > 0``, and ``mu rho^D >= sum_{k<D} C_k rho^k``.  A
   ``z`` outside has ``t = max_i |z_i|^(1/w_i) > rho``; with ``u_i = z_i / t^(w_i)`` on a face,
   ``F(z) = sum_k t^k F_k(u) >= t^D (mu - sum_{k<D} C_k t^(k-D)) >= t^D (mu - sum C_k rho^(k-D))
   >= 0`` (``|F_k(u)| <= C_k`` as ``|u_i| <= 1``; ``t^(k-D)`` decreases in ``t``);
2. inside the box, the tree bounds ``F`` below by ``>= 0``.

A node is ``["split", i, s, low, high]`` (coordinate ``i`` cut at a rational ``s`` strictly
inside the box: a cover by construction), ``["bound"]`` (``F(ctr + h) = sum a_e h^e`` expanded
exactly at the box centre is ``>= a_0 - sum |a_e| r^e``, a term with ``a_e > 0`` and even
exponents dropped, for ``|h_i| <= r_i``) or ``["convex", q, lambda]`` (``q`` in the box,
``lambda > 0``; with ``s`` the largest row sum of the same bounds on ``|H_ij(z) - H_ij(ctr)|``,
``H(ctr) - (lambda + s) I`` is PSD exactly, so ``H >= lambda I`` on the box (a symmetric matrix's
2-norm is at most its largest absolute row sum) and ``F >= F(q) - |grad F(q)|^2 / (2 lambda)``
there, by strong convexity along the segment from ``q``).
"""
from __future__ import annotations

import flint

from landscape_proofs.kernel.gram import GramRejected
from landscape_proofs.kernel.linalg import negative_direction
from landscape_proofs.kernel.numbers import read_rational

MAX_VARIABLES, MAX_NODES, MAX_DEPTH, MAX_WEIGHT, MAX_TERMS = 4, 20_000, 100, 4, 1000


def _bound(p, c, r, lower=False):
    """``(p(c), d)``: ``|p(c + h) - p(c)| <= d`` for ``|h_i| <= r_i``; with ``lower`` only
    ``p(c + h) - p(c) >= -d`` (terms ``a h^e`` with ``a > 0``, every ``e_i`` even, are ``>= 0``)."""
    s = p.compose(*[g + x for g, x in zip(p.context().gens(), c)]).to_dict()
    return s.pop((0,) * len(c), 0), p.context().from_dict({e: abs(a) for e, a in s.items() if not (
        lower and a > 0 and not any(k % 2 for k in e))})(*r)


def _walk(F, node, lo, hi, seen, depth=0):
    """A lower bound of ``F`` on the box ``[lo, hi]``, proved by ``node``."""
    seen.append(node)
    m, c, r = len(lo), [(a + b) / 2 for a, b in zip(lo, hi)], [(b - a) / 2 for a, b in zip(lo, hi)]
    ok = isinstance(node, list) and node and len(seen) <= MAX_NODES and depth < MAX_DEPTH
    if ok and node[0] == "split" and len(node) == 5 and type(node[1]) is int and 0 <= node[1] < m:
        i, s = node[1], read_rational(node[2], "split")
        if lo[i] < s < hi[i]:
            return min(_walk(F, node[3], lo, hi[:i] + [s] + hi[i + 1:], seen, depth + 1),
                       _walk(F, node[4], lo[:i] + [s] + lo[i + 1:], hi, seen, depth + 1))
    elif ok and node == ["bound"]:
        return (lambda v, d: v - d)(*_bound(F, c, r, True))
    elif ok and node[0] == "convex" and len(node) == 3 and isinstance(node[1], list) and len(node[1]) == m:
        q, lam, g = [read_rational(x, "q") for x in node[1]], read_rational(node[2], "lambda"), [
            F.derivative(i) for i in range(m)]
        H = [[_bound(g[i].derivative(j), c, r) for j in range(m)] for i in range(m)]
        s = lam + max(sum(d for _, d in row) for row in H)    # |H(z) - H(ctr)|_2 <= s - lambda
        A = flint.fmpq_mat(m, m, [H[i][j][0] - s * (i == j) for i in range(m) for j in range(m)])
        if lam > 0 and all(a <= x <= b for a, x, b in zip(lo, q, hi)) and negative_direction(A) is None:
            return F(*q) - sum(d(*q) ** 2 for d in g) / (2 * lam)
    raise GramRejected(f"tree node {str(node)[:80]} on the box {lo} .. {hi}: not a split strictly "
                       f"inside, ['bound'] or a convex leaf that holds (<= {MAX_NODES} nodes, depth {MAX_DEPTH})")


def check_interval(L, value, ev: dict) -> str:
    """Verify the argument above for ``F = L - value`` (``L`` from kernel/sos.py); returns the
    reason, raises :class:`GramRejected`."""
    used, one, seen = [i for i, d in enumerate(L.degrees()) if d > 0], flint.fmpq(1), []
    m, y = len(used), flint.fmpq_mpoly_ctx.get(("z", max(len(used), 1)), "lex").gens()
    F = L.compose(*[y[used.index(i)] if i in used else 0 * y[0] for i in range(L.context().nvars())]) - value
    rho, w, faces = read_rational(ev.get("rho"), "rho"), ev.get("weights", [1] * m), ev.get("faces")
    if not (1 <= m <= MAX_VARIABLES and len(F) <= MAX_TERMS and rho > 0 and isinstance(faces, list)
            and len(faces) == 2 * m and isinstance(w, list) and len(w) == m
            and all(type(k) is int and 1 <= k <= MAX_WEIGHT for k in w)):
        raise GramRejected(f"expected 1 to {MAX_VARIABLES} variables (not {m}), up to {MAX_TERMS} terms (not "
                           f"{len(F)}), rho > 0, {2 * m} face trees, {m} integer weights in [1, {MAX_WEIGHT}]")
    deg = {e: sum(a * b for a, b in zip(w, e)) for e in F.to_dict()}     # weighted degrees
    D = max(deg.values())
    C = sum(abs(a) * rho ** deg[e] for e, a in F.to_dict().items() if deg[e] < D)
    top = F.context().from_dict({e: a for e, a in F.to_dict().items() if deg[e] == D})
    mu = min(_walk(top, faces[j], [one * (-1) ** (j // m) if i == j % m else -one for i in range(m)],
                   [one * (-1) ** (j // m) if i == j % m else one for i in range(m)], seen) for j in range(2 * m))
    low = None if not mu > 0 or mu * rho ** D < C else _walk(F, ev.get("tree"), [-rho ** k for k in w],
                                                             [rho ** k for k in w], seen)
    if low is None or low < 0:
        raise GramRejected(f"the weighted leading form is >= {mu} on |u|_inf = 1; " + (
            f"not > 0 with mu rho^{D} >= {C}" if low is None else f"inside, the tree bounds L - {value} by {low} < 0"))
    return (f"interval branch and bound in {m} variables (weights {w}, rho = {rho}, {len(seen)} nodes): L - "
            f"{value} >= {low} inside, {mu} rho^{D} >= {C} outside: L >= {value} everywhere, a global minimum")
