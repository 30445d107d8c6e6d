"""Producer: decide degenerate critical points (singular Hessian) from higher-order terms.

When the point is critical and the Hessian is singular, second order cannot decide, and the
descent-curve search (``classify.py``) only ever proves *saddles*.  What decides a local
minimum or maximum here are the terms of order 3, 4, ... of ``L(x0 + y) - L(x0)`` on the
Hessian's kernel.  A proof of ``s (L(x0 + y) - L(x0)) >= 0`` for small ``y`` is a
sum-of-squares identity in the shifted variables (kernel/sos.py, evidence ``sos-local``):

    s (L(x0 + y) - c) = m(y)^T Q m(y) + (rho^2 - |y|^2) n(y)^T P n(y),   Q, P PSD,

found by :func:`landscape_proofs.produce.sos.sos_evidence` and checked exactly by the kernel.
It covers, for example, a zero-Hessian point whose quartic form is negative definite
(``-(ab)^4``: a local maximum, ``(ab)^4`` is a sum of squares) and a flat-bottomed local
minimum that is not global (``(ab)^4 - (ab)^6`` at the origin: every derivative up to order 7
vanishes; on ``|y|^2 <= 1`` the identity above holds with ``Q`` for ``a^4 b^4 (3/4 + (a^2 -
b^2)^2/4)`` and ``P`` for ``a^4 b^4 (1 + a^2 + b^2)/4``).

Which sign to try is a question of curves: a curve along which the value drops rules out a
local minimum (so only a maximum is tried), one along which it rises rules out a maximum.
"""
from __future__ import annotations

from fractions import Fraction

from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.produce import sos

MAX_PARAMETERS = sos.MAX_PARAMETERS


def applicable(problem, n_params: int) -> bool:
    """Whether a sum-of-squares attempt is worth making (size threshold, cvxpy present)."""
    return (problem.loss.polynomial and 0 < n_params <= MAX_PARAMETERS and sos.available())


def l1_piece(producer):
    """The objective with the l1 loss replaced by its piece ``<S, E>``, ``S = sign E(W)`` (-1
    at kinks), as the kernel builds it (kernel/sos.py): a minorant of ``L`` everywhere, equal
    at ``W``, and equal to ``L`` near ``W`` when no residual is 0 there."""
    import copy

    from landscape_proofs.kernel.losses import L1, Piece

    view = copy.copy(producer.obj)
    view.loss = Piece(L1().gradient_exact(producer.obj.loss_argument(producer.W)))
    return view


def _in_parameters(obj, W, value, sign: int):
    """``sos-local`` evidence in the parameters only (the l1 piece: never in the argument)."""
    return sos.sos_evidence(obj, W, value, sign=sign, local=True, degrees=(0,))


def local_evidence(obj, W, value, sign: int):
    """``sos-local`` evidence that the point is a local minimum (sign +1) or maximum (-1):
    in the parameters (up to :data:`MAX_PARAMETERS` of them), else in the entries of the loss
    argument ``E`` (:func:`argument_evidence`); the argument first when the loss involves
    fewer of its entries than there are parameters (a smaller problem)."""
    in_parameters = lambda: sos.sos_evidence(obj, W, value, sign=sign, local=True,  # noqa: E731
                                             degrees=(0,)) if 0 < obj.n_params <= MAX_PARAMETERS else None
    found = _involved(obj, W)
    if found is not None and len(found[2]) < obj.n_params:
        return argument_evidence(obj, W, value, sign) or in_parameters()
    return in_parameters() or argument_evidence(obj, W, value, sign)


def _involved(obj, W):
    """``(E0, n, S)``: the loss argument at ``W``, its number of entries, and the entries
    ``l(E0 + z)`` involves; None with weight decay (``L`` is not ``l(E(W))``) or beyond 16
    entries (the kernel's limit on the variables)."""
    import flint

    if (getattr(obj, "lam", 0) != 0 or any(d != 0 for d in getattr(obj, "decay", None) or ())
            or not hasattr(obj, "loss_argument")):      # e.g. l(U U^T): no argument route
        return None
    E0 = obj.loss_argument(W)
    n = E0.nrows() * E0.ncols()
    if n > 16:
        return None
    ring = flint.fmpq_mpoly_ctx.get(("z", n), "lex")
    z, c = ring.gens(), E0.ncols()
    full = obj.loss.along_curve([[E0[i, j] + z[i * c + j] for j in range(c)]
                                 for i in range(E0.nrows())])
    degs = full.degrees()
    return E0, n, [i for i in range(n) if degs[i] > 0]


