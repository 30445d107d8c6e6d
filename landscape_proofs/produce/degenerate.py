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

from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.produce import sos

MAX_PARAMETERS = sos.MAX_PARAMETERS


def applicable(problem, n_params: int) -> bool:
    """Whether a sum-of-squares attempt is worth making (size threshold, cvxpy present)."""
    return (problem.loss.polynomial and 0 < n_params <= MAX_PARAMETERS and sos.available())


def local_evidence(obj, W, value, sign: int):
    """``sos-local`` evidence that the point is a local minimum (sign +1) or maximum (-1)."""
    return sos.sos_evidence(obj, W, value, sign=sign, local=True, degrees=(0,))


def why_not(problem, n_params: int) -> str:
    """Why no higher-order attempt could be made, as a clause for an ``inconclusive`` reason."""
    if not problem.loss.polynomial:
        return ""
    if n_params > MAX_PARAMETERS:
        return (f"; higher-order terms were not tried ({n_params} parameters, the "
                f"sum-of-squares threshold is {MAX_PARAMETERS})")
    if not sos.available():
        return "; higher-order terms were not tried (cvxpy missing: pip install 'landscape-proofs[sos]')"
    return "; no sum-of-squares certificate of a local minimum or maximum was found either"


def decide(producer, ine, curves, descended: bool, extra):
    """A certified ``local-minimum`` / ``spurious-local-minimum`` / ``local-maximum`` for a
    critical point with a singular semidefinite Hessian, or None.  ``curves`` are the
    (V, order, coefficient) the curve search saw; ``descended``: some curve went down."""
    from landscape_proofs.produce.kinds import Kind

    if not applicable(producer.problem, producer.N) or producer.value is None:
        return None
    rose = ine.positive > 0 or any(c > 0 for _, _, c in curves)
    method = "higher-order terms: sum of squares near the point (exact)"
    if not descended and ine.negative == 0:
        ev = local_evidence(producer.obj, producer.W, producer.value, +1)
        if ev is not None:
            better = simple_better_point(producer, curves) or producer.find_better_point()
            if better is not None:
                point = [[[format_exact(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())]
                         for M in better]
                return producer.certified(Kind.SPURIOUS_LOCAL_MINIMUM,
                                          {"local_minimum": ev, "better_point": point},
                                          method + " + exact better point", **extra)
            return producer.certified(Kind.LOCAL_MINIMUM, ev, method, **extra)
    if not rose:
        ev = local_evidence(producer.obj, producer.W, producer.value, -1)
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
