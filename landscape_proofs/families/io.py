"""Reading and writing problem and point files (JSON, every number exact).

See ``docs/formats.md``.  JSON numbers are parsed as ``decimal.Decimal`` so that ``0.1``
is read as 1/10; ``NaN`` and ``Infinity`` are refused.  Errors are :class:`InputError`
naming the file and the field.
"""
from __future__ import annotations

import decimal
import json
from pathlib import Path

from landscape_proofs.kernel.errors import InputError
from landscape_proofs.families.fields import check_top_level_fields
from landscape_proofs.kernel.numbers import MAX_DIGITS, format_exact, int_from_digits
from landscape_proofs.losses.registry import loss_from_json, loss_hint
from landscape_proofs.families.deep_linear import DeepLinearProblem, Point
from landscape_proofs.families.matrix_factorization import matrix_factorization_from_dict, point_from_factors
from landscape_proofs.families.multi_tower import (MultiTowerProblem, multi_tower_from_dict, multi_tower_point_from_dict,
                          multi_tower_to_dict)
from landscape_proofs.families.symmetric_factorization import (SymmetricFactorizationProblem,
                                      symmetric_factorization_from_dict,
                                      symmetric_factorization_point_from_dict,
                                      symmetric_factorization_to_dict)
from landscape_proofs.families.shallow_rank import (ShallowPoint, ShallowRankProblem, shallow_point_from_dict,
                           shallow_point_to_dict, shallow_problem_from_dict, shallow_problem_to_dict)

FAMILIES = ("deep-linear", "shallow-rank", "matrix-factorization", "multi-tower",
            "symmetric-factorization")
PROBLEM_KEYS = {"family", "widths", "X", "Y", "loss", "weight_decay", "name", "description"}


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


def problem_from_dict(data: object) -> DeepLinearProblem:
    """Build a problem from its JSON object (already parsed with exact numbers)."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object describing a problem", got=type(data).__name__)
    family = data.get("family", None)
    if family is None:
        raise InputError(f"missing: expected one of {', '.join(FAMILIES)}", field="family")
    if family not in FAMILIES:
        raise InputError(f"expected one of {', '.join(FAMILIES)}", field="family", got=family)
    if family == "shallow-rank":  # docs/families.md
        return shallow_problem_from_dict(data)
    if family == "matrix-factorization":  # an alias: loads as deep-linear widths [n, k, m]
        return matrix_factorization_from_dict(data)
    if family == "multi-tower":  # docs/families.md: a sum of deep linear towers
        return multi_tower_from_dict(data)
    if family == "symmetric-factorization":  # docs/families.md: l(U U^T)
        return symmetric_factorization_from_dict(data)
    check_top_level_fields(data, PROBLEM_KEYS)
    if "widths" not in data:
        raise InputError("missing: expected a list [d_0, ..., d_H]", field="widths")
    if "loss" not in data:
        raise InputError(f"missing: expected {loss_hint()}", field="loss")
    loss = loss_from_json(data["loss"])
    return DeepLinearProblem(widths=data["widths"], X=data.get("X"), Y=data.get("Y"), loss=loss,
                             weight_decay=data.get("weight_decay", 0))


def problem_to_dict(problem: DeepLinearProblem) -> dict:
    """The problem in the file format, numbers written exactly."""
    if isinstance(problem, ShallowRankProblem):
        return shallow_problem_to_dict(problem)
    if isinstance(problem, MultiTowerProblem):
        return multi_tower_to_dict(problem)
    if isinstance(problem, SymmetricFactorizationProblem):
        return symmetric_factorization_to_dict(problem)
    out = {"family": problem.family, "widths": list(problem.widths)}
    if not problem._x_is_identity:
        out["X"] = matrix_to_json(problem.X)
    if problem.Y is not None:
        out["Y"] = matrix_to_json(problem.Y)
    out["loss"] = problem.loss.to_json()
    out["weight_decay"] = format_exact(problem.weight_decay)
    return out


def matrix_to_json(rows) -> list:
    return [[format_exact(x) for x in row] for row in rows]


def point_from_dict(data: object, problem: DeepLinearProblem) -> Point:
    if isinstance(problem, ShallowRankProblem):
        return shallow_point_from_dict(data, problem)
    if isinstance(problem, MultiTowerProblem):  # {"weights": [...]}, tower 1's layers first
        return multi_tower_point_from_dict(data, problem)
    if isinstance(problem, SymmetricFactorizationProblem):  # {"weights": [U]} or {"U": U}
        return symmetric_factorization_point_from_dict(data, problem)
    if not isinstance(data, dict):
        raise InputError('expected a JSON object {"weights": [...]}', got=type(data).__name__)
    if "weights" not in data and problem.depth == 2 and ("U" in data or "V" in data):
        return point_from_factors(data, problem)  # {"U": m x k, "V": k x n}: weights [V, U]
    if "weights" not in data:
        raise InputError(f"missing: expected a list of {problem.depth} weight matrices", field="weights")
    return Point.of(problem, data["weights"])


def point_to_dict(point: Point) -> dict:
    if isinstance(point, ShallowPoint):
        return shallow_point_to_dict(point)
    return {"weights": [matrix_to_json(W) for W in point.weights]}


def load_problem(path: str | Path) -> DeepLinearProblem:
    data = read_json(path)
    try:
        return problem_from_dict(data)
    except InputError as exc:
        raise exc.with_source(str(path)) from None


def load_point(path: str | Path, problem: DeepLinearProblem) -> Point:
    data = read_json(path)
    try:
        return point_from_dict(data, problem)
    except InputError as exc:
        raise exc.with_source(str(path)) from None
