"""Checks shared by every problem family's JSON reader."""
from __future__ import annotations

from landscape_proofs.kernel.errors import InputError


def check_top_level_fields(data: dict, allowed: set, family: str | None = None) -> None:
    """Refuse unknown top-level fields and non-string labels (``name``, ``description``)."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        where = f" for the {family} family" if family else ""
        raise InputError(f"unknown field{where}; allowed: {', '.join(sorted(allowed))}",
                         field=unknown[0], got=unknown[0], show_got=False)
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise InputError("expected a string (a label for people; it is not used)", field=key,
                             got=data[key])
