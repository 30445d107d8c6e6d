"""The kernel's verdict on a certificate, and the claims it can check."""
from __future__ import annotations

from dataclasses import dataclass, field

CLAIMS = ("not-critical", "strict-saddle", "non-strict-saddle", "nonsmooth-saddle",
          "local-maximum", "local-minimum", "global-minimum", "spurious-local-minimum")


class Rejected(Exception):
    """The evidence does not establish the claim (the message says why)."""


@dataclass(frozen=True)
class CheckResult:
    """The kernel's answer for one certificate: ``holds`` (bool) and ``reason`` (str)."""

    valid: bool
    claim: str
    reason: str
    relies_on: tuple[str, ...] = field(default=())

    @property
    def holds(self) -> bool:
        return self.valid
