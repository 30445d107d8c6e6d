"""Every critical value of three square-loss problems, exactly; a global minimum by isolation.

All three share one shape: the critical values form the finite set

    base + (a sum of at most k "options", each group giving at most its cap of them),

each option a real algebraic number enclosed by exact rational refinement.  A *critical*
point whose value lies in ``[lo, hi]`` is then a global minimum as soon as all such sums but
one are provably above ``hi`` (:func:`isolate_value`): its value is that sum and every other
critical value is larger; the infimum is attained at a critical point (case 1: by
Eckart-Young; cases 2 and 3: L is coercive), so it is the global one.

1. **Deep linear, square loss, no decay** (any X).  ``base = c0 + tr M / 2``; options
   ``-lambda/2`` over the eigenvalues of ``M`` (cap: multiplicity), ``k = r``; ``P`` the
   projector onto the row space of X, ``c0 = 1/2 ||Y (I - P)||^2``, ``M = Y P Y^T``, ``r`` the
   smallest width.  Proof: with ``R' = R U S``, ``Z = Y V`` from a thin SVD ``X = U S V^T``,
   ``L = c0 + 1/2 ||R' - Z||^2`` depends on W_1 only through ``W_1 U S`` (surjective), so W is
   critical iff the network with first layer ``W_1 U S`` is.  There, with ``E = R' - Z``, the
   last- and first-layer gradients vanish, ``E B^T = 0``, ``A^T E = 0`` (``R' = W_H B =
   A W'_1``), hence ``E R'^T = 0`` and ``R'^T E = 0``: ``R' = Pi Z`` (Pi the projector onto the
   column space of R'), ``Z Z^T Pi = Pi Z Z^T Pi`` is symmetric, range(Pi) is M-invariant and
   ``||E||^2 = tr M - tr(Pi M Pi)``: ``tr M`` minus ``rank R' <= r`` eigenvalues of M.
2. **l(U U^T), square loss, decay lam >= 0.**  With ``Ys``/``Ya`` the symmetric/antisymmetric
   parts of Y and ``M = Ys - lam/2 I``: ``L = c0 + 1/2 ||Z - M||^2``, ``Z = U U^T``,
   ``c0 = 1/2 ||Ya||^2 + lam/2 tr Ys - n lam^2/8``.  Critical: ``(Z - M) U = 0``, so
   ``Z^2 = M Z``: M and Z commute, M = Z on range(Z) (where Z > 0), and ``||Z - M||^2 =
   ||M||^2 - sum of lambda^2`` over ``rank Z <= k`` *positive* eigenvalues of M.
   ``base = c0 + ||M||^2/2``, options ``-lambda^2/2`` over the positive eigenvalues.
3. **Deep linear, square loss, scalar decay lam > 0, X X^T = I.**  ``L = 1/2 ||Y||^2 -
   1/2 ||Y'||^2 + 1/2 ||R - Y'||^2 + lam/2 sum ||W_i||^2`` with ``Y' = Y X^T``.  At a critical
   point ``W_{i+1}^T W_{i+1} = W_i W_i^T`` (the gradient terms in G cancel in
   ``W_{i+1}^T dL/dW_{i+1} - dL/dW_i W_i^T = lam (W_{i+1}^T W_{i+1} - W_i W_i^T)``), so the
   layers share singular values s_j and ``R = sum s_j^H u_j v_j^T``; the first and last layers'
   gradients give ``Y' v_j = y_j u_j``, ``Y'^T u_j = y_j v_j`` with
   ``y_j = s_j^H + lam s_j^(2-H)``: a critical point of ``g(t) = 1/2 (t^H - y)^2 + lam H t^2/2``
   for a singular value y of Y'.  The value is ``1/2 ||Y||^2 + sum_j phi(s_j)``,
   ``phi(s) = -s^(2H)/2 + lam (H-2) s^2/2``, over at most r singular values.  The s are the
   positive roots of ``s^((2H-4) d) chi((s^(2H-2) + lam)^2 / s^(2H-4))`` (chi the
   characteristic polynomial of ``Y' Y'^T``), each matched to its eigenvalue ``y^2``.
   ``X X^T = c I`` (c > 0) reduces to it: ``||R X - Y||^2 = c ||R - Y X^T/c||^2 + ||Y||^2 -
   c ||Y X^T/c||^2``, so ``L/c`` is case 3 for ``Y X^T/c`` with decay ``lam/c``, compared
   with ``[lo/c, hi/c]``.

Towers of two layers each are one chain: ``sum_t U_t V_t = [U_1 ... U_T][V_1; ...; V_T]``
with the chain's decay, a permutation of the parameters, so cases 1 and 3 apply with depth 2.
"""
from __future__ import annotations

