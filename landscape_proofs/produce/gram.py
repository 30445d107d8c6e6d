"""Producer: turn a hand-found Gram identity into a checkable local-minimum certificate.

Second order cannot prove every local minimum.  Where the product map is not locally open,
a minimum can be degenerate in directions the symmetry group does not explain; a proof then
needs higher-order information.  A *Gram identity* carries it:

    m(x) (L(x) - L(x0)) = v(x)^T G(x) v(x),     m(x0) > 0,  G(x0) positive definite,

with polynomials ``m``, ``v_i``, ``G_ij`` in the parameters.  It proves ``x0`` a local minimum
(``certificates/gram.py``).  Such identities are found by hand (or by an SOS solver); this
module takes them as SymPy expressions in the weight symbols ``wk_i_j`` of
:func:`landscape_proofs.symbolic.derive.parameter_symbols` (layer ``k`` 1-based, row and column
0-based), encodes them, and returns a certificate that the trusted checker has accepted.

>>> from landscape_proofs.families.io import problem_from_dict, point_from_dict
>>> p = problem_from_dict({"family": "deep-linear", "widths": [1, 1],
...                        "loss": {"name": "custom", "expression": "R_0_0**4", "over": "product"}})
>>> from landscape_proofs.symbolic.derive import parameter_symbols
>>> (w,) = parameter_symbols(p)
>>> cert = certify_by_gram_identity(p, point_from_dict({"weights": [[[0]]]}, p), 1, [w**2], [[1]])
>>> cert.claim, cert.evidence["type"]
('local-minimum', 'gram-identity')
"""
from __future__ import annotations

from typing import Sequence

import sympy

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.certificate import Certificate
from landscape_proofs.kernel.errors import InputError, LandscapeError
from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.families.exact_view import exact_objective, exact_weights


def polynomial_to_evidence(expr, symbols: Sequence[sympy.Symbol]) -> list:
    """A SymPy polynomial in ``symbols`` as evidence terms ``[[coef, [[index, exp], ...]], ...]``.

    >>> a, b = sympy.symbols("a b")
    >>> polynomial_to_evidence((a - b / 2) ** 2, [a, b])
    [[1, [[0, 2]]], [-1, [[0, 1], [1, 1]]], ['1/4', [[1, 2]]]]
    """
    try:
        poly = sympy.Poly(sympy.sympify(expr), *symbols, domain="QQ")
    except (sympy.PolynomialError, sympy.polys.polyerrors.BasePolynomialError, TypeError) as exc:
        raise InputError(f"expected a polynomial with rational coefficients in the weight symbols "
                         f"({exc})", got=str(expr)) from None
    out = []
    for monom, coeff in poly.terms():
        if coeff == 0:  # the zero polynomial's single term
            continue
        c = sympy.Rational(coeff)
        c = int(c.p) if c.q == 1 else f"{c.p}/{c.q}"
        out.append([c, [[i, int(e)] for i, e in enumerate(monom) if e]])
    return out


def gram_evidence(problem, multiplier, vector, gram, symbols=None) -> dict:
    """The ``gram-identity`` evidence object for SymPy ``multiplier``, ``vector``, ``gram``."""
    from landscape_proofs.symbolic.derive import parameter_symbols
    syms = list(symbols) if symbols is not None else parameter_symbols(problem)
    k = len(vector)
    if len(gram) != k or any(len(row) != k for row in gram):
        raise InputError(f"expected a {k} x {k} Gram matrix", field="gram")
    return {
        "type": "gram-identity",
        "multiplier": polynomial_to_evidence(multiplier, syms),
        "vector": [polynomial_to_evidence(e, syms) for e in vector],
        "gram": [[polynomial_to_evidence(e, syms) for e in row] for row in gram],
    }


def certify_by_gram_identity(problem, point, multiplier, vector, gram, *, better_point=None,
                             symbols=None, notes: Sequence[str] = ()) -> Certificate:
    """A ``local-minimum`` certificate (``spurious-local-minimum`` with ``better_point``).

    ``better_point`` is a :class:`~landscape_proofs.families.deep_linear.Point` of strictly
    lower value.  Raises :class:`LandscapeError` when the checker rejects the identity (the
    message is the checker's reason).
    """
    local = gram_evidence(problem, multiplier, vector, gram, symbols)
    obj = exact_objective(problem)
    value = obj.value(exact_weights(point))
    if better_point is None:
        claim, evidence = "local-minimum", local
    else:
        claim = "spurious-local-minimum"
        better = exact_weights(better_point)
        evidence = {"local_minimum": local,
                    "better_point": [[[format_exact(M[i, j]) for j in range(M.ncols())]
                                      for i in range(M.nrows())] for M in better]}
    cert = Certificate(claim=claim, problem=problem, point=point, value=value, evidence=evidence,
                       method="gram-identity (polynomial identity, checked exactly)",
                       notes=tuple(notes))
    result = check_certificate(cert.to_json())
    if not result.valid:
        raise LandscapeError(f"the checker rejects this Gram identity: {result.reason}")
    return cert
