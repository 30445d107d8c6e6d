"""Producer: ``L >= L(x0)`` everywhere by interval branch and bound, when no sum of squares is
found (cvxpy missing, the solver failing, or no SOS certificate existing).

The kernel (``kernel/interval_bnb.py``) checks evidence ``interval-lower-bound``: weights ``w``,
a radius ``rho``, ``2m`` trees over the faces of the cube ``|u|_inf = 1`` that bound the
weighted leading form of ``F = P - c`` below by ``mu > 0`` (with ``mu rho^D >= sum_k C_k
rho^k``, which makes ``F >= 0`` outside the box ``|z_i| <= rho^(w_i)``), and one tree over that
box whose leaves are ``["bound"]`` (a centred-form enclosure) or ``["convex", q, lambda]``.

This module only *guesses*: floats find the minimizers of ``F`` (numpy, scipy), rational
minimizers are checked exactly, convex leaves are put around them, and boxes are bisected
elsewhere until each leaf holds.  Every leaf is tried with the kernel's own leaf check, and the
whole evidence is re-checked by the kernel before it is returned; a failure at any step (a
leading form that is not positive, an irrational or degenerate minimizer, a lower point, the
node or time budget) returns no evidence and a reason, never an error.
"""
from __future__ import annotations

import itertools
import time
from fractions import Fraction

import flint

from landscape_proofs.kernel.gram import GramRejected
from landscape_proofs.kernel.interval_bnb import MAX_DEPTH, MAX_TERMS, MAX_VARIABLES, _walk, check_interval
from landscape_proofs.kernel.interval_bnb import MAX_NODES as KERNEL_MAX_NODES
from landscape_proofs.kernel.numbers import format_exact, to_fmpq

MAX_NODES = 20_000        # the producer's node budget (the kernel's limit, over all trees)
TIME_LIMIT = 60.0         # seconds: a safety net; the node budget is what bounds the work
MAX_PARAMETERS = 16       # before the uninvolved variables are dropped (the kernel's limit)


class GiveUp(Exception):
    """No evidence; the message says why (a normal outcome, never an error)."""


def _fq(x) -> flint.fmpq:
    f = Fraction(x)
    return flint.fmpq(f.numerator, f.denominator)


def _s(x) -> str:
    return format_exact(x)


def shifted_polynomial(obj, W, value):
    """``(F, space)``: ``F = P - c`` in the variables it involves (``P`` as the kernel builds it:
    ``L(x0 + y)``, or ``l(E(x0) + z)`` without weight decay), the space with fewer of them."""
    from landscape_proofs.produce.sos import objective_polynomial

    out = []
    if 0 < obj.n_params <= MAX_PARAMETERS:
        out.append((objective_polynomial(obj, obj.flatten(W))[0], "parameters"))
    if hasattr(obj, "loss_argument") and getattr(obj, "lam", 0) == 0 and not any(
            d != 0 for d in getattr(obj, "decay", None) or ()):     # as degenerate._involved
        E0 = obj.loss_argument(W)
        n = E0.nrows() * E0.ncols()
        if n <= MAX_PARAMETERS:
            ring = flint.fmpq_mpoly_ctx.get(("z", n), "lex")
            z, c = ring.gens(), E0.ncols()
            out.append((obj.loss.along_curve([[E0[i, j] + z[i * c + j] for j in range(c)]
                                              for i in range(E0.nrows())]), "argument"))
    if not out:
        raise GiveUp(f"{obj.n_params} parameters, above the limit {MAX_PARAMETERS}")
    best = None
    for L, space in out:
        used = [i for i, d in enumerate(L.degrees()) if d > 0]
        if best is None or len(used) < len(best[1]):
            best = (L, used, space)
    L, used, space = best
    if not 1 <= len(used) <= MAX_VARIABLES:
        raise GiveUp(f"the objective involves {len(used)} variables; branch and bound is used "
                     f"in 1 to {MAX_VARIABLES}")
    y = flint.fmpq_mpoly_ctx.get(("z", len(used)), "lex").gens()
    F = L.compose(*[y[used.index(i)] if i in used else y[0] - y[0]
                    for i in range(L.context().nvars())]) - value
    if len(F) > MAX_TERMS:
        raise GiveUp(f"L - value has {len(F)} terms, above the kernel's limit of {MAX_TERMS}")
    return F, space


