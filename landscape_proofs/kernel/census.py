"""Trusted: check a *census* certificate, "these are all the real critical points".

Scope: deep-linear, the square or power loss, weight decay lam > 0 (any widths; the producer
only succeeds when the critical points are isolated and nondegenerate).  The argument (proved in
docs/census.md):

1. **A-priori box.**  At a critical point, for every layer i, ``lam ||W_i||^2 = <Y, RX> -
   ||RX||^2 <= ||Y||^2 / 4``; so every entry lies in ``[-b, b]`` when ``b^2 >= ||Y||^2/(4 lam)``
   (checked exactly).  The power loss: ``(q-1)^(q-1)/q^q sum |Y_ij|^q`` for ``||Y||^2 / 4``.
2. **Cover.**  The tree (preorder: ``["split", k, at]`` with ``lo_k < at < hi_k``, then the
   leaves of 3 and 4) is re-derived from ``[-b, b]^N``: its leaves cover it.
3. **Excluded leaf**: the interval gradient component k (natural or mean-value form)
   excludes 0 on the leaf; or a layer identity of critical points (``["euler", i]``,
   ``["balance", i]``: ``lam ||W_i||^2 = <Y, RX> - ||RX||^2`` for every layer) fails on it;
   or (``["krawczyk-empty"]``) its Krawczyk image misses it: no critical point there.
4. **Root leaf**: the interval Hessian is nonsingular on the whole leaf (so at most one
   critical point: ``g(z1) - g(z2) = Hbar (z1 - z2)`` with ``Hbar`` in the Hessian's balls);
   the root's small cube lies in the leaf's *interior* and passes Krawczyk's test (exactly
   one critical point in it).  Distinct root leaves have disjoint interiors: distinct points.
5. **Index** on the small cube: for the exact nonsingular ``V`` (``det V != 0`` over Q), an
   interval LDL^T of ``V^T H V`` has pivots of proven signs: by Sylvester's law the Hessian
   at the point has that many negative eigenvalues, and no zero one.
   Per-parameter bounds ``lam_p b_p^2 >= ||Y||^2/4``; one-child nodes ``["contract"]``
   (Krawczyk), ``["last"]`` (one data point: every weight in closed form from the residual
   ``-y_i/(1 + S_i)`` of the last layer's, and the first layer's own form),
   ``["unit-balance", j]`` (unit j's balance solved for each weight) and ``["unit-off", j,
   t]`` (unit j's 2x2 block proven nonsingular: its weights are 0, cut to [-t, t]) continue
   with a smaller box holding every critical point of theirs; ``["balance", H - 1 + j]`` is
   hidden unit j's balance.  With ``"symmetry"`` the cover is of the half box ``w_p >= -m``
   on the pivots, which must form a fundamental domain of the hidden-unit flips; every flip
   of every root must land in a root leaf or outside the domain; orbits are expanded here.
6. **Values**: ``L`` is coercive (lam > 0), so its minimum is the least critical value.
   Hidden-unit sign flips are exact symmetries; a flip of root i's cube inside root j's leaf
   proves ``L(z_i) = L(z_j)``.  A class of equal values whose upper bound is below every
   other class's lower bound is the global minimum; a local minimum whose lower bound is
   above some critical point's upper bound is spurious; other minima stay undecided.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import flint
from flint import arb, arb_mat, fmpq, fmpq_mat, fmpz

from landscape_proofs.kernel.enclosure import (ArbDeepLinear, _approximate_inverse, _contraction,
                                               _hull, _Rejected, krawczyk, ldl_pivots, lower_q,
                                               show, upper_q)
from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel.losses import Power, Square
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.verdict import CheckResult

LABELS = ("split", "excluded", "euler", "balance", "krawczyk-empty", "root", "contract", "last",
          "unit-off", "unit-balance")
MAX_PARAMS, MAX_NODES, MAX_ROOTS, MIN_BITS, MAX_BITS = 12, 400001, 1024, 64, 4096


@dataclass(frozen=True)
class CensusCheck:
    valid: bool
    reason: str
    points: tuple = field(default=())      # dicts: kind, index, lo, hi, center, radius
    kinds: dict = field(default_factory=dict)


def _q(x, name) -> fmpq:
    return to_fmpq(parse_exact(x, name))


def _balls(lo, hi) -> list[arb]:
    return [_hull(a, c) for a, c in zip(lo, hi)]


def _cube(center, r) -> list[arb]:
    return _balls([c - r for c in center], [c + r for c in center])


def required_bound_squared(problem) -> list:
    """``K / lam_p`` for each parameter p, ``K = ||Y||_F^2 / 4`` (square loss; the power loss
    ``1/q sum E^q``: ``K = (q-1)^(q-1) / q^q sum |Y_ij|^q``): every critical point has ``lam_p
    w_p^2 <= |W_i|_L^2 = -sum_ij (e^q + y e^(q-1)) <= K`` (e = (RX - Y)_ij; docs/census.md)."""
    q = problem.loss.p
    K = sum((abs(y) ** q for y in problem.Y.entries()), fmpq(0)) * fmpq((q - 1) ** (q - 1), q ** q)
    return [K / to_fmpq(d) for d in problem.decay_vector]


def nonsingular_on(obj, lo, hi) -> bool:
    """Every matrix in the interval Hessian over the box is nonsingular (``||I - C H|| < 1``),
    so the box holds at most one critical point (mean value theorem, docs/census.md)."""
    H = obj.hessian(obj.unflatten(_balls(lo, hi)))
    try:
        return _contraction(_approximate_inverse(H), H)[1] < 1
    except _Rejected:
        return False


def krawczyk_cube(obj, center, r, N) -> None:
    """Exactly one zero of grad L in the cube ``|w - center| <= r`` (Krawczyk's theorem)."""
    g0 = arb_mat(N, 1, obj.gradient_vector(obj.unflatten(list(center))))
    krawczyk(obj.hessian(obj.unflatten(_cube(center, r))), g0, r, range(N), "the root cube")


def _square(x: arb) -> arb:
    """The ball ``[min x^2, max x^2]`` over the ball x (``abs(x) * abs(x)`` dips below 0 when
    0 is in x: arb's abs of ``0 +- r`` is ``0 +- r``)."""
    a, b = lower_q(x), upper_q(x)
    return _hull(fmpq(0) if a <= 0 <= b else min(a * a, b * b), max(a * a, b * b))


def _imul(x: arb, y: arb) -> arb:
    """The ball ``[min, max]`` of the four endpoint products (arb's midpoint-radius product of
    two wide balls can cross 0 where the true range does not)."""
    ends = [a * b for a in (lower_q(x), upper_q(x)) for b in (lower_q(y), upper_q(y))]
    return _hull(min(ends), max(ends))


def _sq(M, decays) -> arb:
    """``sum_p lam_p w_p^2`` over a block (each square never negative)."""
    return sum((arb(d) * _square(x) for d, x in zip(decays, M.entries())), arb(0))


def layer_identity_excludes(obj, problem, lo, hi, label: str, i: int) -> bool:
    """At a critical point ``sum over layer i of w_p dL/dw_p = 0`` (the derivative of
    ``L(.., (1 + t) W_i, ..)`` at 0), i.e. ``e_i = lam ||W_i||^2 + ||RX - Y/2||^2 - ||Y||^2/4 = 0``;
    as ``e_i - e_j = lam (||W_i||^2 - ||W_j||^2)``, all layers have equal norms.
    ``["euler", i]``: e_i excludes 0 on the box; ``["balance", i]``: ``||W_i||^2 -
    ||W_{i+1}||^2`` does (layers from 0)."""
    W = obj.unflatten(_balls(lo, hi))
    lam = [sum(problem.decay_block(k), []) for k in range(len(W))]
    units = _flips(problem, split=True)
    if label == "balance" and len(W) - 1 <= i < len(W) - 1 + len(units):
        # hidden unit j: scaling its row by 1 + t and its column by 1/(1 + t) keeps R, so
        # at a critical point sum_row lam w^2 = sum_col lam w^2 (i = H - 1 + j)
        (rows, cols), flat, dv = units[i - len(W) + 1], _balls(lo, hi), problem.decay_vector
        d = sum((arb(dv[p] * (1 if p in rows else -1)) * _square(flat[p]) for p in rows + cols), arb(0))
    elif label == "balance":
        if not 0 <= i < len(W) - 1:
            raise _Rejected(f"balance leaf: no layers {i} and {i + 1}")
        d = _sq(W[i], lam[i]) - _sq(W[i + 1], lam[i + 1])
    else:
        if not 0 <= i < len(W):
            raise _Rejected(f"euler leaf: no layer {i}")
        Y, q = problem.Y, problem.loss.p   # e_i = |W_i|_L^2 + sum (e^q + y e^(q-1)), completed
        RX = obj.product(W) * arb_mat(problem.X)   # to |RX - Y/2|^2 - |Y|^2/4 for the square
        d = _sq(W[i], lam[i]) + (_sq(RX - arb_mat(Y / 2), [1] * Y.nrows() * Y.ncols()) - arb(sum((
            y * y for y in Y.entries()), fmpq(0)) / 4) if q == 2 else sum((math.prod([e] * (q - 1)) * r for e, r in zip(
                (RX - arb_mat(Y)).entries(), RX.entries())), arb(0)))
    return lower_q(d) > 0 or upper_q(d) < 0


def last_layer_box(obj, problem, lo, hi):
    """One data point x: at a critical point ``dL/dW_H = 0`` is linear in ``W_H`` and gives
    ``W_H[i][v] = y_i z_v / (lam_iv (1 + sum_u z_u^2 / lam_iu))``, ``z = W_{H-1} .. W_1 x``
    (docs/census.md), so ``R x - y = -y_i / (1 + S_i)`` (``_residual``) and every weight p, whose
    gradient is ``sum_i (Rx - y)_i d(Rx)_i/dw_p + lam_p w_p`` (``d(Rx)/dw_p`` free of w_p), is
    ``sum_i y_i / (1 + S_i) d(Rx)_i/dw_p / lam_p``; for W_H this is the formula above.
    Likewise ``dL/dW_1 = V x^T + lam o W_1 = 0`` gives ``W_1[u][j] = h_u x_j
    / (c_u lam_uj)``, ``h = W_1 x``, ``c_u = sum_j x_j^2 / lam_uj`` (only informative when x has
    two entries or more).  ``["last"]``: the box with every weight cut to those balls."""
    W, H = obj.unflatten(_balls(lo, hi)), len(problem.shapes) - 1
    if problem.X.ncols() != 1:
        raise _Rejected("last node: X has more than one column")
    J, res = obj.jacobian(W, arb_mat(problem.X)), _residual(problem, W)
    nlo, nhi = list(lo), list(hi)
    for p, lam in enumerate(problem.decay_vector):   # lam_p w_p = -sum_i (Rx - y)_i d(Rx)_i/dw_p
        w = -sum((_imul(r, J[i, p]) for i, r in enumerate(res)), arb(0)) / arb(to_fmpq(lam))
        nlo[p], nhi[p] = lower_q(w), upper_q(w)
    X, l1 = problem.X, [[to_fmpq(x) for x in row] for row in problem.decay_block(0)]
    for p in range(problem.offsets[1] if X.nrows() > 1 and H > 0 else 0):   # the first layer
        u, j = divmod(p, X.nrows())
        c = sum((x * x / lam for x, lam in zip(X.entries(), l1[u])), fmpq(0))
        w = (W[0] * arb_mat(X))[u, 0] * arb(X[j, 0] / (c * l1[u][j]))
        nlo[p], nhi[p] = max(nlo[p], lower_q(w)), min(nhi[p], upper_q(w))
    return _outward(lo, hi, nlo, nhi)


def _residual(problem, W) -> list:
    """``R x - y`` at every critical point in the balls W (one data point): ``-y_i / (1 + S_i)``,
    ``S_i = sum_v z_v^2 / lam_H[i][v]``, ``z = W_{H-1} .. W_1 x`` (the last layer's closed form)."""
    z = arb_mat(problem.X)
    for Wk in W[:-1]:
        z = Wk * z
    S = [_sq(z, [1 / to_fmpq(x) for x in row]) for row in problem.decay_block(len(W) - 1)]
    if not isinstance(problem.loss, Square):   # the last layer's closed form is the square loss's
        raise _Rejected("last and unit-off nodes need the square loss")
    ends = [[-problem.Y[i, 0] / (1 + b) for b in (max(fmpq(0), lower_q(s)), upper_q(s))]
            for i, s in enumerate(S)]     # S_i >= 0 (clamped: a ball's lower end may dip below
    return [_hull(min(e), max(e)) for e in ends]   # 0, past the pole at -1): monotone between


def unit_off_box(obj, problem, lo, hi, j, t):
    """One data point x; hidden unit j: row u of W_k (a) and column u of W_{k+1} (b).  With
    ``s = W_{k-1}..W_1 x``, ``v = W_{k+2}^T..W_H^T (R x - y)``, the gradient in (a, b) is
    ``M (a; b)``, ``M = [[diag lam_a, s v^T], [v s^T, diag lam_b]]``, singular iff
    ``(sum s^2/lam_a)(sum v^2/lam_b) = 1`` (Schur complement of a rank-one block).  If that
    excludes 1 on the box, every critical point there has a = b = 0: ``["unit-off", j, t]``
    continues with a, b cut to [-t, t] (None: 0 is outside the box).  At a critical point
    ``R x - y = -y_i / (1 + S_i)`` with ``1 + S_i >= 1`` (``last_layer_box``'s formula), a
    narrower ball over a box than the product's, so that one is used."""
    W, X, ku = obj.unflatten(_balls(lo, hi)), problem.X, [(k, u) for k in range(len(
        problem.shapes) - 1) for u in range(problem.shapes[k][0])]
    if X.ncols() != 1 or not t > 0 or isinstance(j, bool) or not 0 <= j < len(ku):
        raise _Rejected("unit-off node: needs one data point, a hidden unit j and t > 0")
    (k, u), (rows, cols) = ku[j], _flips(problem, split=True)[j]
    s, v = arb_mat(X), arb_mat(problem.Y.nrows(), 1, _residual(problem, W))
    for Wk in W[:k]:
        s = Wk * s
    for Wk in reversed(W[k + 2:]):
        v = Wk.transpose() * v
    la, lb = problem.decay_block(k)[u], [row[u] for row in problem.decay_block(k + 1)]
    q = _imul(_sq(s, [1 / to_fmpq(x) for x in la]), _sq(v, [1 / to_fmpq(x) for x in lb]))
    if not (upper_q(q) < 1 or lower_q(q) > 1):
        raise _Rejected(f"unit-off node: M of hidden unit {j} is not proven nonsingular")
    if not all(lo[p] <= 0 <= hi[p] for p in rows + cols):
        return None
    return ([max(a, -t) if p in rows + cols else a for p, a in enumerate(lo)],
            [min(h, t) if p in rows + cols else h for p, h in enumerate(hi)])


def unit_balance_box(problem, lo, hi, j):
    """Hidden unit j's balance at a critical point, ``sum_in lam w^2 = sum_out lam w^2`` (the
    ``["balance", H - 1 + j]`` identity), solved for each of its weights p: ``lam_p w_p^2`` is
    in the ball of the other terms, so ``|w_p|`` lies between the square roots of its bounds.
    ``["unit-balance", j]`` continues with the box cut to that (None: empty)."""
    flips, flat, dv = _flips(problem, split=True), _balls(lo, hi), problem.decay_vector
    if isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < len(flips):
        raise _Rejected(f"unit-balance node: no hidden unit {j}")
    e, nlo, nhi = {p: arb(dv[p]) * _square(flat[p]) for p in sum(flips[j], [])}, [], []
    for p, (a, h) in enumerate(zip(lo, hi)):
        sign = {q: (1 if (q in flips[j][0]) == (p in flips[j][0]) else -1) for q in e}
        w2 = -sum((sign[q] * e[q] for q in e if q != p), arb(0)) / arb(dv[p]) if p in e else 0
        u, m = (upper_q(arb(upper_q(w2)).sqrt()), lower_q(arb(max(0, lower_q(w2))).sqrt())) \
            if p in e and upper_q(w2) >= 0 else (h - a + abs(a) + abs(h), 0)
        parts = [(x, y) for x, y in ((max(a, m), min(h, u)), (max(a, -u), min(h, -m))) if x <= y]
        nlo.append(min((x for x, _ in parts), default=h + 1))
        nhi.append(max((y for _, y in parts), default=h))
    return _outward(lo, hi, nlo, nhi)


def _outward(lo, hi, nlo, nhi):
    """``[lo, hi]`` cut to ``[nlo, nhi]`` rounded outward to 2^-20 of each width; None if empty."""
    if any(a > h for a, h in zip(nlo + lo, hi + nhi)):
        return None
    g = [fmpz(2) ** (20 + max(0, int((h - a).q).bit_length() - int((h - a).p).bit_length()))
         for a, h in zip(lo, hi)]
    return ([max(a, fmpq((x * k).floor(), k)) for a, x, k in zip(lo, nlo, g)],
            [min(h, fmpq((x * k).ceil(), k)) for h, x, k in zip(hi, nhi, g)])


def excluded_component(obj, lo, hi, ks):
    """The first k in ``ks`` whose gradient component provably has no zero on the box, or None.

    Natural interval form first; then the mean-value form ``g_k(c) + sum_j H_kj(B) (B_j -
    c_j)`` (c the midpoint): along the segment from c to any w in B the derivative of g_k is
    row k of the Hessian at a point of B, whose entries lie in the balls of H(B).
    """
    B, c = obj.unflatten(_balls(lo, hi)), [(a + h) / 2 for a, h in zip(lo, hi)]
    g, Z = obj.gradient_vector(B), [_hull(a - m, h - m) for a, h, m in zip(lo, hi, c)]
    if (k := next((k for k in ks if lower_q(g[k]) > 0 or upper_q(g[k]) < 0), None)) is not None:
        return k
    H, gc = obj.hessian(B), obj.gradient_vector(obj.unflatten(c))
    mv = (gc[k] + sum((H[k, j] * Z[j] for j in range(len(lo))), arb(0)) for k in ks)
    return next((k for k, m in zip(ks, mv) if lower_q(m) > 0 or upper_q(m) < 0), None)


def krawczyk_box(obj, lo, hi, H=None):
    """``B`` intersected with ``c + K``, which holds every zero of grad L in the box B, or
    None (no zero in B): a zero z has ``0 = g(c) + Hbar (z - c)`` (Hbar in H(B), mean value),
    so ``z - c = -C g(c) + (I - C Hbar)(z - c)`` lies in ``K = -C g(c) + (I - C H(B)) (B - c)``
    for any exact C.  ``["krawczyk-empty"]`` leaves need None; ``["contract"]`` nodes continue
    with the smaller box.  H: the ball Hessian over B, if already computed."""
    N = len(lo)
    H = obj.hessian(obj.unflatten(_balls(lo, hi))) if H is None else H
    C = _approximate_inverse(H)
    c = [(a + h) / 2 for a, h in zip(lo, hi)]
    D, _ = _contraction(C, H)
    Z = arb_mat(N, 1, [_hull(lo[j] - c[j], hi[j] - c[j]) for j in range(N)])
    K = D * Z - C * arb_mat(N, 1, obj.gradient_vector(obj.unflatten(c)))
    return _outward(lo, hi, [m + lower_q(K[i, 0]) for i, m in enumerate(c)],
                    [m + upper_q(K[i, 0]) for i, m in enumerate(c)])


def negative_count(A: arb_mat) -> int:
    """Number of negative eigenvalues of every symmetric matrix in A's balls: interval LDL^T
    whose pivots all have a proven sign (then S = L D L^T for each such S)."""
    neg = 0
    for j, s in ldl_pivots(A):
        if upper_q(s) < 0:
            neg += 1
        elif not lower_q(s) > 0:
            raise _Rejected(f"inertia: pivot {j} of the interval LDL^T of V^T H V has no proven sign")
    return neg


def _flips(problem, split=False):
    """Hidden-unit sign flips: for hidden layer k and unit u, the flat parameter indices of
    row u of W_k and column u of W_{k+1} (negating them leaves R and every norm unchanged);
    ``split``: the pair (row indices, column indices)."""
    out = []
    for k in range(len(problem.shapes) - 1):
        rows, cols = problem.shapes[k]
        nxt_rows, nxt_cols = problem.shapes[k + 1]
        for u in range(rows):
            idx = [problem.offsets[k] + u * cols + j for j in range(cols)]
            col = [problem.offsets[k + 1] + i * nxt_cols + u for i in range(nxt_rows)]
            out.append((idx, col) if split else set(idx + col))
    return out


def _read_tree_and_roots(problem, ev, N):
    tree, roots = ev.get("tree"), ev.get("roots")
    if not isinstance(tree, list) or not 1 <= len(tree) <= MAX_NODES:
        raise _Rejected(f"tree: expected a list of 1 to {MAX_NODES} nodes")
    if not isinstance(roots, list) or len(roots) > MAX_ROOTS:
        raise _Rejected(f"roots: expected a list of at most {MAX_ROOTS} roots")
    parsed = []
    for i, rt in enumerate(roots):
        c, V = (rt.get("center"), rt.get("congruence")) if isinstance(rt, dict) else (0, 0)
        if set(rt) != {"center", "radius", "congruence"} or not isinstance(c, list) or len(
                c) != N or not isinstance(V, list) or len(V) != N or any(
                not isinstance(v, list) or len(v) != N for v in V):
            raise _Rejected(f"roots[{i}]: expected center ({N} numbers), radius, congruence ({N} x {N})")
        r = _q(rt["radius"], f"roots[{i}].radius")
        if not r > 0:
            raise _Rejected(f"roots[{i}].radius: expected > 0")
        parsed.append(([_q(x, f"roots[{i}].center") for x in c], r, fmpq_mat(N, N, [
            _q(x, f"roots[{i}].congruence") for row in V for x in row])))
    return tree, parsed


def _walk(tree, low, b, N, obj, problem):
    """Re-derive the leaves from the tree, from the box [low, b]: (label, argument, lo, hi).
    A ``["contract"]`` node continues with ``krawczyk_box`` of its box (every zero is in it)."""
    stack, pos, leaves = [(list(low), list(b))], 0, []
    while stack:
        lo, hi = stack.pop()
        if pos >= len(tree):
            raise _Rejected("tree: it ends before every box is covered (a leaf is missing)")
        node = tree[pos]
        pos += 1
        if not isinstance(node, list) or not node or node[0] not in LABELS:
            raise _Rejected(f"tree[{pos - 1}]: expected a split, a leaf or a root ({LABELS})")
        k = node[1] if len(node) > 1 else None
        if node[0] == "split":
            if len(node) != 3 or isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < N:
                raise _Rejected(f"tree[{pos - 1}]: bad split")
            at = _q(node[2], f"tree[{pos - 1}]")
            if not lo[k] < at < hi[k]:
                raise _Rejected(f"tree[{pos - 1}]: split point outside the box")
            stack.append((lo[:k] + [at] + lo[k + 1:], hi))
            stack.append((lo, hi[:k] + [at] + hi[k + 1:]))
        elif node in (["contract"], ["last"]) or node[0] in ("unit-off", "unit-balance") and len(
                node) == 2 + (node[0] == "unit-off"):     # every zero of the box is in the new box
            box = (krawczyk_box(obj, lo, hi) if node == ["contract"] else
                   last_layer_box(obj, problem, lo, hi) if node == ["last"] else
                   unit_balance_box(problem, lo, hi, k) if len(node) == 2 else
                   unit_off_box(obj, problem, lo, hi, k, _q(node[2], f"tree[{pos - 1}]")))
            stack.extend([box] if box else [])      # None: no zero; nothing left to cover
        elif node == ["krawczyk-empty"]:
            leaves.append((node[0], None, lo, hi))
        else:
            if len(node) != 2 or isinstance(k, bool) or not isinstance(k, int):
                raise _Rejected(f"tree[{pos - 1}]: bad leaf")
            leaves.append((node[0], k, lo, hi))
    if pos != len(tree):
        raise _Rejected(f"tree: {len(tree) - pos} nodes after the last box")
    return leaves


def check_census(data: dict) -> CensusCheck:
    """Re-verify a census certificate; ``valid=False`` with the reason if anything fails."""
    try:
        problem = read_problem(data.get("problem"))
    except InputError as exc:
        raise exc.within("problem") from None
    try:
        ev = data.get("census")
        if not isinstance(ev, dict):
            raise _Rejected("census: expected an object")
        bits = ev.get("precision_bits")
        if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
            raise _Rejected(f"precision_bits: expected an integer in [{MIN_BITS}, {MAX_BITS}]")
        with flint.ctx.workprec(bits):
            return _check(problem, ev)
    except _Rejected as exc:
        return CensusCheck(False, str(exc))
    except InputError as exc:
        return CensusCheck(False, f"malformed evidence: {exc}")
    except (LandscapeError, ZeroDivisionError, ArithmeticError, TypeError) as exc:
        return CensusCheck(False, f"cannot be checked: {exc}")


def census_global(raw: dict, problem, ev: dict, lo, hi) -> str:
    """A critical point W of ``problem`` (``raw`` as given) with ``lo <= L(W) <= hi`` is global
    when every root of a complete census whose value enclosure meets ``[lo, hi]`` is classified
    ``global-minimum``: W is one of the roots, so its value is in that root's enclosure.

    ``narrow-census`` (a chain given by its widths, a scalar decay ``lam > 0``, any loss the
    census takes): the census is of the problem with every hidden width cut to the least width
    ``r``.  Its infimum is the same (the least decay of a product R is ``(H lam/2) sum_j
    sigma_j(R)^(2/H)``, Hoelder for Schatten quasi-norms and AM-GM, reached by R's balanced SVD
    factors, whose widths are ``rank R <= r``), and L(W) is one of its critical values: the
    gauge ``W_(i+1) -> W_(i+1) A^-1, W_i -> A W_i`` and ``grad_i l = -lam W_i`` give
    ``W_(i+1)^T W_(i+1) = W_i W_i^T`` at W, so every layer has the same rank ``k <= r``; rotating
    each hidden layer (which keeps L and criticality) zeroes its units beyond ``k``, and W with
    those units dropped is a critical point of the narrowed problem with the same value."""
    w, narrow = problem.widths, ev.get("type") == "narrow-census"
    if narrow and (not isinstance(raw.get("widths"), list) or problem.decay_entries is not None or not problem.weight_decay > 0):
        raise _Rejected("narrow-census needs a network given by its widths and a scalar decay > 0")
    of = f" of the problem with hidden widths cut to {min(w)}" * narrow
    # the narrowed problem, with the scalar decay (also when written as a uniform per-entry one)
    raw = dict(raw, widths=[w[0]] + [min(d, min(w)) for d in w[1:-1]] + [w[-1]], weight_decay=str(problem.weight_decay)) if narrow else raw
    res = check_census({"problem": raw, "census": ev.get("census")})
    near = {pt["kind"] for pt in res.points if pt["lo"] <= hi and lo <= pt["hi"]}
    if not res.valid or near != {"global-minimum"}:
        raise _Rejected(f"critical, but the census{of} roots valued in [{show(lo)}, {show(hi)}] are "
                        f"{sorted(near) or 'none'}, not only global minima ({res.reason})")
    return f"critical, and the census{of} gives only global minima that value ({res.reason})"


def _check(problem, ev) -> CensusCheck:
    if problem.symmetric or problem.sum_of_towers or not isinstance(problem.loss, (Square, Power)) \
            or problem.loss.over_product or len(problem.towers) != 1:
        raise _Rejected("a census needs a deep-linear problem with the square or power loss")
    if not min(problem.decay_vector) > 0:
        raise _Rejected("a census needs every weight decay entry > 0 (the bound divides by it)")
    N = problem.n_params
    if N > MAX_PARAMS:
        raise _Rejected(f"a census is limited to {MAX_PARAMS} parameters, not {N}")
    raw = ev.get("bound")
    b = [_q(x, "bound") for x in (raw if isinstance(raw, list) and len(raw) == N else [raw] * N)]
    for p, (bp, need) in enumerate(zip(b, required_bound_squared(problem))):
        if not (bp > 0 and bp * bp >= need):
            raise _Rejected(f"bound {p}: b^2 = {show(bp * bp)} < ||Y||^2/(4 lam_p) = {show(need)}")
    tree, roots = _read_tree_and_roots(problem, ev, N)
    obj = ArbDeepLinear(problem)
    group, pivots, low = _symmetry(problem, ev.get("symmetry"), b)
    leaves = _walk(tree, low, b, N, obj, problem)
    used, where = set(), {}
    for label, k, lo, hi in leaves:
        if label == "krawczyk-empty":
            if krawczyk_box(obj, lo, hi) is not None:
                raise _Rejected("krawczyk-empty leaf: K(B) meets B in every coordinate")
        elif label in ("euler", "balance"):
            if not layer_identity_excludes(obj, problem, lo, hi, label, k):
                raise _Rejected(f"{label} leaf: the layer identity {k} does not exclude 0")
        elif label == "excluded":
            if not 0 <= k < N:
                raise _Rejected("excluded leaf: bad component")
            if excluded_component(obj, lo, hi, [k]) is None:
                raise _Rejected(f"excluded leaf: gradient component {k} does not exclude 0 "
                                f"on [{', '.join(show(x) for x in lo)}] .. "
                                f"[{', '.join(show(x) for x in hi)}]")
        elif label != "root":
            raise _Rejected(f"{label} node: expected no argument")
        else:
            if not 0 <= k < len(roots) or k in used:
                raise _Rejected(f"root leaf: root index {k} is out of range or used twice")
            used.add(k)
            where[k] = (lo, hi)
            center, r, _ = roots[k]
            if not all(l < c - r and c + r < h for c, l, h in zip(center, lo, hi)):
                raise _Rejected(f"root {k}: its cube is not inside the interior of its leaf")
            if not nonsingular_on(obj, lo, hi):
                raise _Rejected(f"root {k}: the Hessian is not proven nonsingular on its leaf")
            krawczyk_cube(obj, center, r, N)
    if len(used) != len(roots):
        raise _Rejected("roots: some root is not the label of any leaf")
    points = []
    for i, (center, r, V) in enumerate(roots):
        if V.det() == 0:
            raise _Rejected(f"root {i}: the congruence V is singular")
        W = obj.unflatten(_cube(center, r))
        Va = arb_mat(V)
        neg = negative_count(Va.transpose() * obj.hessian(W) * Va)
        v, c = obj.value(W), obj.unflatten(list(center))
        if all(g == 0 for g in obj.gradient_vector(c)):   # the center is the root: its value
            v = obj.value(c)
        points.append({"index": neg, "lo": lower_q(v), "hi": upper_q(v), "center": center, "radius": r})
    points = _classify(problem, points, roots, where, group, pivots, low)
    kinds = dict(Counter(p["kind"] for p in points))
    claimed = ev.get("result")
    mine = {"real_count": len(points), "kinds": kinds}
    if claimed is not None and claimed != mine:
        raise _Rejected(f"result: the certificate claims {claimed}, the check gives {mine}")
    text = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    box, s = f"[-b, b]^{N}, b <= {show(max(b))}", "s" * (len(points) != 1)
    return CensusCheck(True, f"exactly {len(points)} real critical point{s} (all in {box}"
                       f"{', flips of ' + str(len(roots)) + ' roots' if pivots else ''}, "
                       f"{len(leaves)} leaf boxes): {text or 'none'}", tuple(points), kinds)


def _symmetry(problem, sym, b):
    """The hidden-unit sign flips (each group element: the set of flat indices it negates)
    and the cover's lower corner: ``-b``, or ``-margin`` on the pivots of a fundamental domain
    (every orbit meets ``w_p >= 0`` for all pivots p when the flips reach every sign pattern)."""
    flips = _flips(problem)
    if sym is None:
        return flips, [], [-x for x in b]
    if not isinstance(sym, dict) or set(sym) != {"nonnegative", "margin"} or len(flips) > 8:
        raise _Rejected("symmetry: expected {nonnegative, margin}, at most 8 hidden units")
    piv, d = sym["nonnegative"], _q(sym["margin"], "symmetry.margin")
    if not isinstance(piv, list) or len(set(map(repr, piv))) != len(piv) or any(isinstance(
            p, bool) or not isinstance(p, int) or not 0 <= p < len(b) or not 0 <= d < b[p]
            for p in piv):
        raise _Rejected("symmetry: pivots must be distinct parameter indices, 0 <= margin < b")
    group = {frozenset()}
    for f in flips:
        group |= {g ^ frozenset(f) for g in group}
    if len({tuple(p in g for p in piv) for g in group}) != 2 ** len(piv):
        raise _Rejected("symmetry: flips miss a pivot sign pattern: not a fundamental domain")
    return group, piv, [-d if p in piv else -x for p, x in enumerate(b)]


def _classify(problem, points, roots, where, group, pivots, low) -> list:
    """Orbits, then kinds from the index; global / spurious from the values (orbits tie).
    For root i and flip g, if ``g(cube_i)`` lies in root leaf j then ``g(z_i) = z_j`` (the only
    critical point there); with a fundamental domain every image must lie in a root leaf or
    outside the domain, and each orbit is expanded: ``g(z_i) = h(z_i)`` iff ``g h`` fixes z_i."""
    N = problem.n_params
    cls, stab = list(range(len(points))), [set() for _ in points]

    def find(i):
        while cls[i] != i:
            i = cls[i]
        return i
    for i, (center, r, _) in enumerate(roots):
        for flip in group:
            img = [-c if p in flip else c for p, c in enumerate(center)]
            j = next((j for j, (lo, hi) in where.items()
                      if all(l <= c - r and c + r <= h for c, l, h in zip(img, lo, hi))), None)
            if j is not None:
                cls[find(i)] = find(j)       # the flipped point is root j: equal values
                stab[i] |= {frozenset(flip)} if j == i else set()
            elif pivots and not any(img[p] + r < low[p] for p in pivots):
                raise _Rejected(f"symmetry: a flip of root {i} is neither in a root leaf nor outside the domain")
    groups = {}
    for i, p in enumerate(points):
        g = groups.setdefault(find(i), [None, None])
        g[0] = p["lo"] if g[0] is None else max(g[0], p["lo"])
        g[1] = p["hi"] if g[1] is None else min(g[1], p["hi"])
    best = min(g[1] for g in groups.values()) if groups else None
    out = [dict(p, root=i) for i, p in enumerate(points)]
    if pivots:
        out = []
        for i, p in enumerate(points):
            seen = []
            for g in group if find(i) == i else ():
                if not any(g ^ h in stab[i] for h in seen):
                    seen.append(g)
                    out.append(dict(p, center=[-c if q in g else c for q, c in
                                               enumerate(p["center"])], root=i))
    for p in out:
        gi = find(p.pop("root"))
        lone = all(groups[gi][1] < g[0] or groups[gi][0] == groups[gi][1] == g[0] == g[1]
                   for c, g in groups.items() if c != gi)   # above it, or an exact tie
        if p["index"] == N:
            p["kind"] = "local-maximum"
        elif p["index"] > 0:
            p["kind"] = "strict-saddle"
        elif lone:
            p["kind"] = "global-minimum"
        elif p["lo"] > best:
            p["kind"] = "spurious-local-minimum"
        else:
            p["kind"] = "local-minimum"      # global or tied: values not separated
    return out


def check_census_certificate(data: dict) -> CheckResult:
    """``check_certificate``'s answer for ``"claim": "census"``."""
    res = check_census(data)
    return CheckResult(res.valid, "census", res.reason)


CensusRejected = _Rejected   # what the helpers above raise when a test fails

__all__ = ["CensusCheck", "CensusRejected", "check_census", "check_census_certificate",
           "excluded_component", "krawczyk_box", "krawczyk_cube", "last_layer_box",
           "unit_balance_box", "unit_off_box",
           "layer_identity_excludes", "negative_count", "nonsingular_on", "required_bound_squared"]
