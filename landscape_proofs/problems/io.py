"""Reading and writing problem and point files (JSON, every number exact).

See ``docs/formats.md``.  JSON numbers are parsed as ``decimal.Decimal`` so that ``0.1``
is read as 1/10; ``NaN`` and ``Infinity`` are refused.  Errors are :class:`InputError`
naming the file and the field.
"""
from __future__ import annotations

import decimal
import json
from pathlib import Path

from ..errors import InputError
from ..exact.numbers import format_exact
from ..losses import loss_from_json
from .deep_linear import DeepLinearProblem, Point

FAMILIES = ("deep-linear",)
PROBLEM_KEYS = {"family", "widths", "X", "Y", "loss", "weight_decay", "name", "description"}


def _reject_constant(name: str):
    raise InputError("expected a finite number (NaN and infinities are not numbers here)", got=name)


def loads_exact(text: str, source: str | None = None):
    """Parse JSON text with exact numbers (Decimal for non-integers)."""
    try:
        return json.loads(text, parse_float=decimal.Decimal, parse_constant=_reject_constant)
    except InputError as exc:
        raise exc.with_source(source) if source else exc
    except json.JSONDecodeError as exc:
        raise InputError(f"expected valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                         source=source) from None
    except RecursionError:
        raise InputError("expected valid JSON (nested too deeply)", source=source) from None


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
    unknown = sorted(set(data) - PROBLEM_KEYS)
    if unknown:
        raise InputError(f"unknown field; allowed: {', '.join(sorted(PROBLEM_KEYS))}",
                         field=unknown[0], got=unknown[0], show_got=False)
    if "widths" not in data:
        raise InputError("missing: expected a list [d_0, ..., d_H]", field="widths")
    if "loss" not in data:
        raise InputError('missing: expected "square", "l1", {"name": "power", ...} or {"name": "custom", ...}',
                         field="loss")
    loss = loss_from_json(data["loss"])
    return DeepLinearProblem(widths=data["widths"], X=data.get("X"), Y=data.get("Y"), loss=loss,
                             weight_decay=data.get("weight_decay", 0))


def problem_to_dict(problem: DeepLinearProblem) -> dict:
    """The problem in the file format, numbers written exactly."""
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
    if not isinstance(data, dict):
        raise InputError('expected a JSON object {"weights": [...]}', got=type(data).__name__)
    if "weights" not in data:
        raise InputError(f"missing: expected a list of {problem.depth} weight matrices", field="weights")
    return Point.of(problem, data["weights"])


def point_to_dict(point: Point) -> dict:
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
