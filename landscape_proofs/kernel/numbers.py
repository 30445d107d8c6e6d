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

from landscape_proofs.kernel.errors import InputError

# ASCII digits only (re.ASCII): "\d" alone would also accept other scripts' digits.
_RATIO = re.compile(r"^\s*([+-]?\d+)\s*/\s*(\d+)\s*$", re.ASCII)
_DECIMAL = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$", re.ASCII)
_MAX_EXPONENT = 4000  # refuse 1e999999999, which would build a gigantic integer
# Digits of a numerator, a denominator or a decimal's mantissa.  Python refuses to convert
# integers of more than 4300 digits to or from text (sys.get_int_max_str_digits); FLINT does
# not, so long digit strings go through fmpz, in both directions, and this is the only cap.
MAX_DIGITS = 100_000
_PY_DIGITS = 4000     # below this, Python's own int <-> str is used


def int_from_digits(text: str) -> int:
    """The integer spelled by an optionally signed string of ASCII digits, of any length.

    >>> int_from_digits("-" + "9" * 5000) == -(10 ** 5000 - 1)
    True
    """
    body = text.lstrip("+-")
    if len(body) <= _PY_DIGITS:
        return int(text)
    value = int(flint.fmpz(body))
    return -value if text.startswith("-") else value


def digits_of_int(n: int) -> str:
    """Decimal text of an integer of any size (the inverse of :func:`int_from_digits`)."""
    if n.bit_length() < 3 * _PY_DIGITS:
        return str(n)
    return str(flint.fmpz(n))


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
    if isinstance(value, int) and not isinstance(value, bool):   # a bool: refused below
        return Fraction(value)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise InputError("expected a finite number", field=field, got=str(value))
        if abs(value.as_tuple().exponent) > _MAX_EXPONENT:
            raise InputError(f"expected a decimal exponent of at most {_MAX_EXPONENT}",
                             field=field, got=str(value))
        if len(value.as_tuple().digits) > MAX_DIGITS:
            raise InputError(f"expected a number of at most {MAX_DIGITS} digits", field=field,
                             got=f"{len(value.as_tuple().digits)} digits")
        return Fraction(value)
    if isinstance(value, float):
        raise InputError("expected an exact number; a binary float cannot be read exactly "
                         "(write it as a decimal string or \"p/q\")", field=field, got=value)
    if isinstance(value, str):
        m = _RATIO.match(value)
        if m:
            if max(len(m.group(1)), len(m.group(2))) > MAX_DIGITS:
                raise InputError(f"expected a numerator and denominator of at most {MAX_DIGITS} "
                                 "digits", field=field, got=f"{len(value)} characters")
            num, den = int_from_digits(m.group(1)), int_from_digits(m.group(2))
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
        # json.dumps cannot write an int of more than 4300 digits: such an integer is
        # written as a string of digits instead (which parse_exact reads back).
        return q.numerator if q.numerator.bit_length() < 3 * _PY_DIGITS else digits_of_int(q.numerator)
    return f"{digits_of_int(q.numerator)}/{digits_of_int(q.denominator)}"


def to_fmpq(value) -> flint.fmpq:
    """Convert an exact rational (int, Fraction, fmpq) to ``flint.fmpq``; floats refused."""
    if isinstance(value, flint.fmpq):
        return value
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, (int, flint.fmpz)):
        return flint.fmpq(value)
    if isinstance(value, Fraction):
        return flint.fmpq(value.numerator, value.denominator)
    raise TypeError(f"not an exact rational: {value!r} ({type(value).__name__})")


def read_rational(value: object, field: str = "value") -> flint.fmpq:
    """:func:`parse_exact` then :func:`to_fmpq`: a number of a certificate, exactly."""
    return to_fmpq(parse_exact(value, field))


def to_fraction(value) -> Fraction:
    """Convert an exact rational (int, Fraction, fmpq, fmpz) to ``Fraction``; floats refused."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers here")
    if isinstance(value, (int, flint.fmpz)):
        return Fraction(int(value))
    if isinstance(value, flint.fmpq):
        return Fraction(int(value.p), int(value.q))
    raise TypeError(f"not an exact rational: {value!r} ({type(value).__name__})")
