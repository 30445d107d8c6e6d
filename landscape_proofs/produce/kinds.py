"""The vocabulary of what a point can be (see docs/kinds.md)."""
from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    NOT_CRITICAL = "not-critical"
    STRICT_SADDLE = "strict-saddle"
    NON_STRICT_SADDLE = "non-strict-saddle"
    NONSMOOTH_SADDLE = "nonsmooth-saddle"
    LOCAL_MAXIMUM = "local-maximum"
    LOCAL_MINIMUM = "local-minimum"
    GLOBAL_MINIMUM = "global-minimum"
    SPURIOUS_LOCAL_MINIMUM = "spurious-local-minimum"
    INCONCLUSIVE = "inconclusive"

    def __str__(self) -> str:
        return self.value
