"""The family registry: family name -> problem class, and the readers that dispatch on it.

A family is a :class:`~landscape_proofs.families.base.Problem` subclass (one module in
``families/``).  :func:`register_family` adds it under its ``family`` name; other names a file
may use are *readers* (``matrix-factorization`` reads into a deep-linear problem).
:func:`problem_from_dict` and friends dispatch through this table and nowhere else.
"""
from __future__ import annotations

from typing import Callable

from landscape_proofs.families.base import Point, Problem
from landscape_proofs.families.deep_linear import DeepLinearProblem
from landscape_proofs.families.matrix_factorization import FAMILY as _MF, matrix_factorization_from_dict
from landscape_proofs.families.multi_tower import MultiTowerProblem
from landscape_proofs.families.shallow_rank import ShallowRankProblem
from landscape_proofs.families.symmetric_factorization import SymmetricFactorizationProblem
from landscape_proofs.kernel.errors import InputError

#: canonical family name -> problem class
FAMILY_CLASSES: dict[str, type[Problem]] = {}
#: every name a problem file may give -> reader (dict -> problem); canonical names first
READERS: dict[str, Callable[[dict], Problem]] = {}

#: the family a tool uses when asked for none
DEFAULT_FAMILY = DeepLinearProblem.family


def register_family(cls: type[Problem], *, readers: dict[str, Callable[[dict], Problem]] | None = None,
                    position: int | None = None) -> type[Problem]:
    """Register a family class under ``cls.family`` (and extra reader names)."""
    if not (isinstance(cls, type) and issubclass(cls, Problem)):
        raise TypeError(f"expected a Problem subclass, got {cls!r}")
    FAMILY_CLASSES[cls.family] = cls
    READERS[cls.family] = cls.from_dict
    for name, reader in (readers or {}).items():
        READERS[name] = reader
    return cls


def unregister_family(name: str) -> None:
    cls = FAMILY_CLASSES.pop(name, None)
    READERS.pop(name, None)
    if cls is not None:
        for other in [n for n, r in READERS.items() if getattr(r, "__self__", None) is cls]:
            READERS.pop(other)


register_family(DeepLinearProblem)
register_family(ShallowRankProblem)
READERS[_MF] = matrix_factorization_from_dict  # an alias: loads as deep-linear widths [n, k, m]
register_family(MultiTowerProblem)
register_family(SymmetricFactorizationProblem)
# Ma & Fattahi's robust regression: loads as the deep-linear chain (d, 1, ..., 1)
from landscape_proofs.families.robust_regression_format import FAMILY as _RR, robust_regression_from_dict  # noqa: E402
READERS[_RR] = robust_regression_from_dict


def family_names() -> tuple[str, ...]:
    """Every name a problem file may give, in the order messages list them."""
    return tuple(READERS)


def layered_families() -> tuple[str, ...]:
    """Canonical names of the families whose points are lists of layers."""
    return tuple(n for n, c in FAMILY_CLASSES.items() if c.layered)


def family_class(name: str) -> type[Problem]:
    return FAMILY_CLASSES[name]


def problem_from_dict(data: object) -> Problem:
    """Build a problem from its JSON object (already parsed with exact numbers)."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object describing a problem", got=type(data).__name__)
    names = family_names()
    family = data.get("family", None)
    if family is None:
        hint = ""
        if isinstance(data.get("problem"), dict) and "family" in data["problem"]:
            # a bundled example (landscape_proofs/data/examples) wraps its problem
            hint = ("; this looks like a bundled example file: its problem is the object under "
                    "\"problem\" (and its points under \"points\")")
        raise InputError(f"missing: expected one of {', '.join(names)}{hint}", field="family")
    if not isinstance(family, str) or family not in READERS:
        raise InputError(f"expected one of {', '.join(names)}", field="family", got=family)
    return READERS[family](data)


def problem_to_dict(problem: Problem) -> dict:
    """The problem in the file format, numbers written exactly."""
    return problem.to_dict()


def point_from_dict(data: object, problem: Problem):
    return problem.point_from_dict(data)


def point_to_dict(point) -> dict:
    return point.to_dict()


__all__ = ["FAMILY_CLASSES", "READERS", "DEFAULT_FAMILY", "register_family", "unregister_family",
           "family_names", "layered_families", "family_class", "problem_from_dict",
           "problem_to_dict", "point_from_dict", "point_to_dict", "Point"]
