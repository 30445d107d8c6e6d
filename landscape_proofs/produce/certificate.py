"""The certificate data model and its JSON form (see docs/certificates.md)."""
from __future__ import annotations

import functools
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path

from landscape_proofs.kernel.numbers import format_exact
from landscape_proofs.families.io import point_to_dict, problem_to_dict, read_json, write_text_atomic

FORMAT = "landscape-certificate/1"


@functools.lru_cache(maxsize=1)
def _versions() -> tuple:
    from importlib.metadata import PackageNotFoundError, version

    out = [("python", platform.python_version())]
    for name in ("landscape-proofs", "python-flint", "sympy", "mpmath", "numpy"):
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:
            out.append((name, None))
    return tuple(out)


def producer_versions() -> dict:
    """Versions of what produced a certificate (recorded, never trusted); looked up once."""
    return dict(_versions())


@dataclass(frozen=True)
class Certificate:
    """A claim about a point, with the evidence a checker needs to re-verify it."""

    claim: str
    problem: object      # DeepLinearProblem
    point: object        # Point
    value: object        # exact rational
    evidence: dict
    method: str
    notes: tuple = field(default=())

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "claim": self.claim,
            "problem": problem_to_dict(self.problem),
            "point": point_to_dict(self.point),
            "value": format_exact(self.value),
            "evidence": self.evidence,
            "method": self.method,
            "notes": list(self.notes),
            "producer": producer_versions(),
        }


def write_certificate(cert: Certificate | dict, path: str | Path) -> None:
    data = cert.to_json() if isinstance(cert, Certificate) else cert
    write_text_atomic(path, json.dumps(data, indent=1) + "\n")


def read_certificate(path: str | Path) -> dict:
    """Read a certificate file with exact numbers (InputError naming the file if unusable)."""
    return read_json(path)


def kernel_verdict(data: dict):
    """The kernel's verdict on a certificate a producer built; a certificate the kernel cannot
    read (e.g. a family registered with the producers only) is a verdict that it does not
    hold, never an exception: the producer then answers ``inconclusive`` with the reason."""
    from landscape_proofs.kernel.checker import check_certificate
    from landscape_proofs.kernel.errors import InputError
    from landscape_proofs.kernel.verdict import CheckResult

    try:
        return check_certificate(data)
    except InputError as exc:
        return CheckResult(False, str(data.get("claim")), f"the kernel cannot read it: {exc}")
