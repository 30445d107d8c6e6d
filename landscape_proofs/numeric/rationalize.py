"""Turning floats into rationals, on purpose (a producer's rounding step, never a proof)."""
from __future__ import annotations

from fractions import Fraction


def rational_from_float(x: float, max_denominator: int | None = None) -> Fraction:
    """The rational nearest ``x`` with denominator at most ``max_denominator``.

    Without ``max_denominator``, the float's exact binary value.  What comes out is a
    *candidate*: whatever uses it must check its claim exactly.

    >>> rational_from_float(0.333333333, 100)
    Fraction(1, 3)
    """
    q = Fraction(float(x))
    return q.limit_denominator(max_denominator) if max_denominator else q
