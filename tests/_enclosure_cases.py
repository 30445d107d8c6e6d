"""Shared by tests/test_enclosure.py and tests/test_enclosure_families.py: named refinement
cases, each refined and certified once per test session, and the certificate re-read from
JSON the way `landscape verify` reads a file (exact rationals, no floats)."""
from __future__ import annotations

import json

from landscape_proofs.kernel.checker import check_certificate
from landscape_proofs.produce.refined import classify_refined
from landscape_proofs.families.deep_linear import Point
from landscape_proofs.families.io import loads_exact, problem_from_dict


class CertifiedCases:
    """``cases[name] = (problem dict, float weights, expected kind)``; ``certified(name)``
    returns ``(result, certificate re-read from JSON)``, computed once per (name, digits)."""

    def __init__(self, cases: dict):
        self.cases = cases
        self._cache: dict = {}

    def certified(self, name: str, digits: int = 100):
        key = (name, digits)
        if key not in self._cache:
            data, weights, _ = self.cases[name]
            p = problem_from_dict(data)
            res = classify_refined(p, Point.of(p, weights), digits=digits, snap=False)
            self._cache[key] = (res, json.dumps(res.certificate) if res.certificate else None)
        res, text = self._cache[key]
        return res, (loads_exact(text) if text else None)


def check(cert):
    """The trusted checker on a certificate after a round trip through JSON."""
    return check_certificate(loads_exact(json.dumps(cert)))