import itertools
import math

from flint import fmpq, fmpq_poly

from landscape_proofs.kernel.algebraic import (count_roots, isolate_real_roots, real_roots,
                                               times_per_factor)
from landscape_proofs.kernel.linalg import frobenius_sq, identity
from landscape_proofs.kernel.losses import Square
from landscape_proofs.kernel.optimum import square_loss_split

MAX_DIM = 10           # output dimension d_H
MAX_COMBINATIONS = 4096
MAX_ROUNDS = 200
MAX_DEGREE = 640       # of the polynomial whose positive roots are the 1-D critical points


class _Option:
    """``value(root)`` for an isolated real root, enclosed by ``bounds(lo, hi)`` (monotone)."""

    def __init__(self, root, bounds):
        self.root, self.bounds = root, bounds

    def interval(self):
        return self.bounds(self.root.lo, self.root.hi)


def isolate_value(base: fmpq, groups, k: int, lo: fmpq, hi: fmpq, below: bool = False) -> str:
    """A reason when exactly one critical value ``base + sum`` (``groups``: ``(cap,
    [options])``) is not provably above ``hi``; ``ArithmeticError`` otherwise.  ``below``:
    instead, a reason when some sum is provably below ``lo`` (every sum is the value of some
    point: the chosen eigen- or singular directions realised by a product of rank <= k)."""
    combos = []
    for pick in itertools.product(*[[c for c in itertools.product(range(cap + 1), repeat=len(opts))
                                     if sum(c) <= cap] for cap, opts in groups]):
        if sum(map(sum, pick)) <= k:
            combos.append([(o, t) for (_, opts), c in zip(groups, pick) for o, t in zip(opts, c) if t])
        if len(combos) > MAX_COMBINATIONS:
            raise ArithmeticError(f"isolated-critical-value: over {MAX_COMBINATIONS} critical values")
    total = len(combos)
    for rnd in range(MAX_ROUNDS):               # refine until one sum is left, and it meets [lo, hi]
        ends = [[sum((t * o.interval()[j] for o, t in c), base) for j in (0, 1)] for c in combos]
        if below and any(e[1] < lo for e in ends):
            return (f"one of the {total} exact critical-value sums, each the value of some point, "
                    "is below the value enclosure: the global value is lower")
        if below and all(e[0] >= lo for e in ends):
            break
        keep = [i for i, e in enumerate(ends) if below or not e[0] > hi]
        combos, ends = [combos[i] for i in keep], [ends[i] for i in keep]
        tied = len({tuple(e) for e in ends}) == 1 and ends[0][0] == ends[0][1]  # exact, equal
        if not below and (len(combos) == 1 or tied) and ends[0][1] >= lo and (
                ends[0][0] >= lo or not combos[0] or rnd == MAX_ROUNDS - 1):
            return (f"every critical value is one of {total} exact algebraic sums; all but "
                    f"{'one' if len(combos) == 1 else f'{len(combos)} (equal, exact)'} exceed the "
                    "value enclosure, so the point's value is the least of them")
        if not combos or not below and len(combos) == 1 and ends[0][1] < lo:
            break
        for o in {id(o): o for c in combos for o, _ in c}.values():
            o.root.bisect()
    raise ArithmeticError("isolated-critical-value: the critical values could not be separated "
                          "from the value enclosure (none, or more than one, in it" +
                          (", or none below it)" if below else ")"))


def _positive(x) -> bool:
    """Refine the isolated root x (never 0) until its interval is on one side of 0."""
    while x.lo < 0 < x.hi:
        x.bisect()
    while x.lo == 0:                                 # (0, hi]: move lo off 0
        m = x.hi / 2
        x.lo, x.hi = (m, x.hi) if count_roots(x.seq, m, x.hi) == 1 else (fmpq(0), m)
    return x.lo > 0


def _eigen_groups(M, value, positive: bool):
    """``(cap, [option])`` per distinct eigenvalue of symmetric M, none for 0 (or <= 0)."""
    roots, mult, factors = real_roots(M.charpoly())
    out = []
    for x in roots:
        f = factors[x.factor_index][0]
        if f(0) == 0:
            continue
        if not positive or _positive(x):
            out.append((mult[x.factor_index], [_Option(x, value)]))
    return out


