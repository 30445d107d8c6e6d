"""Exact numbers: reading them from user data and writing them back.

Every number a user hands in is read as the rational it spells: ``0.1`` is 1/10,
never the binary float nearest to it.  Inside the exact layer the working type is
``flint.fmpq`` (FLINT's rational, much faster than ``fractions.Fraction``); at the
boundary (problem data, JSON) it is ``fractions.Fraction``.
"""
from __future__ import annotations

import decimal
import re
from fractions import Fraction

import flint

from ..errors import InputError

_RATIO = re.compile(r"^\s*([+-]?\d+)\s*/\s*(\d+)\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_MAX_EXPONENT = 4000  # refuse 1e999999999, which would build a gigantic integer


def parse_exact(value: object, field: str = "value") -> Fraction:
    """Read ``value`` exactly as a rational number.

    Accepts ints, ``decimal.Decimal`` (what the JSON reader produces for numbers with a
    point or exponent), ``Fraction``, and strings ``"p/q"`` or decimal text.  Floats,
    booleans, NaN, infinities and anything else are refused with an :class:`InputError`.

    >>> parse_exact("0.1")
    Fraction(1, 10)
    >>> parse_exact("-3/6")
    Fraction(-1, 2)
    >>> parse_exact(7)
    Fraction(7, 1)
    """
    if isinstance(value, bool):
        raise InputError("expected a number (integer, decimal, or \"p/q\" string)",
                         field=field, got=value)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise InputError("expected a finite number", field=field, got=str(value))
        if abs(value.as_tuple().exponent) > _MAX_EXPONENT:
            raise InputError(f"expected a decimal exponent of at most {_MAX_EXPONENT}",
                             field=field, got=str(value))
        return Fraction(value)
    if isinstance(value, float):
        raise InputError("expected an exact number; a binary float cannot be read exactly "
                         "(write it as a decimal string or \"p/q\")", field=field, got=value)
    if isinstance(value, str):
        m = _RATIO.match(value)
        if m:
            num, den = int(m.group(1)), int(m.group(2))
            if den == 0:
                raise InputError("expected a nonzero denominator", field=field, got=value)
            return Fraction(num, den)
        if _DECIMAL.match(value):
            return parse_exact(decimal.Decimal(value.strip()), field)
        raise InputError("expected a number: an integer, a decimal such as \"0.25\", or \"p/q\"",
                         field=field, got=value)
    raise InputError("expected a number (integer, decimal, or \"p/q\" string)",
                     field=field, got=value)


def format_exact(value) -> int | str:
    """Write an exact rational for JSON: a plain int when integral, else ``"p/q"``.

    >>> format_exact(Fraction(3, 4)), format_exact(Fraction(4, 2))
    ('3/4', 2)
    """
    q = to_fraction(value)
    if q.denominator == 1:
        return q.numerator
    return f"{q.numerator}/{q.denominator}"


def to_fmpq(value) -> flint.fmpq:
    """Convert an exact rational (int, Fraction, fmpq) to ``flint.fmpq``; floats refused."""
    if isinstance(value, flint.fmpq):
        return value
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        return flint.fmpq(value)
    if isinstance(value, Fraction):
        return flint.fmpq(value.numerator, value.denominator)
    if isinstance(value, flint.fmpz):
        return flint.fmpq(value)
    raise TypeError(f"not an exact rational: {value!r} ({type(value).__name__})")


def to_fraction(value) -> Fraction:
    """Convert an exact rational (int, Fraction, fmpq, fmpz) to ``Fraction``; floats refused."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, flint.fmpq):
        return Fraction(int(value.p), int(value.q))
    if isinstance(value, flint.fmpz):
        return Fraction(int(value))
    raise TypeError(f"not an exact rational: {value!r} ({type(value).__name__})")
