"""Trusted: ``L >= c`` everywhere by interval branch and bound in few variables (evidence
``interval-lower-bound``; docs/certificates.md, "Interval branch and bound").

``c = L(x0)`` is recomputed.  ``F(z) = P(z) - c`` where, as for ``sos-local`` (kernel/sos.py
builds it), ``P(y) = L(x0 + y)`` in the parameters, or (``"space": "argument"``, no weight decay)
``P(z) = l(E(x0) + z)`` in the entries of the loss argument (then ``L(x) = l(E(x)) >= c`` for
every ``x``).  Only the ``m`` variables ``F`` involves are kept, ``1 <= m <= 4``.  With ``2d`` the degree of ``F``, ``F_2d`` its
leading form, ``C`` the sum of the absolute values of its other coefficients and ``rho >= 1``
read from the evidence, the kernel checks:

1. outside the box: ``mu = min F_2d`` over the surface ``|u|_inf = 1``, bounded below by the
   trees ``faces[j]`` over the faces ``u_j = 1`` (``F_2d`` is even, so ``u_j = -1`` is the
   same), is ``> 0`` and ``mu * rho >= C``.  For ``|z|_inf = t >= rho``, ``z = t u``:
   ``F(z) >= mu t^2d - C t^(2d-1) = t^(2d-1) (mu t - C) >= 0`` (each lower part is at most its
   absolute coefficient sum times ``t^k <= t^(2d-1)``, as ``|u_i| <= 1`` and ``t >= 1``);
2. inside, the tree over ``[-rho, rho]^m`` gives a lower bound ``>= 0`` of ``F``.

A tree node is ``["split", i, s, low, high]`` (cut coordinate ``i`` at a rational ``s`` strictly
inside the box: a cover by construction), ``["bound"]`` (``F(ctr + h) = sum a_e h^e``, expanded
exactly at the box centre, is ``>= a_0 - sum_{e != 0} |a_e| r^e`` for ``|h_i| <= r_i``) or
``["convex", q, lambda]`` (``q`` in the box, ``lambda > 0``: with ``s`` the largest row sum of
the same bounds on ``|H_ij(z) - H_ij(ctr)|``, ``H(ctr) - (lambda + s) I`` is PSD, exactly, so the
Hessian is ``>= lambda I`` on the box and ``F >= F(q) - |grad F(q)|^2 / (2 lambda)`` there).
"""
from __future__ import annotations

from math import prod

import flint

from landscape_proofs.kernel.gram import GramRejected
from landscape_proofs.kernel.linalg import negative_direction
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq

MAX_VARIABLES, MAX_NODES, MAX_DEPTH = 4, 20_000, 100


def _bound(p, c, r, lower=False):
    """``(p(c), d)``: ``|p(c + h) - p(c)| <= d`` for ``|h_i| <= r_i``; with ``lower``,
    ``p(c + h) - p(c) >= -d`` (a term ``a h^e`` with ``a > 0``, every ``e_i`` even, is ``>= 0``)."""
    s = p.compose(*[g + x for g, x in zip(p.context().gens(), c)]).to_dict()
    return s.pop((0,) * len(c), 0), sum(abs(a) * prod(x ** k for x, k in zip(r, e)) for e, a in s.items()
                                        if not (lower and a > 0 and not any(k % 2 for k in e)))