class _ArgumentView:
    """The loss ``l`` as a function of the involved entries ``S`` of its argument ``E`` near
    ``E0 = E(W)`` (the other entries held at ``E0``), shaped for :func:`sos.sos_evidence`."""

    def __init__(self, obj, E0, involved):
        self.obj, self.E0, self.S = obj, E0, involved
        self.n_params, self.shapes = len(involved), [(1, len(involved))]

    def flatten(self, _W):
        c = self.E0.ncols()
        return [self.E0[i // c, i % c] for i in self.S]

    def value_on(self, entries):
        c, row = self.E0.ncols(), entries[0][0]
        E = [[self.E0[i, j] + row[0] * 0 for j in range(c)] for i in range(self.E0.nrows())]
        for k, i in enumerate(self.S):
            E[i // c][i % c] = row[k]
        return self.obj.loss.along_curve(E)


def argument_evidence(obj, W, value, sign: int):
    """``sos-local`` evidence with ``"space": "argument"`` (no weight decay): a sum-of-squares
    identity for ``s (l(E0 + z) - c)`` near ``E0 = E(W)``.  ``L = l(E(W))`` and ``E`` is
    continuous, so it proves a local minimum (maximum) of ``L`` whatever the parameters
    (``(ab)^4 - (ab)^6`` over a 2-2-2 network: ``l`` involves one entry of ``E``, where the
    parameters are 8).  The identity is sought in the entries ``S`` that ``l`` involves near
    ``E0``; the ball ``rho^2 - |z_S|^2`` is then lifted to all entries exactly: ``m`` gains the
    monomials ``z_r n_j`` (``r`` not in ``S``), ``Q`` the blocks ``P``, since
    ``(rho^2 - |z_S|^2) n^T P n = (rho^2 - |z|^2) n^T P n + sum_r (z_r n)^T P (z_r n)``."""
    found = _involved(obj, W) if sos.available() else None
    if found is None:
        return None
    E0, n, involved = found
    if not involved or len(involved) > MAX_PARAMETERS:
        return None
    ev = sos.sos_evidence(_ArgumentView(obj, E0, involved), None, value, sign=sign, local=True,
                          degrees=(0,), radii=(1, Fraction(1, 4), Fraction(1, 100)))
    if ev is None:
        return None
    lift = lambda mono: [[involved[i], e] for i, e in mono]   # noqa: E731
    ev["basis"] = [lift(m) for m in ev["basis"]]
    ev["space"] = "argument"
    if "ball" in ev:
        ball = ev["ball"]
        ball["basis"] = [lift(m) for m in ball["basis"]]
        rest = [r for r in range(n) if r not in involved]
        b, b1 = len(ev["basis"]), len(ball["basis"])
        zero = format_exact(Fraction(0))
        Q = [row + [zero] * (b1 * len(rest)) for row in ev["gram"]]
        for t, r in enumerate(rest):
            for i in range(b1):
                row = [zero] * (b + b1 * len(rest))
                row[b + t * b1: b + (t + 1) * b1] = ball["gram"][i]
                Q.append(row)
            ev["basis"] += [_times(m, r) for m in ball["basis"]]
        ev["gram"] = Q
    return ev


def _times(mono, r):
    """The monomial ``z_r * mono`` (``[[index, exponent], ...]``)."""
    out = dict((i, e) for i, e in mono)
    out[r] = out.get(r, 0) + 1
    return [[i, out[i]] for i in sorted(out)]


def why_not(problem, n_params: int) -> str:
    """Why no higher-order attempt could be made, as a clause for an ``inconclusive`` reason."""
    if not problem.loss.polynomial:
        return ""
    if n_params > MAX_PARAMETERS and problem.weight_decay != 0:
        return (f"; higher-order terms were not tried ({n_params} parameters, the "
                f"sum-of-squares threshold is {MAX_PARAMETERS})")
    if not sos.available():
        return "; higher-order terms were not tried (cvxpy missing: pip install 'landscape-proofs[sos]')"
    return ("; no sum-of-squares certificate of a local minimum or maximum was found either"
            + (" (in the parameters or in the loss argument's entries)"
               if problem.weight_decay == 0 else ""))


def decide(producer, ine, curves, descended: bool, extra):
    """A certified ``local-minimum`` / ``spurious-local-minimum`` / ``local-maximum`` for a
    critical point with a singular semidefinite Hessian, or None.  ``curves`` are the
    (V, order, coefficient) the curve search saw; ``descended``: some curve went down."""
    from landscape_proofs.produce.kinds import Kind

    p = producer.problem
    obj, evidence = producer.obj, local_evidence
    if p.loss.piecewise_linear_kinks and sos.available() and 0 < producer.N <= MAX_PARAMETERS:
        obj, evidence = l1_piece(producer), _in_parameters      # kernel/sos.py: the l1 piece
    elif not (p.loss.polynomial and sos.available()) or not (
            0 < producer.N <= MAX_PARAMETERS or p.weight_decay == 0):
        return None
    if producer.value is None:
        return None
    rose = ine.positive > 0 or any(c > 0 for _, _, c in curves)
    method = "higher-order terms: sum of squares near the point (exact)"
    if not descended and ine.negative == 0:
        ev = evidence(obj, producer.W, producer.value, +1)
        if ev is not None:
            better = simple_better_point(producer, curves) or producer.find_better_point()
            if better is not None:
                point = [[[format_exact(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
                         for M in better]
                return producer.certified(Kind.SPURIOUS_LOCAL_MINIMUM,
                                          {"local_minimum": ev, "better_point": point},
                                          method + " + exact better point", **extra)
            if ev.get("ball") is None:      # an identity for every y: L >= c everywhere
                return producer.certified(Kind.GLOBAL_MINIMUM, ev, method, **extra)
            return producer.certified(Kind.LOCAL_MINIMUM, ev, method, **extra)
    if not rose and not (obj is not producer.obj and producer.problem.loss.kinks(
            producer.obj.loss_argument(producer.W))):   # a maximum: l1 = its piece near W
        ev = evidence(obj, producer.W, producer.value, -1)
        if ev is not None:
            return producer.certified(Kind.LOCAL_MAXIMUM, ev, method, **extra)
    return None


def simple_better_point(producer, curves, steps=(1, 2, 3, 10)):
    """A point W + t V of strictly lower value on a line the curve search used (or a chain of
    unit entries), for a few small t: short, readable better points before a numeric search."""
    directions = [V for V, _, _ in curves] + [V for _, _, V in producer._chains()]
    for t in steps:
        for V in directions[:200]:
            for s in (t, -t):
                Wc = [Wk + s * Vk for Wk, Vk in zip(producer.W, V)]
                if producer.obj.value(Wc) < producer.value:
                    return Wc
    return None
