"""Reading and writing problem and point files (JSON, every number exact).

See ``docs/formats.md``.  JSON numbers are parsed as ``decimal.Decimal`` so that ``0.1``
is read as 1/10; ``NaN`` and ``Infinity`` are refused.  Errors are :class:`InputError`
naming the file and the field.
"""
from __future__ import annotations

import decimal
import json
import os
import stat
import tempfile
from pathlib import Path

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.kernel.numbers import MAX_DIGITS, int_from_digits

# Re-exported from the family registry on first use (PEP 562), so that reading JSON and
# writing files (``landscape verify``) loads no family, loss or SymPy.
_LAZY = {"Point": "base", "Problem": "base", "matrix_to_json": "base",
         "family_names": "registry", "point_from_dict": "registry", "point_to_dict": "registry",
         "problem_from_dict": "registry", "problem_to_dict": "registry"}


def __getattr__(name: str):
    if name == "FAMILIES":       # the registry (families/registry.py) is the live list
        from landscape_proofs.families.registry import family_names

        return family_names()
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"landscape_proofs.families.{_LAZY[name]}"), name)


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

    def pairs(items):
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            return note(_Refused("expected each key once in an object (a duplicate key is "
                                 "ambiguous)", dup))
        return dict(items)

    try:
        data = json.loads(text, parse_float=decimal.Decimal, object_pairs_hook=pairs,
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


MAX_FILE_BYTES = 64 * 2 ** 20


def read_json(path: str | Path, max_bytes: int = MAX_FILE_BYTES):
    """Read a JSON file exactly; unreadable files raise InputError naming the file.

    Only regular files are opened (a FIFO would block, a device never end), of at most
    ``max_bytes`` bytes; the text must be UTF-8 and each object's keys distinct."""
    p = Path(path)
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(st.st_mode):
            raise InputError("expected a regular file (not a pipe, socket or device)",
                             source=str(path))
        if st.st_size > max_bytes:
            raise InputError(f"expected a file of at most {max_bytes} bytes", got=f"{st.st_size} bytes",
                             source=str(path))
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except IsADirectoryError:
        raise InputError("expected a file, found a directory", source=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("cannot read the file: expected UTF-8 text", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", source=str(path)) from None
    return loads_exact(text, str(path))


def load_problem(path: str | Path) -> "Problem":
    """A problem file; ``X`` / ``Y`` may name ``.npy`` or ``.csv`` files beside it
    (:mod:`landscape_proofs.families.arrays`)."""
    from landscape_proofs.families.arrays import resolve_array_fields

    data = read_json(path)
    try:
        from landscape_proofs.families.registry import problem_from_dict

        return problem_from_dict(resolve_array_fields(data, Path(path).parent))
    except InputError as exc:
        raise exc.with_source(str(path)) from None


def load_point(path: str | Path, problem: "Problem") -> "Point":
    """A point file: JSON, or ``.npz`` with arrays ``W1`` .. ``WH`` (exact binary values)."""
    if str(path).lower().endswith(".npz"):
        from landscape_proofs.families.arrays import read_npz_point

        data = read_npz_point(path)
    else:
        data = read_json(path)
    try:
        from landscape_proofs.families.registry import point_from_dict

        return point_from_dict(data, problem)
    except InputError as exc:
        raise exc.with_source(str(path)) from None


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` so that a reader (or a kill) never sees a half-written file: a temporary
    file in the same folder, flushed and fsynced, then renamed over ``path``."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json_atomic(path: str | Path, data, indent: int | None = 1) -> None:
    write_text_atomic(path, json.dumps(data, indent=indent) + "\n")