class _Float:
    """``F``, its gradient and Hessian in floats (numpy), for guesses only."""

    def __init__(self, F):
        import numpy as np

        self.np = np
        self.m = F.context().nvars()
        d = {tuple(map(int, e)): a for e, a in F.to_dict().items()}
        self.E = np.array(list(d), dtype=float).reshape(len(d), self.m)
        self.c = np.array([float(a) for a in d.values()])

    def value(self, z):
        return float(self.c @ self.np.prod(self.np.asarray(z, float) ** self.E, axis=1))

    def grad(self, z):
        np = self.np
        z = np.asarray(z, float)
        out = np.zeros(self.m)
        for i in range(self.m):
            E = self.E.copy()
            k = E[:, i].copy()
            E[:, i] = np.maximum(k - 1, 0)
            out[i] = float((self.c * k) @ np.prod(z ** E, axis=1))
        return out


def _weights(F, m: int):
    """Integer weights in [1, 4] whose weighted leading form looks positive on ``|u|_inf = 1``
    (float samples of the ``2m`` faces), all ones first: ``(w, D, sampled minimum)`` or None."""
    import numpy as np

    d = {tuple(map(int, e)): a for e, a in F.to_dict().items()}
    grid = np.linspace(-1, 1, 9 if m <= 3 else 5)
    U = []
    for j in range(2 * m):
        for rest in itertools.product(grid, repeat=m - 1):
            u = list(rest)
            u.insert(j % m, 1.0 if j < m else -1.0)
            U.append(u)
    U = np.array(U)
    for w in sorted(itertools.product(range(1, 5), repeat=m), key=lambda w: (max(w), sum(w), w)):
        deg = {e: sum(a * b for a, b in zip(w, e)) for e in d}
        D = max(deg.values())
        top = [(e, float(a)) for e, a in d.items() if deg[e] == D]
        E = np.array([e for e, _ in top], dtype=float)
        vals = np.prod(U[:, None, :] ** E[None, :, :], axis=2) @ np.array([a for _, a in top])
        if vals.min() > 1e-9:
            return list(w), D, float(vals.min())
    return None