def _decay_groups(M, lam: fmpq, H: int):
    """Per eigenvalue mu > 0 of M: the positive critical points s of g for y = sqrt(mu)."""
    d, e = M.nrows(), 2 * H - 4
    if (4 * H - 4) * d > MAX_DEGREE:
        raise ArithmeticError(f"isolated-critical-value: degree {(4 * H - 4) * d} > {MAX_DEGREE}")
    eig = _eigen_groups(M, None, True)
    s = fmpq_poly([0, 1])
    q = (s ** (2 * H - 2) + lam) ** 2
    chi = M.charpoly().coeffs()
    R = sum((c * q ** i * s ** (e * (d - i)) for i, c in enumerate(chi)), fmpq_poly([0]))
    _, factors = R.factor()
    found = [x for i, (f, _) in enumerate(factors) if f(0) != 0
             for x in isolate_real_roots(f, i) if _positive(x)]
    for x in (x for x in found if factors[x.factor_index][0].degree() == 1):
        x.lo = x.hi = -factors[x.factor_index][0][0] / factors[x.factor_index][0][1]  # exact: ties

    def mu(a, b):                       # q(s)/s^e is enclosed for s in [a, b], a > 0
        return q(a) / b ** e, q(b) / a ** e

    def phi(a, b):                      # -s^(2H)/2 + lam (H-2) s^2/2 on [a, b]
        return -b ** (2 * H) / 2 + lam * (H - 2) * a * a / 2, -a ** (2 * H) / 2 + lam * (H - 2) * b * b / 2
    groups = [(cap, []) for cap, _ in eig]
    for x in found:
        for _ in range(MAX_ROUNDS):
            a, b = mu(x.lo, x.hi)
            meets = [i for i, (_, (o,)) in enumerate(eig) if not (o.root.hi < a or o.root.lo > b)]
            if len(meets) == 1:
                groups[meets[0]][1].append(_Option(x, phi))
                break
            x.bisect()
            for i in meets:
                eig[i][1][0].root.bisect()
        else:
            raise ArithmeticError("isolated-critical-value: a critical point of the 1-D problem "
                                  "could not be matched to a singular value")
    return groups


def isolate_global_value(X, Y, r: int, lo: fmpq, hi: fmpq, below: bool = False) -> str:
    """Case 1 (deep linear, square loss, no decay, any X)."""
    c0, M = square_loss_split(X, Y)
    groups = _eigen_groups(M, lambda a, b: (-b / 2, -a / 2), False)
    return isolate_value(c0 + sum((M[i, i] for i in range(M.nrows())), fmpq(0)) / 2, groups, r,
                         lo, hi, below)


def isolate_global(p, lo: fmpq, hi: fmpq, below: bool = False) -> str:
    """:func:`isolate_value` for the problem ``p`` (kernel/model.py), or ``ArithmeticError``."""
    lam, square = p.weight_decay, isinstance(p.loss, Square) and not p.loss.over_product
    one = not p.sum_of_towers or all(len(t) == 2 for t in p.towers)  # [U_1 ..][V_1; ..]: one
    if not square or not one or lam is None or (lam and not p.symmetric and p.depth < 2):
        raise ArithmeticError("isolated-critical-value needs the square loss, one chain and a "
                              "scalar weight decay")
    if p.Y.nrows() > MAX_DIM:
        raise ArithmeticError(f"isolated-critical-value: {p.Y.nrows()} > {MAX_DIM} outputs")
    if p.symmetric:                                  # 2.
        n, Ys = p.Y.nrows(), (p.Y + p.Y.transpose()) / 2
        M = Ys - identity(n) * (lam / 2)
        c0 = frobenius_sq(p.Y - Ys) / 2 + lam / 2 * sum(Ys[i, i] for i in range(n)) - n * lam * lam / 8
        groups = _eigen_groups(M, lambda a, b: (-b * b / 2, -a * a / 2), True)
        return isolate_value(c0 + frobenius_sq(M) / 2, groups, p.shapes[0][1], lo, hi, below)
    if lam == 0:                                     # 1.
        return isolate_global_value(p.X, p.Y, p.max_rank, lo, hi, below)
    c = (p.X * p.X.transpose())[0, 0]      # X X^T = c I: L/c is case 3 for Y X^T/c, lam/c
    if c == 0 or p.X * p.X.transpose() != identity(p.X.nrows()) * c:  # 3.
        raise ArithmeticError("isolated-critical-value with weight decay needs X X^T = c I, c > 0")
    Yp = p.Y * p.X.transpose() / c
    groups = _decay_groups(Yp * Yp.transpose(), lam / c, 2 if p.sum_of_towers else p.depth)
    return isolate_value(frobenius_sq(p.Y) / 2 / c, groups, p.max_rank, lo / c, hi / c, below)