def _walk(F, node, lo, hi, seen, depth=0):
    """A lower bound of ``F`` on the box ``[lo, hi]``, proved by ``node``."""
    seen.append(node)
    if len(seen) > MAX_NODES or depth > MAX_DEPTH or not isinstance(node, list) or not node:
        raise GramRejected(f"tree: a node that is not a list, over {MAX_NODES} nodes or depth {MAX_DEPTH}")
    if node[0] == "split" and len(node) == 5 and type(node[1]) is int and 0 <= node[1] < len(lo):
        i, s = node[1], to_fmpq(parse_exact(node[2], "split"))
        if not lo[i] < s < hi[i]:
            raise GramRejected(f"split at {s} is not inside ({lo[i]}, {hi[i]}) on coordinate {i}")
        return min(_walk(F, node[3], lo, hi[:i] + [s] + hi[i + 1:], seen, depth + 1),
                   _walk(F, node[4], lo[:i] + [s] + lo[i + 1:], hi, seen, depth + 1))
    c, r, m = [(a + b) / 2 for a, b in zip(lo, hi)], [(b - a) / 2 for a, b in zip(lo, hi)], len(lo)
    if node == ["bound"]:
        return (lambda v, d: v - d)(*_bound(F, c, r, True))
    q, lam = ([to_fmpq(parse_exact(x, "convex q")) for x in node[1]], to_fmpq(parse_exact(node[2], "lambda"))) \
        if node[0] == "convex" and len(node) == 3 and isinstance(node[1], list) and len(node[1]) == m else ([], 0)
    g = [F.derivative(i) for i in range(m)]
    H = [[_bound(g[i].derivative(j), c, r) for j in range(m)] for i in range(m)]
    A = [H[i][j][0] - (lam + max(sum(d for _, d in row) for row in H)) * (i == j) for i in range(m) for j in range(m)]
    if not lam > 0 or not all(a <= x <= b for a, x, b in zip(lo, q, hi)) or negative_direction(flint.fmpq_mat(m, m, A)):
        raise GramRejected(f"convex leaf {str(node)[:60]}: lambda not > 0, q outside the box {lo} .. {hi}, or the "
                           f"Hessian not proven >= lambda I on it")
    return F(*q) - sum(d(*q) ** 2 for d in g) / (2 * lam)


def check_interval(L, value, ev: dict) -> str:
    """Verify the argument above for ``F = L - value`` (``L`` from kernel/sos.py); returns the
    reason, raises :class:`GramRejected`."""
    used = [i for i, d in enumerate(L.degrees()) if d > 0]
    if not 1 <= len(used) <= MAX_VARIABLES:
        raise GramRejected(f"L involves {len(used)} variables: branch and bound is checked in 1 to {MAX_VARIABLES}")
    m, y = len(used), flint.fmpq_mpoly_ctx.get(("z", len(used)), "lex").gens()
    F = L.compose(*[y[used.index(i)] if i in used else y[0] - y[0] for i in range(L.context().nvars())]) - value
    rho, w, faces, one, seen = to_fmpq(parse_exact(ev.get("rho"), "rho")), ev.get("weights", [1] * m), ev.get("faces"), flint.fmpq(1), []
    if not rho > 0 or not isinstance(faces, list) or len(faces) != 2 * m or not isinstance(w, list) or len(w) != m or any(type(k) is not int or not 1 <= k <= 4 for k in w):
        raise GramRejected(f"expected rho > 0 (not {rho}), {2 * m} face trees and {m} integer weights in [1, 4]")
    deg = lambda e: sum(a * b for a, b in zip(w, e))  # noqa: E731   the weighted degree
    D = max(map(deg, F.to_dict()))
    C = sum(abs(a) * rho ** deg(e) for e, a in F.to_dict().items() if deg(e) < D)
    top = F.context().from_dict({e: a for e, a in F.to_dict().items() if deg(e) == D})
    mu = min(_walk(top, faces[j], [one * (-1) ** (j // m) if i == j % m else -one for i in range(m)],
                   [one * (-1) ** (j // m) if i == j % m else one for i in range(m)], seen) for j in range(2 * m))
    low = _walk(F, ev.get("tree"), [-rho ** k for k in w], [rho ** k for k in w], seen) if mu > 0 and mu * rho ** D >= C else None
    if low is None or low < 0:
        raise GramRejected(f"the leading form is >= {mu} on |u|_inf = 1, rho = {rho}: "
                           + (f"not mu > 0 with mu rho^{D} >= {C}" if low is None else f"inside, L - {value} >= {low} only"))
    return (f"interval branch and bound in {m} variables: L - {value} >= t^{D} ({mu} - sum_k C_k t^(k - {D})) >= 0 "
            f"where t = max |z_i|^(1/w_i) >= {rho} (w = {w}, {mu} rho^{D} >= {C}), and >= {low} inside ({len(seen)} nodes): "
            f"L >= {value} everywhere, a global minimum")