class _Builder:
    def __init__(self, F, deadline, max_nodes):
        self.F, self.deadline, self.max_nodes, self.nodes = F, deadline, max_nodes, 0
        self.m = F.context().nvars()

    def tick(self):
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise GiveUp(f"more than {self.max_nodes} nodes")
        if time.monotonic() > self.deadline:
            raise GiveUp("the time budget ran out")

    def leaf(self, P, node, lo, hi):
        try:
            return _walk(P, node, lo, hi, [])
        except GramRejected:
            return None

    def tree(self, P, lo, hi, target, minima=(), depth=0):
        """A subtree over ``[lo, hi]`` whose lower bound of ``P`` is ``>= target``."""
        self.tick()
        if depth > MAX_DEPTH - 2:
            raise GiveUp(f"a box needed more than {MAX_DEPTH} bisections")
        inside = [(q, d, lam) for q, d, lam in minima
                  if all(a <= x <= b for a, x, b in zip(lo, q, hi))]
        if inside:
            q, d, lam = inside[0]
            for i in range(self.m):     # cut the box down to the convex box around q first
                for s in (q[i] - d, q[i] + d):
                    if lo[i] < s < hi[i]:
                        return self.split(P, lo, hi, i, s, target, minima, depth)
            node = ["convex", [_s(x) for x in q], _s(lam)]
            v = self.leaf(P, node, lo, hi)
            if v is not None and v >= target:
                return node
            raise GiveUp(f"the convex leaf around the minimizer {[_s(x) for x in q]} fails")
        v = self.leaf(P, ["bound"], lo, hi)
        if v is not None and v >= target:
            return ["bound"]
        if all(a == b for a, b in zip(lo, hi)):
            raise GiveUp("a leaf failed on a single point")
        i = self.worst(P, lo, hi)
        return self.split(P, lo, hi, i, (lo[i] + hi[i]) / 2, target, minima, depth)

    def worst(self, P, lo, hi):
        """The coordinate that contributes most to the centred form's deviation on the box
        (each term's share split by its exponents): the cut that helps the bound most."""
        import numpy as np

        c = [(a + b) / 2 for a, b in zip(lo, hi)]
        r = [float((b - a) / 2) for a, b in zip(lo, hi)]
        shifted = P.compose(*[g + x for g, x in zip(P.context().gens(), c)]).to_dict()
        share = [0.0] * self.m
        for e, a in shifted.items():
            e = [int(k) for k in e]
            if sum(e):
                size = abs(float(a)) * float(np.prod([x ** k for x, k in zip(r, e)]))
                for k in range(self.m):
                    share[k] += size * e[k] / sum(e)
        return max((k for k in range(self.m) if hi[k] > lo[k]), key=lambda k: share[k])

    def split(self, P, lo, hi, i, s, target, minima, depth):
        a = self.tree(P, lo, hi[:i] + [s] + hi[i + 1:], target, minima, depth + 1)
        b = self.tree(P, lo[:i] + [s] + lo[i + 1:], hi, target, minima, depth + 1)
        return ["split", i, _s(s), a, b]


def _minimizers(F, fl, box, rng):
    """Float local minimizers of ``F`` in the box (scipy, many starts): a list of arrays."""
    import numpy as np
    from scipy.optimize import minimize

    m = fl.m
    starts = [np.zeros(m)] + [rng.uniform(-1, 1, m) * np.minimum(box, 4.0) for _ in range(60)]
    starts += [rng.uniform(-1, 1, m) * box for _ in range(20)]
    found = []
    for x0 in starts:
        res = minimize(fl.value, x0, jac=fl.grad, method="BFGS", options={"gtol": 1e-12})
        x = res.x
        if np.all(np.isfinite(x)) and np.all(np.abs(x) <= box) and \
                not any(np.linalg.norm(x - y) < 1e-5 for y in found):
            found.append(x)
    return found


def _rational(F, x):
    """An exact rational critical point of ``F`` with value 0 near the float ``x``, or None."""
    for den in (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 100, 1000):
        q = [_fq(Fraction(float(v)).limit_denominator(den)) for v in x]
        if F(*q) == 0 and all(F.derivative(i)(*q) == 0 for i in range(len(q))):
            return q
    return None


def _convex_box(F, q):
    """``(d, lambda)``: a half-width ``d`` and a ``lambda > 0`` for which the kernel's convex leaf
    holds on the box ``q +- d``, or None (a degenerate minimizer)."""
    import numpy as np

    m = len(q)
    H = np.array([[float(F.derivative(i).derivative(j)(*q)) for j in range(m)] for i in range(m)])
    lam0 = float(np.linalg.eigvalsh(H)[0])
    if lam0 <= 1e-9:
        return None
    lam = _fq(Fraction(lam0 / 2).limit_denominator(1000))
    if not lam > 0:
        return None
    d = flint.fmpq(1, 2)
    for _ in range(30):
        lo, hi = [x - d for x in q], [x + d for x in q]
        try:
            if _walk(F, ["convex", [_s(x) for x in q], _s(lam)], lo, hi, []) >= 0:
                return d, lam
        except GramRejected:
            pass
        d /= 2
    return None


