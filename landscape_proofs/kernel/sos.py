"""Trusted: sums of squares with exact rational Gram matrices (evidence ``sos-lower-bound``, ``sos-local``).

The argument (docs/certificates.md, "Sums of squares").  ``L`` is the objective as a polynomial
in the parameters ``x`` (built by the checker from its own objective), ``x0`` the point,
``c = L(x0)`` (recomputed), ``s = +1`` (minimum) or ``-1`` (maximum).  The evidence gives an
integer ``k`` in [0, 3], a list of monomials ``m`` and a rational symmetric matrix ``Q``.

``sos-lower-bound`` (global minimum, s = +1): the checker verifies by exact expansion

    (1 + |x|^2)^k * (L(x) - c) = m(x)^T Q m(x)

and that ``Q`` is positive semidefinite (symmetric elimination over Q:
linalg.negative_direction finds no direction of negative curvature).  The right side is
``>= 0`` for every ``x`` and ``(1 + |x|^2)^k > 0``, so ``L >= c`` everywhere, and the point
attains ``c``: a global minimum.

``sos-local`` (local minimum or maximum): the same in the shifted variables ``y = x - x0``,
optionally with a ``ball`` (a radius ``rho^2 > 0``, monomials ``n``, a PSD ``P``):

    (1 + |y|^2)^k * s * (L(x0 + y) - c) = m(y)^T Q m(y) + (rho^2 - |y|^2) * n(y)^T P n(y).

Where ``|y| <= rho`` the right side is ``>= 0``, so ``s (L - c) >= 0`` on a ball around the
point: a local minimum (s = +1) or maximum (s = -1); without the ball, everywhere.

``"space": "argument"`` (local claims without weight decay): the same identity in the entries
``z`` of the loss argument ``E`` (row by row) around ``E(x0)``, with ``l(E(x0) + z)`` for ``L``.
Then ``L = l(E(x))`` and ``E`` is continuous, so ``s (l - c) >= 0`` near ``E(x0)`` gives
``s (L - c) >= 0`` near ``x0``: the same conclusion, in fewer variables when ``l`` involves few
entries.
The l1 loss: ``L`` is replaced by its piece ``h = <S, E> + decay``, ``S = sign E(x0)`` (-1 on
zero entries; losses.Piece).  ``|S_ij| <= 1`` gives ``h <= L`` everywhere, equal at ``x0``, so a
minimum (s = +1) of ``h`` bounds ``L`` from below; where no ``E_ij(x0)`` is 0, ``h = L`` near
``x0``, so a maximum (s = -1, refused at kinks) of ``h`` is a local maximum of ``L`` -- local only,
even when the identity holds for every ``y``.  Parameters only, never ``"space": "argument"``.
``interval-lower-bound`` (global minimum, kernel/interval_bnb.py) is read like ``sos-local``
(the checker passes ``local=True``): this function builds ``L(x0 + y)`` (or ``l(E(x0) + z)``
without decay) and hands it to :func:`check_interval` instead of reading a Gram matrix.
A malformed number is an InputError, which the checker turns into a rejection.  Nothing but ``k``, the monomials, the matrices and the radius is read from the producer.
"""
from __future__ import annotations

from math import comb

import flint

from landscape_proofs.kernel.gram import (GramRejected, _check_size, _Reader, objective_polynomial,
                                          polynomial_ring)
from landscape_proofs.kernel.interval_bnb import check_interval
from landscape_proofs.kernel.linalg import negative_direction, quadratic_form
from landscape_proofs.kernel.losses import L1, Piece
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq

MAX_PARAMETERS = 16
MAX_BASIS = 120          # monomials in one Gram basis
MAX_MULTIPLIER = 3       # k in (1 + |x|^2)^k
MAX_DEGREE = 24          # of either side of the identity
MAX_TERMS = 2_000_000    # a bound on the left side's expansion


def _gram(ring, n, data, basis_data, name):
    """(monomials as exponent tuples, Q as an fmpq_mat), checked symmetric and PSD."""
    if not isinstance(basis_data, list) or not 1 <= len(basis_data) <= MAX_BASIS:
        raise GramRejected(f"{name}.basis: expected a list of 1 to {MAX_BASIS} monomials")
    read = _Reader(ring, n)
    m = [read.poly([[1, mono]], f"{name}.basis[{i}]") for i, mono in enumerate(basis_data)]
    mons = [tuple(p.monoms()[0]) for p in m]
    if len(set(mons)) != len(mons):
        raise GramRejected(f"{name}.basis: a monomial is listed twice")
    b = len(mons)
    if not isinstance(data, list) or len(data) != b or any(
            not isinstance(r, list) or len(r) != b for r in data):
        raise GramRejected(f"{name}.gram: expected a {b} x {b} matrix of rationals")
    Q = flint.fmpq_mat(b, b, [to_fmpq(parse_exact(data[i][j], f"{name}.gram[{i}][{j}]"))
                             for i in range(b) for j in range(b)])
    if Q != Q.transpose():
        raise GramRejected(f"{name}.gram is not symmetric")
    if 2 * max(map(sum, mons)) > MAX_DEGREE:
        raise GramRejected(f"{name}.basis: a monomial of degree above {MAX_DEGREE // 2}")
    v = negative_direction(Q)
    if v is not None:
        raise GramRejected(f"{name}.gram is not positive semidefinite: v^T Q v = "
                           f"{quadratic_form(Q, v)} < 0 for v = {[str(x) for x in v]}")
    return sum((Q[i, j] * m[i] * m[j] for i in range(b) for j in range(b) if Q[i, j] != 0), m[0] - m[0]), b


