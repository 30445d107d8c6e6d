"""Producer: the product-space census of an unregularized deep linear network (docs/census.md,
"Without weight decay: the product space").

Without weight decay the critical sets of ``L(W) = 1/2 ||W_H ... W_1 X - Y||^2`` are
positive-dimensional (``W_{k+1} -> W_{k+1} G^{-1}``, ``W_k -> G W_k``), so they cannot be
counted.  Their *products* can: with ``X X^T`` invertible and ``Sigma = Y X^+ X Y^T`` with
distinct eigenvalues they are ``R_S = P_S Y X^+`` for the subsets S of Sigma's positive
eigen-directions with ``|S| <= r`` (Baldi & Hornik 1989 for H = 2; Achour, Malgouyres &
Gerchinovitz 2021, arXiv:2107.13289, for any depth).  This module computes them on its own
(SymPy for the exact eigen-data, mpmath at 60 digits for the irrational ones) and hands the
certificate to ``kernel/product.py``, whose verdict alone makes the answer.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.model import read_problem
from landscape_proofs.kernel.product import MAX_OUT, kind_of, scope

FORMAT = "landscape-certificate/1"
DIGITS = 60                       # mpmath working digits for irrational eigen-data
PAD = Fraction(1, 10 ** 35)       # half-width of every enclosure the producer writes
GRID = 10 ** 45                   # centers rounded to this grid


@dataclass
class ProductCensusReport:
    """A census whose points are critical *products* (``"space": "product"``); the fields
    and methods of ``search.census.CensusReport`` that the command, the API and ``check`` use."""

    complete: bool
    reason: str
    real_count: int | None = None
    kinds: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    certificate: dict | None = None
    seconds: float = 0.0
    relies_on: tuple = ()
    eigenvalues: list = field(default_factory=list)
    complex_count = None

    def to_json(self, certificate_ref=None) -> dict:
        return {"complete": self.complete, "reason": self.reason, "space": "product",
                "real_count": self.real_count, "complex_count": None,
                "complex_count_note": "not applicable: the points are products, not parameters",
                "kinds": dict(self.kinds), "points": self.points,
                "certificate": certificate_ref if certificate_ref is not None else self.certificate,
                "relies_on": list(self.relies_on), "eigenvalues": self.eigenvalues,
                "seconds": round(self.seconds, 3)}

    def table(self) -> str:
        lines = [f"complete: {'yes' if self.complete else 'no'} ({self.reason})"]
        if self.complete:
            lines.append(f"critical products (space: product): {self.real_count}")
            lines.append(f"  {'subset':<14} {'rank':>4}  {'fibre':<15} value")
            for p in self.points:
                v = p["value"]
                shown = v if isinstance(v, str) else \
                    f"~{float(Fraction(v['lo'])):.12g} (enclosure)"
                lines.append(f"  {str(p['subset']):<14} {p['rank']:>4}  {p['kind']:<15} {shown}")
            if self.relies_on:
                lines.append("relies on: " + "; ".join(self.relies_on))
        lines.append(f"{self.seconds:.2f} s")
        return "\n".join(lines)


def applies(data: dict) -> bool:
    """Is ``data`` an instance without weight decay (the product census's entry condition)?"""
    try:
        kp = read_problem(data)
    except InputError:
        return False
    return kp.weight_decay == 0 and kp.decay_entries is None


def product_census(data: dict) -> ProductCensusReport:
    """The product-space census of the problem dict ``data`` (see the module doc)."""
    import mpmath
    import sympy

    from landscape_proofs.kernel.checker import check_certificate

    t0 = time.monotonic()
    kp = read_problem(data)
    why = scope(kp)
    if why:
        return ProductCensusReport(False, f"no weight decay, and the product census does not "
                                   f"apply: {why}", seconds=time.monotonic() - t0)
    X = sympy.Matrix(kp.X.nrows(), kp.X.ncols(), [sympy.Rational(int(q.p), int(q.q)) for q in kp.X.entries()])
    Y = sympy.Matrix(kp.Y.nrows(), kp.Y.ncols(), [sympy.Rational(int(q.p), int(q.q)) for q in kp.Y.entries()])
    Xp = X.T * (X * X.T).inv()
    Sig = Y * Xp * X * Y.T
    d, r = Sig.rows, kp.max_rank
    assert d <= MAX_OUT
    c0 = ((Y - Y * Xp * X).norm() ** 2) / 2
    lam = sympy.Symbol("lam")
    roots = sorted(sympy.Poly(Sig.charpoly(lam).as_expr(), lam).all_roots(), reverse=True,
                   key=lambda z: sympy.N(z, DIGITS))
    exact = [z if z.is_Rational else None for z in roots]
    with mpmath.workdps(DIGITS):
        evals, vecs = mpmath.eigsy(_mp(Sig))
        order = sorted(range(d), key=lambda k: -evals[k])
        approx = [evals[k] for k in order]
        cols = [vecs[:, k] for k in order]
        m = sum(1 for k in range(d) if exact[k] is None or exact[k] > 0)
        fibres = []
        for s in range(min(r, m) + 1):
            for S in combinations(range(m), s):
                rest = [k for k in range(d) if k not in S]
                if all(exact[k] is not None for k in S) or all(exact[k] is not None for k in rest):
                    if all(exact[k] is not None for k in rest):
                        value = _text(c0 + sum((exact[k] for k in rest), sympy.Integer(0)) / 2)
                    else:
                        value = _text(c0 + (Sig.trace() - sum((exact[k] for k in S),
                                                              sympy.Integer(0))) / 2)
                    product = _rows(_exact_projector(Sig, exact, S, rest) * Y * Xp)
                else:
                    v = mpmath.mpf(_f(c0)) + sum(approx[k] for k in rest) / 2
                    value = _box(v)
                    P = sum((cols[k] * cols[k].T for k in S), mpmath.zeros(d, d))
                    Rm = P * _mp(Y * Xp)
                    lo_hi = [[_box(Rm[i, j]) for j in range(Rm.cols)] for i in range(Rm.rows)]
                    product = {"lo": [[b["lo"] for b in row] for row in lo_hi],
                               "hi": [[b["hi"] for b in row] for row in lo_hi]}
                fibres.append({"subset": [k + 1 for k in S], "rank": len(S),
                               "kind": kind_of(S, m, r, len(kp.shapes)), "value": value, "product": product})
        eigen = [_text(exact[k]) if exact[k] is not None else _box(approx[k]) for k in range(d)]
    cert = {"format": FORMAT, "claim": "product-census", "problem": data,
            "product_census": {"space": "product", "max_rank": r, "eigenvalues": eigen,
                               "fibres": fibres},
            "producer": {"name": "landscape census", "method": "product space (SymPy, mpmath)"}}
    verdict = check_certificate(cert)
    if not verdict.holds:
        return ProductCensusReport(False, f"the kernel rejected the product census: "
                                   f"{verdict.reason}", certificate=cert,
                                   seconds=time.monotonic() - t0)
    kinds: dict = {}
    for f in fibres:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    rep = ProductCensusReport(True, verdict.reason, len(fibres), kinds, fibres, cert,
                              time.monotonic() - t0)
    rep.relies_on, rep.eigenvalues = tuple(verdict.relies_on), eigen
    return rep


def _exact_projector(Sig, exact, S, rest):
    """P_S from rational eigenvectors: of S, or I minus those of the rest."""
    import sympy

    d = Sig.rows
    side, P, sign = (S, sympy.zeros(d, d), 1) if all(exact[k] is not None for k in S) \
        else (rest, sympy.eye(d), -1)
    for k in side:
        u = (Sig - exact[k] * sympy.eye(d)).nullspace()[0]
        P += sign * (u * u.T) / (u.T * u)[0, 0]
    return P


def _mp(M):
    import mpmath
    return mpmath.matrix([[mpmath.mpf(_f(x)) for x in M.row(i)] for i in range(M.rows)])


def _f(x):
    """A SymPy rational as an mpmath-readable exact string (numerator / denominator)."""
    import mpmath
    q = Fraction(int(x.p), int(x.q))
    return mpmath.mpf(q.numerator) / q.denominator


def _text(x) -> str:
    q = Fraction(int(x.p), int(x.q))
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _rows(M):
    return [[_text(M[i, j]) for j in range(M.cols)] for i in range(M.rows)]


def _box(x) -> dict:
    """{"lo", "hi"}: rationals PAD either side of x rounded to the GRID."""
    import mpmath
    c = Fraction(int(mpmath.nint(x * GRID)), GRID)
    return {"lo": _frac(c - PAD), "hi": _frac(c + PAD)}


def _frac(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


__all__ = ["ProductCensusReport", "applies", "product_census"]