def _rational_sqrt(q: fmpq):
    """sqrt(q) as a rational, or None when it is irrational (q >= 0)."""
    p, d = int(q.p), int(q.q)
    rp, rd = math.isqrt(p), math.isqrt(d)
    return fmpq(rp, rd) if rp * rp == p and rd * rd == d else None


def nuclear_norm_optimum(Y, lam: fmpq, r: int) -> fmpq:
    """``min over rank R <= r of 1/2 ||R - Y||^2 + lam ||R||_*`` (lam > 0), exactly.

    A lower bound of ``1/2 ||W_2 W_1 - Y||^2 + lam/2 (||W_1||^2 + ||W_2||^2)``, because
    ``||W_1||^2 + ||W_2||^2 >= 2 ||W_2 W_1||_*`` (the variational form of the nuclear norm).
    By von Neumann's trace inequality the minimiser shares Y's singular vectors, and singular
    value by singular value it is ``max(sigma - lam, 0)``: the value is the sum of
    ``phi(sigma) = lam sigma - lam^2/2`` (sigma > lam) or ``sigma^2/2`` over the r largest
    singular values, plus ``sigma^2/2`` over the others.  Raises ``ArithmeticError`` when a
    singular value of Y is irrational (then a rational value cannot equal the optimum anyway
    unless by cancellation, which this exact route does not decide)."""
    _, factors = (Y * Y.transpose()).charpoly().factor()
    sigmas = []
    for f, m in factors:
        if f.degree() != 1:
            raise ArithmeticError("nuclear-norm-bound: Y has irrational singular values")
        mu = -f.coeffs()[0] / f.coeffs()[1]
        s = _rational_sqrt(mu)
        if s is None:
            raise ArithmeticError(f"nuclear-norm-bound: the singular value sqrt({mu}) of Y is irrational")
        sigmas += [s] * m
    sigmas.sort(reverse=True)
    total = fmpq(0)
    for j, s in enumerate(sigmas):
        total += (lam * s - lam * lam / 2) if j < r and s > lam else s * s / 2
    return total


def psd_rank_optimum(Y, k: int) -> fmpq:
    """``min over PSD Z of rank <= k of 1/2 ||Z - Y||^2`` for symmetric Y, exactly.

    With Y's eigenvalues ``lam_i`` (eigenvectors q_i): the optimum keeps the ``k`` largest
    *positive* ones, ``Z = sum lam_i q_i q_i^T`` over them (Eckart-Young restricted to the
    PSD cone: for PSD Z of rank <= k, ``||Z - Y||^2 >= sum over the others of lam_i^2`` by
    von Neumann's trace inequality, the negative ones contributing in full); the value is
    half the sum of the squares of the eigenvalues not kept.  Exact when the kept eigenvalues
    are whole groups of roots of the characteristic polynomial's irreducible factors (their
    squares then sum to a rational, by Newton's identities); ``ArithmeticError`` otherwise.
    """
    if Y != Y.transpose():
        raise ArithmeticError("psd-rank-optimum: Y is not symmetric")
    roots, mult, factors = real_roots(Y.charpoly())
    kept, left = {}, k
    for x in reversed(roots):                         # largest first, positive only
        if left == 0 or not x.lo >= 0:               # the root lies in (lo, hi]: > 0 iff lo >= 0
            break
        t = min(left, mult[x.factor_index])
        kept[id(x)] = t
        left -= t
    # the kept squares must sum to a rational: each factor's roots all kept equally often
    times = times_per_factor(roots, kept)
    if times is None:
        raise ArithmeticError("psd-rank-optimum: the kept eigenvalues split an irreducible "
                              "factor; the optimum is irrational here")
    total_sq = frobenius_sq(Y)
    kept_sq = fmpq(0)
    for idx, t in times.items():
        if t:
            c = factors[idx][0].coeffs()              # monic after scaling: e1, e2
            e1 = -c[-2] / c[-1]
            e2 = c[-3] / c[-1] if len(c) >= 3 else fmpq(0)
            kept_sq += t * (e1 * e1 - 2 * e2)         # sum of the squares of its roots
    return (total_sq - kept_sq) / 2
