"""Trusted: local extrema proved by a polynomial Gram identity (evidence type ``gram-identity``).

The argument (docs/certificates.md, "Gram identities").  Let ``L`` be the objective, a
polynomial in the parameters ``x`` (flattened layer by layer, each layer row-major), and
``x0`` the point.  The evidence gives polynomials ``m(x)``, ``v(x) = (v_1, ..., v_k)`` and a
symmetric matrix of polynomials ``G(x)`` with

    m(x) * s * (L(x) - L(x0)) = v(x)^T G(x) v(x)      identically in x,   s = +1 (min), -1 (max),

and ``m(x0) > 0``, ``G(x0)`` positive definite.  Both conditions are open and the entries are
continuous, so on a neighbourhood of ``x0`` we have ``m > 0`` and ``G`` positive definite, hence
``s * (L(x) - L(x0)) = v^T G v / m >= 0``: ``x0`` is a local minimum (s = +1) or maximum
(s = -1).  Nothing else is needed: not criticality, not the Hessian, not openness of the
product map.  Second order is the special case ``m = 1``, ``v = x - x0``, ``G`` constant.

The checker builds ``L`` itself, as an exact multivariate polynomial (FLINT ``fmpq_mpoly``), by
evaluating the family's own exact objective on the ring's generators; it reads ``m``, ``v``
and ``G`` from the evidence, evaluates ``m`` and ``G`` at ``x0`` exactly, decides positive
definiteness exactly (inertia), and checks that the difference of the two sides expands to the
zero polynomial.  Nothing the producer computed is trusted.

A polynomial in the evidence is a list of terms ``[coefficient, monomial]``: the coefficient an
exact number (``"p/q"`` or an integer), the monomial a list of ``[parameter_index, exponent]``
pairs (distinct indices, exponents >= 1); ``[]`` is the zero polynomial and ``[[c, []]]`` the
constant ``c``.
"""
from __future__ import annotations

from math import comb

import flint

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.linalg import inertia
from landscape_proofs.kernel.numbers import parse_exact, to_fmpq
from landscape_proofs.kernel.verdict import Rejected

MAX_PARAMETERS = 64
MAX_VECTOR = 64
MAX_TERMS = 20000        # over all polynomials of the evidence
MAX_EXPONENT = 64
MAX_MONOMIALS_OF_L = 2_000_000    # C(N + deg L, deg L): a bound on the size of L's expansion
MAX_WORK = 50_000_000    # sum of len(a) * len(b) over the products the checker forms


class GramRejected(Rejected):
    """The Gram identity evidence does not establish the claim (the message says why); a
    :class:`Rejected`, so the checker reports it like any other rejection."""


def polynomial_ring(n_params: int):
    """The ring Q[x_0, ..., x_{N-1}] the evidence's polynomials live in."""
    return flint.fmpq_mpoly_ctx.get(("x", n_params), "lex")


def _check_size(obj, loss=None) -> None:
    """Refuse objectives whose expansion could be too large to form (a bound, not a guess)."""
    loss = loss or obj.loss
    if not loss.polynomial:
        raise GramRejected(f"no degree bound for the {loss.name} loss (not a polynomial)")
    factors = max(len(obj.shapes), 2)  # a product has at most this many layer factors (U U^T: 2)
    D = max(factors * loss.degree(), 2)     # loss.degree(): a bound on the loss's degree
    N = obj.n_params
    if comb(N + D, D) > MAX_MONOMIALS_OF_L:
        raise GramRejected(f"L has degree up to {D} in {N} parameters: its expansion could have "
                           f"C({N + D}, {D}) = {comb(N + D, D)} monomials (limit {MAX_MONOMIALS_OF_L})")


class _Work:
    """A budget on polynomial multiplication, so that no evidence can make the check hang."""

    def __init__(self):
        self.used = 0

    def mul(self, a, b):
        self.used += max(len(a), 1) * max(len(b), 1)
        if self.used > MAX_WORK:
            raise GramRejected(f"the identity is too large to expand (more than {MAX_WORK} term products)")
        return a * b


def objective_polynomial(obj, ring, shift=None, loss=None):
    """L as an ``fmpq_mpoly``: the family's exact objective evaluated on the generators
    (``L(shift + x)`` when a point ``shift`` is given)."""
    gens = ring.gens() if shift is None else [g + s for g, s in zip(ring.gens(), shift)]
    return obj.value_on([[[gens[o + i * c + j] for j in range(c)] for i in range(r)]
                         for (r, c), o in zip(obj.shapes, obj.offsets)], loss)


