"""Exact numbers for people: huge rationals abbreviated, the same way everywhere.

Human output (the ``landscape`` command's text, the API's HTML) abbreviates every integer or
``p/q`` whose text is longer than :data:`MAX_NUMBER_CHARS` characters as a rounded decimal
followed by the sizes of the numerator and the denominator::

    ~1.23457e+149 (exact value: 150/1 digits; --full prints it)

``--full`` prints them whole; JSON output is always exact and complete.  Imports: the kernel's
number helpers only (no NumPy, SymPy or mpmath).
"""
from __future__ import annotations

import re
from fractions import Fraction


def digits_of_int(n: int) -> str:   # python-flint (kernel/numbers.py) only when it is needed
    from landscape_proofs.kernel.numbers import digits_of_int as f

    return f(n)


def int_from_digits(text: str) -> int:
    from landscape_proofs.kernel.numbers import int_from_digits as f

    return f(text)


def to_fraction(value):
    from landscape_proofs.kernel.numbers import to_fraction as f

    return f(value)


__all__ = ["MAX_NUMBER_CHARS", "abbreviate", "number_text"]

MAX_NUMBER_CHARS = 60
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:/\d+)?(?!\w)(?!\.\d)", re.ASCII)


def _approx(num: int, den: int) -> str:
    """``num/den`` rounded to 6 significant digits in scientific notation (integers only)."""
    if num == 0:
        return "0"
    sign = "-" if num < 0 else ""
    num = abs(num)
    e = len(digits_of_int(num)) - len(digits_of_int(den))   # 10^e <= num/den < 10^(e+1) ...
    if num * 10 ** max(-e, 0) < den * 10 ** max(e, 0):      # ... after this correction
        e -= 1
    q = Fraction(num * 10 ** max(5 - e, 0), den * 10 ** max(e - 5, 0))
    scaled = round(q)                                        # 10^5 <= scaled <= 10^6
    if scaled == 10 ** 6:
        e, scaled = e + 1, 10 ** 5
    text = digits_of_int(scaled)
    return f"{sign}{text[0]}.{text[1:]}e{e:+03d}"


def number_text(value, full: bool = False) -> str:
    """An exact rational for people: whole if short (or ``full``), else abbreviated.

    >>> number_text(Fraction(10 ** 80, 3))
    '~3.33333e+79 (exact value: 81/1 digits; --full prints it)'
    >>> number_text(Fraction(-3, 4))
    '-3/4'
    """
    q = to_fraction(value)
    num, den = digits_of_int(q.numerator), digits_of_int(q.denominator)
    text = num if q.denominator == 1 else f"{num}/{den}"
    if full or len(text) <= MAX_NUMBER_CHARS:
        return text
    return (f"~{_approx(q.numerator, q.denominator)} (exact value: "
            f"{len(num.lstrip('-'))}/{len(den)} digits; --full prints it)")


def abbreviate(text: str, full: bool = False) -> str:
    """``text`` with every integer or ``p/q`` longer than MAX_NUMBER_CHARS abbreviated."""
    if full:
        return text

    def repl(m):
        token = m.group(0)
        if len(token) <= MAX_NUMBER_CHARS:
            return token
        num, _, den = token.partition("/")
        return number_text(Fraction(int_from_digits(num), int_from_digits(den or "1")))

    return _NUMBER.sub(repl, text)
