"""Reading and writing problem and point files (JSON, every number exact).

See ``docs/formats.md``.  JSON numbers are parsed as ``decimal.Decimal`` so that ``0.1``
is read as 1/10; ``NaN`` and ``Infinity`` are refused.  Errors are :class:`InputError`
naming the file and the field.
"""
from __future__ import annotations

import decimal
import json
from pathlib import Path

from landscape_proofs.families.base import Point, Problem, matrix_to_json  # noqa: F401
from landscape_proofs.families.registry import (family_names, point_from_dict,  # noqa: F401
                                               point_to_dict, problem_from_dict, problem_to_dict)
from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import MAX_DIGITS, int_from_digits

FAMILIES = family_names()  # at import; the registry (families/registry.py) is the live list


class _Refused:
    """Left by the JSON reader where a number cannot be read; reported with its field path."""

    def __init__(self, expected: str, got: str):
        self.expected, self.got = expected, got


def _first_refused(node, path: str = ""):
    """(path, marker) of the first _Refused in a parsed JSON value, in file order, or None."""
    stack = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, _Refused):
            return where, value
        if isinstance(value, dict):
            items = [((f"{where}.{k}" if where else str(k)), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
        else:
            continue
        stack.extend((v, k) for k, v in reversed(items))
    return None


def _parse_constant(name: str) -> _Refused:
    return _Refused("expected a finite number (NaN and infinities are not numbers here)", name)


def _parse_int(text: str):
    # json's own int() refuses more than 4300 digits with a bare ValueError.
    if len(text.lstrip("-")) > MAX_DIGITS:
        return _Refused(f"expected an integer of at most {MAX_DIGITS} digits",
                        f"{len(text)} characters")
    return int_from_digits(text)


def loads_exact(text: str, source: str | None = None):
    """Parse JSON text with exact numbers (Decimal for non-integers).

    ``NaN``, ``Infinity`` and over-long integers are refused wherever they stand, with the
    path of the field that holds them.
    """
    refused = []  # walk the result only when the reader left a marker

    def note(marker):
        if isinstance(marker, _Refused):
            refused.append(marker)
        return marker

    try:
        data = json.loads(text, parse_float=decimal.Decimal,
                          parse_int=lambda t: note(_parse_int(t)),
                          parse_constant=lambda t: note(_parse_constant(t)))
    except json.JSONDecodeError as exc:
        raise InputError(f"expected valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                         source=source) from None
    except RecursionError:
        raise InputError("expected valid JSON (nested too deeply)", source=source) from None
    found = _first_refused(data) if refused else None
    if found is not None:
        where, bad = found
        raise InputError(bad.expected, field=where or None, got=bad.got, source=source)
    return data


def read_json(path: str | Path):
    """Read a JSON file exactly; unreadable files raise InputError naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except IsADirectoryError:
        raise InputError("expected a file, found a directory", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", source=str(path)) from None
    return loads_exact(text, str(path))


def load_problem(path: str | Path) -> Problem:
    data = read_json(path)
    try:
        return problem_from_dict(data)
    except InputError as exc:
        raise exc.with_source(str(path)) from None


def load_point(path: str | Path, problem: Problem) -> Point:
    data = read_json(path)
    try:
        return point_from_dict(data, problem)
    except InputError as exc:
        raise exc.with_source(str(path)) from None