def check_sos(obj, W, value, evidence: dict, sign: int, local: bool) -> str:
    """Verify the identity above; returns the reason, raises :class:`GramRejected`."""
    # "space": "argument": the identity is in z = E - E(W) with l(E) for L (no decay: L = l(E(W)),
    # E continuous in W, so s (l - c) >= 0 near E(W) gives s (L - c) >= 0 near W)
    space = evidence.get("space", "parameters")
    if space not in ("parameters", "argument") or space == "argument" and (not local or obj.has_decay):
        raise GramRejected("space: 'parameters', or 'argument' in a local claim without decay")
    piece = Piece(obj.loss.gradient_exact(obj.loss_argument(W))) if isinstance(obj.loss, L1) else None
    if piece is not None and (space == "argument" or sign < 0 and obj.loss.kinks(obj.loss_argument(W))):
        raise GramRejected("the l1 loss: in the parameters only, and no kink for a maximum")
    E = obj.loss_argument(W) if space == "argument" else None
    N = obj.n_params if E is None else E.nrows() * E.ncols()
    if N > MAX_PARAMETERS:
        raise GramRejected(f"{N} parameters: sums of squares are checked up to {MAX_PARAMETERS}")
    _check_size(obj, piece)   # also refuses a loss that is not a polynomial (l1: its piece)
    k = evidence.get("multiplier_degree", 0)
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= MAX_MULTIPLIER:
        raise GramRejected(f"multiplier_degree: expected an integer in [0, {MAX_MULTIPLIER}]")
    ring = polynomial_ring(N)
    x0, x = obj.flatten(W), ring.gens()
    # the checker's own objective; a local identity is written in y = x - x0: L(x0 + y)
    L = objective_polynomial(obj, ring, x0 if local else None, piece) if E is None else obj.loss.along_curve(
        [[E[i, j] + x[i * E.ncols() + j] for j in range(E.ncols())] for i in range(E.nrows())])
    if L(*([0] * N if local else x0)) != value:
        raise GramRejected("internal: the polynomial objective disagrees with the exact value")
    if evidence.get("type") == "interval-lower-bound":   # branch and bound: kernel/interval_bnb.py
        if sign != 1:   # it proves L >= c only: never a maximum
            raise GramRejected("interval-lower-bound proves a lower bound (a minimum) only")
        return check_interval(L, value, evidence)
    if 2 * k + L.total_degree() > MAX_DEGREE or len(L) * comb(N + 2 * k, 2 * k) > MAX_TERMS:
        raise GramRejected(f"the left side has degree {2 * k + L.total_degree()} and up to "
                           f"{len(L) * comb(N + 2 * k, 2 * k)} terms (limits {MAX_DEGREE}, {MAX_TERMS})")
    lhs = (1 + sum(g * g for g in x)) ** k * sign * (L - value)
    rhs, b = _gram(ring, N, evidence.get("gram"), evidence.get("basis"), "evidence")
    what = f"{b} x {b} Gram matrix"
    ball = evidence.get("ball")
    if ball is not None:
        if not local or not isinstance(ball, dict):
            raise GramRejected("ball: expected an object {radius_squared, basis, gram}, in a "
                               "local claim only (a ball proves nothing global)")
        r2 = to_fmpq(parse_exact(ball.get("radius_squared"), "ball.radius_squared"))
        if not r2 > 0:
            raise GramRejected(f"ball.radius_squared = {r2} is not > 0")
        sig, b1 = _gram(ring, N, ball.get("gram"), ball.get("basis"), "ball")
        rhs += (r2 - sum(g * g for g in x)) * sig   # local: x is y = x - x0 here
        what += f" and a {b1} x {b1} one on the ball |y|^2 <= {r2}"
    what += ", y = x - x0" if E is None and local else ", y = E - E(x0), L = l(E)" if local else ""
    residual = lhs - rhs
    h = "h" if piece is not None else "L"   # h <= L everywhere, h = L near x0 (no kink)
    lhs_text = (f"(1 + |{'y' if local else 'x'}|^2)^{k} {'' if sign > 0 else '-'}({h} "
                f"{'-' if value >= 0 else '+'} {abs(value)})")
    if not residual.is_zero():
        raise GramRejected(f"the identity {lhs_text} = sum of squares fails ({len(residual)} term(s) differ)")
    word = ("a global minimum" if sign > 0 else "a global maximum") if ball is None and (
        h == "L" or sign > 0) else "a local minimum" if sign > 0 else "a local maximum"
    return (f"sum of squares: {lhs_text} = m^T Q m{' + (rho^2 - |y|^2) n^T P n' if ball else ''} "
            f"with a PSD {what}, so {h} {'>=' if sign > 0 else '<='} {value} "
            f"{'near the point' if ball is not None else 'everywhere'}"
            f"{'; h = <sign E(x0), E> + decay is <= L, and = L near x0' if h == 'h' else ''}: {word}")