class _Reader:
    def __init__(self, ring, n_params: int):
        self.ring, self.n, self.terms = ring, n_params, 0

    def poly(self, data, name: str):
        if not isinstance(data, list):
            raise GramRejected(f"{name}: expected a list of terms [coefficient, monomial]")
        self.terms += len(data)
        if self.terms > MAX_TERMS:
            raise GramRejected(f"the evidence has more than {MAX_TERMS} terms")
        table = {}
        for t, term in enumerate(data):
            where = f"{name}[{t}]"
            if not isinstance(term, list) or len(term) != 2 or not isinstance(term[1], list):
                raise GramRejected(f"{where}: expected [coefficient, [[index, exponent], ...]]")
            try:
                c = to_fmpq(parse_exact(term[0], where))
            except InputError as exc:
                raise GramRejected(f"{where}: {exc}") from None
            exps = [0] * self.n
            for pair in term[1]:
                if (not isinstance(pair, list) or len(pair) != 2
                        or any(isinstance(x, bool) or not isinstance(x, int) for x in pair)):
                    raise GramRejected(f"{where}: expected [index, exponent] pairs of integers")
                i, e = pair
                if not 0 <= i < self.n:
                    raise GramRejected(f"{where}: parameter index {i} is not in [0, {self.n})")
                if not 1 <= e <= MAX_EXPONENT or exps[i]:
                    raise GramRejected(f"{where}: exponent {e} of x{i} must be in [1, {MAX_EXPONENT}] "
                                       "and each index may appear once")
                exps[i] = e
            key = tuple(exps)
            table[key] = table.get(key, flint.fmpq(0)) + c
        return self.ring.from_dict({k: v for k, v in table.items() if v != 0})


def check_gram_identity(obj, W, value, evidence: dict, sign: int) -> str:
    """Verify ``m * sign * (L - L(x0)) = v^T G v`` with m(x0) > 0 and G(x0) > 0.

    ``obj`` is the family's exact objective (with ``shapes``, ``offsets``, ``n_params``,
    ``flatten`` and ``value_on``), ``W`` the point, ``value`` = L(W) as the checker computed it.  Returns the
    reason; raises :class:`GramRejected`.
    """
    N = obj.n_params
    if N > MAX_PARAMETERS:
        raise GramRejected(f"{N} parameters: Gram identities are checked up to {MAX_PARAMETERS}")
    _check_size(obj)   # also refuses a loss that is not a polynomial
    ring = polynomial_ring(N)
    L = objective_polynomial(obj, ring)
    x0 = obj.flatten(W)
    if L(*x0) != value:  # the two exact evaluations of the same objective must agree
        raise GramRejected("internal: the polynomial objective disagrees with the exact value")
    read = _Reader(ring, N)
    m = read.poly(evidence.get("multiplier"), "multiplier")
    v_data, g_data = evidence.get("vector"), evidence.get("gram")
    if not isinstance(v_data, list) or not 1 <= len(v_data) <= MAX_VECTOR:
        raise GramRejected(f"vector: expected a list of 1 to {MAX_VECTOR} polynomials")
    k = len(v_data)
    v = [read.poly(p, f"vector[{i}]") for i, p in enumerate(v_data)]
    if not isinstance(g_data, list) or len(g_data) != k or any(
            not isinstance(row, list) or len(row) != k for row in g_data):
        raise GramRejected(f"gram: expected a {k} x {k} matrix of polynomials")
    G = [[read.poly(g_data[i][j], f"gram[{i}][{j}]") for j in range(k)] for i in range(k)]
    if (ij := next(((i, j) for i in range(k) for j in range(i) if G[i][j] != G[j][i]), None)):
        raise GramRejected(f"gram is not symmetric: entries [{ij[0]}][{ij[1]}] and [{ij[1]}][{ij[0]}] differ")
    m0 = m(*x0)
    if not m0 > 0:
        raise GramRejected(f"multiplier at the point is {m0}, not > 0")
    G0 = flint.fmpq_mat(k, k, [G[i][j](*x0) for i in range(k) for j in range(k)])
    ine = inertia(G0)
    if not ine.is_pd:
        raise GramRejected(f"gram at the point is not positive definite: inertia (+, -, 0) = {ine.as_tuple()}")
    work = _Work()
    rhs = ring.from_dict({})
    for i in range(k):
        row = work.mul(G[i][i], v[i])
        for j in range(i + 1, k):
            row += 2 * work.mul(G[i][j], v[j])
        rhs += work.mul(v[i], row)
    residual = work.mul(m, L - value) * sign - rhs
    if not residual.is_zero():
        raise GramRejected(f"the identity m * {'+' if sign > 0 else '-'}(L - L(x0)) = v^T G v fails: "
                           f"the difference has {len(residual)} nonzero terms")
    word = "minimum" if sign > 0 else "maximum"
    return (f"Gram identity: m (L - L(x0)) {'=' if sign > 0 else '= -'} v^T G v with m(x0) = {m0} > 0 "
            f"and G(x0) positive definite ({k} x {k}): a local {word} (L polynomial, {N} parameters)")