def interval_evidence(obj, W, value, *, max_nodes: int = MAX_NODES, time_limit: float = TIME_LIMIT):
    """``(evidence, None)`` with evidence ``interval-lower-bound`` that the kernel accepts, or
    ``(None, reason)`` saying why none was built (never an exception: a failed guess is only a
    missing certificate)."""
    import numpy as np

    try:
        return _evidence(obj, W, to_fmpq(value), max_nodes, time_limit), None
    except GiveUp as exc:
        return None, str(exc)
    except (ArithmeticError, ValueError, TypeError, RecursionError, np.linalg.LinAlgError) as exc:
        return None, f"the branch-and-bound producer failed ({type(exc).__name__}: {exc})"


def _evidence(obj, W, value, max_nodes, time_limit):
    import numpy as np

    if not obj.loss.polynomial:
        raise GiveUp("the loss is not a polynomial")
    deadline = time.monotonic() + time_limit
    F, space = shifted_polynomial(obj, W, value)
    m = F.context().nvars()
    found = _weights(F, m)
    if found is None:
        raise GiveUp("the leading form of L - value is not positive on |z|_inf = 1 for any "
                     "weights in [1, 4]: L is not shown to grow at infinity (e.g. the Motzkin "
                     "polynomial), so no box can hold every point below the value")
    w, D, lo_float = found
    d = {tuple(map(int, e)): a for e, a in F.to_dict().items()}
    deg = {e: sum(a * b for a, b in zip(w, e)) for e in d}
    top = F.context().from_dict({e: a for e, a in d.items() if deg[e] == D})
    one = flint.fmpq(1)
    build = _Builder(F, deadline, min(max_nodes, KERNEL_MAX_NODES))
    target = _fq(Fraction(lo_float / 2).limit_denominator(1000))
    boxes = [([one * (-1) ** (j // m) if i == j % m else -one for i in range(m)],
              [one * (-1) ** (j // m) if i == j % m else one for i in range(m)]) for j in range(2 * m)]
    faces = [build.tree(top, lo, hi, target) for lo, hi in boxes]
    mu = min(_walk(top, f, lo, hi, []) for f, (lo, hi) in zip(faces, boxes))   # >= target
    rho = flint.fmpq(1)      # the least power of 2 (at least 1) with mu rho^D >= sum C_k rho^k
    while mu * rho ** D < sum(abs(a) * rho ** deg[e] for e, a in d.items() if deg[e] < D):
        rho *= 2
    box = np.array([float(rho ** k) for k in w])
    fl = _Float(F)
    minima, found = [], _minimizers(F, fl, box, np.random.default_rng(0))
    for x in found:
        if fl.value(x) < -1e-9:
            raise GiveUp(f"a point with L - value = {fl.value(x):.3g} < 0 near "
                         f"{np.round(x, 4).tolist()} (floats; the {space} shifted to the point): "
                         "not a global minimum")
    for x in found:
        if fl.value(x) > 1e-7:
            continue
        q = _rational(F, x)
        if q is None:
            raise GiveUp(f"a global minimizer near {np.round(x, 6).tolist()} is not rational: "
                         "branch and bound cannot reach the value exactly there")
        cb = _convex_box(F, q)
        if cb is None:
            raise GiveUp(f"the minimizer {[_s(v) for v in q]} is degenerate (the Hessian is "
                         "singular there): no convex leaf")
        if not any(p == q for p, _, _ in minima):
            minima.append((q, cb[0], cb[1]))
    tree = build.tree(F, [-rho ** k for k in w], [rho ** k for k in w], flint.fmpq(0), minima)
    ev = {"type": "interval-lower-bound", "space": space, "weights": w, "rho": _s(rho),
          "faces": faces, "tree": tree}
    try:   # the kernel's own check, on the same polynomial, before anything is returned
        check_interval(F + value, value, ev)
    except GramRejected as exc:
        raise GiveUp(f"the kernel rejects the tree: {exc}") from None
    return ev
