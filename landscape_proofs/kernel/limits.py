"""The kernel's size limits and its deadline: refuse what is too big, stop what takes too long.

**Limits.**  A certificate beyond a limit is refused at once (an :class:`InputError`, exit 2
in ``landscape verify``), before any exact work: the number of parameters of the embedded
problem, the size of the file, and the digits of any one number.  The limits in force are set for
one block only (a module-level stack; the kernel is single-threaded)::

    with using(Limits(max_parameters=4096)):
        check_certificate(data)

Custom-loss expressions have their own fixed limits in ``polynomial.py`` (characters, terms,
degree) and depth above 32 or widths above 64 are refused by ``model.py``.

Time budgets (``--timeout``) are not the kernel's business: ``landscape_proofs.budget`` runs
the kernel in a child process and kills it when the budget runs out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from landscape_proofs.kernel.errors import InputError

__all__ = ["DEFAULT", "Limits", "check_bytes", "check_numbers", "check_parameters", "current",
           "using"]


@dataclass(frozen=True)
class Limits:
    """What the kernel accepts (``landscape verify --max-parameters/--max-bytes/--max-digits``)."""

    max_parameters: int = 1024       # widths [22, 22, 22] (968) take ~15 s exactly; [24]*3 ~40 s
    max_bytes: int = 8 * 1024 * 1024  # of one certificate file
    max_digits: int = 20_000         # of one number (numerator or denominator, or a decimal)

    def __post_init__(self):
        for name in ("max_parameters", "max_bytes", "max_digits"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError("expected an integer >= 1", field=name, got=v)


DEFAULT = Limits()
_DIGITS = re.compile(r"[0-9]+")
_UNREAD = frozenset({"notes", "producer", "method"})   # top-level keys of a certificate
_STACK: list[Limits] = [DEFAULT]


def current() -> Limits:
    """The limits in force."""
    return _STACK[-1]


class using:
    """``with using(limits):`` puts ``limits`` in force for the block."""

    def __init__(self, limits: Limits):
        if not isinstance(limits, Limits):
            raise InputError("expected a Limits", got=type(limits).__name__)
        self.limits = limits

    def __enter__(self) -> Limits:
        _STACK.append(self.limits)
        return self.limits

    def __exit__(self, *exc) -> None:
        _STACK.pop()


def check_bytes(n: int, source: str | None = None) -> None:
    """Refuse a file of ``n`` bytes above ``max_bytes``."""
    lim = current().max_bytes
    if n > lim:
        raise InputError(f"the file has {n} bytes, above the kernel's limit of {lim} "
                         "(raise it with --max-bytes)", source=source)


def check_parameters(n: int, field: str = "problem") -> None:
    """Refuse a problem of ``n`` parameters above ``max_parameters``."""
    lim = current().max_parameters
    if n > lim:
        raise InputError(f"the problem has {n} parameters, above the kernel's limit of {lim} "
                         "(raise it with --max-parameters)", field=field)


def check_numbers(data: object) -> None:
    """Refuse a certificate holding a number (a string or an int) with more than
    ``max_digits`` digits.  Iterative: a deeply nested object costs no recursion."""
    lim = current().max_digits
    if isinstance(data, dict):      # what the kernel never reads is not limited
        data = {k: v for k, v in data.items() if k not in _UNREAD}
    stack = [(data, "")]
    while stack:
        x, where = stack.pop()
        if isinstance(x, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in x.items())
        elif isinstance(x, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(x))
        elif isinstance(x, str) and len(x) > lim:
            longest = max((len(m.group()) for m in _DIGITS.finditer(x)), default=0)
            if longest > lim:
                raise InputError(f"a number of more than {lim} digits, above the kernel's limit "
                                 "(landscape verify raises it with --max-digits)", field=where or None,
                                 show_got=False)
        elif isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 3.33 * lim:
            raise InputError(f"a number of more than {lim} digits, above the kernel's limit "
                             "(landscape verify raises it with --max-digits)", field=where or None, show_got=False)
