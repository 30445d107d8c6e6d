"""Deciding "every local minimum of l is global" for separable polynomial losses.

Several theorems assume this of the loss l of the end-to-end matrix (Nouiehed & Razaviyayn's
multi-layer and Burer-Monteiro results).  Convexity proves it; this module decides it exactly
for another class that the counterexamples need: *separable* polynomials
``l(Z) = c + sum_e p_e(Z_e)``, each term a univariate rational polynomial of one entry.

Argument.  For a separable l, Z is a local minimum iff every Z_e is a local minimum of p_e
(fix all entries but one).  So l has a local minimum iff every p_e has one, and then every
local minimum of l is global iff every local minimum of every p_e is a global minimum of p_e.
If some p_e has no local minimum, l has none and the property holds vacuously.

For one univariate nonconstant polynomial p: its local minima are the real roots of p' where
p' changes sign from - to +.  When every real root of p' is rational (the irreducible factors
of p' over Q of degree >= 2 have no real roots, counted exactly with Sturm sequences) the
signs between consecutive roots and the values at the roots are exact rationals.  p has a
global minimum iff its degree is even and its leading coefficient positive; then the property
holds iff every local minimum has the least value; otherwise p is unbounded below and the
property holds iff p has no local minimum.  Irrational critical points: undecided (None).
"""
from __future__ import annotations

import flint

from landscape_proofs.kernel.algebraic import count_roots, root_bound, sturm_sequence

Poly = flint.fmpq_poly
Q = flint.fmpq


def _critical_points(p: Poly):
    """Sorted rational real roots of p', or None when p' has an irrational real root."""
    dp = p.derivative()
    _, factors = dp.factor()
    roots = []
    for f, _mult in factors:
        if f.degree() == 1:
            c = f.coeffs()
            roots.append(-c[0] / c[1])
        else:
            B = root_bound(f)
            if count_roots(sturm_sequence(f), -B, B) > 0:
                return None
    return sorted(set(roots))


def univariate_local_minima(p: Poly):
    """(local_minima, has_global_min) of a nonconstant polynomial, or None if undecided.

    ``local_minima`` lists (point, value) pairs, exact.
    """
    crit = _critical_points(p)
    if crit is None:
        return None
    dp = p.derivative()
    if crit:
        probes = [crit[0] - 1] + [(a + b) / 2 for a, b in zip(crit, crit[1:])] + [crit[-1] + 1]
    else:
        probes = [Q(0)]
    signs = [dp(x) > 0 for x in probes]  # never 0 away from the roots
    minima = [(r, p(r)) for i, r in enumerate(crit) if not signs[i] and signs[i + 1]]
    lead = p.coeffs()[-1]
    return minima, p.degree() % 2 == 0 and lead > 0


def decide_local_minima_global(loss) -> tuple[bool | None, str]:
    """(holds, detail) for a custom polynomial loss; None when the loss is not separable or
    a critical point of a term is irrational."""
    try:
        terms = loss._polynomial_terms()
    except Exception:  # not a polynomial custom loss
        return None, "not a polynomial custom loss"
    by_entry: dict[tuple[int, int], dict[int, Q]] = {}
    for c, factors in terms:
        if len(factors) > 1:
            return None, "l is not separable (a term mixes several entries)"
        if factors:
            i, j, e = factors[0]
            d = by_entry.setdefault((i, j), {})
            d[e] = d.get(e, Q(0)) + c
    verdicts = []
    for (i, j), coeffs in sorted(by_entry.items()):
        deg = max(coeffs)
        p = Poly([coeffs.get(e, Q(0)) for e in range(deg + 1)])
        if p.degree() <= 0:
            continue
        res = univariate_local_minima(p)
        name = f"entry ({i}, {j})"
        if res is None:
            return None, f"the term in {name} has an irrational critical point"
        minima, bounded = res
        if not minima:
            return True, f"the term in {name} has no local minimum, so l has none"
        if not bounded:
            verdicts.append((False, f"the term in {name} has a local minimum at {minima[0][0]} "
                                    "but is unbounded below"))
            continue
        low = min(v for _, v in minima)
        bad = [(r, v) for r, v in minima if v != low]
        if bad:
            verdicts.append((False, f"the term in {name} has a local minimum at {bad[0][0]} with "
                                    f"value {bad[0][1]} > its minimum {low}"))
        else:
            verdicts.append((True, f"{name}: local minima at {', '.join(str(r) for r, _ in minima)}, "
                                   f"each attaining the term's minimum {low}"))
    failing = [d for ok, d in verdicts if not ok]
    if failing:
        return False, "l is separable; " + failing[0]
    return True, ("l is separable and each term's local minima are global (exact critical "
                  "points): " + ("; ".join(d for _, d in verdicts) or "l is constant"))
